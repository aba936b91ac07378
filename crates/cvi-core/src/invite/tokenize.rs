//! An HTML tokenizer with byte spans, cut to what finding a block needs: tags with their
//! attributes, text with character references decoded, and comments skipped — following
//! the WHATWG tokenizer's states for where each token starts and ends, so tag soup from
//! Word and Outlook on the web splits exactly where a browser splits it.
//!
//! Why not a general tokenizer crate: html5gum (which this replaced, and which the tests
//! still use as the reference) is ~115 KB of the wasm bundle, most of it the table of all
//! 2,231 named character references. Invites use a few dozen; [`ENTITIES`] has the Latin-1
//! and typographic ones, and a reference outside it stays as written (it can only be in
//! text we do not need to read; one that starts with a legacy name, like `&notin;`, reads
//! as that name: `¬in;`). Without that generality it is also ~3× faster.

use std::borrow::Cow;

/// One token. Names are as written (compare ignoring ASCII case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `<name` (span: `<` .. end of the whole start tag).
    StartTag { name: &'a str },
    /// One attribute of the current start tag (the first of duplicates only), value decoded.
    Attr { name: &'a str, value: Cow<'a, str> },
    /// The `>` of the start tag (span: the whole start tag).
    StartTagEnd { self_closing: bool },
    /// `</name …>` (span: the whole end tag).
    EndTag { name: &'a str },
    /// Text, character references decoded.
    Text(Cow<'a, str>),
}

const fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Elements whose content is text up to their end tag, and whether references in it are
/// decoded (RCDATA) or not (RAWTEXT, script data). `plaintext` has no end at all.
fn raw_text(name: &str) -> Option<bool> {
    const RAW: [&str; 7] = [
        "script", "style", "iframe", "xmp", "noembed", "noframes", "noscript",
    ];
    if name.eq_ignore_ascii_case("textarea") || name.eq_ignore_ascii_case("title") {
        Some(true)
    } else if RAW.iter().any(|r| name.eq_ignore_ascii_case(r)) {
        Some(false)
    } else {
        None
    }
}

/// Named character references: every Latin-1 one, the typographic ones Word writes, and
/// the legacy forms without `;` that HTML still honours.
const ENTITIES: &[(&str, &str)] = &[
    ("AElig", "Æ"),
    ("AMP", "&"),
    ("Aacute", "Á"),
    ("Acirc", "Â"),
    ("Agrave", "À"),
    ("Aring", "Å"),
    ("Atilde", "Ã"),
    ("Auml", "Ä"),
    ("COPY", "©"),
    ("Ccedil", "Ç"),
    ("Dagger", "‡"),
    ("ETH", "Ð"),
    ("Eacute", "É"),
    ("Ecirc", "Ê"),
    ("Egrave", "È"),
    ("Euml", "Ë"),
    ("GT", ">"),
    ("Iacute", "Í"),
    ("Icirc", "Î"),
    ("Igrave", "Ì"),
    ("Iuml", "Ï"),
    ("LT", "<"),
    ("Ntilde", "Ñ"),
    ("OElig", "Œ"),
    ("Oacute", "Ó"),
    ("Ocirc", "Ô"),
    ("Ograve", "Ò"),
    ("Oslash", "Ø"),
    ("Otilde", "Õ"),
    ("Ouml", "Ö"),
    ("Prime", "″"),
    ("QUOT", "\""),
    ("REG", "®"),
    ("Scaron", "Š"),
    ("THORN", "Þ"),
    ("Uacute", "Ú"),
    ("Ucirc", "Û"),
    ("Ugrave", "Ù"),
    ("Uuml", "Ü"),
    ("Yacute", "Ý"),
    ("Yuml", "Ÿ"),
    ("aacute", "á"),
    ("acirc", "â"),
    ("acute", "´"),
    ("aelig", "æ"),
    ("agrave", "à"),
    ("amp", "&"),
    ("apos", "'"),
    ("aring", "å"),
    ("atilde", "ã"),
    ("auml", "ä"),
    ("bdquo", "„"),
    ("brvbar", "¦"),
    ("bull", "•"),
    ("ccedil", "ç"),
    ("cedil", "¸"),
    ("cent", "¢"),
    ("circ", "ˆ"),
    ("copy", "©"),
    ("curren", "¤"),
    ("dagger", "†"),
    ("darr", "↓"),
    ("deg", "°"),
    ("divide", "÷"),
    ("eacute", "é"),
    ("ecirc", "ê"),
    ("egrave", "è"),
    ("emsp", "\u{2003}"),
    ("ensp", "\u{2002}"),
    ("eth", "ð"),
    ("euml", "ë"),
    ("euro", "€"),
    ("fnof", "ƒ"),
    ("frac12", "½"),
    ("frac14", "¼"),
    ("frac34", "¾"),
    ("gt", ">"),
    ("harr", "↔"),
    ("hellip", "…"),
    ("iacute", "í"),
    ("icirc", "î"),
    ("iexcl", "¡"),
    ("igrave", "ì"),
    ("iquest", "¿"),
    ("iuml", "ï"),
    ("laquo", "«"),
    ("larr", "←"),
    ("ldquo", "“"),
    ("lrm", "\u{200E}"),
    ("lsaquo", "‹"),
    ("lsquo", "‘"),
    ("lt", "<"),
    ("macr", "¯"),
    ("mdash", "—"),
    ("micro", "µ"),
    ("middot", "·"),
    ("minus", "−"),
    ("nbsp", "\u{A0}"),
    ("ndash", "–"),
    ("not", "¬"),
    ("ntilde", "ñ"),
    ("oacute", "ó"),
    ("ocirc", "ô"),
    ("oelig", "œ"),
    ("ograve", "ò"),
    ("ordf", "ª"),
    ("ordm", "º"),
    ("oslash", "ø"),
    ("otilde", "õ"),
    ("ouml", "ö"),
    ("para", "¶"),
    ("permil", "‰"),
    ("plusmn", "±"),
    ("pound", "£"),
    ("prime", "′"),
    ("quot", "\""),
    ("raquo", "»"),
    ("rarr", "→"),
    ("rdquo", "”"),
    ("reg", "®"),
    ("rlm", "\u{200F}"),
    ("rsaquo", "›"),
    ("rsquo", "’"),
    ("sbquo", "‚"),
    ("scaron", "š"),
    ("sect", "§"),
    ("shy", "\u{AD}"),
    ("sup1", "¹"),
    ("sup2", "²"),
    ("sup3", "³"),
    ("szlig", "ß"),
    ("thinsp", "\u{2009}"),
    ("thorn", "þ"),
    ("tilde", "˜"),
    ("times", "×"),
    ("trade", "™"),
    ("uacute", "ú"),
    ("uarr", "↑"),
    ("ucirc", "û"),
    ("ugrave", "ù"),
    ("uml", "¨"),
    ("uuml", "ü"),
    ("yacute", "ý"),
    ("yen", "¥"),
    ("yuml", "ÿ"),
    ("zwj", "\u{200D}"),
    ("zwnj", "\u{200C}"),
];

/// Names that also match without `;` (WHATWG's legacy list, restricted to [`ENTITIES`]).
const LEGACY: &[&str] = &[
    "AElig", "AMP", "Aacute", "Acirc", "Agrave", "Aring", "Atilde", "Auml", "COPY", "Ccedil",
    "ETH", "Eacute", "Ecirc", "Egrave", "Euml", "GT", "Iacute", "Icirc", "Igrave", "Iuml", "LT",
    "Ntilde", "Oacute", "Ocirc", "Ograve", "Oslash", "Otilde", "Ouml", "QUOT", "REG", "THORN",
    "Uacute", "Ucirc", "Ugrave", "Uuml", "Yacute", "aacute", "acirc", "acute", "aelig", "agrave",
    "amp", "aring", "atilde", "auml", "brvbar", "ccedil", "cedil", "cent", "copy", "curren", "deg",
    "divide", "eacute", "ecirc", "egrave", "eth", "euml", "frac12", "frac14", "frac34", "gt",
    "iacute", "icirc", "iexcl", "igrave", "iquest", "iuml", "laquo", "lt", "macr", "micro",
    "middot", "nbsp", "not", "ntilde", "oacute", "ocirc", "ograve", "ordf", "ordm", "oslash",
    "otilde", "ouml", "para", "plusmn", "pound", "quot", "raquo", "reg", "sect", "shy", "sup1",
    "sup2", "sup3", "szlig", "thorn", "times", "uacute", "ucirc", "ugrave", "uml", "uuml",
    "yacute", "yen", "yuml",
];

/// Windows-1252 meanings of numeric references 0x80..=0x9F, as HTML reads them.
const C1: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

/// The reference at the start of `s` (just after `&`): what it stands for and how many
/// bytes of `s` it uses, or `None` to leave the `&` as written.
fn char_ref(s: &[u8], in_attr: bool) -> Option<(char, Option<&'static str>, usize)> {
    if s.first() == Some(&b'#') {
        let (hex, start) = match s.get(1) {
            Some(b'x' | b'X') => (true, 2),
            _ => (false, 1),
        };
        let digits = s[start..]
            .iter()
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let mut code: u32 = 0;
        for &b in &s[start..start + digits] {
            let d = (b as char).to_digit(16).unwrap_or(0);
            code = code
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d);
        }
        let mut used = start + digits;
        if s.get(used) == Some(&b';') {
            used += 1;
        }
        let code = match code {
            0x80..=0x9F => C1[(code - 0x80) as usize],
            0 => 0xFFFD,
            c => c,
        };
        return Some((char::from_u32(code).unwrap_or('\u{FFFD}'), None, used));
    }
    // The longest name in the table that the input starts with.
    let word = s.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    if word == 0 {
        return None;
    }
    let (name, value) = ENTITIES
        .iter()
        .filter(|(n, _)| s[..word].starts_with(n.as_bytes()))
        .max_by_key(|(n, _)| n.len())?;
    let n = name.len();
    if s.get(n) == Some(&b';') {
        return Some(('\0', Some(value), n + 1));
    }
    if !LEGACY.contains(name) {
        return None;
    }
    // In attribute values, `&amp=` and `&ampx` are left alone (they are usually URLs).
    if in_attr
        && s.get(n)
            .is_some_and(|&b| b == b'=' || b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(('\0', Some(value), n))
}

/// `raw` with character references decoded; borrowed when there are none.
fn decode(raw: &str, in_attr: bool) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'&') else {
        return Cow::Borrowed(raw);
    };
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] != b'&' {
            i += 1;
            continue;
        }
        if let Some((c, s, used)) = char_ref(&bytes[i + 1..], in_attr) {
            out.push_str(&raw[at..i]);
            match s {
                Some(s) => out.push_str(s),
                None => out.push(c),
            }
            i += 1 + used;
            at = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&raw[at..]);
    Cow::Owned(out)
}

