//! The pieces of RFC 3261's grammar (§25) a redirect server reads: header lines with
//! folding, Via values, name-addr/addr-spec (From, To) and the Request-URI. Each check
//! answers "is this well-formed?" only as far as answering the request needs; headers the
//! door never reads are never judged (RFC 4475 §3.1.1.1's unknown headers stay unknown).

use std::borrow::Cow;

/// RFC 3261 `token` characters.
pub fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

// Spaces and tabs are ASCII, so these cut by bytes where `trim_matches([' ', '\t'])` and
// `split_once(char)` decode characters: the door reads every header of every request with
// them (callgrind: they were a fifth of a request's parse).

/// `s` without leading and trailing spaces and tabs.
pub fn trim_ws(s: &str) -> &str {
    trim_ws_end(trim_ws_start(s))
}

/// `s` without leading spaces and tabs.
pub fn trim_ws_start(s: &str) -> &str {
    &s[s.bytes().take_while(|&b| is_ws(b)).count()..]
}

/// `s` without trailing spaces and tabs.
pub fn trim_ws_end(s: &str) -> &str {
    &s[..s.len() - s.bytes().rev().take_while(|&b| is_ws(b)).count()]
}

/// `s` split at the first `b`, an ASCII byte (so never inside a UTF-8 sequence).
pub fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|c| c == b)?;
    Some((&s[..i], &s[i + 1..]))
}

/// One header line, unfolded: its name and its value (continuation lines joined by one
/// space, RFC 3261 §7.3.1).
pub struct Line<'a> {
    pub name: &'a str,
    pub value: Cow<'a, str>,
}

/// Splits a head (everything before the blank line, request line excluded) into header
/// lines. `None` when a line is not `name: value` or a continuation comes first.
pub fn header_lines(head: &str) -> Option<Vec<Line<'_>>> {
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(16);
    let mut rest = head;
    while !rest.is_empty() {
        let (raw, next) = split_at_byte(rest, b'\n').unwrap_or((rest, ""));
        rest = next;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        if is_ws(raw.as_bytes()[0]) {
            let last = lines.last_mut()?;
            let more = trim_ws(raw);
            if !more.is_empty() {
                let joined = if last.value.is_empty() {
                    more.to_string()
                } else {
                    format!("{} {more}", last.value)
                };
                last.value = Cow::Owned(joined);
            }
            continue;
        }
        let (name, value) = split_at_byte(raw, b':')?;
        let name = trim_ws_end(name);
        if !is_token(name) {
            return None;
        }
        lines.push(Line {
            name,
            value: Cow::Borrowed(trim_ws(value)),
        });
    }
    Some(lines)
}

/// Splits a header value at commas outside quoted strings and angle brackets (RFC 3261
/// §7.3.1: a list header may be written comma-separated).
pub fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut angle, mut escaped) = (0, false, false, false);
    for (i, b) in value.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                out.push(trim_ws(&value[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(trim_ws(&value[start..]));
    out
}

/// `;name[=value]` parameters: each must have a token name; values are tokens, hosts or
/// quoted strings. `None` for an empty parameter (`;;`) or a malformed one.
fn params(s: &str) -> Option<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    if s.trim().is_empty() {
        return Some(out);
    }
    for p in s.split(';').skip(1) {
        let p = trim_ws(p);
        let (name, value, valued) = match split_at_byte(p, b'=') {
            Some((n, v)) => (trim_ws_end(n), trim_ws_start(v), true),
            None => (p, "", false),
        };
        if !is_token(name) {
            return None;
        }
        if valued {
            let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
            let plain = !value.is_empty()
                && value
                    .bytes()
                    .all(|b| is_token_char(b) || b"[]:".contains(&b));
            if !quoted && !plain {
                return None;
            }
        }
        out.push((name, value));
    }
    Some(out)
}

/// A Via value's branch, after checking its form: `SIP / 2.0 / transport sent-by *(;param)`
/// (RFC 3261 §20.42; linear white space may surround the slashes). `None` when malformed.
pub fn via_branch(via: &str) -> Option<&str> {
    let (proto, rest) = match via.find(';') {
        Some(i) => (&via[..i], &via[i..]),
        None => (via, ""),
    };
    let mut parts = proto.splitn(3, '/');
    let (name, version, tail) = (parts.next()?, parts.next()?, parts.next()?);
    if !is_token(name.trim()) || !is_token(version.trim()) {
        return None;
    }
    let tail = trim_ws_start(tail);
    let split = tail.find([' ', '\t'])?;
    let (transport, sent_by) = (&tail[..split], trim_ws(&tail[split..]));
    if !is_token(transport)
        || sent_by.is_empty()
        || sent_by.bytes().any(|b| is_ws(b) || b == b'"' || b == b',')
    {
        return None;
    }
    let params = params(rest)?;
    Some(
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("branch"))
            .map_or("", |(_, v)| *v),
    )
}

