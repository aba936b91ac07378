//! `cvi serve`: run the HTTP service until Ctrl-C / SIGTERM, then drain and stop.

use std::{io::Write, net::SocketAddr, path::PathBuf};

use clap::Args;
use tracing_subscriber::EnvFilter;

use super::CliError;
use crate::{
    auth::DEFAULT_AUDIENCE,
    demo,
    http::app,
    state::{AppState, Config, StartError},
};
use cvi_store::db;

/// A partner may spend this many seconds' worth of resolutions at once.
const RESOLVE_BURST_SECONDS: f64 = 10.0;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CVI_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Database: sqlite://FILE (created on first start) or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://cvi.db")]
    database: String,
    /// Accept tokens from the local dev issuer and mint them at /api/v1/dev/token (`cvi token`).
    #[arg(long)]
    dev_issuer: bool,
    /// Seed the demo tenant: a Polycom provider, its consent and a global grant.
    #[arg(long)]
    demo: bool,
    /// A trusted OIDC issuer URL (discovery + JWKS); repeat for several. It may hold
    /// {tenantid} (Entra multi-tenant: https://login.microsoftonline.com/{tenantid}/v2.0):
    /// its metadata is read with `common` there, and a token's iss must be it filled with
    /// the token's own tid.
    #[arg(long = "issuer", env = "CVI_ISSUERS", value_delimiter = ',')]
    issuers: Vec<String>,
    /// Allow plain-http issuers on 127.0.0.0/8 (identity-provider stand-ins in tests).
    #[arg(long)]
    allow_loopback_http_issuer: bool,
    /// Microsoft Graph's base URL.
    #[arg(long, default_value = "https://graph.microsoft.com")]
    graph_url: String,
    /// Microsoft Entra's authority (token endpoint) base URL.
    #[arg(long, default_value = "https://login.microsoftonline.com")]
    authority_url: String,
    /// Our app registration's client id (app-only Graph calls: groups overage).
    #[arg(long, env = "CVI_CLIENT_ID", requires = "client_secret_file")]
    client_id: Option<String>,
    /// A file holding the app's client secret, readable by its owner only (chmod 600).
    #[arg(long, env = "CVI_CLIENT_SECRET_FILE", requires = "client_id")]
    client_secret_file: Option<PathBuf>,
    /// Let the dev issuer listen on a non-loopback address (it mints tokens for anyone).
    #[arg(long, requires = "dev_issuer")]
    dev_issuer_anywhere: bool,
    /// The audience (`aud`) tokens must carry.
    #[arg(long, env = "CVI_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Public base URL of this server (consent redirect URIs); default http://LISTEN.
    #[arg(long, env = "CVI_PUBLIC_URL")]
    public_url: Option<String>,
    /// Resolutions allowed per partner app per second (burst: 10 seconds' worth).
    #[arg(long, default_value_t = 50.0)]
    resolve_rate: f64,
    /// An origin allowed to call the API from a browser (CORS), e.g. https://addin.contoso.com; repeat for several.
    #[arg(long = "cors-origin", env = "CVI_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// The built add-in to serve at `/` (`cargo xtask build` writes it to dist/).
    #[arg(long, env = "CVI_DIST")]
    dist: Option<PathBuf>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for open requests before it stops anyway.
    #[arg(long, default_value_t = 10)]
    shutdown_deadline: u64,
    /// Seconds a connection may send nothing before it is closed (1–3600).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    idle_timeout: u64,
    /// Serve /metrics here instead of on --listen (an address only monitoring reaches).
    #[arg(long, env = "CVI_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Answer SIP INVITEs (UDP and TCP, same port) with a 302 to the dialled meeting, e.g. 0.0.0.0:5060.
    #[arg(long, env = "CVI_SIP")]
    sip: Option<SocketAddr>,
    /// New coordinates one organizer may get per hour (0: no quota); an hour is counted
    /// from the database, so the quota holds across servers.
    #[arg(long, default_value_t = 1000)]
    issue_quota: u32,
    /// SIP requests allowed per source network (an IPv4 /24, an IPv6 /64) per second
    /// (burst: 10 seconds' worth).
    #[arg(long, default_value_t = 20.0)]
    sip_rate: f64,
    /// Trusted SIP gateways and SBCs (CIDR, repeatable or comma-separated): each address 50
    /// times --sip-rate, and the Teams join link in the 302 (others get the redirect alone).
    #[arg(long, env = "CVI_SIP_TRUSTED", value_delimiter = ',')]
    sip_trusted: Vec<ipnet::IpNet>,
}

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    // Logs go to stderr: stdout carries only the "listening on" line that scripts wait for.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    for o in &args.cors_origins {
        let local = o.starts_with("http://localhost") || o.starts_with("http://127.0.0.1");
        let shape =
            (o.starts_with("https://") || local) && !o.ends_with('/') && !o[8..].contains('/');
        if !shape || o.parse::<axum::http::HeaderValue>().is_err() {
            return Err(CliError::Input(format!(
                "--cors-origin {o:?} is not an origin like https://addin.contoso.com (scheme and host, no path)"
            )));
        }
    }
    if let Some(d) = &args.dist {
        let missing: Vec<&str> = crate::http::PAGES
            .into_iter()
            .filter(|page| !d.join(page).exists())
            .collect();
        if !missing.is_empty() {
            return Err(CliError::Input(format!(
                "--dist {} holds no {}; build the add-in with `cargo xtask build`",
                d.display(),
                missing.join(", ")
            )));
        }
    }
    if args.dev_issuer {
        if !args.issuers.is_empty() {
            return Err(CliError::Input(
                "--dev-issuer cannot be combined with --issuer: the dev issuer mints tokens for anyone who asks, so it never runs next to a real identity provider".into(),
            ));
        }
        if !args.listen.ip().is_loopback() && !args.dev_issuer_anywhere {
            return Err(CliError::Input(format!(
                "--dev-issuer listens only on loopback (127.0.0.1, ::1), not {}: anyone who reaches it can mint admin tokens; add --dev-issuer-anywhere if this is really a throwaway demo",
                args.listen
            )));
        }
        eprintln!(
            "cvi serve: WARNING: --dev-issuer is on: anyone who can reach {} can mint tokens for any tenant and role (POST /api/v1/dev/token). For development and demos only.",
            args.listen
        );
    }
    let graph = match (&args.client_id, &args.client_secret_file) {
        (Some(id), Some(file)) => {
            for (flag, url) in [
                ("--graph-url", &args.graph_url),
                ("--authority-url", &args.authority_url),
            ] {
                let loopback = ["http://127.", "http://localhost", "http://[::1]"]
                    .iter()
                    .any(|p| url.starts_with(p));
                if !(url.starts_with("https://") || (loopback && args.allow_loopback_http_issuer)) {
                    return Err(CliError::Input(format!(
                        "{flag} {url} must be https:// (plain http only on loopback with --allow-loopback-http-issuer)"
                    )));
                }
            }
            Some(crate::graph::GraphConfig {
                graph_url: args.graph_url.trim_end_matches('/').to_string(),
                authority_url: args.authority_url.trim_end_matches('/').to_string(),
                client_id: id.clone(),
                client_secret: crate::graph::GraphConfig::secret_from_file(file)
                    .map_err(CliError::Input)?,
            })
        }
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::Failure(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Failure(e.to_string()))?;
        if !args.resolve_rate.is_finite() || args.resolve_rate <= 0.0 {
            return Err(CliError::Input("--resolve-rate must be a positive number".into()));
        }
        if args.issuers.is_empty() && !args.dev_issuer {
            tracing::warn!("no --issuer and no --dev-issuer: every API call will be refused as unauthenticated");
        }
        let state = AppState::new(Config {
            database_url: args.database,
            audience: args.audience,
            issuers: args.issuers,
            dev_issuer: args.dev_issuer,
            allow_loopback_http_issuer: args.allow_loopback_http_issuer,
            graph,
            resolve_rate: args.resolve_rate,
            resolve_burst: args.resolve_rate * RESOLVE_BURST_SECONDS,
            dist: args.dist,
            public_url: args.public_url.unwrap_or_else(|| format!("http://{addr}")),
            cors_origins: args.cors_origins,
            jwks_min_refetch: None,
            metrics_on_main: args.metrics_listen.is_none(),
            consent_recheck: std::time::Duration::from_secs(86_400),
            issue_quota_per_hour: args.issue_quota,
        })
        .await
        .map_err(|e| match e {
            StartError::Database(e @ db::DbError::Scheme(_)) => CliError::Input(e.to_string()),
            e => CliError::Failure(e.to_string()),
        })?;
        if args.demo {
            demo::seed(&state.db)
                .await
                .map_err(|e| CliError::Failure(format!("seeding the demo tenant: {e}")))?;
            // With Graph access only consents Graph confirms count: ask it about the seed's.
            match crate::usecases::consent::verify_unconfirmed(&state.cx, demo::TENANT).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    error = %e,
                    "the demo tenant's consent could not be verified with Microsoft Graph; it does not count"
                ),
            }
        }
        // Bound before the "listening" line, so whoever waits for it can dial at once.
        if let Some(at) = args.sip {
            if !args.sip_rate.is_finite() || args.sip_rate <= 0.0 {
                return Err(CliError::Input("--sip-rate must be a positive number".into()));
            }
            let config = crate::sip::SipConfig {
                listen: at,
                rate_per_source: args.sip_rate,
                trusted: args.sip_trusted.clone(),
            };
            let door = crate::sip::SipDoor::bind(&config, state.cx.clone())
                .await
                .map_err(|e| CliError::Failure(format!("cannot listen for SIP on {at}: {e}")))?;
            let bound = door.local_addr().map_err(|e| CliError::Failure(e.to_string()))?;
            let _ = writeln!(std::io::stdout(), "cvi serve: SIP on udp+tcp {bound}");
            tokio::spawn(door.serve());
        }
        // Printed on stdout (not only logged) so scripts and tests can wait for it.
        println!("cvi serve: listening on http://{addr}/");
        if args.demo && args.dev_issuer {
            for (user, role) in [("organizer@demo.example", "organizer"), ("admin@demo.example", "admin")] {
                let token = state
                    .verifier
                    .mint_dev(demo::claims(user, role), 8 * 3600)
                    .map_err(|e| CliError::Failure(e.to_string()))?;
                // Not println!: a closed stdout (`cvi serve | head -1`) must not stop the server.
                let _ = writeln!(std::io::stdout(), "cvi serve: demo {role} token (8 h): {token}");
                // The pages take the token from the link and drop it from the URL.
                let page = match role {
                    "organizer" => Some(("scheduler", "/")),
                    "admin" => Some(("admin console", "/admin")),
                    _ => None,
                };
                if let (Some((name, path)), Some(_)) = (page, &state.dist) {
                    let _ = writeln!(
                        std::io::stdout(),
                        "cvi serve: {name}, signed in as {user}: http://{addr}{path}#token={token}"
                    );
                }
            }
        }
        if let Some(at) = args.metrics_listen {
            let metrics = tokio::net::TcpListener::bind(at)
                .await
                .map_err(|e| CliError::Failure(format!("cannot listen on {at} for metrics: {e}")))?;
            let app = crate::http::metrics_app(state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(metrics, app).await {
                    tracing::error!(error = %e, "metrics listener stopped");
                }
            });
        }
        crate::http::listener::serve(
            listener,
            app(state.clone()),
            shutdown_signal(),
            std::time::Duration::from_secs(args.shutdown_deadline),
            std::time::Duration::from_secs(args.idle_timeout),
        )
        .await;
        // The last few seconds of resolution counts.
        if let Err(e) = state.resolutions.flush(&state.writes).await {
            tracing::warn!(error = %e, "resolution counts of the last seconds were not saved");
        }
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
