//! One SIP request in, at most one response out: what a redirect server (RFC 3261 §8.3)
//! says to each method. The request is read with `grammar` (RFC 3261 §25, as far as a
//! redirect server needs, and as RFC 4475's torture messages test it); the response is
//! written here.
//!
//! Why not a SIP crate: rsip (the one we used) dropped RFC 4475's valid messages (folded
//! request lines, `tel:` URIs, long requests) and routed invalid ones (negative or too large
//! Content-Length, unbalanced quotes, duplicated single-value headers). A redirect server
//! reads seven headers; reading them ourselves is ~300 lines, tested against RFC 4475.

use std::{borrow::Cow, net::SocketAddr};

use super::grammar::{self, Target};

/// A status code and its reason phrase (RFC 3261 §21; a 400 says what was wrong).
pub type Status = (u16, &'static str);
pub const OK: Status = (200, "OK");
pub const MOVED_TEMPORARILY: Status = (302, "Moved Temporarily");
pub const NOT_FOUND: Status = (404, "Not Found");
pub const METHOD_NOT_ALLOWED: Status = (405, "Method Not Allowed");
pub const UNSUPPORTED_SCHEME: Status = (416, "Unsupported URI Scheme");
pub const NO_TRANSACTION: Status = (481, "Call/Transaction Does Not Exist");
pub const TOO_MANY_HOPS: Status = (483, "Too Many Hops");
pub const SERVICE_UNAVAILABLE: Status = (503, "Service Unavailable");
const VERSION_NOT_SUPPORTED: Status = (505, "Version Not Supported");

/// The largest message the front door reads (bytes); larger ones are dropped.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// Methods a redirect server handles (the `Allow` of 200/405 answers).
const ALLOW: &str = "INVITE, ACK, CANCEL, OPTIONS, BYE";

/// The methods the door tells apart (RFC 3261 §7.1: method names are case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Invite,
    Ack,
    Cancel,
    Options,
    Bye,
    Other,
}

impl Method {
    fn of(name: &str) -> Method {
        match name {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "BYE" => Method::Bye,
            _ => Method::Other,
        }
    }
}

/// The headers the door reads, by full or compact name (RFC 3261 §7.3.3; names are
/// case-insensitive). Every other header is never judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Via,
    From,
    To,
    CallId,
    CSeq,
    MaxForwards,
    ContentLength,
    Date,
}

impl Known {
    const COUNT: usize = 8;

    fn of(name: &str) -> Option<Known> {
        let is = |full: &str| name.eq_ignore_ascii_case(full);
        Some(match name.len() {
            1 => match name.as_bytes()[0].to_ascii_lowercase() {
                b'v' => Known::Via,
                b'f' => Known::From,
                b't' => Known::To,
                b'i' => Known::CallId,
                b'l' => Known::ContentLength,
                _ => return None,
            },
            2 if is("To") => Known::To,
            3 if is("Via") => Known::Via,
            4 if is("From") => Known::From,
            4 if is("CSeq") => Known::CSeq,
            4 if is("Date") => Known::Date,
            7 if is("Call-ID") => Known::CallId,
            12 if is("Max-Forwards") => Known::MaxForwards,
            14 if is("Content-Length") => Known::ContentLength,
            _ => return None,
        })
    }
}

/// A request with what answering it needs (RFC 3261 §8.2.6: the response copies these).
pub struct Incoming<'a> {
    pub method: Method,
    /// Where the request is addressed; `None` when it is malformed (then `fault` says so).
    pub target: Option<Target>,
    /// Every Via value (top first), From, To, Call-ID and CSeq, as received (unfolded).
    vias: Vec<Cow<'a, str>>,
    from: Option<Cow<'a, str>>,
    to: Option<Cow<'a, str>>,
    call_id: Option<Cow<'a, str>>,
    cseq: Option<Cow<'a, str>>,
    /// The top Via's branch: the transaction (RFC 3261 §17.2.3).
    pub branch: String,
    pub max_forwards: u32,
    /// What is wrong with a request that can still be answered (a 400 or 505 saying so).
    pub fault: Option<Status>,
}

