//! Partner consent: the admin-consent links (one per partner app, each with a single-use
//! CSRF state), what the identity platform's callback records — verified with Microsoft
//! Graph when this server has access — and the status that gates issuance.

use cvi_core::api::{
    endpoints::{self, CallbackQuery, Endpoint},
    no_partner_app_warning, AppConsent, CallbackOutcome, ConsentLink, ConsentLinks,
    PermissionState, ProviderConsent,
};
use cvi_core::ProviderName;
use cvi_store::{self as store, audit, consents::LinkState, db::now_ms};

use super::{providers::provider_name, Caller, Context, Error, Result, Role};

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

/// The consent state's provider for our own app's link (no provider has this name).
pub const OWN_APP: &str = "(this service)";

/// The application permission our own app needs to write into users' calendars
/// ("Microsoft Graph permissions reference", learn.microsoft.com/graph/permissions-reference:
/// Calendars.ReadWrite, application, `ef54d2bf-783f-4e0f-bca1-3210c0444d99`).
pub const CALENDARS_READ_WRITE: (&str, &str) = (
    "Calendars.ReadWrite",
    "ef54d2bf-783f-4e0f-bca1-3210c0444d99",
);

static OWN_APP_PERMISSIONS: [(&str, &str); 1] = [CALENDARS_READ_WRITE];

/// The application permissions the app of a consent link needs.
fn wanted(provider: &str) -> &'static [(&'static str, &'static str)] {
    if provider == OWN_APP {
        &OWN_APP_PERMISSIONS
    } else {
        &PERMISSIONS
    }
}

/// The permissions `app_id` needs: our own app's, or a partner app's.
fn wanted_of(graph: &crate::graph::Graph, app_id: &str) -> &'static [(&'static str, &'static str)] {
    if app_id == graph.client_id() {
        &OWN_APP_PERMISSIONS
    } else {
        &PERMISSIONS
    }
}

/// The names of the `wanted` permissions whose app role ids are not among `granted`.
fn lacking(wanted: &[(&'static str, &'static str)], granted: &[String]) -> Vec<&'static str> {
    wanted
        .iter()
        .filter(|(_, id)| !granted.iter().any(|g| g == id))
        .map(|(name, _)| *name)
        .collect()
}

/// Microsoft's admin-consent URL for `app_id` in `tenant`, returning to our callback with
/// `state` ("Admin consent on the Microsoft identity platform",
/// learn.microsoft.com/entra/identity-platform/v2-admin-consent).
fn admin_consent_url(cx: &Context, tenant: &str, app_id: &str, state: &str) -> String {
    let callback = format!(
        "{}{}{}",
        cx.public_url.trim_end_matches('/'),
        endpoints::BASE,
        endpoints::ConsentCallback::PATH
    );
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", app_id)
        .append_pair("scope", "https://graph.microsoft.com/.default")
        .append_pair("redirect_uri", &callback)
        .append_pair("state", state)
        .finish();
    let tenant_seg: String = form_urlencoded::byte_serialize(tenant.as_bytes()).collect();
    format!("https://login.microsoftonline.com/{tenant_seg}/v2.0/adminconsent?{query}")
}

