//! Writing a meeting as an iCalendar (RFC 5545) invite: the block in DESCRIPTION (text)
//! and X-ALT-DESC (HTML), the direct-dial SIP URI in LOCATION. The standalone scheduler
//! offers it as "Download .ics"; `invite extract` reads it back.
//!
//! No clock and no I/O: the caller passes the timestamps (UTC, RFC 3339 with `Z`).

use crate::Block;

/// One meeting to write.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Stable per meeting (the meeting key), so re-downloads update the same event.
    pub uid: &'a str,
    pub subject: &'a str,
    /// RFC 3339 UTC, e.g. `2027-01-23T09:00:00Z`.
    pub start: &'a str,
    pub end: &'a str,
    /// When the file is written (RFC 3339 UTC).
    pub stamp: &'a str,
    /// The organizer's e-mail address.
    pub organizer: Option<&'a str>,
    pub attendees: &'a [String],
    /// Usually `sip:<direct dial URI>`.
    pub location: Option<&'a str>,
    pub block: &'a Block,
}

/// Why an event cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("{field}: {value:?} is not a UTC time like 2027-01-23T09:00:00Z")]
    BadTime { field: &'static str, value: String },
    #[error("the end ({end}) must be after the start ({start})")]
    EndBeforeStart { start: String, end: String },
    #[error("{0:?} is not an e-mail address like ann@example.com")]
    BadAddress(String),
}

