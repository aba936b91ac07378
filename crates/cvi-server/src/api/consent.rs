//! Partner consent: the admin-consent links (one per partner app, each with a single-use
//! CSRF state), the callback the identity platform redirects to, and the status that
//! gates issuance.

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{
    no_partner_app_warning, AppConsent, CallbackOutcome, ConsentLink, ConsentLinks,
    PermissionState, ProviderConsent,
};
use cvi_core::{invite::escape_html, ProviderName};

use crate::usecases::providers::provider_name;
use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
};
use cvi_store::db::now_ms;
use cvi_store::{self as store, audit, consents::LinkState};

/// The Microsoft Graph application permissions a partner app needs (SPEC §2).
pub const PERMISSIONS: [(&str, &str); 4] = [
    (
        "Calls.JoinGroupCall.All",
        "f6b49018-60ab-4f81-83bd-22caeabfed2d",
    ),
    (
        "Calls.JoinGroupCallAsGuest.All",
        "fd7ccf6b-3d28-418b-9701-cd10f5cd2fd4",
    ),
    (
        "Calls.AccessMedia.All",
        "a7a681dc-756e-4909-b988-f160edc6655f",
    ),
    (
        "OnlineMeetings.Read.All",
        "c1684f21-1984-47fa-9d61-2dc8c296bb70",
    ),
];

/// A consent state is good for one hour.
const STATE_TTL_MS: i64 = 3_600_000;

/// What of an identity platform's `error_description` is kept: it comes from the query
/// string, so anyone can send anything there.
const MAX_ERROR_DESCRIPTION: usize = 300;

/// `s` as it may be stored and shown: control characters (newlines, terminal escapes)
/// become spaces, and at most `max` characters are kept.
fn printable(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

fn random_state() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Admin-consent links for each of a provider's partner apps.
#[utoipa::path(get, path = endpoints::ConsentLinksOf::PATH, params(endpoints::ProviderQuery), tag = "consent",
    responses((status = 200, body = ConsentLinks)))]
pub async fn links(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::ProviderQuery>,
) -> ApiResult<ConsentLinks> {
    caller.require(Role::Admin)?;
    let name = provider_name(
        q.provider
            .as_deref()
            .ok_or_else(|| AppError::InvalidInput("give ?provider=NAME".into()))?,
    )?;
    // Fresh, not the kept snapshot: an admin page, and it must show what is recorded now.
    let config = s.config.load(&s.db, &caller.tenant).await?;
    let p = config.provider(name).ok_or_else(|| {
        AppError::NotFound(format!("no {name} provider is configured in this tenant"))
    })?;
    if p.aad_application_ids.is_empty() {
        return Err(AppError::InvalidInput(format!(
            "the {name} provider lists no partner app ids; set them with `cvi provider set --identity {name} --aad-application-ids ID;ID`"
        )));
    }
    let missing_ids = config.missing_consent(&p.aad_application_ids);
    let callback = format!(
        "{}/api/v1/consent/callback",
        s.public_url.trim_end_matches('/')
    );
    let mut tx = s.writes.begin().await?;
    store::consents::purge_expired_states(&mut tx).await?;
    let mut out = Vec::new();
    for app in &p.aad_application_ids {
        let state = random_state();
        let link = LinkState {
            tenant: caller.tenant.clone(),
            provider: name.to_string(),
            app_id: app.to_string(),
            expires_at: now_ms() + STATE_TTL_MS,
        };
        store::consents::remember_state(&mut tx, &state, &link).await?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", app.as_str())
            .append_pair("scope", "https://graph.microsoft.com/.default")
            .append_pair("redirect_uri", &callback)
            .append_pair("state", &state)
            .finish();
        let tenant_seg: String =
            form_urlencoded::byte_serialize(caller.tenant.as_bytes()).collect();
        out.push(ConsentLink {
            app_id: app.to_string(),
            url: format!(
                "https://login.microsoftonline.com/{tenant_seg}/v2.0/adminconsent?{query}"
            ),
            consented: !missing_ids.contains(&app.to_string()),
        });
    }
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "consent.links",
        name.as_str(),
        None::<&()>,
        Some(&p.aad_application_ids),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(ConsentLinks {
        provider: name.to_string(),
        links: out,
        permissions: PERMISSIONS
            .iter()
            .map(|(n, id)| format!("{n} ({id})"))
            .collect(),
    }))
}

