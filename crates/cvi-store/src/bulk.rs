//! Bulk inserts for `cvi bench-seed`: millions of grants and meetings in multi-row
//! statements, one transaction per kind. Benchmark set-up only; nothing here is audited.

use crate::db::{self, now_ms};

/// Rows per INSERT: 13 parameters each stays far below SQLite's parameter limit.
const BATCH: u32 = 500;

/// Inserts `count` live Polycom meetings; `row(n)` gives meeting n's key and Video ID.
pub async fn meetings(
    pool: &db::Db,
    tenant: &str,
    tenant_key: &str,
    count: u32,
    imported: bool,
    row: impl Fn(u32) -> (String, String),
) -> Result<(), sqlx::Error> {
    const COLS: usize = 14;
    let now = now_ms();
    let far = now + 365 * 24 * 3600 * 1000;
    let mut tx = pool.begin().await?;
    let mut start = 0;
    while start < count {
        let n = BATCH.min(count - start);
        let sql = format!(
            "INSERT INTO meetings (tenant_id, meeting_key, organizer, provider, tenant_key, video_id, subject, lang, \
             starts_at, ends_at, expires_at, created_at, updated_at, imported) VALUES {} ON CONFLICT DO NOTHING",
            db::values_placeholders(&tx, n as usize, COLS)
        );
        let mut q = sqlx::query(&sql);
        for i in start..start + n {
            let (key, video_id) = row(i);
            q = q
                .bind(tenant.to_string())
                .bind(key)
                .bind("u0@bench.example")
                .bind("Polycom")
                .bind(tenant_key.to_string())
                .bind(video_id)
                .bind(None::<String>)
                .bind("en")
                .bind(now)
                .bind(now + 3_600_000)
                .bind(far)
                .bind(now)
                .bind(now)
                .bind(i64::from(imported));
        }
        q.execute(&mut *tx).await?;
        start += n;
    }
    tx.commit().await
}

/// Inserts `count` grants of `kind`; `row(n)` gives grant n's target id, rank and policy.
pub async fn grants(
    pool: &db::Db,
    tenant: &str,
    kind: &str,
    count: u32,
    row: impl Fn(u32) -> (String, Option<i64>, &'static str),
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let now = now_ms();
    let mut start = 0;
    while start < count {
        let n = BATCH.min(count - start);
        let sql = format!(
            "INSERT INTO grants (tenant_id, target_kind, target_id, group_rank, policy_name, updated_at) VALUES {} \
             ON CONFLICT DO NOTHING",
            db::values_placeholders(&tx, n as usize, 6)
        );
        let mut q = sqlx::query(&sql);
        for i in start..start + n {
            let (id, rank, policy) = row(i);
            q = q
                .bind(tenant.to_string())
                .bind(kind.to_string())
                .bind(id)
                .bind(rank)
                .bind(policy)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        start += n;
    }
    tx.commit().await
}

/// Leaves the seeded database settled, so the benchmark does not measure the seed's
/// deferred work: SQLite's write-ahead log copied back and truncated; on PostgreSQL the
/// tables vacuumed and analysed (autovacuum would start on them mid-run) and a checkpoint.
pub async fn settle(pool: &db::Db, is_sqlite: bool) -> Result<(), sqlx::Error> {
    let statements: &[&str] = if is_sqlite {
        &["PRAGMA wal_checkpoint(TRUNCATE)"]
    } else {
        &["VACUUM (ANALYZE)", "CHECKPOINT"]
    };
    for sql in statements {
        sqlx::query(sql).execute(pool).await?;
    }
    Ok(())
}
