//! `grants`: who gets which policy (user, group with rank, tenant-wide).

use cvi_core::{Grant, GrantTarget};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::now_ms;

/// The `(target_kind, target_id)` key of a grant's target.
fn key(t: &GrantTarget) -> (&'static str, &str) {
    match t {
        GrantTarget::User { upn } => ("user", upn),
        GrantTarget::Group { group_id, .. } => ("group", group_id),
        GrantTarget::Global => ("global", ""),
    }
}

/// A stored grant. A row the domain cannot read (an unknown kind, a group without a rank)
/// is an error, not skipped: a grant that silently stops applying is worse.
fn from_row(r: &AnyRow) -> Result<Grant, sqlx::Error> {
    grant_from(
        &r.try_get::<String, _>("target_kind")?,
        r.try_get("target_id")?,
        r.try_get("group_rank")?,
        r.try_get("policy_name")?,
    )
}

fn grant_from(
    kind: &str,
    id: String,
    rank: Option<i64>,
    policy_name: String,
) -> Result<Grant, sqlx::Error> {
    let bad = |what: &str| sqlx::Error::Decode(format!("grant {kind}:{id}: {what}").into());
    let target = match kind {
        "user" => GrantTarget::User { upn: id.clone() },
        "group" => GrantTarget::Group {
            group_id: id.clone(),
            rank: rank
                .and_then(|r| u32::try_from(r).ok())
                .ok_or_else(|| bad("a group grant without a valid rank"))?,
        },
        "global" => GrantTarget::Global,
        _ => return Err(bad("unknown target kind")),
    };
    Ok(Grant {
        target,
        policy_name,
    })
}

const COLUMNS: &str = "SELECT target_kind, target_id, group_rank, policy_name FROM grants";

/// All grants of a tenant: users, then groups by rank, then the global one.
pub async fn list<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{COLUMNS} WHERE tenant_id = $1 ORDER BY target_kind, group_rank, target_id"
    ))
    .bind(tenant)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The grants that can apply to one user: their own, their groups', the global one (UPN
/// and group ids compared lower-case, as stored). Found by primary key, so the cost does
/// not grow with the tenant's number of grants.
pub async fn for_user<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    upn: &str,
    groups: &[String],
) -> Result<Vec<Grant>, sqlx::Error> {
    let sql = for_user_sql(groups.len());
    let mut q = sqlx::query(&sql)
        .bind(tenant)
        .bind(upn.to_ascii_lowercase());
    for g in groups {
        q = q.bind(g.to_ascii_lowercase());
    }
    let rows = q.fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

/// The statement behind [`user_with_version`]. `hinted`: for SQLite's own reads
/// (`hot_reads`), told to use the `grants_decision` index (migration 0016), which holds
/// every column read here: one descent of it answers. Without the hint, and without
/// statistics (SQLite has none until `ANALYZE`), SQLite prefers the primary key's index,
/// which needs a second descent into the table.
fn user_with_version_sql(hinted: bool) -> &'static str {
    use crate::tenant_config::{VERSION_COLUMN, WITH_VERSION};
    static SQL: [std::sync::OnceLock<String>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    SQL[usize::from(hinted)].get_or_init(|| {
        let hint = if hinted {
            " INDEXED BY grants_decision"
        } else {
            ""
        };
        format!(
            "SELECT {VERSION_COLUMN}, g.target_kind, g.target_id, g.group_rank, g.policy_name \
             {WITH_VERSION} LEFT JOIN grants g{hint} ON g.tenant_id = t.tid \
             AND g.target_kind = 'user' AND g.target_id = $2"
        )
    })
}

/// One user's own grant and the tenant's configuration version, read in one statement: with
/// the tenant's [`shared`] grants kept at that version, everything a decision needs.
/// Through [`FastReads`](crate::FastReads) on SQLite (the calling thread), the pool otherwise.
pub async fn user_with_version(
    db: &crate::db::Db,
    fast: Option<&crate::FastReads>,
    tenant: &str,
    upn: &str,
) -> Result<(i64, Option<Grant>), sqlx::Error> {
    use crate::tenant_config::row_version;
    let upn = upn.to_ascii_lowercase();
    type Read = (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let answer = |(version, kind, id, rank, policy): Read| {
        let grant = match (kind, id, policy) {
            (Some(k), Some(i), Some(p)) => Some(grant_from(&k, i, rank, p)?),
            _ => None,
        };
        Ok((version.unwrap_or(0), grant))
    };
    if let Some(crate::FastReads::Thread(hot)) = fast {
        let sql = user_with_version_sql(true);
        let read = hot.row(sql, rusqlite::params![tenant, upn], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        });
        if let Some(row) = read {
            return answer(row);
        }
    }
    let r = sqlx::query(user_with_version_sql(false))
        .bind(tenant)
        .bind(&upn)
        .fetch_one(db)
        .await?;
    answer((
        Some(row_version(&r)?),
        r.try_get("target_kind")?,
        r.try_get("target_id")?,
        r.try_get("group_rank")?,
        r.try_get("policy_name")?,
    ))
}

/// The grants every user of the tenant shares: its group grants and its global grant.
pub async fn shared<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{COLUMNS} WHERE tenant_id = $1 AND target_kind IN ('global', 'group')"
    ))
    .bind(tenant)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// [`for_user`]'s statement for `groups` group ids.
