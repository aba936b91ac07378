//! The admin console's words: every English text the console says through `tr`, `tr_with`
//! or `en` (src/admin) has a translation in each of static/admin-words/{de,fr,es,ja}.json,
//! with the same `{placeholders}`; no file keeps a text the console no longer says; and a
//! translation is not the English left in place (names and codes aside). Read from the
//! sources themselves, so a text added to the console without its translations fails here.
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

/// Every text of the console's `tr("…")`, `tr_with("…", …)` and `en("…")` calls.
fn said() -> BTreeSet<String> {
    let mut texts = BTreeSet::new();
    for entry in fs::read_dir(root().join("src/admin")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "words.rs") {
            continue;
        }
        let src = fs::read_to_string(&path).unwrap();
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

#[test]
fn every_word_of_the_console_is_in_every_language() {
    let said = said();
    assert!(said.len() > 100, "the console says {} texts?", said.len());
    assert!(said.contains("Audit log") && said.contains("Edit {name}"));
    for lang in LANGS {
        let file = root().join(format!("static/admin-words/{lang}.json"));
        let words: BTreeMap<String, String> =
            serde_json::from_str(&fs::read_to_string(&file).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let missing: Vec<_> = said.iter().filter(|t| !words.contains_key(*t)).collect();
        assert!(missing.is_empty(), "{lang}.json lacks {missing:#?}");
        let stale: Vec<_> = words.keys().filter(|t| !said.contains(*t)).collect();
        assert!(
            stale.is_empty(),
            "{lang}.json holds texts no longer said: {stale:#?}"
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
    }
}
