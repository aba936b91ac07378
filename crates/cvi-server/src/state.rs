//! What the HTTP door's handlers reach: the use cases' context and the door's own
//! settings. All durable state is in the database (SPEC §3): N servers on one PostgreSQL
//! behave as one. Rate limits are kept per process but split between the
//! live servers (`rate_limit`), so N servers together allow what one would.

use std::{path::PathBuf, sync::Arc, time::Duration};

use crate::{auth::Verifier, metrics::Metrics, rate_limit::RateLimiter, usecases::Context};
use cvi_store::{db, writes::Writes};

/// What a server is started with: `cvi serve`'s flags, or a test's choice. Its `Debug`
/// hides the database URL's password (and `GraphConfig`'s the client secret).
#[derive(Clone)]
pub struct Config {
    /// `sqlite://FILE` or `postgres://…`.
    pub database_url: String,
    /// The `aud` tokens must carry.
    pub audience: String,
    /// Trusted OIDC issuers (discovery + JWKS).
    pub issuers: Vec<String>,
    /// Accept and mint tokens of the local dev issuer.
    pub dev_issuer: bool,
    /// Plain-http issuers on loopback (tests' identity-provider stand-ins).
    pub allow_loopback_http_issuer: bool,
    /// Our app at Microsoft (Graph, app-only), when configured.
    pub graph: Option<crate::graph::GraphConfig>,
    /// Resolutions per partner app per second, and the burst it may spend at once.
    pub resolve_rate: f64,
    pub resolve_burst: f64,
    /// The built add-in, served at `/`.
    pub dist: Option<PathBuf>,
    /// This server's public base URL (consent redirect URIs).
    pub public_url: String,
    /// Origins allowed to call the API from a browser.
    pub cors_origins: Vec<String>,
    /// The shortest wait between two JWKS fetches of one issuer (`None`: the default).
    pub jwks_min_refetch: Option<Duration>,
    /// Serve `/metrics` on the API's listener (false when it has a listener of its own).
    pub metrics_on_main: bool,
    /// New coordinates per organizer per hour (0: no quota).
    pub issue_quota_per_hour: u32,
    /// How long a consent Graph confirmed counts before Graph is asked again (a day).
    pub consent_recheck: Duration,
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &without_password(&self.database_url))
            .field("audience", &self.audience)
            .field("issuers", &self.issuers)
            .field("dev_issuer", &self.dev_issuer)
            .field(
                "allow_loopback_http_issuer",
                &self.allow_loopback_http_issuer,
            )
            .field("graph", &self.graph)
            .field("resolve_rate", &self.resolve_rate)
            .field("resolve_burst", &self.resolve_burst)
            .field("dist", &self.dist)
            .field("public_url", &self.public_url)
            .field("cors_origins", &self.cors_origins)
            .field("jwks_min_refetch", &self.jwks_min_refetch)
            .field("metrics_on_main", &self.metrics_on_main)
            .field("issue_quota_per_hour", &self.issue_quota_per_hour)
            .finish()
    }
}

/// Why a server could not be put together.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error("auth set-up: {0}")]
    Auth(String),
}

/// Consent callbacks per second for the whole deployment (admins consent a few times a
/// year; this only keeps a flood off the writer).
const CALLBACKS_PER_SECOND: f64 = 20.0;

/// Shared application state: one pointer, so the clone each extractor and middleware
/// makes is one reference count (measured: cloning the fields one by one was ~10% of the
/// server's CPU per resolution, their counts bouncing between cores).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to: the use cases' [`Context`] (which it derefs to) and what
/// only the HTTP door needs.
pub struct Shared {
    pub cx: Arc<Context>,
    pub verifier: Verifier,
    /// The built add-in (`dist/`), served at `/` when present.
    pub dist: Option<PathBuf>,
    /// Origins allowed to call the API from a browser (CORS); empty = same origin only.
    pub cors_origins: Vec<String>,
    /// `/metrics` is served on the API's listener.
    pub metrics_on_main: bool,
}

impl std::ops::Deref for Shared {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.cx
    }
}

