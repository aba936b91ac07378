//! What every handler can reach. All durable state is in the database (SPEC §3): N servers
//! on one PostgreSQL behave as one. The rate limiter is per process by design (a partner
//! spread over N servers gets N times the budget, still bounded).

use std::{path::PathBuf, sync::Arc};

use crate::{auth::Verifier, db::Db, metrics::Metrics, rate_limit::RateLimiter};

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
    /// SQLite needs `BEGIN IMMEDIATE` for write transactions (see [`AppState::write_tx`]).
    pub sqlite: bool,
}

impl AppState {
    /// Starts a transaction that will write.
    ///
    /// On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`): a deferred
    /// transaction that reads first and writes later fails with SQLITE_BUSY at once when
    /// another writer got in between, because the busy timeout cannot help a stale snapshot.
    pub async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        if self.sqlite {
            self.db.begin_with("BEGIN IMMEDIATE").await
        } else {
            self.db.begin().await
        }
    }
}
