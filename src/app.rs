//! The page: today a preview of one meeting's video conferencing details.

use cvi_core::Coordinates;
use leptos::prelude::*;

use crate::sample::demo_coordinates;

/// The add-in's root component.
#[component]
pub fn App() -> impl IntoView {
    let coords = demo_coordinates();
    view! {
        <main class="pane">
            <h1>"Video conferencing details"</h1>
            <p class="hint">"Room systems join this Teams meeting with these coordinates."</p>
            <CoordinatesCard coords=coords />
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
        <section class="card" aria-label="Join on a video conferencing device">
            <h2>"Join on a video conferencing device"</h2>
            <dl>
                <dt>"Tenant key"</dt>
                <dd data-field="tenant-key">{tenant_key}</dd>
                <dt>"Video ID"</dt>
                <dd data-field="video-id" class="video-id">{video_id}</dd>
                <dt>"Direct dial"</dt>
                <dd data-field="direct-dial">{direct}</dd>
            </dl>
            <a href=more_info.clone() target="_blank" rel="noopener">"More info"</a>
        </section>
    }
}
