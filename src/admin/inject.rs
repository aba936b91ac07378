//! "Coordinates in every Teams meeting": the switch, what is still missing (our app's
//! consent, as a button), the subscriptions and the notification queue, and why the latest
//! events were or were not given the block.

use cvi_core::{api::InjectStatus, https_url::HttpsUrl};
use leptos::{prelude::*, task::spawn_local};

use super::{client::AdminApi, problem_text, words::tr, Note};

/// An outcome code in words.
fn outcome_words(code: &str) -> &str {
    match code {
        "written" => tr("has the coordinates"),
        "not-a-teams-meeting" => tr("not a Teams meeting"),
        "not-organizer" => tr("the user is not the organizer"),
        "text-body" => tr("a plain-text invite"),
        "no-grant" => tr("the user's policy gives no coordinates"),
        "provider-missing" => tr("the policy's provider is not configured"),
        "consent-missing" => tr("the provider's partner apps lack consent"),
        "quota" => tr("the organizer's hourly quota is used up"),
        "foreign-block" => tr("another provider's block is in the invite (left alone)"),
        "removed-by-organizer" => tr("the organizer removed the coordinates (not written again)"),
        "graph-refused" => tr("Microsoft Graph refused (check the consent)"),
        "cancelled" => tr("cancelled or deleted"),
        "gave-up" => tr("given up after repeated failures"),
        "series-occurrence" => {
            tr("one occurrence of a series (the series carries the coordinates)")
        }
        other => other,
    }
}

#[component]
pub fn Inject(api: StoredValue<AdminApi>) -> impl IntoView {
    let status = RwSignal::new(None::<InjectStatus>);
    let note = RwSignal::new(None::<(bool, String)>);
    let load = move || {
        spawn_local(async move {
            match api.get_value().inject().await {
                Ok(s) => status.set(Some(s)),
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    load();
    let switch = move |on: bool| {
        spawn_local(async move {
            match api.get_value().set_inject(on).await {
                Ok(s) => {
                    note.set(Some((
                        false,
                        if on {
                            tr("Turned on: subscriptions to the covered users' calendars are being made.")
                        } else {
                            tr("Turned off: the subscriptions are being removed.")
                        }
                        .into(),
                    )));
                    status.set(Some(s));
                }
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    let body = move || {
        status.get().map(|s| {
            let on = s.enabled;
            let consent = s
                .consent_url
                .as_deref()
                .and_then(HttpsUrl::parse)
                .map(|u| u.as_str().to_string());
            let missing = s
                .missing
                .iter()
                .map(|m| view! { <li>{m.clone()}</li> })
                .collect_view();
            let rows = s
                .recent
                .iter()
                .map(|o| {
                    view! {
                        <tr data-event=o.event_id.clone() data-outcome=o.outcome.clone()>
                            <td>{o.at.replace('T', " ").trim_end_matches('Z').to_string()}</td>
                            <td>{o.user.clone()}</td>
                            <td>{outcome_words(&o.outcome).to_string()}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <p data-testid="inject-state" class=if on { "status success" } else { "status warning" } role="status">
                    {if on { tr("On: meetings that covered users create in any Teams or Outlook client get coordinates.") } else { tr("Off: only meetings scheduled through the add-in get coordinates.") }}
                </p>
                <div class="actions">
                    <button type="button" class="primary" data-action="inject-toggle" on:click=move |_| switch(!on)>
                        {if on { tr("Turn off") } else { tr("Turn on") }}
                    </button>
                </div>
                {(!s.missing.is_empty()).then(|| view! {
                    <div class="status warning" data-testid="inject-missing">
                        <p>{tr("Still missing:")}</p>
                        <ul>{missing}</ul>
                    </div>
                })}
                {consent.map(|href| view! {
                    <p><a class="button" href=href target="_blank" rel="noopener noreferrer" data-action="inject-consent">
                        {tr("Give admin consent to this service's app")}
                    </a></p>
                })}
                <dl class="figures">
                    <dt>{tr("Users subscribed")}</dt><dd data-testid="inject-subscriptions">{s.subscriptions}</dd>
                    <dt>{tr("Expiring within a day")}</dt><dd>{s.subscriptions_expiring}</dd>
                    <dt>{tr("Refused by Graph")}</dt><dd data-testid="inject-failed">{s.subscriptions_failed}</dd>
                    {s.last_failure.clone().map(|f| view! { <dt>{tr("Why")}</dt><dd>{f}</dd> })}
                    <dt>{tr("Notifications waiting")}</dt><dd data-testid="inject-queue">{s.queue_depth}</dd>
                    {s.oldest_waiting.clone().map(|t| view! { <dt>{tr("Oldest waiting since")}</dt><dd>{t}</dd> })}
                </dl>
                {(!s.recent.is_empty()).then(|| view! {
                    <table data-testid="inject-recent">
                        <caption>{tr("Latest meetings seen")}</caption>
                        <thead><tr><th scope="col">{tr("When (UTC)")}</th><th scope="col">{tr("Organizer")}</th><th scope="col">{tr("Outcome")}</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                })}
            }
        })
    };
    view! {
        <section id="inject" aria-labelledby="inject-h">
            <h2 id="inject-h">{tr("Coordinates in every Teams meeting")}</h2>
            <p class="hint">{tr("With this on, this service adds the coordinates to Teams meetings that covered users schedule from any client — Teams on desktop or a phone, Outlook without the add-in — through Microsoft Graph. Attendees get one update carrying them: the first invite leaves before any service can add them.")}</p>
            {body}
            <div class="actions"><button type="button" data-action="inject-reload" on:click=move |_| load()>{tr("Check again")}</button></div>
            <Note text=note />
        </section>
    }
}
