//! The standalone scheduler (a plain browser page): subject, times and attendees →
//! coordinates → invite preview → "Download .ics" / "Copy". The Teams tab schedules
//! into the calendar instead (`teams_tab`).

use cvi_core::{api::ProblemKind, ics, invite, invite::Lang};
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsValue;

use crate::{
    api::{Api, IssueRequest, Meeting, UpdateRequest},
    components::{BlockPreview, CoordinatesCard, Status, SwitchAccount, Tone},
    host::{self, browser::remember_token},
    i18n::{t, Key},
    workflow::Failure,
};

/// `datetime-local` value (local time) → RFC 3339 UTC, `None` when empty or invalid.
pub(crate) fn to_utc(local: &str) -> Option<String> {
    if local.trim().is_empty() {
        return None;
    }
    let d = js_sys::Date::new(&JsValue::from_str(local));
    (!d.get_time().is_nan()).then(|| String::from(d.to_iso_string()))
}

/// `Date` → `datetime-local` value in local time.
fn to_local_input(d: &js_sys::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The next full hour and one hour after it.
pub(crate) fn default_times() -> (String, String) {
    let now = js_sys::Date::now();
    let hour = 3_600_000.0;
    let start = ((now / hour).floor() + 1.0) * hour;
    (
        to_local_input(&js_sys::Date::new(&JsValue::from_f64(start))),
        to_local_input(&js_sys::Date::new(&JsValue::from_f64(start + hour))),
    )
}

pub(crate) fn attendee_list(s: &str) -> Vec<String> {
    s.split([',', ';', '\n', ' '])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect()
}

/// A file name from the subject: letters, digits and dashes.
fn file_name(subject: &str) -> String {
    let base: String = subject
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let base: String = base.chars().take(60).collect();
    format!("{}.ics", if base.is_empty() { "meeting" } else { &base })
}

/// The scheduler page.
#[component]
pub fn Scheduler(lang: Lang) -> impl IntoView {
    let tr = t;
    let (start0, end0) = default_times();
    let subject = RwSignal::new(String::new());
    let start = RwSignal::new(start0);
    let end = RwSignal::new(end0);
    let attendees = RwSignal::new(String::new());
    let token = RwSignal::new(None::<String>);
    let checked = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let meeting = RwSignal::new(None::<Meeting>);
    let status = RwSignal::new(None::<(Tone, Key, String)>);
    // One meeting key per page: asking again updates the same meeting.
    let key = StoredValue::new(host::browser::new_meeting_key("web"));

    spawn_local(async move {
        token.set(host::current().token().await.ok().flatten());
        checked.set(true);
    });

    let get_details = move || {
        let (Some(s), Some(e)) = (to_utc(&start.get()), to_utc(&end.get())) else {
            status.set(Some((Tone::Error, Key::BadTimes, String::new())));
            return;
        };
        if e <= s {
            status.set(Some((Tone::Error, Key::BadTimes, String::new())));
            return;
        }
        let subj = subject.get();
        let subj = (!subj.trim().is_empty()).then_some(subj);
        let api = Api::new(token.get());
        let had = meeting.get().is_some();
        busy.set(true);
        status.set(Some((Tone::Info, Key::Working, String::new())));
        spawn_local(async move {
            let k = key.get_value();
            let r = if had {
                api.update(
                    &k,
                    &UpdateRequest {
                        subject: subj,
                        start: Some(s),
                        end: Some(e),
                        series_end: None,
                        lang: Some(lang.code().into()),
                        teams_join_url: None,
                    },
                )
                .await
            } else {
                api.issue(&IssueRequest {
                    meeting_key: k,
                    subject: subj,
                    start: s,
                    end: e,
                    series_end: None,
                    lang: Some(lang.code().into()),
                    teams_join_url: None,
                })
                .await
            };
            busy.set(false);
            match r {
                Ok(m) => {
                    meeting.set(Some(m));
                    status.set(None);
                }
                Err(err) => {
                    if err.kind() == Some(ProblemKind::Unauthenticated) {
                        remember_token(None);
                        token.set(None);
                    }
                    let (k, d) = Failure::from(err).message();
                    status.set(Some((Tone::Error, k, d)));
                }
            }
        });
    };

    let download_ics = move || {
        let Some(m) = meeting.get() else { return };
        let block = invite::block_of(&m.coordinates, lang);
        let who = attendee_list(&attendees.get());
        let stamp = String::from(js_sys::Date::new_0().to_iso_string());
        let location = m
            .coordinates
            .direct_dial_uri
            .as_ref()
            .map(|u| format!("sip:{u}"));
        let subj = m.subject.clone().unwrap_or_default();
        let written = ics::write(&ics::Event {
            uid: m.coordinates.meeting_key.as_deref().unwrap_or("meeting"),
            subject: &subj,
            start: &m.start,
            end: &m.end,
            stamp: &stamp,
            organizer: m.organizer.contains('@').then_some(m.organizer.as_str()),
            attendees: &who,
            location: location.as_deref(),
            block: &block,
        });
        match written {
            Ok(file) => {
                if host::browser::download(&file_name(&subj), "text/calendar", &file).is_err() {
                    status.set(Some((Tone::Error, Key::Failed, "download blocked".into())));
                }
            }
            Err(e) => status.set(Some((Tone::Error, Key::Failed, e.to_string()))),
        }
    };

    let copy = move || {
        let Some(m) = meeting.get() else { return };
        let text = invite::block_of(&m.coordinates, lang).text;
        spawn_local(async move {
            status.set(Some(match host::browser::copy_text(&text).await {
                Ok(()) => (Tone::Success, Key::Copied, String::new()),
                Err(e) => (Tone::Error, Key::Failed, e.0),
            }));
        });
    };

    view! {
        <main class="pane scheduler" aria-busy=move || busy.get()>
            <h1>{tr(Key::Title)}</h1>
            <p class="hint">{tr(Key::Intro)}</p>
            <SwitchAccount token=token />
            <Show when=move || checked.get() fallback=move || view! { <Status tone=Tone::Info key=Key::Loading /> }>
                <Show when=move || token.get().is_some() fallback=move || view! { <SignIn token=token /> }>
                    <form class="meeting" on:submit=move |ev| { ev.prevent_default(); get_details(); }>
                        <label>{tr(Key::Subject)}
                            <input type="text" name="subject" maxlength="255" prop:value=move || subject.get()
                                on:input=move |ev| subject.set(event_target_value(&ev)) />
                        </label>
                        <div class="row">
                            <label>{tr(Key::Start)}
                                <input type="datetime-local" name="start" required prop:value=move || start.get()
                                    on:input=move |ev| start.set(event_target_value(&ev)) />
                            </label>
                            <label>{tr(Key::End)}
                                <input type="datetime-local" name="end" required prop:value=move || end.get()
                                    on:input=move |ev| end.set(event_target_value(&ev)) />
                            </label>
                        </div>
                        <label>{tr(Key::Attendees)}
                            <textarea name="attendees" rows="2" prop:value=move || attendees.get()
                                on:input=move |ev| attendees.set(event_target_value(&ev))></textarea>
                        </label>
                        <div class="actions">
                            <button class="primary" type="submit" data-action="get" disabled=move || busy.get()>{tr(Key::GetDetails)}</button>
                        </div>
                    </form>
                    {move || status.get().map(|(tone, key, detail)| view! { <Status tone=tone key=key detail=detail /> })}
                    {move || meeting.get().map(|m| view! {
                        <CoordinatesCard coords=m.coordinates.clone() />
                        <div class="actions">
                            <button class="primary" data-action="ics" on:click=move |_| download_ics()>{tr(Key::DownloadIcs)}</button>
                            <button data-action="copy" on:click=move |_| copy()>{tr(Key::Copy)}</button>
                        </div>
                        <BlockPreview coords=m.coordinates lang=lang />
                    })}
                </Show>
            </Show>
        </main>
    }
}

/// The demo sign-in (a server with `--dev-issuer`); elsewhere, where to get a link.
#[component]
fn SignIn(token: RwSignal<Option<String>>) -> impl IntoView {
    let tr = t;
    let tenant = RwSignal::new("demo".to_string());
    let user = RwSignal::new("organizer@demo.example".to_string());
    let error = RwSignal::new(None::<(Key, String)>);
    let submit = move || {
        let (tn, u) = (tenant.get(), user.get());
        spawn_local(async move {
            match Api::new(None).dev_token(tn.trim(), u.trim()).await {
                Ok(tok) => {
                    remember_token(Some(&tok));
                    token.set(Some(tok));
                }
                Err(e) if e.kind() == Some(ProblemKind::NotFound) => {
                    error.set(Some((Key::NoSignIn, String::new())))
                }
                Err(e) => error.set(Some(Failure::from(e).message())),
            }
        });
    };
    view! {
        <form class="signin" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <p class="hint">{tr(Key::SignInHint)}</p>
            <label>{tr(Key::Tenant)}
                <input type="text" name="tenant" prop:value=move || tenant.get() on:input=move |ev| tenant.set(event_target_value(&ev)) />
            </label>
            <label>{tr(Key::Email)}
                <input type="email" name="user" prop:value=move || user.get() on:input=move |ev| user.set(event_target_value(&ev)) />
            </label>
            <div class="actions"><button class="primary" type="submit" data-action="signin">{tr(Key::SignIn)}</button></div>
            {move || error.get().map(|(k, d)| view! { <Status tone=Tone::Error key=k detail=d /> })}
        </form>
    }
}
