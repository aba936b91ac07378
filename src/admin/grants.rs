//! Policies and grants: who gets which provider, by user, group (with rank) or globally —
//! and, for one user, which grant wins and why.

use cvi_core::api::{EffectiveView, GrantRequest, GrantView, TargetKind};
use leptos::{prelude::*, task::spawn_local};

use super::{
    client::{AdminApi, Setup},
    problem_text,
    words::{tr, tr_with},
    Note,
};

fn target_name(t: TargetKind) -> &'static str {
    match t {
        TargetKind::User => "user",
        TargetKind::Group => "group",
        TargetKind::Global => "global",
    }
}

fn target_of(s: &str) -> TargetKind {
    match s {
        "user" => TargetKind::User,
        "group" => TargetKind::Group,
        _ => TargetKind::Global,
    }
}

/// Users first, then groups by rank (1 decides first), then the global grant: the order
/// in which they decide.
fn decision_order(grants: &[GrantView]) -> Vec<GrantView> {
    let mut g = grants.to_vec();
    g.sort_by_key(|g| match g.target {
        TargetKind::User => (0, 0, g.identity.clone()),
        TargetKind::Group => (1, g.rank.unwrap_or(u32::MAX), g.identity.clone()),
        TargetKind::Global => (2, 0, None),
    });
    g
}

