//! The whole HTTP service: probes, metrics, the API, and the add-in's static files.

pub mod listener;
pub mod security;

use std::time::Instant;

use axum::{
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer, trace::TraceLayer};

use crate::{error::AppError, metrics::RequestLabels, state::AppState};

/// The add-in's pages a `--dist` must hold (what `cargo xtask build` writes): the scheduler
/// at `/`, the pane at `/pane`, the ribbon command, the Teams tab at `/teams`, the console's
/// two pages at `/admin` and `/admin-usage`.
pub const PAGES: [&str; 6] = [
    "index.html",
    "pane.html",
    "command.html",
    "teams.html",
    "admin.html",
    "admin-usage.html",
];

/// The longest a request may take, body read included.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Builds the whole service; tests drive it with `tower::ServiceExt::oneshot` or a socket.
pub fn app(state: AppState) -> Router {
    let (api, _doc) = crate::api::router();
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(crate::pexip::PATH, get(crate::pexip::service_configuration))
        .route(
            crate::notifications::PATH,
            post(crate::notifications::receive),
        )
        .merge(api);
    if state.metrics_on_main {
        router = router.route("/metrics", get(metrics));
    }
    if let Some(dist) = &state.dist {
        // The Outlook pane, the Teams tab and the admin console's two are pages of their own.
        let files = Router::new()
            .route_service(
                "/pane",
                tower_http::services::ServeFile::new(dist.join("pane.html")),
            )
            .route_service(
                "/teams",
                tower_http::services::ServeFile::new(dist.join("teams.html")),
            )
            .route_service(
                "/admin",
                tower_http::services::ServeFile::new(dist.join("admin.html")),
            )
            .route_service(
                "/admin-usage",
                tower_http::services::ServeFile::new(dist.join("admin-usage.html")),
            )
            // The build's brotli and gzip copies of the hashed wasm, JS and CSS (`cargo
            // xtask build` writes `name.br`, `name.gz`), sent as `Content-Encoding` when the
            // browser accepts it; anything without a copy goes as it is.
            .fallback_service(
                ServeDir::new(dist)
                    .append_index_html_on_directories(true)
                    .precompressed_br()
                    .precompressed_gzip(),
            )
            .layer(middleware::from_fn(cache_control_layer));
        router = router.merge(files);
    } else {
        router = router.fallback(|| async {
            AppError::NotFound(
                "no such endpoint; the API lives under /api/v1 (see /api/v1/openapi.json)".into(),
            )
        });
    }
    let csp = security::content_security_policy(state.dist.as_deref());
    for (name, value) in security::headers(&csp) {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    let origins: Vec<_> = state
        .cors_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    if let Some(cors) = security::cors(&origins) {
        router = router.layer(cors);
    }
    router
        .layer(DefaultBodyLimit::max(crate::error::BODY_LIMIT))
        // A request that takes longer is answered 408 and its work dropped.
        .layer(middleware::from_fn(time_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How long a browser may keep an add-in file. Files named by their content are kept a
/// year without asking again: a new build has new names. They are Trunk's wasm, JS and
/// CSS (`cvi-pane-7c26768b16c518f0_bg.wasm`; the hash is a 64-bit number in hex without
/// leading zeros, Trunk's `{hash:x}`, so one build in sixteen has 15 digits, and fewer
/// than 8 is a name too short to be sure of), and the JS snippets' copies that `cargo
/// xtask build` names by their SHA-256 (`/snippets/3f9a0c2b7d1e4a65/src/host/office.js`).
/// Everything else (pages, word files, the snippets in the folder named for the crate) is
/// asked about again each time, a `304` when unchanged.
pub fn cache_control(path: &str) -> &'static str {
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let kept = match path.strip_prefix("/snippets/") {
        Some(rest) => rest
            .split_once('/')
            .is_some_and(|(dir, _)| dir.len() == 16 && hex(dir)),
        None => {
            let name = path.rsplit('/').next().unwrap_or_default();
            ["_bg.wasm", ".js", ".css"]
                .into_iter()
                .find_map(|ext| name.strip_suffix(ext))
                .and_then(|stem| stem.rsplit_once('-'))
                .is_some_and(|(base, hash)| {
                    !base.is_empty() && (8..=16).contains(&hash.len()) && hex(hash)
                })
        }
    };
    if kept {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// [`cache_control`] on every answer of the add-in's files.
async fn cache_control_layer(req: Request, next: Next) -> Response {
    let value = cache_control(req.uri().path());
    let mut resp = next.run(req).await;
    // A file not there (yet: a deployment half copied) must not be remembered as missing.
    let found = resp.status().is_success() || resp.status() == axum::http::StatusCode::NOT_MODIFIED;
    let value = if found { value } else { "no-cache" };
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(value),
    );
    resp
}

/// Liveness: the process is up and serving.
/// A request that takes longer than [`REQUEST_TIMEOUT`] is answered `408` with a problem
/// document (its work is dropped).
async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => AppError::Timeout(REQUEST_TIMEOUT.as_secs()).into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers.
async fn readyz(State(s): State<AppState>) -> Result<&'static str, AppError> {
    cvi_store::db::ping(&s.db).await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: database not reachable");
        AppError::Unavailable("the database is not reachable".into())
    })?;
    Ok("ready\n")
}

/// `/metrics` alone, for `cvi serve --metrics-listen` (an address only the monitoring
/// network reaches).
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}

