//! `cargo xtask build`: the release add-in into `dist/` with Trunk (wasm-opt -Oz included).

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::{
    run::{root, run, step, Result},
    tools::{self, Toolbox},
};

/// The pages besides index.html, each a Trunk build of its own.
const BUILT_ASIDE: [(&str, &str); 5] = [
    ("pane.html", "Outlook task pane"),
    ("command.html", "no-UI command page"),
    ("teams.html", "Teams tab"),
    ("admin.html", "admin console: set-up"),
    ("admin-usage.html", "admin console: usage"),
];

/// Every page the build writes into `dist/`.
fn pages() -> impl Iterator<Item = &'static str> {
    ["index.html"]
        .into_iter()
        .chain(BUILT_ASIDE.map(|(page, _)| page))
}

/// The `--cfg`s every page's wasm is compiled with. Leptos' type-erased views (its
/// `erase_components` mode): every element's attributes and children become one boxed
/// type, so the console's sections, tables and forms share their rendering code (console
/// 179.5 -> 154.7 KB brotli). The organizer's pages grow by ~1 KB in that mode, but one
/// mode for all means the dependencies compile once, not twice (~40 s of a first run),
/// which pays for the console's second page.
const CFGS: &[&str] = &["erase_components"];

/// The files a browser downloads that the build names by their content (Trunk's hashed
/// wasm, JS and CSS, the JS snippets): only these get compressed copies, so a copy can never
/// be older than its file (pages and word files are small, and rewritten after the build).
fn compressible(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "wasm" | "js" | "css"))
}