/// Why a datagram or frame is not answered at all.
#[derive(Debug, thiserror::Error)]
pub enum Unanswerable {
    #[error("not a SIP request: {0}")]
    Parse(&'static str),
    #[error("a response, not a request")]
    Response,
    #[error("request without a Via: no way to answer it")]
    NoVia,
}

/// Reads one message. `datagram`: it came alone in a UDP datagram, so its Content-Length
/// is checked against what arrived (RFC 3261 §18.3; a stream was framed by it already).
/// A malformed request that names a Via is still returned, with its `fault`, to be
/// answered 400 (RFC 4475 §3.1.2: "respond with a 400"); one with no Via, a response or
/// non-text is dropped.
pub fn parse(bytes: &[u8], datagram: bool) -> Result<Incoming<'_>, Unanswerable> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Unanswerable::Parse("too large"));
    }
    // The head ends at the first empty line (CRLF CRLF; a bare LF is tolerated).
    let (head_len, body_at) = match find_blank_line(bytes) {
        Some(x) => x,
        None if datagram => (bytes.len(), bytes.len()),
        None => return Err(Unanswerable::Parse("no end of headers")),
    };
    let head = std::str::from_utf8(&bytes[..head_len])
        .map_err(|_| Unanswerable::Parse("headers are not UTF-8"))?;
    let (request_line, rest) = head.split_once('\n').unwrap_or((head, ""));
    let request_line = request_line.strip_suffix('\r').unwrap_or(request_line);
    if request_line.starts_with("SIP/") {
        return Err(Unanswerable::Response);
    }
    let lines = grammar::header_lines(rest).ok_or(Unanswerable::Parse("malformed header line"))?;
    if request_line.starts_with("ACK ") {
        return Ok(ack(&lines));
    }

    let mut faults: Vec<Status> = Vec::new();

    // Request-Line = Method SP Request-URI SP SIP-Version (single spaces, RFC 3261 §25.1).
    let parts: Vec<&str> = request_line.split(' ').collect();
    let (method_name, target) = match parts.as_slice() {
        [method, uri, version] if grammar::is_token(method) => {
            if !version.eq_ignore_ascii_case("SIP/2.0") {
                faults.push(
                    // `get`: the version may hold any UTF-8 (found by the fuzzer).
                    if version.len() > 4
                        && version
                            .get(..4)
                            .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
                    {
                        VERSION_NOT_SUPPORTED
                    } else {
                        (400, "Bad Request-Line")
                    },
                );
            }
            let target = grammar::request_uri(uri);
            if target.is_none() {
                faults.push((400, "Bad Request-URI"));
            }
            (*method, target)
        }
        _ => {
            faults.push((400, "Bad Request-Line"));
            (parts.first().copied().unwrap_or(""), None)
        }
    };

    // One pass over the header lines finds the headers a redirect server reads.
    let mut first = [None::<usize>; Known::COUNT];
    let mut repeated = [false; Known::COUNT];
    let mut vias: Vec<Cow<'_, str>> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match Known::of(line.name) {
            Some(Known::Via) => match &line.value {
                Cow::Borrowed(b) => {
                    vias.extend(grammar::split_list(b).into_iter().map(Cow::Borrowed));
                }
                Cow::Owned(value) => {
                    for v in grammar::split_list(value) {
                        vias.push(Cow::Owned(v.to_string()));
                    }
                }
            },
            Some(k) => match &mut first[k as usize] {
                Some(_) => repeated[k as usize] = true,
                slot => *slot = Some(i),
            },
            None => {}
        }
    }
    // Single-value headers (RFC 4475 §3.1.2.? multi01: two of them is a 400).
    let single = |k: Known, faults: &mut Vec<Status>| {
        if repeated[k as usize] {
            faults.push((400, "Duplicate Single-Value Header"));
        }
        first[k as usize].map(|i| lines[i].value.clone())
    };

    if vias.is_empty() {
        return Err(Unanswerable::NoVia);
    }
    let mut branch = String::new();
    for (i, v) in vias.iter().enumerate() {
        match grammar::via_branch(v) {
            Some(b) if i == 0 => branch = b.to_string(),
            Some(_) => {}
            None => faults.push((400, "Bad Via")),
        }
    }

    let from = single(Known::From, &mut faults);
    let to = single(Known::To, &mut faults);
    let call_id = single(Known::CallId, &mut faults);
    let cseq = single(Known::CSeq, &mut faults);
    let max_forwards = single(Known::MaxForwards, &mut faults);
    let content_length = single(Known::ContentLength, &mut faults);
    for (value, missing, bad) in [
        (&from, "Missing From", "Bad From"),
        (&to, "Missing To", "Bad To"),
    ] {
        match value {
            None => faults.push((400, missing)),
            Some(v) if grammar::name_addr_tag(v).is_none() => faults.push((400, bad)),
            Some(_) => {}
        }
    }
    match &call_id {
        Some(c) if !c.is_empty() && !c.bytes().any(|b| b <= b' ') => {}
        Some(_) => faults.push((400, "Bad Call-ID")),
        None => faults.push((400, "Missing Call-ID")),
    }
    // CSeq = 1*DIGIT LWS Method, the number below 2^31 (RFC 3261 §8.1.1.5), the method the
    // request's own (§8.2.2: a mismatch is a 400; RFC 4475 §3.1.2.16, §3.1.2.17).
    match cseq.as_deref().map(|c| c.split_once([' ', '\t'])) {
        Some(Some((n, m))) if digits_below(n, 1 << 31).is_some() && m.trim() == method_name => {}
        Some(_) => faults.push((400, "Bad CSeq")),
        None => faults.push((400, "Missing CSeq")),
    }
    let max_forwards = match max_forwards.as_deref() {
        None => 70, // RFC 3261 §8.1.1.6's recommended initial value
        Some(v) => digits_below(v, 256).unwrap_or_else(|| {
            faults.push((400, "Bad Max-Forwards"));
            70
        }) as u32,
    };
    if let Some(len) = content_length.as_deref() {
        match digits_below(len, MAX_MESSAGE as u64 + 1) {
            // RFC 4475 §3.1.2.2: a datagram shorter than its Content-Length is a 400.
            Some(n) if datagram && n as usize > bytes.len() - body_at => {
                faults.push((400, "Content-Length Exceeds The Message"))
            }
            Some(_) => {}
            None => faults.push((400, "Bad Content-Length")),
        }
    }
    // A redirect server reads no Date, but RFC 4475 §3.1.2.11 says a non-GMT one is a 400.
    if let Some(date) = single(Known::Date, &mut faults) {
        if !date.ends_with(" GMT") {
            faults.push((400, "Bad Date"));
        }
    }
    // A version mismatch is told first; then the first thing found wrong.
    let fault = faults
        .iter()
        .find(|s| s.0 == 505)
        .or(faults.first())
        .copied();
    Ok(Incoming {
        method: Method::of(method_name),
        target: if fault.is_some() { None } else { target },
        vias,
        from,
        to,
        call_id,
        cseq,
        branch,
        max_forwards,
        fault,
    })
}

