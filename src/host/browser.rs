//! A plain browser page (the standalone scheduler `cvi serve` serves at `/`). The token
//! comes from the page link (`#token=…`, what `cargo xtask serve` prints) or from the
//! demo sign-in, and is kept for the tab's session only.

use super::{Host, HostFuture, HostKind, Theme};

const TOKEN_KEY: &str = "cvi.token";

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Moves a `#token=…` from the address bar into session storage (and out of the URL, so
/// it is not bookmarked or shared by accident).
fn take_token_from_fragment() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hash = window.location().hash().unwrap_or_default();
    if let Some(token) = hash.strip_prefix("#token=") {
        if let Some(s) = session() {
            let _ = s.set_item(TOKEN_KEY, token);
        }
        if let Ok(history) = window.history() {
            let path = window.location().pathname().unwrap_or_default()
                + &window.location().search().unwrap_or_default();
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
        }
    }
}

/// Keeps `token` for this tab (the demo sign-in), or forgets it with `None`.
pub fn remember_token(token: Option<&str>) {
    if let Some(s) = session() {
        let _ = match token {
            Some(t) => s.set_item(TOKEN_KEY, t),
            None => s.remove_item(TOKEN_KEY),
        };
    }
}

pub struct BrowserHost {
    locale: String,
}

impl BrowserHost {
    pub fn new() -> BrowserHost {
        take_token_from_fragment();
        let locale = web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_else(|| "en".into());
        BrowserHost { locale }
    }
}

impl Default for BrowserHost {
    fn default() -> Self {
        Self::new()
    }
}

impl Host for BrowserHost {
    fn kind(&self) -> HostKind {
        HostKind::Browser
    }

    fn theme(&self) -> Theme {
        super::system_theme()
    }

    fn locale(&self) -> String {
        self.locale.clone()
    }

    fn token(&self) -> HostFuture<'_, Option<String>> {
        Box::pin(async { Ok(session().and_then(|s| s.get_item(TOKEN_KEY).ok().flatten())) })
    }
}

/// A fresh unique id for a new meeting (`<prefix>-<uuid>`), from the browser's crypto.
pub fn new_meeting_key(prefix: &str) -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| format!("{prefix}-{}", c.random_uuid()))
        // Integer formatting: f64's Display costs 10 KB of wasm.
        .unwrap_or_else(|| format!("{prefix}-{}", js_sys::Date::now() as u64))
}

/// Offers `contents` as a file download.
pub fn download(name: &str, mime: &str, contents: &str) -> Result<(), super::HostError> {
    use wasm_bindgen::{JsCast, JsValue};
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or(super::HostError("no document".into()))?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// Puts `text` on the clipboard.
pub async fn copy_text(text: &str) -> Result<(), super::HostError> {
    let clipboard = web_sys::window()
        .map(|w| w.navigator().clipboard())
        .ok_or(super::HostError("no clipboard".into()))?;
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text)).await?;
    Ok(())
}
