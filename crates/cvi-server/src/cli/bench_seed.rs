//! `cvi bench-seed` (hidden): fills a database with a benchmark tenant, so `cargo xtask bench`
//! measures lookups at a realistic size. Not part of the admin contract.

use clap::Args;

use cvi_core::{AppId, Provider, ProviderName, TenantKey};

use super::CliError;
use cvi_store::{self as store, db};

/// The benchmark tenant's Polycom tenant key.
const BENCH_TENANT_KEY: &str = "1@t.plcm.vc";

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
    /// Meetings `i<N>` imported from another system, with the 9-digit Video ID
    /// [`imported_id`]`(N)` (no check digit of ours, never equal to a live meeting's).
    #[arg(long, default_value_t = 0)]
    imported: u32,
}

/// Imported meeting N's Video ID: `(7919·N + 777) mod 10⁹`, nine digits (a 2019-style ID).
#[must_use]
pub fn imported_id(n: u32) -> String {
    format!("{:09}", (7919 * u64::from(n) + 777) % 1_000_000_000)
}

/// Meeting N's Video ID: `(7919·N + 12345) mod 10⁹` plus its check digit, distinct for
/// every N below 10⁹ (7919 is coprime to 10⁹).
#[must_use]
pub fn video_id(n: u32) -> cvi_core::VideoId {
    let body = (7919 * u64::from(n) + 12_345) % 1_000_000_000;
    cvi_core::VideoId::from_body(u32::try_from(body).expect("below 10^9"))
}

/// The benchmark provider's partner app, consented, for resolution runs.
pub const BENCH_APP_ID: &str = "bbbbbbbb-0000-4000-8000-000000000001";

pub fn run(args: BenchSeedArgs) -> Result<(), CliError> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::Failure(e.to_string()))?;
    rt.block_on(async {
        let pool = db::connect(&args.database).await.map_err(|e| CliError::Failure(e.to_string()))?;
        let fail = |e: sqlx::Error| CliError::Failure(format!("seeding: {e}"));
        const POLICIES: [&str; 3] =
            ["Tag:PolycomServiceProviderEnabled", "Tag:CiscoServiceProviderEnabled", "Tag:ServiceProviderDisabled"];
        store::bulk::grants(&pool, &args.tenant, "user", args.users, |i| (format!("u{i}@bench.example"), None, POLICIES[(i % 3) as usize]))
            .await
            .map_err(fail)?;
        store::bulk::grants(&pool, &args.tenant, "group", args.groups, |i| (format!("g{i}"), Some(i64::from(i) + 1), POLICIES[(i % 2) as usize]))
            .await
            .map_err(fail)?;
        store::bulk::grants(&pool, &args.tenant, "global", 1, |_| (String::new(), None, POLICIES[0])).await.map_err(fail)?;
        let provider = Provider {
            aad_application_ids: vec![AppId::parse(BENCH_APP_ID).expect("a GUID")],
            ..Provider::new(ProviderName::Polycom, TenantKey::parse(BENCH_TENANT_KEY).expect("a tenant key"))
        };
        crate::demo::provision(&pool, &args.tenant, &provider, None, ("cvi bench-seed", "bench.seed")).await.map_err(fail)?;
        store::bulk::meetings(&pool, &args.tenant, BENCH_TENANT_KEY, args.meetings, false, |i| {
            (format!("m{i}"), video_id(i).as_str().to_string())
        })
        .await
        .map_err(fail)?;
        store::bulk::meetings(&pool, &args.tenant, BENCH_TENANT_KEY, args.imported, true, |i| {
            (format!("i{i}"), imported_id(i))
        })
        .await
        .map_err(fail)?;
        store::bulk::settle(&pool, db::is_sqlite(&args.database)).await.map_err(fail)?;
        println!(
            "seeded tenant {:?}: {} user grants, {} group grants, a global grant, a Polycom provider, {} live meetings, {} imported",
            args.tenant, args.users, args.groups, args.meetings, args.imported
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
