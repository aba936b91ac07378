//! Resolution: a dial string (IVR tenant key + Video ID, or a direct-dial URI) back to its
//! meeting, for partner apps. Defends against Video ID enumeration: a per-caller rate
//! limit, the check digit tested before any lookup, and one identical reply for unknown,
//! expired and cancelled meetings.

use axum::extract::State;
use cvi_core::api::{IvrPrompt, Resolution, ResolveRequest, Resolved};
use cvi_core::{
    dial_plan::{self, match_direct_dial},
    Provider, ProviderName, TenantKey, VideoId,
};

use super::meetings::format_time;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiResult, AppError},
    state::AppState,
    tenant_config::TenantConfig,
};
use cvi_store as store;

pub(crate) fn unknown() -> AppError {
    // One message for unknown, expired and cancelled: the reply must not tell them apart.
    AppError::NotFound("no live meeting matches this dial string".into())
}

/// How a refused Video ID's message starts (the metrics count them apart).
const BAD_VIDEO_ID: &str = "video_id: ";

pub(crate) fn checked(id: &str) -> Result<VideoId, AppError> {
    VideoId::parse(id).map_err(|e| AppError::InvalidInput(format!("{BAD_VIDEO_ID}{e}")))
}

/// Resolve a dial string to its meeting (partner apps only).
#[utoipa::path(post, path = "/resolve", request_body = ResolveRequest, tag = "resolution",
    responses((status = 200, body = Resolution), (status = 400, description = "malformed, or the check digit is wrong", body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, description = "unknown, expired or cancelled (indistinguishable)", body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
pub async fn resolve(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> ApiResult<Resolution> {
    caller.require(Role::Partner)?;
    let app_id = caller.app_id.clone().ok_or_else(|| {
        AppError::Forbidden("resolution needs an app token (appid or azp claim)".into())
    })?;
    if req.caller.as_ref().is_some_and(|c| c.len() > 256) {
        return Err(AppError::InvalidInput(
            "caller is longer than 256 characters; send the device's SIP From or IP address".into(),
        ));
    }
    // Per caller when the partner says who dialled, else per partner app.
    let key = match &req.caller {
        Some(who) => format!("{}/{}/{}", caller.tenant, app_id, who.trim()),
        None => format!("{}/{}", caller.tenant, app_id),
    };
    if let Err(retry) = s.resolve_limiter.check(&key) {
        s.metrics.resolution("rate-limited");
        return Err(AppError::RateLimited(retry));
    }
    if req.dial_string.len() > 512 {
        return Err(AppError::InvalidInput(
            "dial_string is longer than 512 characters".into(),
        ));
    }
    // The Video ID as keyed or typed, when it comes on its own.
    let separate_raw: Option<String> = match (req.video_id.as_deref(), req.dtmf.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(AppError::InvalidInput(
                "give video_id or dtmf, not both".into(),
            ))
        }
        (Some(id), None) => Some(id.to_string()),
        (None, Some(keys)) => {
            let digits = keys.strip_suffix('#').unwrap_or(keys);
            if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
                s.metrics.resolution("bad-check-digit");
                return Err(AppError::InvalidInput(format!(
                    "{BAD_VIDEO_ID}dtmf {keys:?}: {c:?} is not a digit; keyed digits and a final # only"
                )));
            }
            Some(digits.to_string())
        }
        (None, None) => None,
    };
    // The check digit before any meeting lookup (inside a direct-dial string, the
    // provider's format must be known first). An ID that fails it is refused at once,
    // unless the tenant imported meetings, whose IDs carry no check digit of ours.
    let separate_id = match separate_raw.as_deref().map(|raw| (raw, checked(raw))) {
        None => None,
        Some((_, Ok(id))) => Some(id),
        Some((raw, Err(e))) => match imported_id(&s, &caller.tenant, raw).await? {
            Some(id) => Some(id),
            None => {
                s.metrics.resolution("bad-check-digit");
                return Err(e);
            }
        },
    };
    match resolve_in(
        &s,
        &caller.tenant,
        &req.dial_string,
        separate_id.as_ref(),
        Door::App(&app_id),
    )
    .await?
    {
        Outcome::Meeting { resolved, .. } => Ok(ApiJson(Resolution::Resolved(resolved))),
        Outcome::Ivr(p) => Ok(ApiJson(Resolution::Ivr(IvrPrompt {
            provider: p.name.to_string(),
            tenant_key: p.tenant_key.to_string(),
        }))),
    }
}

/// Who asks: a partner app with its token, a bridge with its credentials (scoped to one
/// provider), or a SIP device at the front door (no credentials: the tenant key in the
/// dialled URI names the tenant).
#[derive(Clone, Copy)]
pub(crate) enum Door<'a> {
    App(&'a str),
    Bridge(ProviderName),
    Sip,
}

/// Where a dial string led.
pub(crate) enum Outcome {
    Meeting {
        provider: Provider,
        resolved: Resolved,
    },
    Ivr(Provider),
}

/// Resolves `dial_string` within `tenant` for `door` (the check digit of `separate_id`
/// already tested). The rules of every door: unknown, expired and cancelled are one answer.
pub(crate) async fn resolve_in(
    s: &AppState,
    tenant: &str,
    dial_string: &str,
    separate_id: Option<&VideoId>,
    door: Door<'_>,
) -> Result<Outcome, AppError> {
    // Decide with the kept configuration; the meeting query reads the configuration's
    // version in the same statement, and a decision made on an old version is made again.
    let mut config = s.config.get(&s.db, tenant).await?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = attempts == MAX_CONFIG_ATTEMPTS;
        let (provider, video_id) = match target(&config, dial_string, separate_id, door) {
            Ok(Target::Meeting(p, id)) => (p, id),
            Ok(Target::Ivr(p)) => {
                s.metrics.resolution("ivr");
                return Ok(Outcome::Ivr(p.clone()));
            }
            Err(e) => {
                // Refusals that come from the configuration (no such provider, not its app,
                // no consent) must not come from a stale one; malformed input is malformed.
                // A bad check digit too: a fresh configuration may say the tenant imported.
                let from_config = !matches!(e, AppError::InvalidInput(_))
                    || matches!(&e, AppError::InvalidInput(m) if m.starts_with(BAD_VIDEO_ID));
                if from_config
                    && !last
                    && store::tenant_config::version(&s.db, tenant).await? != config.version
                {
                    config = s.config.load(&s.db, tenant).await?;
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
        let (version, live) = store::meetings::live_for_resolution(
            &s.db,
            s.fast.as_ref(),
            tenant,
            provider.name,
            &video_id,
        )
        .await?;
        if version != config.version && !last {
            config = s.config.load(&s.db, tenant).await?;
            continue;
        }
        let Some(m) = live else {
            s.metrics.resolution("unknown");
            return Err(unknown());
        };
        s.metrics.resolution("found");
        s.resolutions.count(tenant, provider.name);
        return Ok(Outcome::Meeting {
            provider: provider.clone(),
            resolved: Resolved {
                meeting_key: m.key,
                provider: provider.name.to_string(),
                tenant_key: provider.tenant_key.to_string(),
                video_id: video_id.to_string(),
                subject: m.subject,
                start: format_time(m.starts_at),
                end: format_time(m.ends_at),
                teams_join_url: m.teams_join_url,
            },
        });
    }
}

/// `raw` as a Video ID of an imported meeting, when the tenant has imported any (checked
/// against the configuration's version, so an import on another server counts at once).
/// Costs one primary-key read of the version when the kept configuration says no imports;
/// never a meeting lookup.
async fn imported_id(s: &AppState, tenant: &str, raw: &str) -> Result<Option<VideoId>, AppError> {
    let mut config = s.config.get(&s.db, tenant).await?;
    if !config.has_imports && store::tenant_config::version(&s.db, tenant).await? != config.version
    {
        config = s.config.load(&s.db, tenant).await?;
    }
    Ok(config
        .has_imports
        .then(|| VideoId::parse_any(raw).ok())
        .flatten())
}

/// Configuration changes seen during one call before it answers with the latest.
const MAX_CONFIG_ATTEMPTS: u32 = 3;

/// Where a dial string leads.
enum Target<'c> {
    /// A meeting of this provider, by its Video ID (check digit tested).
    Meeting(&'c Provider, VideoId),
    /// This provider's IVR: the caller is to be asked for the Video ID.
    Ivr(&'c Provider),
}

/// Where a dial string leads, if `door` may resolve it. `separate_id` is the Video ID
/// the request carried (`video_id` or `dtmf`), its check digit already tested.
fn target<'c>(
    config: &'c TenantConfig,
    dial_string: &str,
    separate_id: Option<&VideoId>,
    door: Door<'_>,
) -> Result<Target<'c>, AppError> {
    let configured = &config.providers;
    let address = dial_plan::address(dial_string);
    let ivr = |tk: &TenantKey| configured.iter().find(|p| p.tenant_key == *tk);
    let target = match separate_id {
        Some(id) => {
            let tk = TenantKey::parse(address).map_err(|e| {
                AppError::InvalidInput(format!(
                    "dial_string: with a Video ID it must be the IVR tenant key: {e}"
                ))
            })?;
            Target::Meeting(ivr(&tk).ok_or_else(unknown)?, id.clone())
        }
        None => {
            let keys: Vec<(ProviderName, TenantKey)> = configured
                .iter()
                .map(|p| (p.name, p.tenant_key.clone()))
                .collect();
            match match_direct_dial(dial_string, &keys) {
                Some(m) => {
                    let id = match checked(m.video_id.as_str()) {
                        Ok(id) => id,
                        // An imported meeting's ID has no check digit of ours.
                        Err(_) if config.has_imports => m.video_id.clone(),
                        Err(e) => return Err(e),
                    };
                    Target::Meeting(config.provider(m.provider).ok_or_else(unknown)?, id)
                }
                // The tenant key alone: the IVR, which asks for the Video ID.
                None => Target::Ivr(
                    TenantKey::parse(address)
                        .ok()
                        .as_ref()
                        .and_then(ivr)
                        .ok_or_else(unknown)?,
                ),
            }
        }
    };
    let provider = match &target {
        Target::Meeting(p, _) | Target::Ivr(p) => *p,
    };
    authorize(config, provider, door)?;
    Ok(target)
}

/// Whether `door` may resolve the meetings of `provider`.
fn authorize(config: &TenantConfig, provider: &Provider, door: Door<'_>) -> Result<(), AppError> {
    let app_id = match door {
        Door::App(app_id) => app_id,
        // A bridge sees only its own provider; other providers' meetings do not exist for it.
        Door::Bridge(name) if name != provider.name => return Err(unknown()),
        // A bridge or a SIP device leads the call to the partner, whose apps then join the
        // Teams meeting: route only for a provider with a consented app (one answer, as
        // unknown, so the front door tells nothing about a tenant's configuration).
        Door::Bridge(_) | Door::Sip => {
            let missing = config.missing_consent(&provider.aad_application_ids);
            return if provider.aad_application_ids.len() > missing.len() {
                Ok(())
            } else {
                Err(unknown())
            };
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
    Ok(())
}

/// Resolution without a tenant in hand (the SIP front door): `tenants` are those whose
/// tenant key the dialled URI names. Anything that does not lead to a live meeting or an IVR
/// — unknown, expired, cancelled, a bad check digit, a malformed address — is one `unknown()`.
pub(crate) async fn resolve_dialled(
    s: &AppState,
    uri: &str,
    tenants: &[String],
) -> Result<Outcome, AppError> {
    // Tenant keys are unique, so one tenant in all but a Pexip domain shared by two.
    for tenant in tenants {
        match resolve_in(s, tenant, uri, None, Door::Sip).await {
            Ok(o) => return Ok(o),
            Err(AppError::NotFound(_) | AppError::InvalidInput(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(unknown())
}