/// `2027-01-23T09:00:00Z` (fractions allowed and dropped) → `20270123T090000Z`.
fn ics_time(field: &'static str, value: &str) -> Result<String, IcsError> {
    let bad = || IcsError::BadTime {
        field,
        value: value.to_string(),
    };
    let b = value.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b'T' || b[10] == b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    let tail = b.get(19..).unwrap_or_default();
    let zone_ok = match tail {
        [b'Z' | b'z'] => true,
        [b'.', rest @ ..] => {
            rest.len() >= 2
                && rest[..rest.len() - 1].iter().all(u8::is_ascii_digit)
                && matches!(rest[rest.len() - 1], b'Z' | b'z')
        }
        _ => false,
    };
    if !shape || !zone_ok {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| value[r].parse::<u32>().unwrap_or(u32::MAX);
    let (mo, d, h, mi, s) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    Ok(format!(
        "{}{}{}T{}{}{}Z",
        &value[0..4],
        &value[5..7],
        &value[8..10],
        &value[11..13],
        &value[14..16],
        &value[17..19]
    ))
}

fn address(a: &str) -> Result<&str, IcsError> {
    crate::meeting::email_address(a).ok_or_else(|| IcsError::BadAddress(a.trim().to_string()))
}

/// TEXT escaping (RFC 5545 §3.3.11): backslash, `;`, `,` and newlines.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets without splitting a character (§3.1).
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The invite as an `.ics` file (CRLF line ends, folded lines, METHOD:REQUEST when it
/// has an organizer and attendees, else PUBLISH).
///
/// ```
/// use cvi_core::{ics, Block};
/// let block = Block { html: "<div>Join</div>".into(), text: "Join".into() };
/// let file = ics::write(&ics::Event { uid: "m-1", subject: "Review", start: "2027-01-23T09:00:00Z",
///     end: "2027-01-23T10:00:00Z", stamp: "2027-01-01T00:00:00Z", organizer: None, attendees: &[],
///     location: Some("sip:1.2@t.plcm.vc"), block: &block }).unwrap();
/// assert!(file.contains("\r\nDTSTART:20270123T090000Z\r\n"));
/// assert!(file.contains("\r\nLOCATION:sip:1.2@t.plcm.vc\r\n"));
/// ```
///
/// # Errors
/// A time that is not RFC 3339 UTC, an end not after the start, or a bad e-mail address.
pub fn write(e: &Event<'_>) -> Result<String, IcsError> {
    let start = ics_time("start", e.start)?;
    let end = ics_time("end", e.end)?;
    let stamp = ics_time("stamp", e.stamp)?;
    // Same width and layout, so string order is time order.
    if end <= start {
        return Err(IcsError::EndBeforeStart {
            start: e.start.to_string(),
            end: e.end.to_string(),
        });
    }
    let organizer = e.organizer.map(address).transpose()?;
    let attendees = e
        .attendees
        .iter()
        .map(|a| address(a))
        .collect::<Result<Vec<_>, _>>()?;
    let method = if organizer.is_some() && !attendees.is_empty() {
        "REQUEST"
    } else {
        "PUBLISH"
    };

    let mut out = String::with_capacity(e.block.html.len() * 2 + 1024);
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cloud Video Interop//cvi scheduler//EN",
        &format!("METHOD:{method}"),
        "BEGIN:VEVENT",
        &format!("UID:{}", escape_text(e.uid)),
        &format!("DTSTAMP:{stamp}"),
        &format!("DTSTART:{start}"),
        &format!("DTEND:{end}"),
        &format!("SUMMARY:{}", escape_text(e.subject)),
    ] {
        push_line(&mut out, line);
    }
    if let Some(o) = organizer {
        push_line(&mut out, &format!("ORGANIZER:mailto:{o}"));
    }
    for a in attendees {
        push_line(
            &mut out,
            &format!("ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{a}"),
        );
    }
    if let Some(l) = e.location {
        push_line(&mut out, &format!("LOCATION:{}", escape_text(l)));
    }
    push_line(
        &mut out,
        &format!("DESCRIPTION:{}", escape_text(&e.block.text)),
    );
    let html = format!("<html><body>{}</body></html>", e.block.html);
    push_line(
        &mut out,
        &format!("X-ALT-DESC;FMTTYPE=text/html:{}", escape_text(&html)),
    );
    push_line(&mut out, "END:VEVENT");
    push_line(&mut out, "END:VCALENDAR");
    Ok(out)
}

/// Undoes [`escape_text`] in one pass (sequential replaces would turn an escaped
/// backslash followed by `n` into a newline).
pub(crate) fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> Block {
        Block {
            html: "<div id=\"cvi-vtc-block\">Join; now, \\ here</div>".into(),
            text: "Join on a video conferencing device\nTenant key: 1@t.plcm.vc".into(),
        }
    }

    fn event<'a>(b: &'a Block, attendees: &'a [String]) -> Event<'a> {
        Event {
            uid: "outlook-item-42",
            subject: "Design review, Q1; final",
            start: "2027-01-23T09:00:00Z",
            end: "2027-01-23T10:00:00.500Z",
            stamp: "2026-11-25T02:00:00Z",
            organizer: Some("ann@fabrikam.example"),
            attendees,
            location: Some("sip:813878896.1223269647@t.plcm.vc"),
            block: b,
        }
    }

    #[test]
    fn writes_a_request_with_escaped_text_and_folded_lines() {
        let b = block();
        let who = vec!["bob@fabrikam.example".to_string()];
        let f = write(&event(&b, &who)).unwrap();
        assert!(f.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(f.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(f.contains("\r\nMETHOD:REQUEST\r\n"));
        assert!(f.contains("\r\nSUMMARY:Design review\\, Q1\\; final\r\n"));
        assert!(f.contains("\r\nDTEND:20270123T100000Z\r\n"));
        assert!(f.contains(
            "\r\nATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:bob@fabrikam.example\r\n"
        ));
        assert!(f.contains(
            "DESCRIPTION:Join on a video conferencing device\\nTenant key: 1@t.plcm.vc\r\n"
        ));
        for line in f.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is longer than 75 octets");
        }
        assert!(!f.replace("\r\n", "").contains('\n'), "only CRLF line ends");
    }

    #[test]
    fn publish_without_attendees() {
        let b = block();
        let mut e = event(&b, &[]);
        e.organizer = None;
        assert!(write(&e).unwrap().contains("\r\nMETHOD:PUBLISH\r\n"));
    }

    #[test]
    fn bad_input_is_named() {
        let b = block();
        let mut e = event(&b, &[]);
        e.start = "2027-01-23 09:00";
        assert!(matches!(
            write(&e),
            Err(IcsError::BadTime { field: "start", .. })
        ));
        e.start = "2027-13-23T09:00:00Z";
        assert!(write(&e).is_err());
        e.start = "2027-01-23T09:00:00+01:00";
        assert!(write(&e).is_err(), "only UTC");
        e.start = "2027-01-23T11:00:00Z";
        assert!(matches!(write(&e), Err(IcsError::EndBeforeStart { .. })));
        let who = vec!["bob".to_string()];
        let e = event(&b, &who);
        assert_eq!(write(&e), Err(IcsError::BadAddress("bob".into())));
        let who = vec!["a@b.example\r\nATTENDEE:mailto:x@y.example".to_string()];
        assert!(write(&event(&b, &who)).is_err(), "no header injection");
    }

    #[test]
    fn folding_never_splits_a_character() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "会議".repeat(40));
        push_line(&mut out, &line);
        for l in out.split("\r\n") {
            assert!(l.len() <= 75);
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), line);
    }

    #[test]
    fn unescape_is_the_inverse_of_escape() {
        for s in ["a\\nb", "x;y,z\nw", "\\", "trailing\\\\", "日本\\;"] {
            assert_eq!(unescape_text(&escape_text(s)), s);
        }
    }
}
