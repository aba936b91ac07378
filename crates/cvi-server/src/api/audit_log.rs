//! The audit log, paged, for tenant admins.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Entries per page, 1-500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next` of the previous page: entries older than it.
    pub before: Option<String>,
    /// Only this actor's entries (exactly as recorded, e.g. admin@contoso.com).
    pub actor: Option<String>,
    /// Only actions starting with this (`grant`, `provider.new`).
    pub action: Option<String>,
    /// Entries at or after this time: RFC 3339, or a day `YYYY-MM-DD` (UTC).
    pub since: Option<String>,
    /// Entries before this time: RFC 3339, or a day `YYYY-MM-DD` (UTC, the day after it).
    pub until: Option<String>,
}

/// RFC 3339, or a UTC day (`end_of_day`: the midnight after it) → Unix ms.
fn time(field: &str, s: &str, end_of_day: bool) -> Result<i64, AppError> {
    let s = s.trim();
    let bad = |e: cvi_core::times::BadTime| AppError::InvalidInput(format!("{field}: {e}"));
    if s.len() == 10 {
        let day = cvi_core::times::parse_date(s).map_err(bad)?;
        let midnight = day.midnight().assume_utc().unix_timestamp() * 1000;
        return Ok(midnight + if end_of_day { 86_400_000 } else { 0 });
    }
    cvi_core::times::parse_ms(s).map_err(bad)
}

/// The audit log's page, with its records as JSON.
pub type AuditPage = cvi_core::api::AuditPage<serde_json::Value>;
type AuditEntry = cvi_core::api::AuditEntry<serde_json::Value>;

/// Read the audit log, newest first.
#[utoipa::path(get, path = "/audit", params(Page), tag = "audit", responses((status = 200, body = cvi_core::api::AuditPage<serde_json::Value>)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult<AuditPage> {
    caller.require(Role::Admin)?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::InvalidInput(
            "limit must be between 1 and 500".into(),
        ));
    }
    let json = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    for (name, v) in [("actor", &p.actor), ("action", &p.action)] {
        if text(v).is_some_and(|v| v.len() > 256 || v.chars().any(char::is_control)) {
            return Err(AppError::InvalidInput(format!(
                "{name}: at most 256 characters, no control characters"
            )));
        }
    }
    let filter = cvi_store::audit::Filter {
        actor: text(&p.actor),
        action: text(&p.action),
        since_ms: text(&p.since)
            .map(|v| time("since", v, false))
            .transpose()?,
        until_ms: text(&p.until).map(|v| time("until", v, true)).transpose()?,
    };
    let mut entries: Vec<AuditEntry> = cvi_store::audit::page(
        &s.db,
        &caller.tenant,
        p.before.as_deref(),
        limit + 1,
        &filter,
    )
    .await?
    .into_iter()
    .map(|r| AuditEntry {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        before: json(r.before),
        after: json(r.after),
    })
    .collect();
    let next = (entries.len() > limit as usize).then(|| {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id.clone()).unwrap_or_default()
    });
    Ok(ApiJson(AuditPage { entries, next }))
}
