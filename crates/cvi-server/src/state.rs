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
    /// Whose turn it is to write, on SQLite.
    pub sqlite_writer: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// Starts a transaction that will write.
    ///
    /// On SQLite, writers take turns in this process first (one SQLite database has one
    /// writer anyway) and then take the write lock up front with `BEGIN IMMEDIATE`: a deferred
    /// transaction that reads first and writes later fails with SQLITE_BUSY at once when
    /// another writer got in between, and waiting in SQLite's busy handler means sleeping
    /// in steps of up to 100 ms, which is what p99 latency showed before the queue.
    pub async fn write_tx(&self) -> Result<WriteTx, sqlx::Error> {
        if self.sqlite {
            let guard = self.sqlite_writer.clone().lock_owned().await;
            let tx = self.db.begin_with("BEGIN IMMEDIATE").await?;
            Ok(WriteTx {
                tx,
                _turn: Some(guard),
            })
        } else {
            Ok(WriteTx {
                tx: self.db.begin().await?,
                _turn: None,
            })
        }
    }
}

/// A writing transaction (and, on SQLite, this process's writer turn until it ends).
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}
