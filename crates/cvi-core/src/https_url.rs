//! Links that reach a user from someone else's invite: https only, judged the way a
//! browser's URL parser sees them, not the way they look.
//!
//! The WHATWG URL parser first trims leading and trailing C0 controls and spaces and then
//! deletes every tab and newline, so `java\tscript:alert(1)` *is* `javascript:alert(1)`
//! and ` https://x` *is* `https://x`. Checking the raw string's prefix gets both wrong.
//! A full URL parser (the `url` crate with IDNA tables) would cost the wasm bundle more
//! than this whole module; the part that decides "is it https, and which host" is small.

use std::ops::Range;

/// An absolute `https://` URL with a non-empty host, in the form a browser would follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsUrl {
    url: String,
    host: Range<usize>,
}

impl HttpsUrl {
    /// Cleans `raw` as a browser would and keeps it only if it is https with a plain host.
    ///
    /// ```
    /// use cvi_core::https_url::HttpsUrl;
    /// let u = HttpsUrl::parse(" HTTPS://dialin.plcm.vc/teams/?conf=1\n").unwrap();
    /// assert_eq!((u.as_str(), u.host()), ("https://dialin.plcm.vc/teams/?conf=1", "dialin.plcm.vc"));
    /// assert!(HttpsUrl::parse("java\tscript:alert(1)").is_none());
    /// assert!(HttpsUrl::parse("http://example.com").is_none());
    /// assert_eq!(HttpsUrl::parse("https://dialin.plcm.vc@evil.invalid/").unwrap().host(), "evil.invalid");
    /// ```
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw.trim_matches(|c: char| c <= ' ');
        let cleaned: String = trimmed
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let (scheme, rest) = cleaned.split_once(':')?;
        if !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        // A browser reads `https:\\host` and `https:/host` as `https://host`; we only
        // follow the plain form and refuse anything a reader could misjudge.
        let rest = rest.strip_prefix("//")?;
        if rest.chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '"' | '<' | '>' | '\\' | '`')
        }) {
            return None;
        }
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host_and_port = &authority[host_start..];
        let host_len = host_and_port.find(':').unwrap_or(host_and_port.len());
        let host = &host_and_port[..host_len];
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return None;
        }
        let prefix = "https://".len() + host_start;
        let url = format!("https://{rest}");
        Some(HttpsUrl {
            host: prefix..prefix + host.len(),
            url,
        })
    }

    /// The whole URL, scheme lower-cased.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host name as written (compare it case-insensitively).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.url[self.host.clone()]
    }

    /// The path, from its `/` up to the query or fragment (`""` when there is none).
    #[must_use]
    pub fn path(&self) -> &str {
        let after = &self.url[self.host.end..];
        let after = after.find('/').map_or("", |i| &after[i..]);
        let end = after.find(['?', '#']).unwrap_or(after.len());
        &after[..end]
    }

    /// The first value of query parameter `name` (case-insensitive name, raw value).
    #[must_use]
    pub fn query(&self, name: &str) -> Option<&str> {
        let after = &self.url[self.host.end..];
        let q = &after[after.find('?')? + 1..];
        let q = &q[..q.find('#').unwrap_or(q.len())];
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            k.eq_ignore_ascii_case(name).then_some(v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_browser_would_not_follow_these() {
        for bad in [
            "javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "http://dialin.plcm.vc/",
            "https:dialin.plcm.vc",
            "https://",
            "https:///path",
            "https://evil\".invalid/",
            "https://a b.invalid/",
            "//dialin.plcm.vc/",
            "",
        ] {
            assert_eq!(HttpsUrl::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cleaned_as_a_browser_does() {
        let u = HttpsUrl::parse("\t htt\nps://Pexip.me/teams/video.example.com/1223269647\r\n")
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://Pexip.me/teams/video.example.com/1223269647"
        );
        assert_eq!(u.host(), "Pexip.me");
        assert_eq!(u.path(), "/teams/video.example.com/1223269647");
        let q = HttpsUrl::parse("https://node.example.com:8443/teams/?conf=1&ivr=teams&d=x.y#f")
            .unwrap();
        assert_eq!(q.host(), "node.example.com");
        assert_eq!(q.path(), "/teams/");
        assert_eq!(
            (q.query("conf"), q.query("IVR"), q.query("d"), q.query("w")),
            (Some("1"), Some("teams"), Some("x.y"), None)
        );
    }

    proptest! {
        #[test]
        fn whatever_it_keeps_is_plain_https(s in "\\PC{0,60}") {
            if let Some(u) = HttpsUrl::parse(&s) {
                prop_assert!(u.as_str().starts_with("https://"));
                prop_assert!(!u.host().is_empty());
                prop_assert!(!u.as_str().chars().any(char::is_whitespace));
            }
        }
    }
}
