//! What every handler can reach. All durable state is in the database (SPEC §3): N servers
//! on one PostgreSQL behave as one. The rate limiter is per process by design (a partner
//! spread over N servers gets N times the budget, still bounded).

use std::{path::PathBuf, sync::Arc};

use crate::{
    auth::Verifier, db::Db, metrics::Metrics, rate_limit::RateLimiter, tenant_config::ConfigCache,
    writes::Writes,
};

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub verifier: Arc<Verifier>,
    pub metrics: Arc<Metrics>,
    pub resolve_limiter: Arc<RateLimiter>,
    /// The built add-in (`dist/`), served at `/` when present.
    pub dist: Option<PathBuf>,
    /// Public base URL of this server, for consent redirect URIs.
    pub public_url: String,
    /// Origins allowed to call the API from a browser (CORS); empty = same origin only.
    pub cors_origins: Vec<String>,
    /// Write transactions and the issuance group commit.
    pub writes: Writes,
    /// Tenants' providers and consents, checked against the database's version on use.
    pub config: Arc<ConfigCache>,
}
