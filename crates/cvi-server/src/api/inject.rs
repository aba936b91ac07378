//! `/api/v1/inject`: "coordinates in every Teams meeting" for the caller's tenant — where it
//! stands, and the admin's switch (the use case is `usecases::inject`).

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{InjectRequest, InjectResync, InjectResynced, InjectStatus};

use crate::{
    auth::Caller,
    error::{ApiJson, ApiResult},
    state::AppState,
    usecases::inject,
};

/// Where "coordinates in every Teams meeting" stands: what is missing, our app's consent
/// link while its consent is missing, subscriptions, the notification queue.
#[utoipa::path(get, path = endpoints::InjectState::PATH, tag = "inject",
    responses((status = 200, body = InjectStatus)))]
pub async fn get(State(s): State<AppState>, caller: Caller) -> ApiResult<InjectStatus> {
    Ok(ApiJson(inject::status(&s, &caller).await?))
}

/// Turns "coordinates in every Teams meeting" on or off for the tenant.
#[utoipa::path(put, path = endpoints::SetInject::PATH, tag = "inject", request_body = InjectRequest,
    responses((status = 200, body = InjectStatus)))]
pub async fn put(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<InjectRequest>,
) -> ApiResult<InjectStatus> {
    Ok(ApiJson(inject::set(&s, &caller, req.enabled).await?))
}

/// Reads one user's calendar again: its events are looked at as if each had just changed.
#[utoipa::path(post, path = endpoints::ResyncInject::PATH, tag = "inject", request_body = InjectResync,
    responses((status = 200, body = InjectResynced)))]
pub async fn resync(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<InjectResync>,
) -> ApiResult<InjectResynced> {
    Ok(ApiJson(inject::resync(&s, &caller, &req.user).await?))
}
