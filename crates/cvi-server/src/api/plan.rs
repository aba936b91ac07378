//! The Plan step's capacity planner over HTTP (the same computation as `cvi plan`).

use cvi_core::plan::{plan, Plan, PlanInput, DEFAULT_BLOCKING, DEFAULT_PORTS_PER_VM};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Meetings with a video room system per day.
    pub meetings_per_day: f64,
    /// Their average length in minutes.
    pub avg_minutes: f64,
    /// The share of a day's meetings in its busiest hour, 0 to 1 (e.g. 0.15).
    pub peak_hour_share: f64,
    /// The share of calls that may find every port busy, between 0 and 1 (default 0.01).
    pub blocking: Option<f64>,
    /// Gateway ports one VM serves (default 10).
    pub ports_per_vm: Option<u32>,
}

/// Concurrent calls, ports and gateway VMs for a tenant's meeting traffic (Erlang B).
#[utoipa::path(get, path = "/plan", params(PlanQuery), tag = "plan",
    responses((status = 200, body = Plan), (status = 400, body = crate::error::Problem)))]
pub async fn get(caller: Caller, ApiQuery(q): ApiQuery<PlanQuery>) -> ApiResult<Plan> {
    caller.require(Role::Admin)?;
    let p = plan(&PlanInput {
        meetings_per_day: q.meetings_per_day,
        avg_minutes: q.avg_minutes,
        peak_hour_share: q.peak_hour_share,
        blocking: q.blocking.unwrap_or(DEFAULT_BLOCKING),
        ports_per_vm: q.ports_per_vm.unwrap_or(DEFAULT_PORTS_PER_VM),
    })
    .map_err(|e| AppError::InvalidInput(e.to_string()))?;
    Ok(ApiJson(p))
}
