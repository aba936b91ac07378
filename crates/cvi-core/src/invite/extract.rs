//! Extraction, as room systems do for one-touch dial: the coordinates and the Teams join
//! link in an invite body (HTML, text or .ics), whoever wrote it.

use serde::{Deserialize, Serialize};

use super::{locate::find_all, safe_links::unwrap_link, scan, BodyKind, ANCHOR_IDS};
use crate::Coordinates;

/// What an invite holds (`cvi invite extract`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status")]
pub enum Extraction {
    /// One set of coordinates (several blocks that agree count as one).
    #[serde(rename = "ok")]
    Found(Box<Coordinates>),
    /// No block in the body.
    #[serde(rename = "none")]
    Absent,
    /// Blocks that disagree (e.g. a forward of another meeting): a person must choose.
    #[serde(rename = "conflict")]
    Conflict { candidates: Vec<Coordinates> },
}

/// The first link that is a Teams meeting join link (Safe Links unwrapped).
fn join_link<'a>(links: impl IntoIterator<Item = &'a String>) -> Option<String> {
    links
        .into_iter()
        .find_map(|l| crate::meeting::teams_join_url(&unwrap_link(l)).ok())
}

/// The Teams join link that Teams' own add-in wrote into a body, if there is one.
#[must_use]
pub fn teams_join_url(body: &str, kind: BodyKind) -> Option<String> {
    let s = match kind {
        BodyKind::Html => scan::html(body, &ANCHOR_IDS),
        BodyKind::Text => scan::text(body),
    };
    join_link(&s.links)
}

/// Unfolds an iCalendar file and returns its DESCRIPTION (text) and X-ALT-DESC (HTML) values.
fn ics_bodies(ics: &str) -> Vec<(String, bool)> {
    let unfolded = ics
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "");
    unfolded
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let prop = name.split(';').next()?.to_ascii_uppercase();
            let html = match prop.as_str() {
                "DESCRIPTION" => false,
                "X-ALT-DESC" => true,
                _ => return None,
            };
            Some((crate::ics::unescape_text(value), html))
        })
        .collect()
}

fn looks_like_html(body: &str) -> bool {
    body.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// Finds the coordinates and Teams join link in an HTML, text or .ics body, telling them
/// apart by content (`cvi invite extract` without `--text`/`--html`).
#[must_use]
pub fn extract(body: &str) -> Extraction {
    extract_as(body, None)
}

/// Like [`extract`], but `kind` says what the body is when the caller knows (Outlook's
/// coercion type, `--text`): a text body with a `<` in it is still text.
#[must_use]
pub fn extract_as(body: &str, kind: Option<BodyKind>) -> Extraction {
    let parts: Vec<(String, bool)> = match kind {
        Some(k) => vec![(body.to_string(), k == BodyKind::Html)],
        None if body.contains("BEGIN:VCALENDAR") => ics_bodies(body),
        None => vec![(body.to_string(), looks_like_html(body))],
    };
    let mut blocks: Vec<Coordinates> = Vec::new();
    let mut join: Option<String> = None;
    for (text, html) in &parts {
        let s = if *html {
            scan::html(text, &ANCHOR_IDS)
        } else {
            scan::text(text)
        };
        if join.is_none() {
            join = join_link(&s.links);
        }
        for f in find_all(&s, *html) {
            // A block whose link names another meeting than it prints: both are candidates.
            let other = f.link_video_id.map(|id| Coordinates {
                video_id: Some(id),
                direct_dial_uri: None,
                ..f.coordinates.clone()
            });
            blocks.push(f.coordinates);
            blocks.extend(other);
        }
    }
    let mut distinct: Vec<Coordinates> = Vec::new();
    for b in blocks {
        match distinct
            .iter_mut()
            .find(|d| d.tenant_key == b.tenant_key && d.video_id == b.video_id)
        {
            // The same block twice (text and HTML of one .ics, or a quoted copy): merge.
            Some(d) => {
                d.more_info_url = d.more_info_url.take().or(b.more_info_url);
                d.direct_dial_uri = d.direct_dial_uri.take().or(b.direct_dial_uri);
                d.provider = d.provider.or(b.provider);
            }
            None => distinct.push(b),
        }
    }
    for d in &mut distinct {
        d.teams_join_url.clone_from(&join);
    }
    match distinct.len() {
        0 => Extraction::Absent,
        1 => Extraction::Found(Box::new(distinct.remove(0))),
        _ => Extraction::Conflict {
            candidates: distinct,
        },
    }
}
