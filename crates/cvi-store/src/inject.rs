//! "Coordinates in every Teams meeting": the tenants that opted in (`inject_tenants`), our
//! Graph subscriptions (`graph_subscriptions`) and the notifications Graph delivered, kept
//! until processed (`graph_inbox`).
//!
//! The inbox is a queue of Microsoft's notifications, not anyone's decision: its rows are
//! written outside the audited write transactions (they are many, and each must be on disk
//! before Graph gets its 202), and they carry ids and times only, never event content.

use sqlx::{AnyConnection, Row};

use crate::{audit::new_id, db::now_ms};

/// Whether `tenant` opted in.
pub async fn enabled<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<bool, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT enabled FROM inject_tenants WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(db)
            .await?;
    Ok(v.unwrap_or(0) != 0)
}

/// What the last reconciliation of `tenant` could not do: how many users' subscriptions
/// Graph refused, and the first reason.
pub async fn failures<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<(i64, Option<String>), sqlx::Error> {
    let row = sqlx::query("SELECT failed, failure FROM inject_tenants WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_optional(db)
        .await?;
    match row {
        Some(r) => Ok((r.try_get("failed")?, r.try_get("failure")?)),
        None => Ok((0, None)),
    }
}

/// Records what the last reconciliation of `tenant` could not do.
pub async fn record_failures(
    db: &sqlx::AnyPool,
    tenant: &str,
    failed: i64,
    failure: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE inject_tenants SET failed = $1, failure = $2 WHERE tenant_id = $3")
        .bind(failed)
        .bind(failure)
        .bind(tenant)
        .execute(db)
        .await
        .map(drop)
}

/// Opts `tenant` in or out (in the caller's audited write transaction).
pub async fn set_enabled(
    tx: &mut AnyConnection,
    tenant: &str,
    enabled: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO inject_tenants (tenant_id, enabled, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at",
    )
    .bind(tenant)
    .bind(i64::from(enabled))
    .bind(now_ms())
    .execute(tx)
    .await
    .map(drop)
}

/// One of our Graph subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Graph's subscription id.
    pub id: String,
    pub tenant: String,
    /// The user whose events it watches: the directory object id (its resource is
    /// `users/{user}/events`).
    pub user: String,
    /// The user's UPN, which grants name.
    pub upn: String,
    pub client_state: String,
    pub expires_at_ms: i64,
}

/// Records a subscription Graph created (replacing the user's previous one).
pub async fn put_subscription(tx: &mut AnyConnection, s: &Subscription) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM graph_subscriptions WHERE tenant_id = $1 AND user_id = $2")
        .bind(&s.tenant)
        .bind(&s.user)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO graph_subscriptions (id, tenant_id, user_id, upn, client_state, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&s.id)
    .bind(&s.tenant)
    .bind(&s.user)
    .bind(&s.upn)
    .bind(&s.client_state)
    .bind(s.expires_at_ms)
    .bind(now_ms())
    .execute(tx)
    .await
    .map(drop)
}

/// The subscription with Graph's id `id`, if it is ours.
pub async fn subscription<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    id: &str,
) -> Result<Option<Subscription>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, tenant_id, user_id, upn, client_state, expires_at FROM graph_subscriptions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(|r| subscription_row(&r)).transpose()
}

fn subscription_row(r: &sqlx::any::AnyRow) -> Result<Subscription, sqlx::Error> {
    Ok(Subscription {
        id: r.try_get("id")?,
        tenant: r.try_get("tenant_id")?,
        user: r.try_get("user_id")?,
        upn: r.try_get("upn")?,
        client_state: r.try_get("client_state")?,
        expires_at_ms: r.try_get("expires_at")?,
    })
}

/// Every subscription of `tenant`.
pub async fn subscriptions<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<Vec<Subscription>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, user_id, upn, client_state, expires_at FROM graph_subscriptions WHERE tenant_id = $1 ORDER BY upn",
    )
    .bind(tenant)
    .fetch_all(db)
    .await?;
    rows.iter().map(subscription_row).collect()
}

/// Records a subscription's new expiry (renewed at Graph).
pub async fn renewed(
    tx: &mut AnyConnection,
    id: &str,
    expires_at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE graph_subscriptions SET expires_at = $1 WHERE id = $2")
        .bind(expires_at_ms)
        .bind(id)
        .execute(tx)
        .await
        .map(drop)
}

/// Forgets outcomes older than `before_ms` (the console shows the latest).
pub async fn purge_outcomes(db: &sqlx::AnyPool, before_ms: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM inject_outcomes WHERE at < $1")
        .bind(before_ms)
        .execute(db)
        .await
        .map(|r| r.rows_affected())
}

/// Forgets a subscription (deleted at Graph, or removed by Graph).
pub async fn remove_subscription(tx: &mut AnyConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM graph_subscriptions WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await
        .map(drop)
}

/// The tenants that opted in.
pub async fn enabled_tenants<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT tenant_id FROM inject_tenants WHERE enabled = 1 ORDER BY tenant_id")
        .fetch_all(db)
        .await
}

/// The tenants holding subscriptions (an opted-out one's are deleted by reconciliation).
pub async fn tenants_with_subscriptions<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT tenant_id FROM graph_subscriptions ORDER BY tenant_id")
        .fetch_all(db)
        .await
}

/// A notification taken from the inbox to work on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: String,
    pub arrived: Arrived,
    pub attempts: i64,
}