/// Every compressible file under `dir`.
fn compressible_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            compressible_files(&path, out)?;
        } else if compressible(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes `NAME.br` (brotli, quality 11) and `NAME.gz` (gzip -9) beside each compressible
/// file of `dist`, with Node's zlib (Node is already there for the npm tools). Compressed
/// once here, they cost the server nothing per request: the pane is ~97 KB brotli against
/// ~290 KB as built.
fn precompress(dist: &Path) -> Result<()> {
    let mut files = Vec::new();
    compressible_files(dist, &mut files)?;
    files.sort();
    let script = r#"
const fs = require("fs"), z = require("zlib");
let raw = 0, br = 0;
for (const f of process.argv.slice(1)) {
  const b = fs.readFileSync(f);
  const brotli = z.brotliCompressSync(b, { params: {
    [z.constants.BROTLI_PARAM_QUALITY]: 11, [z.constants.BROTLI_PARAM_SIZE_HINT]: b.length } });
  fs.writeFileSync(f + ".br", brotli);
  fs.writeFileSync(f + ".gz", z.gzipSync(b, { level: 9 }));
  raw += b.length; br += brotli.length;
}
console.log(`${process.argv.length - 1} files, ${raw} bytes, ${br} as brotli`);
"#;
    let out = std::process::Command::new("node")
        .arg("-e")
        .arg(script)
        .args(&files)
        .output()
        .map_err(|e| format!("node (for the compressed copies): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node could not write the compressed copies: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    print!("    {}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

/// `RUSTFLAGS` for the pages: the caller's own flags, then `--cfg` each of `cfgs`.
fn rustflags(own: Option<&str>, cfgs: &[&str]) -> Option<String> {
    if cfgs.is_empty() {
        return None;
    }
    let added = cfgs.iter().map(|c| format!("--cfg {c}"));
    Some(
        own.into_iter()
            .map(str::to_string)
            .chain(added)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Sets up the tools, then builds.
pub fn build() -> Result<()> {
    let tools = tools::setup_for(tools::Needs::AddinBuild)?;
    build_with(&tools)
}

/// Builds the release add-in with already set-up tools and prints the size of each file.
pub fn build_with(tools: &Toolbox) -> Result<()> {
    let own = std::env::var("RUSTFLAGS").ok();
    let flags = rustflags(own.as_deref().filter(|f| !f.is_empty()), CFGS);
    let trunk = || {
        let mut trunk = tools.command("trunk");
        if let Some(flags) = &flags {
            trunk.env("RUSTFLAGS", flags);
        }
        trunk
    };
    step(
        "trunk build --release (index.html: the standalone scheduler, into dist/)",
        || run(trunk().args(["build", "--release"])),
    )?;
    let dist = root().join("dist");
    // Trunk builds one page per run and empties its dist first, so the Outlook pane, the
    // command page, the Teams tab and the admin console's two pages are built aside and
    // copied in (each with its own wasm bundle).
    for (page, what) in BUILT_ASIDE {
        let aside = root().join("target/trunk-aside").join(page);
        step(&format!("trunk build --release {page} ({what})"), || {
            run(trunk()
                .args(["build", page, "--release", "--dist"])
                .arg(&aside))?;
            // Trunk names its output index.html whatever the source page was called.
            fs::rename(aside.join("index.html"), aside.join(page))
                .map_err(|e| format!("trunk wrote no {}/index.html: {e}", aside.display()))?;
            cvi_testkit::copy_dir(&aside, &dist)
        })?;
    }
    step("drop preloads of JS snippets a page never imports", || {
        for page in pages() {
            let html = dist.join(page);
            let text = fs::read_to_string(&html).map_err(|e| format!("{}: {e}", html.display()))?;
            let read =
                |href: &str| fs::read_to_string(dist.join(href.trim_start_matches('/'))).ok();
            let kept = without_unused_snippets(&text, read);
            if kept != text {
                fs::write(&html, kept).map_err(|e| format!("{}: {e}", html.display()))?;
            }
        }
        Ok(())
    })?;
    step(
        "JS snippets named by their content, mapped in each page's import map",
        || snippets_by_content(&dist),
    )?;
    step(
        "brotli and gzip copies of the wasm, JS and CSS (cvi serve sends them to browsers that take them)",
        || precompress(&dist),
    )?;
    step(
        "manifests for the default URL (`cargo xtask manifest --url …` for yours)",
        || crate::manifest::manifest(&[]),
    )?;
    let mut entries: Vec<_> = fs::read_dir(&dist)
        .map_err(|e| format!("trunk wrote no {}: {e}", dist.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
        println!(
            "    dist/{:<40} {:>9} bytes",
            e.file_name().to_string_lossy(),
            size
        );
    }
    Ok(())
}

/// Copies each JS snippet (`snippets/cvi-addin-<crate hash>/src/host/office.js`, a folder
/// named for the crate, not the content, so a browser must ask again on every load) to
/// `snippets/<16 hex of its SHA-256>/<same path>`, which `cvi serve` lets browsers keep a
/// year, and points each page at the copies: an import map from the old URL to the new and
/// the `modulepreload` links. Measured over Fast 3G with the cache warm: the scheduler
/// opened in 1,222 ms, 741 ms with the snippets kept. The modules Trunk wrote are not
/// changed (their names and `integrity` stay true); the page, which is always asked for
/// again, carries the map. A browser without import maps loads the old URLs, still there.
fn snippets_by_content(dist: &Path) -> Result<()> {
    use sha2::{Digest, Sha256};
    let root = dist.join("snippets");
    if !root.exists() {
        return Ok(());
    }
    let mut files = Vec::new();
    compressible_files(&root, &mut files)?;
    let mut map: Vec<(String, String)> = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&root).map_err(|e| e.to_string())?;
        let mut parts = rel.components();
        parts.next(); // the crate's folder
        let inner = parts.as_path();
        let bytes = fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let digest = Sha256::digest(&bytes);
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let to = root.join(&hex).join(inner);
        fs::create_dir_all(to.parent().unwrap_or(&root)).map_err(|e| e.to_string())?;
        fs::write(&to, &bytes).map_err(|e| format!("{}: {e}", to.display()))?;
        let url = |p: &Path| format!("/snippets/{}", p.display());
        map.push((url(rel), url(&Path::new(&hex).join(inner))));
    }
    map.sort();
    for page in pages() {
        let html = dist.join(page);
        let text = fs::read_to_string(&html).map_err(|e| format!("{}: {e}", html.display()))?;
        let mapped = with_snippet_map(&text, &map);
        if mapped != text {
            fs::write(&html, mapped).map_err(|e| format!("{}: {e}", html.display()))?;
        }
    }
    Ok(())
}

/// `html` with the snippets it preloads (`map`: old URL, new URL) mapped: an import map at
/// the top of the head, before any module is fetched (after `<meta charset>`, which must
/// stay within the first 1024 bytes), the preload links' `href`s changed (their
/// `integrity` holds: the bytes are the same).
fn with_snippet_map(html: &str, map: &[(String, String)]) -> String {
    let used: Vec<&(String, String)> = map
        .iter()
        .filter(|(old, _)| html.contains(&format!("href=\"{old}\"")))
        .collect();
    let charset = html
        .find("<meta charset=")
        .and_then(|at| Some(at + html[at..].find('>')? + 1));
    let Some(head) = charset.or_else(|| html.find("<head>").map(|at| at + "<head>".len())) else {
        return html.to_string();
    };
    if used.is_empty() {
        return html.to_string();
    }
    let imports: Vec<String> = used
        .iter()
        .map(|(old, new)| format!("\"{old}\":\"{new}\""))
        .collect();
    let mut out = format!(
        "{}\n    <script type=\"importmap\">{{\"imports\":{{{}}}}}</script>{}",
        &html[..head],
        imports.join(","),
        &html[head..]
    );
    for (old, new) in used {
        out = out.replace(&format!("href=\"{old}\""), &format!("href=\"{new}\""));
    }
    out
}

/// `html` without the `modulepreload` links to JS snippets that its own module (the one
/// preloaded link outside `/snippets/`, read with `read`) does not import. Trunk preloads
/// every snippet of the crate on every page: the command page downloaded the Teams
/// snippet, which only the Leptos pages import.
fn without_unused_snippets(html: &str, read: impl Fn(&str) -> Option<String>) -> String {
    let links: Vec<(usize, usize, &str)> = html
        .match_indices("<link ")
        .filter_map(|(at, _)| {
            let end = at + html[at..].find('>')? + 1;
            let tag = &html[at..end];
            let href = tag.split("href=\"").nth(1)?.split('"').next()?;
            tag.contains("rel=\"modulepreload\"")
                .then_some((at, end, href))
        })
        .collect();
    let Some(module) = links
        .iter()
        .find(|(_, _, href)| !href.contains("/snippets/"))
        .and_then(|(_, _, href)| read(href))
    else {
        return html.to_string();
    };
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    for (at, end, href) in links {
        let Some((_, snippet)) = href.split_once("/snippets/") else {
            continue;
        };
        if !module.contains(&format!("snippets/{snippet}")) {
            out.push_str(&html[from..at]);
            // The line break after the tag goes with it.
            from = end + html[end..].find(|c: char| !c.is_whitespace()).unwrap_or(0);
        }
    }
    out.push_str(&html[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::{compressible, rustflags, with_snippet_map, without_unused_snippets};
    use std::path::Path;

    #[test]
    fn only_files_named_by_their_content_get_compressed_copies() {
        for yes in [
            "cvi-pane-7c26_bg.wasm",
            "cvi-pane-7c26.js",
            "style-c7c9.css",
            "snippets/x/src/host/office.js",
        ] {
            assert!(compressible(Path::new(yes)), "{yes}");
        }
        for no in [
            "pane.html",
            "words/de.json",
            "cvi-pane-7c26.js.br",
            "x.wasm.gz",
            "manifest/outlook.xml",
        ] {
            assert!(!compressible(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn a_page_maps_the_snippets_it_preloads_to_their_content_named_copies() {
        // The head Trunk 0.21.14 wrote for pane.html (integrity values shortened), after
        // the Teams snippet's unused preload was dropped.
        let pane = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Video conferencing details</title>
<script type="module">
import init, * as bindings from '/cvi-pane-716c1b26d0a0354f.js';
</script>
  <link rel="modulepreload" href="/cvi-pane-716c1b26d0a0354f.js" crossorigin="anonymous" integrity="sha384-o4"><link rel="modulepreload" href="/snippets/cvi-addin-f8b0/src/host/office.js" crossorigin="anonymous" integrity="sha384-pE"></head>
  <body></body>
</html>"#;
        let map = [
            (
                "/snippets/cvi-addin-f8b0/src/host/office.js".to_string(),
                "/snippets/3f9a0c2b7d1e4a65/src/host/office.js".to_string(),
            ),
            (
                "/snippets/cvi-addin-f8b0/src/host/teams.js".to_string(),
                "/snippets/0d1c9e8a7b6f5e4d/src/host/teams.js".to_string(),
            ),
        ];
        let mapped = with_snippet_map(pane, &map);
        // The map comes first in the head after the charset, before any module is
        // fetched; only the snippet the page preloads is in it.
        assert!(
            mapped.contains(
                "<head>\n    <meta charset=\"utf-8\" />\n    <script type=\"importmap\">{\"imports\":{\"/snippets/cvi-addin-f8b0/src/host/office.js\":\"/snippets/3f9a0c2b7d1e4a65/src/host/office.js\"}}</script>\n    <title>"
            ),
            "{mapped}"
        );
        assert!(
            mapped.contains(r#"<link rel="modulepreload" href="/snippets/3f9a0c2b7d1e4a65/src/host/office.js" crossorigin="anonymous" integrity="sha384-pE">"#),
            "{mapped}"
        );
        assert!(!mapped.contains("href=\"/snippets/cvi-addin"), "{mapped}");
        // The module Trunk wrote, its name and integrity, are left as they were.
        assert!(mapped.contains(
            r#"href="/cvi-pane-716c1b26d0a0354f.js" crossorigin="anonymous" integrity="sha384-o4""#
        ));
        assert_eq!(mapped.matches('{').count(), 2, "valid JSON: {mapped}");
        // A page that preloads none is left alone.
        let plain = "<html><head><title>x</title></head></html>";
        assert_eq!(with_snippet_map(plain, &map), plain);
    }

    #[test]
    fn a_pages_cfgs_are_added_to_the_callers_rustflags() {
        assert_eq!(rustflags(Some("-C debuginfo=1"), &[]), None);
        assert_eq!(
            rustflags(None, &["erase_components"]).as_deref(),
            Some("--cfg erase_components")
        );
        assert_eq!(
            rustflags(Some("-C debuginfo=1"), &["a", "b"]).as_deref(),
            Some("-C debuginfo=1 --cfg a --cfg b")
        );
    }

    // The head Trunk 0.21.14 wrote for command.html (integrity values shortened).
    const COMMAND: &str = r#"<head>
<link rel="modulepreload" href="/cvi-command-b36e.js" crossorigin="anonymous" integrity="sha384-OZ">
<link rel="modulepreload" href="/snippets/cvi-addin-f8b0/src/host/office.js" crossorigin="anonymous" integrity="sha384-pE">
<link rel="modulepreload" href="/snippets/cvi-addin-f8b0/src/host/teams.js" crossorigin="anonymous" integrity="sha384-mk">
<link rel="preload" href="/cvi-command-b36e_bg.wasm" crossorigin="anonymous" integrity="sha384-FF" as="fetch" type="application/wasm">
</head>"#;

    #[test]
    fn only_the_snippets_the_module_imports_stay_preloaded() {
        let js = "import { office } from './snippets/cvi-addin-f8b0/src/host/office.js';";
        let out = without_unused_snippets(COMMAND, |href| {
            (href == "/cvi-command-b36e.js").then(|| js.to_string())
        });
        assert!(out.contains("src/host/office.js"));
        assert!(!out.contains("teams.js"), "{out}");
        assert!(out.contains("_bg.wasm") && out.contains("/cvi-command-b36e.js"));
        assert_eq!(out.lines().count(), COMMAND.lines().count() - 1, "{out}");
        // A page whose module imports both keeps both; one whose module cannot be read is
        // left as it is.
        let both =
            format!("{js} import {{ teams }} from './snippets/cvi-addin-f8b0/src/host/teams.js';");
        assert_eq!(
            without_unused_snippets(COMMAND, |_| Some(both.clone())),
            COMMAND
        );
        assert_eq!(without_unused_snippets(COMMAND, |_| None), COMMAND);
    }
}
