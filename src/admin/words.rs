//! The console's words, in the add-in's five languages.
//!
//! The English text is the key, and it is all the bundle carries: the other four are
//! `static/admin-words/<lang>.json` (English → translation), fetched once before the
//! console shows, so an admin downloads the one language they read and the console's
//! bundle does not grow by four. A word missing from a file shows in English;
//! `tests/admin_words.rs` checks that every `tr("…")` of `src/admin` is in every file,
//! with the same `{placeholders}`, and that no file holds words the console no longer says.

use std::{cell::RefCell, collections::HashMap};

use cvi_core::invite::Lang;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// English → the console's language; empty for English (or when the file was not there).
    static WORDS: RefCell<HashMap<&'static str, &'static str>> = RefCell::new(HashMap::new());
}

/// Marks English that is said later through [`tr`] (an entry of a table), so the
/// words check finds it.
pub const fn en(text: &'static str) -> &'static str {
    text
}

/// `en` in the console's language.
pub fn tr(en: &'static str) -> &'static str {
    WORDS.with(|w| w.borrow().get(en).copied().unwrap_or(en))
}

/// `en` in the console's language, each `{name}` replaced by its value.
pub fn tr_with(en: &'static str, values: &[(&str, &str)]) -> String {
    let mut out = tr(en).to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Fetches the words of `lang` (nothing for English). The console is said in English
/// when they cannot be had: a network error here must not keep an admin out.
pub async fn load(lang: Lang) {
    if lang == Lang::En {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let url = format!("admin-words/{}.json", lang.code());
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
    let mut words = HashMap::new();
    for pair in js_sys::Object::entries(json.unchecked_ref()).iter() {
        let pair: js_sys::Array = pair.unchecked_into();
        if let (Some(en), Some(said)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            // Loaded once per page and kept for its life.
            words.insert(&*en.leak(), &*said.leak());
        }
    }
    WORDS.with(|w| *w.borrow_mut() = words);
}
