//! One-touch dial: what a room system's panel shows for a meeting on its calendar — the
//! Teams join link and the one string to dial — read from the invite as it arrived
//! (HTML, text or .ics), whoever wrote its block.

use serde::{Deserialize, Serialize};

use crate::{
    invite::{extract_as, BodyKind, Extraction},
    Coordinates,
};

/// The panel's answer for one invite (`cvi otd extract`, `POST /api/v1/otd/extract`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OneTouchDial {
    /// What the invite holds: `status` ok (with the coordinates and `teams_join_url`),
    /// none, or conflict (with the candidates: the panel must not guess).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub extraction: Extraction,
    /// The one address to dial: the direct-dial URI when known, else the IVR's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_dial: Option<String>,
    /// With an IVR address: the digits to key when the IVR asks (the Video ID and `#`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_dtmf: Option<String>,
}

/// What a panel dials for `c`: the direct-dial URI, else the IVR with the Video ID keyed.
#[must_use]
pub fn panel_dial(c: &Coordinates) -> (Option<String>, Option<String>) {
    match (&c.direct_dial_uri, &c.ivr_uri, &c.video_id) {
        (Some(direct), _, _) => (Some(format!("sip:{direct}")), None),
        (None, Some(ivr), Some(id)) => (Some(format!("sip:{ivr}")), Some(format!("{id}#"))),
        (None, Some(ivr), None) => (Some(format!("sip:{ivr}")), None),
        _ => (None, None),
    }
}

/// Reads an invite for one-touch dial; `kind` as for [`extract_as`] (`None`: sniffed).
///
/// ```
/// use cvi_core::{invite::BodyKind, otd};
/// let body = "Join with a video conferencing device\nfabrikam@m.webex.com Video Conference ID: 119 204 377 5\n";
/// let o = otd::read(body, Some(BodyKind::Text));
/// assert_eq!(o.panel_dial.as_deref(), Some("sip:1192043775.fabrikam@m.webex.com"));
/// ```
#[must_use]
pub fn read(body: &str, kind: Option<BodyKind>) -> OneTouchDial {
    let extraction = extract_as(body, kind);
    let (panel_dial, panel_dtmf) = match &extraction {
        Extraction::Found(c) => panel_dial(c),
        _ => (None, None),
    };
    OneTouchDial {
        extraction,
        panel_dial,
        panel_dtmf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TenantKey, VideoId};

    #[test]
    fn ivr_when_no_direct_dial_is_known() {
        let c = Coordinates {
            tenant_key: Some(TenantKey::parse("453426348@teamsconnect.contoso.com").unwrap()),
            ivr_uri: Some("453426348@teamsconnect.contoso.com".into()),
            video_id: VideoId::parse_any("1238879810").ok(),
            ..Coordinates::default()
        };
        assert_eq!(
            panel_dial(&c),
            (
                Some("sip:453426348@teamsconnect.contoso.com".into()),
                Some("1238879810#".into())
            )
        );
        assert_eq!(read("no block", None).panel_dial, None);
        let json = serde_json::to_value(read("no block", None)).unwrap();
        assert_eq!(json, serde_json::json!({"status": "none"}));
    }
}
