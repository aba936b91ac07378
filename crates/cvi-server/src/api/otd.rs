//! One-touch dial over HTTP: the same reading of an invite as `cvi otd extract`.

use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::{
    api::OtdRequest,
    invite::BodyKind,
    otd::{self, OneTouchDial},
};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiResult, AppError},
};

/// The coordinates, Teams join link and panel dial string of an invite body.
#[utoipa::path(post, path = endpoints::ExtractOneTouchDial::PATH, request_body = OtdRequest, tag = "resolution",
    responses((status = 200, body = OneTouchDial)))]
pub async fn extract(caller: Caller, ApiJson(req): ApiJson<OtdRequest>) -> ApiResult<OneTouchDial> {
    caller.require_any(&[Role::Admin, Role::Organizer, Role::Partner])?;
    let kind = match req.kind.as_deref() {
        None => None,
        Some("html") => Some(BodyKind::Html),
        Some("text") => Some(BodyKind::Text),
        Some(other) => {
            return Err(AppError::InvalidInput(format!(
                "kind {other:?} is not html or text (leave it out to have it told from the body)"
            )))
        }
    };
    Ok(ApiJson(otd::read(&req.body, kind)))
}
