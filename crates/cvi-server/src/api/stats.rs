//! Pictures for the admin console: coordinates issued and resolutions per day.

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{DailySeries, DailyStats};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
};
use cvi_core::times::format_ms;
use cvi_store::daily_stats;
use cvi_store::db::now_ms;

/// Coordinates issued and resolutions per UTC day and provider, for the tenant.
#[utoipa::path(get, path = endpoints::DailyStatistics::PATH, params(endpoints::StatsWindow), tag = "audit",
    responses((status = 200, body = DailyStats)))]
pub async fn daily(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(w): ApiQuery<endpoints::StatsWindow>,
) -> ApiResult<DailyStats> {
    caller.require(Role::Admin)?;
    let days = w.days.unwrap_or(30);
    if !(1..=90).contains(&days) {
        return Err(AppError::InvalidInput(
            "days must be between 1 and 90".into(),
        ));
    }
    let today = daily_stats::day_of(now_ms());
    let first = today - i64::from(days) + 1;
    let counts = daily_stats::since(&s.db, &caller.tenant, first).await?;
    let mut series: Vec<DailySeries> = Vec::new();
    for c in counts.into_iter().filter(|c| c.day <= today) {
        let i = match series
            .iter()
            .position(|x| x.metric == c.metric && x.provider == c.provider)
        {
            Some(i) => i,
            None => {
                series.push(DailySeries {
                    metric: c.metric.clone(),
                    provider: c.provider.clone(),
                    counts: vec![0; days as usize],
                });
                series.len() - 1
            }
        };
        series[i].counts[(c.day - first) as usize] += u64::try_from(c.count).unwrap_or(0);
    }
    series.sort_by(|a, b| (&a.metric, &a.provider).cmp(&(&b.metric, &b.provider)));
    Ok(ApiJson(DailyStats {
        days: (first..=today)
            .map(|d| format_ms(d * 86_400_000)[..10].to_string())
            .collect(),
        series,
    }))
}
