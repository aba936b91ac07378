//! Providers: `New-/Set-/Get-/Remove-CsVideoInteropServiceProvider` over HTTP.

use axum::{extract::State, http::StatusCode};
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::{
    api::{AppIds, GrantView, NewProvider, ProviderView, Removed, SetProvider},
    sip_target::SipTarget,
    AppId, InstructionUri, Provider, ProviderName, TenantKey,
};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError},
    state::AppState,
};
use cvi_store::{self as store, audit};

fn parse_app_ids(ids: &AppIds) -> Result<Vec<AppId>, AppError> {
    ids.parse()
        .map_err(|e| AppError::InvalidInput(format!("aad_application_ids: {e}")))
}

/// A SIP target field: empty clears it (the default applies).
fn sip_target(
    field: &'static str,
    value: Option<&str>,
    parse: fn(&str) -> Result<SipTarget, cvi_core::sip_target::SipTargetError>,
) -> Result<Option<Option<SipTarget>>, AppError> {
    value
        .map(|v| {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                parse(v).map(Some)
            }
        })
        .transpose()
        .map_err(|e| invalid(field)(e.to_string()))
}

/// Inserting or changing a tenant key another tenant holds: dialling names the tenant by
/// its key, so keys are unique across tenants.
fn tenant_key_taken(key: &TenantKey) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    move |e| {
        if crate::usecases::unique_violation(&e) {
            AppError::Conflict(format!(
                "tenant_key {key} is already in use (tenant keys are unique: a dialled address names its tenant by it); check the key your partner gave you"
            ))
        } else {
            e.into()
        }
    }
}

fn invalid(field: &str) -> impl Fn(String) -> AppError + '_ {
    move |m| AppError::InvalidInput(format!("{field}: {m}"))
}

/// Parses a provider name from a path or body.
pub fn provider_name(s: &str) -> Result<ProviderName, AppError> {
    s.parse::<ProviderName>()
        .map_err(|e| AppError::InvalidInput(e.to_string()))
}

/// Compiles a user's filter pattern with a size limit (it is untrusted input).
pub fn filter_regex(pattern: Option<&str>) -> Result<Option<regex_lite::Regex>, AppError> {
    pattern
        .map(|p| {
            regex_lite::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(1 << 16)
                .build()
                .map_err(|e| {
                    AppError::InvalidInput(format!("filter is not a valid regular expression: {e}"))
                })
        })
        .transpose()
}

/// List providers (`Get-CsVideoInteropServiceProvider [-Filter]`).
#[utoipa::path(get, path = endpoints::ListProviders::PATH, params(endpoints::FilterQuery), tag = "providers",
    responses((status = 200, body = [ProviderView])))]
pub async fn get_all(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::FilterQuery>,
) -> ApiResult<Vec<ProviderView>> {
    caller.require(Role::Admin)?;
    let re = filter_regex(q.filter.as_deref())?;
    let all = store::providers::list(&s.db, &caller.tenant).await?;
    Ok(ApiJson(
        all.iter()
            .filter(|p| re.as_ref().is_none_or(|r| r.is_match(p.name.as_str())))
            .map(ProviderView::from)
            .collect(),
    ))
}

/// One provider (`Get-CsVideoInteropServiceProvider -Identity`).
#[utoipa::path(get, path = endpoints::ShowProvider::PATH, params(("name" = String, Path, description = "Polycom, BlueJeans, Pexip or Cisco (any case)")), tag = "providers",
    responses((status = 200, body = ProviderView)))]
pub async fn get_one(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<ProviderView> {
    caller.require(Role::Admin)?;
    let name = provider_name(&name)?;
    let p = store::providers::find(&s.db, &caller.tenant, name)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("no {name} provider is configured in this tenant"))
        })?;
    Ok(ApiJson(ProviderView::from(&p)))
}

