//! The invite block: what users see in the meeting body ("Join on a video conferencing
//! device", tenant key, Video ID, dial strings, more-info link), and the surgery that puts
//! it there.
//!
//! Invariants, each covered by property tests: upserting twice equals upserting once;
//! removing an upserted block gives back the original bytes; a body never ends up with two
//! of our blocks outside quoted content; every byte outside the block is unchanged (the
//! block is spliced in by byte offsets, nothing is re-serialized); no field can inject
//! markup; no input panics.

mod extract;
mod lang;
mod locate;
mod render;
mod safe_links;
mod scan;
mod tokenize;

pub use extract::{extract, extract_as, teams_join_url, Extraction};
pub use lang::Lang;
pub use locate::Found;
pub use render::{escape as escape_html, render};

use crate::Block;

/// The id of the block's root element. Outlook on the web rewrites ids to `x_<id>`.
pub const ANCHOR_ID: &str = "cvi-vtc-block";
const ANCHOR_IDS: [&str; 2] = [ANCHOR_ID, "x_cvi-vtc-block"];

/// A body's coercion type, as Office.js names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Html,
    Text,
}

fn scan(body: &str, kind: BodyKind) -> scan::Scan {
    match kind {
        BodyKind::Html => scan::html(body, &ANCHOR_IDS),
        BodyKind::Text => scan::text(body),
    }
}

/// The block for `coords`: the one the server rendered when it sent one (so every client
/// writes the server's bytes), else rendered here in `lang`.
#[must_use]
pub fn block_of(coords: &crate::Coordinates, lang: Lang) -> Block {
    coords.block.clone().unwrap_or_else(|| render(coords, lang))
}

/// Every block in `body`, ours or not, quoted or not, in order.
#[must_use]
pub fn find(body: &str, kind: BodyKind) -> Vec<Found> {
    locate::find_all(&scan(body, kind), kind == BodyKind::Html)
}

/// Blank lines that separate an inserted text block from the body around it.
const TEXT_GAP: &str = "\n\n";

/// Inserts `block` into `body`, or replaces the block already there (in place). Blocks in
/// quoted or forwarded content belong to other messages and are left alone; if the body
/// holds several unquoted blocks, the first is replaced and the others removed, so exactly
/// one remains.
///
/// A new HTML block goes before the quoted part if there is one, else before `</body>`,
/// else at the end — unless the body ends inside an unterminated comment, tag or
/// `<script>`, where appended markup would not be markup: then it goes at the start of the
/// body. A new text block goes before the quoted part or at the end, one blank line apart.
///
/// ```
/// use cvi_core::{invite::{render, upsert, BodyKind, Lang}, Coordinates, TenantKey, VideoId};
/// let c = Coordinates { tenant_key: Some(TenantKey::parse("1@t.plcm.vc").unwrap()),
///     video_id: Some(VideoId::from_body(7)), ..Coordinates::default() };
/// let block = render(&c, Lang::En);
/// let body = "<html><body><p>Agenda</p></body></html>";
/// let once = upsert(body, BodyKind::Html, &block);
/// assert_eq!(upsert(&once, BodyKind::Html, &block), once);
/// assert!(once.starts_with("<html><body><p>Agenda</p><div id=\"cvi-vtc-block\""));
/// ```
#[must_use]
pub fn upsert(body: &str, kind: BodyKind, block: &Block) -> String {
    let (mut out, settled) = upsert_once(body, kind, block);
    if settled {
        return out;
    }
    // Removing extra blocks, or a wrapper whose end was lost, changes the markup the rest
    // of the body is read in, and a block that read as text may now read as one: upsert
    // again until nothing changes, so that upserting the result changes nothing either.
    for _ in 0..MAX_SETTLE {
        let (next, _) = upsert_once(&out, kind, block);
        if next == out {
            break;
        }
        out = next;
    }
    out
}

/// Further passes of [`upsert`] over a body that held several blocks (the fuzz target has
/// needed one).
const MAX_SETTLE: usize = 3;

/// One pass of [`upsert`], and whether the result is settled: it is when the body held at
/// most one unquoted block and no anchor of ours that never closes.
fn upsert_once(body: &str, kind: BodyKind, block: &Block) -> (String, bool) {
    let s = scan(body, kind);
    let ours: Vec<Found> = locate::find_all(&s, kind == BodyKind::Html)
        .into_iter()
        .filter(|f| !f.quoted)
        .collect();
    let new = match kind {
        BodyKind::Html => block.html.as_str(),
        BodyKind::Text => block.text.as_str(),
    };
    let settled = ours.len() <= 1 && s.unclosed_anchors.is_empty();
    let Some((first, rest)) = ours.split_first() else {
        return (insert(body, kind, &s, new), true);
    };
    let mut out = String::with_capacity(body.len() + new.len());
    out.push_str(&body[..first.range.start]);
    out.push_str(new);
    let mut at = first.range.end;
    for f in rest {
        let r = removal_range(body, kind, f);
        out.push_str(&body[at..r.start]);
        at = r.end;
    }
    out.push_str(&body[at..]);
    (out, settled)
}

fn insert(body: &str, kind: BodyKind, s: &scan::Scan, new: &str) -> String {
    let (at, before, after) = match kind {
        BodyKind::Html => {
            let quoted = s.quoted.first().map(|q| q.start);
            let at = quoted.or(s.body_end).unwrap_or(if s.eof_clean {
                body.len()
            } else {
                s.body_start
            });
            (at, "", "")
        }
        BodyKind::Text => match s.quoted.first() {
            Some(q) => (q.start, "", TEXT_GAP),
            None if body.is_empty() => (0, "", ""),
            None => (body.len(), TEXT_GAP, ""),
        },
    };
    let mut out = String::with_capacity(body.len() + new.len() + 4);
    out.push_str(&body[..at]);
    out.push_str(before);
    out.push_str(new);
    out.push_str(after);
    out.push_str(&body[at..]);
    out
}

/// The bytes to delete for a block: in text bodies, with the blank line that
/// [`upsert`] put between it and the body.
fn removal_range(body: &str, kind: BodyKind, f: &Found) -> std::ops::Range<usize> {
    let r = f.range.clone();
    if kind == BodyKind::Text {
        if r.end == body.len() && body[..r.start].ends_with(TEXT_GAP) {
            return r.start - TEXT_GAP.len()..r.end;
        }
        if body[r.end..].starts_with(TEXT_GAP) {
            return r.start..r.end + TEXT_GAP.len();
        }
    }
    r
}

/// Removes every unquoted block from `body`; everything else stays byte for byte.
#[must_use]
pub fn remove(body: &str, kind: BodyKind) -> String {
    remove_where(body, kind, |_| true)
}

/// Removes the unquoted blocks for which `which` says yes (ours, say, and not a block
/// someone else wrote); everything else stays byte for byte.
#[must_use]
pub fn remove_where(body: &str, kind: BodyKind, which: impl Fn(&Found) -> bool) -> String {
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    for f in find(body, kind).iter().filter(|f| !f.quoted && which(f)) {
        let r = removal_range(body, kind, f);
        if r.start < at {
            continue;
        }
        out.push_str(&body[at..r.start]);
        at = r.end;
    }
    out.push_str(&body[at..]);
    out
}
