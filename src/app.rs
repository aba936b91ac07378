//! The root component of index.html: the task pane in Outlook, the scheduler in a plain
//! browser page; in Teams it hands over to the tab's own page (`/teams`).

use leptos::prelude::*;

use crate::{
    host::{self, HostKind},
    pane::Pane,
    scheduler::Scheduler,
};

/// The add-in's root component. `host::detect` has run before it mounts.
#[component]
pub fn App() -> impl IntoView {
    let host = host::current();
    let lang = host::apply_lang(&*host);
    match host.kind() {
        HostKind::Outlook => view! { <Pane lang=lang /> }.into_any(),
        // The tab is its own page and bundle (teams.html): the pane stays small.
        HostKind::Teams => {
            if let Some(w) = web_sys::window() {
                let search = w.location().search().unwrap_or_default();
                let _ = w.location().replace(&format!("/teams{search}"));
            }
            view! { <p role="status">"…"</p> }.into_any()
        }
        HostKind::Browser => view! { <Scheduler lang=lang /> }.into_any(),
    }
}
