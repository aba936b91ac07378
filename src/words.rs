//! Words in the page's language. Each bundle carries its English only, which is also the
//! key: the other languages (de, fr, es, ja) are JSON files, English → translation, fetched
//! once before the page shows, so a user downloads the one language they read. A word
//! missing from a file (or a file that cannot be had) shows in English.
//!
//! Two sets of files: [`ADDIN`] (the pane, scheduler, command and Teams tab; their English
//! is in `i18n`'s table and the tab's) and [`CONSOLE`] (the admin console). `tests/words.rs`
//! checks that every text said through [`tr`], [`tr_with`] or [`en`] is in every file of
//! its set, with the same `{placeholders}`, and that no file holds words no longer said.

use std::cell::RefCell;

use cvi_core::invite::Lang;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// (English, the page's language), in the file's order, which is sorted by the English
    /// (`tests/words.rs` holds the files to it), so a binary search finds a word without a
    /// hash map or a sort in the bundle. Empty for English (or when the file was not there).
    static WORDS: RefCell<Vec<(&'static str, &'static str)>> = const { RefCell::new(Vec::new()) };
}

/// Marks English that is said later through [`tr`] (an entry of a table), so the
/// words check finds it.
pub const fn en(text: &'static str) -> &'static str {
    text
}

/// The add-in's words: `static/words/<lang>.json`.
pub const ADDIN: &str = "words";
/// The console's words: `static/admin-words/<lang>.json`.
pub const CONSOLE: &str = "admin-words";

/// `en` in the page's language.
pub fn tr(en: &'static str) -> &'static str {
    WORDS.with(|w| {
        let w = w.borrow();
        w.binary_search_by(|(key, _)| (*key).cmp(en))
            .map_or(en, |i| w[i].1)
    })
}

/// `en` in the page's language, each `{name}` replaced by its value.
pub fn tr_with(en: &'static str, values: &[(&str, &str)]) -> String {
    let mut out = tr(en).to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Fetches the words of `lang` from the set `dir` ([`ADDIN`] or [`CONSOLE`]; nothing for
/// English). The page is said in English when they cannot be had: a network error here
/// must not keep anyone out.
pub async fn load(dir: &str, lang: Lang) {
    if lang == Lang::En {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    // Relative: the pages are siblings of the word files wherever the server mounts them.
    let url = format!("{dir}/{}.json", lang.code());
    let Ok(reply) = JsFuture::from(window.fetch_with_str(&url)).await else {
        return;
    };
    let Ok(reply) = reply.dyn_into::<web_sys::Response>() else {
        return;
    };
    if !reply.ok() {
        return;
    }
    let Some(json) = (match reply.json() {
        Ok(p) => JsFuture::from(p).await.ok(),
        Err(_) => None,
    }) else {
        return;
    };
    let mut words = Vec::new();
    for pair in js_sys::Object::entries(json.unchecked_ref()).iter() {
        let pair: js_sys::Array = pair.unchecked_into();
        if let (Some(en), Some(said)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            // Loaded once per page and kept for its life.
            words.push((&*en.leak(), &*said.leak()));
        }
    }
    WORDS.with(|w| *w.borrow_mut() = words);
}
