//! `cvi invite upsert|remove|extract`: the invite block on a body file, offline.

use std::path::PathBuf;

use clap::Subcommand;

use super::CliError;

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Insert or replace the video conferencing block; prints the new body.
    Upsert {
        /// The invite body (HTML, or text with --text); `-` reads stdin.
        body_file: PathBuf,
        /// The coordinates (JSON of `cvi meeting issue --json`): a file, `-`, or inline JSON.
        #[arg(long)]
        coordinates: String,
        /// Language of the block: en, de, fr, es, ja.
        #[arg(long, default_value = "en")]
        lang: String,
        /// The body is plain text, not HTML.
        #[arg(long)]
        text: bool,
    },
}

pub fn run(cmd: InviteCommand) -> Result<(), CliError> {
    let _ = cmd;
    Err(CliError::Failure("pending".into()))
}
