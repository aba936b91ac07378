//! Working through Graph's notifications (kept by `inject::receive`): each event is read
//! back from Graph — nothing in a notification is trusted — and a Teams meeting its user
//! organizes gets the block, written with `If-Match` on the event's etag.
//!
//! Convergence: the block is cvi-core's upsert of the server's rendering, so a body that
//! already holds it is never written again (our own PATCH comes back as an `updated`
//! notification and changes nothing). A block we did not issue is never overwritten, and a
//! block the organizer removed from a meeting we wrote is not written again.

use cvi_core::api::{IssueRequest, UpdateRequest};
use cvi_core::invite::{self, BodyKind};
use cvi_store::{
    self as store,
    db::now_ms,
    inject::{Claimed, Subscription},
};
use serde_json::json;

use super::{meetings, Caller, Context, Error, Result, Role};
use crate::graph::{EventRead, Graph, GraphError};

/// How long one server holds a notification it took (then another may take it). Short:
/// working on one twice is safe (issuance is idempotent by key, writes carry `If-Match`),
/// so a server killed mid-work delays its notifications by this much at most.
pub const LEASE_MS: i64 = 15_000;
/// Notifications worked on at once by one server (Graph's latency, not our CPU, bounds a
/// notification's time).
pub const CONCURRENCY: i64 = 64;
/// At most this many of one mailbox's at once: Outlook's limit is 4 concurrent requests per
/// app and mailbox ("Microsoft Graph service-specific throttling limits", Outlook service
/// limits, learn.microsoft.com/graph/throttling-limits).
pub const PER_MAILBOX: usize = 4;
/// Tries of one notification before it is given up (and recorded so).
const MAX_ATTEMPTS: i64 = 8;
/// The wait before a notification Graph could not serve is tried again.
const RETRY_MS: i64 = 5_000;

/// What became of one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Done with (whatever the outcome): it leaves the inbox.
    Done,
    /// Try again from then (Graph was unavailable; the event changed under us).
    RetryAt(i64),
    /// Graph asked to wait: this notification and every other of the mailbox wait until
    /// then.
    Throttled(i64),
}

/// The caller a subscription's user acts as: the organizer, in `groups`.
fn caller_of(sub: &Subscription, groups: Vec<String>) -> Caller {
    Caller {
        tenant: sub.tenant.clone(),
        actor: sub.upn.clone(),
        upn: Some(sub.upn.clone()),
        oid: Some(sub.user.clone()),
        roles: vec![Role::Organizer],
        groups,
        app_id: None,
    }
}

/// The organizer with their groups from Graph (issuance decides by them).
async fn organizer(graph: &Graph, sub: &Subscription) -> std::result::Result<Caller, GraphError> {
    let groups = graph.member_groups(&sub.tenant, &sub.user).await?;
    Ok(caller_of(sub, groups))
}

/// A meeting key from an event's iCalUId (which Outlook and Teams share for one meeting).
fn key_of(ical_uid: &str) -> String {
    // iCalUIds are long hex; a key is at most 256 printable characters.
    let kept: String = ical_uid
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(200)
        .collect();
    format!("graph-{kept}")
}

async fn outcome(cx: &Context, sub: &Subscription, event_id: &str, what: &str) -> Result<Step> {
    store::inject::record_outcome(&cx.db, &sub.tenant, &sub.user, event_id, what).await?;
    Ok(Step::Done)
}

/// Graph's refusal as a step: waits are retried, refusals recorded.
async fn graph_failed(
    cx: &Context,
    sub: &Subscription,
    event_id: &str,
    e: GraphError,
) -> Result<Step> {
    match e {
        GraphError::Unavailable { .. } | GraphError::Changed { .. } => {
            Ok(Step::RetryAt(now_ms() + RETRY_MS))
        }
        GraphError::Throttled { wait, .. } => Ok(Step::Throttled(
            now_ms()
                + i64::try_from(wait.as_millis())
                    .unwrap_or(RETRY_MS)
                    .max(RETRY_MS),
        )),
        GraphError::NotFound { .. } => cancel_event(cx, sub, event_id).await,
        GraphError::Forbidden { .. } | GraphError::Credentials { .. } => {
            outcome(cx, sub, event_id, "graph-refused").await
        }
    }
}

