//! `/api/v1/consent/…`: partner consent over HTTP — the links, the identity platform's
//! redirect (JSON, or a small page for a browser), the status (the use case is
//! `usecases::consent`).

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};
use cvi_core::api::{CallbackOutcome, ConsentLinks, ProviderConsent};
use cvi_core::invite::escape_html;

use crate::{
    auth::Caller,
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
    usecases::consent::{self, PERMISSIONS},
};

/// Admin-consent links for each of a provider's partner apps.
#[utoipa::path(get, path = endpoints::ConsentLinksOf::PATH, params(endpoints::ProviderQuery), tag = "consent",
    responses((status = 200, body = ConsentLinks)))]
pub async fn links(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::ProviderQuery>,
) -> ApiResult<ConsentLinks> {
    Ok(ApiJson(
        consent::links(&s, &caller, q.provider.as_deref()).await?,
    ))
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
    let outcome = consent::callback(&s, &q).await?;
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

/// Which partner apps have consent, per provider.
#[utoipa::path(get, path = endpoints::ConsentStatus::PATH, params(endpoints::ProviderQuery), tag = "consent",
    responses((status = 200, body = [ProviderConsent])))]
pub async fn status(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<endpoints::ProviderQuery>,
) -> ApiResult<Vec<ProviderConsent>> {
    Ok(ApiJson(
        consent::status(&s, &caller, q.provider.as_deref()).await?,
    ))
}
