//! One SIP request in, at most one response out: what a redirect server (RFC 3261 §8.3)
//! says to each method. Parsing and generation are rsip's; this module only decides.

use std::net::SocketAddr;

use rsip::{
    headers::{self, UntypedHeader},
    Header, Headers, Method, Request,
};

/// A status code and its RFC 3261 §21 reason phrase (rsip prints variant names instead).
pub type Status = (u16, &'static str);
pub const OK: Status = (200, "OK");
pub const MOVED_TEMPORARILY: Status = (302, "Moved Temporarily");
pub const NOT_FOUND: Status = (404, "Not Found");
pub const METHOD_NOT_ALLOWED: Status = (405, "Method Not Allowed");
pub const NO_TRANSACTION: Status = (481, "Call/Transaction Does Not Exist");
pub const TOO_MANY_HOPS: Status = (483, "Too Many Hops");
pub const SERVICE_UNAVAILABLE: Status = (503, "Service Unavailable");

/// The largest message the front door reads (bytes); larger ones are dropped.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// Methods a redirect server handles (the `Allow` of 200/405 answers).
const ALLOW: &str = "INVITE, ACK, CANCEL, OPTIONS, BYE";

/// A request with what answering it needs (RFC 3261 §8.2.6: the response copies these).
pub struct Incoming {
    pub request: Request,
    /// Every Via (top first), From, To, Call-ID and CSeq, as received.
    vias: Vec<String>,
    from: String,
    to: String,
    call_id: String,
    cseq: String,
    /// The top Via's branch: the transaction (RFC 3261 §17.2.3).
    pub branch: String,
}

/// Why a datagram or frame is not answered.
#[derive(Debug, thiserror::Error)]
pub enum Unanswerable {
    #[error("not a SIP request: {0}")]
    Parse(String),
    #[error("a response, not a request")]
    Response,
    #[error("request without {0}: cannot be answered")]
    Missing(&'static str),
}

/// A header's value by its full or compact name (RFC 3261 §7.3.3); rsip keeps compact
/// names as unknown headers, so both are looked at.
fn values(headers: &Headers, full: &str, compact: &str) -> Vec<String> {
    headers
        .iter()
        .filter_map(|h| {
            let (name, value) = match h {
                Header::Via(v) => ("Via", v.value()),
                Header::From(v) => ("From", v.value()),
                Header::To(v) => ("To", v.value()),
                Header::CallId(v) => ("Call-ID", v.value()),
                Header::CSeq(v) => ("CSeq", v.value()),
                Header::MaxForwards(v) => ("Max-Forwards", v.value()),
                Header::Other(n, v) => (n.as_str(), v.as_str()),
                _ => return None,
            };
            (name.eq_ignore_ascii_case(full) || name.eq_ignore_ascii_case(compact))
                .then(|| value.to_string())
        })
        .collect()
}

/// Parses one message. A malformed message, a response, or a request missing what a
/// response must echo is not answered (the caller drops it).
pub fn parse(bytes: &[u8]) -> Result<Incoming, Unanswerable> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Unanswerable::Parse("too large".into()));
    }
    let msg = rsip::SipMessage::try_from(bytes).map_err(|e| Unanswerable::Parse(e.to_string()))?;
    let rsip::SipMessage::Request(request) = msg else {
        return Err(Unanswerable::Response);
    };
    let one = |full: &'static str, compact: &str| {
        values(&request.headers, full, compact)
            .into_iter()
            .next()
            .ok_or(Unanswerable::Missing(full))
    };
    // A Via may hold several comma-separated values; each is a hop.
    let vias: Vec<String> = values(&request.headers, "Via", "v")
        .iter()
        .flat_map(|v| v.split(',').map(|s| s.trim().to_string()))
        .filter(|v| !v.is_empty())
        .collect();
    let top = vias.first().ok_or(Unanswerable::Missing("Via"))?;
    let branch = top
        .split(';')
        .skip(1)
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("branch")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    Ok(Incoming {
        from: one("From", "f")?,
        to: one("To", "t")?,
        call_id: one("Call-ID", "i")?,
        cseq: one("CSeq", "CSeq")?,
        vias,
        branch,
        request,
    })
}

impl Incoming {
    pub fn method(&self) -> &Method {
        &self.request.method
    }

    /// The Request-URI as dialled.
    pub fn uri(&self) -> String {
        self.request.uri.to_string()
    }

    /// Max-Forwards as sent (70 when absent, as RFC 3261 §8.1.1.6 recommends senders use).
    pub fn max_forwards(&self) -> u32 {
        values(&self.request.headers, "Max-Forwards", "Max-Forwards")
            .first()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(70)
    }

