//! The audit log, paged, for tenant admins.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use sqlx::Row;
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
    let before = p.before.unwrap_or_else(|| "~".into()); // '~' sorts after every id
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, before_json, after_json FROM audit_log \
         WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(&caller.tenant)
    .bind(&before)
    .bind(i64::from(limit) + 1)
    .fetch_all(&s.db)
    .await?;
    let json = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
    let mut entries = rows
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                before: json(r.try_get("before_json")?),
                after: json(r.try_get("after_json")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let next = (entries.len() > limit as usize).then(|| {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id.clone()).unwrap_or_default()
    });
    Ok(ApiJson(AuditPage { entries, next }))
}
