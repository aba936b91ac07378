//! `ARCHITECTURE.md` held against the tree, so it cannot drift: every path it names exists,
//! every folder with Rust sources is named in it, and the server's layers import only
//! downward (what Cargo does not enforce inside `cvi-server`).

use std::{collections::BTreeSet, path::Path, process::Command};

use crate::run::{read, root, Result};

/// Imports a folder or file of `cvi-server` must never make: (path prefix, forbidden
/// substrings). The use cases know no protocol; front doors do not import each other; the
/// REST handlers reach the database only through the use cases.
const LAYER_RULES: &[(&str, &[&str])] = &[
    (
        "crates/cvi-server/src/usecases/",
        &[
            "axum",
            "crate::api",
            "crate::auth",
            "crate::cli",
            "crate::error",
            "crate::http",
            "crate::notifications",
            "crate::pexip",
            "crate::sip",
            "crate::state",
        ],
    ),
    (
        "crates/cvi-server/src/sip/",
        &[
            "crate::api",
            "crate::cli",
            "crate::http",
            "crate::notifications",
            "crate::pexip",
            "crate::state",
        ],
    ),
    (
        "crates/cvi-server/src/pexip.rs",
        &[
            "crate::api",
            "crate::cli",
            "crate::notifications",
            "crate::sip",
        ],
    ),
    (
        "crates/cvi-server/src/notifications.rs",
        &[
            "crate::api",
            "crate::cli",
            "crate::pexip",
            "crate::sip",
            "cvi_store",
        ],
    ),
    (
        "crates/cvi-server/src/api/",
        &[
            "crate::cli",
            "crate::notifications",
            "crate::pexip",
            "crate::sip",
            "cvi_store",
        ],
    ),
    (
        "crates/cvi-server/src/tenant_config.rs",
        &[
            "crate::usecases",
            "crate::api",
            "crate::error",
            "crate::state",
        ],
    ),
    ("crates/cvi-store/", &["axum", "cvi_server", "crate::api"]),
];

/// Runs every check; the error lists each finding on a line of its own.
pub fn check() -> Result<()> {
    let root = root();
    let files = read(Command::new("git").arg("-C").arg(&root).args([
        "ls-files",
        "--cached",
        "--others",
        "--exclude-standard",
    ]))
    .ok_or("`git ls-files` failed: run inside the repository")?;
    let files: Vec<&str> = files.lines().filter(|f| root.join(f).exists()).collect();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md"))
        .map_err(|e| format!("ARCHITECTURE.md: {e}"))?;
    let mut findings = named_paths_missing(&doc, &files);
    findings.extend(source_folders_unnamed(&doc, &files));
    findings.extend(imports_up_a_layer(&root, &files));
    if findings.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "ARCHITECTURE.md and the tree disagree:\n  {}",
            findings.join("\n  ")
        ))
    }
}

/// The spans of `doc` written as code (`like this`) that look like paths.
fn code_paths(doc: &str) -> Vec<&str> {
    doc.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            let looks_like_file = [".rs", ".toml", ".md", ".js", ".html", ".sql"]
                .iter()
                .any(|ext| s.ends_with(ext));
            (s.contains('/') || looks_like_file)
                && !s.starts_with('/')
                && !s.contains(char::is_whitespace)
                && !s.contains("::")
                && !s.contains("://")
                && !s.contains(['{', '*', '<', '…'])
        })
        .collect()
}

/// Paths the page names that are not in the tree: a path counts when it is a tracked
/// file or folder from the root, or the tail of one (`auth.rs` in `crates/cvi-server/src/`).
fn named_paths_missing(doc: &str, files: &[&str]) -> Vec<String> {
    let mut known: BTreeSet<String> = BTreeSet::new();
    for f in files {
        known.insert(f.to_string());
        let mut p = Path::new(f).parent();
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            known.insert(format!("{}/", d.display()));
            p = d.parent();
        }
    }
    code_paths(doc)
        .into_iter()
        .filter(|name| {
            !known
                .iter()
                .any(|k| k == name || k.ends_with(&format!("/{name}")))
        })
        .map(|name| format!("`{name}` is named but no such file or folder exists"))
        .collect()
}

/// Folders holding Rust sources that the page does not name (as `folder/`).
fn source_folders_unnamed(doc: &str, files: &[&str]) -> Vec<String> {
    let named: BTreeSet<&str> = code_paths(doc).into_iter().collect();
    files
        .iter()
        .filter(|f| f.ends_with(".rs"))
        .map(|f| match Path::new(f).parent() {
            Some(d) if !d.as_os_str().is_empty() => format!("{}/", d.display()),
            _ => String::new(),
        })
        .filter(|d| !d.is_empty())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .filter(|d| !named.contains(d.as_str()))
        .map(|d| format!("the source folder `{d}` is not named"))
        .collect()
}

/// `use` lines (and paths in code) that run back up a layer.
fn imports_up_a_layer(root: &Path, files: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (prefix, forbidden) in LAYER_RULES {
        for f in files
            .iter()
            .filter(|f| f.starts_with(prefix) && f.ends_with(".rs"))
        {
            let Ok(text) = std::fs::read_to_string(root.join(f)) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for word in forbidden.iter().filter(|w| code.contains(**w)) {
                    found.push(format!("{f}:{}: `{word}` runs back up a layer", n + 1));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_agrees_with_its_architecture_page() {
        check().unwrap();
    }

    #[test]
    fn a_renamed_file_and_an_unnamed_folder_are_found() {
        let files = ["crates/a/src/lib.rs", "crates/a/src/new/mod.rs"];
        let doc = "`crates/a/src/` holds `lib.rs` and `gone.rs`; see `/api/v1` and `x::y`.";
        assert_eq!(
            named_paths_missing(doc, &files),
            ["`gone.rs` is named but no such file or folder exists"]
        );
        assert_eq!(
            source_folders_unnamed(doc, &files),
            ["the source folder `crates/a/src/new/` is not named"]
        );
    }

    #[test]
    fn a_use_case_that_imports_a_front_door_is_found() {
        let dir = std::env::temp_dir().join(format!("cvi-arch-{}", std::process::id()));
        let f = "crates/cvi-server/src/usecases/x.rs";
        std::fs::create_dir_all(dir.join("crates/cvi-server/src/usecases")).unwrap();
        std::fs::write(
            dir.join(f),
            "//! Not `crate::sip` in a comment.\nuse crate::api::meetings; // axum\n",
        )
        .unwrap();
        let found = imports_up_a_layer(&dir, &[f]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, [format!("{f}:2: `crate::api` runs back up a layer")]);
    }
}
