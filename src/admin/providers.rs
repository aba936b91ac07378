//! Providers: list, create, edit, remove (with a confirmation that says what goes with it).

use cvi_core::api::{AppIds, NewProvider, SetProvider};
use leptos::{prelude::*, task::spawn_local};

use super::{
    client::{AdminApi, Setup},
    dialog, field_error, problem_text,
    words::{tr, tr_with},
    Note,
};

/// The four providers the seed's cmdlets know.
const NAMES: [&str; 4] = ["Polycom", "BlueJeans", "Pexip", "Cisco"];

#[component]
pub fn Providers(
    api: StoredValue<AdminApi>,
    setup: RwSignal<Option<Setup>>,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new("Polycom".to_string());
    let tenant_key = RwSignal::new(String::new());
    let app_ids = RwSignal::new(String::new());
    let instruction_uri = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<(bool, String)>);
    let removing = RwSignal::new(None::<(String, String)>);
    // The provider being edited (its values are in the form), or none: a new one.
    let editing = RwSignal::new(None::<String>);

    let save = move || {
        let ids = app_ids.get();
        let uri = instruction_uri.get();
        if let Some(provider) = editing.get() {
            let p = SetProvider {
                tenant_key: Some(tenant_key.get().trim().to_string()),
                // Empty clears the link, as `cvi provider set --instruction-uri ''` does.
                instruction_uri: Some(uri.trim().to_string()),
                aad_application_ids: Some(AppIds::Joined(ids.trim().to_string())),
                allow_app_guest_joins_as_authenticated: None,
                sip_gateway: None,
                sip_ivr: None,
            };
            spawn_local(async move {
                match api.get_value().set_provider(&provider, &p).await {
                    Ok(v) => {
                        error.set(None);
                        editing.set(None);
                        note.set(Some((
                            false,
                            tr_with("Provider {name} saved.", &[("name", &v.name)]),
                        )));
                        refresh();
                    }
                    Err(e) => error.set(Some(problem_text(&e))),
                }
            });
            return;
        }
        let p = NewProvider {
            name: name.get(),
            tenant_key: tenant_key.get().trim().to_string(),
            instruction_uri: (!uri.trim().is_empty()).then(|| uri.trim().to_string()),
            aad_application_ids: (!ids.trim().is_empty())
                .then(|| AppIds::Joined(ids.trim().to_string())),
            allow_app_guest_joins_as_authenticated: None,
            sip_gateway: None,
            sip_ivr: None,
        };
        spawn_local(async move {
            match api.get_value().create_provider(&p).await {
                Ok(v) => {
                    error.set(None);
                    note.set(Some((
                        false,
                        tr_with("Provider {name} created.", &[("name", &v.name)]),
                    )));
                    tenant_key.set(String::new());
                    refresh();
                }
                Err(e) => error.set(Some(problem_text(&e))),
            }
        });
    };
    let confirm = {
        move |provider: String| {
            let Some(setup) = setup.get_untracked() else {
                return;
            };
            let orphaned = setup
                .grants
                .iter()
                .filter(|g| {
                    setup
                        .provider_of(&g.policy_name)
                        .is_some_and(|p| p.eq_ignore_ascii_case(&provider))
                })
                .count();
            let what = tr_with(
                "Remove the {provider} provider? {orphaned} grant(s) of its policies stay but give no one video conferencing details, its bridges' credentials go, and the Video IDs of its meetings stop resolving. Its partner apps' consent record goes too.",
                &[("provider", &provider), ("orphaned", &orphaned.to_string())],
            );
            removing.set(Some((provider, what)));
            dialog("remove-provider", true);
        }
    };
    let remove = move || {
        let Some((provider, _)) = removing.get() else {
            return;
        };
        dialog("remove-provider", false);
        spawn_local(async move {
            match api.get_value().remove_provider(&provider).await {
                Ok(r) => {
                    note.set(Some((false, r.message)));
                    refresh();
                }
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    let near = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|d| field_error(&d, field))
                .map(|t| view! { <span class="field-error" role="alert">{t}</span> })
        }
    };
    // Only the table follows the set-up; the form keeps what the admin typed.
    let rows = move || {
        setup.get().map(|setup| {
            setup
        .providers
        .iter()
        .map(|p| {
            let n = p.name.clone();
            let edit = {
                let p = p.clone();
                move |_| {
                    name.set(p.name.clone());
                    tenant_key.set(p.tenant_key.clone());
                    app_ids.set(p.aad_application_ids.join(";"));
                    instruction_uri.set(p.instruction_uri.clone().unwrap_or_default());
                    error.set(None);
                    editing.set(Some(p.name.clone()));
                }
            };
            view! {
                <tr data-provider=p.name.clone()>
                    <th scope="row">{p.name.clone()}</th>
                    <td>{p.tenant_key.clone()}</td>
                    <td>{p.aad_application_ids.join("; ")}</td>
                    <td>{p.instruction_uri.clone().unwrap_or_default()}</td>
                    <td class="actions-cell">
                        <button type="button" data-action="edit-provider"
                            aria-label=format!("Edit the {} provider", p.name) on:click=edit>{tr("Edit")}</button>
                        <button type="button" class="danger" data-action="remove-provider"
                            aria-label=tr_with("Remove the {name} provider", &[("name", &p.name)])
                            on:click=move |_| confirm(n.clone())>{tr("Remove")}</button>
                    </td>
                </tr>
            }
        })
        .collect_view()
        })
    };
    let empty = move || setup.with(|s| s.as_ref().is_some_and(|s| s.providers.is_empty()));
    view! {
        <section id="providers" aria-labelledby="providers-h">
            <h2 id="providers-h">{tr("Providers")}</h2>
            <table>
                <caption class="visually-hidden">{tr("Configured video interop providers")}</caption>
                <thead><tr><th scope="col">{tr("Name")}</th><th scope="col">{tr("Tenant key")}</th><th scope="col">{tr("Partner apps")}</th><th scope="col">{tr("More-info link")}</th><th scope="col"><span class="visually-hidden">{tr("Actions")}</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || empty().then(|| view! { <p class="hint">{tr("No provider yet.")}</p> })}
            <form class="provider-form" on:submit=move |ev| { ev.prevent_default(); save(); }>
                <h3>{move || match editing.get() { Some(n) => tr_with("Edit {name}", &[("name", &n)]), None => tr("New provider").to_string() }}</h3>
                <div class="row">
                    <label>{tr("Name")}
                        <select name="name" prop:value=move || name.get() prop:disabled=move || editing.get().is_some()
                            on:change=move |ev| name.set(event_target_value(&ev))>
                            {NAMES.iter().map(|n| view! { <option value=*n>{*n}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{tr("Tenant key (user@domain)")}
                        <input type="text" name="tenant_key" required prop:value=move || tenant_key.get()
                            aria-invalid=move || error.get().is_some_and(|d| field_error(&d, "tenant_key").is_some()).to_string()
                            on:input=move |ev| tenant_key.set(event_target_value(&ev)) />
                        {near("tenant_key")}
                    </label>
                </div>
                <label>{tr("Partner app ids (AadApplicationIds, separated by ;)")}
                    <input type="text" name="aad_application_ids" prop:value=move || app_ids.get()
                        on:input=move |ev| app_ids.set(event_target_value(&ev)) />
                    {near("aad_application_ids")}
                </label>
                <label>{tr("More-info link (InstructionUri, https)")}
                    <input type="url" name="instruction_uri" prop:value=move || instruction_uri.get()
                        on:input=move |ev| instruction_uri.set(event_target_value(&ev)) />
                    {near("instruction_uri")}
                </label>
                <div class="actions">
                    <button class="primary" type="submit" data-action="create-provider">
                        {move || if editing.get().is_some() { tr("Save provider") } else { tr("Create provider") }}
                    </button>
                    {move || editing.get().map(|_| view! {
                        <button type="button" data-action="cancel-edit" on:click=move |_| { editing.set(None); tenant_key.set(String::new()); app_ids.set(String::new()); instruction_uri.set(String::new()); }>{tr("Cancel")}</button>
                    })}
                </div>
                {move || error.get().filter(|d| ["tenant_key", "aad_application_ids", "instruction_uri"].iter().all(|f| field_error(d, f).is_none()))
                    .map(|d| view! { <p class="status error" role="alert">{d}</p> })}
            </form>
            <Note text=note />
            <dialog id="remove-provider" aria-labelledby="remove-provider-h">
                <h3 id="remove-provider-h">{tr("Remove provider")}</h3>
                <p>{move || removing.get().map(|(_, what)| what).unwrap_or_default()}</p>
                <div class="actions">
                    <button class="danger" data-action="confirm-remove" on:click=move |_| remove()>{tr("Remove")}</button>
                    <button data-action="keep" autofocus on:click=move |_| dialog("remove-provider", false)>{tr("Keep it")}</button>
                </div>
            </dialog>
        </section>
    }
}
