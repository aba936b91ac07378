//! The root component: the task pane in Outlook, the Teams tab in Teams, the scheduler in a
//! plain browser page.

use cvi_core::invite::Lang;
use leptos::prelude::*;

use crate::{
    host::{self, HostKind},
    pane::Pane,
    scheduler::Scheduler,
    teams_tab::TeamsTab,
};

/// The add-in's root component. `host::detect` has run before it mounts.
#[component]
pub fn App() -> impl IntoView {
    let host = host::current();
    let lang = Lang::for_display(&host.locale());
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", lang.code());
    }
    match host.kind() {
        HostKind::Outlook => view! { <Pane lang=lang /> }.into_any(),
        HostKind::Teams => view! { <TeamsTab lang=lang /> }.into_any(),
        HostKind::Browser => view! { <Scheduler lang=lang /> }.into_any(),
    }
}
