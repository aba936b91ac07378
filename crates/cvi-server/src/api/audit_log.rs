//! The audit log, paged, for tenant admins.

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
};

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
#[utoipa::path(get, path = endpoints::ListAudit::<serde_json::Value>::PATH, params(endpoints::AuditQuery), tag = "audit", responses((status = 200, body = cvi_core::api::AuditPage<serde_json::Value>)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<endpoints::AuditQuery>,
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