async fn record_metrics(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    // A bounded label set: any other method (clients may send anything) is "other".
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let labels = RequestLabels {
        method,
        route,
        status: resp.status().as_u16(),
    };
    s.metrics.requests.get_or_create(&labels).inc();
    s.metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// A request past the time limit gets a problem document, not an empty 408 (#23 item 14).
    #[tokio::test(start_paused = true)]
    async fn a_request_past_the_limit_is_a_problem() {
        let app = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(REQUEST_TIMEOUT * 2).await;
                    "late"
                }),
            )
            .layer(middleware::from_fn(time_limit));
        let resp = app
            .oneshot(
                Request::builder()
                    .uri("/slow")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), axum::http::StatusCode::REQUEST_TIMEOUT);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "urn:cvi:problem:timeout");
        assert_eq!(v["status"], 408);
    }

    #[test]
    fn only_files_named_by_their_content_are_kept_a_year() {
        const YEAR: &str = "public, max-age=31536000, immutable";
        for kept in [
            "/cvi-pane-7c26768b16c518f0_bg.wasm",
            "/cvi-pane-7c26768b16c518f0.js",
            "/style-c7c98e0e3e84d888.css",
            "/admin-9efd49bb3f1de525.css",
            // A hash that begins with zeros is written shorter.
            "/cvi-admin-usage-8f0ccc30861a6d9_bg.wasm",
            "/cvi-admin-usage-8f0ccc30861a6d9.js",
            "/snippets/3f9a0c2b7d1e4a65/src/host/office.js",
        ] {
            assert_eq!(cache_control(kept), YEAR, "{kept}");
        }
        for asked in [
            "/",
            "/pane",
            "/command.html",
            "/words/de.json",
            // Named for the crate, not its content.
            "/snippets/cvi-addin-f8b0713a68db5eb7/src/host/office.js",
            "/snippets/3f9a0c2b7d1e4a6/src/host/office.js",
            "/snippets/3f9a0c2b7d1e4a65",
            "/cvi-pane-7c26768_bg.wasm",
            "/cvi-pane-7c26768b16c518f00_bg.wasm",
            "/cvi-pane-7c26768b16c518fg.js",
            "/cvi-pane-7C26768B16C518F0.js",
            "/-7c26768b16c518f0.js",
            "/manifest/outlook.xml",
        ] {
            assert_eq!(cache_control(asked), "no-cache", "{asked}");
        }
    }
}
