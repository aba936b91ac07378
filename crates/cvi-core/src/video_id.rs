//! Video ID (the VTC conference ID): 10 digits, shown grouped 3-3-3-1 (`122 326 964 4`).
//!
//! IDs we issue are 9 CSPRNG digits plus a Damm check digit, so an IVR can reject a
//! mistyped ID before any lookup. IDs found in other invites (Microsoft's, or 9-digit IDs
//! from 2019) carry no check digit; [`VideoId::parse_any`] accepts them for extraction only.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The Damm algorithm's totally anti-symmetric quasigroup of order 10 (Damm, 2004).
/// It detects every single-digit error and every adjacent transposition.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Damm interim digit over ASCII digits; 0 for a string that ends in its own check digit.
fn damm(digits: &[u8]) -> u8 {
    digits
        .iter()
        .fold(0, |interim, d| DAMM[interim as usize][(d - b'0') as usize])
}

/// Number of random digits in an ID we issue.
pub const BODY_DIGITS: usize = 9;
/// 10^9: the count of distinct bodies, so IDs are drawn uniformly from `0..SPACE`.
pub const SPACE: u32 = 1_000_000_000;

/// Why a string is not a Video ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VideoIdError {
    #[error("a Video ID has 10 digits (spaces and dashes allowed), got {0} digits")]
    Length(usize),
    #[error("a Video ID holds only digits, spaces and dashes; found {0:?}")]
    Character(char),
    #[error(
        "the Video ID's last digit does not match (check digit); the ID was probably mistyped"
    )]
    CheckDigit,
}

/// A Video ID: 9 or 10 ASCII digits, stored without grouping.
///
/// ```
/// use cvi_core::VideoId;
/// let id = VideoId::from_body(122_326_964);
/// assert_eq!(id.grouped(), format!("122 326 964 {}", &id.as_str()[9..]));
/// assert_eq!(VideoId::parse(&id.grouped()), Ok(id));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VideoId(String);

impl VideoId {
    /// Builds the ID for a 9-digit body (`0..10^9`) by appending its Damm check digit.
    ///
    /// # Panics
    /// If `body >= 10^9`; callers draw bodies from `0..SPACE`.
    #[must_use]
    pub fn from_body(body: u32) -> Self {
        assert!(body < SPACE, "Video ID body out of range");
        let mut s = format!("{body:09}");
        let check = damm(s.as_bytes());
        s.push(char::from(b'0' + check));
        VideoId(s)
    }

    /// Draws a fresh ID uniformly from the 10^9 possible bodies with a CSPRNG.
    pub fn generate<R: rand_core::RngCore + rand_core::CryptoRng>(rng: &mut R) -> Self {
        // Rejection sampling: 4_000_000_000 is the largest multiple of 10^9 below 2^32,
        // so `% SPACE` stays uniform.
        const LIMIT: u32 = 4 * SPACE;
        loop {
            let n = rng.next_u32();
            if n < LIMIT {
                return Self::from_body(n % SPACE);
            }
        }
    }

    /// Parses an ID that we issued: exactly 10 digits (spaces/dashes ignored) and a valid
    /// check digit. Used by resolution, before any database lookup.
    pub fn parse(input: &str) -> Result<Self, VideoIdError> {
        let digits = Self::digits(input)?;
        if digits.len() != 10 {
            return Err(VideoIdError::Length(digits.len()));
        }
        if damm(digits.as_bytes()) != 0 {
            return Err(VideoIdError::CheckDigit);
        }
        Ok(VideoId(digits))
    }

