//! Provisioning: the tenant's providers (`New-/Set-/Get-/Remove-CsVideoInteropServiceProvider`).
//! Every change bumps the tenant's configuration version (issuance and resolution decide
//! with it) and is audited in its transaction.

use cvi_core::{
    api::{AppIds, GrantView, NewProvider, ProviderView, Removed, SetProvider},
    sip_target::SipTarget,
    AppId, InstructionUri, Provider, ProviderName, TenantKey,
};
use cvi_store::{self as store, audit};

use super::{unique_violation, Caller, Context, Error, Result, Role};

fn parse_app_ids(ids: &AppIds) -> Result<Vec<AppId>, Error> {
    ids.parse()
        .map_err(|e| Error::Invalid(format!("aad_application_ids: {e}")))
}

/// A SIP target field: empty clears it (the default applies).
fn sip_target(
    field: &'static str,
    value: Option<&str>,
    parse: fn(&str) -> Result<SipTarget, cvi_core::sip_target::SipTargetError>,
) -> Result<Option<Option<SipTarget>>, Error> {
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

/// A provider's domain another tenant holds (see `store::providers::domain_taken`).
fn domain_in_use(domain: &str) -> Error {
    Error::Conflict(format!(
        "the SIP domain {domain} is in use by another tenant of this service, and a Pexip \
         provider receives every <id>@{domain} call, so that domain belongs to one tenant; \
         use your own Pexip deployment's domain, or if {domain} is yours, ask the operator \
         of this service to release it"
    ))
}

/// Refuses `p` when its domain is another tenant's (checked in the write's transaction;
/// the unique index on Pexip domains settles a race).
async fn claim_domain(
    tx: &mut sqlx::AnyConnection,
    tenant: &str,
    p: &Provider,
) -> Result<(), Error> {
    let domain = p.tenant_key.domain();
    let pexip = p.name == ProviderName::Pexip;
    if store::providers::domain_taken(tx, tenant, domain, pexip).await? {
        return Err(domain_in_use(domain));
    }
    Ok(())
}

/// Inserting or changing a tenant key another tenant holds: dialling names the tenant by
/// its key, so keys are unique across tenants (and a Pexip domain, by its index).
fn tenant_key_taken(key: &TenantKey) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |e| {
        let text = e.to_string();
        if unique_violation(&e)
            && (text.contains("key_domain") || text.contains("providers_pexip_domain"))
        {
            domain_in_use(key.domain())
        } else if unique_violation(&e) {
            Error::Conflict(format!(
                "tenant_key {key} is already in use (tenant keys are unique: a dialled address names its tenant by it); check the key your partner gave you"
            ))
        } else {
            e.into()
        }
    }
}

fn invalid(field: &str) -> impl Fn(String) -> Error + '_ {
    move |m| Error::Invalid(format!("{field}: {m}"))
}

/// Parses a provider name from a path or body.
pub fn provider_name(s: &str) -> Result<ProviderName, Error> {
    s.parse::<ProviderName>()
        .map_err(|e| Error::Invalid(e.to_string()))
}

/// Compiles a user's filter pattern with a size limit (it is untrusted input).
pub fn filter_regex(pattern: Option<&str>) -> Result<Option<regex_lite::Regex>, Error> {
    pattern
        .map(|p| {
            regex_lite::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(1 << 16)
                .build()
                .map_err(|e| {
                    Error::Invalid(format!("filter is not a valid regular expression: {e}"))
                })
        })
        .transpose()
}

/// The providers (`Get-CsVideoInteropServiceProvider [-Filter]`), admins.
pub async fn list(
    cx: &Context,
    caller: &Caller,
    filter: Option<&str>,
) -> Result<Vec<ProviderView>> {
    caller.require(Role::Admin)?;
    let re = filter_regex(filter)?;
    let all = store::providers::list(&cx.db, &caller.tenant).await?;
    Ok(all
        .iter()
        .filter(|p| re.as_ref().is_none_or(|r| r.is_match(p.name.as_str())))
        .map(ProviderView::from)
        .collect())
}

/// One provider (`Get-CsVideoInteropServiceProvider -Identity`).
pub async fn show(cx: &Context, caller: &Caller, name: &str) -> Result<ProviderView> {
    caller.require(Role::Admin)?;
    let name = provider_name(name)?;
    let p = store::providers::find(&cx.db, &caller.tenant, name)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!("no {name} provider is configured in this tenant"))
        })?;
    Ok(ProviderView::from(&p))
}

/// Create a provider (`New-CsVideoInteropServiceProvider`); one per name per tenant.
pub async fn create(cx: &Context, caller: &Caller, body: NewProvider) -> Result<ProviderView> {
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
    let mut tx = cx.writes.begin().await?;
    claim_domain(&mut tx, &caller.tenant, &p).await?;
    let inserted = store::providers::insert(&mut tx, &caller.tenant, &p)
        .await
        .map_err(tenant_key_taken(&p.tenant_key))?;
    if !inserted {
        return Err(Error::Conflict(format!(
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
    Ok(view)
}

/// Change a provider (`Set-CsVideoInteropServiceProvider`).
pub async fn update(
    cx: &Context,
    caller: &Caller,
    name: &str,
    body: SetProvider,
) -> Result<ProviderView> {
    caller.require(Role::Admin)?;
    let name = provider_name(name)?;
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
        return Err(Error::Invalid(
            "nothing to change: give tenant_key, instruction_uri, aad_application_ids, allow_app_guest_joins_as_authenticated, sip_gateway or sip_ivr".into(),
        ));
    }

    let mut tx = cx.writes.begin().await?;
    let before = store::providers::find(&mut *tx, &caller.tenant, name)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
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
    claim_domain(&mut tx, &caller.tenant, &after).await?;
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
    Ok(a)
}

/// Remove a provider and all its data (`Remove-CsVideoInteropServiceProvider`).
pub async fn remove(cx: &Context, caller: &Caller, name: &str) -> Result<Removed> {
    caller.require(Role::Admin)?;
    let name = provider_name(name)?;
    let mut tx = cx.writes.begin().await?;
    let before = store::providers::find(&mut *tx, &caller.tenant, name)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!("no {name} provider is configured in this tenant"))
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
    cx.bridges.clear();
    let message = if orphaned.is_empty() {
        format!("{name} removed; no grant uses it")
    } else {
        format!(
            "{name} removed; {} grant(s) still name a {name} policy and stop producing coordinates until the provider is added again or the grants change",
            orphaned.len()
        )
    };
    Ok(Removed {
        removed: view,
        orphaned_grants: orphaned,
        message,
    })
}
