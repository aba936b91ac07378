//! Dial strings per provider (IVR, direct dial, more-info URL) and their inverse.
//!
//! | provider  | direct dial                | default more-info page                      |
//! |-----------|----------------------------|---------------------------------------------|
//! | Polycom   | `<key>.<id>@t.plcm.vc`     | `https://dialin.plcm.vc/teams/?key=…&conf=…` |
//! | Cisco     | `<id>.<key>@m.webex.com`   | `https://www.webex.com/msteams?confid=…`    |
//! | Pexip     | `<id>@<domain>`            | `https://pexip.me/teams/<domain>/<id>`      |
//! | BlueJeans | `<key>.<id>@<domain>`      | a static help page                          |
//!
//! The IVR dial string is the tenant key itself; the caller types the Video ID at the prompt.

use serde::{Deserialize, Serialize};

use crate::{https_url::HttpsUrl, Provider, ProviderName, TenantKey, VideoId};

/// BlueJeans publishes no per-meeting page; guests get its general help page.
pub const BLUEJEANS_HELP_URL: &str = "https://support.bluejeans.com/s/article/Cloud-Video-Interop";

/// The three ways to reach one meeting through its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialStrings {
    /// What a room system dials to reach the partner's IVR (the tenant key).
    pub ivr_uri: String,
    /// What a room system dials to land in the meeting directly.
    pub direct_dial_uri: String,
    /// The page that explains how to join this meeting.
    pub more_info_url: String,
}

/// Computes the dial strings of `video_id` under `provider`.
///
/// ```
/// use cvi_core::{dial_plan, Provider, ProviderName, TenantKey, VideoId};
/// let p = Provider::new(ProviderName::Cisco, TenantKey::parse("contoso@m.webex.com").unwrap());
/// let id = VideoId::from_body(122_326_964);
/// let d = dial_plan::dial_strings(&p, &id);
/// assert_eq!(d.direct_dial_uri, format!("{id}.contoso@m.webex.com"));
/// ```
#[must_use]
pub fn dial_strings(provider: &Provider, video_id: &VideoId) -> DialStrings {
    let tk = &provider.tenant_key;
    let (key, domain, id) = (tk.key(), tk.domain(), video_id.as_str());
    let direct_dial_uri = match provider.name {
        ProviderName::Polycom | ProviderName::BlueJeans => format!("{key}.{id}@{domain}"),
        ProviderName::Cisco => format!("{id}.{key}@{domain}"),
        ProviderName::Pexip => format!("{id}@{domain}"),
    };
    let more_info_url = match &provider.instruction_uri {
        Some(uri) => uri.fill(id),
        None => match provider.name {
            ProviderName::Polycom => format!("https://dialin.plcm.vc/teams/?key={key}&conf={id}"),
            ProviderName::Cisco => {
                format!("https://www.webex.com/msteams?confid={id}&tenantkey={key}&domain={domain}")
            }
            ProviderName::Pexip => format!("https://pexip.me/teams/{domain}/{id}"),
            ProviderName::BlueJeans => BLUEJEANS_HELP_URL.to_string(),
        },
    };
    DialStrings {
        ivr_uri: tk.to_string(),
        direct_dial_uri,
        more_info_url,
    }
}

/// The partner whose fixed SIP domain this is. Exact names only: `t.plcm.vc.evil.example`
/// is nobody's. Pexip has no fixed domain (customers bring their own), so it is known only
/// by its more-info link ([`read_more_info`]) or a configured tenant key.
#[must_use]
pub fn provider_of_domain(domain: &str) -> Option<ProviderName> {
    match domain.to_ascii_lowercase().as_str() {
        "t.plcm.vc" => Some(ProviderName::Polycom),
        "m.webex.com" => Some(ProviderName::Cisco),
        "teams.bjn.vc" => Some(ProviderName::BlueJeans),
        _ => None,
    }
}

/// What a partner's more-info link ("Alternate VTC instructions") says about its meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoreInfoLink {
    pub provider: ProviderName,
    /// The Video ID the page was made for (digits as in the link), when the link names one.
    pub video_id: Option<String>,
    /// The tenant key the link names (Poly's `key`, Webex's `tenantkey`+`domain`, Pexip
    /// Infinity's `ivr`+`d`), when it names one.
    pub tenant_key: Option<TenantKey>,
    /// The direct-dial address, where the link alone determines it (Pexip: its `prefix`).
    pub direct_dial_uri: Option<String>,
}

