//! Bodies as lines of text with byte offsets, so blocks can be found by what they say and
//! spliced out without re-serializing anything.
//!
//! HTML goes through [`super::tokenize`], which splits tag soup from Word and Outlook on
//! the web where a browser would and reports byte spans. A tokenizer, not a tree builder,
//! is all this needs. Block-level tags and `<br>` end lines; the text of one line may be
//! split across any number of inline elements, as Word does.

use super::{
    lang::normalize,
    tokenize::{tokenize, Token},
};

/// A tag's name and byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub name: &'static [u8],
    pub start: usize,
    pub end: usize,
    pub is_end: bool,
}

/// One line of visible text.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Normalized text (lower case, single spaces).
    pub text: String,
    /// The text as written (decoded), for values such as URLs.
    pub raw: String,
    /// Bytes from the end of the boundary before the line to the start of the one after
    /// (HTML), or the line itself without its newline (text).
    pub start: usize,
    pub end: usize,
    /// The boundary tags around the line (HTML only).
    pub open: Option<Tag>,
    pub close: Option<Tag>,
    /// Link targets in the line (Safe Links' `originalsrc` preferred over `href`).
    pub links: Vec<String>,
}

/// A scanned body.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub lines: Vec<Line>,
    /// Quoted or forwarded content: `<blockquote>` elements, and everything after a reply
    /// header. The first one's start is where a new block goes.
    pub quoted: Vec<std::ops::Range<usize>>,
    /// Start of `</body>` (HTML), where a new block goes when nothing is quoted.
    pub body_end: Option<usize>,
    /// Start tags carrying our anchor id, with their matching end tags.
    pub anchors: Vec<(usize, usize)>,
    /// Starts of start tags carrying our anchor id that never close: the wrapper of an
    /// old block whose end was lost (see `locate::find_all`).
    pub unclosed_anchors: Vec<usize>,
    /// Every link target in the body, for the Teams join URL.
    pub links: Vec<String>,
    /// End of the `<body>` start tag (0 without one): always a safe place to insert.
    pub body_start: usize,
    /// Block-level elements as (start tag start, end tag start, end tag end), in the order
    /// they close. Looked up only for found blocks, so a list is enough.
    pub pairs: Vec<(usize, usize, usize)>,
    /// False when the body ends inside a comment, tag, or `<script>`-like element, where
    /// appended markup would not be markup (see [`super::upsert`]).
    pub eof_clean: bool,
}

const BLOCK_TAGS: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"body",
    b"br",
    b"center",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"footer",
    b"form",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"header",
    b"hr",
    b"html",
    b"li",
    b"main",
    b"nav",
    b"ol",
    b"p",
    b"pre",
    b"section",
    b"table",
    b"tbody",
    b"td",
    b"tfoot",
    b"th",
    b"thead",
    b"title",
    b"tr",
    b"ul",
];
/// Elements that never have an end tag.
const VOID_TAGS: &[&[u8]] = &[
    b"br", b"hr", b"img", b"meta", b"link", b"input", b"wbr", b"col", b"area", b"base", b"source",
];
/// Elements whose text is not part of the message (`<style>` in Word's `<head>`).
const HIDDEN_TAGS: &[&[u8]] = &[b"script", b"style", b"title", b"xml"];
/// Markers of quoted/forwarded content: Outlook's reply header div, Outlook on the web's
/// `appendonsend`, Gmail's quote class (ids may carry Outlook on the web's `x_` prefix).
const QUOTE_MARKERS: &[&str] = &["divrplyfwdmsg", "appendonsend", "gmail_quote"];
/// Lines longer than this cannot be headings or labels: their normalized text is not kept.
const MAX_MEANINGFUL_LINE: usize = 400;

fn has(list: &[&[u8]], name: &[u8]) -> bool {
    list.contains(&name)
}

/// The static spelling of a block-level tag name (no allocation per tag).
fn block_tag(name: &[u8]) -> Option<&'static [u8]> {
    BLOCK_TAGS.iter().copied().find(|t| *t == name)
}