impl AppState {
    /// Opens (and migrates) the database and builds everything a handler can reach. The
    /// one way to make a server's state: `cvi serve` and the tests both call it.
    pub async fn new(config: Config) -> Result<AppState, StartError> {
        let pool = db::connect(&config.database_url).await?;
        let graph = config.graph.map(crate::graph::Graph::new).map(Arc::new);
        // With Graph access, only consents Graph confirmed count.
        let verified_only = graph.is_some();
        let mut verifier = Verifier::new(
            config.audience,
            &config.issuers,
            config.allow_loopback_http_issuer,
            config.dev_issuer.then_some(&pool),
            graph.clone(),
        )
        .await
        .map_err(|e| StartError::Auth(e.to_string()))?;
        if let Some(d) = config.jwks_min_refetch {
            verifier = verifier.with_jwks_min_refetch(d);
        }
        let metrics = Arc::new(Metrics::default());
        let servers = crate::rate_limit::Servers::default();
        tokio::spawn(crate::rate_limit::heartbeat(pool.clone(), servers.clone()));
        let writes = Writes::start(
            pool.clone(),
            db::is_sqlite(&config.database_url),
            metrics.issuance_batch.clone(),
        );
        let resolutions = Arc::new(crate::stats::Resolutions::default());
        tokio::spawn(crate::stats::flush_forever(
            resolutions.clone(),
            writes.clone(),
        ));
        let fast =
            cvi_store::FastReads::for_url(&config.database_url, metrics.lookup_batch.clone())
                .map_err(|e| StartError::Database(db::DbError::Connect(e)))?;
        // Effective policy reads the kept group grants where a user's own grant is a
        // calling-thread read (SQLite); PostgreSQL batches the whole read instead.
        let keep_grants = matches!(fast, Some(cvi_store::FastReads::Thread(_)));
        let cx = Context {
            writes,
            resolutions,
            fast,
            db: pool,
            metrics,
            resolve_limiter: RateLimiter::new(
                config.resolve_rate,
                config.resolve_burst,
                servers.clone(),
            ),
            callback_limiter: RateLimiter::new(
                CALLBACKS_PER_SECOND,
                CALLBACKS_PER_SECOND * 10.0,
                servers.clone(),
            ),
            servers,
            graph,
            bridges: Default::default(),
            config: crate::tenant_config::ConfigCache::new(verified_only, keep_grants),
            issue_quota_per_hour: config.issue_quota_per_hour,
            public_url: config.public_url,
            inject_wake: tokio::sync::Notify::new(),
        };
        let cx = Arc::new(cx);
        if cx.graph.is_some() {
            tokio::spawn(crate::usecases::inject_events::work_forever(cx.clone()));
            tokio::spawn(crate::usecases::consent::recheck_forever(
                cx.clone(),
                config.consent_recheck,
            ));
        }
        Ok(AppState(Arc::new(Shared {
            cx,
            verifier,
            dist: config.dist,
            cors_origins: config.cors_origins,
            metrics_on_main: config.metrics_on_main,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets never reach a log line through `{:?}` (#23 item 14).
    #[test]
    fn debug_hides_the_secrets() {
        let config = Config {
            database_url: "postgres://cvi:hunter2@db.invalid:5432/cvi".into(),
            audience: "api://cvi".into(),
            issuers: vec![],
            dev_issuer: false,
            allow_loopback_http_issuer: false,
            graph: Some(crate::graph::GraphConfig {
                graph_url: "https://graph.microsoft.com".into(),
                authority_url: "https://login.microsoftonline.com".into(),
                client_id: "app".into(),
                client_secret: "s3cr3t-value".into(),
            }),
            resolve_rate: 1.0,
            resolve_burst: 1.0,
            dist: None,
            public_url: "https://cvi.invalid".into(),
            cors_origins: vec![],
            jwks_min_refetch: None,
            metrics_on_main: true,
            consent_recheck: Duration::from_secs(86_400),
            issue_quota_per_hour: 0,
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cr3t-value"),
            "{shown}"
        );
        assert!(
            shown.contains("postgres://cvi:***@db.invalid:5432/cvi"),
            "{shown}"
        );
        assert_eq!(
            without_password("sqlite:///tmp/cvi.db"),
            "sqlite:///tmp/cvi.db"
        );
    }
}
