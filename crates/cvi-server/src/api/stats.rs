//! `GET /api/v1/stats/daily`: the admin console's pictures, coordinates issued and
//! resolutions per day (the use case is `usecases::record`).

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::DailyStats;

use crate::{
    auth::Caller,
    error::{ApiJson, ApiQuery, ApiResult},
    state::AppState,
    usecases::record,
};

/// Coordinates issued and resolutions per UTC day and provider, for the tenant.
#[utoipa::path(get, path = endpoints::DailyStatistics::PATH, params(endpoints::StatsWindow), tag = "audit",
    responses((status = 200, body = DailyStats)))]
pub async fn daily(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(w): ApiQuery<endpoints::StatsWindow>,
) -> ApiResult<DailyStats> {
    Ok(ApiJson(record::daily(&s, &caller, w.days).await?))
}
