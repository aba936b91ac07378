//! The audit log: every write records who, which tenant, what, before and after, in the
//! same transaction as the write itself, so there is no change without its record.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::{now_ms, values_placeholders};

/// A record's id: zero-padded millis then randomness, so ids sort by time and never
/// collide across servers.
fn new_id(at_ms: i64) -> String {
    format!("{at_ms:015}-{:016x}", rand::random::<u64>())
}

/// One change, its before and after already JSON.
pub struct Entry<'a> {
    pub tenant: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Records one change. Call it with the transaction that makes the change.
pub async fn record<B: Serialize, A: Serialize>(
    conn: &mut AnyConnection,
    tenant: &str,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), sqlx::Error> {
    let entry = Entry {
        tenant,
        actor,
        action,
        target,
        before: before.and_then(|b| serde_json::to_string(b).ok()),
        after: after.and_then(|a| serde_json::to_string(a).ok()),
    };
    record_all(conn, now_ms(), &[entry]).await
}

/// Records several changes made at `at_ms` in one statement (the issuance group commit).
/// Call it with the transaction that makes them.
pub async fn record_all(
    conn: &mut AnyConnection,
    at_ms: i64,
    entries: &[Entry<'_>],
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO audit_log (id, tenant_id, at, actor, action, target, before_json, after_json) VALUES {}",
        values_placeholders(entries.len(), 8)
    );
    // One statement text per batch size: only the single-row one goes into the
    // connection's statement cache, where every size would push out the hot reads.
    let mut q = sqlx::query(&sql).persistent(entries.len() == 1);
    for e in entries {
        q = q
            .bind(new_id(at_ms))
            .bind(e.tenant)
            .bind(at_ms)
            .bind(e.actor)
            .bind(e.action)
            .bind(e.target)
            .bind(e.before.clone())
            .bind(e.after.clone());
    }
    q.execute(conn).await?;
    Ok(())
}

/// One recorded change, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Up to `limit` of a tenant's records older than id `before` (all when `None`), newest first.
pub async fn page<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    before: Option<&str>,
    limit: u32,
) -> Result<Vec<Recorded>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, before_json, after_json FROM audit_log \
         WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant)
    .bind(before.unwrap_or("~")) // '~' sorts after every id
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Recorded {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                before: r.try_get("before_json")?,
                after: r.try_get("after_json")?,
            })
        })
        .collect()
}
