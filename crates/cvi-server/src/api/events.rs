//! `/api/v1/events…`: scheduling from the Teams tab through Microsoft Graph (the use case
//! is `usecases::events`). The organizer's own bearer token goes on to the on-behalf-of
//! exchange.

use axum::{extract::State, http::HeaderMap, http::StatusCode};
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{Meeting, ScheduleRequest, Scheduled, UpdateRequest};

use crate::{
    auth::Caller,
    error::{ApiJson, ApiPath, ApiResult, AppError},
    state::AppState,
    usecases::events,
};

/// The organizer's own token, for the on-behalf-of exchange (the extractor checked it).
fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.get(7..))
        .unwrap_or_default()
}

/// Schedule a Teams meeting with video coordinates in the organizer's calendar.
#[utoipa::path(post, path = endpoints::ScheduleEvent::PATH, request_body = ScheduleRequest, tag = "meetings",
    responses((status = 201, body = Scheduled), (status = 200, description = "already scheduled for this key", body = Scheduled)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ScheduleRequest>,
) -> Result<(StatusCode, ApiJson<Scheduled>), AppError> {
    let (issued, scheduled) = events::schedule(&s, &caller, bearer(&headers), req).await?;
    Ok((super::meetings::status(issued), ApiJson(scheduled)))
}

/// Change a scheduled meeting's subject or times: the coordinates' block is rendered again
/// and the calendar event patched to match.
#[utoipa::path(patch, path = endpoints::RescheduleEvent::PATH, params(("key" = String, Path)), request_body = UpdateRequest, tag = "meetings",
    responses((status = 200, body = Meeting)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateRequest>,
) -> ApiResult<Meeting> {
    Ok(ApiJson(
        events::reschedule(&s, &caller, bearer(&headers), &key, req).await?,
    ))
}

/// Cancel a scheduled meeting: the calendar event goes first (so a failure leaves the
/// coordinates for a retry), then the coordinates.
#[utoipa::path(delete, path = endpoints::CancelEvent::PATH, params(("key" = String, Path)), tag = "meetings",
    responses((status = 200, body = Meeting)))]
pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Meeting> {
    Ok(ApiJson(
        events::cancel(&s, &caller, bearer(&headers), &key).await?,
    ))
}
