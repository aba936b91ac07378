//! Where the add-in runs. Components and the workflow talk to Outlook, Teams or a plain
//! browser page only through [`Host`] and [`Appointment`]; `Office` and `microsoftTeams`
//! are named in `office.js` / `teams.js` and nowhere else.

pub mod browser;
mod outlook;
mod teams;

use std::{cell::RefCell, future::Future, pin::Pin, rc::Rc};

use cvi_core::invite::BodyKind;

pub use browser::BrowserHost;
pub use outlook::{associate_command, OutlookHost};
pub use teams::TeamsHost;

/// A host call that did not work, in the host's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError(pub String);

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<wasm_bindgen::JsValue> for HostError {
    fn from(v: wasm_bindgen::JsValue) -> Self {
        let msg = js_sys::Reflect::get(&v, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| v.as_string())
            .unwrap_or_else(|| "the host reported an error without a message".into());
        HostError(msg)
    }
}

/// Host calls are asynchronous (Office.js, teams-js); wasm is single-threaded, so not Send.
pub type HostFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, HostError>> + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Outlook,
    Teams,
    Browser,
}

/// The host's theme; the page follows it through `data-theme` on `<html>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    Contrast,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Contrast => "contrast",
        }
    }

    /// A CSS colour's lightness decides (Office reports `#RRGGBB` backgrounds).
    pub fn from_background(hex: &str) -> Theme {
        let h = hex.trim_start_matches('#');
        let c = |i: usize| {
            h.get(i..i + 2)
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .map_or(255.0, f64::from)
        };
        let luma = 0.299 * c(0) + 0.587 * c(2) + 0.114 * c(4);
        if luma < 128.0 {
            Theme::Dark
        } else {
            Theme::Light
        }
    }
}

/// A meeting body in its coercion type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub kind: BodyKind,
    pub value: String,
}

/// A meeting's recurrence, as far as its coordinates' lifetime goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Series {
    /// One meeting.
    Single,
    /// A series that ends then (RFC 3339 UTC).
    Until(String),
    /// A series without an end date.
    Endless,
}

/// RFC 3339 UTC start and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Times {
    pub start: String,
    pub end: String,
}

/// Outcome kinds of [`Appointment::notify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Info,
    Error,
}

/// The meeting being composed (Outlook's appointment organizer form).
pub trait Appointment {
    fn subject(&self) -> HostFuture<'_, String>;
    fn times(&self) -> HostFuture<'_, Times>;
    /// Whether the meeting recurs, and until when (so coordinates live until the series is
    /// over).
    fn series(&self) -> HostFuture<'_, Series>;
    fn body(&self) -> HostFuture<'_, Body>;
    fn set_body(&self, body: Body) -> HostFuture<'_, ()>;
    fn location(&self) -> HostFuture<'_, String>;
    fn set_location(&self, location: String) -> HostFuture<'_, ()>;
    /// The meeting key kept with the item (a custom property).
    fn meeting_key(&self) -> HostFuture<'_, Option<String>>;
    fn set_meeting_key(&self, key: Option<String>) -> HostFuture<'_, ()>;
    /// A short message in the host's own notification bar.
    fn notify(&self, kind: Notice, message: String) -> HostFuture<'_, ()>;
}

/// The page's host.
pub trait Host {
    fn kind(&self) -> HostKind;
    fn theme(&self) -> Theme;
    /// BCP 47 language of the host UI.
    fn locale(&self) -> String;
    /// A bearer token for the policy API (Office SSO, Teams SSO, or the dev token).
    fn token(&self) -> HostFuture<'_, Option<String>>;
    /// The meeting being composed, where the host has one.
    fn appointment(&self) -> Option<&dyn Appointment> {
        None
    }
}

/// `?host=outlook|teams` in the page URL (what the manifests put there).
fn requested_host() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params.get("host").map(|h| h.to_ascii_lowercase())
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<dyn Host>>> = const { RefCell::new(None) };
}

/// Finds the host once: Outlook if Office.js reports an item, Teams if teams-js
/// initializes, else the plain browser. Office.js / teams-js are loaded from Microsoft's
/// CDN only when the URL asks for that host and the page has not loaded them already.
pub async fn detect() -> Rc<dyn Host> {
    let wanted = requested_host();
    let host: Rc<dyn Host> =
        if let Some(h) = OutlookHost::detect(wanted.as_deref() == Some("outlook")).await {
            Rc::new(h)
        } else if let Some(h) = TeamsHost::detect(wanted.as_deref() == Some("teams")).await {
            Rc::new(h)
        } else {
            Rc::new(BrowserHost::new())
        };
    CURRENT.with(|c| *c.borrow_mut() = Some(host.clone()));
    host
}

/// The host found by [`detect`]. Panics before detection: the app mounts only after it.
pub fn current() -> Rc<dyn Host> {
    CURRENT.with(|c| {
        c.borrow()
            .clone()
            .expect("host::detect ran before the app mounted")
    })
}

/// Applies the theme to the page (`<html data-theme=…>`).
pub fn apply_theme(theme: Theme) {
    set_root_attribute("data-theme", theme.as_str());
}

/// The language of the host's locale, set on the page (`<html lang=…>`: screen readers and
/// hyphenation follow it) and returned for the page's words.
pub fn apply_lang(host: &dyn Host) -> cvi_core::invite::Lang {
    let lang = cvi_core::invite::Lang::for_display(&host.locale());
    set_root_attribute("lang", lang.code());
    lang
}

fn set_root_attribute(name: &str, value: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute(name, value);
    }
}

/// The browser's preferred colour scheme.
pub fn system_theme() -> Theme {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark {
        Theme::Dark
    } else {
        Theme::Light
    }
}
