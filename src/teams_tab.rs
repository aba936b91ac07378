//! The Teams tab (`teams.html`, its own bundle): schedule a Teams meeting that carries video coordinates, straight into
//! the organizer's calendar. The server issues the coordinates and creates the event
//! through Microsoft Graph on the organizer's behalf (`POST /api/v1/events`); the tab
//! only collects subject, times, attendees and recurrence, and then offers Save changes
//! and Cancel meeting for that event.
//!
//! One meeting key per scheduled meeting: pressing Schedule again after a failure retries
//! with the same key, so the server finds the coordinates (and any event) it already made.

use cvi_core::{api::ProblemKind, https_url::HttpsUrl, invite::Lang};
use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{Api, ApiError, Meeting, Recurrence, RecurrencePattern, ScheduleRequest, UpdateRequest},
    components::{CoordinatesCard, Status, StatusLine, Tone},
    host,
    i18n::{t, Key},
    scheduler::{attendee_list, default_times, to_utc},
    words::{en, tr},
    workflow::Failure,
};

/// The tab's own words (the shared table in `i18n` is what every page carries; this English
/// ships only in the tab's bundle, its translations in `static/words/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TabKey {
    ScheduleTitle,
    ScheduleIntro,
    Schedule,
    Scheduled,
    SaveChanges,
    Saved,
    CancelMeeting,
    CancelConfirm,
    CancelYes,
    Cancelled,
    Repeat,
    RepeatNone,
    RepeatDaily,
    RepeatWeekly,
    Until,
    JoinTeams,
    NeedSubject,
    BadUntil,
    CalendarDenied,
}

fn tw(key: TabKey) -> &'static str {
    use TabKey::*;
    tr(match key {
        ScheduleTitle => en("Schedule a meeting with video conferencing"),
        ScheduleIntro => en("A Teams meeting in your calendar that room systems (SIP/H.323) can join too."),
        Schedule => en("Schedule Teams meeting"),
        Scheduled => en("The meeting is in your calendar, with video conferencing details; attendees get the invitation."),
        SaveChanges => en("Save changes"),
        Saved => en("Meeting updated; the invitation shows the new details."),
        CancelMeeting => en("Cancel meeting"),
        CancelConfirm => en("Cancel this meeting for everyone? It leaves the calendars and its video conferencing details stop working."),
        CancelYes => en("Cancel the meeting"),
        Cancelled => en("Meeting cancelled."),
        Repeat => en("Repeat"),
        RepeatNone => en("Does not repeat"),
        RepeatDaily => en("Every day"),
        RepeatWeekly => en("Every week"),
        Until => en("Until"),
        JoinTeams => en("Open the Teams meeting"),
        NeedSubject => en("Give the meeting a subject."),
        BadUntil => en("Choose the date the series ends, on or after the first meeting."),
        CalendarDenied => en("The meeting could not be put in your calendar: your admin has to allow this app to write to calendars (admin consent)."),
    })
}

/// A message of the tab: from the shared table or its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Shared(Key),
    Tab(TabKey),
}

impl From<Key> for Msg {
    fn from(k: Key) -> Self {
        Msg::Shared(k)
    }
}

impl From<TabKey> for Msg {
    fn from(k: TabKey) -> Self {
        Msg::Tab(k)
    }
}

impl Msg {
    fn name(self) -> String {
        match self {
            Msg::Shared(k) => format!("{k:?}"),
            Msg::Tab(k) => format!("{k:?}"),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Msg::Shared(k) => t(k),
            Msg::Tab(k) => tw(k),
        }
    }
}

/// The `<select name=repeat>` value → the API's pattern.
fn pattern(value: &str) -> Option<RecurrencePattern> {
    match value {
        "daily" => Some(RecurrencePattern::Daily),
        "weekly" => Some(RecurrencePattern::Weekly),
        _ => None,
    }
}

/// Problems the tab words itself; the rest go through the shared mapping.
fn failure(err: ApiError) -> (Msg, String) {
    if err.kind() == Some(ProblemKind::Forbidden) {
        return (TabKey::CalendarDenied.into(), err.detail());
    }
    let (k, d) = Failure::from(err).message();
    (k.into(), d)
}

/// What the form says, checked as the server would: `(subject, start, end, recurrence)`.
type Checked = (String, String, String, Option<Recurrence>);

