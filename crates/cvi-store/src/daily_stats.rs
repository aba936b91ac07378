//! `daily_stats`: per tenant, UTC day, provider and metric, how many coordinates were
//! issued and how many dial strings resolved.

use sqlx::{AnyConnection, Row};

use crate::db::Db;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Issued,
    Resolved,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Issued => "issued",
            Metric::Resolved => "resolved",
        }
    }
}

/// The UTC day (days since 1970-01-01) of a time in milliseconds.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}

/// One count to add.
pub struct Add<'a> {
    pub tenant: &'a str,
    pub day: i64,
    pub provider: &'a str,
    pub metric: Metric,
    pub count: i64,
}

/// Adds `counts` in the caller's write transaction.
pub async fn add(conn: &mut AnyConnection, counts: &[Add<'_>]) -> Result<(), sqlx::Error> {
    for c in counts {
        sqlx::query(
            "INSERT INTO daily_stats (tenant_id, day, provider, metric, count) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, day, provider, metric) DO UPDATE SET count = daily_stats.count + excluded.count",
        )
        .bind(c.tenant)
        .bind(c.day)
        .bind(c.provider)
        .bind(c.metric.as_str())
        .bind(c.count)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One stored count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub day: i64,
    pub provider: String,
    pub metric: String,
    pub count: i64,
}

/// The tenant's counts from `first_day` on.
pub async fn since(db: &Db, tenant: &str, first_day: i64) -> Result<Vec<Count>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT day, provider, metric, count FROM daily_stats WHERE tenant_id = $1 AND day >= $2 \
         ORDER BY day, provider, metric",
    )
    .bind(tenant)
    .bind(first_day)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Count {
                day: r.try_get("day")?,
                provider: r.try_get("provider")?,
                metric: r.try_get("metric")?,
                count: r.try_get("count")?,
            })
        })
        .collect()
}