fn finish_line(mut line: Line, close: Option<Tag>, end: usize) -> Line {
    line.end = end;
    line.close = close;
    line.text = if line.raw.len() <= MAX_MEANINGFUL_LINE {
        normalize(&line.raw)
    } else {
        "\u{fffd}".into()
    };
    line
}

/// The attributes of the start tag being read that matter here.
#[derive(Default)]
struct Attrs {
    name: Vec<u8>,
    start: usize,
    /// `id` is one of our anchor ids.
    anchor: bool,
    /// `id` or `class` marks quoted content.
    quote_marker: bool,
    href: Option<String>,
    originalsrc: Option<String>,
}

/// State of one HTML scan, fed by the tokenizer's events.
struct HtmlScanner<'a> {
    body: &'a str,
    anchor_ids: &'a [&'a str],
    scan: Scan,
    tag: Attrs,
    cur: Option<Line>,
    last_boundary: Option<Tag>,
    pending_links: Vec<String>,
    hidden_depth: usize,
    open_blocks: Vec<(&'static [u8], usize)>,
    /// Open anchors: tag name, start, nesting depth of same-named elements inside.
    open_anchors: Vec<(Vec<u8>, usize, usize)>,
    quote_marker_seen: bool,
}

impl HtmlScanner<'_> {
    fn boundary(&mut self, tag: Tag) {
        if let Some(line) = self.cur.take() {
            let start = tag.start;
            self.scan
                .lines
                .push(finish_line(line, Some(tag.clone()), start));
        }
        self.last_boundary = Some(tag);
        self.pending_links.clear();
    }

    fn start_tag(&mut self, self_closing: bool, end: usize) {
        let mut a = std::mem::take(&mut self.tag);
        let name = a.name.as_slice();
        let start = a.start;
        if !self.quote_marker_seen && a.quote_marker {
            // A reply/forward header: the rest of the body is the earlier message.
            self.quote_marker_seen = true;
            self.scan.quoted.push(start..self.body.len());
        }
        let void = self_closing || has(VOID_TAGS, name);
        if !void {
            if has(HIDDEN_TAGS, name) {
                self.hidden_depth += 1;
            }
            for anchor in self.open_anchors.iter_mut().filter(|(n, _, _)| n == name) {
                anchor.2 += 1;
            }
            if a.anchor {
                self.open_anchors.push((name.to_vec(), start, 0));
            }
        }
        if name == b"body" && self.scan.body_start == 0 {
            self.scan.body_start = end;
        }
        if name == b"a" {
            if let Some(target) = a.originalsrc.take().or(a.href.take()) {
                self.scan.links.push(target.clone());
                match self.cur.as_mut() {
                    Some(line) => line.links.push(target),
                    // A link that starts a line belongs to the line's first text.
                    None => self.pending_links.push(target),
                }
            }
        }
        if let Some(block) = block_tag(name) {
            if !void {
                self.open_blocks.push((block, start));
            }
            self.boundary(Tag {
                name: block,
                start,
                end,
                is_end: false,
            });
        }
        // Keep the buffers for the next tag.
        a.name.clear();
        self.tag = Attrs {
            name: a.name,
            ..Attrs::default()
        };
    }

    fn end_tag(&mut self, name: &[u8], start: usize, end: usize) {
        if has(HIDDEN_TAGS, name) {
            self.hidden_depth = self.hidden_depth.saturating_sub(1);
        }
        if name == b"body" && self.scan.body_end.is_none() {
            self.scan.body_end = Some(start);
        }
        // The innermost same-named anchor at depth 0 closes; outer ones step out one level.
        let mut closed = None;
        for (i, anchor) in self
            .open_anchors
            .iter_mut()
            .enumerate()
            .filter(|(_, (n, _, _))| n == name)
        {
            if anchor.2 == 0 {
                closed = Some(i);
            } else {
                anchor.2 -= 1;
            }
        }
        if let Some(i) = closed {
            let (_, anchor_start, _) = self.open_anchors.remove(i);
            self.scan.anchors.push((anchor_start, end));
        }
        if let Some(pos) = self.open_blocks.iter().rposition(|(n, _)| *n == name) {
            // Tag soup: an end tag closes its element and anything left open inside.
            let open_start = self.open_blocks[pos].1;
            self.open_blocks.truncate(pos);
            self.scan.pairs.push((open_start, start, end));
            if name == b"blockquote" {
                self.scan.quoted.push(open_start..end);
            }
        }
        if let Some(block) = block_tag(name) {
            self.boundary(Tag {
                name: block,
                start,
                end,
                is_end: true,
            });
        }
    }

    fn text(&mut self, text: &str) {
        if self.hidden_depth > 0 {
            return;
        }
        if self.cur.is_none() {
            if text
                .trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')
                .is_empty()
            {
                return;
            }
            self.cur = Some(Line {
                text: String::new(),
                raw: String::new(),
                start: self.last_boundary.as_ref().map_or(0, |b| b.end),
                end: 0,
                open: self.last_boundary.clone(),
                close: None,
                links: std::mem::take(&mut self.pending_links),
            });
        }
        if let Some(line) = self.cur.as_mut() {
            line.raw.push_str(text);
        }
    }

    fn attr(&mut self, name: &str, value: &str) {
        let name = name.as_bytes();
        // Decided here, on the borrowed value: ids and classes are on every other tag.
        let marks_quote = || {
            let v = value.to_ascii_lowercase();
            QUOTE_MARKERS.iter().any(|m| v.contains(m))
        };
        let slot = if name.eq_ignore_ascii_case(b"id") {
            self.tag.anchor |= self
                .anchor_ids
                .iter()
                .any(|x| x.eq_ignore_ascii_case(value));
            self.tag.quote_marker |= marks_quote();
            return;
        } else if name.eq_ignore_ascii_case(b"class") {
            self.tag.quote_marker |= marks_quote();
            return;
        } else if name.eq_ignore_ascii_case(b"href") {
            &mut self.tag.href
        } else if name.eq_ignore_ascii_case(b"originalsrc") {
            &mut self.tag.originalsrc
        } else {
            return;
        };
        *slot = Some(value.to_string());
    }

    fn token(&mut self, token: Token<'_>, start: usize, end: usize) {
        match token {
            Token::StartTag { name } => {
                self.tag.name.clear();
                self.tag
                    .name
                    .extend(name.bytes().map(|b| b.to_ascii_lowercase()));
                self.tag.start = start;
            }
            Token::Attr { name, value } => self.attr(name, &value),
            Token::StartTagEnd { self_closing } => self.start_tag(self_closing, end),
            Token::EndTag { name } => {
                let name = name.to_ascii_lowercase();
                self.end_tag(name.as_bytes(), start, end);
            }
            Token::Text(t) => self.text(&t),
        }
    }
}

