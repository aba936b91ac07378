//! Resolution: a dial string (IVR tenant key + Video ID, or a direct-dial URI) back to its
//! meeting, for every door that asks — partner apps over HTTP, Pexip bridges, SIP devices.
//! Defends against Video ID enumeration: rate limits, the check digit tested before any
//! lookup, and one [`Error::UnknownMeeting`] for unknown, expired and cancelled meetings.

use cvi_core::api::{IvrPrompt, Resolution, ResolveRequest, Resolved};
use cvi_core::{
    dial_plan::{self, match_direct_dial},
    times::format_ms,
    Provider, ProviderName, TenantKey, VideoId,
};
use cvi_store as store;

use super::{Context, Error, Result};
use crate::tenant_config::TenantConfig;

/// Who asks: a partner app with its token, a bridge with its credentials (scoped to one
/// provider), or a SIP device at the front door (no credentials: the tenant key in the
/// dialled URI names the tenant).
#[derive(Clone, Copy)]
pub enum Door<'a> {
    App(&'a str),
    Bridge(ProviderName),
    Sip,
}

/// Where a dial string led.
pub enum Outcome {
    Meeting {
        provider: Provider,
        resolved: Resolved,
    },
    Ivr(Provider),
}

/// A partner app naming its callers gets each caller the per-caller rate, and all of them
/// together this many times it.
const APP_BUDGET: f64 = 20.0;

/// A Video ID of ours: its check digit holds.
pub fn checked(id: &str) -> Result<VideoId> {
    VideoId::parse(id).map_err(|e| Error::BadVideoId(e.to_string()))
}

/// A partner app's request (`POST /api/v1/resolve`, `cvi resolve`): rate-limited per app,
/// or per calling device when the partner names it.
pub async fn for_app(
    cx: &Context,
    tenant: &str,
    app_id: &str,
    req: &ResolveRequest,
) -> Result<Resolution> {
    if req.caller.as_ref().is_some_and(|c| c.len() > 256) {
        return Err(Error::Invalid(
            "caller is longer than 256 characters; send the device's SIP From or IP address".into(),
        ));
    }
    // Per calling device when the partner names it — and always within the app's own
    // budget: `caller` is the partner's to choose, so fresh values must not buy fresh
    // budgets (#23 item 13).
    let app_key = format!("{tenant}/{app_id}");
    let limited = match &req.caller {
        Some(who) => cx
            .resolve_limiter
            .check(&format!("{app_key}/caller:{}", who.trim()))
            .and_then(|()| {
                cx.resolve_limiter
                    .check_scaled(&format!("{app_key}/callers"), APP_BUDGET)
            }),
        None => cx.resolve_limiter.check(&app_key),
    };
    if let Err(retry) = limited {
        cx.metrics.resolution("rate-limited");
        return Err(Error::RateLimited(retry));
    }
    if req.dial_string.len() > 512 {
        return Err(Error::Invalid(
            "dial_string is longer than 512 characters".into(),
        ));
    }
    // The Video ID as keyed or typed, when it comes on its own.
    let separate_raw: Option<&str> = match (req.video_id.as_deref(), req.dtmf.as_deref()) {
        (Some(_), Some(_)) => return Err(Error::Invalid("give video_id or dtmf, not both".into())),
        (Some(id), None) => Some(id),
        (None, Some(keys)) => {
            let digits = keys.strip_suffix('#').unwrap_or(keys);
            if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
                cx.metrics.resolution("bad-check-digit");
                return Err(Error::BadVideoId(format!(
                    "dtmf {keys:?}: {c:?} is not a digit; keyed digits and a final # only"
                )));
            }
            Some(digits)
        }
        (None, None) => None,
    };
    // The check digit before any meeting lookup (inside a direct-dial string, the
    // provider's format must be known first). An ID that fails it is refused at once,
    // unless the tenant imported meetings, whose IDs carry no check digit of ours.
    let separate_id = match separate_raw.map(|raw| (raw, checked(raw))) {
        None => None,
        Some((_, Ok(id))) => Some(id),
        Some((raw, Err(e))) => match imported_id(cx, tenant, raw).await? {
            Some(id) => Some(id),
            None => {
                cx.metrics.resolution("bad-check-digit");
                return Err(e);
            }
        },
    };
    Ok(
        match resolve(
            cx,
            tenant,
            &req.dial_string,
            separate_id.as_ref(),
            Door::App(app_id),
        )
        .await?
        {
            Outcome::Meeting { resolved, .. } => Resolution::Resolved(resolved),
            Outcome::Ivr(p) => Resolution::Ivr(IvrPrompt {
                provider: p.name.to_string(),
                tenant_key: p.tenant_key.to_string(),
            }),
        },
    )
}

