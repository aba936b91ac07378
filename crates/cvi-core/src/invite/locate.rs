//! Finding blocks in a scanned body: by our anchor id when it survived, else by content.
//!
//! Real invites carry three generations of Microsoft's wording, localized, and partners'
//! variations of them (the samples are in `tests/fixtures/`, with their sources). A block
//! starts at
//! - a heading in a wording we know (ours in every language, Microsoft's older and
//!   localized ones), also when hard-wrapped over two lines;
//! - a tenant-key or Video ID label, when the heading is gone;
//! - a short line that names video or VTC in a wording we do not know — then only if a
//!   tenant key and a 9–10 digit ID follow, which is what such a block is made of.
//!
//! The lines after the start are read for the tenant key (labelled, alone on a line, or
//! before the ID label on the same line), the Video ID (after its label, on the next line
//! when hard-wrapped, or as the first standalone 9–10 digit group), the more-info link and a
//! printed direct-dial address. Lines that say none of these (an organizer's note) may sit
//! between them; the block ends at the last line that says something of it.

use std::ops::Range;

use super::{
    lang::{
        is_heading, is_heading_like, is_more_info, is_wrapped_heading, label, label_colon, Label,
    },
    safe_links::unwrap_link,
    scan::{sort_by_start, Line, Scan},
};
use crate::{
    dial_plan::{self, read_more_info},
    https_url::HttpsUrl,
    Coordinates, Provider, TenantKey, VideoId,
};

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
    /// The Video ID that the block's own more-info link names, when it names another one
    /// than the block prints: the block contradicts itself.
    pub link_video_id: Option<VideoId>,
}

/// How many non-empty lines after its start a block may span.
const WINDOW: usize = 10;

/// The words of a line that could be addresses: `sip:`/`mailto:` and punctuation around
/// them dropped.
fn addresses(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(|c: char| !(c.is_ascii_alphanumeric() || "._-+@:%".contains(c)))
        .map(|w| {
            let w = w.trim_matches(|c: char| matches!(c, '.' | ':' | '-'));
            ["mailto:", "sips:", "sip:"]
                .iter()
                .find_map(|p| {
                    w.get(..p.len())
                        .filter(|h| h.eq_ignore_ascii_case(p))
                        .map(|_| &w[p.len()..])
                })
                .unwrap_or(w)
        })
        .filter(|w| w.contains('@'))
}

/// The first tenant key in `raw` that is not a dial string carrying `id`.
fn tenant_key_in(raw: &str, id: Option<&VideoId>) -> Option<TenantKey> {
    addresses(raw).find_map(|w| {
        let tk = TenantKey::parse(w).ok()?;
        let dials_id = id.is_some_and(|id| tk.key().contains(id.as_str()));
        (!dials_id && w.len() <= 320).then_some(tk)
    })
}

/// Separators that real invites put inside a grouped Video ID: spaces of every width
/// (no-break, narrow no-break, thin, figure) and dashes.
fn id_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\u{2002}' | '-'
    )
}

