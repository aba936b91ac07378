//! `cvi bench-seed` (hidden): fills a database with a benchmark tenant, so `cargo xtask bench`
//! measures lookups at a realistic size. Not part of the admin contract.

use clap::Args;

use super::CliError;
use crate::db::{self, now_ms};

#[derive(Debug, Args)]
pub struct BenchSeedArgs {
    #[arg(long, env = "DATABASE_URL")]
    database: String,
    #[arg(long, default_value = "bench")]
    tenant: String,
    /// Users with a direct grant (`u<N>@bench.example`).
    #[arg(long, default_value_t = 1_000_000)]
    users: u32,
    /// Group grants (`g<N>`, rank N+1).
    #[arg(long, default_value_t = 10_000)]
    groups: u32,
    /// Live meetings `m<N>` of the Polycom provider; meeting N has the Video ID
    /// [`video_id`]`(N)`, which the benchmark's resolution script computes too.
    #[arg(long, default_value_t = 0)]
    meetings: u32,
}

/// Meeting N's Video ID: `(7919·N + 12345) mod 10⁹` plus its check digit, distinct for
/// every N below 10⁹ (7919 is coprime to 10⁹).
#[must_use]
pub fn video_id(n: u32) -> cvi_core::VideoId {
    let body = (7919 * u64::from(n) + 12_345) % 1_000_000_000;
    cvi_core::VideoId::from_body(u32::try_from(body).expect("below 10^9"))
}

async fn insert_meetings(pool: &db::Db, tenant: &str, count: u32) -> Result<(), sqlx::Error> {
    const COLS: u32 = 13;
    let now = now_ms();
    let far = now + 365 * 24 * 3600 * 1000;
    let mut tx = pool.begin().await?;
    let mut start = 0;
    while start < count {
        let n = BATCH.min(count - start);
        let sql = format!(
            "INSERT INTO meetings (tenant_id, meeting_key, organizer, provider, tenant_key, video_id, subject, lang, \
             starts_at, ends_at, expires_at, created_at, updated_at) VALUES {} ON CONFLICT DO NOTHING",
            db::values_placeholders(n as usize, COLS as usize)
        );
        let mut q = sqlx::query(&sql);
        for i in start..start + n {
            q = q
                .bind(tenant.to_string())
                .bind(format!("m{i}"))
                .bind("u0@bench.example")
                .bind("Polycom")
                .bind("1@t.plcm.vc")
                .bind(video_id(i).as_str().to_string())
                .bind(None::<String>)
                .bind("en")
                .bind(now)
                .bind(now + 3_600_000)
                .bind(far)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
        start += n;
    }
    tx.commit().await
}

/// The benchmark provider's partner app, consented, for resolution runs.
pub const BENCH_APP_ID: &str = "bbbbbbbb-0000-4000-8000-000000000001";

/// Rows per INSERT: 6 parameters each stays far below SQLite's parameter limit.
const BATCH: u32 = 500;

async fn insert_grants(
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
            db::values_placeholders(n as usize, 6)
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

pub fn run(args: BenchSeedArgs) -> Result<(), CliError> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::Failure(e.to_string()))?;
    rt.block_on(async {
        let pool = db::connect(&args.database).await.map_err(|e| CliError::Failure(e.to_string()))?;
        let fail = |e: sqlx::Error| CliError::Failure(format!("seeding: {e}"));
        const POLICIES: [&str; 3] =
            ["Tag:PolycomServiceProviderEnabled", "Tag:CiscoServiceProviderEnabled", "Tag:ServiceProviderDisabled"];
        insert_grants(&pool, &args.tenant, "user", args.users, |i| (format!("u{i}@bench.example"), None, POLICIES[(i % 3) as usize]))
            .await
            .map_err(fail)?;
        insert_grants(&pool, &args.tenant, "group", args.groups, |i| (format!("g{i}"), Some(i64::from(i) + 1), POLICIES[(i % 2) as usize]))
            .await
            .map_err(fail)?;
        insert_grants(&pool, &args.tenant, "global", 1, |_| (String::new(), None, POLICIES[0])).await.map_err(fail)?;
        sqlx::query(
            "INSERT INTO providers (tenant_id, name, tenant_key, instruction_uri, aad_application_ids, \
             allow_app_guest_joins_as_authenticated, created_at, updated_at) VALUES ($1, 'Polycom', '1@t.plcm.vc', NULL, $2, 0, $3, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&args.tenant)
        .bind(BENCH_APP_ID)
        .bind(now_ms())
        .execute(&pool)
        .await
        .map_err(fail)?;
        sqlx::query("INSERT INTO consents (tenant_id, app_id, granted, error, updated_at) VALUES ($1, $2, 1, NULL, $3) ON CONFLICT DO NOTHING")
            .bind(&args.tenant)
            .bind(BENCH_APP_ID)
            .bind(now_ms())
            .execute(&pool)
            .await
            .map_err(fail)?;
        let mut conn = pool.acquire().await.map_err(fail)?;
        crate::tenant_config::changed(&mut conn, &args.tenant).await.map_err(fail)?;
        drop(conn);
        insert_meetings(&pool, &args.tenant, args.meetings).await.map_err(fail)?;
        println!(
            "seeded tenant {:?}: {} user grants, {} group grants, a global grant, a Polycom provider, {} live meetings",
            args.tenant, args.users, args.groups, args.meetings
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::video_id;

    #[test]
    fn seeded_video_ids_are_distinct_and_valid() {
        let ids: std::collections::HashSet<String> = (0..200_000)
            .map(|n| video_id(n).as_str().to_string())
            .collect();
        assert_eq!(ids.len(), 200_000);
        assert!(video_id(999_999).has_valid_check_digit());
    }
}