#[component]
pub fn Grants(
    api: StoredValue<AdminApi>,
    setup: RwSignal<Option<Setup>>,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // The policies are the six preconstructed ones: read once for the form.
    let policies = setup
        .get_untracked()
        .map(|s| s.policies)
        .unwrap_or_default();
    let target = RwSignal::new("global".to_string());
    let identity = RwSignal::new(String::new());
    let rank = RwSignal::new("1".to_string());
    let policy = RwSignal::new(
        policies
            .iter()
            .find(|p| p.enabled)
            .map(|p| p.identity.clone())
            .unwrap_or_default(),
    );
    let note = RwSignal::new(None::<(bool, String)>);
    let why_user = RwSignal::new(String::new());
    let why_groups = RwSignal::new(String::new());
    let why = RwSignal::new(None::<Result<EffectiveView, String>>);

    // Changes one after another (a rank swap is two), then one refresh.
    let put_all = move |reqs: Vec<GrantRequest>, done: String| {
        spawn_local(async move {
            for req in &reqs {
                if let Err(e) = api.get_value().put_grant(req).await {
                    note.set(Some((true, problem_text(&e))));
                    refresh();
                    return;
                }
            }
            note.set(Some((false, done)));
            refresh();
        });
    };
    let put = move |req: GrantRequest, done: String| put_all(vec![req], done);
    let grant = move || {
        let t = target_of(&target.get());
        let id = identity.get().trim().to_string();
        let req = GrantRequest {
            target: t,
            identity: (t != TargetKind::Global).then_some(id),
            rank: if t == TargetKind::Group {
                match rank.get().trim().parse::<u32>() {
                    Ok(r) => Some(r),
                    Err(_) => {
                        return note.set(Some((
                            true,
                            tr("rank: a whole number, 1 or more (1 decides first)").into(),
                        )));
                    }
                }
            } else {
                None
            },
            policy_name: Some(policy.get()),
        };
        put(req, tr("Grant saved.").into());
    };
    let ask_why = move || {
        let (u, g) = (why_user.get(), why_groups.get());
        spawn_local(async move {
            why.set(Some(
                api.get_value()
                    .effective(u.trim(), &g)
                    .await
                    .map_err(|e| problem_text(&e)),
            ));
        });
    };

    // Only the table follows the set-up; the forms keep what the admin typed.
    let rows = move || {
        let setup = setup.get()?;
        let ordered = decision_order(&setup.grants);
        let top = setup
            .grants
            .iter()
            .filter_map(|g| g.rank)
            .max()
            .unwrap_or(0);
        let groups: Vec<GrantView> = ordered
            .iter()
            .filter(|g| g.target == TargetKind::Group)
            .cloned()
            .collect();
        let rows = ordered
        .into_iter()
        .map(|g| {
            let provider = setup.provider_of(&g.policy_name).unwrap_or("?").to_string();
            let who = g.identity.clone().unwrap_or_else(|| "everyone".into());
            let revoke = GrantRequest {
                target: g.target,
                identity: g.identity.clone(),
                rank: None,
                policy_name: None,
            };
            // Moving a group up or down swaps its rank with its neighbour's.
            let pos = groups.iter().position(|x| x.identity == g.identity && g.target == TargetKind::Group);
            let swap = |other: Option<&GrantView>| {
                other.map(|o| {
                    let (a, b) = (g.clone(), o.clone());
                    move || {
                        // Ranks are distinct: a goes to a free rank first, then b takes a's
                        // old rank and a takes b's.
                        let (ra, rb) = (a.rank.unwrap_or(1), b.rank.unwrap_or(1));
                        let free = top + 1;
                        let req = |x: &GrantView, r: u32| GrantRequest {
                            target: TargetKind::Group,
                            identity: x.identity.clone(),
                            rank: Some(r),
                            policy_name: Some(x.policy_name.clone()),
                        };
                        let reqs = vec![req(&a, free), req(&b, ra), req(&a, rb)];
                        put_all(reqs, tr("Ranks swapped.").into());
                    }
                })
            };
            let up = pos.and_then(|i| swap(i.checked_sub(1).and_then(|j| groups.get(j))));
            let down = pos.and_then(|i| swap(groups.get(i + 1)));
            let label = who.clone();
            view! {
                <tr data-grant=format!("{}:{}", target_name(g.target), who)>
                    <td>{match g.target { TargetKind::User => tr("user"), TargetKind::Group => tr("group"), TargetKind::Global => tr("global") }}</td>
                    <th scope="row">{if g.identity.is_some() { who.clone() } else { tr("everyone").to_string() }}</th>
                    <td>{g.rank.map(|r| r.to_string()).unwrap_or_default()}</td>
                    <td>{g.policy_name.clone()}</td>
                    <td>{provider}</td>
                    <td class="actions-cell">
                        {up.map(|f| view! { <button type="button" data-action="move-up" aria-label=tr_with("Move {who} up (decides earlier)", &[("who", &label)]) on:click=move |_| f()>"↑"</button> })}
                        {down.map(|f| view! { <button type="button" data-action="move-down" aria-label=tr_with("Move {who} down", &[("who", &g.identity.clone().unwrap_or_default())]) on:click=move |_| f()>"↓"</button> })}
                        <button type="button" data-action="revoke" aria-label=tr_with("Revoke the grant of {who}", &[("who", g.identity.as_deref().unwrap_or(tr("everyone")))])
                            on:click=move |_| put(revoke.clone(), tr("Grant revoked.").into())>{tr("Revoke")}</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
        Some(rows)
    };
    let empty = move || setup.with(|s| s.as_ref().is_some_and(|s| s.grants.is_empty()));
    view! {
        <section id="grants" aria-labelledby="grants-h">
            <h2 id="grants-h">{tr("Policies and grants")}</h2>
            <p class="hint">{tr("Who gets what: a user's own grant decides first, then their groups by rank (1 first), then the global grant.")}</p>
            <table>
                <caption class="visually-hidden">{tr("Grants in the order they decide")}</caption>
                <thead><tr><th scope="col">{tr("Kind")}</th><th scope="col">{tr("Who")}</th><th scope="col">{tr("Rank")}</th><th scope="col">{tr("Policy")}</th><th scope="col">{tr("Provider")}</th><th scope="col"><span class="visually-hidden">{tr("Actions")}</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || empty().then(|| view! { <p class="hint">{tr("No grant yet: no one gets video conferencing details.")}</p> })}
            <form class="grant-form" on:submit=move |ev| { ev.prevent_default(); grant(); }>
                <h3>{tr("Grant a policy")}</h3>
                <div class="row">
                    <label>{tr("To")}
                        <select name="target" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                            <option value="global">{tr("Everyone (global)")}</option>
                            <option value="group">{tr("A group")}</option>
                            <option value="user">{tr("A user")}</option>
                        </select>
                    </label>
                    <Show when=move || target.get() != "global">
                        <label>{move || if target.get() == "group" { tr("Group id") } else { tr("User (UPN)") }}
                            <input type="text" name="identity" prop:value=move || identity.get() on:input=move |ev| identity.set(event_target_value(&ev)) />
                        </label>
                    </Show>
                    <Show when=move || target.get() == "group">
                        <label>{tr("Rank (1 decides first)")}
                            <input type="number" name="rank" min="1" prop:value=move || rank.get() on:input=move |ev| rank.set(event_target_value(&ev)) />
                        </label>
                    </Show>
                </div>
                <label>{tr("Policy")}
                    <select name="policy" prop:value=move || policy.get() on:change=move |ev| policy.set(event_target_value(&ev))>
                        {policies.iter().map(|p| view! { <option value=p.identity.clone()>{format!("{} — {}", p.identity, p.description)}</option> }).collect_view()}
                    </select>
                </label>
                <div class="actions"><button class="primary" type="submit" data-action="grant">{tr("Grant")}</button></div>
            </form>
            <Note text=note />
            <form class="why-form" on:submit=move |ev| { ev.prevent_default(); ask_why(); }>
                <h3>{tr("Effective policy — and why")}</h3>
                <div class="row">
                    <label>{tr("User (UPN)")}
                        <input type="text" name="why-user" prop:value=move || why_user.get() on:input=move |ev| why_user.set(event_target_value(&ev)) />
                    </label>
                    <label>{tr("Their groups (ids, separated by commas)")}
                        <input type="text" name="why-groups" prop:value=move || why_groups.get() on:input=move |ev| why_groups.set(event_target_value(&ev)) />
                    </label>
                </div>
                <div class="actions"><button type="submit" data-action="why">{tr("Show")}</button></div>
                <div aria-live="polite">
                    {move || why.get().map(|r| match r {
                        Ok(e) => view! {
                            <p class="status info" data-testid="why">
                                <strong>{e.policy.identity.clone()}</strong>
                                {format!(" ({}) — ", e.policy.provider_name)}
                                {e.reason.clone()}
                            </p>
                        }.into_any(),
                        Err(t) => view! { <p class="status error" role="alert">{t}</p> }.into_any(),
                    })}
                </div>
            </form>
        </section>
    }
}
