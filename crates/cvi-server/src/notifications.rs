//! The door Microsoft Graph's change notifications come in by: `POST /graph/notifications`,
//! public and without a token, as Graph calls it ("Receive change notifications through
//! webhooks", learn.microsoft.com/graph/change-notifications-delivery-webhooks):
//! - creating a subscription, Graph first POSTs `?validationToken=…` and expects, within
//!   10 seconds, `200 OK`, `Content-Type: text/plain`, the token (URL-decoded) as the body;
//! - then each delivery is a JSON `changeNotificationCollection`, to be answered `202
//!   Accepted` within 3 seconds: so a delivery is only stored here (`usecases::inject`),
//!   and processing happens after.
//!
//! Lifecycle notifications (`lifecycleNotificationUrl`) come to the same URL.

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{error::AppError, graph::Notifications, state::AppState, usecases};

pub const PATH: &str = usecases::inject::NOTIFICATION_PATH;

/// Longer than any token Graph sends; a longer one is not Graph's.
const MAX_VALIDATION_TOKEN: usize = 4096;

#[derive(Deserialize)]
pub struct Validation {
    #[serde(rename = "validationToken")]
    validation_token: Option<String>,
}

pub async fn receive(
    State(s): State<AppState>,
    Query(q): Query<Validation>,
    body: Bytes,
) -> Result<Response, AppError> {
    if let Some(token) = q.validation_token {
        if token.len() > MAX_VALIDATION_TOKEN || token.chars().any(char::is_control) {
            return Err(AppError::InvalidInput(
                "validationToken: not a token Microsoft Graph sends".into(),
            ));
        }
        return Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            token,
        )
            .into_response());
    }
    let delivery: Notifications = serde_json::from_slice(&body).map_err(|e| {
        AppError::InvalidInput(format!(
            "not a Microsoft Graph change notification collection ({{\"value\": [...]}}): {e}"
        ))
    })?;
    usecases::inject::receive(&s, delivery).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
