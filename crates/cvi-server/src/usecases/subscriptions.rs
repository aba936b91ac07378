//! Our Graph subscriptions follow the tenant's switch and grants: one per user whose
//! effective policy issues coordinates (user grants, group grants through the groups'
//! transitive members, the global grant through the directory's users, all paged), renewed a day
//! before they expire, deleted when the user is no longer covered or the tenant opts out.
//! The work runs in the background (`inject_events::work_forever`); an admin's switch wakes
//! it at once.

use cvi_core::times;
use cvi_store::{self as store, db::now_ms, inject::Subscription};

use super::{inject::NOTIFICATION_PATH, policy, Context, Result};
use crate::graph::{DirectoryUser, Graph, GraphError};

/// How long a subscription is asked for (Graph allows events up to 10,080 minutes).
const LIFETIME_MS: i64 = 3 * 86_400_000;
/// Renewed when less than this is left.
const RENEW_BEFORE_MS: i64 = 86_400_000;

/// What one reconciliation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub created: usize,
    pub renewed: usize,
    pub removed: usize,
    /// Users whose subscription Graph refused, with why.
    pub failed: Vec<String>,
}

/// The users whose effective policy issues coordinates. Only who a grant can reach is read
/// from Graph: the directory (a global grant), each granted group's members, each user
/// grant's user; each user's policy is then decided with the granted groups they are in.
async fn covered(cx: &Context, graph: &Graph, tenant: &str) -> Result<Vec<DirectoryUser>> {
    use cvi_core::policy::GrantTarget;
    let unavailable = |e: GraphError| super::Error::Unavailable(e.to_string());
    let grants = store::grants::list(&cx.db, tenant).await?;
    // id → (user, granted groups they are in)
    let mut reach: std::collections::BTreeMap<String, (DirectoryUser, Vec<String>)> =
        Default::default();
    for g in &grants {
        match &g.target {
            GrantTarget::Global => {
                for u in graph.users(tenant).await.map_err(unavailable)? {
                    reach.entry(u.id.clone()).or_insert((u, Vec::new()));
                }
            }
            GrantTarget::Group { group_id, .. } => {
                for u in graph
                    .group_users(tenant, group_id)
                    .await
                    .map_err(unavailable)?
                {
                    reach
                        .entry(u.id.clone())
                        .or_insert((u, Vec::new()))
                        .1
                        .push(group_id.clone());
                }
            }
            GrantTarget::User { upn } => {
                if let Some(u) = graph.user(tenant, upn).await.map_err(unavailable)? {
                    reach.entry(u.id.clone()).or_insert((u, Vec::new()));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (_, (u, groups)) in reach {
        let view = policy::effective(cx, tenant, &u.upn, &groups).await?;
        if view.policy.enabled {
            out.push(u);
        }
    }
    Ok(out)
}

/// Brings `tenant`'s subscriptions in line with its switch and grants.
pub async fn reconcile(cx: &Context, tenant: &str) -> Result<Reconciled> {
    let Some(graph) = cx.graph.clone() else {
        return Ok(Reconciled::default());
    };
    let existing = store::inject::subscriptions(&cx.db, tenant).await?;
    let users = if store::inject::enabled(&cx.db, tenant).await? {
        covered(cx, &graph, tenant).await?
    } else {
        Vec::new()
    };
    let mut done = Reconciled::default();
    for s in existing
        .iter()
        .filter(|s| !users.iter().any(|u| u.id == s.user))
    {
        match graph.unsubscribe(tenant, &s.id).await {
            Ok(()) => {
                let mut tx = cx.writes.begin().await?;
                store::inject::remove_subscription(&mut tx, &s.id).await?;
                tx.commit().await?;
                done.removed += 1;
            }
            Err(e) => done.failed.push(format!("{}: {e}", s.upn)),
        }
    }
    let url = format!("{}{NOTIFICATION_PATH}", cx.public_url.trim_end_matches('/'));
    let now = now_ms();
    for u in &users {
        let current = existing.iter().find(|s| s.user == u.id);
        if current.is_some_and(|s| s.expires_at_ms > now + RENEW_BEFORE_MS) {
            continue;
        }
        // Renewed in place when Graph still has it (no new handshake, no new secret).
        if let Some(old) = current {
            match graph
                .renew(tenant, &old.id, &times::format_ms(now + LIFETIME_MS))
                .await
            {
                Ok(expires) => {
                    let mut tx = cx.writes.begin().await?;
                    store::inject::renewed(
                        &mut tx,
                        &old.id,
                        times::parse_ms(&expires).unwrap_or(now + LIFETIME_MS),
                    )
                    .await?;
                    tx.commit().await?;
                    done.renewed += 1;
                    continue;
                }
                Err(GraphError::NotFound { .. }) => {}
                Err(e) => {
                    done.failed.push(format!("{}: {e}", u.upn));
                    continue;
                }
            }
        }
        let state = format!("{:032x}", rand::random::<u128>());
        match graph
            .subscribe(
                tenant,
                &u.id,
                &url,
                &state,
                &times::format_ms(now + LIFETIME_MS),
            )
            .await
        {
            Ok((id, expires)) => {
                let expires_at_ms = times::parse_ms(&expires).unwrap_or(now + LIFETIME_MS);
                let mut tx = cx.writes.begin().await?;
                store::inject::put_subscription(
                    &mut tx,
                    &Subscription {
                        id,
                        tenant: tenant.to_string(),
                        user: u.id.clone(),
                        upn: u.upn.clone(),
                        client_state: state,
                        expires_at_ms,
                    },
                )
                .await?;
                tx.commit().await?;
                // The replaced one is deleted at Graph too.
                if let Some(old) = current {
                    let _ = graph.unsubscribe(tenant, &old.id).await;
                }
                done.created += 1;
            }
            Err(e) => done.failed.push(format!("{}: {e}", u.upn)),
        }
    }
    if !done.failed.is_empty() {
        tracing::warn!(tenant, failed = ?done.failed, "Graph subscriptions not made");
    }
    store::inject::record_failures(
        &cx.db,
        tenant,
        done.failed.len() as i64,
        done.failed.first().map(String::as_str),
    )
    .await?;
    Ok(done)
}

/// How long one server may take to reconcile a tenant before another may.
const LEASE_MS: i64 = 5 * 60_000;

/// Every tenant that opted in, and every tenant still holding subscriptions; a tenant
/// another server is reconciling now is left to it. `me` names this server.
pub async fn reconcile_all(cx: &Context, me: &str) -> Result<()> {
    // Outcomes are kept 30 days (the console shows the latest).
    store::inject::purge_outcomes(&cx.db, now_ms() - 30 * 86_400_000).await?;
    let mut tenants = store::inject::enabled_tenants(&cx.db).await?;
    for t in store::inject::tenants_with_subscriptions(&cx.db).await? {
        if !tenants.contains(&t) {
            tenants.push(t);
        }
    }
    for t in tenants {
        let lease = format!("reconcile:{t}");
        if !store::inject::lease(&cx.db, &lease, me, LEASE_MS).await? {
            continue;
        }
        if let Err(e) = reconcile(cx, &t).await {
            tracing::warn!(tenant = %t, error = %e, "Graph subscriptions not reconciled");
        }
        store::inject::release(&cx.db, &lease, me).await?;
    }
    Ok(())
}
