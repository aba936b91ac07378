//! The HTTP service: health probes and the add-in's static files (the policy API joins here).

use std::path::PathBuf;

use axum::{routing::get, Router};
use tower_http::{services::ServeDir, trace::TraceLayer};

/// What every request handler can reach. The server keeps no other state (SPEC §3).
#[derive(Clone, Debug, Default)]
pub struct AppState {
    /// The built add-in (`dist/`), served at `/` when present.
    pub dist: Option<PathBuf>,
}

/// Builds the whole service.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new().route("/healthz", get(healthz));
    if let Some(dist) = &state.dist {
        router =
            router.fallback_service(ServeDir::new(dist).append_index_html_on_directories(true));
    }
    router.layer(TraceLayer::new_for_http()).with_state(state)
}

/// Liveness: the process is up and serving.
async fn healthz() -> &'static str {
    "ok\n"
}
