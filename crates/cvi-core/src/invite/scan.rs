//! Bodies as lines of text with byte offsets, so blocks can be found by what they say and
//! spliced out without re-serializing anything.
//!
//! HTML goes through html5gum, a WHATWG-conformant tokenizer that reports byte spans
//! (tag soup from Word and Outlook on the web is normal input). It is a tokenizer, not a
//! tree builder, which is all this needs and keeps the wasm bundle small. Block-level tags
//! and `<br>` end lines; the text of one line may be split across any number of inline
//! elements, as Word does.

use html5gum::{DefaultEmitter, Token, Tokenizer};

use super::lang::normalize;

/// A tag's name and byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub name: String,
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
    /// Every link target in the body, for the Teams join URL.
    pub links: Vec<String>,
    /// End of the `<body>` start tag (0 without one): always a safe place to insert.
    pub body_start: usize,
    /// Block-level element pairs: start tag's start → end tag's end, and back.
    pub pair_end: std::collections::HashMap<usize, usize>,
    pub pair_start: std::collections::HashMap<usize, usize>,
    /// False when the body ends inside a comment, tag, or `<script>`-like element, where
    /// appended markup would not be markup (see [`super::upsert`]).
    pub eof_clean: bool,
}

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];
/// Elements whose content the tokenizer reads as raw text until their end tag.
const RAW_TEXT_TAGS: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
    "noscript",
];
/// Elements whose text is not part of the message (`<style>` in Word's `<head>`).
const HIDDEN_TAGS: &[&str] = &["script", "style", "title", "xml"];
/// Markers of quoted/forwarded content: Outlook's reply header div, Outlook on the web's
/// `appendonsend`, Gmail's quote class (ids may carry Outlook on the web's `x_` prefix).
const QUOTE_MARKERS: &[&str] = &["divrplyfwdmsg", "appendonsend", "gmail_quote"];

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Scans an HTML body.
pub(crate) fn html(body: &str, anchor_ids: &[&str]) -> Scan {
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    // Switches to RAWTEXT/RCDATA after <script>, <style>, <textarea>, as a browser would.
    emitter.naively_switch_states(true);
    let mut scan = Scan {
        eof_clean: true,
        ..Scan::default()
    };
    let mut raw_open: Option<String> = None;
    let mut open_blocks: Vec<(String, usize)> = Vec::new();
    let mut quote_marker_seen = false;
    let mut cur: Option<Line> = None;
    let mut last_boundary: Option<Tag> = None;
    let mut hidden_depth = 0usize;
    let mut pending: Vec<String> = Vec::new();
    // Open elements by name, to pair an anchor's start tag with its end tag.
    let mut anchor_stack: Vec<(String, usize, usize)> = Vec::new(); // (name, start, depth)
    let mut depth_by_name: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();

    let finish = |cur: &mut Option<Line>, scan: &mut Scan, close: Option<Tag>, at: usize| {
        if let Some(mut line) = cur.take() {
            line.end = at;
            line.close = close;
            line.text = normalize(&line.raw);
            scan.lines.push(line);
        }
    };

    let mut ends_in_comment = false;
    for token in Tokenizer::new_with_emitter(body, emitter).flatten() {
        if !matches!(&token, Token::Error(_)) {
            ends_in_comment = matches!(&token, Token::Comment(_) | Token::Doctype(_));
        }
        match token {
            Token::StartTag(t) => {
                let name = lossy(&t.name).to_ascii_lowercase();
                let attr = |k: &str| t.attributes.get(k.as_bytes()).map(|v| lossy(&v.value));
                if HIDDEN_TAGS.contains(&name.as_str()) && !t.self_closing {
                    hidden_depth += 1;
                }
                if RAW_TEXT_TAGS.contains(&name.as_str()) && !t.self_closing {
                    raw_open = Some(name.clone());
                }
                if name == "body" && scan.body_start == 0 {
                    scan.body_start = t.span.end;
                }
                let marker = |v: Option<String>| {
                    v.is_some_and(|v| {
                        QUOTE_MARKERS
                            .iter()
                            .any(|m| v.to_ascii_lowercase().contains(m))
                    })
                };
                if !quote_marker_seen && (marker(attr("id")) || marker(attr("class"))) {
                    // A reply/forward header: the rest of the body is the earlier message.
                    quote_marker_seen = true;
                    scan.quoted.push(t.span.start..body.len());
                }
                let depth = depth_by_name.entry(name.clone()).or_default();
                if !t.self_closing
                    && name != "br"
                    && name != "hr"
                    && name != "img"
                    && name != "meta"
                    && name != "link"
                {
                    *depth += 1;
                    if attr("id")
                        .is_some_and(|id| anchor_ids.iter().any(|a| id.eq_ignore_ascii_case(a)))
                    {
                        anchor_stack.push((name.clone(), t.span.start, *depth));
                    }
                }
                if name == "a" {
                    if let Some(target) = attr("originalsrc").or_else(|| attr("href")) {
                        scan.links.push(target.clone());
                        if let Some(line) = cur.as_mut() {
                            line.links.push(target);
                        } else {
                            // A link that starts a line: it belongs to the line's first text.
                            pending.push(target);
                        }
                    }
                }
                if BLOCK_TAGS.contains(&name.as_str())
                    && !t.self_closing
                    && name != "br"
                    && name != "hr"
                {
                    open_blocks.push((name.clone(), t.span.start));
                }
                if BLOCK_TAGS.contains(&name.as_str()) {
                    let tag = Tag {
                        name,
                        start: t.span.start,
                        end: t.span.end,
                        is_end: false,
                    };
                    finish(&mut cur, &mut scan, Some(tag.clone()), t.span.start);
                    last_boundary = Some(tag);
                    pending.clear();
                }
            }
            Token::EndTag(t) => {
                let name = lossy(&t.name).to_ascii_lowercase();
                if HIDDEN_TAGS.contains(&name.as_str()) {
                    hidden_depth = hidden_depth.saturating_sub(1);
                }
                if raw_open.as_deref() == Some(name.as_str()) {
                    raw_open = None;
                }
                if name == "body" && scan.body_end.is_none() {
                    scan.body_end = Some(t.span.start);
                }
                if let Some(depth) = depth_by_name.get_mut(&name) {
                    if let Some(pos) = anchor_stack
                        .iter()
                        .rposition(|(n, _, d)| *n == name && d == depth)
                    {
                        let (_, start, _) = anchor_stack.remove(pos);
                        scan.anchors.push((start, t.span.end));
                    }
                    *depth = depth.saturating_sub(1);
                }
                if let Some(pos) = open_blocks.iter().rposition(|(n, _)| *n == name) {
                    // Tag soup: an end tag closes its element and anything left open inside.
                    let (_, start) = open_blocks[pos];
                    open_blocks.truncate(pos);
                    scan.pair_end.insert(start, t.span.end);
                    scan.pair_start.insert(t.span.start, start);
                    if name == "blockquote" {
                        scan.quoted.push(start..t.span.end);
                    }
                }
                if BLOCK_TAGS.contains(&name.as_str()) {
                    let tag = Tag {
                        name,
                        start: t.span.start,
                        end: t.span.end,
                        is_end: true,
                    };
                    finish(&mut cur, &mut scan, Some(tag.clone()), t.span.start);
                    last_boundary = Some(tag);
                    pending.clear();
                }
            }
            Token::String(s) if hidden_depth == 0 => {
                let text = lossy(&s.value);
                if cur.is_none() {
                    if text
                        .trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')
                        .is_empty()
                    {
                        continue;
                    }
                    cur = Some(Line {
                        text: String::new(),
                        raw: String::new(),
                        start: last_boundary.as_ref().map_or(0, |b| b.end),
                        end: 0,
                        open: last_boundary.clone(),
                        close: None,
                        links: std::mem::take(&mut pending),
                    });
                }
                if let Some(line) = cur.as_mut() {
                    line.raw.push_str(&text);
                }
            }
            Token::Error(e) => {
                use html5gum::Error as E;
                if matches!(
                    e.value,
                    E::EofBeforeTagName
                        | E::EofInCdata
                        | E::EofInComment
                        | E::EofInDoctype
                        | E::EofInScriptHtmlCommentLikeText
                        | E::EofInTag
                ) {
                    scan.eof_clean = false;
                }
            }
            _ => {}
        }
    }
    // EOF inside an element with raw text content, or inside a bogus comment (`<//`,
    // `<!x`), which the tokenizer closes at EOF without reporting an error.
    if raw_open.is_some() || (ends_in_comment && !body.ends_with('>')) {
        scan.eof_clean = false;
    }
    // An unclosed <blockquote> quotes the rest of the body.
    if let Some((_, start)) = open_blocks.iter().find(|(n, _)| n == "blockquote") {
        scan.quoted.push(*start..body.len());
    }
    scan.quoted.sort_by_key(|r| r.start);
    finish(&mut cur, &mut scan, None, body.len());
    scan.anchors.sort_unstable();
    scan
}

/// Scans a plain-text body: one line per `\n` (a `\r` before it is not part of the line).
pub(crate) fn text(body: &str) -> Scan {
    let mut scan = Scan {
        eof_clean: true,
        ..Scan::default()
    };
    let mut start = 0;
    for piece in body.split_inclusive('\n') {
        let content = piece.strip_suffix('\n').unwrap_or(piece);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let trimmed = content.trim_start();
        if scan.quoted.is_empty()
            && (trimmed.starts_with('>')
                || trimmed.starts_with("-----Original Message-----")
                || (trimmed.len() >= 10 && trimmed.chars().all(|c| c == '_')))
        {
            scan.quoted.push(start..body.len());
        }
        let links: Vec<String> = content
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>')
            .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
            .map(String::from)
            .collect();
        scan.links.extend(links.iter().cloned());
        scan.lines.push(Line {
            text: normalize(content),
            raw: content.to_string(),
            start,
            end: start + content.len(),
            open: None,
            close: None,
            links,
        });
        start += piece.len();
    }
    scan
}