/// Create a provider (`New-CsVideoInteropServiceProvider`); one per name per tenant.
#[utoipa::path(post, path = endpoints::CreateProvider::PATH, request_body = NewProvider, tag = "providers",
    responses((status = 201, body = ProviderView)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewProvider>,
) -> Result<(StatusCode, ApiJson<ProviderView>), AppError> {
    caller.require(Role::Admin)?;
    let p = Provider {
        name: provider_name(&body.name)?,
        tenant_key: TenantKey::parse(&body.tenant_key)
            .map_err(|e| invalid("tenant_key")(e.to_string()))?,
        instruction_uri: body
            .instruction_uri
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(InstructionUri::parse)
            .transpose()
            .map_err(|e| invalid("instruction_uri")(e.to_string()))?,
        aad_application_ids: body
            .aad_application_ids
            .as_ref()
            .map(parse_app_ids)
            .transpose()?
            .unwrap_or_default(),
        allow_app_guest_joins_as_authenticated: body
            .allow_app_guest_joins_as_authenticated
            .unwrap_or(false),
        sip_gateway: sip_target("sip_gateway", body.sip_gateway.as_deref(), SipTarget::parse)?
            .flatten(),
        sip_ivr: sip_target("sip_ivr", body.sip_ivr.as_deref(), SipTarget::parse_ivr)?.flatten(),
    };
    let mut tx = s.writes.begin().await?;
    let inserted = store::providers::insert(&mut tx, &caller.tenant, &p)
        .await
        .map_err(tenant_key_taken(&p.tenant_key))?;
    if !inserted {
        return Err(AppError::Conflict(format!(
            "a {} provider already exists in this tenant; change it with `cvi provider set --identity {}`",
            p.name, p.name
        )));
    }
    let view = ProviderView::from(&p);
    store::tenant_config::changed(&mut tx, &caller.tenant).await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "provider.new",
        p.name.as_str(),
        None::<&()>,
        Some(&view),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Change a provider (`Set-CsVideoInteropServiceProvider`).
#[utoipa::path(patch, path = endpoints::UpdateProvider::PATH, params(("name" = String, Path, description = "Polycom, BlueJeans, Pexip or Cisco (any case)")), request_body = SetProvider, tag = "providers",
    responses((status = 200, body = ProviderView)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<SetProvider>,
) -> ApiResult<ProviderView> {
    caller.require(Role::Admin)?;
    let name = provider_name(&name)?;
    // Validate everything before touching the database: nothing half-written.
    let tenant_key = body
        .tenant_key
        .as_deref()
        .map(TenantKey::parse)
        .transpose()
        .map_err(|e| invalid("tenant_key")(e.to_string()))?;
    let instruction_uri = body
        .instruction_uri
        .as_deref()
        .map(|u| {
            if u.trim().is_empty() {
                Ok(None)
            } else {
                InstructionUri::parse(u).map(Some)
            }
        })
        .transpose()
        .map_err(|e| invalid("instruction_uri")(e.to_string()))?;
    let app_ids = body
        .aad_application_ids
        .as_ref()
        .map(parse_app_ids)
        .transpose()?;
    let sip_gateway = sip_target("sip_gateway", body.sip_gateway.as_deref(), SipTarget::parse)?;
    let sip_ivr = sip_target("sip_ivr", body.sip_ivr.as_deref(), SipTarget::parse_ivr)?;
    if tenant_key.is_none()
        && instruction_uri.is_none()
        && app_ids.is_none()
        && body.allow_app_guest_joins_as_authenticated.is_none()
        && sip_gateway.is_none()
        && sip_ivr.is_none()
    {
        return Err(AppError::InvalidInput(
            "nothing to change: give tenant_key, instruction_uri, aad_application_ids, allow_app_guest_joins_as_authenticated, sip_gateway or sip_ivr".into(),
        ));
    }

    let mut tx = s.writes.begin().await?;
    let before = store::providers::find(&mut *tx, &caller.tenant, name)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no {name} provider is configured; create it with `cvi provider new`"
            ))
        })?;
    let mut after = before.clone();
    if let Some(t) = tenant_key {
        after.tenant_key = t;
    }
    if let Some(u) = instruction_uri {
        after.instruction_uri = u;
    }
    if let Some(ids) = app_ids {
        after.aad_application_ids = ids;
    }
    if let Some(b) = body.allow_app_guest_joins_as_authenticated {
        after.allow_app_guest_joins_as_authenticated = b;
    }
    if let Some(t) = sip_gateway {
        after.sip_gateway = t;
    }
    if let Some(t) = sip_ivr {
        after.sip_ivr = t;
    }
    store::providers::update(&mut tx, &caller.tenant, &after)
        .await
        .map_err(tenant_key_taken(&after.tenant_key))?;
    let (b, a) = (ProviderView::from(&before), ProviderView::from(&after));
    store::tenant_config::changed(&mut tx, &caller.tenant).await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "provider.set",
        name.as_str(),
        Some(&b),
        Some(&a),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(a))
}

/// Remove a provider and all its data (`Remove-CsVideoInteropServiceProvider`).
#[utoipa::path(delete, path = endpoints::RemoveProvider::PATH, params(("name" = String, Path, description = "Polycom, BlueJeans, Pexip or Cisco (any case)")), tag = "providers",
    responses((status = 200, body = Removed)))]
pub async fn remove(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Removed> {
    caller.require(Role::Admin)?;
    let name = provider_name(&name)?;
    let mut tx = s.writes.begin().await?;
    let before = store::providers::find(&mut *tx, &caller.tenant, name)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("no {name} provider is configured in this tenant"))
        })?;
    store::providers::delete(&mut tx, &caller.tenant, name).await?;
    // Everything about the provider goes: its consents and bridge credentials too.
    store::bridges::delete_provider(&mut tx, &caller.tenant, name.as_str()).await?;
    for app in &before.aad_application_ids {
        store::consents::delete(&mut tx, &caller.tenant, app.as_str()).await?;
    }
    let orphaned: Vec<GrantView> = store::grants::list(&mut *tx, &caller.tenant)
        .await?
        .iter()
        .filter(|g| {
            cvi_core::Policy::by_identity(&g.policy_name)
                .is_ok_and(|p| p.provider_name == Some(name))
        })
        .map(GrantView::from)
        .collect();
    let view = ProviderView::from(&before);
    store::tenant_config::changed(&mut tx, &caller.tenant).await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "provider.remove",
        name.as_str(),
        Some(&view),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    s.bridges.clear();
    let message = if orphaned.is_empty() {
        format!("{name} removed; no grant uses it")
    } else {
        format!(
            "{name} removed; {} grant(s) still name a {name} policy and stop producing coordinates until the provider is added again or the grants change",
            orphaned.len()
        )
    };
    Ok(ApiJson(Removed {
        removed: view,
        orphaned_grants: orphaned,
        message,
    }))
}