/// Scans an HTML body.
pub(crate) fn html(body: &str, anchor_ids: &[&str]) -> Scan {
    let mut sc = HtmlScanner {
        body,
        anchor_ids,
        scan: Scan {
            eof_clean: true,
            ..Scan::default()
        },
        tag: Attrs::default(),
        cur: None,
        last_boundary: None,
        pending_links: Vec::new(),
        hidden_depth: 0,
        open_blocks: Vec::new(),
        open_anchors: Vec::new(),
        quote_marker_seen: false,
    };
    sc.scan.eof_clean = tokenize(body, |t, start, end| sc.token(t, start, end));
    if let Some(line) = sc.cur.take() {
        sc.scan.lines.push(finish_line(line, None, body.len()));
    }
    let mut scan = sc.scan;
    // An unclosed <blockquote> quotes the rest of the body.
    if let Some((_, start)) = sc.open_blocks.iter().find(|(n, _)| *n == b"blockquote") {
        scan.quoted.push(*start..body.len());
    }
    sort_by_start(&mut scan.quoted, |r| r.start);
    scan.anchors.sort_unstable();
    scan.unclosed_anchors = sc.open_anchors.iter().map(|&(_, start, _)| start).collect();
    scan
}

/// Sorts `v` by `start`, keeping equal starts in their order. Every sort in the block
/// engine goes through one sort of `(usize, usize)` pairs: each element type's own sort
/// was another ~2–3 KB of code in every add-in bundle.
pub(crate) fn sort_by_start<T>(v: &mut Vec<T>, start: impl Fn(&T) -> usize) {
    if v.is_sorted_by_key(&start) {
        return;
    }
    let mut order: Vec<(usize, usize)> = v.iter().map(&start).zip(0..).collect();
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.iter().filter_map(|&(_, i)| slots[i].take()));
}