/// Works on one notification taken from the inbox.
pub async fn process(cx: &Context, item: &Claimed) -> Result<Step> {
    let a = &item.arrived;
    let Some(graph) = cx.graph.clone() else {
        return Ok(Step::Done);
    };
    if !store::inject::enabled(&cx.db, &a.tenant).await? {
        return Ok(Step::Done);
    }
    // A subscription removed since (the user's grant was revoked) ends its notifications.
    let Some(sub) = store::inject::subscription(&cx.db, &a.subscription).await? else {
        return Ok(Step::Done);
    };
    let Some(event_id) = a.event_id.as_deref() else {
        // Lifecycle: notifications were missed — the user's calendar is read again; or the
        // subscription is forgotten, and the next reconciliation makes a new one.
        if a.kind == "missed" {
            super::inject::sync_calendar(cx, &sub).await?;
        }
        if a.kind == "reauthorizationRequired" {
            // Answered by renewing it (Graph's documented answer); if that fails it is made
            // anew below.
            let until = cvi_core::times::format_ms(now_ms() + 3 * 86_400_000);
            if let Ok(expires) = graph.renew(&sub.tenant, &sub.id, &until).await {
                let mut tx = cx.writes.begin().await?;
                store::inject::renewed(
                    &mut tx,
                    &sub.id,
                    cvi_core::times::parse_ms(&expires).unwrap_or(now_ms()),
                )
                .await?;
                tx.commit().await?;
                return Ok(Step::Done);
            }
        }
        if matches!(
            a.kind.as_str(),
            "subscriptionRemoved" | "reauthorizationRequired"
        ) {
            let _ = graph.unsubscribe(&sub.tenant, &sub.id).await;
            let mut tx = cx.writes.begin().await?;
            store::inject::remove_subscription(&mut tx, &sub.id).await?;
            tx.commit().await?;
            cx.inject_wake.notify_one();
        }
        return Ok(Step::Done);
    };
    if item.attempts > MAX_ATTEMPTS {
        return outcome(cx, &sub, event_id, "gave-up").await;
    }
    if a.kind == "deleted" {
        return cancel_event(cx, &sub, event_id).await;
    }
    let ev = match graph.read_event(&sub.tenant, &sub.user, event_id).await {
        Ok(Some(ev)) => ev,
        Ok(None) => return cancel_event(cx, &sub, event_id).await,
        Err(e) => return graph_failed(cx, &sub, event_id, e).await,
    };
    if ev.is_cancelled {
        return cancel_event(cx, &sub, event_id).await;
    }
    if !ev.is_online_meeting || ev.provider != "teamsForBusiness" {
        return outcome(cx, &sub, event_id, "not-a-teams-meeting").await;
    }
    if !ev.is_organizer {
        return outcome(cx, &sub, event_id, "not-organizer").await;
    }
    // A series has one Video ID, in its master's body (which its occurrences show); an
    // occurrence or exception is left as it is.
    if matches!(ev.kind.as_str(), "occurrence" | "exception") {
        return outcome(cx, &sub, event_id, "series-occurrence").await;
    }
    let Some(html) = ev.html.as_deref() else {
        return outcome(cx, &sub, event_id, "text-body").await;
    };
    let caller = match organizer(&graph, &sub).await {
        Ok(c) => c,
        Err(e) => return graph_failed(cx, &sub, event_id, e).await,
    };
    write_block(cx, &graph, &sub, &caller, event_id, &ev, html).await
}

