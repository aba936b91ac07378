//! Probes, metrics and the OpenAPI document.

use serde_json::json;

use crate::common::{self, Backend};
use crate::*;

on_both!(probes_metrics_and_openapi, |b: Backend| {
    let s = common::start(b);
    assert_eq!(s.call("GET", "/healthz", None, None).0, 200);
    assert_eq!(
        s.call("GET", "/readyz", None, None),
        (200, json!("ready\n"))
    );
    let (st, doc) = s.call("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/api/v1/providers",
        "/api/v1/providers/{name}",
        "/api/v1/grants",
        "/api/v1/meetings",
        "/api/v1/resolve",
        "/api/v1/consent/callback",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi documents {p}");
    }
    provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    issue(&s, &org, "m");
    let (_, metrics) = s.call("GET", "/metrics", None, None);
    let text = metrics.as_str().unwrap();
    assert!(text.contains("cvi_coordinates_issued_total 1"), "{text}");
    assert!(text.contains("route=\"/api/v1/meetings\""));
});
