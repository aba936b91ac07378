//! The roots of the organizer's two Leptos pages. `index.html` (`/`) is the standalone
//! scheduler; `pane.html` (`/pane`, the manifests' pane URL) is the Outlook task pane. Each
//! is its own bundle, so Outlook does not download the scheduler (about a third of the pane
//! when they were one). A page opened in the wrong host sends the user to the right one:
//! the tab is `/teams`.

use leptos::prelude::*;

use crate::{
    host::{self, HostKind},
    pane::Pane,
    scheduler::Scheduler,
};

/// The root of `index.html`. `host::detect` has run before it mounts.
#[component]
pub fn App() -> impl IntoView {
    let host = host::current();
    let lang = host::apply_lang(&*host);
    match host.kind() {
        // A pane URL from before the pane had its own page (`/?host=outlook`).
        HostKind::Outlook => moving("/pane"),
        HostKind::Teams => moving("/teams"),
        HostKind::Browser => view! { <Scheduler lang=lang /> }.into_any(),
    }
}

/// The root of `pane.html`. `host::detect` has run before it mounts.
#[component]
pub fn PanePage() -> impl IntoView {
    let host = host::current();
    let lang = host::apply_lang(&*host);
    match host.kind() {
        HostKind::Outlook => view! { <Pane lang=lang /> }.into_any(),
        // Not in Outlook: the scheduler (or, in Teams, the tab) is the page for this host.
        _ => moving("/"),
    }
}

/// Replaces this page by `path`, keeping the query (`?host=…`) and the fragment
/// (`#token=…`); a status line shows meanwhile.
fn moving(path: &str) -> AnyView {
    if let Some(w) = web_sys::window() {
        let l = w.location();
        let (search, hash) = (l.search().unwrap_or_default(), l.hash().unwrap_or_default());
        let _ = l.replace(&format!("{path}{search}{hash}"));
    }
    view! { <p role="status">"…"</p> }.into_any()
}
