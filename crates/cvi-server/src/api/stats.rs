//! Pictures for the admin console: coordinates issued and resolutions per day.

use axum::extract::State;
use cvi_core::api::{DailySeries, DailyStats};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
};
use cvi_core::times::format_ms;
use cvi_store::daily_stats;
use cvi_store::db::now_ms;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Window {
    /// How many days, today included: 1-90 (default 30).
    #[param(minimum = 1, maximum = 90)]
    pub days: Option<u32>,
}

/// Coordinates issued and resolutions per UTC day and provider, for the tenant.
#[utoipa::path(get, path = "/stats/daily", params(Window), tag = "audit",
    responses((status = 200, body = DailyStats), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn daily(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(w): ApiQuery<Window>,
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
