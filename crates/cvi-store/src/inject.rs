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
    /// The user whose events it watches (as in its resource, `users/{user}/events`).
    pub user: String,
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
        "INSERT INTO graph_subscriptions (id, tenant_id, user_id, client_state, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.id)
    .bind(&s.tenant)
    .bind(&s.user)
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
        "SELECT id, tenant_id, user_id, client_state, expires_at FROM graph_subscriptions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Subscription {
            id: r.try_get("id")?,
            tenant: r.try_get("tenant_id")?,
            user: r.try_get("user_id")?,
            client_state: r.try_get("client_state")?,
            expires_at_ms: r.try_get("expires_at")?,
        })
    })
    .transpose()
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