/// Takes up to `limit` notifications no server is working on, oldest first, leasing them
/// for `lease_ms`: N servers on one database never take the same one while its lease
/// holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer).
pub async fn claim(
    db: &sqlx::AnyPool,
    postgres: bool,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = now_ms();
    let pick = if postgres {
        "SELECT id FROM graph_inbox WHERE leased_until IS NULL OR leased_until < $2 \
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED"
    } else {
        "SELECT id FROM graph_inbox WHERE leased_until IS NULL OR leased_until < $2 \
         ORDER BY id LIMIT $3"
    };
    let sql = format!(
        "UPDATE graph_inbox SET leased_until = $1, attempts = attempts + 1 WHERE id IN ({pick}) \
         RETURNING id, tenant_id, subscription_id, user_id, kind, event_id, attempts"
    );
    let rows = sqlx::query(&sql)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await?;
    let mut out: Vec<Claimed> = rows
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("id")?,
                attempts: r.try_get::<i64, _>("attempts")?,
                arrived: Arrived {
                    tenant: r.try_get("tenant_id")?,
                    subscription: r.try_get("subscription_id")?,
                    user: r.try_get("user_id")?,
                    kind: r.try_get("kind")?,
                    event_id: r.try_get("event_id")?,
                },
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// A notification is done with: it leaves the inbox.
pub async fn done(db: &sqlx::AnyPool, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM graph_inbox WHERE id = $1")
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Gives a notification back to the inbox, to be taken again from `at_ms` (Graph asked
/// us to wait, or was unavailable).
pub async fn retry_at(db: &sqlx::AnyPool, id: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE graph_inbox SET leased_until = $1 WHERE id = $2")
        .bind(at_ms)
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Gives a notification back untouched (not an attempt), to be taken from `at_ms` (0: at
/// once; later when its mailbox rests, as Graph asked).
pub async fn give_back_at(db: &sqlx::AnyPool, id: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE graph_inbox SET leased_until = $1, attempts = attempts - 1 WHERE id = $2")
        .bind(at_ms)
        .bind(id)
        .execute(db)
        .await
        .map(drop)
}

/// Records what processing made of an event (ids and outcome only).
pub async fn record_outcome(
    db: &sqlx::AnyPool,
    tenant: &str,
    user: &str,
    event_id: &str,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO inject_outcomes (tenant_id, event_id, user_id, outcome, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, event_id) DO UPDATE SET user_id = excluded.user_id, outcome = excluded.outcome, at = excluded.at",
    )
    .bind(tenant)
    .bind(event_id)
    .bind(user)
    .bind(outcome)
    .bind(now_ms())
    .execute(db)
    .await
    .map(drop)
}

/// The outcome recorded for an event, if any.
pub async fn outcome<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    event_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT outcome FROM inject_outcomes WHERE tenant_id = $1 AND event_id = $2")
        .bind(tenant)
        .bind(event_id)
        .fetch_optional(db)
        .await
}

/// A notification to keep: which subscription, what happened, to which event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub tenant: String,
    pub subscription: String,
    pub user: String,
    /// `created` / `updated` / `deleted`, or a lifecycle event.
    pub kind: String,
    pub event_id: Option<String>,
}

/// Stores a delivery's notifications in one transaction: all of them are on disk when this
/// returns, or none.
pub async fn push(db: &sqlx::AnyPool, items: &[Arrived]) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    for a in items {
        sqlx::query(
            "INSERT INTO graph_inbox (id, tenant_id, subscription_id, user_id, kind, event_id, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id(now))
        .bind(&a.tenant)
        .bind(&a.subscription)
        .bind(&a.user)
        .bind(&a.kind)
        .bind(&a.event_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// What a tenant's inbox holds: notifications waiting, and the oldest one's arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Depth {
    pub waiting: i64,
    pub oldest_ms: Option<i64>,
}

pub async fn depth<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<Depth, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM graph_inbox WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(db)
    .await?;
    Ok(Depth {
        waiting: row.try_get("n")?,
        oldest_ms: row.try_get("oldest")?,
    })
}

/// How many subscriptions `tenant` has, and how many of them expire before `before_ms`.
pub async fn subscription_counts<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    before_ms: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN expires_at < $2 THEN 1 ELSE 0 END), 0) AS expiring \
         FROM graph_subscriptions WHERE tenant_id = $1",
    )
    .bind(tenant)
    .bind(before_ms)
    .fetch_one(db)
    .await?;
    Ok((row.try_get("n")?, row.try_get("expiring")?))
}

/// One recorded outcome, with the user's UPN when a subscription still names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub user: String,
    pub event_id: String,
    pub outcome: String,
    pub at_ms: i64,
}

/// The latest `limit` outcomes of `tenant`, newest first.
pub async fn recent_outcomes<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    limit: i64,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT COALESCE(s.upn, o.user_id) AS user_name, o.event_id, o.outcome, o.at \
         FROM inject_outcomes o LEFT JOIN graph_subscriptions s \
         ON s.tenant_id = o.tenant_id AND s.user_id = o.user_id \
         WHERE o.tenant_id = $1 ORDER BY o.at DESC, o.event_id LIMIT $2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Outcome {
                user: r.try_get("user_name")?,
                event_id: r.try_get("event_id")?,
                outcome: r.try_get("outcome")?,
                at_ms: r.try_get("at")?,
            })
        })
        .collect()
}

/// Takes the lease `name` for `holder` for `ms` (or extends it when `holder` has it):
/// whether it is now held. Servers on one database take turns, never both at once.
pub async fn lease(
    db: &sqlx::AnyPool,
    name: &str,
    holder: &str,
    ms: i64,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let r = sqlx::query(
        "INSERT INTO inject_leases (name, holder, until) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
         WHERE inject_leases.until < $4 OR inject_leases.holder = excluded.holder",
    )
    .bind(name)
    .bind(holder)
    .bind(now + ms)
    .bind(now)
    .execute(db)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Gives the lease `name` back (if `holder` has it).
pub async fn release(db: &sqlx::AnyPool, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE inject_leases SET until = 0 WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db)
        .await
        .map(drop)
}
