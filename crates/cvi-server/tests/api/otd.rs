//! One-touch dial over HTTP.

use serde_json::json;

use crate::common::{self, Backend};
use crate::on_both;

on_both!(one_touch_dial_reads_an_invite, |b: Backend| {
    let s = common::start(b);
    // A room panel's app, as partner apps are: an app token of the tenant.
    let partner = s.token_with(
        json!({"tenant": "t", "user": "panel", "role": "partner", "app_id": crate::POLY_APP}),
    );
    let text = "Join with a video conferencing device\nfabrikam@m.webex.com\nVideo Conference ID: 119 204 377 5\nAlternate VTC instructions\n";
    let (st, v) = s.call(
        "POST",
        "/api/v1/otd/extract",
        Some(&partner),
        Some(json!({"body": text, "kind": "text"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["panel_dial"], "sip:1192043775.fabrikam@m.webex.com");
    let html = "<p><a href=\"https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0\">Join</a></p><p><b>Join on a video conferencing device</b></p><p>Tenant key: teams@vc.contoso.com</p><p>Video ID: 117 318 678 0</p><p><a href=\"https://pexip.me/teams/vc.contoso.com/1173186780\">More info</a></p>";
    let (st, v) = s.call(
        "POST",
        "/api/v1/otd/extract",
        Some(&partner),
        Some(json!({"body": html})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["panel_dial"].as_str(),
            v["teams_join_url"].as_str(),
            v["provider"].as_str()
        ),
        (
            Some("sip:1173186780@vc.contoso.com"),
            Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"),
            Some("Pexip")
        )
    );
    let (st, v) = s.call(
        "POST",
        "/api/v1/otd/extract",
        Some(&partner),
        Some(json!({"body": "no block here"})),
    );
    assert_eq!(
        (st, v["status"].as_str(), v.get("panel_dial")),
        (200, Some("none"), None)
    );
    let (st, p) = s.call(
        "POST",
        "/api/v1/otd/extract",
        Some(&partner),
        Some(json!({"body": text, "kind": "rtf"})),
    );
    assert_eq!(st, 400);
    assert!(p["detail"].as_str().unwrap().contains("rtf"), "{p}");
    let (st, _) = s.call(
        "POST",
        "/api/v1/otd/extract",
        None,
        Some(json!({"body": text})),
    );
    assert_eq!(st, 401);
});
