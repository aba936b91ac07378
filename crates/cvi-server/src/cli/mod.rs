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

use clap::{Parser, Subcommand};

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
    /// Bearer token for the policy API.
    #[arg(long, global = true, env = "CVI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Machine-readable JSON output instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the policy API server.
    Serve(serve::ServeArgs),
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
    /// Meeting coordinates.
    #[command(subcommand)]
    Meeting(admin::MeetingCommand),
    /// Resolve a dial string to its meeting (partner token).
    Resolve(admin::ResolveArgs),
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

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let client = || client::Client::new(&cli.server, cli.token.clone());
    let json = cli.json;
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::BenchSeed(args) => bench_seed::run(args),
        Command::Token(a) => admin::token(&client(), a, json),
        Command::Provider(c) => admin::provider(&client(), c, json),
        Command::Policy(c) => admin::policy(&client(), c, json),
        Command::Consent(c) => admin::consent(&client(), c, json),
        Command::Meeting(c) => admin::meeting(&client(), c, json),
        Command::Resolve(a) => admin::resolve(&client(), a, json),
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