/// Checks a From/To value (`name-addr` or `addr-spec`, then parameters) and gives its
/// `tag` parameter. `None` when malformed: an unclosed quote (RFC 4475 §3.1.2.5), spaces
/// inside the angle brackets (§3.1.2.13), an unquoted display name with separators
/// (§3.1.2.14).
pub fn name_addr_tag(value: &str) -> Option<Option<&str>> {
    let v = value.trim();
    let after_uri = if v.starts_with('"') || v.contains('<') {
        // display-name: a quoted string, or tokens separated by white space.
        let lt = if let Some(body) = v.strip_prefix('"') {
            let mut escaped = false;
            let close = body.bytes().position(|b| {
                let end = !escaped && b == b'"';
                escaped = !escaped && b == b'\\';
                end
            })?;
            let rest = &body[close + 1..];
            if !rest.trim_start().starts_with('<') {
                return None;
            }
            v.len() - rest.trim_start().len()
        } else {
            let lt = v.find('<')?;
            if !v[..lt].bytes().all(|b| is_token_char(b) || is_ws(b)) {
                return None;
            }
            lt
        };
        let gt = lt + v[lt..].find('>')?;
        let uri = &v[lt + 1..gt];
        if uri.is_empty() || uri.bytes().any(|b| is_ws(b) || b == b'<') {
            return None;
        }
        &v[gt + 1..]
    } else {
        // addr-spec: parameters after it belong to the header (RFC 3261 §20.10).
        let end = v.find(';').unwrap_or(v.len());
        let spec = trim_ws_end(&v[..end]);
        if spec.is_empty() || spec.bytes().any(|b| is_ws(b) || b == b',' || b == b'"') {
            return None;
        }
        &v[end..]
    };
    if !after_uri.trim().is_empty() && !after_uri.trim_start().starts_with(';') {
        return None;
    }
    let params = params(after_uri.trim_start())?;
    Some(
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("tag"))
            .map(|(_, v)| *v),
    )
}

/// What a Request-URI is to a redirect server.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A SIP or SIPS URI as `sip:user@host`, the user part %-unescaped (RFC 3261 §19.1.4:
    /// escaped and unescaped characters are the same URI) and parameters left out.
    Sip(String),
    /// A URI of another scheme (`tel:`, `urn:`…): no meeting is dialled that way.
    OtherScheme,
}

/// Reads a Request-URI. `None` when malformed: no scheme, angle brackets or white space
/// (RFC 4475 §3.1.2.6, §3.1.2.7), or headers in a SIP Request-URI (§3.1.2.10).
pub fn request_uri(uri: &str) -> Option<Target> {
    let (scheme, rest) = uri.split_once(':')?;
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || rest.is_empty() || uri.bytes().any(|b| b <= b' ' || b"<>\"".contains(&b)) {
        return None;
    }
    if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
        return Some(Target::OtherScheme);
    }
    // The user part may hold '?' and ';' (RFC 3261 §25.1 user-unreserved): headers are
    // what follows the host.
    let (user, hostport) = match rest.split_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, rest),
    };
    if hostport.contains('?') {
        return None;
    }
    let host = hostport.split(';').next().unwrap_or("");
    if host.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(Target::Sip(match user {
        // A password (user:password) is no part of who is dialled.
        Some(u) => {
            let name = u.split_once(':').map_or(u, |(n, _)| n);
            ["sip:", &unescape(name), "@", &host].concat()
        }
        None => ["sip:", &host].concat(),
    }))
}

