//! `/api/v1/meetings…`: issue, import, find, show, update, cancel (the use cases are
//! `usecases::meetings` and `usecases::import`).

use axum::{extract::State, http::StatusCode};
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{ImportRequest, Imported, IssueRequest, Meeting, UpdateRequest};

use crate::{
    auth::Caller,
    error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError},
    state::AppState,
    usecases::{
        import,
        meetings::{self, Issued},
    },
};

/// Issue (or return the already issued) coordinates for a meeting key.
#[utoipa::path(post, path = endpoints::IssueMeeting::PATH, request_body = IssueRequest, tag = "meetings",
    responses((status = 201, description = "issued", body = Meeting), (status = 200, description = "already issued for this key", body = Meeting), (status = 403, description = "policy disabled, provider missing or consent missing", body = crate::error::Problem)))]
pub async fn issue(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<IssueRequest>,
) -> Result<(StatusCode, ApiJson<Meeting>), AppError> {
    let (issued, m) = meetings::issue(&s, &caller, req).await?;
    Ok((status(issued), ApiJson(m)))
}

/// 201 for new coordinates, 200 for those the key already had.
pub(super) fn status(issued: Issued) -> StatusCode {
    match issued {
        Issued::New => StatusCode::CREATED,
        Issued::Existing => StatusCode::OK,
    }
}

/// Import meetings issued elsewhere (Microsoft's CVI, another provider), so the invites out
/// there keep working: all or none. Their Video IDs need no check digit.
#[utoipa::path(post, path = endpoints::ImportMeetings::PATH, request_body = ImportRequest, tag = "meetings",
    responses((status = 200, body = Imported), (status = 400, description = "a line is not valid: the detail names it", body = crate::error::Problem),
              (status = 409, description = "a meeting key exists, or a Video ID is live on another meeting", body = crate::error::Problem)))]
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ImportRequest>,
) -> ApiResult<Imported> {
    Ok(ApiJson(import::import(&s, &caller, req).await?))
}

/// The caller's meeting that holds a Video ID — how the add-in recognises its own block in
/// an item that lost its meeting key (another device, a copied item).
#[utoipa::path(get, path = endpoints::FindMeeting::PATH, params(endpoints::ByVideoId), tag = "meetings",
    responses((status = 200, body = Meeting)))]
pub async fn find_by_video_id(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::ByVideoId>,
) -> ApiResult<Meeting> {
    Ok(ApiJson(
        meetings::find_by_video_id(&s, &caller, &q.video_id).await?,
    ))
}

/// The newest meetings (at most 100) an organizer scheduled, for the admin console.
#[utoipa::path(get, path = endpoints::OrganizerMeetings::PATH, params(("upn" = String, Path, description = "The organizer's UPN")), tag = "meetings",
    responses((status = 200, body = [Meeting])))]
pub async fn by_organizer(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(upn): ApiPath<String>,
) -> ApiResult<Vec<Meeting>> {
    Ok(ApiJson(meetings::by_organizer(&s, &caller, &upn).await?))
}

/// Show a meeting's coordinates.
#[utoipa::path(get, path = endpoints::ShowMeeting::PATH, params(("key" = String, Path, description = "The client's meeting key")), tag = "meetings",
    responses((status = 200, body = Meeting)))]
pub async fn show(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Meeting> {
    Ok(ApiJson(meetings::show(&s, &caller, &key).await?))
}

/// Change a meeting's times (its Video ID stays) or subject.
#[utoipa::path(patch, path = endpoints::UpdateMeeting::PATH, params(("key" = String, Path, description = "The client's meeting key")), request_body = UpdateRequest, tag = "meetings",
    responses((status = 200, body = Meeting)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateRequest>,
) -> ApiResult<Meeting> {
    Ok(ApiJson(meetings::update(&s, &caller, &key, req).await?))
}

/// Cancel a meeting: its Video ID stops resolving at once.
#[utoipa::path(delete, path = endpoints::CancelMeeting::PATH, params(("key" = String, Path, description = "The client's meeting key")), tag = "meetings",
    responses((status = 200, body = Meeting)))]
pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Meeting> {
    Ok(ApiJson(meetings::cancel(&s, &caller, &key).await?))
}