/// The meeting an event is, found by the Video ID of our block in its body, by the event,
/// or newly issued; then the body upserted with its block if that changes anything.
async fn write_block(
    cx: &Context,
    graph: &Graph,
    sub: &Subscription,
    caller: &Caller,
    event_id: &str,
    ev: &EventRead,
    html: &str,
) -> Result<Step> {
    let blocks: Vec<invite::Found> = invite::find(html, BodyKind::Html)
        .into_iter()
        .filter(|f| !f.quoted)
        .collect();
    let ours = blocks.iter().find(|f| f.anchored);
    if ours.is_none() && !blocks.is_empty() {
        return outcome(cx, sub, event_id, "foreign-block").await;
    }
    let series_end = ev.series_until.as_ref().map(|d| format!("{d}T23:59:59Z"));
    let known = store::meetings::by_graph_event(&cx.db, &sub.tenant, event_id).await?;
    let meeting = match ours.and_then(|f| f.coordinates.video_id.as_ref()) {
        // Our block (the add-in's, or ours from before): the same meeting, its Video ID kept.
        Some(vid) => match meetings::find_by_video_id(cx, caller, vid.as_str()).await {
            Ok(m) if !m.cancelled => m,
            _ => return outcome(cx, sub, event_id, "foreign-block").await,
        },
        None => {
            // Written once and gone from the body: the organizer removed it on purpose.
            if let Some(key) = &known {
                if meetings::show(cx, caller, key)
                    .await
                    .is_ok_and(|m| !m.cancelled)
                {
                    return outcome(cx, sub, event_id, "removed-by-organizer").await;
                }
            }
            let issued = meetings::issue(
                cx,
                caller,
                IssueRequest {
                    meeting_key: key_of(&ev.ical_uid),
                    subject: None,
                    start: ev.start.clone(),
                    end: ev.end.clone(),
                    series_end: series_end.clone(),
                    lang: None,
                    teams_join_url: ev.join_url.clone(),
                },
            )
            .await;
            match issued {
                Ok((_, m)) => m,
                Err(
                    e @ (Error::PolicyDisabled(_)
                    | Error::ProviderMissing(_)
                    | Error::ConsentMissing { .. }
                    | Error::RateLimited(_)
                    | Error::Conflict(_)
                    | Error::Invalid(_)),
                ) => {
                    let why = match e {
                        Error::PolicyDisabled(_) => "no-grant",
                        Error::ProviderMissing(_) => "provider-missing",
                        Error::ConsentMissing { .. } => "consent-missing",
                        Error::RateLimited(_) => "quota",
                        _ => "refused",
                    };
                    return outcome(cx, sub, event_id, why).await;
                }
                Err(e) => return Err(e),
            }
        }
    };
    let key = meeting.coordinates.meeting_key.clone().unwrap_or_default();
    // The meeting is tied to its event once the block is in the body (found there now, or
    // written below): a body without it later means the organizer took it out.
    let tie = || async {
        if known.as_deref() == Some(key.as_str()) {
            return Ok::<(), Error>(());
        }
        let mut tx = cx.writes.begin().await?;
        store::meetings::set_graph_event(
            &mut tx,
            &sub.tenant,
            &key,
            event_id,
            meetings::join_url(ev.join_url.as_deref())
                .ok()
                .flatten()
                .as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    };
    // The event moved: the meeting follows (its expiry with it).
    if meeting.start != ev.start || meeting.end != ev.end {
        meetings::update(
            cx,
            caller,
            &key,
            UpdateRequest {
                start: Some(ev.start.clone()),
                end: Some(ev.end.clone()),
                series_end,
                ..UpdateRequest::default()
            },
        )
        .await?;
    }
    let Some(block) = meeting.coordinates.block.as_ref() else {
        return outcome(cx, sub, event_id, "refused").await;
    };
    let body = invite::upsert(html, BodyKind::Html, block);
    if body == html {
        tie().await?;
        return outcome(cx, sub, event_id, "written").await;
    }
    let mut patch = json!({"body": {"contentType": "html", "content": body}});
    if ev.location.trim().is_empty() {
        if let Some(d) = meeting.coordinates.direct_dial_uri.as_deref() {
            patch["location"] = json!({"displayName": format!("sip:{d}")});
        }
    }
    match graph
        .write_event(&sub.tenant, &sub.user, event_id, &ev.etag, &patch)
        .await
    {
        Ok(()) => {
            tie().await?;
            outcome(cx, sub, event_id, "written").await
        }
        // Changed meanwhile: read again (the next try merges into the newer body).
        Err(GraphError::Changed { .. }) => Ok(Step::RetryAt(now_ms())),
        Err(e) => graph_failed(cx, sub, event_id, e).await,
    }
}

/// The event is gone or cancelled: so are its coordinates.
async fn cancel_event(cx: &Context, sub: &Subscription, event_id: &str) -> Result<Step> {
    if let Some(key) = store::meetings::by_graph_event(&cx.db, &sub.tenant, event_id).await? {
        // Cancelling needs no groups: the organizer owns the meeting.
        let caller = caller_of(sub, Vec::new());
        match meetings::cancel(cx, &caller, &key).await {
            Ok(_) | Err(Error::Conflict(_) | Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    outcome(cx, sub, event_id, "cancelled").await
}

/// Works on one taken notification and records what became of it; answers until when its
/// mailbox must rest, when Graph asked for that.
async fn work_on(cx: std::sync::Arc<Context>, item: Claimed) -> Option<i64> {
    let mut rest = None;
    let done = match process(&cx, &item).await {
        Ok(Step::Done) => store::inject::done(&cx.db, &item.id).await,
        Ok(Step::RetryAt(at)) => store::inject::retry_at(&cx.db, &item.id, at).await,
        Ok(Step::Throttled(at)) => {
            rest = Some(at);
            store::inject::give_back_at(&cx.db, &item.id, at).await
        }
        Err(e) => {
            tracing::warn!(error = %e, notification = %item.id, "a Graph notification failed; it is tried again");
            store::inject::retry_at(&cx.db, &item.id, now_ms() + RETRY_MS).await
        }
    };
    if let Err(e) = done {
        // The lease runs out and the notification is taken again.
        tracing::warn!(error = %e, notification = %item.id, "a Graph notification's state was not saved");
    }
    rest
}

/// The mailboxes in work: how many of each one's notifications, and until when Graph asked
/// one to rest.
#[derive(Default)]
struct Mailboxes {
    busy: std::collections::HashMap<(String, String), usize>,
    resting: std::collections::HashMap<(String, String), i64>,
}

/// Takes what the free slots allow — at most [`CONCURRENCY`] in flight, [`PER_MAILBOX`]
/// of one mailbox, none of a mailbox Graph asked to rest — and starts work on each.
/// Answers how many were started.
async fn take_more(
    cx: &std::sync::Arc<Context>,
    work: &mut tokio::task::JoinSet<((String, String), Option<i64>)>,
    boxes: &mut Mailboxes,
) -> Result<usize> {
    let free = CONCURRENCY - work.len() as i64;
    if free <= 0 {
        return Ok(0);
    }
    let now = now_ms();
    boxes.resting.retain(|_, until| *until > now);
    let items = store::inject::claim(&cx.db, !cx.writes.is_sqlite(), LEASE_MS, free).await?;
    let mut started = 0;
    for item in items {
        let mailbox = (item.arrived.tenant.clone(), item.arrived.user.clone());
        if let Some(until) = boxes.resting.get(&mailbox) {
            store::inject::give_back_at(&cx.db, &item.id, *until).await?;
            continue;
        }
        let n = boxes.busy.entry(mailbox.clone()).or_default();
        if *n >= PER_MAILBOX {
            // The mailbox is busy enough: back to the inbox, taken again later.
            store::inject::give_back_at(&cx.db, &item.id, 0).await?;
            continue;
        }
        *n += 1;
        started += 1;
        let cx = cx.clone();
        work.spawn(async move {
            let rest = work_on(cx, item).await;
            (mailbox, rest)
        });
    }
    Ok(started)
}

/// How often subscriptions are reconciled without being woken (renewals, group changes).
const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// The pause when the inbox is empty.
const IDLE: std::time::Duration = std::time::Duration::from_millis(200);

/// The background work of "coordinates in every Teams meeting", for as long as the server
/// runs: the inbox drained, subscriptions reconciled every minute and whenever an admin's
/// switch wakes it ([`Context::inject_wake`]).
pub async fn work_forever(cx: std::sync::Arc<Context>) {
    let me = format!("{:016x}", rand::random::<u64>());
    let mut next_reconcile = tokio::time::Instant::now();
    // Notifications in work, and how many of each mailbox's.
    let mut work = tokio::task::JoinSet::new();
    let mut boxes = Mailboxes::default();
    loop {
        if tokio::time::Instant::now() >= next_reconcile {
            if let Err(e) = super::subscriptions::reconcile_all(&cx, &me).await {
                tracing::warn!(error = %e, "Graph subscriptions not reconciled");
            }
            next_reconcile = tokio::time::Instant::now() + RECONCILE_EVERY;
        }
        let started = match take_more(&cx, &mut work, &mut boxes).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "the Graph notification inbox could not be read");
                0
            }
        };
        if started > 0 {
            continue;
        }
        // Nothing new to take now: wait for a slot, a pause, or the switch.
        tokio::select! {
            Some(done) = work.join_next(), if !work.is_empty() => {
                if let Ok((mailbox, rest)) = done {
                    if let Some(n) = boxes.busy.get_mut(&mailbox) {
                        *n = n.saturating_sub(1);
                    }
                    if let Some(until) = rest {
                        boxes.resting.insert(mailbox, until);
                    }
                }
            }
            () = tokio::time::sleep(IDLE) => {}
            () = cx.inject_wake.notified() => next_reconcile = tokio::time::Instant::now(),
        }
        boxes.busy.retain(|_, n| *n > 0);
    }
}
