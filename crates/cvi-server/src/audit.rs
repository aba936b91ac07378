//! The audit log: every write records who, which tenant, what, before and after, in the
//! same transaction as the write itself, so there is no change without its record.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::now_ms;

/// A record's id: zero-padded millis then randomness, so ids sort by time and never
/// collide across servers.
pub fn new_id(at_ms: i64) -> String {
    format!("{at_ms:015}-{:016x}", rand::random::<u64>())
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
    let at = now_ms();
    let id = new_id(at);
    let json = |v: Option<String>| v;
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, at, actor, action, target, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(tenant)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(json(before.and_then(|b| serde_json::to_string(b).ok())))
    .bind(json(after.and_then(|a| serde_json::to_string(a).ok())))
    .execute(conn)
    .await?;
    Ok(())
}
