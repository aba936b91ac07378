//! Resolution: a dial string (IVR tenant key + Video ID, or a direct-dial URI) back to its
//! meeting, for partner apps. Defends against Video ID enumeration: a per-caller rate
//! limit, the check digit tested before any lookup, and one identical reply for unknown,
//! expired and cancelled meetings.

use axum::extract::State;
use cvi_core::api::{ResolveRequest, Resolved};
use cvi_core::{dial_plan::match_direct_dial, Provider, ProviderName, TenantKey, VideoId};

use super::meetings::format_time;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiResult, AppError},
    state::AppState,
    store,
    tenant_config::TenantConfig,
};

fn unknown() -> AppError {
    // One message for unknown, expired and cancelled: the reply must not tell them apart.
    AppError::NotFound("no live meeting matches this dial string".into())
}

/// How a refused Video ID's message starts (the metrics count them apart).
const BAD_VIDEO_ID: &str = "video_id: ";

fn checked(id: &str) -> Result<VideoId, AppError> {
    VideoId::parse(id).map_err(|e| AppError::InvalidInput(format!("{BAD_VIDEO_ID}{e}")))
}

/// Resolve a dial string to its meeting (partner apps only).
#[utoipa::path(post, path = "/resolve", request_body = ResolveRequest, tag = "resolution",
    responses((status = 200, body = Resolved), (status = 400, description = "malformed, or the check digit is wrong", body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, description = "unknown, expired or cancelled (indistinguishable)", body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
pub async fn resolve(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> ApiResult<Resolved> {
    caller.require(Role::Partner)?;
    let app_id = caller.app_id.clone().ok_or_else(|| {
        AppError::Forbidden("resolution needs an app token (appid or azp claim)".into())
    })?;
    if let Err(retry) = s
        .resolve_limiter
        .check(&format!("{}/{}", caller.tenant, app_id))
    {
        s.metrics.resolution("rate-limited");
        return Err(AppError::RateLimited(retry));
    }
    if req.dial_string.len() > 512 {
        return Err(AppError::InvalidInput(
            "dial_string is longer than 512 characters".into(),
        ));
    }
    // The check digit before any lookup (when the Video ID comes on its own; inside a
    // direct-dial string, the provider's format must be known first).
    let separate_id = req
        .video_id
        .as_deref()
        .map(checked)
        .transpose()
        .inspect_err(|_| s.metrics.resolution("bad-check-digit"))?;
    // Decide with the kept configuration; the meeting query reads the configuration's
    // version in the same statement, and a decision made on an old version is made again.
    let mut config = s.config.get(&s.db, &caller.tenant).await?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = attempts == MAX_CONFIG_ATTEMPTS;
        let (provider, video_id) =
            match target(&config, &req.dial_string, separate_id.as_ref(), &app_id) {
                Ok(t) => t,
                Err(e) => {
                    // Refusals that come from the configuration (no such provider, not its app,
                    // no consent) must not come from a stale one; malformed input is malformed.
                    let from_config = !matches!(e, AppError::InvalidInput(_));
                    if from_config
                        && !last
                        && store::tenant_config::version(&s.db, &caller.tenant).await?
                            != config.version
                    {
                        config = s.config.load(&s.db, &caller.tenant).await?;
                        continue;
                    }
                    match &e {
                        AppError::NotFound(_) => s.metrics.resolution("unknown"),
                        AppError::InvalidInput(m) if m.starts_with(BAD_VIDEO_ID) => {
                            s.metrics.resolution("bad-check-digit")
                        }
                        _ => {}
                    }
                    return Err(e);
                }
            };
        let (version, live) =
            store::meetings::live_by_video_id(&s.db, &caller.tenant, provider.name, &video_id)
                .await?;
        if version != config.version && !last {
            config = s.config.load(&s.db, &caller.tenant).await?;
            continue;
        }
        let Some(m) = live else {
            s.metrics.resolution("unknown");
            return Err(unknown());
        };
        s.metrics.resolution("found");
        return Ok(ApiJson(Resolved {
            meeting_key: m.key,
            provider: provider.name.to_string(),
            tenant_key: provider.tenant_key.to_string(),
            video_id: video_id.to_string(),
            subject: m.subject,
            start: format_time(m.starts_at),
            end: format_time(m.ends_at),
            teams_join_url: m.teams_join_url,
        }));
    }
}

/// Configuration changes seen during one call before it answers with the latest.
const MAX_CONFIG_ATTEMPTS: u32 = 3;

/// The provider and Video ID a dial string names, if `app_id` may resolve them.
/// `separate_id` is the `video_id` of the request, its check digit already tested.
fn target<'c>(
    config: &'c TenantConfig,
    dial_string: &str,
    separate_id: Option<&VideoId>,
    app_id: &str,
) -> Result<(&'c Provider, VideoId), AppError> {
    let configured = &config.providers;
    let (provider, video_id) = match separate_id {
        Some(id) => {
            let tk =
                TenantKey::parse(dial_string.trim().trim_start_matches("sip:")).map_err(|e| {
                    AppError::InvalidInput(format!(
                        "dial_string: with video_id it must be the IVR tenant key: {e}"
                    ))
                })?;
            let p = configured
                .iter()
                .find(|p| p.tenant_key == tk)
                .ok_or_else(unknown)?;
            (p, id.clone())
        }
        None => {
            let keys: Vec<(ProviderName, TenantKey)> = configured
                .iter()
                .map(|p| (p.name, p.tenant_key.clone()))
                .collect();
            let m = match_direct_dial(dial_string, &keys).ok_or_else(unknown)?;
            let id = checked(m.video_id.as_str())?;
            let p = config.provider(m.provider).ok_or_else(unknown)?;
            (p, id)
        }
    };
    // Only this provider's own, consented apps may resolve its meetings.
    if !provider
        .aad_application_ids
        .iter()
        .any(|a| a.as_str() == app_id)
    {
        return Err(AppError::Forbidden(format!(
            "app {app_id} is not one of the {} provider's apps",
            provider.name
        )));
    }
    if !config
        .missing_consent(&provider.aad_application_ids)
        .iter()
        .all(|a| a != app_id)
    {
        return Err(AppError::ConsentMissing {
            provider: provider.name.to_string(),
            missing: vec![app_id.to_string()],
        });
    }
    Ok((provider, video_id))
}
