//! The `cvi` command line (SPEC §8): global flags, subcommands, exit codes.
//!
//! Exit code 0 on success, 2 on bad usage or input, 1 on any other failure; the message
//! goes to stderr.

mod admin;
mod bench_seed;
mod client;
mod invite;
mod plan;
mod serve;

use std::process::ExitCode;

use clap::{parser::ValueSource, CommandFactory, FromArgMatches, Parser, Subcommand};

/// What went wrong, and therefore which exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input or flags are wrong: exit 2.
    #[error("{0}")]
    Input(String),
    /// Anything else (I/O, server unreachable): exit 1.
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) => ExitCode::from(2),
            CliError::Failure(_) => ExitCode::from(1),
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "cvi",
    version,
    about = "Cloud Video Interop: policy API server and admin command line"
)]
struct Cli {
    /// Policy API base URL.
    #[arg(
        long,
        global = true,
        env = "CVI_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// Bearer token for the policy API (prefer CVI_TOKEN or --token-file: a command line is
    /// visible to other users of the machine).
    #[arg(long, global = true, env = "CVI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A file holding the bearer token.
    #[arg(long, global = true, conflicts_with = "token")]
    token_file: Option<std::path::PathBuf>,
    /// Send the token over plain http to a server that is not on this machine.
    #[arg(long, global = true)]
    insecure: bool,
    /// Machine-readable JSON output instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the policy API server.
    Serve(Box<serve::ServeArgs>),
    /// Get a token from a server started with --dev-issuer.
    Token(admin::TokenArgs),
    /// Video interop service providers.
    #[command(subcommand)]
    Provider(admin::ProviderCommand),
    /// Video interop policies and grants.
    #[command(subcommand)]
    Policy(admin::PolicyCommand),
    /// Partner admin consent.
    #[command(subcommand)]
    Consent(admin::ConsentCommand),
    /// Coordinates in every Teams meeting (Graph change notifications).
    #[command(subcommand)]
    Inject(admin::InjectCommand),
    /// Meeting coordinates.
    #[command(subcommand)]
    Meeting(admin::MeetingCommand),
    /// Resolve a dial string to its meeting (partner token).
    Resolve(admin::ResolveArgs),
    /// Credentials of Pexip Infinity bridges for the external policy endpoint.
    #[command(subcommand)]
    Bridge(admin::BridgeCommand),
    /// The audit log: who changed what, newest first (filters as the API's).
    Audit(admin::AuditArgs),
    /// Fill a database for `cargo xtask bench`.
    #[command(hide = true)]
    BenchSeed(bench_seed::BenchSeedArgs),
    /// One-touch dial: what a room panel dials for an invite (offline).
    #[command(subcommand)]
    Otd(invite::OtdCommand),
    /// Plan capacity: concurrent calls, ports and gateway VMs for your meeting traffic (offline).
    Plan(plan::PlanArgs),
    /// Work on invite bodies offline: insert, remove or find the video conferencing block.
    #[command(subcommand)]
    Invite(invite::InviteCommand),
}

/// Is `url`'s host this machine (127.0.0.0/8, ::1, localhost)?
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The token to send, from --token, CVI_TOKEN or --token-file; refused over plain http to
/// another machine unless --insecure.
fn token(cli: &Cli, from_argv: bool) -> Result<Option<String>, CliError> {
    let token = match &cli.token_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .map_err(|e| CliError::Input(format!("--token-file {}: {e}", f.display())))?
                .trim()
                .to_string(),
        ),
        None => cli.token.clone(),
    };
    if from_argv {
        eprintln!("cvi: warning: --token on the command line is visible to other users of this machine; set CVI_TOKEN or use --token-file");
    }
    let plain = cli
        .server
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("http://"));
    if token.is_some() && plain && !is_loopback(&cli.server) && !cli.insecure {
        return Err(CliError::Input(format!(
            "refusing to send a token over plain http to {}: use https, or --insecure if this network is private",
            cli.server
        )));
    }
    Ok(token)
}

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let from_argv = matches.value_source("token") == Some(ValueSource::CommandLine);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let offline = matches!(
        cli.command,
        Command::Serve(_)
            | Command::BenchSeed(_)
            | Command::Invite(_)
            | Command::Plan(_)
            | Command::Otd(_)
    );
    let token = if offline {
        Ok(None)
    } else {
        token(&cli, from_argv)
    };
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cvi: error: {e}");
            return e.exit_code();
        }
    };
    let client = || client::Client::new(&cli.server, token.clone());
    let json = cli.json;
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::BenchSeed(args) => bench_seed::run(args),
        Command::Token(a) => admin::token(&client(), a, json),
        Command::Provider(c) => admin::provider(&client(), c, json),
        Command::Policy(c) => admin::policy(&client(), c, json),
        Command::Consent(c) => admin::consent(&client(), c, json),
        Command::Inject(c) => admin::inject(&client(), c, json),
        Command::Meeting(c) => admin::meeting(&client(), c, json),
        Command::Resolve(a) => admin::resolve(&client(), a, json),
        Command::Bridge(c) => admin::bridge(&client(), c, json),
        Command::Audit(a) => admin::audit(&client(), a, json),
        Command::Invite(cmd) => invite::run(cmd),
        Command::Plan(a) => plan::run(a, json),
        Command::Otd(cmd) => invite::run_otd(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cvi: error: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9/x",
            "http://localhost:1",
            "http://[::1]:8080/",
            "http://user@127.0.0.1",
        ] {
            assert!(super::is_loopback(url), "{url}");
        }
        for url in [
            "http://cvi.invalid:8080",
            "http://127.0.0.1.invalid",
            "http://localhost.invalid",
            "http://[::2]",
        ] {
            assert!(!super::is_loopback(url), "{url}");
        }
    }
}
