//! The audit log: every write records who, which tenant, what, before and after, in the
//! same transaction as the write itself, so there is no change without its record.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::{now_ms, values_placeholders};

/// A record's id: zero-padded millis then randomness, so ids sort by time and never
/// collide across servers.
pub(crate) fn new_id(at_ms: i64) -> String {
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
        values_placeholders(conn, entries.len(), 8)
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
/// Which entries a page holds (all of them by default).
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// Exactly this actor.
    pub actor: Option<&'a str>,
    /// Actions starting with this (`grant` or `grant.assign`).
    pub action: Option<&'a str>,
    /// At or after (Unix ms).
    pub since_ms: Option<i64>,
    /// Before (Unix ms).
    pub until_ms: Option<i64>,
}

pub async fn page<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    before: Option<&str>,
    limit: u32,
    filter: &Filter<'_>,
) -> Result<Vec<Recorded>, sqlx::Error> {
    use sqlx::Row;
    // Only the conditions asked for, each with its own placeholder.
    let mut sql = String::from(
        "SELECT id, at, actor, action, target, before_json, after_json FROM audit_log \
         WHERE tenant_id = $1 AND id < $2",
    );
    let mut n = 2;
    let mut next = || {
        n += 1;
        n
    };
    if filter.actor.is_some() {
        sql.push_str(&format!(" AND actor = ${}", next()));
    }
    if filter.action.is_some() {
        sql.push_str(&format!(" AND action LIKE ${} ESCAPE '\\'", next()));
    }
    if filter.since_ms.is_some() {
        sql.push_str(&format!(" AND at >= ${}", next()));
    }
    if filter.until_ms.is_some() {
        sql.push_str(&format!(" AND at < ${}", next()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", next()));
    let mut q = sqlx::query(&sql).bind(tenant).bind(before.unwrap_or("~")); // '~' sorts after every id
    if let Some(a) = filter.actor {
        q = q.bind(a);
    }
    if let Some(a) = filter.action {
        // A prefix: `grant` finds grant.assign and grant.remove. LIKE's wildcards in the
        // input are taken literally by escaping them.
        let escaped = a
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q = q.bind(format!("{escaped}%"));
    }
    if let Some(t) = filter.since_ms {
        q = q.bind(t);
    }
    if let Some(t) = filter.until_ms {
        q = q.bind(t);
    }
    let rows = q.bind(i64::from(limit)).fetch_all(db).await?;
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
