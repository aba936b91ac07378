//! The page: today a preview of one meeting's video conferencing details, rendered by
//! cvi-core exactly as the invite will carry them.

use cvi_core::{
    invite::{self, Lang},
    Coordinates,
};
use leptos::prelude::*;

use crate::sample::demo_coordinates;

/// The browser's language, for the block (English when we do not have it).
fn browser_lang() -> Lang {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .map_or(Lang::En, |l| Lang::parse(&l))
}

/// The add-in's root component.
#[component]
pub fn App() -> impl IntoView {
    let coords = demo_coordinates();
    let block = invite::render(&coords, browser_lang());
    view! {
        <main class="pane">
            <h1>"Video conferencing details"</h1>
            <p class="hint">"Room systems join this Teams meeting with these coordinates."</p>
            <CoordinatesCard coords=coords />
            <h2 class="section">"Invite preview"</h2>
            // cvi-core escapes every value it writes into the block.
            <div class="preview" data-testid="block-preview" inner_html=block.html></div>
            <details>
                <summary>"Plain-text version"</summary>
                <pre data-testid="block-text">{block.text}</pre>
            </details>
        </main>
    }
}

/// The coordinates as a room user reads them: tenant key, Video ID, dial strings, link.
#[component]
fn CoordinatesCard(coords: Coordinates) -> impl IntoView {
    let tenant_key = coords.tenant_key.map(|t| t.to_string()).unwrap_or_default();
    let video_id = coords.video_id.map(|v| v.grouped()).unwrap_or_default();
    let direct = coords.direct_dial_uri.unwrap_or_default();
    let more_info = coords.more_info_url.unwrap_or_default();
    view! {
        <section class="card" aria-label="Coordinates">
            <dl>
                <dt>"Tenant key"</dt>
                <dd data-field="tenant-key">{tenant_key}</dd>
                <dt>"Video ID"</dt>
                <dd data-field="video-id" class="video-id">{video_id}</dd>
                <dt>"Direct dial"</dt>
                <dd data-field="direct-dial">{direct}</dd>
            </dl>
            <a href=more_info target="_blank" rel="noopener">"More info"</a>
        </section>
    }
}
