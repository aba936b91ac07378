//! `/api/v1/bridges…`: a Pexip Infinity bridge's credentials for the external policy
//! endpoint (the use case is `usecases::bridges`).

use axum::{extract::State, http::StatusCode};
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{BridgeView, NewBridge, NewBridgeCreated};

use crate::{
    auth::Caller,
    error::{ApiJson, ApiPath, ApiResult, AppError},
    state::AppState,
    usecases::bridges,
};

/// Create credentials for a bridge (the secret is in this answer only).
#[utoipa::path(post, path = endpoints::CreateBridge::PATH, request_body = NewBridge, tag = "bridges",
    responses((status = 201, body = NewBridgeCreated)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewBridge>,
) -> Result<(StatusCode, ApiJson<NewBridgeCreated>), AppError> {
    let created = bridges::create(&s, &caller, body).await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// This tenant's bridge credentials (without secrets).
#[utoipa::path(get, path = endpoints::ListBridges::PATH, tag = "bridges", responses((status = 200, body = [BridgeView])))]
pub async fn list(State(s): State<AppState>, caller: Caller) -> ApiResult<Vec<BridgeView>> {
    Ok(ApiJson(bridges::list(&s, &caller).await?))
}

/// Revoke a bridge's credentials: its next policy request is refused.
#[utoipa::path(delete, path = endpoints::RemoveBridge::PATH, params(("username" = String, Path)), tag = "bridges",
    responses((status = 200, body = BridgeView)))]
pub async fn remove(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> ApiResult<BridgeView> {
    Ok(ApiJson(bridges::remove(&s, &caller, &username).await?))
}