    /// Parses a Video ID as keyed at an IVR prompt (`1187204536#`): digits and one final
    /// `#`, nothing else (`*`, letters, spaces are refused), then as [`VideoId::parse`].
    ///
    /// ```
    /// use cvi_core::VideoId;
    /// let id = VideoId::from_body(118_720_453);
    /// assert_eq!(VideoId::parse_dtmf(&format!("{id}#")).unwrap(), id);
    /// assert!(VideoId::parse_dtmf("*1187204536#").is_err());
    /// ```
    pub fn parse_dtmf(keys: &str) -> Result<Self, VideoIdError> {
        let digits = keys.strip_suffix('#').unwrap_or(keys);
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(VideoIdError::Character(c));
        }
        Self::parse(digits)
    }

    /// Parses any Video ID seen in the wild: 9 or 10 digits, no check-digit test.
    /// Used by extraction from invites that another system wrote.
    pub fn parse_any(input: &str) -> Result<Self, VideoIdError> {
        let digits = Self::digits(input)?;
        match digits.len() {
            9 | 10 => Ok(VideoId(digits)),
            n => Err(VideoIdError::Length(n)),
        }
    }

    fn digits(input: &str) -> Result<String, VideoIdError> {
        let mut out = String::with_capacity(10);
        for c in input.trim().chars() {
            match c {
                '0'..='9' => out.push(c),
                ' ' | '-' | '\u{a0}' => {}
                other => return Err(VideoIdError::Character(other)),
            }
            if out.len() > 16 {
                break;
            }
        }
        Ok(out)
    }

    /// True when this is a 10-digit ID whose last digit is its Damm check digit.
    #[must_use]
    pub fn has_valid_check_digit(&self) -> bool {
        self.0.len() == 10 && damm(self.0.as_bytes()) == 0
    }

    /// The bare digits, as dial strings use them (`1223269647`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits grouped 3-3-3-1 for people (`122 326 964 4`); 9-digit IDs as 3-3-3.
    #[must_use]
    pub fn grouped(&self) -> String {
        let d = &self.0;
        let mut out = String::with_capacity(13);
        for (i, c) in d.chars().enumerate() {
            if i > 0 && i % 3 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for VideoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VideoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VideoId({})", self.0)
    }
}

impl TryFrom<String> for VideoId {
    type Error = VideoIdError;
    /// Deserialization accepts what extraction accepts (9 or 10 digits); resolution calls
    /// [`VideoId::parse`] itself.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse_any(&s)
    }
}

impl From<VideoId> for String {
    fn from(v: VideoId) -> String {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn damm_matches_the_published_example() {
        // Wikipedia's worked example: 572 -> check digit 4.
        assert_eq!(damm(b"572"), 4);
        assert_eq!(damm(b"5724"), 0);
    }

    #[test]
    fn formats_grouped_3_3_3_1() {
        let id = VideoId::from_body(122_326_964);
        assert_eq!(id.as_str().len(), 10);
        assert!(id.grouped().starts_with("122 326 964 "));
        assert_eq!(VideoId::parse(&id.grouped()).unwrap(), id);
    }

    #[test]
    fn leading_zeros_are_kept() {
        let id = VideoId::from_body(42);
        assert!(id.as_str().starts_with("000000042"));
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        assert_eq!(VideoId::parse("12345"), Err(VideoIdError::Length(5)));
        assert_eq!(
            VideoId::parse("12345678x0"),
            Err(VideoIdError::Character('x'))
        );
        let good = VideoId::from_body(123_456_789);
        let mut bad = good.as_str().to_string();
        let last = bad.pop().unwrap();
        bad.push(if last == '0' { '1' } else { '0' });
        assert_eq!(VideoId::parse(&bad), Err(VideoIdError::CheckDigit));
        // Foreign IDs (no check digit, 9 digits) are fine for extraction.
        assert!(VideoId::parse_any(&bad).is_ok());
        assert!(VideoId::parse_any("122 326 964").is_ok());
    }

    #[test]
    fn generate_is_valid() {
        let mut rng = rand::rngs::OsRng;
        for _ in 0..1000 {
            assert!(VideoId::generate(&mut rng).has_valid_check_digit());
        }
    }

    proptest! {
        #[test]
        fn every_single_digit_error_is_caught(body in 0u32..SPACE, pos in 0usize..10, delta in 1u8..10) {
            let id = VideoId::from_body(body);
            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(VideoId::parse(&typo), Err(VideoIdError::CheckDigit));
        }

        #[test]
        fn every_adjacent_transposition_is_caught(body in 0u32..SPACE, pos in 0usize..9) {
            let id = VideoId::from_body(body);
            let mut bytes = id.as_str().as_bytes().to_vec();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(VideoId::parse(&typo), Err(VideoIdError::CheckDigit));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = VideoId::parse(&s);
            let _ = VideoId::parse_any(&s);
        }

        #[test]
        fn grouped_round_trips(body in 0u32..SPACE) {
            let id = VideoId::from_body(body);
            prop_assert_eq!(VideoId::parse(&id.grouped()).unwrap(), id);
        }
    }
}
