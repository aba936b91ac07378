//! Test harness: a real `cvi` server (in-process axum on a random port) over a real
//! database: a SQLite file in a temp dir, or a fresh database in a throwaway PostgreSQL 15
//! cluster that this test binary starts with `initdb` (and a watchdog stops).
#![allow(dead_code)]

use std::{
    net::TcpListener,
    path::PathBuf,
    process::Command,
    sync::{atomic::AtomicUsize, Arc, OnceLock},
};

use cvi_server::{
    auth::Verifier, db, http::app, metrics::Metrics, rate_limit::RateLimiter, state::AppState,
};
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dev_issuer: true,
            issuers: vec![],
            resolve_rate: 10_000.0,
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
    let (database_url, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!("sqlite://{}", dir.path().join("cvi.db").display()),
                Some(dir),
            )
        }
        Backend::Postgres => (postgres_database(), None),
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
    let (db, state) = runtime.block_on(async {
        let pool = db::connect(&database_url)
            .await
            .expect("database opens and migrates");
        let verifier = Verifier::new(
            "api://cvi".into(),
            &opts.issuers,
            opts.dev_issuer.then_some(&pool),
        )
        .await
        .unwrap()
        .with_jwks_min_refetch(std::time::Duration::ZERO);
        let metrics = Arc::new(Metrics::default());
        let state = AppState {
            db: pool.clone(),
            verifier: Arc::new(verifier),
            metrics: metrics.clone(),
            resolve_limiter: Arc::new(RateLimiter::new(opts.resolve_rate, opts.resolve_rate)),
            dist: None,
            public_url: url.clone(),
            cors_origins: vec!["https://addin.contoso.example".into()],
            writes: cvi_server::writes::Writes::start(
                pool.clone(),
                backend == Backend::Sqlite,
                metrics,
            ),
            config: Default::default(),
        };
        (pool, state)
    });
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

/// Starts the real `cvi` binary with `args`, waits for its "listening on" line and returns
/// the process and its base URL (`http://127.0.0.1:PORT`). Later output is drained.
pub fn spawn_cvi<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvi"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("cvi serve: listening on ")
        .unwrap_or_else(|| panic!("cvi serve did not start: {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (child, url)
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn call(url: &str, method: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let agent = agent();
    let mut resp = match body {
        Some(b) => agent.run(
            req.header("content-type", "application/json")
                .body(b.to_string())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    }
    .expect("server answers");
    let status = resp.status().as_u16();
    if status >= 400 {
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert_eq!(
            ct, "application/problem+json",
            "every error is a problem document ({method} {url} -> {status})"
        );
    }
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

// ---- PostgreSQL: one throwaway cluster per test binary, one database per test ----

struct Cluster {
    port: u16,
    data: PathBuf,
    opts: String,
    log: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static DB_SEQ: AtomicUsize = AtomicUsize::new(0);

fn pg_bin(name: &str) -> PathBuf {
    for dir in ["/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"] {
        let p = PathBuf::from(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("PostgreSQL 15 server binary {name} not found; run `cargo xtask setup`");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root).
fn pg(name: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(pg_bin(name));
        c
    } else {
        Command::new(pg_bin(name))
    }
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cvi-pg-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            assert!(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status().unwrap().success());
        }
        let data = dir.join("data");
        let out = pg("initdb").args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "-D"]).arg(&data).output().unwrap();
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", data.display());
        let out = pg("pg_ctl")
            .args(["-D"])
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(dir.join("log"))
            .args(["-w", "start"])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&out.stderr));
        // Statics are never dropped: a watchdog stops the cluster when this process ends.
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            ctl = if is_root() { format!("runuser -u postgres -- {}", pg_bin("pg_ctl").display()) } else { pg_bin("pg_ctl").display().to_string() },
            data = data.display(),
            dir = dir.display()
        );
        // Detached (setsid, backgrounded by a shell we wait for) so it outlives this process.
        let detach = format!("setsid sh -c '{watchdog}' >/dev/null 2>&1 &");
        assert!(Command::new("sh").args(["-c", &detach]).status().unwrap().success());
        Cluster { port, data, opts, log: dir.join("log") }
    })
}

/// Restarts this test binary's PostgreSQL cluster (fast shutdown: every connection dies).
pub fn restart_postgres() {
    let c = cluster();
    let out = pg("pg_ctl")
        .arg("-D")
        .arg(&c.data)
        .args(["-o", &c.opts, "-l"])
        .arg(&c.log)
        .args(["-m", "fast", "-w", "restart"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_ctl restart failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rand_suffix() -> u64 {
    rand::random::<u64>() % 1_000_000
}

/// A fresh, empty database in the shared cluster.
pub fn postgres_database() -> String {
    let c = cluster();
    let name = format!(
        "t{}_{}",
        DB_SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        rand_suffix()
    );
    let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", c.port);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to the test cluster");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    });
    format!("postgres://postgres@127.0.0.1:{}/{name}", c.port)
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
