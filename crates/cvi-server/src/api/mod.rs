//! The REST API under `/api/v1`. Routes and the OpenAPI document come from the same
//! handler annotations (utoipa), so the document cannot drift from the code.

pub mod audit_log;
pub mod consent;
pub mod dev;
pub mod meetings;
pub mod policies;
pub mod providers;
pub mod resolve;

use axum::{routing::get, Json, Router};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Cloud Video Interop policy API", description = "Providers, policies, grants, consent, meeting coordinates and dial-string resolution. Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::Problem)),
    tags((name = "providers"), (name = "policies"), (name = "consent"), (name = "meetings"), (name = "resolution"), (name = "audit"), (name = "dev"))
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
        .routes(routes!(meetings::issue))
        .routes(routes!(meetings::show, meetings::update, meetings::cancel))
        .routes(routes!(resolve::resolve))
        .routes(routes!(audit_log::list))
        .routes(routes!(dev::token));
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    let served = doc.clone();
    let router = router.route(
        "/api/v1/openapi.json",
        get(move || async move { Json(served) }),
    );
    (router, doc)
}