struct Tokenizer<'a, F> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    on: F,
    clean: bool,
}

impl<'a, F: FnMut(Token<'a>, usize, usize)> Tokenizer<'a, F> {
    fn skip_space(&mut self) {
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    /// Up to (not including) the first byte for which `stop` holds, from `pos`.
    fn until(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.pos < self.b.len() && !stop(self.b[self.pos]) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// A comment-like construct that ends at the next `>` (bogus comments, DOCTYPE).
    fn skip_past_gt(&mut self) {
        match self.b[self.pos..].iter().position(|&b| b == b'>') {
            Some(p) => self.pos += p + 1,
            None => {
                self.pos = self.b.len();
                self.clean = false;
            }
        }
    }

    /// After `<!--`.
    fn comment(&mut self) {
        let rest = &self.b[self.pos..];
        if rest.first() == Some(&b'>') {
            self.pos += 1;
            return;
        }
        if rest.starts_with(b"->") {
            self.pos += 2;
            return;
        }
        let mut i = 0;
        while let Some(p) = rest[i..].windows(2).position(|w| w == b"--") {
            let at = i + p;
            if rest.get(at + 2) == Some(&b'>') {
                self.pos += at + 3;
                return;
            }
            if rest[at + 2..].starts_with(b"!>") {
                self.pos += at + 4;
                return;
            }
            i = at + 1;
        }
        self.pos = self.b.len();
        self.clean = false;
    }

    /// Attributes and the closing `>` of a tag whose name ends at `pos`. Returns whether the
    /// tag was closed (false at end of input) and its self-closing flag.
    fn attributes(&mut self, emit: bool) -> Option<bool> {
        let mut seen: Vec<&'a str> = Vec::new();
        loop {
            self.skip_space();
            let Some(&b) = self.b.get(self.pos) else {
                self.clean = false;
                return None;
            };
            match b {
                b'>' => {
                    self.pos += 1;
                    return Some(false);
                }
                b'/' => {
                    self.pos += 1;
                    if self.b.get(self.pos) == Some(&b'>') {
                        self.pos += 1;
                        return Some(true);
                    }
                    continue;
                }
                _ => {}
            }
            // An attribute name may start with `=` (a parse error browsers accept).
            let start = self.pos;
            self.pos += 1;
            while self.pos < self.b.len()
                && !matches!(
                    self.b[self.pos],
                    b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b'/' | b'>' | b'='
                )
            {
                self.pos += 1;
            }
            let name = &self.src[start..self.pos];
            self.skip_space();
            let value: Cow<'a, str> = if self.b.get(self.pos) == Some(&b'=') {
                self.pos += 1;
                self.skip_space();
                match self.b.get(self.pos) {
                    None => {
                        self.clean = false;
                        return None;
                    }
                    Some(&q @ (b'"' | b'\'')) => {
                        self.pos += 1;
                        let raw = self.until(|b| b == q);
                        if self.pos >= self.b.len() {
                            self.clean = false;
                            return None;
                        }
                        self.pos += 1;
                        decode(raw, true)
                    }
                    Some(b'>') => Cow::Borrowed(""),
                    Some(_) => decode(self.until(|b| is_space(b) || b == b'>'), true),
                }
            } else {
                Cow::Borrowed("")
            };
            if emit && !seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                seen.push(name);
                (self.on)(Token::Attr { name, value }, start, self.pos);
            }
        }
    }

    /// Text up to the end tag `</name` (ASCII case-insensitive, followed by space, `/` or `>`).
    fn raw_text(&mut self, name: &str, decoded: bool) {
        let start = self.pos;
        let rest = &self.b[start..];
        let n = name.len();
        let mut i = 0;
        let end = loop {
            let Some(p) = rest[i..].windows(2).position(|w| w == b"</") else {
                break None;
            };
            let at = i + p;
            let after = at + 2;
            if rest.len() >= after + n
                && rest[after..after + n].eq_ignore_ascii_case(name.as_bytes())
                && rest
                    .get(after + n)
                    .is_some_and(|&b| is_space(b) || b == b'/' || b == b'>')
            {
                break Some(at);
            }
            i = at + 1;
        };
        let end = end.map_or(self.b.len(), |e| start + e);
        if end > start {
            let raw = &self.src[start..end];
            let text = if decoded {
                decode(raw, false)
            } else {
                Cow::Borrowed(raw)
            };
            (self.on)(Token::Text(text), start, end);
        }
        self.pos = end;
        if end == self.b.len() {
            self.clean = false;
        }
    }

    fn run(mut self) -> bool {
        while self.pos < self.b.len() {
            let start = self.pos;
            let text = self.until(|b| b == b'<');
            if !text.is_empty() {
                (self.on)(Token::Text(decode(text, false)), start, self.pos);
            }
            if self.pos >= self.b.len() {
                break;
            }
            let lt = self.pos;
            match self.b.get(lt + 1) {
                Some(b) if b.is_ascii_alphabetic() => {
                    self.pos = lt + 1;
                    let name = self.until(|b| is_space(b) || b == b'/' || b == b'>');
                    (self.on)(Token::StartTag { name }, lt, lt);
                    if let Some(self_closing) = self.attributes(true) {
                        (self.on)(Token::StartTagEnd { self_closing }, lt, self.pos);
                        if name.eq_ignore_ascii_case("plaintext") {
                            let rest = &self.src[self.pos..];
                            if !rest.is_empty() {
                                (self.on)(Token::Text(Cow::Borrowed(rest)), self.pos, self.b.len());
                            }
                            self.pos = self.b.len();
                            self.clean = false;
                        } else if let Some(decoded) = raw_text(name) {
                            self.raw_text(name, decoded);
                        }
                    }
                }
                Some(b'/') => match self.b.get(lt + 2) {
                    Some(b) if b.is_ascii_alphabetic() => {
                        self.pos = lt + 2;
                        let name = self.until(|b| is_space(b) || b == b'/' || b == b'>');
                        if self.attributes(false).is_some() {
                            (self.on)(Token::EndTag { name }, lt, self.pos);
                        }
                    }
                    Some(b'>') => self.pos = lt + 3,
                    Some(_) => {
                        self.pos = lt + 2;
                        self.skip_past_gt();
                    }
                    None => {
                        (self.on)(Token::Text(Cow::Borrowed("</")), lt, lt + 2);
                        self.pos = lt + 2;
                        self.clean = false;
                    }
                },
                Some(b'!') => {
                    let rest = &self.b[lt + 2..];
                    if rest.starts_with(b"--") {
                        self.pos = lt + 4;
                        self.comment();
                    } else {
                        self.pos = lt + 2;
                        self.skip_past_gt();
                    }
                }
                Some(b'?') => {
                    self.pos = lt + 1;
                    self.skip_past_gt();
                }
                Some(_) => {
                    // A `<` that starts nothing is text.
                    self.pos = lt + 1;
                    (self.on)(Token::Text(Cow::Borrowed("<")), lt, lt + 1);
                }
                None => {
                    self.pos = lt + 1;
                    (self.on)(Token::Text(Cow::Borrowed("<")), lt, lt + 1);
                    self.clean = false;
                }
            }
        }
        self.clean
    }
}

