//! Demo coordinates for the standalone page until it talks to the policy API.

use cvi_core::{Coordinates, Provider, ProviderName, TenantKey, VideoId};

/// The seed guide's example tenant key.
pub const DEMO_TENANT_KEY: &str = "813878896@t.plcm.vc";

/// Coordinates of a demo Polycom meeting, computed by cvi-core's dial plan.
#[must_use]
pub fn demo_coordinates() -> Coordinates {
    let provider = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse(DEMO_TENANT_KEY).expect("the demo tenant key is valid"),
    );
    let mut c = Coordinates::for_provider(&provider, VideoId::from_body(122_326_964));
    c.meeting_key = Some("demo-meeting".into());
    c
}
