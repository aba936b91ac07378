//! The Plan step's capacity planner over HTTP (the same computation as `cvi plan`).

use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::plan::{plan, Plan, PlanInput, DEFAULT_BLOCKING, DEFAULT_PORTS_PER_VM};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
};

/// Concurrent calls, ports and gateway VMs for a tenant's meeting traffic (Erlang B).
#[utoipa::path(get, path = endpoints::PlanCapacity::PATH, params(endpoints::PlanQuery), tag = "plan",
    responses((status = 200, body = Plan)))]
pub async fn get(caller: Caller, ApiQuery(q): ApiQuery<endpoints::PlanQuery>) -> ApiResult<Plan> {
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
