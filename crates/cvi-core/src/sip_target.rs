//! Where the SIP front door redirects a call: a per-provider template for the `Contact` of
//! its `302 Moved Temporarily` (RFC 3261 §21.3.3).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a template may name. `{video_id}` and `{direct_dial}` exist only for a meeting.
pub const PLACEHOLDERS: [&str; 3] = ["{video_id}", "{direct_dial}", "{tenant_key}"];

/// Why a string is not an acceptable SIP target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipTargetError {
    #[error("a SIP target must start with sip: or sips:, e.g. sip:{{video_id}}@gateway.example.com; got {0:?}")]
    Scheme(String),
    #[error(
        "a SIP target may not contain spaces, quotes, '<', '>' or control characters (found {0:?})"
    )]
    Character(char),
    #[error("unknown placeholder {0:?}: use {{video_id}}, {{direct_dial}} or {{tenant_key}}")]
    Placeholder(String),
    #[error("{0} is a meeting's placeholder; the IVR target may only use {{tenant_key}}")]
    NotForIvr(&'static str),
    #[error("a SIP target is {0} characters long; the limit is 256")]
    TooLong(usize),
    #[error("a SIP target needs an address after the scheme: user@host or host")]
    Empty,
}

/// A `sip:`/`sips:` URI template, e.g. `sip:{video_id}@gw.example.com;transport=tls`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SipTarget(String);

impl SipTarget {
    /// The default for a meeting: the partner's own direct-dial address.
    #[must_use]
    pub fn default_meeting() -> Self {
        SipTarget("sip:{direct_dial}".into())
    }

    /// The default for the IVR: the partner's IVR address (the tenant key).
    #[must_use]
    pub fn default_ivr() -> Self {
        SipTarget("sip:{tenant_key}".into())
    }

    /// Validates a template.
    ///
    /// ```
    /// use cvi_core::sip_target::SipTarget;
    /// let t = SipTarget::parse("sip:{video_id}@gw.example.com").unwrap();
    /// assert_eq!(t.fill("1223269647", "x.1223269647@d", "x@d"), "sip:1223269647@gw.example.com");
    /// assert!(SipTarget::parse("http://gw.example.com").is_err());
    /// assert!(SipTarget::parse("sip:{conf}@gw").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, SipTargetError> {
        let s = input.trim();
        if s.len() > 256 {
            return Err(SipTargetError::TooLong(s.len()));
        }
        let lower = s.to_ascii_lowercase();
        let rest = if let Some(r) = lower.strip_prefix("sips:") {
            r
        } else if let Some(r) = lower.strip_prefix("sip:") {
            r
        } else {
            return Err(SipTargetError::Scheme(s.to_string()));
        };
        if rest.is_empty() {
            return Err(SipTargetError::Empty);
        }
        if let Some(c) = s.chars().find(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
        }) {
            return Err(SipTargetError::Character(c));
        }
        // Every brace must open one of the known placeholders.
        let mut tail = s;
        while let Some(i) = tail.find(['{', '}']) {
            let at = &tail[i..];
            match PLACEHOLDERS.iter().find(|p| at.starts_with(*p)) {
                Some(p) => tail = &at[p.len()..],
                None => {
                    let end = at.find('}').map_or(at.len(), |e| e + 1);
                    return Err(SipTargetError::Placeholder(at[..end].to_string()));
                }
            }
        }
        Ok(SipTarget(s.to_string()))
    }

    /// Validates a template for the IVR, where no meeting is known yet.
    pub fn parse_ivr(input: &str) -> Result<Self, SipTargetError> {
        let t = Self::parse(input)?;
        for p in &PLACEHOLDERS[..2] {
            if t.0.contains(p) {
                return Err(SipTargetError::NotForIvr(p));
            }
        }
        Ok(t)
    }

    /// The URI with the placeholders filled.
    #[must_use]
    pub fn fill(&self, video_id: &str, direct_dial: &str, tenant_key: &str) -> String {
        self.0
            .replace("{video_id}", video_id)
            .replace("{direct_dial}", direct_dial)
            .replace("{tenant_key}", tenant_key)
    }

    /// The stored form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SipTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SipTarget {
    type Error = SipTargetError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SipTarget> for String {
    fn from(t: SipTarget) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_could_break_a_contact_header() {
        for bad in [
            "sip:{video_id}@gw\r\nVia: x",
            "sip:<x>@gw",
            "sip: x@gw",
            "sip:",
            "tel:+15551234",
            "sip:{ConfId}@gw",
            "sip:{video_id@gw",
            "sip:}@gw",
        ] {
            assert!(SipTarget::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            SipTarget::parse_ivr("sip:{direct_dial}"),
            Err(SipTargetError::NotForIvr("{direct_dial}"))
        );
        assert!(SipTarget::parse_ivr("sips:{tenant_key};transport=tls").is_ok());
    }
}
