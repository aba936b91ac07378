//! The audit log: who changed what, newest first, a page at a time, each entry with its
//! before and after; filtered by the server (actor, action prefix, UTC day).

use leptos::{prelude::*, task::spawn_local};

use super::{
    client::{AdminApi, AuditEntry, JsJson},
    problem_text,
    words::tr,
    Note,
};

/// JSON text of a before/after value (shown as text, never as markup).
fn json_text(v: &Option<JsJson>) -> String {
    match v {
        Some(JsJson(v)) if !v.is_null() && !v.is_undefined() => js_sys::JSON::stringify(v)
            .map(String::from)
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// `YYYY-MM-DD HH:MM` UTC of Unix milliseconds.
fn when(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let iso = String::from(d.to_iso_string());
    iso.get(..16).unwrap_or(&iso).replace('T', " ")
}

#[component]
pub fn Audit(api: StoredValue<AdminApi>) -> impl IntoView {
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<(bool, String)>);
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let day = RwSignal::new(String::new());
    let load = move |before: Option<String>| {
        let (a, c, d) = (actor.get(), action.get(), day.get());
        spawn_local(async move {
            match api.get_value().audit(before.as_deref(), &a, &c, &d).await {
                Ok(page) => {
                    if before.is_none() {
                        entries.set(page.entries);
                    } else {
                        entries.update(|e| e.extend(page.entries));
                    }
                    next.set(page.next);
                }
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    load(None);
    view! {
        <section id="audit" aria-labelledby="audit-h">
            <h2 id="audit-h">{tr("Audit log")}</h2>
            <form class="row filters" on:submit=move |ev| { ev.prevent_default(); load(None); }>
                <label>{tr("Actor")} <input type="search" name="actor" prop:value=move || actor.get() on:input=move |ev| actor.set(event_target_value(&ev)) /></label>
                <label>{tr("Action (starts with)")} <input type="search" name="action" prop:value=move || action.get() on:input=move |ev| action.set(event_target_value(&ev)) /></label>
                <label>{tr("Day (UTC)")} <input type="date" name="day" prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev)) /></label>
                <div class="actions"><button type="submit" data-action="audit-filter">{tr("Filter")}</button></div>
            </form>
            <table>
                <caption class="visually-hidden">{tr("Audit entries, newest first")}</caption>
                <thead><tr><th scope="col">{tr("When (UTC)")}</th><th scope="col">{tr("Actor")}</th><th scope="col">{tr("Action")}</th><th scope="col">{tr("Target")}</th><th scope="col">{tr("Before")}</th><th scope="col">{tr("After")}</th></tr></thead>
                <tbody>
                    {move || entries.get().into_iter().map(|e| view! {
                        <tr data-audit=e.action.clone()>
                            <td>{when(e.at)}</td>
                            <td>{e.actor.clone()}</td>
                            <td>{e.action.clone()}</td>
                            <td>{e.target.clone()}</td>
                            <td><code>{json_text(&e.before)}</code></td>
                            <td><code>{json_text(&e.after)}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <div class="actions">
                <button type="button" data-action="audit-reload" on:click=move |_| load(None)>{tr("Reload")}</button>
                {move || next.get().map(|n| view! {
                    <button type="button" data-action="audit-more" on:click=move |_| load(Some(n.clone()))>{tr("Older entries")}</button>
                })}
            </div>
            <Note text=note />
        </section>
    }
}
