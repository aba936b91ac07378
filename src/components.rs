//! Small pieces both views use: the coordinates card, the status line, the block preview.

use cvi_core::{
    https_url::HttpsUrl,
    invite::{self, Lang},
    Coordinates,
};
use leptos::prelude::*;

use crate::{
    i18n::{rows, t, Key},
    words::tr_with,
};

/// The coordinates as a room user reads them: tenant key, Video ID, dial string, link.
/// Fields a foreign block does not carry are left out rather than shown empty.
#[component]
pub fn CoordinatesCard(coords: Coordinates) -> impl IntoView {
    let tenant_key = coords.tenant_key.map(|k| k.to_string());
    let video_id = coords.video_id.map(|v| v.grouped());
    let direct = coords.direct_dial_uri;
    // A foreign block's link comes from someone else's invite: only what a browser would
    // open as https becomes a link (`java\tscript:` is `javascript:` to it).
    let more_info = coords
        .more_info_url
        .and_then(|u| HttpsUrl::parse(&u))
        .map(|u| u.as_str().to_string());
    view! {
        <section class="card" aria-label=t(Key::Title)>
            <dl>
                {tenant_key.map(|v| view! { <dt>{t(Key::TenantKey)}</dt><dd data-field="tenant-key">{v}</dd> })}
                {video_id.map(|v| view! { <dt>{t(Key::VideoId)}</dt><dd data-field="video-id" class="video-id">{v}</dd> })}
                {direct.map(|v| view! { <dt>{t(Key::DirectDial)}</dt><dd data-field="direct-dial">{v}</dd> })}
            </dl>
            {more_info.map(|href| view! { <a href=href target="_blank" rel="noopener">{t(Key::MoreInfo)}</a> })}
        </section>
    }
}

/// How a status line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Warning,
    Error,
}

/// One status message with an optional detail line; announced to screen readers.
#[component]
pub fn Status(tone: Tone, key: Key, #[prop(optional)] detail: String) -> impl IntoView {
    view! { <StatusLine tone=tone name=format!("{key:?}") text=t(key) detail=detail /> }
}

/// [`Status`] for words that are not in the shared table (a page's own): `name` is what
/// `data-status` says, `text` what the user reads.
#[component]
pub fn StatusLine(
    tone: Tone,
    name: String,
    text: &'static str,
    #[prop(optional)] detail: String,
) -> impl IntoView {
    let class = match tone {
        Tone::Info => "status info",
        Tone::Success => "status success",
        Tone::Warning => "status warning",
        Tone::Error => "status error",
    };
    let role = if tone == Tone::Error {
        "alert"
    } else {
        "status"
    };
    let has_detail = !detail.is_empty();
    view! {
        <div class=class role=role data-status=name>
            <p>{text}</p>
            {has_detail.then(|| view! { <p class="detail">{detail}</p> })}
        </div>
    }
}

/// The block as the invite will carry it (HTML rendered, text on demand).
#[component]
pub fn BlockPreview(coords: Coordinates, lang: Lang) -> impl IntoView {
    // cvi-core escapes every value it writes into the block (here or on the server).
    let block = invite::block_of(&coords, lang);
    view! {
        <h2 class="section">{t(Key::Preview)}</h2>
        <div class="preview" data-testid="block-preview" inner_html=block.html></div>
        <details>
            <summary>{t(Key::PlainText)}</summary>
            <pre data-testid="block-text">{block.text}</pre>
        </details>
    }
}

/// Asks before a `#token=…` link replaces the signed-in session (login CSRF): who the link
/// would sign in, who is signed in, and the choice. `token` gets the link's token when the
/// person switches.
#[component]
pub fn SwitchAccount(token: RwSignal<Option<String>>) -> impl IntoView {
    let pending = RwSignal::new(crate::host::browser::pending_switch());
    let settle = move |switch: bool| {
        if let Some(t) = crate::host::browser::settle_switch(switch) {
            token.set(Some(t));
        }
        pending.set(None);
    };
    move || {
        pending.get().map(|(link, me)| {
            let text = tr_with(
                rows::SwitchPrompt,
                &[
                    ("who", &link.user),
                    ("tenant", &link.tenant),
                    ("me", &me.user),
                    ("my", &me.tenant),
                ],
            );
            view! {
                <section class="switch-account" role="alertdialog" aria-labelledby="switch-text">
                    <p id="switch-text">{text}</p>
                    <div class="actions">
                        <button type="button" class="stay" on:click=move |_| settle(false)>{t(Key::StaySignedIn)}</button>
                        <button type="button" class="switch" on:click=move |_| settle(true)>{t(Key::SwitchAccount)}</button>
                    </div>
                </section>
            }
        })
    }
}
