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
    i18n::{pick, t, Key},
    scheduler::{attendee_list, default_times, to_utc},
    workflow::Failure,
};

/// The tab's own words (the shared table in `i18n` is what every page carries; these ship
/// only in the tab's bundle).
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

fn tw(lang: Lang, key: TabKey) -> &'static str {
    use TabKey::*;
    pick(lang, match key {
        ScheduleTitle => [
            "Schedule a meeting with video conferencing",
            "Besprechung mit Videokonferenz planen",
            "Planifier une réunion avec visioconférence",
            "Programar una reunión con videoconferencia",
            "ビデオ会議付きの会議をスケジュール",
        ],
        ScheduleIntro => [
            "A Teams meeting in your calendar that room systems (SIP/H.323) can join too.",
            "Eine Teams-Besprechung in Ihrem Kalender, an der auch Raumsysteme (SIP/H.323) teilnehmen können.",
            "Une réunion Teams dans votre calendrier, que les systèmes de salle (SIP/H.323) peuvent aussi rejoindre.",
            "Una reunión de Teams en su calendario a la que también pueden unirse los sistemas de sala (SIP/H.323).",
            "会議室システム (SIP/H.323) も参加できる Teams 会議を予定表に作成します。",
        ],
        Schedule => [
            "Schedule Teams meeting",
            "Teams-Besprechung planen",
            "Planifier la réunion Teams",
            "Programar reunión de Teams",
            "Teams 会議をスケジュール",
        ],
        Scheduled => [
            "The meeting is in your calendar, with video conferencing details; attendees get the invitation.",
            "Die Besprechung steht mit Videokonferenzdetails in Ihrem Kalender; die Teilnehmer erhalten die Einladung.",
            "La réunion est dans votre calendrier, avec les détails de visioconférence ; les participants reçoivent l’invitation.",
            "La reunión está en su calendario, con los detalles de videoconferencia; los asistentes reciben la invitación.",
            "ビデオ会議の詳細付きで会議を予定表に追加しました。出席者に招待が送信されます。",
        ],
        SaveChanges => [
            "Save changes",
            "Änderungen speichern",
            "Enregistrer les modifications",
            "Guardar cambios",
            "変更を保存",
        ],
        Saved => [
            "Meeting updated; the invitation shows the new details.",
            "Besprechung aktualisiert; die Einladung zeigt die neuen Angaben.",
            "Réunion mise à jour ; l’invitation affiche les nouveaux détails.",
            "Reunión actualizada; la invitación muestra los nuevos datos.",
            "会議を更新しました。招待に新しい詳細が表示されます。",
        ],
        CancelMeeting => [
            "Cancel meeting",
            "Besprechung absagen",
            "Annuler la réunion",
            "Cancelar reunión",
            "会議をキャンセル",
        ],
        CancelConfirm => [
            "Cancel this meeting for everyone? It leaves the calendars and its video conferencing details stop working.",
            "Diese Besprechung für alle absagen? Sie verschwindet aus den Kalendern, und ihre Videokonferenzdetails funktionieren nicht mehr.",
            "Annuler cette réunion pour tous ? Elle quitte les calendriers et ses détails de visioconférence ne fonctionnent plus.",
            "¿Cancelar esta reunión para todos? Sale de los calendarios y sus detalles de videoconferencia dejan de funcionar.",
            "この会議を全員に対してキャンセルしますか? 予定表から削除され、ビデオ会議の詳細は使えなくなります。",
        ],
        CancelYes => [
            "Cancel the meeting",
            "Besprechung absagen",
            "Annuler la réunion",
            "Cancelar la reunión",
            "会議をキャンセルする",
        ],
        Cancelled => [
            "Meeting cancelled.",
            "Besprechung abgesagt.",
            "Réunion annulée.",
            "Reunión cancelada.",
            "会議をキャンセルしました。",
        ],
        Repeat => [
            "Repeat",
            "Wiederholen",
            "Répéter",
            "Repetir",
            "繰り返し",
        ],
        RepeatNone => [
            "Does not repeat",
            "Keine Wiederholung",
            "Ne se répète pas",
            "No se repite",
            "繰り返さない",
        ],
        RepeatDaily => [
            "Every day",
            "Täglich",
            "Tous les jours",
            "Cada día",
            "毎日",
        ],
        RepeatWeekly => [
            "Every week",
            "Wöchentlich",
            "Toutes les semaines",
            "Cada semana",
            "毎週",
        ],
        Until => [
            "Until",
            "Bis",
            "Jusqu’au",
            "Hasta",
            "終了日",
        ],
        JoinTeams => [
            "Open the Teams meeting",
            "Teams-Besprechung öffnen",
            "Ouvrir la réunion Teams",
            "Abrir la reunión de Teams",
            "Teams 会議を開く",
        ],
        NeedSubject => [
            "Give the meeting a subject.",
            "Geben Sie der Besprechung einen Betreff.",
            "Donnez un objet à la réunion.",
            "Indique un asunto para la reunión.",
            "会議の件名を入力してください。",
        ],
        BadUntil => [
            "Choose the date the series ends, on or after the first meeting.",
            "Wählen Sie das Enddatum der Serie, am oder nach dem ersten Termin.",
            "Choisissez la date de fin de la série, le jour de la première réunion ou après.",
            "Elija la fecha de fin de la serie, el día de la primera reunión o después.",
            "シリーズの終了日を、初回の会議の日以降で選択してください。",
        ],
        CalendarDenied => [
            "The meeting could not be put in your calendar: your admin has to allow this app to write to calendars (admin consent).",
            "Die Besprechung konnte nicht in Ihren Kalender eingetragen werden: Ihr Administrator muss dieser App den Kalenderzugriff erlauben (Administratorzustimmung).",
            "La réunion n’a pas pu être ajoutée à votre calendrier : votre administrateur doit autoriser cette application à écrire dans les calendriers (consentement administrateur).",
            "No se pudo agregar la reunión a su calendario: su administrador debe permitir que esta aplicación escriba en los calendarios (consentimiento de administrador).",
            "会議を予定表に追加できませんでした。管理者がこのアプリに予定表への書き込みを許可する必要があります (管理者の同意)。",
        ],
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

    fn text(self, lang: Lang) -> &'static str {
        match self {
            Msg::Shared(k) => t(lang, k),
            Msg::Tab(k) => tw(lang, k),
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

/// The tab's page root: the language of the host, then the tab.
#[component]
pub fn TeamsTabPage() -> impl IntoView {
    let lang = host::apply_lang(&*host::current());
    view! { <TeamsTab lang=lang /> }
}

/// The Teams tab.
#[component]
pub fn TeamsTab(lang: Lang) -> impl IntoView {
    let tr = move |k: Msg| k.text(lang);
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
            <h1>{tr(TabKey::ScheduleTitle.into())}</h1>
            <p class="hint">{tr(TabKey::ScheduleIntro.into())}</p>
            <Show when=move || checked.get() fallback=move || view! { <Status tone=Tone::Info key=Key::Loading lang=lang /> }>
                <Show when=move || token.get().is_some() fallback=move || view! { <Status tone=Tone::Error key=Key::SignInFailed lang=lang /> }>
                    // The tab's own checks speak the user's language and are announced
                    // (role=alert); the browser's bubbles would do neither consistently.
                    <form class="meeting" novalidate on:submit=move |ev| {
                        ev.prevent_default();
                        if meeting.get().is_some() { save() } else { schedule() }
                    }>
                        <label>{tr(Key::Subject.into())}
                            <input type="text" name="subject" maxlength="255" required prop:value=move || subject.get()
                                on:input=move |ev| subject.set(event_target_value(&ev)) />
                        </label>
                        <div class="row">
                            <label>{tr(Key::Start.into())}
                                <input type="datetime-local" name="start" required prop:value=move || start.get()
                                    on:input=move |ev| start.set(event_target_value(&ev)) />
                            </label>
                            <label>{tr(Key::End.into())}
                                <input type="datetime-local" name="end" required prop:value=move || end.get()
                                    on:input=move |ev| end.set(event_target_value(&ev)) />
                            </label>
                        </div>
                        <label>{tr(Key::Attendees.into())}
                            <textarea name="attendees" rows="2" prop:disabled=move || meeting.get().is_some()
                                prop:value=move || attendees.get()
                                on:input=move |ev| attendees.set(event_target_value(&ev))></textarea>
                        </label>
                        <div class="row">
                            <label>{tr(TabKey::Repeat.into())}
                                <select name="repeat" prop:disabled=move || meeting.get().is_some()
                                    prop:value=move || repeat.get()
                                    on:change=move |ev| repeat.set(event_target_value(&ev))>
                                    <option value="none">{tr(TabKey::RepeatNone.into())}</option>
                                    <option value="daily">{tr(TabKey::RepeatDaily.into())}</option>
                                    <option value="weekly">{tr(TabKey::RepeatWeekly.into())}</option>
                                </select>
                            </label>
                            <Show when=move || repeat.get() != "none">
                                <label>{tr(TabKey::Until.into())}
                                    <input type="date" name="until" required prop:disabled=move || meeting.get().is_some()
                                        prop:value=move || until.get()
                                        on:input=move |ev| until.set(event_target_value(&ev)) />
                                </label>
                            </Show>
                        </div>
                        <div class="actions">
                            <Show when=move || meeting.get().is_some()
                                fallback=move || view! {
                                    <button class="primary" type="submit" data-action="schedule" disabled=move || busy.get()>{tr(TabKey::Schedule.into())}</button>
                                }>
                                <button class="primary" type="submit" data-action="save" disabled=move || busy.get()>{tr(TabKey::SaveChanges.into())}</button>
                                <button type="button" data-action="cancel-meeting" disabled=move || busy.get()
                                    on:click=move |_| confirming.set(true)>{tr(TabKey::CancelMeeting.into())}</button>
                            </Show>
                        </div>
                    </form>
                    <Show when=move || confirming.get()>
                        <div class="confirm" role="alertdialog" aria-modal="false" aria-labelledby="cvi-cancel-q">
                            <p id="cvi-cancel-q">{tr(TabKey::CancelConfirm.into())}</p>
                            <div class="actions">
                                <button class="danger" data-action="confirm-cancel" on:click=move |_| cancel()>{tr(TabKey::CancelYes.into())}</button>
                                <button data-action="keep" autofocus on:click=move |_| confirming.set(false)>{tr(Key::Keep.into())}</button>
                            </div>
                        </div>
                    </Show>
                    {move || status.get().map(|(tone, msg, detail)| view! { <StatusLine tone=tone name=msg.name() text=msg.text(lang) detail=detail /> })}
                    {move || meeting.get().map(|m| {
                        // The server accepts only Teams' https links; checked again before it becomes a link.
                        let join = m.coordinates.teams_join_url.as_deref()
                            .and_then(HttpsUrl::parse)
                            .map(|u| u.as_str().to_string());
                        view! {
                            <CoordinatesCard coords=m.coordinates lang=lang />
                            {join.map(|href| view! {
                                <p><a data-field="join-url" href=href target="_blank" rel="noopener noreferrer">{tr(TabKey::JoinTeams.into())}</a></p>
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