/// The admin-consent redirect target. Authenticated by its single-use state, not a token.
///
/// With Microsoft Graph configured, consent counts only when Graph shows the partner app's
/// service principal holding the four application permissions: the query string alone (or
/// an `error=`) never flips a verified consent. Without Graph (the demo) the callback is
/// believed, and the status says it was not verified. Browsers (`Accept: text/html`) get a
/// small page for the admin; other clients the JSON.
#[utoipa::path(get, path = endpoints::ConsentCallback::PATH, params(endpoints::CallbackQuery), tag = "consent", security(()),
    responses((status = 200, content((CallbackOutcome = "application/json"), (String = "text/html")))))]
pub async fn callback(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<endpoints::CallbackQuery>,
) -> Result<axum::response::Response, AppError> {
    let outcome = record_callback(&s, &q).await?;
    let html = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html") && !a.contains("application/json"));
    Ok(if html {
        axum::response::IntoResponse::into_response(axum::response::Html(page(&outcome)))
    } else {
        axum::response::IntoResponse::into_response(ApiJson(outcome))
    })
}

/// The page an admin sees after consenting: what was consented, what is still missing.
fn page(o: &CallbackOutcome) -> String {
    let mut rows = String::new();
    for (name, _) in PERMISSIONS {
        let state = if !o.verified {
            "not checked (no Microsoft Graph access configured)"
        } else if o.missing_permissions.iter().any(|m| m == name) {
            "missing"
        } else {
            "granted"
        };
        rows.push_str(&format!("<li>{}: {}</li>", escape_html(name), state));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Partner consent</title></head>\
         <body><main><h1>{} partner app {}</h1><p role=\"status\">{}</p><ul>{rows}</ul></main></body></html>",
        escape_html(&o.provider),
        escape_html(&o.app_id),
        escape_html(&o.message)
    )
}

async fn record_callback(
    s: &AppState,
    q: &endpoints::CallbackQuery,
) -> Result<CallbackOutcome, AppError> {
    let state = q
        .state
        .as_deref()
        .filter(|st| !st.is_empty() && st.len() <= 64)
        .ok_or_else(|| {
            AppError::InvalidInput(
                "the consent callback has no state; start again from `cvi consent link`".into(),
            )
        })?;
    let unknown_state = || {
        AppError::InvalidInput(
            "unknown or already used consent state; start again from `cvi consent link`".into(),
        )
    };
    // Made-up states are answered from a read; real ones are limited before the writer.
    let Some(link) = store::consents::peek_state(&s.db, state).await? else {
        return Err(unknown_state());
    };
    if let Err(retry) = s.callback_limiter.check("consent-callback") {
        return Err(AppError::RateLimited(retry));
    }
    let says_granted = q.error.is_none()
        && q.admin_consent
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Ask Graph before taking the writer (it is slow and may throttle); a failure leaves the
    // state unused, so the admin can reload the page.
    let missing: Option<Vec<&'static str>> = match (&s.graph, says_granted) {
        (Some(g), true) => {
            let granted = g
                .app_roles_granted(&link.tenant, &link.app_id)
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?
                .unwrap_or_default();
            Some(
                PERMISSIONS
                    .iter()
                    .filter(|(_, id)| !granted.iter().any(|g| g == id))
                    .map(|(name, _)| *name)
                    .collect(),
            )
        }
        _ => None,
    };
    let mut tx = s.writes.begin().await?;
    // Single use: the row goes whatever happens next.
    let LinkState {
        tenant,
        provider,
        app_id,
        expires_at,
    } = store::consents::take_state(&mut tx, state)
        .await?
        .ok_or_else(unknown_state)?;
    if expires_at < now_ms() {
        tx.commit().await?;
        return Err(AppError::InvalidInput(
            "this consent link expired (links last an hour); get a new one with `cvi consent link`"
                .into(),
        ));
    }
    if q.tenant
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case(&tenant))
    {
        tx.commit().await?;
        return Err(AppError::InvalidInput(
            "the consent was given in a different tenant than the link was made for".into(),
        ));
    }
    let said_error = (!says_granted).then(|| {
        format!(
            "{}: {}",
            printable(q.error.as_deref().unwrap_or("not_granted"), 64),
            printable(
                q.error_description
                    .as_deref()
                    .unwrap_or("admin consent was not given"),
                MAX_ERROR_DESCRIPTION
            )
        )
    });
    let before = store::consents::granted(&mut tx, &tenant, &app_id).await?;
    let verified_before = before.is_some_and(|(granted, verified)| granted && verified);
    let missing_error = missing.as_ref().filter(|m| !m.is_empty()).map(|m| {
        format!(
            "Microsoft Graph shows these permissions missing: {}",
            m.join(", ")
        )
    });
    let (granted, verified, error) = match (&s.graph, &missing) {
        (Some(_), Some(m)) => (m.is_empty(), true, missing_error.clone()),
        // Graph configured, the callback says no: a verified consent stays as it is.
        (Some(_), None) if verified_before => (true, true, None),
        (Some(_), None) => (false, false, said_error.clone()),
        // No Graph (the demo): the callback is believed.
        (None, _) => (says_granted, false, said_error.clone()),
    };
    let keep = matches!((&s.graph, &missing), (Some(_), None)) && verified_before;
    if !keep {
        store::consents::record(
            &mut tx,
            &tenant,
            &app_id,
            &store::consents::Record {
                granted,
                error: error.as_deref(),
                verified_missing: missing.as_deref(),
            },
        )
        .await?;
        store::tenant_config::changed(&mut tx, &tenant).await?;
        audit::record(
            &mut tx,
            &tenant,
            "consent-callback",
            "consent.record",
            &app_id,
            before.map(|(g, _)| g).as_ref(),
            Some(&granted),
        )
        .await?;
    }
    tx.commit().await?;
    let message = match (&error, keep, verified) {
        (_, true, _) => format!(
            "The identity platform reported no consent ({}), but the consent on record for {provider} app {app_id} was confirmed with Microsoft Graph and stays.",
            said_error.unwrap_or_default()
        ),
        (None, _, true) => format!("Admin consent for {provider} app {app_id} is confirmed: Microsoft Graph shows all four permissions. You can close this window."),
        (None, _, false) => format!("Admin consent recorded for {provider} app {app_id} (not verified: this server has no Microsoft Graph access). You can close this window."),
        (Some(e), _, _) => format!("Consent for {provider} app {app_id} is not complete ({e}). Retry from `cvi consent link`."),
    };
    Ok(CallbackOutcome {
        provider,
        app_id,
        consented: granted,
        verified,
        missing_permissions: missing
            .unwrap_or_default()
            .iter()
            .map(|m| m.to_string())
            .collect(),
        message,
    })
}

