//! The policy API end to end, on real SQLite and real PostgreSQL 15: one test binary,
//! one file per resource.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod bridge;
mod import;
mod isolation;
mod meetings;
mod otd;
mod plan;
mod policies;
mod probes;
mod resolution;
mod scale_out;
mod security;
mod stats;

use common::{state_of, Server};
use serde_json::{json, Value};

pub const POLY_APP: &str = "11111111-2222-3333-4444-555555555555";
pub const POLY_APP2: &str = "66666666-7777-8888-9999-000000000000";

/// Provider + consent + global grant in tenant `t`: what the seed's Provision and Consent
/// steps do. Returns the admin token.
pub fn provision(s: &Server, t: &str) -> String {
    provision_with_key(s, t, "813878896@t.plcm.vc")
}

/// [`provision`] under another tenant key (keys are unique across tenants).
pub fn provision_with_key(s: &Server, t: &str, tenant_key: &str) -> String {
    let admin = s.token(t, &format!("admin@{t}.example"), "admin");
    let (st, v) = s.call("POST", "/api/v1/providers", Some(&admin), Some(json!({
        "name": "Polycom", "tenant_key": tenant_key, "aad_application_ids": format!("{POLY_APP};{POLY_APP2}")
    })));
    assert_eq!(st, 201, "{v}");
    consent_all(s, &admin, "Polycom");
    let (st, v) = s.call(
        "PUT",
        "/api/v1/grants",
        Some(&admin),
        Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"})),
    );
    assert_eq!(st, 200, "{v}");
    admin
}

/// Follows every consent link's state through the callback, as the identity platform would.
pub fn consent_all(s: &Server, admin: &str, provider: &str) {
    let (st, links) = s.call(
        "GET",
        &format!("/api/v1/consent/links?provider={provider}"),
        Some(admin),
        None,
    );
    assert_eq!(st, 200, "{links}");
    for l in links["links"].as_array().unwrap() {
        let state = state_of(l["url"].as_str().unwrap());
        let (st, v) = s.call(
            "GET",
            &format!("/api/v1/consent/callback?admin_consent=True&state={state}"),
            None,
            None,
        );
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["consented"], true);
    }
}

pub fn issue(s: &Server, token: &str, key: &str) -> (u16, Value) {
    s.call("POST", "/api/v1/meetings", Some(token), Some(json!({
        "meeting_key": key, "subject": "Quarterly review", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"
    })))
}
