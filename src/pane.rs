//! The Outlook task pane (appointment organizer): the user's provider, "Add video
//! conferencing details", then "Update" and "Remove", with a clear state for every outcome.

use cvi_core::{invite::Lang, Coordinates};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{Api, Effective},
    components::{CoordinatesCard, Status, Tone},
    host::{self, Notice},
    i18n::{t, Key},
    workflow::{self, Failure},
};

#[derive(Debug, Clone, PartialEq)]
enum State {
    Loading,
    /// Ready to act; `added` when the item already carries our meeting key, `stale` when
    /// the item's times differ from what the server has for it.
    Ready {
        policy: Effective,
        added: bool,
        stale: bool,
    },
    /// The policy says no: nothing to do but ask the admin.
    NotEnabled {
        reason: String,
    },
    Working,
    Done {
        message: Key,
        coords: Option<Coordinates>,
        /// Something the user should know besides (the SIP URI found no room, say).
        note: Option<Key>,
    },
    Failed(Failure),
}

/// A token from the host, then the API.
async fn api() -> Result<Api, Failure> {
    match host::current().token().await {
        Ok(Some(t)) => Ok(Api::new(Some(t))),
        Ok(None) => Err(Failure::SignIn(String::new())),
        Err(e) => Err(Failure::SignIn(e.0)),
    }
}

/// Two RFC 3339 times name the same instant (Outlook writes milliseconds, the server not).
fn same_instant(a: &str, b: &str) -> bool {
    js_sys::Date::parse(a) == js_sys::Date::parse(b)
}

fn no_appointment() -> Failure {
    Failure::Host("no appointment is open".into())
}