/// The admin-consent link of this service's own app (`client_id`), for "coordinates in every
/// Teams meeting"; its callback is the partners' one.
pub async fn own_app_link(cx: &Context, caller: &Caller, client_id: &str) -> Result<String> {
    caller.require(Role::Admin)?;
    let state = random_state();
    let mut tx = cx.writes.begin().await?;
    store::consents::purge_expired_states(&mut tx).await?;
    store::consents::remember_state(
        &mut tx,
        &state,
        &LinkState {
            tenant: caller.tenant.clone(),
            provider: OWN_APP.to_string(),
            app_id: client_id.to_string(),
            expires_at: now_ms() + STATE_TTL_MS,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "consent.links",
        OWN_APP,
        None::<&()>,
        Some(&[client_id]),
    )
    .await?;
    tx.commit().await?;
    Ok(admin_consent_url(cx, &caller.tenant, client_id, &state))
}

/// Admin-consent links for each of a provider's partner apps (admins).
pub async fn links(cx: &Context, caller: &Caller, provider: Option<&str>) -> Result<ConsentLinks> {
    caller.require(Role::Admin)?;
    let name =
        provider_name(provider.ok_or_else(|| Error::Invalid("give ?provider=NAME".into()))?)?;
    // Fresh, not the kept snapshot: an admin page, and it must show what is recorded now.
    let config = cx.config.load(&cx.db, &caller.tenant).await?;
    let p = config.provider(name).ok_or_else(|| {
        Error::NotFound(format!("no {name} provider is configured in this tenant"))
    })?;
    if p.aad_application_ids.is_empty() {
        return Err(Error::Invalid(format!(
            "the {name} provider lists no partner app ids; set them with `cvi provider set --identity {name} --aad-application-ids ID;ID`"
        )));
    }
    let missing_ids = config.missing_consent(&p.aad_application_ids);
    let mut tx = cx.writes.begin().await?;
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
        out.push(ConsentLink {
            app_id: app.to_string(),
            url: admin_consent_url(cx, &caller.tenant, app.as_str(), &state),
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
    Ok(ConsentLinks {
        provider: name.to_string(),
        links: out,
        permissions: PERMISSIONS
            .iter()
            .map(|(n, id)| format!("{n} ({id})"))
            .collect(),
    })
}

/// Records what the identity platform's redirect says, for the single-use state it carries.
///
/// With Microsoft Graph configured, consent counts only when Graph shows the partner app's
/// service principal holding the four application permissions: the query string alone (or
/// an `error=`) never flips a verified consent. Without Graph (the demo) the callback is
/// believed, and the status says it was not verified.
pub async fn callback(cx: &Context, q: &CallbackQuery) -> Result<CallbackOutcome> {
    let state = q
        .state
        .as_deref()
        .filter(|st| !st.is_empty() && st.len() <= 64)
        .ok_or_else(|| {
            Error::Invalid(
                "the consent callback has no state; start again from `cvi consent link`".into(),
            )
        })?;
    let unknown_state = || {
        Error::Invalid(
            "unknown or already used consent state; start again from `cvi consent link`".into(),
        )
    };
    // Made-up states are answered from a read; real ones are limited before the writer.
    let Some(link) = store::consents::peek_state(&cx.db, state).await? else {
        return Err(unknown_state());
    };
    // Per tenant: one tenant's callbacks cannot use up another's (#23 item 13).
    if let Err(retry) = cx
        .callback_limiter
        .check(&format!("consent-callback/{}", link.tenant))
    {
        return Err(Error::RateLimited(retry));
    }
    let says_granted = q.error.is_none()
        && q.admin_consent
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Ask Graph before taking the writer (it is slow and may throttle); a failure leaves the
    // state unused, so the admin can reload the page.
    let missing: Option<Vec<&'static str>> = match (&cx.graph, says_granted) {
        (Some(g), true) => {
            let granted = g
                .app_roles_granted(&link.tenant, &link.app_id)
                .await
                .map_err(|e| Error::Unavailable(e.to_string()))?
                .unwrap_or_default();
            Some(lacking(wanted(&link.provider), &granted))
        }
        _ => None,
    };
    let mut tx = cx.writes.begin().await?;
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
        return Err(Error::Invalid(
            "this consent link expired (links last an hour); get a new one with `cvi consent link`"
                .into(),
        ));
    }
    if q.tenant
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case(&tenant))
    {
        tx.commit().await?;
        return Err(Error::Invalid(
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
    let (granted, verified, error) = match (&cx.graph, &missing) {
        (Some(_), Some(m)) => (m.is_empty(), true, missing_error.clone()),
        // Graph configured, the callback says no: a verified consent stays as it is.
        (Some(_), None) if verified_before => (true, true, None),
        (Some(_), None) => (false, false, said_error.clone()),
        // No Graph (the demo): the callback is believed.
        (None, _) => (says_granted, false, said_error.clone()),
    };
    let keep = matches!((&cx.graph, &missing), (Some(_), None)) && verified_before;
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
        (None, _, true) => format!("Admin consent for {provider} app {app_id} is confirmed: Microsoft Graph shows every permission it needs. You can close this window."),
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

/// Which partner apps have consent, per provider (admins).
/// What the status says of a consent recorded before this server had Graph access.
const UNCONFIRMED: &str = "recorded before this server had Microsoft Graph access, so not \
    verified, and it does not count: give consent again (`cvi consent link`)";

pub async fn status(
    cx: &Context,
    caller: &Caller,
    provider: Option<&str>,
) -> Result<Vec<ProviderConsent>> {
    caller.require(Role::Admin)?;
    let only: Option<ProviderName> = provider.map(provider_name).transpose()?;
    let recorded = store::consents::list(&cx.db, &caller.tenant).await?;
    let providers = store::providers::list(&cx.db, &caller.tenant).await?;
    if let Some(name) = only {
        if !providers.iter().any(|p| p.name == name) {
            return Err(Error::NotFound(format!(
                "no {name} provider is configured in this tenant"
            )));
        }
    }
    Ok(providers
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
                    // With Graph access, a consent recorded without it does not count.
                    let counts = r.is_some_and(|c| c.counts(cx.graph.is_some()));
                    let unconfirmed = r.is_some_and(|c| c.granted) && !counts;
                    AppConsent {
                        app_id: a.to_string(),
                        consented: counts,
                        error: if unconfirmed {
                            Some(UNCONFIRMED.to_string())
                        } else {
                            r.and_then(|c| c.error.clone())
                        },
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
        .collect())
}

/// Asks Graph about `tenant`'s consents that were recorded without it (the demo tenant's
/// seeded consent on a server with Graph access): each then counts only as Graph shows it.
/// Returns how many Graph confirmed.
pub async fn verify_unconfirmed(cx: &Context, tenant: &str) -> Result<usize> {
    let Some(graph) = &cx.graph else {
        return Ok(0);
    };
    let recorded = store::consents::list(&cx.db, tenant).await?;
    let mut confirmed = 0;
    for c in recorded.iter().filter(|c| c.granted && !c.verified) {
        let granted = graph
            .app_roles_granted(tenant, &c.app_id)
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?
            .unwrap_or_default();
        let missing = lacking(wanted_of(graph, &c.app_id), &granted);
        let error = (!missing.is_empty()).then(|| {
            format!(
                "Microsoft Graph shows these permissions missing: {}",
                missing.join(", ")
            )
        });
        let mut tx = cx.writes.begin().await?;
        store::consents::record(
            &mut tx,
            tenant,
            &c.app_id,
            &store::consents::Record {
                granted: missing.is_empty(),
                error: error.as_deref(),
                verified_missing: Some(&missing),
            },
        )
        .await?;
        store::tenant_config::changed(&mut tx, tenant).await?;
        audit::record(
            &mut tx,
            tenant,
            "consent-check",
            "consent.verified",
            &c.app_id,
            Some(&true),
            Some(&missing.is_empty()),
        )
        .await?;
        tx.commit().await?;
        confirmed += usize::from(missing.is_empty());
    }
    Ok(confirmed)
}

/// Consents checked again per round.
const RECHECK_BATCH: i64 = 100;

/// Asks Graph again about every verified consent last confirmed more than `every` ago: one
/// still holding its permissions is confirmed; one that lost any (revoked in Entra, the app
/// removed) stops counting at once — issuance and resolution for its provider stop — and the
/// status says why. A Graph failure leaves the consent as it was, for the next round.
/// Returns how many were revoked.
pub async fn recheck_due(cx: &Context, every: std::time::Duration) -> Result<usize> {
    let Some(graph) = &cx.graph else {
        return Ok(0);
    };
    let before = now_ms() - every.as_millis() as i64;
    let due = store::consents::due_for_check(&cx.db, before, RECHECK_BATCH).await?;
    let mut revoked = 0;
    for (tenant, app_id) in due {
        let granted = match graph.app_roles_granted(&tenant, &app_id).await {
            Ok(g) => g.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(%tenant, %app_id, error = %e, "consent recheck: Graph did not answer");
                continue;
            }
        };
        let missing = lacking(wanted_of(graph, &app_id), &granted);
        let mut tx = cx.writes.begin().await?;
        if missing.is_empty() {
            store::consents::confirmed(&mut tx, &tenant, &app_id).await?;
        } else {
            let error = format!(
                "Microsoft Graph no longer shows these permissions (checked daily): {}",
                missing.join(", ")
            );
            store::consents::record(
                &mut tx,
                &tenant,
                &app_id,
                &store::consents::Record {
                    granted: false,
                    error: Some(&error),
                    verified_missing: Some(&missing),
                },
            )
            .await?;
            store::tenant_config::changed(&mut tx, &tenant).await?;
            audit::record(
                &mut tx,
                &tenant,
                "consent-recheck",
                "consent.revoked",
                &app_id,
                Some(&true),
                Some(&false),
            )
            .await?;
            tracing::warn!(%tenant, %app_id, ?missing, "consent revoked in Entra: it no longer counts");
            revoked += 1;
        }
        tx.commit().await?;
    }
    Ok(revoked)
}

/// Runs [`recheck_due`] for ever, a few times per `every` (each consent is still checked
/// once per `every`).
pub async fn recheck_forever(cx: std::sync::Arc<Context>, every: std::time::Duration) {
    let pause = (every / 8).clamp(
        std::time::Duration::from_millis(100),
        std::time::Duration::from_secs(3_600),
    );
    loop {
        tokio::time::sleep(pause).await;
        if let Err(e) = recheck_due(&cx, every).await {
            tracing::warn!(error = %e, "consent recheck failed; trying again later");
        }
    }
}
