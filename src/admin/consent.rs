//! Consent: per provider and partner app, granted or missing (per permission once Graph
//! has confirmed it), and the admin-consent links as buttons.

use cvi_core::{api::ConsentLinks, https_url::HttpsUrl};
use leptos::{prelude::*, task::spawn_local};

use super::{
    client::{AdminApi, Setup},
    problem_text,
    words::{tr, tr_with},
    Note,
};

#[component]
pub fn Consent(
    api: StoredValue<AdminApi>,
    setup: Setup,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let links = RwSignal::new(Vec::<ConsentLinks>::new());
    let note = RwSignal::new(None::<(bool, String)>);
    let names: Vec<String> = setup.providers.iter().map(|p| p.name.clone()).collect();
    spawn_local(async move {
        let mut all = Vec::new();
        for n in names {
            match api.get_value().consent_links(&n).await {
                Ok(l) => all.push(l),
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        }
        links.set(all);
    });
    let empty = setup.consent.is_empty();
    let providers = setup
        .consent
        .into_iter()
        .map(|c| {
            let provider = c.provider.clone();
            let apps = c
                .apps
                .into_iter()
                .map(|a| {
                    let app = a.app_id.clone();
                    let p = provider.clone();
                    // Only an https link becomes a button (the links come from our server,
                    // but they are URLs all the same).
                    let link = move || {
                        links
                            .get()
                            .into_iter()
                            .find(|l| l.provider == p)
                            .and_then(|l| l.links.into_iter().find(|x| x.app_id == app))
                            .and_then(|x| HttpsUrl::parse(&x.url).map(|u| u.as_str().to_string()))
                    };
                    let state = if a.consented && a.verified {
                        tr("granted (verified with Microsoft Graph)")
                    } else if a.consented {
                        tr("granted (the callback said so; not verified with Graph)")
                    } else {
                        tr("missing")
                    };
                    let perms = a
                        .permissions
                        .clone()
                        .into_iter()
                        .map(|p| view! { <li>{p.name.clone()}" — "{if p.granted { tr("granted") } else { tr("missing") }}</li> })
                        .collect_view();
                    let app_label = a.app_id.clone();
                    view! {
                        <li data-app=a.app_id.clone() data-consented=a.consented.to_string()>
                            <code>{a.app_id.clone()}</code>": "{state}
                            {a.error.clone().map(|e| view! { <span class="field-error">" — "{tr_with("last attempt: {error}", &[("error", &e)])}</span> })}
                            {(!a.permissions.is_empty()).then(|| view! { <ul>{perms}</ul> })}
                            {move || (!a.consented).then(|| link().map(|href| view! {
                                " "<a class="button" href=href target="_blank" rel="noopener noreferrer" data-action="consent"
                                    aria-label=tr_with("Give admin consent to {app}", &[("app", &app_label)])>{tr("Give admin consent")}</a>
                            }))}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="consent-provider" data-provider=c.provider.clone()>
                    <h3>{c.provider.clone()}</h3>
                    {c.warning.map(|w| view! { <p class="status warning">{w}</p> })}
                    <ul>{apps}</ul>
                </div>
            }
        })
        .collect_view();
    view! {
        <section id="consent" aria-labelledby="consent-h">
            <h2 id="consent-h">{tr("Consent")}</h2>
            <p class="hint">{tr("Each partner app of a provider needs your admin consent before its bridge may join your Teams meetings. A consent link opens Microsoft's admin-consent page; come back here afterwards.")}</p>
            {providers}
            {empty.then(|| view! { <p class="hint">{tr("Nothing to consent to before a provider exists.")}</p> })}
            <div class="actions"><button type="button" data-action="recheck" on:click=move |_| refresh()>{tr("Check again")}</button></div>
            <Note text=note />
        </section>
    }
}