fn for_user_sql(groups: usize) -> String {
    // One primary-key lookup per kind, glued with UNION ALL: with ORs in one WHERE clause
    // SQLite scans the whole table (measured: 11 lookups/s at 1M grants).
    let mut sql = format!(
        "{COLUMNS} WHERE tenant_id = $1 AND target_kind = 'user' AND target_id = $2 \
         UNION ALL {COLUMNS} WHERE tenant_id = $1 AND target_kind = 'global' AND target_id = ''"
    );
    if groups > 0 {
        let params: Vec<String> = (0..groups).map(|i| format!("${}", i + 3)).collect();
        sql.push_str(&format!(
            " UNION ALL {COLUMNS} WHERE tenant_id = $1 AND target_kind = 'group' AND target_id IN ({})",
            params.join(", ")
        ));
    }
    sql
}

/// [`for_user`] through [`FastReads`](crate::FastReads) on SQLite (on the calling thread,
/// no worker hand-off: effective policy is asked as often as resolution), the pool
/// otherwise or when that read fails.
pub async fn for_user_fast(
    db: &crate::db::Db,
    fast: Option<&crate::FastReads>,
    tenant: &str,
    upn: &str,
    groups: &[String],
) -> Result<Vec<Grant>, sqlx::Error> {
    if let Some(crate::FastReads::Thread(hot)) = fast {
        let mut params: Vec<String> = Vec::with_capacity(2 + groups.len());
        params.push(tenant.to_string());
        params.push(upn.to_ascii_lowercase());
        params.extend(groups.iter().map(|g| g.to_ascii_lowercase()));
        let read = hot.rows(
            &for_user_sql(groups.len()),
            rusqlite::params_from_iter(params.iter()),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        );
        if let Some(rows) = read {
            return rows
                .into_iter()
                .map(
                    |(kind, id, rank, policy): (String, String, Option<i64>, String)| {
                        grant_from(&kind, id, rank, policy)
                    },
                )
                .collect();
        }
    }
    if let Some(crate::FastReads::Batched(b)) = fast {
        if let Some(answer) = b.grants.ask(GrantsAsk::new(tenant, upn, groups)).await {
            return Ok(answer);
        }
    }
    for_user(db, tenant, upn, groups).await
}

/// One user's grants in a PostgreSQL batch ([`for_user_batch`]).
pub struct GrantsAsk {
    tenant: String,
    upn: String,
    groups: Vec<String>,
}

impl GrantsAsk {
    /// The ask for `upn` with `groups` in `tenant` (compared lower-case, as stored).
    pub fn new(tenant: &str, upn: &str, groups: &[String]) -> GrantsAsk {
        GrantsAsk {
            tenant: tenant.to_string(),
            upn: upn.to_ascii_lowercase(),
            groups: groups.iter().map(|g| g.to_ascii_lowercase()).collect(),
        }
    }
}