/// The first standalone group of 9 or 10 digits in `raw` (`118 412 603`, `0187654321`,
/// `119 204 377 5`) outside links, addresses and `<…>`; a group followed by `#` is a phone
/// conference ID and a group after `+` a phone number, so neither counts.
fn video_id_in(raw: &str) -> Option<VideoId> {
    // Blank out words that are links or addresses, keeping every other character in place.
    let mut clean: Vec<char> = Vec::with_capacity(raw.len());
    let mut in_angle = false;
    for word in raw.split_inclusive(char::is_whitespace) {
        let link = word.contains("://") || word.contains('@') || word.contains("tel:");
        for c in word.chars() {
            match c {
                '<' => in_angle = true,
                '>' => in_angle = false,
                _ => {}
            }
            clean.push(if link || in_angle || c == '<' || c == '>' {
                'x'
            } else {
                c
            });
        }
    }
    let mut i = 0;
    while i < clean.len() {
        if !clean[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let before = i.checked_sub(1).map(|b| clean[b]);
        let mut digits = String::new();
        let mut j = i;
        while j < clean.len() {
            if clean[j].is_ascii_digit() {
                digits.push(clean[j]);
                j += 1;
            } else if id_separator(clean[j]) && clean.get(j + 1).is_some_and(char::is_ascii_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let after = clean.get(j).copied();
        // ASCII classes only: Unicode's tables would cost the wasm bundle kilobytes, and
        // letters of other scripts do not glue to an ID the way `x1234567890` does.
        let standalone = !before.is_some_and(|c| c.is_ascii_alphanumeric() || "+#,.=/".contains(c))
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '#' || c == '@');
        if standalone && (9..=10).contains(&digits.len()) {
            return VideoId::parse_any(&digits).ok();
        }
        i = j.max(i + 1);
    }
    None
}

/// The raw text before and after a line's label colon.
fn split_at_colon(raw: &str) -> (&str, &str) {
    match label_colon(raw) {
        Some((at, len)) => (&raw[..at], &raw[at + len..]),
        None => (raw, ""),
    }
}

/// A line that is nothing but a tenant key (with a `<mailto:…>` after it, as plain-text
/// bodies print links), as Microsoft's 2021–22 blocks put it.
fn bare_tenant_key(line: &Line) -> Option<TenantKey> {
    let raw = line.raw.trim();
    let raw = raw.split('<').next().unwrap_or("").trim();
    (raw.len() <= 320)
        .then(|| TenantKey::parse(raw.trim_start_matches("mailto:")).ok())
        .flatten()
}

/// Reads a block's lines one by one.
struct Reader {
    c: Coordinates,
    /// A label whose value is on the next line (hard-wrapped bodies, table cells).
    pending: Option<Label>,
    /// Lines that said something of the block (indices into the body's lines).
    last: Option<usize>,
    /// Every line read so far, for the second pass (printed dial string, links).
    read: Range<usize>,
    /// The more-info line was read: every wording we know ends with it, so what follows
    /// (the organizer's own line naming the tenant key, say) is not the block's unless it is
    /// the partner's link alone.
    ended: bool,
}

impl Reader {
    fn new(at: usize) -> Self {
        Reader {
            c: Coordinates::default(),
            pending: None,
            last: None,
            read: at..at,
            ended: false,
        }
    }

    fn apply(&mut self, kind: Label, value: &str, line: &Line) -> bool {
        match kind {
            Label::TenantKey if self.c.tenant_key.is_none() => {
                self.c.tenant_key = tenant_key_in(value, None);
                self.c.tenant_key.is_some()
            }
            Label::VideoId if self.c.video_id.is_none() => {
                self.c.video_id = video_id_in(value);
                self.c.video_id.is_some()
            }
            Label::MoreInfo if self.c.more_info_url.is_none() => {
                let v = value.trim().trim_matches(['<', '>']);
                self.c.more_info_url = line
                    .links
                    .first()
                    .cloned()
                    .or_else(|| v.contains("://").then(|| v.to_string()));
                true
            }
            // Said already: a second value is no part of this block.
            _ => false,
        }
    }

    /// Reads line `i`; true when it says something of the block.
    fn feed(&mut self, lines: &[Line], i: usize) {
        self.read.end = i + 1;
        if self.classify(lines, i) {
            self.last = Some(i);
        }
    }

    fn classify(&mut self, lines: &[Line], i: usize) -> bool {
        let line = &lines[i];
        if let Some(kind) = self.pending.take() {
            if self.apply(kind, line.raw.trim(), line) {
                return true;
            }
        }
        if self.ended {
            // Only the partner's link on a line of its own (a more-info label whose URL
            // wrapped onto the next line).
            let bare = line
                .raw
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            return !bare.contains(char::is_whitespace) && partner_link(bare).is_some();
        }
        // A label, or one hard-wrapped over this line and the one before.
        let joined;
        let labelled = match label(&line.text) {
            Some(l) => Some((l, line.raw.as_str())),
            // Only a label's first words may be on the line before (`Video Conference` /
            // `ID: 119 …`), never a whole line of its own.
            None if i > self.read.start
                && label_colon(&line.text).is_some()
                && label_colon(&lines[i - 1].text).is_none() =>
            {
                joined = format!("{} {}", lines[i - 1].text, line.text);
                label(&joined).map(|l| (l, line.raw.as_str()))
            }
            None => None,
        };
        if let Some((kind, raw)) = labelled {
            self.ended |= kind == Label::MoreInfo;
            let (before, value) = split_at_colon(raw);
            if self.c.tenant_key.is_none() && kind != Label::TenantKey {
                self.c.tenant_key = tenant_key_in(before, None);
            }
            if value.trim().is_empty() && kind != Label::MoreInfo {
                self.pending = Some(kind);
            } else {
                self.apply(kind, value, line);
            }
            return true;
        }
        let wrapped_more_info = i > self.read.start
            && line.text.len() < 40
            && is_more_info(&format!("{} {}", lines[i - 1].text, line.text));
        if is_more_info(&line.text) || wrapped_more_info {
            self.ended = true;
            if self.c.more_info_url.is_none() {
                self.c.more_info_url = line.links.first().cloned();
            }
            return true;
        }
        if self.c.tenant_key.is_none() {
            if let Some(tk) = bare_tenant_key(line) {
                self.c.tenant_key = Some(tk);
                return true;
            }
        }
        // A wording we do not know: the block's own values say the line is part of it.
        let mut belongs = false;
        if self.c.tenant_key.is_none() {
            self.c.tenant_key = tenant_key_in(&line.raw, self.c.video_id.as_ref());
            belongs |= self.c.tenant_key.is_some();
        }
        if self.c.video_id.is_none() && self.c.tenant_key.is_some() {
            self.c.video_id = video_id_in(&line.raw);
            belongs |= self.c.video_id.is_some();
        }
        let mentions = |s: &str| line.text.contains(&s.to_ascii_lowercase());
        belongs
            || self
                .c
                .video_id
                .as_ref()
                .is_some_and(|v| mentions(v.as_str()) || mentions(&v.grouped()))
            || self
                .c
                .tenant_key
                .as_ref()
                .is_some_and(|t| mentions(&t.to_string()))
            || line.links.iter().any(|l| partner_link(l).is_some())
    }

    /// Fills in what the lines imply: provider, IVR, direct dial, the more-info link.
    fn finish(mut self, lines: &[Line], anchored: bool) -> (Coordinates, Option<VideoId>) {
        let block = &lines[self.read.clone()];
        let links = || {
            block
                .iter()
                .flat_map(|l| l.links.iter())
                .map(|l| unwrap_link(l))
        };
        if self.c.more_info_url.is_none() {
            self.c.more_info_url = links().find(|l| {
                partner_link(l).is_some()
                    || self
                        .c
                        .video_id
                        .as_ref()
                        .is_some_and(|id| l.contains(id.as_str()))
            });
        }
        if self.c.more_info_url.is_none() && anchored {
            // An anchored block's only link is its more-info link.
            self.c.more_info_url = links().find(|u| HttpsUrl::parse(u).is_some());
        }
        // Only a link a browser would open as https is kept (`java\tscript:` is not).
        let url = self
            .c
            .more_info_url
            .take()
            .and_then(|u| HttpsUrl::parse(&unwrap_link(&u)));
        self.c.more_info_url = url.as_ref().map(|u| u.as_str().to_string());
        let link = url.as_ref().and_then(read_more_info);
        let link_id = link
            .as_ref()
            .and_then(|l| l.video_id.as_deref())
            .and_then(|id| VideoId::parse_any(id).ok());
        if self.c.tenant_key.is_none() {
            self.c.tenant_key = link.as_ref().and_then(|l| l.tenant_key.clone());
        }
        let printed_id = self.c.video_id.is_some();
        if !printed_id {
            self.c.video_id.clone_from(&link_id);
        }
        let c = &mut self.c;
        c.provider = c
            .tenant_key
            .as_ref()
            .and_then(|tk| dial_plan::provider_of_domain(tk.domain()))
            .or(link.as_ref().map(|l| l.provider));
        if let (Some(tk), Some(id)) = (&c.tenant_key, &c.video_id) {
            c.ivr_uri = Some(tk.to_string());
            c.direct_dial_uri = printed_direct_dial(block, tk, id)
                .or_else(|| link.as_ref().and_then(|l| l.direct_dial_uri.clone()))
                .or_else(|| {
                    c.provider.map(|p| {
                        dial_plan::dial_strings(&Provider::new(p, tk.clone()), id).direct_dial_uri
                    })
                });
        } else if let Some(tk) = &c.tenant_key {
            c.ivr_uri = Some(tk.to_string());
        }
        let disagrees = link_id.filter(|l| printed_id && Some(l) != self.c.video_id.as_ref());
        (self.c, disagrees)
    }
}

/// A link that a partner publishes for its meetings (see [`dial_plan::read_more_info`]).
fn partner_link(url: &str) -> Option<dial_plan::MoreInfoLink> {
    read_more_info(&HttpsUrl::parse(&unwrap_link(url))?)
}

/// A direct-dial address printed in the block: an address carrying the Video ID that is
/// not the tenant key. A dial string is ASCII; anything else ends it (Japanese text has
/// no spaces around it).
fn printed_direct_dial(block: &[Line], tk: &TenantKey, id: &VideoId) -> Option<String> {
    let tk = tk.to_string();
    block
        .iter()
        .flat_map(|l| addresses(&l.raw))
        .find(|w| w.contains(id.as_str()) && !w.eq_ignore_ascii_case(&tk) && !w.contains("://"))
        .map(str::to_string)
}

/// Where a block may start, and how sure that is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    /// A known heading over `n` lines.
    Heading(usize),
    /// A known label: the heading is gone.
    Label,
    /// A heading-like line in a wording we do not know.
    Unknown,
}

fn start_at(lines: &[Line], i: usize) -> Option<Start> {
    let text = &lines[i].text;
    if is_heading(text) {
        return Some(Start::Heading(1));
    }
    if let Some(next) = lines.get(i + 1) {
        if is_wrapped_heading(text, &next.text) {
            return Some(Start::Heading(2));
        }
    }
    match label(text) {
        Some(Label::TenantKey | Label::VideoId) => Some(Start::Label),
        Some(_) => None,
        None if is_heading_like(text) => Some(Start::Unknown),
        None => None,
    }
}

/// A line that ends any block: Teams' section rules (`_____`, `-----`).
fn is_rule(line: &Line) -> bool {
    let t = line.text.trim();
    t.chars().count() >= 10 && (t.chars().all(|c| c == '_') || t.chars().all(|c| c == '-'))
}

/// Every block in the body, in order.
pub(crate) fn find_all(scan: &Scan, html: bool) -> Vec<Found> {
    let lines = &scan.lines;
    let quoted = |at: usize| scan.quoted.iter().any(|q| q.contains(&at));
    let mut found: Vec<Found> = scan
        .anchors
        .iter()
        .map(|&(start, end)| {
            let first = lines.partition_point(|l| l.start < start);
            let last = lines.partition_point(|l| l.end <= end).max(first);
            let inside: Vec<usize> = (first..last)
                .filter(|&i| lines[i].start >= start && lines[i].end <= end)
                .collect();
            let mut r = Reader::new(inside.first().copied().unwrap_or(first));
            for &i in &inside {
                r.feed(lines, i);
            }
            let (coordinates, link_video_id) = r.finish(lines, true);
            Found {
                range: start..end,
                anchored: true,
                quoted: quoted(start),
                coordinates,
                link_video_id,
            }
        })
        .collect();
    let in_anchor = |l: &Line| {
        scan.anchors
            .iter()
            .any(|&(s, e)| l.start >= s && l.start < e)
    };

    let mut i = 0;
    while i < lines.len() {
        let Some(start) = (!in_anchor(&lines[i]))
            .then(|| start_at(lines, i))
            .flatten()
        else {
            i += 1;
            continue;
        };
        let mut first = i;
        let mut r = Reader::new(i);
        let from = match start {
            Start::Heading(n) => {
                r.last = Some(i + n - 1);
                i + n
            }
            Start::Label => {
                // The tenant key may stand alone on the line above a Video ID label.
                if let Some(prev) = i.checked_sub(1).filter(|&p| !in_anchor(&lines[p])) {
                    if bare_tenant_key(&lines[prev]).is_some()
                        && found
                            .last()
                            .is_none_or(|f| f.range.end <= lines[prev].start)
                    {
                        first = prev;
                        r = Reader::new(prev);
                        r.feed(lines, prev);
                    }
                }
                i
            }
            // The heading line itself may carry the tenant key (`… device  key@domain`).
            Start::Unknown => {
                r.last = Some(i);
                i
            }
        };
        r.read = first..from.max(first);
        // A block is all quoted or not at all: a quoted line after ours (a reply that names
        // our Video ID) is the other message's, and replacing our block must leave it.
        let in_quote = quoted(lines[first].start);
        let (mut seen, mut blank) = (0, 0);
        let mut j = from;
        while j < lines.len() && seen < WINDOW {
            let l = &lines[j];
            if l.text.is_empty() {
                blank += 1;
                if blank >= 2 {
                    break;
                }
                j += 1;
                continue;
            }
            blank = 0;
            if in_anchor(l)
                || is_rule(l)
                || quoted(l.start) != in_quote
                || (j > from && is_heading(&l.text))
            {
                break;
            }
            r.feed(lines, j);
            seen += 1;
            j += 1;
        }
        let last = r.last.unwrap_or(i);
        r.read = first..last + 1;
        let (coordinates, link_video_id) = r.finish(lines, false);
        let (has_tk, has_id) = (
            coordinates.tenant_key.is_some(),
            coordinates.video_id.is_some(),
        );
        let is_block = match start {
            Start::Heading(_) => has_tk || has_id,
            Start::Label => has_id,
            Start::Unknown => has_tk && has_id,
        };
        if !is_block {
            i += 1;
            continue;
        }
        let mut range = splice_range(scan, html, &lines[first], &lines[last]);
        // A block found by content inside our anchor whose end was lost (a mangled old
        // block): the element is ours from its start tag on, so the block starts there.
        // Left in place, the orphaned start tag would wrap the new block, close on the new
        // block's end tag, and the next upsert would replace the wrapper with everything in
        // it — not idempotent.
        if let Some(&tag_start) = scan.unclosed_anchors.iter().find(|&&s| {
            s < range.start
                && quoted(s) == quoted(range.start)
                && found
                    .iter()
                    .all(|f| f.range.end <= s || f.range.start >= range.end)
        }) {
            range.start = tag_start;
        }
        found.push(Found {
            quoted: quoted(range.start),
            range,
            anchored: false,
            coordinates,
            link_video_id,
        });
        i = last + 1;
    }
    sort_by_start(&mut found, |f| f.range.start);
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

/// The bytes of a block found by content. In HTML, the tags around its first and last
/// lines come along when their partners are inside the range (`<p>heading</p> … <p>more
/// info</p>`), so the splice stays balanced.
fn splice_range(scan: &Scan, html: bool, first: &Line, end: &Line) -> Range<usize> {
    let (mut start, mut stop) = (first.start, end.end);
    if html {
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
    start..stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_ids_in_text() {
        let id = |s: &str| video_id_in(s).map(|v| v.as_str().to_string());
        assert_eq!(
            id("VTC Conference ID: 017988591 "),
            Some("017988591".into())
        );
        assert_eq!(
            id("119\u{202f}204\u{2009}377\u{a0}5"),
            Some("1192043775".into())
        );
        assert_eq!(id("Phone Conference ID: 353 854 704#"), None);
        assert_eq!(id("Meeting ID: 393 410 478 838"), None);
        assert_eq!(id("+358 985626463"), None);
        assert_eq!(id("813878896@t.plcm.vc"), None);
        assert_eq!(id("More info<https://pexip.me/teams/x.y/1242444194>"), None);
        assert_eq!(id("12345678"), None);
        assert_eq!(id("dial 55+ ID (551127180739)"), None);
    }

    #[test]
    fn tenant_keys_in_text() {
        let tk = |s: &str| tenant_key_in(s, None).map(|t| t.to_string());
        assert_eq!(
            tk("813878896@t.plcm.vc<mailto:813878896@t.plcm.vc> VTC Conference ID: 017988591"),
            Some("813878896@t.plcm.vc".into())
        );
        assert_eq!(
            tk("sip:teams@Video.Example.com;transport=tls"),
            Some("teams@video.example.com".into())
        );
        assert_eq!(tk("no address here"), None);
        let id = VideoId::parse_any("1223269647").unwrap();
        assert_eq!(
            tenant_key_in("813878896.1223269647@t.plcm.vc", Some(&id)),
            None
        );
    }
}
