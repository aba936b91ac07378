//! Video interop service providers, as `New-/Set-/Get-CsVideoInteropServiceProvider` model them.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{sip_target::SipTarget, TenantKey};

/// The four supported partners. One provider entry per name per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProviderName {
    Polycom,
    BlueJeans,
    Pexip,
    Cisco,
}

impl ProviderName {
    /// Every supported provider, in the cmdlet documentation's order.
    pub const ALL: [ProviderName; 4] = [Self::Polycom, Self::BlueJeans, Self::Pexip, Self::Cisco];

    /// The cmdlet spelling (`BlueJeans`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polycom => "Polycom",
            Self::BlueJeans => "BlueJeans",
            Self::Pexip => "Pexip",
            Self::Cisco => "Cisco",
        }
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is not one of the four partners.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?}: use one of Polycom, BlueJeans, Pexip, Cisco")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderName {
    type Err = UnknownProvider;
    /// Case-insensitive, as PowerShell is.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownProvider(s.to_string()))
    }
}

/// The placeholder that [`InstructionUri::fill`] replaces with the Video ID.
pub const CONF_ID_PLACEHOLDER: &str = "{ConfId}";

/// Why a string is not an acceptable InstructionUri.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstructionUriError {
    #[error("InstructionUri must start with https:// (it is shown to meeting guests); got {0:?}")]
    NotHttps(String),
    #[error("InstructionUri has no host name after https://")]
    NoHost,
    #[error("InstructionUri may not contain spaces, quotes, '<', '>' or control characters (found {0:?}); percent-encode them")]
    Character(char),
    #[error("InstructionUri is {0} characters long; the limit is 2048")]
    TooLong(usize),
}

/// The partner's help page for guests, https only, optionally holding `{ConfId}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InstructionUri(String);

impl InstructionUri {
    /// Validates an InstructionUri.
    ///
    /// ```
    /// use cvi_core::InstructionUri;
    /// let u = InstructionUri::parse("https://help.example.com/vtc?conf={ConfId}").unwrap();
    /// assert_eq!(u.fill("1223269647"), "https://help.example.com/vtc?conf=1223269647");
    /// assert!(InstructionUri::parse("javascript:alert(1)").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, InstructionUriError> {
        let s = input.trim();
        if s.len() > 2048 {
            return Err(InstructionUriError::TooLong(s.len()));
        }
        let Some(rest) = s
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("https://"))
            .map(|_| &s[8..])
        else {
            return Err(InstructionUriError::NotHttps(s.to_string()));
        };
        if let Some(c) = s.chars().find(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
        }) {
            return Err(InstructionUriError::Character(c));
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(InstructionUriError::NoHost);
        }
        Ok(InstructionUri(format!("https://{rest}")))
    }

    /// The URI with every `{ConfId}` replaced by the Video ID's digits.
    #[must_use]
    pub fn fill(&self, video_id: &str) -> String {
        self.0.replace(CONF_ID_PLACEHOLDER, video_id)
    }

    /// The stored form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InstructionUri {
    type Error = InstructionUriError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<InstructionUri> for String {
    fn from(u: InstructionUri) -> String {
        u.0
    }
}

/// A partner's Entra (Azure AD) application id: a GUID, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppId(String);

/// A string that is not a GUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("application id {0:?} is not a GUID like 00000000-0000-0000-0000-000000000000")]
pub struct AppIdError(pub String);

impl AppId {
    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, any case, optional braces).
    pub fn parse(input: &str) -> Result<Self, AppIdError> {
        let s = input.trim().trim_start_matches('{').trim_end_matches('}');
        let shape_ok = s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if shape_ok {
            Ok(AppId(s.to_ascii_lowercase()))
        } else {
            Err(AppIdError(input.to_string()))
        }
    }

    /// Parses the cmdlet's `;`-separated list (commas accepted too), skipping empties.
    pub fn parse_list(input: &str) -> Result<Vec<Self>, AppIdError> {
        let mut ids: Vec<AppId> = input
            .split([';', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Self::parse)
            .collect::<Result<_, _>>()?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// The lower-case GUID.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AppId {
    type Error = AppIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AppId> for String {
    fn from(a: AppId) -> String {
        a.0
    }
}

/// One configured provider of a tenant (the cmdlet's fields, in snake case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub name: ProviderName,
    pub tenant_key: TenantKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_uri: Option<InstructionUri>,
    #[serde(default)]
    pub aad_application_ids: Vec<AppId>,
    #[serde(default)]
    pub allow_app_guest_joins_as_authenticated: bool,
    /// Where the SIP front door sends a call to one of this provider's meetings (None:
    /// [`SipTarget::default_meeting`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_gateway: Option<SipTarget>,
    /// Where it sends a call to this provider's IVR (None: [`SipTarget::default_ivr`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_ivr: Option<SipTarget>,
}

impl Provider {
    /// A provider with only what `New-CsVideoInteropServiceProvider` requires: no
    /// InstructionUri, no partner app ids, guest joins not authenticated.
    #[must_use]
    pub fn new(name: ProviderName, tenant_key: TenantKey) -> Self {
        Provider {
            name,
            tenant_key,
            instruction_uri: None,
            aad_application_ids: Vec::new(),
            allow_app_guest_joins_as_authenticated: false,
            sip_gateway: None,
            sip_ivr: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn provider_names_are_case_insensitive() {
        assert_eq!(
            "bluejeans".parse::<ProviderName>(),
            Ok(ProviderName::BlueJeans)
        );
        assert!("Zoom"
            .parse::<ProviderName>()
            .unwrap_err()
            .to_string()
            .contains("Polycom"));
    }

    #[test]
    fn instruction_uri_rules() {
        assert!(InstructionUri::parse("https://dialin.plcm.vc/teams/?conf={ConfId}").is_ok());
        assert!(matches!(
            InstructionUri::parse("http://x.example"),
            Err(InstructionUriError::NotHttps(_))
        ));
        assert!(matches!(
            InstructionUri::parse("javascript:alert(1)"),
            Err(InstructionUriError::NotHttps(_))
        ));
        assert!(matches!(
            InstructionUri::parse("https://"),
            Err(InstructionUriError::NoHost)
        ));
        assert!(matches!(
            InstructionUri::parse("https://x.example/\"><script>"),
            Err(InstructionUriError::Character('"'))
        ));
        assert_eq!(
            InstructionUri::parse("HTTPS://Help.example/a")
                .unwrap()
                .as_str(),
            "https://Help.example/a"
        );
    }

    #[test]
    fn app_id_lists() {
        let ids = AppId::parse_list(
            "26A18EBC-CDF7-4A6A-91CB-BEB352805E81; 26a18ebc-cdf7-4a6a-91cb-beb352805e81;;{00000000-0000-0000-0000-000000000001}",
        )
        .unwrap();
        assert_eq!(ids.len(), 2);
        assert!(AppId::parse_list("not-a-guid").is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,100}") {
            let _ = AppId::parse_list(&s);
            let _ = s.parse::<ProviderName>();
            if let Ok(u) = InstructionUri::parse(&s) {
                prop_assert!(u.as_str().starts_with("https://"));
                prop_assert!(!u.as_str().contains(['<', '>', '"', '\'']));
            }
        }
    }
}
