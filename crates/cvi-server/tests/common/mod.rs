//! Test harness: a real `cvi` server (in-process axum on a random port) over a real
//! database: a SQLite file in a temp dir, or a fresh database in a throwaway PostgreSQL 15
//! cluster that this test binary starts with `initdb` (and a watchdog stops).
#![allow(dead_code)]

use std::sync::{atomic::AtomicUsize, Arc, OnceLock};

use cvi_testkit::{CviServe, Durability, PgCluster};

use cvi_server::{
    http::app,
    state::{AppState, Config},
};
use cvi_store::db;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and what a test needs to talk to it.
pub struct Server {
    pub url: String,
    pub database_url: String,
    pub db: db::Db,
    _dir: Option<tempfile::TempDir>,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// Options for [`start_with`].
#[derive(Clone)]
pub struct Options {
    pub dev_issuer: bool,
    pub issuers: Vec<String>,
    pub resolve_rate: f64,
    /// The shortest wait between two JWKS fetches (zero: refetch on every unknown kid).
    pub jwks_min_refetch: std::time::Duration,
    /// New coordinates per organizer per hour (0: none).
    pub issue_quota_per_hour: u32,
    /// Our app at Microsoft (a stand-in's URLs in tests).
    pub graph: Option<cvi_server::graph::GraphConfig>,
    /// Another server's database (PostgreSQL): two servers, one database.
    pub database_url: Option<String>,
    /// How long a Graph-confirmed consent counts before it is checked again.
    pub consent_recheck: std::time::Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dev_issuer: true,
            issuers: vec![],
            resolve_rate: 10_000.0,
            jwks_min_refetch: std::time::Duration::ZERO,
            issue_quota_per_hour: 0,
            graph: None,
            database_url: None,
            consent_recheck: std::time::Duration::from_secs(86_400),
        }
    }
}

pub fn start(backend: Backend) -> Server {
    start_with(backend, Options::default())
}

pub fn start_with(backend: Backend, opts: Options) -> Server {
    // Server-side errors (the cause behind a 500) show in the failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let (database_url, dir) = match (backend, opts.database_url.clone()) {
        (_, Some(url)) => (url, None),
        (Backend::Sqlite, None) => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!("sqlite://{}", dir.path().join("cvi.db").display()),
                Some(dir),
            )
        }
        (Backend::Postgres, None) => (postgres_database(), None),
    };
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let state = runtime
        .block_on(AppState::new(Config {
            database_url: database_url.clone(),
            audience: "api://cvi".into(),
            issuers: opts.issuers.clone(),
            allow_loopback_http_issuer: true,
            graph: opts.graph.clone(),
            dev_issuer: opts.dev_issuer,
            resolve_rate: opts.resolve_rate,
            // Burst = rate: a test of the limit sees it after one request.
            resolve_burst: opts.resolve_rate,
            dist: None,
            public_url: url.clone(),
            cors_origins: vec!["https://addin.contoso.example".into()],
            jwks_min_refetch: Some(opts.jwks_min_refetch),
            issue_quota_per_hour: opts.issue_quota_per_hour,
            metrics_on_main: true,
            consent_recheck: opts.consent_recheck,
        }))
        .expect("database opens and migrates");
    let db = state.db.clone();
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, app(state)).await.unwrap();
    });
    Server {
        url,
        database_url,
        db,
        _dir: dir,
        runtime,
    }
}

impl Server {
    /// A dev token.
    pub fn token(&self, tenant: &str, user: &str, role: &str) -> String {
        self.token_with(json!({"tenant": tenant, "user": user, "role": role}))
    }

    pub fn token_with(&self, body: Value) -> String {
        let (status, v) = self.call("POST", "/api/v1/dev/token", None, Some(body));
        assert_eq!(status, 200, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// One request; returns status and JSON (or the text as a JSON string).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&format!("{}{path}", self.url), method, token, body)
    }

    /// Counts rows of a table for a tenant (to prove that nothing changed).
    pub fn count(&self, table: &str, tenant: &str) -> i64 {
        let db = self.db.clone();
        let q = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
        let tenant = tenant.to_string();
        self.runtime.block_on(async move {
            sqlx::query_scalar::<_, i64>(&q)
                .bind(tenant)
                .fetch_one(&db)
                .await
                .unwrap()
        })
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

/// Starts the real `cvi` binary (`cvi serve ARGS…`; pass `--listen 127.0.0.1:0`), killed
/// when the returned value is dropped.
pub fn spawn_cvi<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> CviServe {
    CviServe::start(std::path::Path::new(env!("CARGO_BIN_EXE_cvi")), args)
        .expect("cvi serve starts")
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// One request; returns status and JSON (or the text as a JSON string). Every error must
/// be a problem document.
pub fn call(url: &str, method: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let r = cvi_testkit::request(url, method, token, body);
    assert_ne!(r.status, 0, "{method} {url}: the server answers");
    if r.status >= 400 {
        assert_eq!(
            r.content_type, "application/problem+json",
            "every error is a problem document ({method} {url} -> {})",
            r.status
        );
    }
    (r.status, r.body)
}

// ---- PostgreSQL: one throwaway cluster per test binary, one database per test ----

static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
static DB_SEQ: AtomicUsize = AtomicUsize::new(0);

fn cluster() -> &'static PgCluster {
    CLUSTER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "cvi-pg-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let c = PgCluster::start(&dir, Durability::Throwaway).expect("a PostgreSQL 15 cluster");
        // Statics are never dropped: the cluster goes when this test binary does.
        c.stop_with_process().expect("the cluster's watchdog");
        c
    })
}

/// Restarts this test binary's PostgreSQL cluster (fast shutdown: every connection dies).
pub fn restart_postgres() {
    cluster().restart().expect("pg_ctl restart");
}

/// A fresh, empty database in the shared cluster.
pub fn postgres_database() -> String {
    let name = format!(
        "t{}_{}",
        DB_SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        rand::random::<u32>() % 1_000_000
    );
    cluster().create_database(&name).expect("CREATE DATABASE")
}

/// Runs a test body on both backends.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                ($body)(common::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                ($body)(common::Backend::Postgres)
            }
        }
    };
}

/// A TCP connection to `addr` from the loopback address `ip`.
pub fn connect_from(ip: &str, addr: &str) -> std::net::TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(
        &format!("{ip}:0")
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    s.connect(&addr.parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    s.into()
}