/// Which partner apps have consent, per provider.
#[utoipa::path(get, path = endpoints::ConsentStatus::PATH, params(endpoints::ProviderQuery), tag = "consent",
    responses((status = 200, body = [ProviderConsent])))]
pub async fn status(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::ProviderQuery>,
) -> ApiResult<Vec<ProviderConsent>> {
    caller.require(Role::Admin)?;
    let only: Option<ProviderName> = q.provider.as_deref().map(provider_name).transpose()?;
    let recorded = store::consents::list(&s.db, &caller.tenant).await?;
    let providers = store::providers::list(&s.db, &caller.tenant).await?;
    if let Some(name) = only {
        if !providers.iter().any(|p| p.name == name) {
            return Err(AppError::NotFound(format!(
                "no {name} provider is configured in this tenant"
            )));
        }
    }
    Ok(ApiJson(
        providers
            .iter()
            .filter(|p| only.is_none_or(|n| n == p.name))
            .map(|p| {
                let apps: Vec<AppConsent> = p
                    .aad_application_ids
                    .iter()
                    .map(|a| {
                        let r = recorded.iter().find(|c| c.app_id == a.as_str());
                        let verified = r.is_some_and(|c| c.verified);
                        let missing = r
                            .and_then(|c| c.missing_permissions.clone())
                            .unwrap_or_default();
                        AppConsent {
                            app_id: a.to_string(),
                            consented: r.is_some_and(|c| c.granted),
                            error: r.and_then(|c| c.error.clone()),
                            verified,
                            permissions: if verified {
                                PERMISSIONS
                                    .iter()
                                    .map(|(name, _)| PermissionState {
                                        name: (*name).to_string(),
                                        granted: !missing.split(';').any(|m| m == *name),
                                    })
                                    .collect()
                            } else {
                                Vec::new()
                            },
                        }
                    })
                    .collect();
                ProviderConsent {
                    warning: p
                        .aad_application_ids
                        .is_empty()
                        .then(|| no_partner_app_warning(p.name.as_str())),
                    provider: p.name.to_string(),
                    missing: apps
                        .iter()
                        .filter(|a| !a.consented)
                        .map(|a| a.app_id.clone())
                        .collect(),
                    apps,
                }
            })
            .collect(),
    ))
}
