//! The roots of the organizer's two Leptos pages. `index.html` (`/`) is the standalone
//! scheduler; `pane.html` (`/pane`, the manifests' pane URL) is the Outlook task pane. Each
//! is its own bundle, so Outlook does not download the scheduler (about a third of the pane
//! when they were one). A page opened in the wrong host sends the user to the right one:
//! the tab is `/teams`.

use cvi_core::invite::Lang;
use leptos::prelude::*;

use crate::{
    host::{self, HostKind},
    pane::Pane,
    scheduler::Scheduler,
    words,
};

/// How every Leptos page starts: find the host, follow its theme and language, fetch the
/// words of that language from `words_dir` (English is built in), then mount `root`.
pub fn start<N: IntoView + 'static>(
    words_dir: &'static str,
    root: impl FnOnce(Lang) -> N + 'static,
) {
    console_error_panic_hook::set_once();
    // Leptos starts its executor when it mounts; until then, wasm-bindgen-futures runs this.
    wasm_bindgen_futures::spawn_local(async move {
        let host = host::detect().await;
        host::apply_theme(host.theme());
        let lang = host::apply_lang(&*host);
        words::load(words_dir, lang).await;
        leptos::mount::mount_to_body(move || root(lang));
    });
}

/// The root of `index.html`, mounted by [`start`].
pub fn index(lang: Lang) -> impl IntoView {
    match host::current().kind() {
        // A pane URL from before the pane had its own page (`/?host=outlook`).
        HostKind::Outlook => moving("/pane"),
        HostKind::Teams => moving("/teams"),
        HostKind::Browser => view! { <Scheduler lang=lang /> }.into_any(),
    }
}

/// The root of `pane.html`, mounted by [`start`].
pub fn pane(lang: Lang) -> impl IntoView {
    match host::current().kind() {
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
