//! `GET /api/v1/audit`: the audit log, paged, for tenant admins (the use case is
//! `usecases::record`).

use axum::extract::State;
use cvi_core::api::endpoints::{self, Endpoint};

use crate::{
    auth::Caller,
    error::{ApiJson, ApiQuery, ApiResult},
    state::AppState,
    usecases::record::{self, AuditPage},
};

/// Read the audit log, newest first.
#[utoipa::path(get, path = endpoints::ListAudit::<serde_json::Value>::PATH, params(endpoints::AuditQuery), tag = "audit", responses((status = 200, body = cvi_core::api::AuditPage<serde_json::Value>)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<endpoints::AuditQuery>,
) -> ApiResult<AuditPage> {
    Ok(ApiJson(record::audit_page(&s, &caller, &p).await?))
}
