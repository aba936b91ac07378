//! The local dev issuer's token endpoint (only with `cvi serve --dev-issuer`).

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{TokenReply, TokenRequest};

use crate::{
    auth::{Claims, Role},
    error::{ApiJson, ApiResult, AppError},
    state::AppState,
};

/// Dev tokens last a working day.
const TTL_SECS: i64 = 8 * 3600;

/// Mint a dev token.
#[utoipa::path(post, path = endpoints::DevToken::PATH, request_body = TokenRequest, tag = "dev", security(()),
    responses((status = 200, body = TokenReply), (status = 404, description = "dev issuer off", body = crate::error::Problem)))]
pub async fn token(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<TokenReply> {
    let tenant = req.tenant.trim();
    if tenant.is_empty()
        || tenant.len() > 128
        || !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(AppError::InvalidInput(
            "tenant must be 1-128 letters, digits, '-', '_' or '.'".into(),
        ));
    }
    if req.role == Role::Partner && req.app_id.is_none() {
        return Err(AppError::InvalidInput(
            "a partner token needs --app-id (one of the provider's AadApplicationIds)".into(),
        ));
    }
    let role = serde_json::to_value(req.role)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let is_user = req.role != Role::Partner;
    let claims = Claims {
        iss: String::new(),
        aud: Default::default(),
        exp: 0,
        iat: None,
        tid: tenant.to_string(),
        upn: is_user.then(|| req.user.clone()),
        preferred_username: None,
        roles: vec![role],
        groups: req.groups,
        appid: req.app_id.map(|a| a.to_ascii_lowercase()),
        azp: None,
        oid: req.oid,
        scp: None,
        claim_names: None,
    };
    let token = s.verifier.mint_dev(claims, TTL_SECS)?;
    Ok(ApiJson(TokenReply {
        token,
        expires_in: TTL_SECS,
    }))
}