/// An ACK, read only as far as the door uses it: it is never answered (it ends the INVITE
/// transaction of its top Via's branch, `Transactions::acked`), so nothing else in it is
/// judged. Half of the door's datagrams are ACKs; reading them as whole as an INVITE cost
/// ~7,500 instructions each (callgrind).
fn ack<'a>(lines: &[grammar::Line<'a>]) -> Incoming<'a> {
    let top = lines
        .iter()
        .find(|l| Known::of(l.name) == Some(Known::Via))
        .and_then(|l| {
            grammar::split_list(&l.value)
                .first()
                .copied()
                .and_then(grammar::via_branch)
        })
        .unwrap_or_default()
        .to_string();
    Incoming {
        method: Method::Ack,
        target: None,
        vias: Vec::new(),
        from: None,
        to: None,
        call_id: None,
        cseq: None,
        branch: top,
        max_forwards: 70,
        fault: None,
    }
}

/// A decimal number of digits only, below `limit` (leading zeros allowed: RFC 4475
/// §3.1.1.1's `0068`).
fn digits_below(s: &str, limit: u64) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|n| *n < limit)
}

/// The head's length and where the body starts: the first empty line.
fn find_blank_line(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(nl) = bytes[i..].iter().position(|&b| b == b'\n') {
        let at = i + nl + 1;
        match bytes.get(at..) {
            Some([b'\r', b'\n', ..]) => return Some((at, at + 2)),
            Some([b'\n', ..]) => return Some((at, at + 1)),
            _ => i = at,
        }
    }
    None
}

