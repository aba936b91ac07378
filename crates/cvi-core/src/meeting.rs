//! The rules of one meeting's coordinates that do not depend on storage: what a meeting
//! key and a subject may be, and how long coordinates live (until the meeting, or its
//! series, ended 60 days ago).

use std::fmt;

/// Coordinates stay valid this long after the meeting (or its series) ends.
pub const EXPIRY_AFTER_END_MS: i64 = 60 * 24 * 3600 * 1000;
/// The longest a series may run after its first meeting: a Video ID must not stay taken
/// forever (5 years of 365 days).
pub const MAX_SERIES_MS: i64 = 5 * 365 * 24 * 3600 * 1000;
/// A meeting's start and end lie in [2000-01-01, 2100-01-01] (UTC, Unix ms): a date outside
/// is a client's mistake, and the range keeps every time formattable.
pub const EARLIEST_MS: i64 = 946_684_800_000;
pub const LATEST_MS: i64 = 4_102_444_800_000;
/// The longest single meeting.
pub const MAX_MEETING_MS: i64 = 31 * 24 * 3600 * 1000;

/// Why a meeting's input is not acceptable. The messages say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeetingError {
    #[error("meeting_key must be 1-256 characters of letters, digits and - _ . : @ + / =")]
    Key,
    #[error("subject is longer than 255 characters")]
    SubjectTooLong,
    #[error("subject may not contain {0:?}: it is shown in invites, where markup is not allowed")]
    SubjectCharacter(char),
    #[error("end must be after start")]
    EndBeforeStart,
    #[error("series_end must not be before end")]
    SeriesEndBeforeEnd,
    #[error("start and end must lie between 2000-01-01 and 2100-01-01 (UTC)")]
    OutOfRange,
    #[error("a meeting lasts at most 31 days; for a longer time, schedule a recurring series (series_end)")]
    TooLong,
    #[error("series_end is more than 5 years after the first meeting; coordinates cannot be held that long — schedule the series again before then")]
    SeriesTooLong,
    #[error("teams_join_url must be a Teams meeting link (https://teams.microsoft.com/l/meetup-join/… or …/meet/…, or the same on teams.live.com), at most 2048 characters; got {0:?}")]
    JoinUrl(String),
}

/// The hosts a Teams meeting link lives on.
const TEAMS_HOSTS: [&str; 2] = ["teams.microsoft.com", "teams.live.com"];

/// A Teams meeting join link as a bridge may follow it: https (as a browser reads it) on
/// Teams' own hosts, a meeting path (`/l/meetup-join/…`, or the newer `/meet/…`), at most
/// 2048 characters. Returned in the form a browser would open.
///
/// ```
/// use cvi_core::meeting::teams_join_url;
/// assert!(teams_join_url("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0").is_ok());
/// assert!(teams_join_url("https://teams.microsoft.com.evil.invalid/l/meetup-join/x").is_err());
/// ```
pub fn teams_join_url(s: &str) -> Result<String, MeetingError> {
    let bad = || MeetingError::JoinUrl(s.chars().take(80).collect());
    let u = crate::https_url::HttpsUrl::parse(s).ok_or_else(bad)?;
    let host_ok = TEAMS_HOSTS.iter().any(|h| u.host().eq_ignore_ascii_case(h));
    let path = u.path();
    let meeting = path.starts_with("/l/meetup-join/") || path.starts_with("/meet/");
    (host_ok && meeting && u.as_str().len() <= 2048)
        .then(|| u.as_str().to_string())
        .ok_or_else(bad)
}

/// The client's key for one meeting (an Outlook item id, an iCalUId, ...): issuing twice
/// with the same key returns the same coordinates.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MeetingKey(String);

impl MeetingKey {
    /// 1-256 characters of ASCII letters, digits and `- _ . : @ + / =`.
    ///
    /// ```
    /// use cvi_core::meeting::MeetingKey;
    /// assert!(MeetingKey::parse("outlook-item-42").is_ok());
    /// assert!(MeetingKey::parse("has space").is_err());
    /// ```
    pub fn parse(k: &str) -> Result<Self, MeetingError> {
        let ok = !k.is_empty()
            && k.len() <= 256
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@+/=".contains(c));
        ok.then(|| MeetingKey(k.to_string()))
            .ok_or(MeetingError::Key)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MeetingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MeetingKey({:?})", self.0)
    }
}

/// A subject as invites may show it: trimmed, at most 255 characters, no control
/// characters and no `<`/`>`; empty means none.
pub fn subject(s: Option<&str>) -> Result<Option<String>, MeetingError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > 255 {
        return Err(MeetingError::SubjectTooLong);
    }
    if let Some(c) = s.chars().find(|c| c.is_control() || *c == '<' || *c == '>') {
        return Err(MeetingError::SubjectCharacter(c));
    }
    Ok(Some(s.to_string()))
}

/// When a meeting is, and so when its coordinates expire (Unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub start: i64,
    pub end: i64,
    pub expires: i64,
}