/// Header lines that start a quoted message after a rule in plain-text replies, in the
/// languages Outlook writes them (`From:`, `Von:`, `De :`, …).
const REPLY_HEADERS: &[&str] = &[
    "from:",
    "sent:",
    "von:",
    "gesendet:",
    "de:",
    "de :",
    "da:",
    "van:",
    "från:",
    "fra:",
    "lähettäjä:",
    "od:",
    "差出人:",
    "发件人:",
    "寄件者:",
];

/// Is this (trimmed) line a rule: ten or more `_`?
fn is_underscore_rule(line: &str) -> bool {
    line.len() >= 10 && line.bytes().all(|b| b == b'_')
}

/// A line with the reply quoting (`> `, `>> `, `> > `) taken off.
fn unquote(content: &str) -> (&str, bool) {
    let trimmed = content.trim_start();
    if !trimmed.starts_with('>') {
        return (content, false);
    }
    let rest = trimmed.trim_start_matches(['>', ' ']);
    (rest, true)
}

/// Scans a plain-text body: one line per `\n` (a `\r` before it is not part of the line).
///
/// Quoted content starts at the first `>`-quoted line, at `-----Original Message-----`, or
/// at a rule of underscores followed by a reply header (`From:`). Teams draws the same
/// rules around its own meeting section, so a rule alone quotes nothing. Quoted lines are
/// read without their `>` marks, so a quoted block is still recognised.
pub(crate) fn text(body: &str) -> Scan {
    let mut scan = Scan {
        eof_clean: true,
        ..Scan::default()
    };
    let mut start = 0;
    // (line start, trimmed content, quoted with `>`) for the quote search below.
    let mut marks: Vec<(usize, &str, bool)> = Vec::new();
    for piece in body.split_inclusive('\n') {
        let content = piece.strip_suffix('\n').unwrap_or(piece);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let (shown, quoted) = unquote(content);
        marks.push((start, content.trim(), quoted));
        let links: Vec<String> = shown
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>')
            .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
            .map(String::from)
            .collect();
        scan.links.extend(links.iter().cloned());
        scan.lines.push(Line {
            text: normalize(shown),
            raw: shown.to_string(),
            start,
            end: start + content.len(),
            open: None,
            close: None,
            links,
        });
        start += piece.len();
    }
    let reply_header = |i: usize| {
        marks[i + 1..]
            .iter()
            .find(|(_, t, _)| !t.is_empty())
            .is_some_and(|(_, t, _)| {
                let t = normalize(t);
                REPLY_HEADERS.iter().any(|h| t.starts_with(h))
            })
    };
    if let Some(at) = (0..marks.len()).find(|&i| {
        let (_, t, quoted) = marks[i];
        quoted
            || t.starts_with("-----Original Message-----")
            || (is_underscore_rule(t) && reply_header(i))
    }) {
        scan.quoted.push(marks[at].0..body.len());
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::sort_by_start;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sort_by_start_is_the_stable_sort(v in proptest::collection::vec((0usize..8, any::<u8>()), 0..40)) {
            let mut ours = v.clone();
            sort_by_start(&mut ours, |e| e.0);
            let mut std = v;
            std.sort_by_key(|e| e.0);
            prop_assert_eq!(ours, std);
        }
    }
}
