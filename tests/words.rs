//! The pages' words in their other languages. Two sets: the add-in's (pane, scheduler,
//! command, Teams tab: `src/` outside `src/admin/`) in static/words/, and the console's
//! (`src/admin/`) in static/admin-words/. Every English text a set says through `tr`,
//! `tr_with` or `en` has a translation in each of its {de,fr,es,ja}.json, with the same
//! `{placeholders}`; no file keeps a text no longer said; a translation is not the English
//! left in place (names and codes aside); and each file is sorted by its English, which
//! `src/words.rs` looks words up in by binary search. Read from the sources themselves, so
//! a text added without its translations fails here.
#![cfg(not(target_arch = "wasm32"))]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

const LANGS: [&str; 4] = ["de", "fr", "es", "ja"];

/// Texts that read the same in a language (a product name, a code, a word borrowed).
const SAME: [&str; 5] = ["global", "Status", "Action", "Actions", "Sections"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The string literal starting at `s` (just after its opening quote), unescaped.
fn literal(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    None
}

/// The Rust files of `dir` and its subfolders, but not `skip`.
fn sources(dir: &Path, skip: &[&str], out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if skip.iter().any(|s| path.ends_with(s)) {
            continue;
        }
        if path.is_dir() {
            sources(&path, skip, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Every text of the `tr("…")`, `tr_with("…", …)` and `en("…")` calls in `files`.
fn said(files: &[std::path::PathBuf]) -> BTreeSet<String> {
    let mut texts = BTreeSet::new();
    for path in files {
        let src = fs::read_to_string(path).unwrap();
        for call in ["tr(", "tr_with(", "en("] {
            let mut rest = src.as_str();
            while let Some(at) = rest.find(call) {
                let before = rest[..at].chars().last();
                rest = &rest[at + call.len()..];
                // `str(` or `len(` are other functions.
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let arg = rest.trim_start();
                if let Some(text) = arg.strip_prefix('"').and_then(literal) {
                    texts.insert(text);
                }
            }
        }
    }
    texts
}

/// The `{name}`s of a text.
fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name))
        .collect()
}

/// Holds each file of `dir` to `said`.
fn check(dir: &str, said: &BTreeSet<String>) {
    for lang in LANGS {
        let file = root().join(format!("static/{dir}/{lang}.json"));
        let text = fs::read_to_string(&file).unwrap();
        let words: BTreeMap<String, String> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let missing: Vec<_> = said.iter().filter(|t| !words.contains_key(*t)).collect();
        assert!(missing.is_empty(), "{dir}/{lang}.json lacks {missing:#?}");
        let stale: Vec<_> = words.keys().filter(|t| !said.contains(*t)).collect();
        assert!(
            stale.is_empty(),
            "{dir}/{lang}.json holds texts no longer said: {stale:#?}"
        );
        for (en, there) in &words {
            assert!(!there.trim().is_empty(), "{lang}: {en:?} is empty");
            assert_eq!(
                placeholders(en),
                placeholders(there),
                "{lang}: {en:?} → {there:?} changes its placeholders"
            );
            let kept = there == en && !SAME.contains(&en.as_str()) && en.len() > 4;
            assert!(!kept, "{lang}: {en:?} is left in English");
        }
        // The file's own order (a JSON object read into a map would hide it).
        let in_file: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.trim_start()
                    .strip_prefix('"')
                    .and_then(|l| l.split_once("\": "))
            })
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            in_file.len(),
            words.len(),
            "{dir}/{lang}.json: one word per line"
        );
        assert!(
            in_file.windows(2).all(|w| w[0] < w[1]),
            "{dir}/{lang}.json is not sorted by its English (byte order)"
        );
    }
}

#[test]
fn every_word_of_the_console_is_in_every_language() {
    let mut files = Vec::new();
    sources(&root().join("src/admin"), &[], &mut files);
    let said = said(&files);
    assert!(said.len() > 100, "the console says {} texts?", said.len());
    assert!(said.contains("Audit log") && said.contains("Edit {name}"));
    check("admin-words", &said);
}

#[test]
fn every_word_of_the_add_in_is_in_every_language() {
    let mut files = Vec::new();
    sources(
        &root().join("src"),
        &["src/admin", "src/words.rs"],
        &mut files,
    );
    let said = said(&files);
    assert!(said.len() > 60, "the add-in says {} texts?", said.len());
    assert!(said.contains("Tenant key") && said.contains("Schedule Teams meeting"));
    check("words", &said);
}