fn check(subject: &str, start: &str, end: &str, repeat: &str, until: &str) -> Result<Checked, Msg> {
    if subject.trim().is_empty() {
        return Err(TabKey::NeedSubject.into());
    }
    let (Some(s), Some(e)) = (to_utc(start), to_utc(end)) else {
        return Err(Key::BadTimes.into());
    };
    if e <= s {
        return Err(Key::BadTimes.into());
    }
    let recurrence = match pattern(repeat) {
        None => None,
        Some(p) => {
            // A `date` input gives YYYY-MM-DD; the series must not end before it starts.
            let first = start.get(..10).unwrap_or_default();
            if until.len() != 10 || until < first {
                return Err(TabKey::BadUntil.into());
            }
            Some(Recurrence {
                pattern: p,
                until: until.to_string(),
            })
        }
    };
    Ok((subject.trim().to_string(), s, e, recurrence))
}

/// The root of `teams.html`, mounted by `app::start`.
pub fn page(lang: Lang) -> impl IntoView {
    view! { <TeamsTab lang=lang /> }
}

/// The Teams tab.
#[component]
pub fn TeamsTab(lang: Lang) -> impl IntoView {
    let say = move |k: Msg| k.text();
    let (start0, end0) = default_times();
    let subject = RwSignal::new(String::new());
    let start = RwSignal::new(start0);
    let end = RwSignal::new(end0);
    let attendees = RwSignal::new(String::new());
    let repeat = RwSignal::new("none".to_string());
    let until = RwSignal::new(String::new());
    let token = RwSignal::new(None::<String>);
    let checked = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let meeting = RwSignal::new(None::<Meeting>);
    let status = RwSignal::new(None::<(Tone, Msg, String)>);
    let key = StoredValue::new(host::browser::new_meeting_key("teams"));

    spawn_local(async move {
        token.set(host::current().token().await.ok().flatten());
        checked.set(true);
    });

    let fail = move |err: ApiError| {
        busy.set(false);
        let (k, d) = failure(err);
        status.set(Some((Tone::Error, k, d)));
    };
    let checked_form = move || {
        check(
            &subject.get(),
            &start.get(),
            &end.get(),
            &repeat.get(),
            &until.get(),
        )
        .map_err(|k| status.set(Some((Tone::Error, k, String::new()))))
        .ok()
    };

    let schedule = move || {
        let Some((subj, s, e, recurrence)) = checked_form() else {
            return;
        };
        let req = ScheduleRequest {
            meeting_key: key.get_value(),
            subject: subj,
            start: s,
            end: e,
            attendees: attendee_list(&attendees.get()),
            recurrence,
            lang: Some(lang.code().into()),
        };
        let api = Api::new(token.get());
        busy.set(true);
        status.set(Some((Tone::Info, Key::Working.into(), String::new())));
        spawn_local(async move {
            match api.schedule(&req).await {
                Ok(done) => {
                    busy.set(false);
                    meeting.set(Some(done.meeting));
                    status.set(Some((
                        Tone::Success,
                        TabKey::Scheduled.into(),
                        String::new(),
                    )));
                }
                Err(err) => fail(err),
            }
        });
    };

    let save = move || {
        let Some((subj, s, e, _)) = checked_form() else {
            return;
        };
        let req = UpdateRequest {
            subject: Some(subj),
            start: Some(s),
            end: Some(e),
            series_end: None,
            lang: Some(lang.code().into()),
            teams_join_url: None,
        };
        let api = Api::new(token.get());
        busy.set(true);
        status.set(Some((Tone::Info, Key::Working.into(), String::new())));
        spawn_local(async move {
            match api.reschedule(&key.get_value(), &req).await {
                Ok(m) => {
                    busy.set(false);
                    meeting.set(Some(m));
                    status.set(Some((Tone::Success, TabKey::Saved.into(), String::new())));
                }
                Err(err) => fail(err),
            }
        });
    };

    let cancel = move || {
        confirming.set(false);
        let api = Api::new(token.get());
        busy.set(true);
        status.set(Some((Tone::Info, Key::Working.into(), String::new())));
        spawn_local(async move {
            match api.cancel_event(&key.get_value()).await {
                Ok(_) => {
                    busy.set(false);
                    meeting.set(None);
                    // The next Schedule is a new meeting.
                    key.set_value(host::browser::new_meeting_key("teams"));
                    status.set(Some((
                        Tone::Success,
                        TabKey::Cancelled.into(),
                        String::new(),
                    )));
                }
                Err(err) => fail(err),
            }
        });
    };

    view! {
        <main class="pane scheduler teams" aria-busy=move || busy.get()>
            <h1>{say(TabKey::ScheduleTitle.into())}</h1>
            <p class="hint">{say(TabKey::ScheduleIntro.into())}</p>
            <Show when=move || checked.get() fallback=move || view! { <Status tone=Tone::Info key=Key::Loading /> }>
                <Show when=move || token.get().is_some() fallback=move || view! { <Status tone=Tone::Error key=Key::SignInFailed /> }>
                    // The tab's own checks speak the user's language and are announced
                    // (role=alert); the browser's bubbles would do neither consistently.
                    <form class="meeting" novalidate on:submit=move |ev| {
                        ev.prevent_default();
                        if meeting.get().is_some() { save() } else { schedule() }
                    }>
                        <label>{say(Key::Subject.into())}
                            <input type="text" name="subject" maxlength="255" required prop:value=move || subject.get()
                                on:input=move |ev| subject.set(event_target_value(&ev)) />
                        </label>
                        <div class="row">
                            <label>{say(Key::Start.into())}
                                <input type="datetime-local" name="start" required prop:value=move || start.get()
                                    on:input=move |ev| start.set(event_target_value(&ev)) />
                            </label>
                            <label>{say(Key::End.into())}
                                <input type="datetime-local" name="end" required prop:value=move || end.get()
                                    on:input=move |ev| end.set(event_target_value(&ev)) />
                            </label>
                        </div>
                        <label>{say(Key::Attendees.into())}
                            <textarea name="attendees" rows="2" prop:disabled=move || meeting.get().is_some()
                                prop:value=move || attendees.get()
                                on:input=move |ev| attendees.set(event_target_value(&ev))></textarea>
                        </label>
                        <div class="row">
                            <label>{say(TabKey::Repeat.into())}
                                <select name="repeat" prop:disabled=move || meeting.get().is_some()
                                    prop:value=move || repeat.get()
                                    on:change=move |ev| repeat.set(event_target_value(&ev))>
                                    <option value="none">{say(TabKey::RepeatNone.into())}</option>
                                    <option value="daily">{say(TabKey::RepeatDaily.into())}</option>
                                    <option value="weekly">{say(TabKey::RepeatWeekly.into())}</option>
                                </select>
                            </label>
                            <Show when=move || repeat.get() != "none">
                                <label>{say(TabKey::Until.into())}
                                    <input type="date" name="until" required prop:disabled=move || meeting.get().is_some()
                                        prop:value=move || until.get()
                                        on:input=move |ev| until.set(event_target_value(&ev)) />
                                </label>
                            </Show>
                        </div>
                        <div class="actions">
                            <Show when=move || meeting.get().is_some()
                                fallback=move || view! {
                                    <button class="primary" type="submit" data-action="schedule" disabled=move || busy.get()>{say(TabKey::Schedule.into())}</button>
                                }>
                                <button class="primary" type="submit" data-action="save" disabled=move || busy.get()>{say(TabKey::SaveChanges.into())}</button>
                                <button type="button" data-action="cancel-meeting" disabled=move || busy.get()
                                    on:click=move |_| confirming.set(true)>{say(TabKey::CancelMeeting.into())}</button>
                            </Show>
                        </div>
                    </form>
                    <Show when=move || confirming.get()>
                        <div class="confirm" role="alertdialog" aria-modal="false" aria-labelledby="cvi-cancel-q">
                            <p id="cvi-cancel-q">{say(TabKey::CancelConfirm.into())}</p>
                            <div class="actions">
                                <button class="danger" data-action="confirm-cancel" on:click=move |_| cancel()>{say(TabKey::CancelYes.into())}</button>
                                <button data-action="keep" autofocus on:click=move |_| confirming.set(false)>{say(Key::Keep.into())}</button>
                            </div>
                        </div>
                    </Show>
                    {move || status.get().map(|(tone, msg, detail)| view! { <StatusLine tone=tone name=msg.name() text=msg.text() detail=detail /> })}
                    {move || meeting.get().map(|m| {
                        // The server accepts only Teams' https links; checked again before it becomes a link.
                        let join = m.coordinates.teams_join_url.as_deref()
                            .and_then(HttpsUrl::parse)
                            .map(|u| u.as_str().to_string());
                        view! {
                            <CoordinatesCard coords=m.coordinates />
                            {join.map(|href| view! {
                                <p><a data-field="join-url" href=href target="_blank" rel="noopener noreferrer">{say(TabKey::JoinTeams.into())}</a></p>
                            })}
                        }
                    })}
                </Show>
            </Show>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_of_the_select() {
        assert_eq!(pattern("weekly"), Some(RecurrencePattern::Weekly));
        assert_eq!(pattern("daily"), Some(RecurrencePattern::Daily));
        assert_eq!(pattern("none"), None);
        assert_eq!(pattern("WEEKLY"), None);
    }
}