/// Resolves `dial_string` within `tenant` for `door` (the check digit of `separate_id`
/// already tested). The rules of every door: unknown, expired and cancelled are one answer.
pub async fn resolve(
    cx: &Context,
    tenant: &str,
    dial_string: &str,
    separate_id: Option<&VideoId>,
    door: Door<'_>,
) -> Result<Outcome> {
    // Decide with the kept configuration; the meeting query reads the configuration's
    // version in the same statement, and a decision made on an old version is made again.
    let mut config = cx.config.get(&cx.db, tenant).await?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = attempts == MAX_CONFIG_ATTEMPTS;
        let (provider, video_id) = match target(&config, dial_string, separate_id, door) {
            Ok(Target::Meeting(p, id)) => (p, id),
            Ok(Target::Ivr(p)) => {
                cx.metrics.resolution("ivr");
                return Ok(Outcome::Ivr(p.clone()));
            }
            Err(e) => {
                // Refusals that come from the configuration (no such provider, not its app,
                // no consent) must not come from a stale one; malformed input is malformed.
                // A bad check digit too: a fresh configuration may say the tenant imported.
                let from_config = !matches!(e, Error::Invalid(_));
                if from_config && !last {
                    let version = store::tenant_config::version(&cx.db, tenant).await?;
                    if version != config.version {
                        config = cx.config.at_version(&cx.db, tenant, version).await?;
                        continue;
                    }
                }
                match &e {
                    Error::UnknownMeeting => cx.metrics.resolution("unknown"),
                    Error::BadVideoId(_) => cx.metrics.resolution("bad-check-digit"),
                    _ => {}
                }
                return Err(e);
            }
        };
        let (version, live) = store::meetings::live_for_resolution(
            &cx.db,
            cx.fast.as_ref(),
            tenant,
            provider.name,
            &video_id,
        )
        .await?;
        if version != config.version && !last {
            config = cx.config.at_version(&cx.db, tenant, version).await?;
            continue;
        }
        let Some(m) = live else {
            cx.metrics.resolution("unknown");
            return Err(Error::UnknownMeeting);
        };
        cx.metrics.resolution("found");
        cx.resolutions.count(tenant, provider.name);
        return Ok(Outcome::Meeting {
            provider: provider.clone(),
            resolved: Resolved {
                meeting_key: m.key,
                provider: provider.name.to_string(),
                tenant_key: provider.tenant_key.to_string(),
                video_id: video_id.to_string(),
                subject: m.subject,
                start: format_ms(m.starts_at),
                end: format_ms(m.ends_at),
                teams_join_url: m.teams_join_url,
            },
        });
    }
}

/// Resolution without a tenant in hand (the SIP front door): `tenants` are those whose
/// tenant key the dialled URI names. Anything that does not lead to a live meeting or an IVR
/// — unknown, expired, cancelled, a bad check digit, a malformed address — is one
/// [`Error::UnknownMeeting`].
pub async fn dialled(cx: &Context, uri: &str, tenants: &[String]) -> Result<Outcome> {
    // Tenant keys are unique, so one tenant in all but a Pexip domain shared by two.
    for tenant in tenants {
        match resolve(cx, tenant, uri, None, Door::Sip).await {
            Ok(o) => return Ok(o),
            Err(Error::UnknownMeeting | Error::BadVideoId(_) | Error::Invalid(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::UnknownMeeting)
}

/// The Video ID a caller keyed at a bridge's Virtual Reception: ours by its check digit,
/// or any 9/10-digit ID when the tenant imported meetings.
pub fn keyed(config: &TenantConfig, digits: &str) -> Option<VideoId> {
    match checked(digits) {
        Ok(id) => Some(id),
        Err(_) if config.has_imports => VideoId::parse_any(digits).ok(),
        Err(_) => None,
    }
}

/// `raw` as a Video ID of an imported meeting, when the tenant has imported any (checked
/// against the configuration's version, so an import on another server counts at once).
/// Costs one primary-key read of the version when the kept configuration says no imports;
/// never a meeting lookup.
async fn imported_id(cx: &Context, tenant: &str, raw: &str) -> Result<Option<VideoId>> {
    let mut config = cx.config.get(&cx.db, tenant).await?;
    if !config.has_imports {
        let version = store::tenant_config::version(&cx.db, tenant).await?;
        if version != config.version {
            config = cx.config.at_version(&cx.db, tenant, version).await?;
        }
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
) -> Result<Target<'c>> {
    let configured = &config.providers;
    let address = dial_plan::address(dial_string);
    let ivr = |tk: &TenantKey| configured.iter().find(|p| p.tenant_key == *tk);
    let target = match separate_id {
        Some(id) => {
            let tk = TenantKey::parse(address).map_err(|e| {
                Error::Invalid(format!(
                    "dial_string: with a Video ID it must be the IVR tenant key: {e}"
                ))
            })?;
            Target::Meeting(ivr(&tk).ok_or(Error::UnknownMeeting)?, id.clone())
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
                    Target::Meeting(
                        config.provider(m.provider).ok_or(Error::UnknownMeeting)?,
                        id,
                    )
                }
                // The tenant key alone: the IVR, which asks for the Video ID.
                None => Target::Ivr(
                    TenantKey::parse(address)
                        .ok()
                        .as_ref()
                        .and_then(ivr)
                        .ok_or(Error::UnknownMeeting)?,
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
fn authorize(config: &TenantConfig, provider: &Provider, door: Door<'_>) -> Result<()> {
    let app_id = match door {
        Door::App(app_id) => app_id,
        // A bridge sees only its own provider; other providers' meetings do not exist for it.
        Door::Bridge(name) if name != provider.name => return Err(Error::UnknownMeeting),
        // A bridge or a SIP device leads the call to the partner, whose apps then join the
        // Teams meeting: route only for a provider with a consented app (one answer, as
        // unknown, so the front door tells nothing about a tenant's configuration).
        Door::Bridge(_) | Door::Sip => {
            let missing = config.missing_consent(&provider.aad_application_ids);
            return if provider.aad_application_ids.len() > missing.len() {
                Ok(())
            } else {
                Err(Error::UnknownMeeting)
            };
        }
    };
    // Only this provider's own, consented apps may resolve its meetings.
    if !provider
        .aad_application_ids
        .iter()
        .any(|a| a.as_str() == app_id)
    {
        return Err(Error::NotAllowed(format!(
            "app {app_id} is not one of the {} provider's apps",
            provider.name
        )));
    }
    if !config
        .missing_consent(&provider.aad_application_ids)
        .iter()
        .all(|a| a != app_id)
    {
        return Err(Error::ConsentMissing {
            provider: provider.name.to_string(),
            missing: vec![app_id.to_string()],
        });
    }
    Ok(())
}
