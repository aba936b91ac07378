//! The REST API under `/api/v1`. Routes and the OpenAPI document come from the same
//! handler annotations (utoipa), so the document cannot drift from the code.

pub mod audit_log;
pub mod bridges;
pub mod consent;
pub mod dev;
pub mod events;
pub mod inject;
pub mod meetings;
pub mod otd;
pub mod plan;
pub mod policies;
pub mod providers;
pub mod resolve;
pub mod stats;

use axum::{routing::get, Json, Router};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use cvi_core::api::endpoints;

use crate::{auth::Caller, error::AppError, state::AppState};

/// The caller of an API request, from its bearer token (see `auth.rs`).
impl axum::extract::FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "send Authorization: Bearer <token> (get one with `cvi token`)".into(),
                )
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "the Authorization header must be `Bearer <token>`".into(),
                )
            })?;
        state.verifier.verify(token.trim()).await
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Cloud Video Interop policy API", description = "Providers, policies, grants, consent, meeting coordinates and dial-string resolution. Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::Problem)),
    tags((name = "providers"), (name = "policies"), (name = "consent"), (name = "meetings"), (name = "resolution"), (name = "bridges"), (name = "audit"), (name = "plan"), (name = "dev"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Errors any operation can answer with, besides those its annotation names.
const COMMON_ERRORS: [(&str, &str); 7] = [
    (
        "400",
        "The input is not valid; `detail` says what to change",
    ),
    ("401", "No valid bearer token"),
    ("403", "The token's role or tenant does not allow this"),
    ("404", "No such resource in this tenant"),
    ("413", "The request body is too large"),
    ("429", "Too many requests; see Retry-After"),
    ("503", "The database is unreachable"),
];

/// Every error response of every operation is RFC 9457 problem+json: said once here, after
/// the routes are collected, instead of on each annotation.
fn document_problems(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            (endpoints::Method::Get, &mut item.get),
            (endpoints::Method::Put, &mut item.put),
            (endpoints::Method::Post, &mut item.post),
            (endpoints::Method::Delete, &mut item.delete),
            (endpoints::Method::Patch, &mut item.patch),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let responses = &mut op.responses.responses;
            for (code, response) in responses.iter_mut() {
                if code.starts_with('4') || code.starts_with('5') {
                    let description = match response {
                        utoipa::openapi::RefOr::T(r) if !r.description.is_empty() => {
                            r.description.clone()
                        }
                        _ => "Error".to_string(),
                    };
                    *response = problem(&description).into();
                }
            }
            // The problems the contract declares for this endpoint (cvi_core::api::endpoints).
            let declared = endpoints::ALL
                .iter()
                .filter(|(m, p, _)| *m == method && format!("{}{p}", endpoints::BASE) == *path)
                .flat_map(|(_, _, problems)| problems.iter());
            for kind in declared {
                responses
                    .entry(kind.status().to_string())
                    .or_insert_with(|| problem(kind.title()).into());
            }
            for (code, description) in COMMON_ERRORS {
                responses
                    .entry(code.to_string())
                    .or_insert_with(|| problem(description).into());
            }
        }
    }
}

/// The API's routes and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::<AppState>::new()
        .routes(routes!(providers::get_all, providers::create))
        .routes(routes!(
            providers::get_one,
            providers::update,
            providers::remove
        ))
        .routes(routes!(policies::get_all))
        .routes(routes!(policies::get_one))
        .routes(routes!(policies::get_grants, policies::put_grant))
        .routes(routes!(policies::get_effective))
        .routes(routes!(policies::get_my_effective))
        .routes(routes!(consent::links))
        .routes(routes!(consent::callback))
        .routes(routes!(consent::status))
        .routes(routes!(inject::get, inject::put))
        .routes(routes!(inject::resync))
        .routes(routes!(meetings::issue, meetings::find_by_video_id))
        .routes(routes!(meetings::import))
        .routes(routes!(meetings::by_organizer))
        .routes(routes!(events::create))
        .routes(routes!(events::update, events::cancel))
        .routes(routes!(meetings::show, meetings::update, meetings::cancel))
        .routes(routes!(resolve::resolve))
        .routes(routes!(bridges::create, bridges::list))
        .routes(routes!(bridges::remove))
        .routes(routes!(audit_log::list))
        .routes(routes!(stats::daily))
        .routes(routes!(plan::get))
        .routes(routes!(otd::extract))
        .routes(routes!(dev::token));
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(endpoints::BASE, v1)
        .split_for_parts();
    document_problems(&mut doc);
    let served = doc.clone();
    let router = router.route(
        &format!("{}/openapi.json", endpoints::BASE),
        get(move || async move { Json(served) }),
    );
    (router, doc)
}

#[cfg(test)]
mod tests {
    use cvi_core::api::endpoints::{Method, ALL, BASE};

    /// The routes and the OpenAPI document serve exactly the endpoints the contract
    /// declares: none missing, none undeclared, each under its declared method.
    #[test]
    fn the_document_lists_exactly_the_declared_endpoints() {
        let (_, doc) = super::router();
        let mut served: Vec<(Method, String)> = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (m, op) in [
                (Method::Get, &item.get),
                (Method::Put, &item.put),
                (Method::Post, &item.post),
                (Method::Delete, &item.delete),
                (Method::Patch, &item.patch),
            ] {
                if op.is_some() {
                    served.push((m, path.clone()));
                }
            }
        }
        let mut declared: Vec<(Method, String)> = ALL
            .iter()
            .map(|(m, p, _)| (*m, format!("{BASE}{p}")))
            .collect();
        let key = |e: &(Method, String)| (e.1.clone(), e.0.as_str());
        served.sort_by_key(key);
        declared.sort_by_key(key);
        assert_eq!(served, declared);
        // A declared problem is documented on its operation.
        let resolve = doc.paths.paths[&format!("{BASE}/resolve")]
            .post
            .as_ref()
            .unwrap();
        assert!(resolve.responses.responses.contains_key("404"));
    }
}
