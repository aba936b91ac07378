//! `cvi serve`: run the HTTP service until Ctrl-C / SIGTERM, then drain and stop.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;
use tracing_subscriber::EnvFilter;

use super::CliError;
use crate::http::{app, AppState};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CVI_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The built add-in to serve at `/` (`cargo xtask build` writes it to dist/).
    #[arg(long, env = "CVI_DIST")]
    dist: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    if let Some(d) = &args.dist {
        if !d.join("index.html").exists() {
            return Err(CliError::Input(format!(
                "--dist {} holds no index.html; build the add-in with `cargo xtask build`",
                d.display()
            )));
        }
    }
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::Failure(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Failure(e.to_string()))?;
        // Printed on stdout (not only logged) so scripts and tests can wait for it.
        println!("cvi serve: listening on http://{addr}/");
        let state = AppState { dist: args.dist };
        axum::serve(listener, app(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| CliError::Failure(format!("server error: {e}")))
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
    tracing::info!("shutting down: draining open requests");
}