impl Schedule {
    /// A meeting from `start` to `end`; a recurring one ends its series at `series_end`.
    ///
    /// ```
    /// use cvi_core::meeting::{Schedule, EXPIRY_AFTER_END_MS};
    /// let t = 1_800_000_000_000; // 2027-01-15
    /// let s = Schedule::new(t, t + 3_600_000, None).unwrap();
    /// assert_eq!(s.expires, t + 3_600_000 + EXPIRY_AFTER_END_MS);
    /// assert!(Schedule::new(t, t, None).is_err());
    /// assert!(Schedule::new(0, 3_600_000, None).is_err(), "1970 is out of range");
    /// ```
    pub fn new(start: i64, end: i64, series_end: Option<i64>) -> Result<Self, MeetingError> {
        if !(EARLIEST_MS..=LATEST_MS).contains(&start) || !(EARLIEST_MS..=LATEST_MS).contains(&end)
        {
            return Err(MeetingError::OutOfRange);
        }
        if end <= start {
            return Err(MeetingError::EndBeforeStart);
        }
        if end - start > MAX_MEETING_MS {
            return Err(MeetingError::TooLong);
        }
        let last = series_end.unwrap_or(end);
        if last < end {
            return Err(MeetingError::SeriesEndBeforeEnd);
        }
        if last.saturating_sub(end) > MAX_SERIES_MS {
            return Err(MeetingError::SeriesTooLong);
        }
        Ok(Schedule {
            start,
            end,
            expires: last.saturating_add(EXPIRY_AFTER_END_MS),
        })
    }
}

/// An attendee's plain `local@domain` address, trimmed: no spaces, controls or characters
/// that would need quoting in a `mailto:` value or an RFC 5322 header. The one e-mail rule
/// (the .ics invite, the Graph event's attendees).
#[must_use]
pub fn email_address(a: &str) -> Option<&str> {
    let a = a.trim();
    let ok = a.len() <= 254
        && a.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && !d.is_empty() && !d.contains('@') && d.contains('.')
        })
        && a.chars()
            .all(|c| c.is_ascii_graphic() && !"\"(),:;<>[\\]".contains(c));
    ok.then_some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_expires_after_its_last_meeting() {
        let t = EARLIEST_MS;
        let s = Schedule::new(t, t + 10, Some(t + 1_000)).unwrap();
        assert_eq!(s.expires, t + 1_000 + EXPIRY_AFTER_END_MS);
        assert_eq!(
            Schedule::new(t, t + 10, Some(t + 5)),
            Err(MeetingError::SeriesEndBeforeEnd)
        );
        assert!(Schedule::new(t, t + 10, Some(t + 10 + MAX_SERIES_MS)).is_ok());
        assert_eq!(
            Schedule::new(t, t + 10, Some(t + 11 + MAX_SERIES_MS)),
            Err(MeetingError::SeriesTooLong)
        );
        assert_eq!(
            Schedule::new(t, t + 10, Some(i64::MAX)),
            Err(MeetingError::SeriesTooLong)
        );
    }

    #[test]
    fn a_meeting_lies_in_a_sensible_window() {
        let t = EARLIEST_MS;
        assert_eq!(
            Schedule::new(t - 1, t + 10, None),
            Err(MeetingError::OutOfRange)
        );
        assert_eq!(
            Schedule::new(LATEST_MS - 10, LATEST_MS + 1, None),
            Err(MeetingError::OutOfRange)
        );
        assert_eq!(
            Schedule::new(i64::MIN, i64::MAX, None),
            Err(MeetingError::OutOfRange)
        );
        assert!(Schedule::new(t, t + MAX_MEETING_MS, None).is_ok());
        assert_eq!(
            Schedule::new(t, t + MAX_MEETING_MS + 1, None),
            Err(MeetingError::TooLong)
        );
    }

    #[test]
    fn teams_join_links() {
        for good in [
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0?context=%7b%7d",
            "https://teams.microsoft.com/meet/228859003479315?p=3inkejx3nncDpjv8g2",
            "https://teams.live.com/meet/9312345678901",
        ] {
            assert!(teams_join_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://teams.microsoft.com/l/meetup-join/x",
            "https://teams.microsoft.com/l/chat/x",
            "https://evil.invalid/l/meetup-join/x",
            "https://teams.microsoft.com@evil.invalid/l/meetup-join/x",
            "javascript:alert(1)",
        ] {
            assert!(teams_join_url(bad).is_err(), "{bad}");
        }
        let long = format!(
            "https://teams.microsoft.com/l/meetup-join/{}",
            "x".repeat(2048)
        );
        assert!(teams_join_url(&long).is_err());
    }

    #[test]
    fn subjects() {
        assert_eq!(subject(Some("  ")), Ok(None));
        assert_eq!(subject(Some(" Q1 ")), Ok(Some("Q1".into())));
        assert_eq!(
            subject(Some("<b>")),
            Err(MeetingError::SubjectCharacter('<'))
        );
        assert_eq!(
            subject(Some(&"x".repeat(256))),
            Err(MeetingError::SubjectTooLong)
        );
    }
}