impl Incoming<'_> {
    /// The response to this request with `status` and `extra` header lines (each
    /// `Name: value`, no CRLF).
    ///
    /// The top Via gains `received` when the packet came from elsewhere than it says, and
    /// an empty `rport` is filled (RFC 3261 §18.2.1, RFC 3581), so the answer finds its way
    /// back through NAT. The To gains our tag when it has none (RFC 3261 §8.2.6.2).
    pub fn respond(
        &self,
        status: Status,
        extra: &[String],
        source: SocketAddr,
        to_tag: &str,
    ) -> Vec<u8> {
        // Pushed piece by piece: `write!` through `core::fmt` was a third of this.
        let mut out = String::with_capacity(512);
        out.push_str("SIP/2.0 ");
        out.push_str(itoa::Buffer::new().format(status.0));
        out.push(' ');
        out.push_str(status.1);
        out.push_str("\r\n");
        // A request that is malformed gets its top Via back alone: its other values may be
        // anything (an empty one per comma would make the answer an amplifier — found by
        // the fuzzer), and the answer is routed by the top one.
        let vias = if self.fault.is_some() {
            &self.vias[..1]
        } else {
            &self.vias[..]
        };
        let mut line = |name: &str, value: &str, more: &[&str]| {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            for m in more {
                out.push_str(m);
            }
            out.push_str("\r\n");
        };
        for (i, via) in vias.iter().enumerate() {
            if i == 0 {
                line("Via", &stamp_via(via, source), &[]);
            } else {
                line("Via", via, &[]);
            }
        }
        if let Some(from) = &self.from {
            line("From", from, &[]);
        }
        if let Some(to) = &self.to {
            if has_tag(to) {
                line("To", to, &[]);
            } else {
                line("To", to, &[";tag=", to_tag]);
            }
        }
        if let Some(call_id) = &self.call_id {
            line("Call-ID", call_id, &[]);
        }
        if let Some(cseq) = &self.cseq {
            line("CSeq", cseq, &[]);
        }
        for h in extra {
            out.push_str(h);
            out.push_str("\r\n");
        }
        out.push_str("Server: cvi\r\nContent-Length: 0\r\n\r\n");
        out.into_bytes()
    }
}

fn has_tag(header: &str) -> bool {
    // The tag is a header parameter: after the name-addr's closing '>' when there is one.
    let params = header.rsplit_once('>').map_or(header, |(_, p)| p);
    params.split(';').skip(1).any(|p| {
        p.trim()
            .as_bytes()
            .get(..4)
            .is_some_and(|t| t.eq_ignore_ascii_case(b"tag="))
    })
}

fn stamp_via(via: &str, source: SocketAddr) -> String {
    let mut parts = via.split(';');
    let head = parts.next().unwrap_or("");
    // "SIP/2.0/UDP host:port" — the sent-by host.
    let sent_by = head.split_whitespace().nth(1).unwrap_or("");
    let host = sent_by
        .strip_prefix('[')
        .and_then(|h| h.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| sent_by.rsplit_once(':').map_or(sent_by, |(h, _)| h));
    // Compared as addresses (RFC 3261 §18.2.1: "an IP address that differs from the
    // packet source address"), without writing ours out for every request.
    let mut received = host.parse::<std::net::IpAddr>().ok() != Some(source.ip());
    let mut out = String::with_capacity(via.len() + 48);
    out.push_str(head);
    for p in parts {
        out.push(';');
        let key = p.split('=').next().unwrap_or("").trim();
        if key.eq_ignore_ascii_case("rport") && !p.contains('=') {
            out.push_str("rport=");
            out.push_str(itoa::Buffer::new().format(source.port()));
            received = true;
        } else {
            if key.eq_ignore_ascii_case("received") {
                received = false;
            }
            out.push_str(p);
        }
    }
    if received {
        out.push_str(";received=");
        out.push_str(&source.ip().to_string());
    }
    out
}

/// The `Allow` header of 200/405 answers.
pub fn allow() -> String {
    format!("Allow: {ALLOW}")
}

