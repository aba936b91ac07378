//! The audit log, paged, for tenant admins.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::{Caller, Role},
    error::{ApiJson, ApiQuery, ApiResult, AppError},
    state::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
pub struct Page {
    /// Entries per page, 1-500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next` of the previous page: entries older than it.
    pub before: Option<String>,
}

/// One audited change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Read the audit log, newest first.
#[utoipa::path(get, path = "/audit", params(Page), tag = "audit", responses((status = 200, body = AuditPage)))]
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
    let mut entries: Vec<AuditEntry> =
        crate::store::audit::page(&s.db, &caller.tenant, p.before.as_deref(), limit + 1)
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