/// [`for_user`] for many users in one PostgreSQL statement: every ask's keys (its user, the
/// global grant, its groups) as arrays with the ask's ordinal, joined on the primary key.
pub async fn for_user_batch(
    pool: sqlx::PgPool,
    asks: Vec<GrantsAsk>,
) -> Result<Vec<Vec<Grant>>, sqlx::Error> {
    const SQL: &str = "SELECT q.i, g.target_kind, g.target_id, g.group_rank::int8, g.policy_name \
        FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[]) AS q(i, tid, kind, id) \
        JOIN grants g ON g.tenant_id = q.tid AND g.target_kind = q.kind AND g.target_id = q.id";
    let (mut ord, mut tids, mut kinds, mut ids) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let n = asks.len();
    for (i, a) in asks.into_iter().enumerate() {
        let mut key = |kind: &'static str, id: String| {
            ord.push(i as i64);
            tids.push(a.tenant.clone());
            kinds.push(kind);
            ids.push(id);
        };
        key("user", a.upn);
        key("global", String::new());
        for g in a.groups {
            key("group", g);
        }
    }
    let rows = sqlx::query(SQL)
        .bind(&ord)
        .bind(&tids)
        .bind(&kinds)
        .bind(&ids)
        .fetch_all(&pool)
        .await?;
    let mut out: Vec<Vec<Grant>> = (0..n).map(|_| Vec::new()).collect();
    for row in &rows {
        let i: i64 = row.try_get(0)?;
        let slot = usize::try_from(i)
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| sqlx::Error::Decode("batched grant of no ask".into()))?;
        slot.push(grant_from(
            &row.try_get::<String, _>(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        )?);
    }
    Ok(out)
}

/// Removes the grant of `target` (a group's whatever its rank), if there is one.
pub async fn delete(
    tx: &mut AnyConnection,
    tenant: &str,
    target: &GrantTarget,
) -> Result<(), sqlx::Error> {
    let (kind, id) = key(target);
    sqlx::query("DELETE FROM grants WHERE tenant_id = $1 AND target_kind = $2 AND target_id = $3")
        .bind(tenant)
        .bind(kind)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The group that holds `rank`, if any (ranks are distinct per tenant).
pub async fn rank_holder(
    tx: &mut AnyConnection,
    tenant: &str,
    rank: u32,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT target_id FROM grants WHERE tenant_id = $1 AND group_rank = $2")
        .bind(tenant)
        .bind(i64::from(rank))
        .fetch_optional(tx)
        .await
}

/// Adds a grant (delete the target's old one first).
pub async fn insert(tx: &mut AnyConnection, tenant: &str, g: &Grant) -> Result<(), sqlx::Error> {
    let (kind, id) = key(&g.target);
    let rank = match &g.target {
        GrantTarget::Group { rank, .. } => Some(i64::from(*rank)),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO grants (tenant_id, target_kind, target_id, group_rank, policy_name, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant)
    .bind(kind)
    .bind(id)
    .bind(rank)
    .bind(&g.policy_name)
    .bind(now_ms())
    .execute(tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    /// SQLite's read of a user's grant stays one descent of the `grants_decision` index:
    /// a column added to it, and not to the index, fails here (`INDEXED BY` would still
    /// name the index, but the plan would no longer say COVERING).
    #[tokio::test]
    async fn sqlite_reads_a_users_grant_from_the_covering_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("g.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        let plan = |sql: &str| {
            let db = db.clone();
            let sql = format!("EXPLAIN QUERY PLAN {sql}");
            async move {
                let rows = sqlx::query(&sql)
                    .bind("t1")
                    .bind("u@t1.example")
                    .fetch_all(&db)
                    .await
                    .unwrap();
                rows.iter()
                    .map(|r| r.try_get::<String, _>("detail").unwrap())
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        };
        let hinted = plan(super::user_with_version_sql(true)).await;
        assert!(
            hinted.contains("USING COVERING INDEX grants_decision"),
            "{hinted}"
        );
        // What the hint is for: left to itself SQLite takes the primary key's index.
        let plain = plan(super::user_with_version_sql(false)).await;
        assert!(
            !plain.contains("COVERING INDEX grants_decision"),
            "SQLite now picks the covering index by itself, the hint can go:\n{plain}"
        );
    }
}
