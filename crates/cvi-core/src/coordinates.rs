//! The coordinates of one meeting: the JSON contract of SPEC §8, shared by
//! `meeting issue` (output), `invite upsert` (input) and `invite extract` (output).

use serde::{Deserialize, Serialize};

use crate::{dial_plan, Provider, ProviderName, TenantKey, VideoId};

/// The rendered invite block, in both body coercion types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Block {
    pub html: String,
    pub text: String,
}

/// Everything a room user needs to join one meeting; fields are absent where unknown
/// (extraction from a foreign invite rarely knows the provider or the expiry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coordinates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_key: Option<String>,
    /// Polycom, BlueJeans, Pexip or Cisco.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub provider: Option<ProviderName>,
    /// `<key>@<domain>`; also the IVR dial string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub tenant_key: Option<TenantKey>,
    /// 9 or 10 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub video_id: Option<VideoId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ivr_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_dial_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more_info_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams_join_url: Option<String>,
    /// RFC 3339 UTC instant (meeting end + 60 days); the server owns the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<Block>,
}

impl Coordinates {
    /// The coordinates of `video_id` under `provider`, without meeting key, expiry or block.
    #[must_use]
    pub fn for_provider(provider: &Provider, video_id: VideoId) -> Self {
        let d = dial_plan::dial_strings(provider, &video_id);
        Coordinates {
            provider: Some(provider.name),
            tenant_key: Some(provider.tenant_key.clone()),
            video_id: Some(video_id),
            ivr_uri: Some(d.ivr_uri),
            direct_dial_uri: Some(d.direct_dial_uri),
            more_info_url: Some(d.more_info_url),
            ..Coordinates::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_matches_the_contract() {
        let p = Provider::new(
            ProviderName::Polycom,
            TenantKey::parse("813878896@t.plcm.vc").unwrap(),
        );
        let mut c = Coordinates::for_provider(&p, VideoId::parse_any("1223269647").unwrap());
        c.meeting_key = Some("m-1".into());
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["provider"], "Polycom");
        assert_eq!(v["tenant_key"], "813878896@t.plcm.vc");
        assert_eq!(v["video_id"], "1223269647");
        assert_eq!(v["direct_dial_uri"], "813878896.1223269647@t.plcm.vc");
        assert!(v.get("block").is_none(), "absent fields are omitted");
        let back: Coordinates = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<Coordinates>(r#"{"tenant_key":"nope"}"#).is_err());
    }
}
