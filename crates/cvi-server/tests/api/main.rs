//! The policy API end to end, on real SQLite and real PostgreSQL 15: one test binary,
//! one file per resource.

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod bridge;
mod import;
mod inject;
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

use common::Server;
use cvi_testkit::state_of;
use serde_json::{json, Value};

pub const POLY_APP: &str = "11111111-2222-3333-4444-555555555555";
pub const POLY_APP2: &str = "66666666-7777-8888-9999-000000000000";

/// Provider + consent + global grant in tenant `t`: what the seed's Provision and Consent
/// steps do (`cvi_testkit::provision`). Returns the admin token.
pub fn provision(s: &Server, t: &str) -> String {
    provision_with_key(s, t, "813878896@t.plcm.vc")
}

/// [`provision`] under another tenant key (keys are unique across tenants).
pub fn provision_with_key(s: &Server, t: &str, tenant_key: &str) -> String {
    cvi_testkit::provision(&s.url, t, tenant_key, &[POLY_APP, POLY_APP2])
        .unwrap_or_else(|e| panic!("provisioning tenant {t}: {e}"))
        .admin
}

/// Follows every consent link's state through the callback, as the identity platform would.
pub fn consent_all(s: &Server, admin: &str, provider: &str) {
    let api = cvi_testkit::Api {
        base: &s.url,
        token: Some(admin),
    };
    cvi_testkit::consent_all(api, provider).unwrap_or_else(|e| panic!("consent: {e}"));
}

pub fn issue(s: &Server, token: &str, key: &str) -> (u16, Value) {
    s.call("POST", "/api/v1/meetings", Some(token), Some(json!({
        "meeting_key": key, "subject": "Quarterly review", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"
    })))
}
