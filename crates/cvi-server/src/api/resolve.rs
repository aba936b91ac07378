//! `POST /api/v1/resolve`: a partner app's resolution (the use case is
//! `usecases::resolution`).

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{Resolution, ResolveRequest};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiResult, AppError},
    state::AppState,
    usecases::resolution,
};

/// Resolve a dial string to its meeting (partner apps only).
#[utoipa::path(post, path = endpoints::Resolve::PATH, request_body = ResolveRequest, tag = "resolution",
    responses((status = 200, body = Resolution), (status = 400, description = "malformed, or the check digit is wrong", body = crate::error::Problem), (status = 404, description = "unknown, expired or cancelled (indistinguishable)", body = crate::error::Problem)))]
pub async fn resolve(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> ApiResult<Resolution> {
    caller.require(Role::Partner)?;
    let app_id = caller.app_id.as_deref().ok_or_else(|| {
        AppError::Forbidden("resolution needs an app token (appid or azp claim)".into())
    })?;
    Ok(ApiJson(
        resolution::for_app(&s, &caller.tenant, app_id, &req).await?,
    ))
}