    /// The response to this request with `status` and `extra` headers.
    ///
    /// The top Via gains `received` when the packet came from elsewhere than it says, and
    /// an empty `rport` is filled (RFC 3261 §18.2.1, RFC 3581), so the answer finds its way
    /// back through NAT. The To gains our tag when it has none (RFC 3261 §8.2.6.2).
    pub fn respond(
        &self,
        status: Status,
        extra: Vec<Header>,
        source: SocketAddr,
        to_tag: &str,
    ) -> Vec<u8> {
        let mut headers = Headers::default();
        for (i, via) in self.vias.iter().enumerate() {
            let v = if i == 0 {
                stamp_via(via, source)
            } else {
                via.clone()
            };
            headers.push(Header::Via(headers::Via::new(v)));
        }
        headers.push(Header::From(headers::From::new(self.from.clone())));
        let to = if has_tag(&self.to) {
            self.to.clone()
        } else {
            format!("{};tag={to_tag}", self.to)
        };
        headers.push(Header::To(headers::To::new(to)));
        headers.push(Header::CallId(headers::CallId::new(self.call_id.clone())));
        headers.push(Header::CSeq(headers::CSeq::new(self.cseq.clone())));
        for h in extra {
            headers.push(h);
        }
        headers.push(Header::Server(headers::Server::new("cvi")));
        headers.push(Header::ContentLength(headers::ContentLength::new("0")));
        format!("SIP/2.0 {} {}\r\n{headers}\r\n", status.0, status.1).into_bytes()
    }
}

fn has_tag(header: &str) -> bool {
    // The tag is a header parameter: after the name-addr's closing '>' when there is one.
    let params = header.rsplit_once('>').map_or(header, |(_, p)| p);
    params
        .split(';')
        .skip(1)
        .any(|p| p.trim().to_ascii_lowercase().starts_with("tag="))
}

fn stamp_via(via: &str, source: SocketAddr) -> String {
    let ip = source.ip().to_string();
    let mut parts: Vec<String> = via.split(';').map(str::to_string).collect();
    // "SIP/2.0/UDP host:port" — the sent-by host.
    let sent_by = parts[0].split_whitespace().nth(1).unwrap_or("");
    let host = sent_by
        .strip_prefix('[')
        .and_then(|h| h.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| sent_by.rsplit_once(':').map_or(sent_by, |(h, _)| h));
    let mut received = host != ip;
    for p in parts.iter_mut().skip(1) {
        let key = p
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if key == "rport" && !p.contains('=') {
            *p = format!("rport={}", source.port());
            received = true;
        } else if key == "received" {
            received = false;
        }
    }
    let mut out = parts.join(";");
    if received {
        out.push_str(&format!(";received={ip}"));
    }
    out
}

/// Headers of answers that say what we allow.
pub fn allow() -> Header {
    Header::Allow(headers::Allow::new(ALLOW))
}

/// `Contact: <uri>`.
pub fn contact(uri: &str) -> Header {
    Header::Contact(headers::Contact::new(format!("<{uri}>")))
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
        let inc = parse(INVITE.as_bytes()).unwrap();
        assert_eq!(inc.branch, "z9hG4bK-1");
        let src: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let r = String::from_utf8(inc.respond(NOT_FOUND, vec![], src, "t1")).unwrap();
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
    fn compact_headers_are_read() {
        let compact = "OPTIONS sip:t.plcm.vc SIP/2.0\r\nv: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK-9\r\n\
            f: <sip:a@b.invalid>;tag=1\r\nt: <sip:t.plcm.vc>\r\ni: x@y\r\nCSeq: 7 OPTIONS\r\nl: 0\r\n\r\n";
        let inc = parse(compact.as_bytes()).unwrap();
        assert_eq!(inc.branch, "z9hG4bK-9");
        assert_eq!(inc.max_forwards(), 70);
    }

    #[test]
    fn what_cannot_be_answered_is_refused() {
        assert!(matches!(
            parse(b"\x00\xff garbage"),
            Err(Unanswerable::Parse(_))
        ));
        assert!(matches!(
            parse(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nContent-Length: 0\r\n\r\n"),
            Err(Unanswerable::Response)
        ));
        let no_via = INVITE
            .replace(
                "Via: SIP/2.0/UDP 10.0.0.9:5062;branch=z9hG4bK-1;rport\r\n",
                "",
            )
            .replace("Via: SIP/2.0/UDP proxy.invalid;branch=z9hG4bK-0\r\n", "");
        assert!(matches!(
            parse(no_via.as_bytes()),
            Err(Unanswerable::Missing("Via"))
        ));
        assert!(parse(&vec![b'a'; MAX_MESSAGE + 1]).is_err());
    }
}