/// Tokenizes `src`, calling `on(token, start, end)` for each token in order. Returns false
/// when the input ends inside a tag, comment, DOCTYPE or raw-text element (or right after
/// a `<`): then markup appended at the end would not be markup.
pub(crate) fn tokenize<'a>(src: &'a str, on: impl FnMut(Token<'a>, usize, usize)) -> bool {
    Tokenizer {
        src,
        b: src.as_bytes(),
        pos: 0,
        on,
        clean: true,
    }
    .run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use html5gum::{
        emitters::callback::{CallbackEmitter, CallbackEvent},
        Span, Tokenizer as Reference,
    };
    use proptest::prelude::*;

    /// A token stream as comparable values: adjacent text merged, names lowercased.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum T {
        Start(String, usize),
        Attr(String, String),
        StartEnd(bool, usize),
        End(String, usize, usize),
        Text(String),
    }

    fn push_text(out: &mut Vec<T>, s: &str) {
        if let Some(T::Text(t)) = out.last_mut() {
            t.push_str(s);
        } else if !s.is_empty() {
            out.push(T::Text(s.to_string()));
        }
    }

    fn ours(src: &str) -> Vec<T> {
        let mut out = Vec::new();
        tokenize(src, |t, start, end| match t {
            Token::StartTag { name } => out.push(T::Start(name.to_ascii_lowercase(), start)),
            Token::Attr { name, value } => {
                out.push(T::Attr(name.to_ascii_lowercase(), value.into_owned()))
            }
            Token::StartTagEnd { self_closing } => out.push(T::StartEnd(self_closing, end)),
            Token::EndTag { name } => out.push(T::End(name.to_ascii_lowercase(), start, end)),
            Token::Text(s) => push_text(&mut out, &s),
        });
        out
    }

    fn reference(src: &str) -> Vec<T> {
        let mut out = Vec::new();
        let mut attr: Option<String> = None;
        let mut in_start = false;
        {
            let mut emitter = CallbackEmitter::new(
                |e: CallbackEvent<'_>, span: Span<usize>| -> Option<std::convert::Infallible> {
                    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                    // Errors may come between an attribute's name and its value.
                    if !matches!(
                        e,
                        CallbackEvent::AttributeValue { .. } | CallbackEvent::Error(_)
                    ) {
                        if let Some(name) = attr.take() {
                            out.push(T::Attr(name, String::new()));
                        }
                    }
                    match e {
                        CallbackEvent::OpenStartTag { name } => {
                            in_start = true;
                            out.push(T::Start(s(name), span.start));
                        }
                        // End tags' attributes are reported too; they mean nothing.
                        CallbackEvent::AttributeName { name } if in_start => attr = Some(s(name)),
                        CallbackEvent::AttributeValue { value } if in_start => {
                            out.push(T::Attr(attr.take().unwrap_or_default(), s(value)));
                        }
                        CallbackEvent::CloseStartTag { self_closing } => {
                            in_start = false;
                            out.push(T::StartEnd(self_closing, span.end));
                        }
                        CallbackEvent::EndTag { name } => {
                            in_start = false;
                            out.push(T::End(s(name), span.start, span.end));
                        }
                        CallbackEvent::String { value } => push_text(&mut out, &s(value)),
                        _ => {}
                    }
                    None
                },
            );
            emitter.naively_switch_states(true);
            for _ in Reference::new_with_emitter(src, emitter) {}
        }
        out
    }

    /// Duplicate attributes: html5gum reports them all; a browser (and we) keep the first.
    fn dedup_attrs(ts: Vec<T>) -> Vec<T> {
        let mut out = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for t in ts {
            match &t {
                T::Start(..) => seen.clear(),
                T::Attr(n, _) if seen.contains(n) => continue,
                T::Attr(n, _) => seen.push(n.clone()),
                _ => {}
            }
            out.push(t);
        }
        out
    }

    fn same_as_reference(src: &str) {
        let (a, b) = (ours(src), dedup_attrs(reference(src)));
        // A start tag cut off by the end of input never gets its `>` (the scanner ignores
        // it); how much of it each tokenizer reports before that does not matter.
        let trim = |v: Vec<T>| -> Vec<T> {
            let cut = v.iter().rposition(|t| matches!(t, T::Start(..)));
            match cut {
                Some(i) if !v[i..].iter().any(|t| matches!(t, T::StartEnd(..))) => v[..i].to_vec(),
                _ => v,
            }
        };
        assert_eq!(trim(a), trim(b), "tokens differ for {src:?}");
    }

    #[test]
    fn agrees_with_the_reference_on_real_invites() {
        for f in [
            include_str!("../../tests/fixtures/outlook_desktop.html"),
            include_str!("../../tests/fixtures/owa_stripped.html"),
            include_str!("../../tests/fixtures/microsoft_2019.html"),
        ] {
            same_as_reference(f);
        }
    }

    #[test]
    fn agrees_on_edge_cases() {
        for s in [
            "<p class=a id='b' data-x=c>x</p>",
            "a<b",
            "a < b",
            "<",
            "</",
            "</>x",
            "<!-- a -- b --><p>",
            "<!---->x<!-->y<!--->z",
            "<!x>t<?php x?>u</ x>v",
            "<div id=\"x_cvi-vtc-block\"/>",
            "<a href=\"https://x/?a=1&amp;b=2&copy=3\">l</a>",
            "x &amp; &nbsp;&#39;&#x27;&#128;&#0;&unknown; &copy &amp",
            "<style>p{}</p></style >y",
            "<title>a &amp; <b></title>",
            "<textarea>x</textareax></textarea>",
            "<script>if (a<b) {}</script>",
            "<p/x=1><br/><img src=x/>",
            "<a =b c== d=\"e\"f>",
            "<div id=a id=b>",
            "<p>Tenant key: 813878896@t.plcm.vc</p>",
        ] {
            same_as_reference(s);
        }
    }

    #[test]
    fn eof_inside_markup_is_reported() {
        for (s, clean) in [
            ("<p>x</p>", true),
            ("x<", false),
            ("<p class=", false),
            ("<!-- x", false),
            ("<!doctype html", false),
            ("<style>x", false),
            ("<//", false),
            ("a > b", true),
            ("<plaintext>x", false),
        ] {
            assert_eq!(tokenize(s, |_, _, _| {}), clean, "{s:?}");
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<p>".to_string()),
            Just("</p>".to_string()),
            Just("<div id=\"cvi-vtc-block\" style=\"margin:0\">".to_string()),
            Just("</div>".to_string()),
            Just("<a href='https://x/?a&amp;b'>".to_string()),
            Just("<br/>".to_string()),
            Just("<b>".to_string()),
            Just("<!-- c -->".to_string()),
            Just("<!x>".to_string()),
            Just("<style>".to_string()),
            Just("</style>".to_string()),
            Just("<title>".to_string()),
            Just("</title>".to_string()),
            Just("&amp;".to_string()),
            Just("&nbsp;".to_string()),
            Just("&#233;".to_string()),
            Just("&eacute".to_string()),
            Just("<".to_string()),
            Just(">".to_string()),
            Just("/".to_string()),
            Just("=".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just(" ".to_string()),
            Just("&".to_string()),
            Just("-".to_string()),
            Just("!".to_string()),
            "[a-z0-9 ]{1,6}",
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference_on_tag_soup(parts in proptest::collection::vec(fragment(), 0..40)) {
            same_as_reference(&parts.concat());
        }

        #[test]
        fn never_panics(s in "\\PC{0,200}") {
            tokenize(&s, |_, _, _| {});
        }
    }
}
