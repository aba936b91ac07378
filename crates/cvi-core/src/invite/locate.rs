//! Finding blocks in a scanned body: by our anchor id when it survived, else by content
//! (a heading in any language or older wording, then the lines that belong to it).

use std::ops::Range;

use super::{
    lang::{is_heading, is_more_info, label, Label},
    scan::{Line, Scan},
};
use crate::{Coordinates, TenantKey, VideoId};

/// A block found in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its bytes in the body.
    pub range: Range<usize>,
    /// Found by our anchor id (else by its content).
    pub anchored: bool,
    /// Inside quoted or forwarded content (another message's block).
    pub quoted: bool,
    /// What it says.
    pub coordinates: Coordinates,
}

/// The raw value after `label:` in a line as written.
fn raw_value(line: &Line) -> &str {
    line.raw
        .split_once(':')
        .or_else(|| line.raw.split_once('：'))
        .map_or("", |(_, v)| v.trim())
}

/// A line that is nothing but a tenant key, as Microsoft's own blocks put it.
fn bare_tenant_key(line: &Line) -> Option<TenantKey> {
    let raw = line.raw.trim();
    (raw.len() <= 320)
        .then(|| TenantKey::parse(raw).ok())
        .flatten()
}

/// Reads the coordinates that a block's lines state.
fn read(lines: &[Line]) -> Coordinates {
    let mut c = Coordinates::default();
    for line in lines {
        match label(&line.text).map(|(k, _)| k) {
            Some(Label::TenantKey) if c.tenant_key.is_none() => {
                c.tenant_key = TenantKey::parse(raw_value(line)).ok()
            }
            Some(Label::VideoId) if c.video_id.is_none() => {
                let digits: String = raw_value(line)
                    .chars()
                    .take_while(|ch| {
                        ch.is_ascii_digit() || ch.is_whitespace() || *ch == '-' || *ch == '\u{a0}'
                    })
                    .collect();
                c.video_id = VideoId::parse_any(&digits).ok();
            }
            Some(Label::MoreInfo) if c.more_info_url.is_none() => {
                let v = raw_value(line).trim_matches(['<', '>']);
                c.more_info_url = line
                    .links
                    .first()
                    .cloned()
                    .or_else(|| (v.starts_with("https://")).then(|| v.to_string()));
            }
            None if c.more_info_url.is_none() && is_more_info(&line.text) => {
                c.more_info_url = line.links.first().cloned()
            }
            None if c.tenant_key.is_none() => c.tenant_key = bare_tenant_key(line),
            _ => {}
        }
    }
    if let (Some(tk), Some(id)) = (&c.tenant_key, &c.video_id) {
        c.ivr_uri = Some(tk.to_string());
        let tk = tk.to_string();
        c.direct_dial_uri = lines
            .iter()
            // A dial string is ASCII; anything else ends it (Japanese text has no spaces).
            .flat_map(|l| {
                l.raw
                    .split(|ch: char| !(ch.is_ascii_alphanumeric() || "._-+@:%".contains(ch)))
            })
            .find_map(|w| {
                let w = w
                    .trim_matches(|ch: char| matches!(ch, '.' | ':'))
                    .trim_start_matches("sip:");
                (w.contains('@') && w.contains(id.as_str()) && !w.eq_ignore_ascii_case(&tk))
                    .then(|| w.to_string())
            });
    }
    if c.more_info_url.is_none() {
        // An anchored block's only link is its more-info link.
        c.more_info_url = lines
            .iter()
            .flat_map(|l| l.links.iter())
            .find(|u| u.starts_with("https://"))
            .cloned();
    }
    c
}

/// Does `line` continue the block whose lines so far say `c`?
fn continues(line: &Line, c: &Coordinates) -> bool {
    if label(&line.text).is_some() || is_more_info(&line.text) || bare_tenant_key(line).is_some() {
        return true;
    }
    let mentions = |s: &str| line.text.contains(&s.to_lowercase());
    c.video_id
        .as_ref()
        .is_some_and(|v| mentions(v.as_str()) || mentions(&v.grouped()))
        || c.tenant_key
            .as_ref()
            .is_some_and(|t| mentions(&t.to_string()))
}

/// Every block in the body, in order.
pub(crate) fn find_all(scan: &Scan, html: bool) -> Vec<Found> {
    let quoted = |at: usize| scan.quoted.iter().any(|q| q.contains(&at));
    let mut found: Vec<Found> = scan
        .anchors
        .iter()
        .map(|&(start, end)| Found {
            range: start..end,
            anchored: true,
            quoted: quoted(start),
            coordinates: read(
                &scan
                    .lines
                    .iter()
                    .filter(|l| l.start >= start && l.end <= end)
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    let in_anchor = |l: &Line| {
        scan.anchors
            .iter()
            .any(|&(s, e)| l.start >= s && l.start < e)
    };

    let lines = &scan.lines;
    let mut i = 0;
    while i < lines.len() {
        if !is_heading(&lines[i].text) || in_anchor(&lines[i]) {
            i += 1;
            continue;
        }
        // Extend over the lines that belong to the block (a blank text line ends it).
        let mut last = i;
        let mut j = i + 1;
        while j < lines.len() && j <= i + 8 && !lines[j].text.is_empty() && !in_anchor(&lines[j]) {
            let so_far = read(&lines[i..=last]);
            if !continues(&lines[j], &so_far) {
                break;
            }
            last = j;
            j += 1;
        }
        let coordinates = read(&lines[i..=last]);
        if coordinates.video_id.is_none() {
            i += 1;
            continue;
        }
        let (first, end) = (&lines[i], &lines[last]);
        let (mut start, mut stop) = (first.start, end.end);
        if html {
            // Take the tags around the lines along when their partners are inside the
            // range (`<p>heading</p> … <p>more info</p>`), so the splice stays balanced.
            if let Some(o) = first.open.as_ref().filter(|o| !o.is_end) {
                if scan
                    .pairs
                    .iter()
                    .any(|&(s, _, e)| s == o.start && e <= stop)
                {
                    start = o.start;
                }
            }
            if let Some(c) = end.close.as_ref().filter(|c| c.is_end) {
                if scan
                    .pairs
                    .iter()
                    .any(|&(s, cs, _)| cs == c.start && s >= start)
                {
                    stop = c.end;
                }
            }
        }
        let range = start..stop;
        found.push(Found {
            quoted: quoted(range.start),
            range,
            anchored: false,
            coordinates,
        });
        i = last + 1;
    }
    found.sort_by_key(|f| f.range.start);
    // Overlaps cannot be spliced twice: keep the first of any overlapping pair.
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if out
            .last()
            .is_none_or(|prev| f.range.start >= prev.range.end)
        {
            out.push(f);
        }
    }
    out
}
