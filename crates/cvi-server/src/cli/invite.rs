//! `cvi invite upsert|remove|extract`: the invite block on a body file, offline. The same
//! cvi-core code the add-in runs in the browser.

use std::{io::Read, path::PathBuf};

use clap::Subcommand;
use cvi_core::{
    invite::{self, BodyKind, Lang},
    Coordinates,
};

use super::CliError;

/// Bodies larger than this are refused (Outlook's own limit for an item body is 1 MB of text;
/// HTML bodies with inline styles run larger).
const MAX_BODY: u64 = 16 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Insert or replace the video conferencing block; prints the new body.
    Upsert {
        /// The invite body (HTML, or text with --text); `-` reads stdin.
        body_file: PathBuf,
        /// The coordinates (JSON of `cvi meeting issue --json`): a file, `-`, or inline JSON.
        /// The block is rendered from its fields; a `block` in it is ignored.
        #[arg(long)]
        coordinates: String,
        /// Language of the block: en, de, fr, es, ja.
        #[arg(long, default_value = "en")]
        lang: String,
        /// The body is plain text, not HTML.
        #[arg(long)]
        text: bool,
    },
    /// Remove the video conferencing block; prints the new body.
    Remove {
        /// The invite body; `-` reads stdin.
        body_file: PathBuf,
        /// The body is plain text, not HTML.
        #[arg(long)]
        text: bool,
    },
    /// Print the coordinates found in an invite (HTML, text or .ics) as JSON.
    Extract {
        /// The invite body or .ics file; `-` reads stdin.
        body_file: PathBuf,
        #[command(flatten)]
        kind: KindArgs,
    },
}

/// What a body to read is, when the user says so.
#[derive(Debug, clap::Args)]
pub struct KindArgs {
    /// The body is plain text (a `<` in it is still text). Without --text or --html the
    /// kind is told from the content.
    #[arg(long, conflicts_with = "html")]
    text: bool,
    /// The body is HTML.
    #[arg(long)]
    html: bool,
}

impl KindArgs {
    fn kind(&self) -> Option<BodyKind> {
        (self.text || self.html).then(|| kind(self.text))
    }
}

fn read_input(path: &PathBuf, what: &str) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin().take(MAX_BODY + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_BODY + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| CliError::Input(format!("cannot read {what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_BODY {
        return Err(CliError::Input(format!(
            "{what} {} is larger than {} MB",
            path.display(),
            MAX_BODY >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        CliError::Input(format!(
            "{what} {} is not UTF-8 (byte {}); convert it first",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

fn kind(text: bool) -> BodyKind {
    if text {
        BodyKind::Text
    } else {
        BodyKind::Html
    }
}

fn coordinates(arg: &str) -> Result<Coordinates, CliError> {
    let json = if arg.trim_start().starts_with('{') {
        arg.to_string()
    } else {
        read_input(&PathBuf::from(arg), "coordinates file")?
    };
    let c: Coordinates = serde_json::from_str(&json)
        .map_err(|e| CliError::Input(format!("--coordinates: not valid coordinates JSON: {e}")))?;
    if c.tenant_key.is_none() || c.video_id.is_none() {
        return Err(CliError::Input("--coordinates needs at least tenant_key and video_id (the JSON of `cvi meeting issue --json`)".into()));
    }
    Ok(c)
}

/// `cvi otd …`: one-touch dial, offline.
#[derive(Debug, Subcommand)]
pub enum OtdCommand {
    /// What a room panel shows for an invite: the coordinates, the Teams join link and
    /// `panel_dial`, the one address to dial (with `panel_dtmf` when it is an IVR).
    Extract {
        /// The invite body or .ics file; `-` reads stdin.
        body_file: PathBuf,
        #[command(flatten)]
        kind: KindArgs,
    },
}

pub fn run_otd(cmd: OtdCommand) -> Result<(), CliError> {
    let OtdCommand::Extract { body_file, kind } = cmd;
    let body = read_input(&body_file, "body")?;
    let out = serde_json::to_string_pretty(&cvi_core::otd::read(&body, kind.kind()))
        .map_err(|e| CliError::Failure(e.to_string()))?;
    println!("{out}");
    Ok(())
}

pub fn run(cmd: InviteCommand) -> Result<(), CliError> {
    match cmd {
        InviteCommand::Upsert {
            body_file,
            coordinates: coords,
            lang,
            text,
        } => {
            let lang = Lang::parse(&lang).ok_or_else(|| {
                CliError::Input(format!("--lang {lang:?} is not one of en, de, fr, es, ja"))
            })?;
            let c = coordinates(&coords)?;
            let body = read_input(&body_file, "body")?;
            print!(
                "{}",
                invite::upsert(&body, kind(text), &invite::render(&c, lang))
            );
        }
        InviteCommand::Remove { body_file, text } => {
            let body = read_input(&body_file, "body")?;
            print!("{}", invite::remove(&body, kind(text)));
        }
        InviteCommand::Extract { body_file, kind } => {
            let body = read_input(&body_file, "body")?;
            let out = serde_json::to_string_pretty(&invite::extract_as(&body, kind.kind()))
                .map_err(|e| CliError::Failure(e.to_string()))?;
            println!("{out}");
        }
    }
    Ok(())
}
