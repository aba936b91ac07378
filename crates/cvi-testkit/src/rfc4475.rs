//! RFC 4475's SIP torture messages (`fixtures/rfc4475.txt`, transcribed from the RFC with
//! its §2 notation kept), expanded to the bytes a device would send.

/// One torture message.
pub struct Torture {
    /// RFC 4475's file name for it (`wsinv`, `clerr`…).
    pub name: String,
    /// Its section in RFC 4475.
    pub section: String,
    /// RFC 4475 §3.1.1 calls it well-formed; the others are to be refused (or, for a few of
    /// §3.2/§3.3, may be).
    pub valid: bool,
    pub bytes: Vec<u8>,
}

const FIXTURE: &str = include_str!("../fixtures/rfc4475.txt");

/// Every message of the fixture, in its order.
pub fn messages() -> Vec<Torture> {
    let mut out = Vec::new();
    let body = FIXTURE
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>();
    let mut i = 0;
    while i < body.len() {
        let head = body[i]
            .strip_prefix("=== ")
            .unwrap_or_else(|| panic!("rfc4475.txt line {}: expected `=== NAME`", i + 1));
        let mut words = head.split(' ');
        let (name, section, expect) = (
            words.next().unwrap_or_default().to_string(),
            words.next().unwrap_or_default().to_string(),
            words.next().unwrap_or_default(),
        );
        i += 1;
        let start = i;
        while i < body.len() && !body[i].starts_with("=== ") {
            i += 1;
        }
        out.push(Torture {
            name,
            section,
            valid: expect == "valid",
            bytes: expand(&body[start..i]),
        });
    }
    out
}

/// One message by name.
pub fn message(name: &str) -> Torture {
    messages()
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no RFC 4475 message {name} in the fixture"))
}

/// RFC 4475 §2: `<allOneLine>` joins lines, `<repeat count=N>` repeats, `<hex>` is bytes;
/// every resulting line ends in CRLF.
fn expand(lines: &[&str]) -> Vec<u8> {
    let mut joined: Vec<String> = Vec::new();
    let mut one: Option<String> = None;
    for l in lines {
        match (*l, one.as_mut()) {
            ("<allOneLine>", None) => one = Some(String::new()),
            ("</allOneLine>", Some(_)) => joined.push(one.take().expect("open")),
            (l, Some(acc)) => acc.push_str(l),
            (l, None) => joined.push(l.to_string()),
        }
    }
    let mut out = Vec::new();
    for l in joined {
        out.extend(inline(&l));
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn inline(line: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find('<') {
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("<hex>") {
            out.extend_from_slice(&rest.as_bytes()[..at]);
            let (hex, more) = after.split_once("</hex>").expect("closed <hex>");
            out.extend(
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits in <hex>")),
            );
            rest = more;
        } else if let Some(after) = tail.strip_prefix("<repeat count=") {
            out.extend_from_slice(&rest.as_bytes()[..at]);
            let (count, more) = after.split_once('>').expect("<repeat count=N>");
            let (text, more) = more.split_once("</repeat>").expect("closed <repeat>");
            let n: usize = count.parse().expect("a repeat count");
            out.extend(inline(text).repeat(n));
            rest = more;
        } else {
            out.extend_from_slice(&rest.as_bytes()[..=at]);
            rest = &rest[at + 1..];
        }
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fixture_expands() {
        let all = super::messages();
        assert_eq!(all.len(), 35);
        let wsinv = super::message("wsinv");
        assert!(wsinv.valid && wsinv.bytes.starts_with(b"INVITE sip:vivekg@chair-dnrc"));
        let longreq = super::message("longreq");
        assert!(longreq.bytes.windows(7).filter(|w| w == b"extreme").count() == 10);
        assert!(super::message("trws")
            .bytes
            .starts_with(b"OPTIONS sip:remote-target@example.com SIP/2.0  \r\n"));
    }
}