/// Reads a partner's more-info link, by the shapes the partners publish:
///
/// - Poly RealConnect `https://dialin.plcm.vc/teams/?key=<key>&conf=<id>`;
/// - Webex `https://www.webex.com/msteams?confid=<id>&tenantkey=<key>&domain=m.webex.com`;
/// - Pexip Service `https://pexip.me/teams/<domain>/<id>`;
/// - Pexip Infinity, on the customer's own node: `https://<node>/teams/?conf=<id>&ivr=<alias>&d=<domain>[&prefix=<p>][&ip=…][&test=…][&w]`
///   (docs.pexip.com/admin/teams_connector.htm, "InstructionUri"; its default page dials
///   `<prefix><conf>@<d>` directly and `<ivr>@<d>` for the lobby);
/// - BlueJeans' help page `https://support.bluejeans.com/…`.
///
/// Hosts are compared exactly, never by suffix.
#[must_use]
pub fn read_more_info(url: &HttpsUrl) -> Option<MoreInfoLink> {
    let host = url.host().to_ascii_lowercase();
    let digits = |s: Option<&str>| {
        s.filter(|v| (9..=10).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    };
    let tenant_key = |key: Option<&str>, domain: &str| {
        key.and_then(|k| TenantKey::parse(&format!("{k}@{domain}")).ok())
    };
    let link = |provider, video_id, tenant_key, direct_dial_uri| MoreInfoLink {
        provider,
        video_id,
        tenant_key,
        direct_dial_uri,
    };
    match host.as_str() {
        "dialin.plcm.vc" => Some(link(
            ProviderName::Polycom,
            digits(url.query("conf")),
            tenant_key(url.query("key"), "t.plcm.vc"),
            None,
        )),
        "www.webex.com" | "webex.com" if url.path().starts_with("/msteams") => {
            let domain = url.query("domain").unwrap_or("m.webex.com");
            Some(link(
                ProviderName::Cisco,
                digits(url.query("confid")),
                tenant_key(url.query("tenantkey"), domain),
                None,
            ))
        }
        "pexip.me" => {
            let mut parts = url.path().strip_prefix("/teams/")?.split('/');
            let (domain, id) = (parts.next()?, parts.next());
            let id = digits(id);
            let direct = id
                .as_ref()
                .map(|id| format!("{id}@{}", domain.to_ascii_lowercase()));
            Some(link(ProviderName::Pexip, id, None, direct))
        }
        "support.bluejeans.com" | "www.bluejeans.com" | "bluejeans.com" => {
            Some(link(ProviderName::BlueJeans, None, None, None))
        }
        _ if url.path().trim_end_matches('/') == "/teams" => {
            let (conf, ivr, d) = (url.query("conf")?, url.query("ivr")?, url.query("d")?);
            let id = digits(Some(conf));
            let domain = d.to_ascii_lowercase();
            let prefix = url.query("prefix").unwrap_or("");
            let direct = id.as_ref().and_then(|id| {
                let uri = format!("{prefix}{id}@{domain}");
                TenantKey::parse(&uri).is_ok().then_some(uri)
            });
            Some(link(
                ProviderName::Pexip,
                id,
                tenant_key(Some(ivr), &domain),
                direct,
            ))
        }
        _ => None,
    }
}

/// A direct-dial string matched back to one configured provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectDialMatch {
    pub provider: ProviderName,
    pub tenant_key: TenantKey,
    /// As dialled; resolution still checks the digit with [`VideoId::parse`].
    pub video_id: VideoId,
}

/// The address in a dial string as bridges send it: surrounding whitespace, `<…>`, a URI
/// scheme (`sip:`, `sips:`, `h323:`, any case) and URI parameters or headers taken off.
///
/// ```
/// use cvi_core::dial_plan::address;
/// assert_eq!(address(" <SIPS:teams@Video.Contoso.com;transport=tls> "), "teams@Video.Contoso.com");
/// ```
#[must_use]
pub fn address(input: &str) -> &str {
    bare_address(input)
}

fn bare_address(input: &str) -> &str {
    let s = input.trim().trim_start_matches('<');
    let s = s.split(['>', ';', '?']).next().unwrap_or("");
    for scheme in ["sips:", "sip:", "h323:"] {
        // `get` rather than indexing: the input may have a multi-byte char at that offset.
        if s.get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
        {
            return &s[scheme.len()..];
        }
    }
    s
}