async fn load(lang: Lang) -> Result<State, Failure> {
    let host = host::current();
    let appt = host.appointment().ok_or_else(no_appointment)?;
    let api = api().await?;
    let policy = api.my_policy().await?;
    if !policy.policy.enabled {
        return Ok(State::NotEnabled {
            reason: format!("{} — {}", policy.policy.identity, policy.reason),
        });
    }
    let (added, stale) = match appt.meeting_key().await? {
        Some(key) => match api.show(&key).await {
            // Cancelled elsewhere: Add gives the item new coordinates.
            Ok(m) if m.cancelled => (false, false),
            Ok(m) => {
                let times = appt.times().await?;
                // A series without an end date holds its coordinates a year at a time:
                // opened near their expiry, the pane renews them (README, "Recurring meetings").
                let expires = m
                    .coordinates
                    .expires_at
                    .as_deref()
                    .map_or(f64::MAX, js_sys::Date::parse);
                if appt.series().await? == host::Series::Endless
                    && expires - js_sys::Date::now() < workflow::RENEW_WITHIN_MS
                {
                    let _ = workflow::update(appt, &api, lang, false).await;
                }
                (
                    true,
                    !same_instant(&m.start, &times.start) || !same_instant(&m.end, &times.end),
                )
            }
            Err(_) => (true, false),
        },
        None => (false, false),
    };
    Ok(State::Ready {
        policy,
        added,
        stale,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    /// Add or Update; `replace`: also over a block we did not issue (the user said so).
    Add {
        replace: bool,
    },
    Update {
        replace: bool,
    },
    /// Remove ours; `foreign_too`: and the blocks we did not issue (the user said so).
    Remove {
        foreign_too: bool,
    },
}

async fn run(action: Action, lang: Lang) -> Result<State, Failure> {
    let host = host::current();
    let appt = host.appointment().ok_or_else(no_appointment)?;
    let api = api().await?;
    let (message, written) = match action {
        Action::Add { replace } => (
            Key::Added,
            Some(workflow::add(appt, &api, lang, replace).await?),
        ),
        Action::Update { replace } => (
            Key::Updated,
            Some(workflow::update(appt, &api, lang, replace).await?),
        ),
        Action::Remove { foreign_too } => {
            workflow::remove(appt, &api, foreign_too).await?;
            (Key::Removed, None)
        }
    };
    let note = written
        .as_ref()
        .and_then(|w| w.location_full.then_some(Key::LocationFull));
    let coords = written.map(|w| w.coordinates);
    // The host's own bar shows it too; a failure there changes nothing.
    let _ = appt.notify(Notice::Info, t(message).into()).await;
    Ok(State::Done {
        message,
        coords,
        note,
    })
}

/// The task pane.
#[component]
pub fn Pane(lang: Lang) -> impl IntoView {
    let state = RwSignal::new(State::Loading);
    let reload = move || {
        state.set(State::Loading);
        spawn_local(async move { state.set(load(lang).await.unwrap_or_else(State::Failed)) });
    };
    reload();
    // What the user asked last: a block we did not issue makes us ask before going on.
    let last = RwSignal::new(Action::Add { replace: false });
    let act = move |action: Action| {
        last.set(action);
        state.set(State::Working);
        spawn_local(
            async move { state.set(run(action, lang).await.unwrap_or_else(State::Failed)) },
        );
    };
    let tr = t;

    let actions = move |added: bool| {
        view! {
            <div class="actions">
                {if added {
                    view! {
                        <button class="primary" data-action="update" on:click=move |_| act(Action::Update { replace: false })>{tr(Key::Update)}</button>
                        <button data-action="remove" on:click=move |_| act(Action::Remove { foreign_too: false })>{tr(Key::Remove)}</button>
                    }.into_any()
                } else {
                    view! {
                        <button class="primary" data-action="add" on:click=move |_| act(Action::Add { replace: false })>{tr(Key::Add)}</button>
                    }.into_any()
                }}
            </div>
        }
    };

    view! {
        <main class="pane" aria-busy=move || matches!(state.get(), State::Loading | State::Working)>
            <h1>{tr(Key::Title)}</h1>
            <p class="hint">{tr(Key::Intro)}</p>
            {move || match state.get() {
                State::Loading => view! { <Status tone=Tone::Info key=Key::Loading /> }.into_any(),
                State::Working => view! { <Status tone=Tone::Info key=Key::Working /> }.into_any(),
                State::NotEnabled { reason } => view! {
                    <Status tone=Tone::Warning key=Key::NotEnabled detail=reason />
                }.into_any(),
                State::Ready { policy, added, stale } => view! {
                    <p class="provider" data-testid="provider">
                        {tr(Key::Provider)} ": " <strong>{policy.policy.provider_name.clone()}</strong>
                    </p>
                    {stale.then(|| view! { <Status tone=Tone::Warning key=Key::TimesChanged /> })}
                    {actions(added)}
                }.into_any(),
                State::Done { message, coords, note } => {
                    let added = coords.is_some();
                    view! {
                        <Status tone=Tone::Success key=message />
                        {note.map(|k| view! { <Status tone=Tone::Warning key=k /> })}
                        {coords.map(|c| view! { <CoordinatesCard coords=c /> })}
                        {actions(added)}
                    }.into_any()
                }
                State::Failed(Failure::Foreign(found)) => match last.get_untracked() {
                    // Ours is gone; theirs is still there: ask before removing theirs too.
                    Action::Remove { .. } => view! {
                        <Status tone=Tone::Warning key=Key::ForeignOnRemove />
                        <CoordinatesCard coords=*found />
                        <div class="actions">
                            <button class="primary" data-action="remove-foreign" on:click=move |_| act(Action::Remove { foreign_too: true })>{tr(Key::RemoveToo)}</button>
                            <button data-action="keep" on:click=move |_| reload()>{tr(Key::Keep)}</button>
                        </div>
                    }.into_any(),
                    again => {
                        let replace = match again {
                            Action::Update { .. } => Action::Update { replace: true },
                            _ => Action::Add { replace: true },
                        };
                        view! {
                            <Status tone=Tone::Warning key=Key::Foreign />
                            <CoordinatesCard coords=*found />
                            <div class="actions">
                                <button class="primary" data-action="replace" on:click=move |_| act(replace)>{tr(Key::Replace)}</button>
                                <button data-action="keep" on:click=move |_| reload()>{tr(Key::Keep)}</button>
                            </div>
                        }.into_any()
                    }
                },
                State::Failed(f) => {
                    let (key, detail) = f.message();
                    view! {
                        <Status tone=Tone::Error key=key detail=detail />
                        <div class="actions">
                            <button data-action="retry" on:click=move |_| reload()>{tr(Key::TryAgain)}</button>
                        </div>
                    }.into_any()
                }
            }}
        </main>
    }
}
