//! The one error type of the HTTP API. Every handler returns `Result<_, AppError>`; this
//! file is the only place that turns an error into a response: RFC 9457 problem+json with a
//! stable `type` per cause, so clients (and the `cvi` CLI) can branch on it.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

pub use cvi_core::api::{Problem, ProblemKind};

use crate::usecases;

/// Request bodies larger than this are refused with 413 (invites are sent to cvi-core
/// offline; the API only takes small JSON documents). The HTTP layer enforces it.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Video conferencing is not enabled for you: your video interop policy is {0}. Ask your admin to grant a policy such as Tag:PolycomServiceProviderEnabled.")]
    PolicyDisabled(String),
    #[error("Your policy uses the provider {0}, which this tenant has not configured. An admin must run `cvi provider new --name {0} --tenant-key KEY@DOMAIN`.")]
    ProviderMissing(String),
    #[error("The {provider} partner apps lack admin consent ({}). A tenant admin must open the links of `cvi consent link --provider {provider}`.", missing.join(", "))]
    ConsentMissing {
        provider: String,
        missing: Vec<String>,
    },
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("too many requests; retry after {0} seconds")]
    RateLimited(u64),
    #[error("{0}")]
    Unavailable(String),
    #[error("the request took longer than {0} seconds; try again")]
    Timeout(u64),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The cause, which fixes the problem's `type`, status and title.
    #[must_use]
    pub fn kind(&self) -> ProblemKind {
        use AppError::*;
        match self {
            InvalidInput(_) => ProblemKind::InvalidInput,
            Unauthenticated(_) => ProblemKind::Unauthenticated,
            Forbidden(_) => ProblemKind::Forbidden,
            NotFound(_) => ProblemKind::NotFound,
            Conflict(_) => ProblemKind::Conflict,
            PolicyDisabled(_) => ProblemKind::PolicyDisabled,
            ProviderMissing(_) => ProblemKind::ProviderMissing,
            ConsentMissing { .. } => ProblemKind::ConsentMissing,
            PayloadTooLarge(_) => ProblemKind::PayloadTooLarge,
            RateLimited(_) => ProblemKind::RateLimited,
            Unavailable(_) => ProblemKind::Unavailable,
            Timeout(_) => ProblemKind::Timeout,
            Internal(_) => ProblemKind::Internal,
        }
    }

    /// The problem document this error is shown as.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let kind = self.kind();
        Problem {
            kind,
            title: kind.title().to_string(),
            status: kind.status(),
            detail: self.to_string(),
            missing_app_ids: match self {
                AppError::ConsentMissing { missing, .. } => Some(missing.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            // The client gets a generic message; the log gets the cause.
            tracing::error!(%detail, "internal error");
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, axum::Json(problem)).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            AppError::Unauthenticated(_) => {
                h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::RateLimited(secs) => {
                h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            _ => {}
        }
        resp
    }
}

/// The one mapping of the use cases' domain errors to problems.
impl From<usecases::Error> for AppError {
    fn from(e: usecases::Error) -> Self {
        use usecases::Error as E;
        match e {
            E::Invalid(m) => AppError::InvalidInput(m),
            e @ E::BadVideoId(_) => AppError::InvalidInput(e.to_string()),
            e @ E::UnknownMeeting => AppError::NotFound(e.to_string()),
            E::NotFound(m) => AppError::NotFound(m),
            E::NotAllowed(m) => AppError::Forbidden(m),
            E::Conflict(m) => AppError::Conflict(m),
            E::PolicyDisabled(p) => AppError::PolicyDisabled(p),
            E::ProviderMissing(p) => AppError::ProviderMissing(p),
            E::ConsentMissing { provider, missing } => {
                AppError::ConsentMissing { provider, missing }
            }
            E::RateLimited(secs) => AppError::RateLimited(secs),
            E::Unavailable(m) => AppError::Unavailable(m),
            E::Internal(m) => AppError::Internal(m),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        usecases::Error::from(&e).into()
    }
}

impl From<cvi_store::writes::WriteError> for AppError {
    fn from(e: cvi_store::writes::WriteError) -> Self {
        usecases::Error::from(e).into()
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::PayloadTooLarge(BODY_LIMIT);
        }
        match r {
            JsonRejection::MissingJsonContentType(_) => AppError::InvalidInput(
                "send the body as JSON with Content-Type: application/json".into(),
            ),
            other => {
                AppError::InvalidInput(format!("the JSON body is not valid: {}", other.body_text()))
            }
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::InvalidInput(format!("the query string is not valid: {}", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::InvalidInput(format!("the URL path is not valid: {}", r.body_text()))
    }
}

/// `Query<T>` whose rejections are problem documents.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// `Path<T>` whose rejections are problem documents.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// `Json<T>` whose rejections are problem documents, not axum's plain text, and which
/// takes only a JSON object (serde would also build a struct from an array).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if !value.is_object() {
            return Err(AppError::InvalidInput(
                "the body must be a JSON object".into(),
            ));
        }
        // The field at fault is named (`enabled: invalid type…`), not only its position.
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let at = e.path().to_string();
                let inner = e.into_inner();
                AppError::InvalidInput(if at == "." {
                    format!("the JSON body is not valid: {inner}")
                } else {
                    format!("the JSON body is not valid: {at}: {inner}")
                })
            })
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<ApiJson<T>, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that loses to a concurrent one on a unique key (a second group grant of one
    /// rank) is a 409 the client can act on, not a 500.
    #[tokio::test]
    async fn a_unique_violation_is_a_conflict() {
        let (_dir, db, _writes) = cvi_store::writes::testing::writes().await;
        let insert = "INSERT INTO grants (tenant_id, target_kind, target_id, group_rank, policy_name, updated_at) \
                      VALUES ('t', 'group', $1, 7, 'Global', 0)";
        sqlx::query(insert).bind("g1").execute(&db).await.unwrap();
        let e = sqlx::query(insert)
            .bind("g2")
            .execute(&db)
            .await
            .unwrap_err();
        let p = AppError::from(e).problem();
        assert_eq!((p.status, p.kind), (409, ProblemKind::Conflict));
    }

    /// A 503 says the database is unavailable, not what the database said.
    #[test]
    fn unavailable_hides_the_database_text() {
        let e = sqlx::Error::Io(std::io::Error::other(
            "connection to 10.1.2.3:5432 refused for user cvi",
        ));
        let p = AppError::from(e).problem();
        assert_eq!(p.status, 503);
        assert!(
            !p.detail.contains("10.1.2.3") && !p.detail.contains("cvi"),
            "{}",
            p.detail
        );
    }
}