/// Matches a direct-dial URI against the tenant's configured providers.
///
/// A provider is recognised by its configured tenant key (key and domain), never by the
/// host alone: Pexip has no fixed partner domain and a lookalike domain is no partner.
#[must_use]
pub fn match_direct_dial(
    uri: &str,
    configured: &[(ProviderName, TenantKey)],
) -> Option<DirectDialMatch> {
    let addr = bare_address(uri);
    let (local, domain) = addr.rsplit_once('@')?;
    let domain = domain.to_ascii_lowercase();
    configured.iter().find_map(|(name, tk)| {
        if tk.domain() != domain {
            return None;
        }
        let key = tk.key();
        let id = match name {
            ProviderName::Polycom | ProviderName::BlueJeans => {
                let (k, id) = local.rsplit_once('.')?;
                k.eq_ignore_ascii_case(key).then_some(id)?
            }
            ProviderName::Cisco => {
                let (id, k) = local.split_once('.')?;
                k.eq_ignore_ascii_case(key).then_some(id)?
            }
            ProviderName::Pexip => local,
        };
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(DirectDialMatch {
            provider: *name,
            tenant_key: tk.clone(),
            video_id: VideoId::parse_any(id).ok()?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstructionUri;
    use proptest::prelude::*;

    fn provider(name: ProviderName, tk: &str) -> Provider {
        Provider::new(name, TenantKey::parse(tk).unwrap())
    }

    #[test]
    fn spec_dial_plans() {
        let id = VideoId::parse_any("1223269647").unwrap();
        let p = dial_strings(&provider(ProviderName::Polycom, "813878896@t.plcm.vc"), &id);
        assert_eq!(p.ivr_uri, "813878896@t.plcm.vc");
        assert_eq!(p.direct_dial_uri, "813878896.1223269647@t.plcm.vc");
        assert_eq!(
            p.more_info_url,
            "https://dialin.plcm.vc/teams/?key=813878896&conf=1223269647"
        );
        let c = dial_strings(&provider(ProviderName::Cisco, "contoso@m.webex.com"), &id);
        assert_eq!(c.direct_dial_uri, "1223269647.contoso@m.webex.com");
        assert_eq!(
            c.more_info_url,
            "https://www.webex.com/msteams?confid=1223269647&tenantkey=contoso&domain=m.webex.com"
        );
        let x = dial_strings(
            &provider(ProviderName::Pexip, "teams@video.contoso.com"),
            &id,
        );
        assert_eq!(x.direct_dial_uri, "1223269647@video.contoso.com");
        assert_eq!(
            x.more_info_url,
            "https://pexip.me/teams/video.contoso.com/1223269647"
        );
        let b = dial_strings(&provider(ProviderName::BlueJeans, "acme@bjn.vc"), &id);
        assert_eq!(b.direct_dial_uri, "acme.1223269647@bjn.vc");
        assert_eq!(b.more_info_url, BLUEJEANS_HELP_URL);
    }

    #[test]
    fn instruction_uri_overrides_the_default() {
        let mut p = provider(ProviderName::Pexip, "teams@video.contoso.com");
        p.instruction_uri = Some(
            InstructionUri::parse("https://node.contoso.com/teams/?conf={ConfId}&ivr=teams")
                .unwrap(),
        );
        let id = VideoId::from_body(1);
        assert_eq!(
            dial_strings(&p, &id).more_info_url,
            format!("https://node.contoso.com/teams/?conf={id}&ivr=teams")
        );
    }

    #[test]
    fn direct_dial_round_trips_and_lookalikes_do_not_match() {
        let configured = vec![
            (
                ProviderName::Polycom,
                TenantKey::parse("813878896@t.plcm.vc").unwrap(),
            ),
            (
                ProviderName::Cisco,
                TenantKey::parse("contoso@m.webex.com").unwrap(),
            ),
            (
                ProviderName::Pexip,
                TenantKey::parse("teams@video.contoso.com").unwrap(),
            ),
        ];
        let id = VideoId::from_body(987_654_321);
        for (name, tk) in &configured {
            let p = provider(*name, &tk.to_string());
            let uri = dial_strings(&p, &id).direct_dial_uri;
            let m = match_direct_dial(&format!("sip:{uri};transport=tls"), &configured).unwrap();
            assert_eq!((m.provider, m.video_id.clone()), (*name, id.clone()));
        }
        assert_eq!(
            match_direct_dial(
                &format!("813878896.{id}@t.plcm.vc.evil.example"),
                &configured
            ),
            None
        );
        assert_eq!(
            match_direct_dial(&format!("999.{id}@t.plcm.vc"), &configured),
            None
        );
        assert_eq!(
            match_direct_dial("813878896.12ab@t.plcm.vc", &configured),
            None
        );
    }

    proptest! {
        #[test]
        fn match_never_panics(s in "\\PC{0,80}") {
            let configured = vec![(ProviderName::Cisco, TenantKey::parse("contoso@m.webex.com").unwrap())];
            let _ = match_direct_dial(&s, &configured);
        }
    }
}
