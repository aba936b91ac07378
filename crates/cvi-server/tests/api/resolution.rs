//! Resolution of dial strings: expired like unknown, per-caller rate limits.

use serde_json::json;

use crate::common::{self, Backend};
use crate::*;

on_both!(expired_meetings_resolve_like_unknown_ones, |b: Backend| {
    let s = common::start(b);
    provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    // Ended in 2020: end + 60 days is long past, so its coordinates are expired at once.
    let (st, m) = s.call(
        "POST",
        "/api/v1/meetings",
        Some(&org),
        Some(json!({
            "meeting_key": "old", "start": "2020-01-01T09:00:00Z", "end": "2020-01-01T10:00:00Z"
        })),
    );
    assert_eq!(st, 201, "{m}");
    assert_eq!(m["expires_at"], "2020-03-01T10:00:00Z");
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let (st1, expired) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": m["direct_dial_uri"]})),
    );
    let other = cvi_core::VideoId::from_body(424_242_424);
    let (st2, unknown) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": format!("813878896.{other}@t.plcm.vc")})),
    );
    assert_eq!((st1, st2), (404, 404));
    assert_eq!(
        expired, unknown,
        "expired and unknown IDs get identical replies"
    );
});

#[test]
fn resolution_is_rate_limited_per_caller() {
    let s = common::start_with(
        Backend::Sqlite,
        common::Options {
            resolve_rate: 1.0,
            ..Default::default()
        },
    );
    provision(&s, "t");
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let other_app = s
        .token_with(json!({"tenant": "t", "user": "ivr2", "role": "partner", "app_id": POLY_APP2}));
    let guess = |t: &str, n: u32| {
        s.call("POST", "/api/v1/resolve", Some(t), Some(json!({"dial_string": format!("813878896.{}@t.plcm.vc", cvi_core::VideoId::from_body(n))}))).0
    };
    // Burst of 1 at 1/s: the first guess is answered, the next ones are refused.
    assert_eq!(guess(&partner, 1), 404);
    let (st, p) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": "813878896.1234567890@t.plcm.vc"})),
    );
    assert_eq!(
        (st, p["type"].as_str()),
        (429, Some("urn:cvi:problem:rate-limited"))
    );
    assert_eq!(
        guess(&other_app, 3),
        404,
        "another caller has its own budget"
    );
}
