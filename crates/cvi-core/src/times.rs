//! Times as the API shows them: RFC 3339 in, Unix milliseconds stored, RFC 3339 in UTC
//! out; and calendar dates (a series' last day, the weekday a weekly series recurs on).

use time::{format_description::well_known::Rfc3339, Date, Month, OffsetDateTime};

/// A time or date that could not be read; the message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTime {
    #[error("{0:?} is not an RFC 3339 time like 2027-01-23T10:00:00Z ({1})")]
    Time(String, String),
    #[error("{0:?} is not a date like 2027-03-31")]
    Date(String),
}

/// Unix milliseconds of an RFC 3339 time (any offset).
///
/// ```
/// assert_eq!(cvi_core::times::parse_ms("1970-01-01T01:00:00+01:00"), Ok(0));
/// assert!(cvi_core::times::parse_ms("tomorrow").is_err());
/// ```
pub fn parse_ms(s: &str) -> Result<i64, BadTime> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339)
        .map_err(|e| BadTime::Time(s.to_string(), e.to_string()))?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// RFC 3339 in UTC of Unix milliseconds, as the API shows times (empty when out of range).
///
/// ```
/// assert_eq!(cvi_core::times::format_ms(1_800_000_000_000), "2027-01-15T08:00:00Z");
/// ```
#[must_use]
pub fn format_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Unix milliseconds of an RFC 3339 time, or of a UTC day `YYYY-MM-DD`: its midnight, or
/// with `end_of_day` the midnight after it (a filter's "until 2027-01-23" takes that day in).
///
/// ```
/// use cvi_core::times::parse_ms_or_day;
/// assert_eq!(parse_ms_or_day("1970-01-02", false), Ok(86_400_000));
/// assert_eq!(parse_ms_or_day("1970-01-01", true), Ok(86_400_000));
/// assert_eq!(parse_ms_or_day("1970-01-01T00:00:01Z", true), Ok(1_000));
/// ```
pub fn parse_ms_or_day(s: &str, end_of_day: bool) -> Result<i64, BadTime> {
    let s = s.trim();
    if s.len() == 10 {
        let midnight = parse_date(s)?.midnight().assume_utc().unix_timestamp() * 1000;
        return Ok(midnight + if end_of_day { 86_400_000 } else { 0 });
    }
    parse_ms(s)
}

/// A calendar date written `YYYY-MM-DD` (a real day: no February 30th).
pub fn parse_date(s: &str) -> Result<Date, BadTime> {
    let bad = || BadTime::Date(s.to_string());
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| {
        s.get(r)
            .filter(|d| d.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|d| d.parse::<u16>().ok())
            .ok_or_else(bad)
    };
    let month = Month::try_from(n(5..7)? as u8).map_err(|_| bad())?;
    Date::from_calendar_date(i32::from(n(0..4)?), month, n(8..10)? as u8).map_err(|_| bad())
}

/// The weekday of a date in lower case, as Microsoft Graph's `dayOfWeek` names it.
#[must_use]
pub fn weekday_name(d: Date) -> &'static str {
    use time::Weekday::*;
    match d.weekday() {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_of_known_dates() {
        let day = |s| weekday_name(parse_date(s).unwrap());
        assert_eq!(day("2027-01-23"), "saturday");
        assert_eq!(day("2026-11-29"), "sunday");
        assert_eq!(day("2024-02-29"), "thursday");
    }

    #[test]
    fn only_real_days_are_dates() {
        for bad in [
            "2027-02-30",
            "2027-13-01",
            "2027-1-01",
            "27-01-01x",
            "2027/01/01",
            "+027-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad), Err(BadTime::Date(bad.into())), "{bad}");
        }
        assert!(parse_date("2028-02-29").is_ok());
    }

    #[test]
    fn times_go_round() {
        let ms = parse_ms("2027-01-23T10:00:00Z").unwrap();
        assert_eq!(format_ms(ms), "2027-01-23T10:00:00Z");
        assert!(matches!(
            parse_ms("2027-01-23 10:00"),
            Err(BadTime::Time(..))
        ));
    }
}
