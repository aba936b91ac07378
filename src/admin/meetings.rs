//! Meetings: find one by Video ID or meeting key, or list an organizer's; see its
//! coordinates, cancel it.

use cvi_core::api::Meeting;
use leptos::{prelude::*, task::spawn_local};

use super::{
    client::AdminApi,
    dialog, problem_text,
    words::{tr, tr_with},
    Note,
};

#[component]
pub fn Meetings(api: StoredValue<AdminApi>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Meeting>);
    let listed = RwSignal::new(Vec::<Meeting>::new());
    let note = RwSignal::new(None::<(bool, String)>);
    let search =
        move || {
            let q = query.get().trim().to_string();
            spawn_local(async move {
                // An address is an organizer; digits (with spaces) a Video ID; else a meeting key.
                let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
                if q.contains('@') {
                    found.set(None);
                    match api.get_value().meetings_of(&q).await {
                        Ok(list) => {
                            note.set(list.is_empty().then(|| {
                                (false, tr_with("{who} has no meetings.", &[("who", &q)]))
                            }));
                            listed.set(list);
                        }
                        Err(e) => {
                            listed.set(Vec::new());
                            note.set(Some((true, problem_text(&e))));
                        }
                    }
                    return;
                }
                listed.set(Vec::new());
                let r = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                    api.get_value().meeting_by_video_id(&digits).await
                } else {
                    api.get_value().meeting(&q).await
                };
                match r {
                    Ok(m) => {
                        note.set(None);
                        found.set(Some(m));
                    }
                    Err(e) => {
                        found.set(None);
                        note.set(Some((true, problem_text(&e))));
                    }
                }
            });
        };
    let cancel = move || {
        dialog("cancel-meeting", false);
        let Some(key) = found.get().and_then(|m| m.coordinates.meeting_key) else {
            return;
        };
        spawn_local(async move {
            match api.get_value().cancel_meeting(&key).await {
                Ok(m) => {
                    found.set(Some(m));
                    note.set(Some((
                        false,
                        tr("Meeting cancelled: its Video ID no longer resolves.").into(),
                    )));
                }
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    view! {
        <section id="meetings" aria-labelledby="meetings-h">
            <h2 id="meetings-h">{tr("Meetings")}</h2>
            <form class="row" on:submit=move |ev| { ev.prevent_default(); search(); }>
                <label>{tr("Video ID, meeting key or organizer (UPN)")}
                    <input type="search" name="meeting" prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                </label>
                <div class="actions"><button type="submit" data-action="find-meeting">{tr("Find")}</button></div>
            </form>
            <Note text=note />
            {move || (!listed.get().is_empty()).then(|| view! {
                <table data-testid="meetings">
                    <caption class="visually-hidden">{tr("The organizer's meetings, newest first")}</caption>
                    <thead><tr><th scope="col">{tr("Meeting key")}</th><th scope="col">{tr("Subject")}</th><th scope="col">{tr("Start")}</th><th scope="col">{tr("Video ID")}</th><th scope="col">{tr("Status")}</th><th scope="col"><span class="visually-hidden">{tr("Actions")}</span></th></tr></thead>
                    <tbody>
                        {listed.get().into_iter().map(|m| {
                            let shown = m.clone();
                            let key = m.coordinates.meeting_key.clone().unwrap_or_default();
                            view! {
                                <tr>
                                    <th scope="row">{key.clone()}</th>
                                    <td>{m.subject.clone().unwrap_or_default()}</td>
                                    <td>{m.start.clone()}</td>
                                    <td>{m.coordinates.video_id.as_ref().map(|v| v.grouped()).unwrap_or_default()}</td>
                                    <td>{if m.cancelled { tr("cancelled") } else { tr("live") }}</td>
                                    <td><button type="button" aria-label=format!("Show meeting {key}") on:click=move |_| found.set(Some(shown.clone()))>{tr("Show")}</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {move || found.get().map(|m| {
                let c = m.coordinates.clone();
                view! {
                    <dl class="card" data-testid="meeting">
                        <dt>{tr("Meeting key")}</dt><dd>{c.meeting_key.clone().unwrap_or_default()}</dd>
                        <dt>{tr("Organizer")}</dt><dd>{m.organizer.clone()}</dd>
                        <dt>{tr("Subject")}</dt><dd>{m.subject.clone().unwrap_or_default()}</dd>
                        <dt>{tr("Video ID")}</dt><dd>{c.video_id.as_ref().map(|v| v.grouped()).unwrap_or_default()}</dd>
                        <dt>{tr("Direct dial")}</dt><dd>{c.direct_dial_uri.clone().unwrap_or_default()}</dd>
                        <dt>{tr("Start – end")}</dt><dd>{format!("{} – {}", m.start, m.end)}</dd>
                        <dt>{tr("Status")}</dt><dd>{if m.cancelled { "cancelled" } else { "live" }}</dd>
                    </dl>
                    {(!m.cancelled).then(|| view! {
                        <div class="actions"><button class="danger" data-action="cancel-meeting" on:click=move |_| dialog("cancel-meeting", true)>{tr("Cancel this meeting")}</button></div>
                    })}
                }
            })}
            <dialog id="cancel-meeting" aria-labelledby="cancel-meeting-h">
                <h3 id="cancel-meeting-h">{tr("Cancel meeting")}</h3>
                <p>{tr("Cancel this meeting's coordinates? Room systems that dial its Video ID will not reach it any more. The calendar invite itself stays as it is.")}</p>
                <div class="actions">
                    <button class="danger" data-action="confirm-cancel" on:click=move |_| cancel()>{tr("Cancel the meeting")}</button>
                    <button data-action="keep" autofocus on:click=move |_| dialog("cancel-meeting", false)>{tr("Keep it")}</button>
                </div>
            </dialog>
        </section>
    }
}
