//! A plain browser page (the standalone scheduler `cvi serve` serves at `/`). The token
//! comes from the page link (`#token=…`, what `cargo xtask serve` prints) or from the
//! demo sign-in, and is kept for the tab's session only.

use super::{Host, HostFuture, HostKind, Theme};

const TOKEN_KEY: &str = "cvi.token";
/// A `#token=…` that arrived while another session was signed in: kept aside until the
/// person says which to use (a link must not sign anyone in silently as someone else —
/// login CSRF).
const PENDING_KEY: &str = "cvi.token.pending";

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
            let current = s.get_item(TOKEN_KEY).ok().flatten();
            let key = match current {
                Some(c) if c != token => PENDING_KEY,
                _ => TOKEN_KEY,
            };
            let _ = s.set_item(key, token);
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

/// Who a token names, as its claims say (read, not verified: the server verifies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub user: String,
    pub tenant: String,
}

/// The user and tenant claims of a JWT, if it is one.
pub fn who(token: &str) -> Option<Who> {
    let payload = token.split('.').nth(1)?;
    let mut b64: String = payload
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !b64.len().is_multiple_of(4) {
        b64.push('=');
    }
    let json = web_sys::window()?.atob(&b64).ok()?;
    let claims = js_sys::JSON::parse(&json).ok()?;
    let claim = |name: &str| {
        js_sys::Reflect::get(&claims, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    Some(Who {
        user: claim("upn")
            .or_else(|| claim("preferred_username"))
            .or_else(|| claim("appid"))
            .unwrap_or_default(),
        tenant: claim("tid").unwrap_or_default(),
    })
}

/// A link's sign-in waiting for an answer: who it would sign in, who is signed in.
pub fn pending_switch() -> Option<(Who, Who)> {
    let s = session()?;
    let pending = s.get_item(PENDING_KEY).ok().flatten()?;
    let current = s.get_item(TOKEN_KEY).ok().flatten()?;
    let unknown = || Who {
        user: "?".into(),
        tenant: "?".into(),
    };
    Some((
        who(&pending).unwrap_or_else(unknown),
        who(&current).unwrap_or_else(unknown),
    ))
}

/// The person's answer: `true` signs in with the link's token (returned), `false` keeps
/// the session. Either way the link's token is forgotten.
pub fn settle_switch(switch: bool) -> Option<String> {
    let s = session()?;
    let pending = s.get_item(PENDING_KEY).ok().flatten();
    let _ = s.remove_item(PENDING_KEY);
    let token = pending.filter(|_| switch)?;
    let _ = s.set_item(TOKEN_KEY, &token);
    Some(token)
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
