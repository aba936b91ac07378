//! "Coordinates in every Teams meeting": a tenant's opt-in, where it stands, and what comes
//! in through Graph's change notifications.
//!
//! Here: the opt-in and its audit, the status (what is missing, our app's consent link,
//! subscriptions, queue depth) and the notification door — each notification checked
//! against our subscription (its `clientState`, tenant and user) and kept durably before
//! Graph gets its 202. The subscriptions are `subscriptions`; the processing
//! `inject_events`.

use cvi_core::api::{InjectOutcome, InjectResynced, InjectStatus};
use cvi_core::times;
use cvi_store::{self as store, audit, db::now_ms, inject::Arrived};

use super::{
    bridges::secret_hash,
    consent::{self, CALENDARS_READ_WRITE},
    Caller, Context, Result, Role,
};
use crate::graph::{Notification, Notifications};

/// Where Graph delivers our notifications (the `notifications` door serves it).
pub const NOTIFICATION_PATH: &str = "/graph/notifications";

/// Outcomes the status shows.
const RECENT: i64 = 20;

/// Subscriptions expiring within this are counted as expiring.
const EXPIRING_MS: i64 = 24 * 3_600_000;
/// Notifications taken from one delivery (Graph batches; a larger body is not Graph's).
pub const MAX_PER_DELIVERY: usize = 1_000;

/// Where it stands for the caller's tenant (admins).
pub async fn status(cx: &Context, caller: &Caller) -> Result<InjectStatus> {
    caller.require(Role::Admin)?;
    let enabled = store::inject::enabled(&cx.db, &caller.tenant).await?;
    let mut missing = Vec::new();
    let mut consent_url = None;
    match &cx.graph {
        None => missing.push(
            "this server has no Microsoft Graph access: start `cvi serve` with --client-id and --client-secret-file".to_string(),
        ),
        Some(g) => {
            let ours = store::consents::list(&cx.db, &caller.tenant)
                .await?
                .into_iter()
                .find(|c| c.app_id == g.client_id());
            if !ours.is_some_and(|c| c.granted && c.verified) {
                missing.push(format!(
                    "a Global Administrator's consent to this service's app ({}) for the application permission {}: open the consent link",
                    g.client_id(),
                    CALENDARS_READ_WRITE.0
                ));
                consent_url = Some(consent::own_app_link(cx, caller, g.client_id()).await?);
            }
        }
    }
    let (subscriptions, subscriptions_expiring) =
        store::inject::subscription_counts(&cx.db, &caller.tenant, now_ms() + EXPIRING_MS).await?;
    let depth = store::inject::depth(&cx.db, &caller.tenant).await?;
    let (subscriptions_failed, last_failure) =
        store::inject::failures(&cx.db, &caller.tenant).await?;
    let recent = store::inject::recent_outcomes(&cx.db, &caller.tenant, RECENT)
        .await?
        .into_iter()
        .map(|o| InjectOutcome {
            user: o.user,
            event_id: o.event_id,
            outcome: o.outcome,
            at: times::format_ms(o.at_ms),
        })
        .collect();
    Ok(InjectStatus {
        enabled,
        graph_configured: cx.graph.is_some(),
        missing,
        consent_url,
        subscriptions,
        subscriptions_expiring,
        subscriptions_failed,
        last_failure,
        queue_depth: depth.waiting,
        oldest_waiting: depth.oldest_ms.map(times::format_ms),
        recent,
    })
}