/// `Contact: <uri>`.
pub fn contact(uri: &str) -> String {
    format!("Contact: <{uri}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:813878896.1223269647@t.plcm.vc SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bK-1;rport\r\n\
        Via: SIP/2.0/UDP proxy.invalid;branch=z9hG4bK-0\r\n\
        Max-Forwards: 70\r\n\
        From: \"Room\" <sip:room@example.invalid>;tag=abc\r\n\
        To: <sip:813878896.1223269647@t.plcm.vc>\r\n\
        Call-ID: 1@room\r\n\
        CSeq: 1 INVITE\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn a_response_echoes_the_transaction_and_finds_its_way_back() {
        let inc = parse(INVITE.as_bytes(), true).unwrap();
        assert_eq!(inc.fault, None);
        assert_eq!(inc.branch, "z9hG4bK-1");
        let src: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let r = String::from_utf8(inc.respond(NOT_FOUND, &[], src, "t1")).unwrap();
        assert!(r.starts_with("SIP/2.0 404 Not Found\r\n"), "{r}");
        assert!(
            r.contains("Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bK-1;rport=40000;received=127.0.0.1\r\n"),
            "{r}"
        );
        assert!(
            r.contains("Via: SIP/2.0/UDP proxy.invalid;branch=z9hG4bK-0\r\n"),
            "{r}"
        );
        assert!(
            r.contains("To: <sip:813878896.1223269647@t.plcm.vc>;tag=t1\r\n"),
            "{r}"
        );
        assert!(
            r.contains("CSeq: 1 INVITE\r\n") && r.contains("Call-ID: 1@room\r\n"),
            "{r}"
        );
        assert!(r.ends_with("Content-Length: 0\r\n\r\n"), "{r}");
    }

    #[test]
    fn the_headers_read_are_known_by_either_name_in_any_case() {
        for (name, known) in [
            ("Via", Some(Known::Via)),
            ("V", Some(Known::Via)),
            ("fROM", Some(Known::From)),
            ("t", Some(Known::To)),
            ("call-id", Some(Known::CallId)),
            ("I", Some(Known::CallId)),
            ("CSEQ", Some(Known::CSeq)),
            ("max-forwards", Some(Known::MaxForwards)),
            ("Content-length", Some(Known::ContentLength)),
            ("l", Some(Known::ContentLength)),
            ("Date", Some(Known::Date)),
            // Compact forms of headers the door never reads, and near misses.
            ("m", None),
            ("k", None),
            ("Tx", None),
            ("Contact", None),
            ("Call-IDs", None),
            ("Max_Forwards", None),
        ] {
            assert_eq!(Known::of(name), known, "{name}");
        }
        assert!(has_tag("<sip:a@b.invalid>; TAG=x"));
        assert!(
            !has_tag("<sip:a@b.invalid;tag=x>"),
            "a URI parameter, not the header's"
        );
        assert!(!has_tag("<sip:a@b.invalid>;tagx=1"));
    }

    #[test]
    fn received_is_added_when_the_packet_came_from_another_address() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        let via = "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1";
        assert_eq!(stamp_via(via, at("192.0.2.1:5060")), via);
        assert_eq!(
            stamp_via(via, at("198.51.100.7:5060")),
            format!("{via};received=198.51.100.7")
        );
        assert_eq!(
            stamp_via(
                "SIP/2.0/UDP pbx.example.invalid;rport",
                at("192.0.2.9:7000")
            ),
            "SIP/2.0/UDP pbx.example.invalid;rport=7000;received=192.0.2.9",
            "a host name is never the packet's address"
        );
        let v6 = "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-2";
        assert_eq!(stamp_via(v6, at("[2001:db8::1]:5060")), v6);
        assert_eq!(
            stamp_via(
                "SIP/2.0/UDP 192.0.2.1;received=192.0.2.1",
                at("192.0.2.2:5060")
            ),
            "SIP/2.0/UDP 192.0.2.1;received=192.0.2.1",
            "a received already there is kept, not doubled"
        );
    }

    #[test]
    fn compact_headers_are_read() {
        let compact = "OPTIONS sip:t.plcm.vc SIP/2.0\r\nv: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-9\r\n\
            f: <sip:a@b.invalid>;tag=1\r\nt: <sip:t.plcm.vc>\r\ni: x@y\r\nCSeq: 7 OPTIONS\r\nl: 0\r\n\r\n";
        let inc = parse(compact.as_bytes(), false).unwrap();
        assert_eq!(inc.fault, None);
        assert_eq!(inc.branch, "z9hG4bK-9");
        assert_eq!(inc.max_forwards, 70);
    }

    #[test]
    fn what_cannot_be_answered_is_refused() {
        assert!(matches!(
            parse(b"\x00\xff garbage\r\n\r\n", true),
            Err(Unanswerable::Parse(_))
        ));
        assert!(matches!(
            parse(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nContent-Length: 0\r\n\r\n", true),
            Err(Unanswerable::Response)
        ));
        let no_via = INVITE
            .replace(
                "Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bK-1;rport\r\n",
                "",
            )
            .replace("Via: SIP/2.0/UDP proxy.invalid;branch=z9hG4bK-0\r\n", "");
        assert!(matches!(
            parse(no_via.as_bytes(), true),
            Err(Unanswerable::NoVia)
        ));
        assert!(parse(&vec![b'a'; MAX_MESSAGE + 1], true).is_err());
    }

    /// RFC 4475's torture messages: every valid request is read without fault, every
    /// invalid one gets a 400 (505 for a version) or is dropped, responses are dropped.
    #[test]
    fn rfc_4475_torture_messages() {
        let mut checked = 0;
        for t in cvi_testkit::rfc4475::messages() {
            let name = format!("{} (RFC 4475 §{})", t.name, t.section);
            let parsed = parse(&t.bytes, true);
            let is_response = t.bytes.starts_with(b"SIP/");
            match (&parsed, t.valid) {
                (Err(Unanswerable::Response), _) if is_response => {}
                (Ok(inc), true) => {
                    assert_eq!(inc.fault, None, "{name}: valid, refused");
                    assert!(inc.target.is_some(), "{name}: no target");
                }
                // RFC 4475 §3.2.1: a branch of the magic cookie alone may be taken as is.
                (Ok(_), false) if t.name == "badbranch" => {}
                // REGISTER's Contact is not read by a redirect server: it gets a 405.
                (Ok(inc), false) if t.name == "regbadct" => assert_eq!(inc.method, Method::Other),
                (Ok(inc), false) => {
                    let fault = inc
                        .fault
                        .unwrap_or_else(|| panic!("{name}: invalid, accepted"));
                    assert!(matches!(fault.0, 400 | 505), "{name}: {fault:?}");
                    assert!(inc.target.is_none(), "{name}: never routed");
                }
                (Err(e), valid) => panic!("{name} (valid: {valid}) dropped: {e}"),
            }
            checked += 1;
        }
        assert_eq!(checked, 35);
        // What each answer says, for the ones the review named.
        let fault = |n: &str| {
            parse(&cvi_testkit::rfc4475::message(n).bytes, true)
                .unwrap()
                .fault
        };
        assert_eq!(
            fault("clerr"),
            Some((400, "Content-Length Exceeds The Message"))
        );
        assert_eq!(fault("ncl"), Some((400, "Bad Content-Length")));
        assert_eq!(
            fault("multi01"),
            Some((400, "Duplicate Single-Value Header"))
        );
        assert_eq!(fault("quotbal"), Some((400, "Bad To")));
        assert_eq!(fault("badvers"), Some(VERSION_NOT_SUPPORTED));
        // esc01: the %-escaped user part is the same URI as unescaped (RFC 3261 §19.1.4).
        let esc = cvi_testkit::rfc4475::message("esc01");
        assert_eq!(
            parse(&esc.bytes, true).unwrap().target,
            Some(Target::Sip("sip:sips:user@example.com@example.net".into()))
        );
    }

    /// Found by `cargo xtask fuzz`: a Via of commas made one echoed line per comma.
    #[test]
    fn a_malformed_request_cannot_grow_its_answer() {
        let commas = INVITE.replace(
            "Via: SIP/2.0/UDP proxy.invalid;branch=z9hG4bK-0\r\n",
            &format!("Via: x{}\r\n", ",".repeat(2000)),
        );
        let inc = parse(commas.as_bytes(), true).unwrap();
        assert_eq!(inc.fault, Some((400, "Bad Via")));
        let src: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let answer = inc.respond(inc.fault.unwrap(), &[], src, "t");
        assert!(
            answer.len() < commas.len(),
            "{} → {}",
            commas.len(),
            answer.len()
        );
        let crash = include_bytes!("../../../../fuzz/corpus/sip/regression-via-commas");
        let inc = parse(crash, true).unwrap();
        let answer = inc.respond(inc.fault.unwrap_or(NOT_FOUND), &[], src, "t");
        assert!(answer.len() <= 2 * crash.len() + 512);
    }

    /// Found by `cargo xtask fuzz`: a SIP-Version with a multi-byte character at byte 4.
    #[test]
    fn any_utf8_in_the_request_line_is_read_without_panic() {
        let crash = include_bytes!("../../../../fuzz/corpus/sip/regression-version-utf8");
        let _ = parse(crash, true);
        let odd = INVITE.replace("SIP/2.0\r\nVia", "SIPƋ/2.0\r\nVia");
        assert_eq!(
            parse(odd.as_bytes(), true).unwrap().fault,
            Some((400, "Bad Request-Line"))
        );
    }

    #[test]
    fn tel_uris_are_another_scheme() {
        let tel = INVITE.replace(
            "INVITE sip:813878896.1223269647@t.plcm.vc SIP/2.0",
            "INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0",
        );
        assert_eq!(
            parse(tel.as_bytes(), true).unwrap().target,
            Some(Target::OtherScheme)
        );
    }
}
