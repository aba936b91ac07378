//! Bridge credentials (admin): what a Pexip Infinity bridge presents, as HTTP Basic, to the
//! external policy endpoint (`crate::pexip`). Created per tenant and provider, the secret
//! shown once and kept only as a hash, revoked by removing them.

use axum::{extract::State, http::StatusCode};
use base64::Engine;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{BridgeView, NewBridge, NewBridgeCreated};

use crate::usecases::providers::provider_name;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiPath, ApiResult, AppError},
    state::AppState,
    usecases,
};
use cvi_core::times::format_ms;
use cvi_store::{self as store, audit, bridges::Bridge};

fn view(b: &Bridge) -> BridgeView {
    BridgeView {
        username: b.username.clone(),
        provider: b.provider.clone(),
        teams_connector: b.teams_connector.clone(),
        created_by: b.created_by.clone(),
        created_at: format_ms(b.created_at),
    }
}

/// Create credentials for a bridge (the secret is in this answer only).
#[utoipa::path(post, path = endpoints::CreateBridge::PATH, request_body = NewBridge, tag = "bridges",
    responses((status = 201, body = NewBridgeCreated)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewBridge>,
) -> Result<(StatusCode, ApiJson<NewBridgeCreated>), AppError> {
    caller.require(Role::Admin)?;
    let provider = provider_name(&body.provider)?;
    let connector = body
        .teams_connector
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &connector {
        // Pexip limits its fields to 250 characters; a name is one line of text.
        if c.chars().count() > 250 || c.chars().any(char::is_control) {
            return Err(AppError::InvalidInput(
                "teams_connector: at most 250 characters, no control characters (Pexip's name of the Teams Connector)".into(),
            ));
        }
    }
    let mut tx = s.writes.begin().await?;
    if store::providers::find(&mut *tx, &caller.tenant, provider)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(format!(
            "no {provider} provider is configured; create it with `cvi provider new` first"
        )));
    }
    let bridge = Bridge {
        username: format!("bridge-{:016x}", rand::random::<u64>()),
        tenant: caller.tenant.clone(),
        provider: provider.to_string(),
        teams_connector: connector,
        created_by: caller.actor.clone(),
        created_at: cvi_store::db::now_ms(),
    };
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    store::bridges::insert(&mut tx, &bridge, &usecases::bridges::secret_hash(&secret)).await?;
    let v = view(&bridge);
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "bridge.new",
        &bridge.username,
        None::<&()>,
        Some(&v),
    )
    .await?;
    tx.commit().await?;
    s.bridges.forget(&bridge.username);
    Ok((
        StatusCode::CREATED,
        ApiJson(NewBridgeCreated {
            bridge: v,
            secret,
            policy_server_url: s.public_url.trim_end_matches('/').to_string(),
        }),
    ))
}

/// This tenant's bridge credentials (without secrets).
#[utoipa::path(get, path = endpoints::ListBridges::PATH, tag = "bridges", responses((status = 200, body = [BridgeView])))]
pub async fn list(State(s): State<AppState>, caller: Caller) -> ApiResult<Vec<BridgeView>> {
    caller.require(Role::Admin)?;
    let all = store::bridges::list(&s.db, &caller.tenant).await?;
    Ok(ApiJson(all.iter().map(view).collect()))
}

/// Revoke a bridge's credentials: its next policy request is refused.
#[utoipa::path(delete, path = endpoints::RemoveBridge::PATH, params(("username" = String, Path)), tag = "bridges",
    responses((status = 200, body = BridgeView)))]
pub async fn remove(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(username): ApiPath<String>,
) -> ApiResult<BridgeView> {
    caller.require(Role::Admin)?;
    let mut tx = s.writes.begin().await?;
    let gone = store::bridges::delete(&mut tx, &caller.tenant, &username)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no bridge {username:?} in this tenant; `cvi bridge list` shows them"
            ))
        })?;
    let v = view(&gone);
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "bridge.remove",
        &username,
        Some(&v),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    // After the commit: a request in between must not keep the old row for long.
    s.bridges.forget(&username);
    Ok(ApiJson(v))
}