/// `%XX` escapes decoded; an escape that is not two hex digits is kept as written.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_is_cut_by_bytes_as_by_characters() {
        for s in ["", " ", "\t a b \t", "x", " é\t", "\u{a0}a\u{a0}", " \r "] {
            assert_eq!(trim_ws(s), s.trim_matches([' ', '\t']), "{s:?}");
            assert_eq!(trim_ws_start(s), s.trim_start_matches([' ', '\t']), "{s:?}");
            assert_eq!(trim_ws_end(s), s.trim_end_matches([' ', '\t']), "{s:?}");
        }
        assert_eq!(split_at_byte("é:x:y", b':'), Some(("é", "x:y")));
        assert_eq!(split_at_byte("no colon", b':'), None);
    }

    #[test]
    fn folded_headers_are_joined() {
        let lines =
            header_lines("TO :\r\n sip:a@b.invalid ;   tag = 1\r\ncseq: 0009\r\n  INVITE\r\n")
                .unwrap();
        assert_eq!(lines[0].name, "TO");
        assert_eq!(lines[0].value, "sip:a@b.invalid ;   tag = 1");
        assert_eq!(lines[1].value, "0009 INVITE");
        assert!(header_lines(" leading continuation\r\n").is_none());
        assert!(header_lines("no colon here\r\n").is_none());
    }

    #[test]
    fn vias_are_checked() {
        assert_eq!(
            via_branch("SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bK-1;rport"),
            Some("z9hG4bK-1")
        );
        assert_eq!(
            via_branch("SIP  /   2.0 /UDP 192.0.2.2;rport;branch=390skdjuw"),
            Some("390skdjuw")
        );
        assert_eq!(via_branch("SIP/2.0/TCP [2001:db8::9]:5060"), Some(""));
        assert_eq!(via_branch("SIP/2.0/UDP 192.0.2.15;;"), None);
        assert_eq!(via_branch("SIP/2.0/UDP"), None);
        assert_eq!(via_branch("SIP/2.0 192.0.2.15"), None);
        assert_eq!(split_list("a, b;x=\"1,2\" ,c"), ["a", "b;x=\"1,2\"", "c"]);
    }

    #[test]
    fn from_and_to_are_checked() {
        assert_eq!(
            name_addr_tag("\"J \\\"R\\\"\" <sip:j@example.com>;tag=98asjd8"),
            Some(Some("98asjd8"))
        );
        assert_eq!(
            name_addr_tag("sip:a@b.invalid ; tag = 19"),
            Some(Some("19"))
        );
        assert_eq!(
            name_addr_tag("caller<sip:caller@example.com>;tag=3"),
            Some(Some("3"))
        );
        assert_eq!(name_addr_tag("<sip:a@b.invalid>"), Some(None));
        assert_eq!(
            name_addr_tag("\"Mr. J. User <sip:j.user@example.com>"),
            None
        );
        assert_eq!(name_addr_tag("\"W\" < sip:t.watson@example.org >"), None);
        assert_eq!(
            name_addr_tag("Bell, Alexander <sip:a@b.invalid>;tag=4"),
            None
        );
    }

    #[test]
    fn request_uris_are_read() {
        assert_eq!(
            request_uri("sip:sips%3Auser%40example.com@example.net"),
            Some(Target::Sip("sip:sips:user@example.com@example.net".into()))
        );
        assert_eq!(
            request_uri("sip:%38%31%33.1@T.plcm.vc;transport=udp"),
            Some(Target::Sip("sip:813.1@t.plcm.vc".into()))
        );
        assert_eq!(
            request_uri("tel:+1-201-555-0123"),
            Some(Target::OtherScheme)
        );
        assert_eq!(request_uri("<sip:user@example.com>"), None);
        assert_eq!(
            request_uri("sip:user@example.com?Route=%3Csip:example.com%3E"),
            None
        );
        assert_eq!(request_uri("nocolon"), None);
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("%4"), "%4");
        assert_eq!(unescape("a%zz"), "a%zz");
    }
}
