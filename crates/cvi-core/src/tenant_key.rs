//! The tenant key: the partner's dial-in address for a customer, `<key>@<domain>`
//! (`813878896@t.plcm.vc`, `contoso@m.webex.com`, `teams@video.example.com`).
//! It is also the IVR dial string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a tenant key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantKeyError {
    #[error("a tenant key looks like key@domain (for example 813878896@t.plcm.vc); {0:?} has no single '@'")]
    Shape(String),
    #[error("the part before '@' may hold letters, digits, '.', '_' and '-' (1 to 64 of them); got {0:?}")]
    Key(String),
    #[error(
        "the part after '@' must be a DNS name with at least one dot, such as t.plcm.vc; got {0:?}"
    )]
    Domain(String),
}

/// A validated tenant key. The domain is kept lower-case; the key as given.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantKey {
    key: String,
    domain: String,
}

fn is_dns_name(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl TenantKey {
    /// Parses and validates `<key>@<domain>`.
    ///
    /// ```
    /// use cvi_core::TenantKey;
    /// let tk = TenantKey::parse("813878896@t.plcm.vc").unwrap();
    /// assert_eq!((tk.key(), tk.domain()), ("813878896", "t.plcm.vc"));
    /// assert!(TenantKey::parse("no-at-sign").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, TenantKeyError> {
        let s = input.trim();
        let mut parts = s.split('@');
        let (Some(key), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(TenantKeyError::Shape(s.to_string()));
        };
        let key_ok = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !key_ok {
            return Err(TenantKeyError::Key(key.to_string()));
        }
        let domain = domain.to_ascii_lowercase();
        if !is_dns_name(&domain) {
            return Err(TenantKeyError::Domain(domain));
        }
        Ok(TenantKey {
            key: key.to_string(),
            domain,
        })
    }

    /// The part before `@` (`813878896`).
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The partner's SIP domain (`t.plcm.vc`).
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

impl fmt::Display for TenantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.key, self.domain)
    }
}

impl fmt::Debug for TenantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantKey({self})")
    }
}

impl TryFrom<String> for TenantKey {
    type Error = TenantKeyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TenantKey> for String {
    fn from(t: TenantKey) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_partners_shapes() {
        for ok in [
            "813878896@t.plcm.vc",
            "contoso@m.webex.com",
            "teams@video.example.com",
            "acme.corp@bjn.vc",
            " 813878896@T.PLCM.VC ",
        ] {
            let tk = TenantKey::parse(ok).unwrap();
            assert_eq!(tk.domain(), tk.domain().to_ascii_lowercase());
        }
    }

    #[test]
    fn rejects_with_the_part_that_is_wrong() {
        assert!(matches!(
            TenantKey::parse("813878896"),
            Err(TenantKeyError::Shape(_))
        ));
        assert!(matches!(
            TenantKey::parse("a@b@c.d"),
            Err(TenantKeyError::Shape(_))
        ));
        assert!(matches!(
            TenantKey::parse("@t.plcm.vc"),
            Err(TenantKeyError::Key(_))
        ));
        assert!(matches!(
            TenantKey::parse("<b>@t.plcm.vc"),
            Err(TenantKeyError::Key(_))
        ));
        assert!(matches!(
            TenantKey::parse("123@localhost"),
            Err(TenantKeyError::Domain(_))
        ));
        assert!(matches!(
            TenantKey::parse("123@-bad.vc"),
            Err(TenantKeyError::Domain(_))
        ));
        assert!(matches!(
            TenantKey::parse("123@a..vc"),
            Err(TenantKeyError::Domain(_))
        ));
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(s in "\\PC{0,80}") {
            if let Ok(tk) = TenantKey::parse(&s) {
                let again = TenantKey::parse(&tk.to_string()).unwrap();
                prop_assert_eq!(again, tk.clone());
                // Nothing that could be markup survives validation.
                prop_assert!(!tk.to_string().contains(['<', '>', '"', '\'', '&', ' ']));
            }
        }

        #[test]
        fn valid_keys_parse(key in "[a-z0-9]{1,20}", host in "[a-z]{1,10}", tld in "[a-z]{2,4}") {
            let s = format!("{key}@{host}.{tld}");
            prop_assert_eq!(TenantKey::parse(&s).unwrap().to_string(), s);
        }
    }
}