/// Opts the caller's tenant in or out (admins); answers the new status.
pub async fn set(cx: &Context, caller: &Caller, enabled: bool) -> Result<InjectStatus> {
    caller.require(Role::Admin)?;
    let mut tx = cx.writes.begin().await?;
    let before = store::inject::enabled(&mut *tx, &caller.tenant).await?;
    if before != enabled {
        store::inject::set_enabled(&mut tx, &caller.tenant, enabled).await?;
        audit::record(
            &mut tx,
            &caller.tenant,
            &caller.actor,
            if enabled {
                "inject.enable"
            } else {
                "inject.disable"
            },
            "every Teams meeting",
            Some(&before),
            Some(&enabled),
        )
        .await?;
    }
    tx.commit().await?;
    // Subscriptions follow at once, in the background.
    cx.inject_wake.notify_one();
    status(cx, caller).await
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Received {
    pub stored: usize,
    pub dropped: usize,
}

/// Why a notification is not kept (the metric's label), or what to keep.
fn check(
    n: &Notification,
    sub: Option<&store::inject::Subscription>,
) -> std::result::Result<Arrived, &'static str> {
    let sub = sub.ok_or("unknown-subscription")?;
    let state = n.client_state.as_deref().unwrap_or_default();
    // Hashes compared: timing says nothing about the subscription's one secret.
    if secret_hash(state) != secret_hash(&sub.client_state) {
        return Err("wrong-client-state");
    }
    if !n
        .tenant_id
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(&sub.tenant))
    {
        return Err("wrong-tenant");
    }
    let kind = match (n.lifecycle_event.as_deref(), n.change_type.as_deref()) {
        (Some(l @ ("missed" | "subscriptionRemoved" | "reauthorizationRequired")), _) => l,
        (None, Some(c @ ("created" | "updated" | "deleted"))) => c,
        _ => return Err("unknown-change"),
    };
    // A lifecycle notification names no event; a change names one of the subscribed
    // user's events (`Users/{user}/Events/{id}`), never another user's.
    let event_id = if n.lifecycle_event.is_some() {
        None
    } else {
        let resource = n.resource.as_deref().unwrap_or_default();
        let mut parts = resource.split('/');
        let (Some(users), Some(user), Some(events), Some(id), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err("odd-resource");
        };
        // Graph names the user by id, or as `{user id}@{tenant id}`.
        let same_user = user.eq_ignore_ascii_case(&sub.user)
            || user
                .split_once('@')
                .is_some_and(|(u, _)| u.eq_ignore_ascii_case(&sub.user));
        if !users.eq_ignore_ascii_case("users")
            || !events.eq_ignore_ascii_case("events")
            || !same_user
            || id.is_empty()
            || id.len() > 512
        {
            return Err("odd-resource");
        }
        if n.resource_data
            .as_ref()
            .and_then(|d| d.id.as_deref())
            .is_some_and(|d| d != id)
        {
            return Err("odd-resource");
        }
        Some(id.to_string())
    };
    Ok(Arrived {
        tenant: sub.tenant.clone(),
        subscription: sub.id.clone(),
        user: sub.user.clone(),
        kind: kind.to_string(),
        event_id,
    })
}

/// Keeps each notification of a delivery that is about one of our subscriptions (its
/// secret, tenant and user matching); the rest are dropped and counted. Nothing of the
/// notification is trusted beyond which event to read back from Graph.
pub async fn receive(cx: &Context, delivery: Notifications) -> Result<Received> {
    let mut keep = Vec::new();
    let mut dropped = 0;
    for n in delivery.value.iter().take(MAX_PER_DELIVERY) {
        let id = n.subscription_id.as_deref().unwrap_or_default();
        let sub = if id.is_empty() || id.len() > 128 {
            None
        } else {
            store::inject::subscription(&cx.db, id).await?
        };
        match check(n, sub.as_ref()) {
            Ok(a) => keep.push(a),
            Err(why) => {
                dropped += 1;
                cx.metrics.graph_notification(why);
            }
        }
    }
    dropped += delivery.value.len().saturating_sub(MAX_PER_DELIVERY);
    store::inject::push(&cx.db, &keep).await?;
    for _ in &keep {
        cx.metrics.graph_notification("stored");
    }
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "Graph notifications dropped (see cvi_graph_notifications)"
        );
    }
    Ok(Received {
        stored: keep.len(),
        dropped,
    })
}

/// How far back and ahead a resync looks.
const RESYNC_BACK_MS: i64 = 86_400_000;
const RESYNC_AHEAD_MS: i64 = 180 * 86_400_000;

/// Queues every event of `sub`'s user from a day ago to 180 days ahead, as if each had just
/// changed: after a `missed` notification, or an admin's resync. Answers how many.
pub async fn sync_calendar(cx: &Context, sub: &store::inject::Subscription) -> Result<usize> {
    let Some(graph) = &cx.graph else {
        return Ok(0);
    };
    let now = now_ms();
    let ids = graph
        .events_between(
            &sub.tenant,
            &sub.user,
            &times::format_ms(now - RESYNC_BACK_MS),
            &times::format_ms(now + RESYNC_AHEAD_MS),
        )
        .await
        .map_err(|e| super::Error::Unavailable(e.to_string()))?;
    let items: Vec<Arrived> = ids
        .into_iter()
        .map(|id| Arrived {
            tenant: sub.tenant.clone(),
            subscription: sub.id.clone(),
            user: sub.user.clone(),
            kind: "updated".into(),
            event_id: Some(id),
        })
        .collect();
    store::inject::push(&cx.db, &items).await?;
    Ok(items.len())
}

/// An admin's resync of one user's calendar (`cvi inject resync --user UPN`).
pub async fn resync(cx: &Context, caller: &Caller, upn: &str) -> Result<InjectResynced> {
    caller.require(Role::Admin)?;
    let sub = store::inject::subscriptions(&cx.db, &caller.tenant)
        .await?
        .into_iter()
        .find(|s| s.upn.eq_ignore_ascii_case(upn.trim()))
        .ok_or_else(|| {
            super::Error::NotFound(format!(
                "{upn} has no calendar subscription: is \"coordinates in every Teams meeting\" on (`cvi inject status`) and does the user's policy give coordinates (`cvi policy effective --identity {upn}`)?"
            ))
        })?;
    let queued = sync_calendar(cx, &sub).await?;
    Ok(InjectResynced {
        user: sub.upn,
        queued: queued as u64,
    })
}
