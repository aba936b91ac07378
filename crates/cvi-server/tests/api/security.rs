//! What no caller may do: reach another tenant, act beyond its role, get a 5xx or a
//! half-written change from bad input, put markup into an invite; the browser-facing headers.

use serde_json::{json, Value};

use crate::common::{self, Backend};
use crate::*;

on_both!(tenant_isolation_on_every_endpoint, |b: Backend| {
    let s = common::start(b);
    let admin_a = provision(&s, "a");
    let org_a = s.token("a", "ann@a.example", "organizer");
    let (_, m) = issue(&s, &org_a, "meet-a");
    let vid = m["video_id"].as_str().unwrap().to_string();
    let before =
        ["providers", "grants", "consents", "meetings", "audit_log"].map(|t| s.count(t, "a"));

    let admin_b = s.token("b", "admin@b.example", "admin");
    let org_b = s.token("b", "ann@a.example", "organizer"); // same UPN, other tenant
    let partner_b =
        s.token_with(json!({"tenant": "b", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let checks: Vec<(&str, String, &str, Option<Value>, u16)> = vec![
        ("GET", "/api/v1/providers".into(), &admin_b, None, 200),
        (
            "GET",
            "/api/v1/providers/Polycom".into(),
            &admin_b,
            None,
            404,
        ),
        (
            "PATCH",
            "/api/v1/providers/Polycom".into(),
            &admin_b,
            Some(json!({"tenant_key": "x@evil.example"})),
            404,
        ),
        (
            "DELETE",
            "/api/v1/providers/Polycom".into(),
            &admin_b,
            None,
            404,
        ),
        ("GET", "/api/v1/grants".into(), &admin_b, None, 200),
        (
            "PUT",
            "/api/v1/grants".into(),
            &admin_b,
            Some(json!({"target": "global", "policy_name": null})),
            404,
        ),
        (
            "GET",
            "/api/v1/users/ann@a.example/effective-policy".into(),
            &admin_b,
            None,
            200,
        ),
        (
            "GET",
            "/api/v1/consent/links?provider=Polycom".into(),
            &admin_b,
            None,
            404,
        ),
        ("GET", "/api/v1/consent/status".into(), &admin_b, None, 200),
        ("GET", "/api/v1/meetings/meet-a".into(), &org_b, None, 404),
        (
            "PATCH",
            "/api/v1/meetings/meet-a".into(),
            &org_b,
            Some(json!({"end": "2027-01-23T12:00:00Z"})),
            404,
        ),
        (
            "DELETE",
            "/api/v1/meetings/meet-a".into(),
            &org_b,
            None,
            404,
        ),
        (
            "POST",
            "/api/v1/resolve".into(),
            &partner_b,
            Some(json!({"dial_string": format!("813878896.{vid}@t.plcm.vc")})),
            404,
        ),
        ("GET", "/api/v1/audit".into(), &admin_b, None, 200),
        ("GET", "/api/v1/stats/daily".into(), &admin_b, None, 200),
    ];
    for (method, path, token, body, want) in checks {
        let (st, v) = s.call(method, &path, Some(token), body);
        assert_eq!(st, want, "{method} {path}: {v}");
        if st == 200 {
            let shown = v.to_string();
            assert!(
                !shown.contains("813878896") && !shown.contains(&vid) && !shown.contains("meet-a"),
                "{method} {path} leaked tenant a: {v}"
            );
            if path.contains("stats") {
                assert_eq!(
                    v["series"],
                    json!([]),
                    "tenant a's issuance is not b's: {v}"
                );
            }
            if path.contains("effective-policy") {
                assert_eq!(
                    v["source"], "default",
                    "tenant a's global grant does not apply in b"
                );
            }
        }
    }
    // Issuing with the same key in b creates b's own meeting, not a's.
    let (st, _) = issue(&s, &org_b, "meet-a");
    assert_eq!(st, 403, "b has no policy");
    let after =
        ["providers", "grants", "consents", "meetings", "audit_log"].map(|t| s.count(t, "a"));
    assert_eq!(before, after, "tenant b changed nothing of tenant a");
    let (_, own) = s.call("GET", "/api/v1/meetings/meet-a", Some(&org_a), None);
    assert_eq!(own["video_id"].as_str(), Some(vid.as_str()));
    let _ = admin_a;
});

on_both!(roles_are_enforced, |b: Backend| {
    let s = common::start(b);
    provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let admin = s.token("t", "root@t.example", "admin");
    let forbidden: Vec<(&str, &str, &str, Option<Value>)> = vec![
        ("GET", "/api/v1/providers", &org, None),
        (
            "POST",
            "/api/v1/providers",
            &org,
            Some(json!({"name": "Cisco", "tenant_key": "c@m.webex.com"})),
        ),
        (
            "PUT",
            "/api/v1/grants",
            &org,
            Some(json!({"target": "global", "policy_name": null})),
        ),
        ("GET", "/api/v1/audit", &partner, None),
        ("GET", "/api/v1/consent/status", &org, None),
        (
            "POST",
            "/api/v1/meetings",
            &partner,
            Some(
                json!({"meeting_key": "k", "start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}),
            ),
        ),
        (
            "POST",
            "/api/v1/resolve",
            &org,
            Some(json!({"dial_string": "813878896.1234567890@t.plcm.vc"})),
        ),
        (
            "POST",
            "/api/v1/resolve",
            &admin,
            Some(json!({"dial_string": "813878896.1234567890@t.plcm.vc"})),
        ),
    ];
    for (m, p, t, body) in forbidden {
        let (st, v) = s.call(m, p, Some(t), body);
        assert_eq!(
            (st, v["type"].as_str()),
            (403, Some("urn:cvi:problem:forbidden")),
            "{m} {p}"
        );
    }
    // A partner app that is not the provider's own may not resolve its meetings.
    let stranger = s.token_with(json!({"tenant": "t", "user": "x", "role": "partner", "app_id": "99999999-9999-9999-9999-999999999999"}));
    let (_, m) = issue(&s, &org, "k1");
    let (st, _) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&stranger),
        Some(json!({"dial_string": m["direct_dial_uri"]})),
    );
    assert_eq!(st, 403);
    // Another organizer of the same tenant cannot see or cancel ann's meeting.
    let bob = s.token("t", "bob@t.example", "organizer");
    assert_eq!(
        s.call("GET", "/api/v1/meetings/k1", Some(&bob), None).0,
        403
    );
    assert_eq!(
        s.call("DELETE", "/api/v1/meetings/k1", Some(&bob), None).0,
        403
    );
});

on_both!(
    bad_input_is_a_clear_4xx_and_changes_nothing,
    |b: Backend| {
        let s = common::start(b);
        let admin = provision(&s, "t");
        let org = s.token("t", "ann@t.example", "organizer");
        let snapshot = || {
            ["providers", "grants", "consents", "meetings", "audit_log"].map(|t| s.count(t, "t"))
        };
        let before = snapshot();
        let bad: Vec<(&str, &str, &str, Value, &str)> = vec![
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Zoom", "tenant_key": "1@zoom.us"}),
                "Polycom, BlueJeans",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco", "tenant_key": "contoso"}),
                "key@domain",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco", "tenant_key": "c@m.webex.com", "instruction_uri": "http://x.example"}),
                "https",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco", "tenant_key": "c@m.webex.com", "instruction_uri": "https://x.example/\"><script>"}),
                "may not contain",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco", "tenant_key": "<b>@m.webex.com"}),
                "tenant_key",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco", "tenant_key": "c@m.webex.com", "aad_application_ids": "nope"}),
                "GUID",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco"}),
                "tenant_key",
            ),
            (
                "POST",
                "/api/v1/providers",
                &admin,
                json!({"name": "Cisco", "tenant_key": "c@m.webex.com", "colour": "red"}),
                "unknown field",
            ),
            (
                "PATCH",
                "/api/v1/providers/Polycom",
                &admin,
                json!({"tenant_key": "nope", "instruction_uri": "https://ok.example"}),
                "tenant_key",
            ),
            (
                "PUT",
                "/api/v1/grants",
                &admin,
                json!({"target": "group", "identity": "g", "policy_name": "Tag:PexipServiceProviderEnabled"}),
                "rank",
            ),
            (
                "PUT",
                "/api/v1/grants",
                &admin,
                json!({"target": "user", "identity": "not a upn", "policy_name": "Global"}),
                "UPN",
            ),
            (
                "PUT",
                "/api/v1/grants",
                &admin,
                json!({"target": "global", "policy_name": "Tag:Zoom"}),
                "unknown policy",
            ),
            (
                "POST",
                "/api/v1/meetings",
                &org,
                json!({"meeting_key": "k", "start": "tomorrow", "end": "2027-01-01T00:00:00Z"}),
                "RFC 3339",
            ),
            (
                "POST",
                "/api/v1/meetings",
                &org,
                json!({"meeting_key": "k", "start": "2027-01-01T02:00:00Z", "end": "2027-01-01T01:00:00Z"}),
                "after start",
            ),
            (
                "POST",
                "/api/v1/meetings",
                &org,
                json!({"meeting_key": "k k", "start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}),
                "meeting_key",
            ),
            (
                "POST",
                "/api/v1/meetings",
                &org,
                json!({"meeting_key": "k", "subject": "<img src=x onerror=alert(1)>", "start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}),
                "markup",
            ),
            (
                "POST",
                "/api/v1/meetings",
                &org,
                json!({"meeting_key": "k", "lang": "xx", "start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}),
                "lang",
            ),
        ];
        for (m, p, t, body, needle) in bad {
            let (st, v) = s.call(m, p, Some(t), Some(body.clone()));
            assert_eq!(st, 400, "{m} {p} {body}: {v}");
            assert_eq!(v["type"], "urn:cvi:problem:invalid-input");
            assert!(
                v["detail"].as_str().unwrap().contains(needle),
                "{body} -> {v} should mention {needle:?}"
            );
        }
        // Not JSON, and too large.
        let (st, v) = common::call(
            &format!("{}/api/v1/providers", s.url),
            "POST",
            Some(&admin),
            None,
        );
        assert_eq!(st, 400, "{v}");
        let huge = json!({"name": "Cisco", "tenant_key": "c@m.webex.com", "instruction_uri": format!("https://x.example/{}", "a".repeat(100_000))});
        let (st, _) = s.call("POST", "/api/v1/providers", Some(&admin), Some(huge));
        assert_eq!(st, 413);
        assert_eq!(before, snapshot(), "no row changed");
        // Duplicate provider: 409, nothing changed.
        let (st, _) = s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(json!({"name": "polycom", "tenant_key": "9@t.plcm.vc"})),
        );
        assert_eq!(st, 409);
        assert_eq!(before, snapshot());
    }
);

on_both!(no_field_puts_markup_into_an_invite, |b: Backend| {
    let s = common::start(b);
    let admin = provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    let attacks = [
        "javascript:alert(1)",
        "https://x.example/\"><script>alert(1)</script>",
        "https://x.example/' onmouseover='alert(1)",
        "https://x.example/<img src=x onerror=alert(1)>",
        "data:text/html,<script>alert(1)</script>",
    ];
    for (i, a) in attacks.iter().enumerate() {
        let (st, _) = s.call(
            "PATCH",
            "/api/v1/providers/Polycom",
            Some(&admin),
            Some(json!({"instruction_uri": a})),
        );
        assert_eq!(st, 400, "InstructionUri {a:?} is refused");
        let (st, _) = s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(json!({"name": "Cisco", "tenant_key": format!("{a}@m.webex.com")})),
        );
        assert_eq!(st, 400, "tenant key {a:?} is refused");
        let (st, _) = s.call("POST", "/api/v1/meetings", Some(&org), Some(json!({
            "meeting_key": format!("m{i}"), "subject": a, "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"
        })));
        assert!(st == 400 || st == 201, "{a:?}");
    }
    // A legitimate InstructionUri with query characters is rendered escaped, as one https link.
    let (st, _) = s.call(
        "PATCH",
        "/api/v1/providers/Polycom",
        Some(&admin),
        Some(json!({"instruction_uri": "https://help.example/vtc?id={ConfId}&lang=en"})),
    );
    assert_eq!(st, 200);
    let (_, m) = s.call("POST", "/api/v1/meetings", Some(&org), Some(json!({
        "meeting_key": "m2", "subject": "Review & plan", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"
    })));
    let html = m["block"]["html"].as_str().unwrap().to_lowercase();
    for bad in [
        "<script",
        "<img",
        "javascript:",
        "onmouseover",
        "onerror",
        "data:text/html",
    ] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert_eq!(html.matches("href=").count(), 1);
    assert!(
        html.contains("href=\"https://help.example/vtc?id="),
        "{html}"
    );
    assert!(
        html.contains("&amp;lang=en\""),
        "query separators are escaped: {html}"
    );
});

// Servers keep each tenant's providers and consents in memory; a change made through
// another server on the same database must count at once, for issuance and resolution.

#[test]
fn security_headers_and_cors_allow_list() {
    let s = common::start(Backend::Sqlite);
    let agent = common::agent();
    let resp = agent.get(&format!("{}/healthz", s.url)).call().unwrap();
    let h = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h("x-content-type-options"), "nosniff");
    let csp = h("content-security-policy");
    assert!(
        csp.contains("default-src 'self'")
            && csp.contains("'wasm-unsafe-eval'")
            && csp.contains("object-src 'none'"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors 'self' https://outlook.office.com"),
        "{csp}"
    );
    // Errors carry them too.
    let resp = agent
        .get(&format!("{}/api/v1/grants", s.url))
        .call()
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    // CORS: the allowed origin gets a preflight answer, others get nothing.
    let preflight = |origin: &str| {
        let req = http::Request::builder()
            .method("OPTIONS")
            .uri(format!("{}/api/v1/meetings", s.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .body(())
            .unwrap();
        let r = agent.run(req).unwrap();
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(
        preflight("https://addin.contoso.example").as_deref(),
        Some("https://addin.contoso.example")
    );
    assert_eq!(preflight("https://evil.example"), None);
}

on_both!(small_hardening, |b: Backend| {
    let s = common::start(b);
    let admin = s.token("t", "admin@t.example", "admin");
    // /me/effective-policy needs a role like every other endpoint.
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let (st, _) = s.call("GET", "/api/v1/me/effective-policy", Some(&partner), None);
    assert_eq!(st, 403);
    let org = s.token("t", "ann@t.example", "organizer");
    assert_eq!(
        s.call("GET", "/api/v1/me/effective-policy", Some(&org), None)
            .0,
        200
    );

    // Consent states that expired unused are purged when new links are made.
    let (st, _) = s.call(
        "POST",
        "/api/v1/providers",
        Some(&admin),
        Some(json!({"name": "Polycom", "tenant_key": "813878896@t.plcm.vc", "aad_application_ids": format!("{POLY_APP};{POLY_APP2}")})),
    );
    assert_eq!(st, 201);
    let links = |s: &Server| {
        s.call(
            "GET",
            "/api/v1/consent/links?provider=Polycom",
            Some(&admin),
            None,
        )
        .1
    };
    links(&s);
    assert_eq!(s.count("consent_states", "t"), 2);
    let db = s.db.clone();
    s.block_on(async move {
        sqlx::query("UPDATE consent_states SET expires_at = 0")
            .execute(&db)
            .await
            .unwrap();
    });
    let fresh = links(&s);
    assert_eq!(
        s.count("consent_states", "t"),
        2,
        "the two expired states are gone"
    );

    // A callback's error_description is stored bounded and without control characters.
    let state = state_of(fresh["links"][0]["url"].as_str().unwrap());
    let description = format!("line one\nline two \u{1b}[31mred{}", "x".repeat(2_000));
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("error", "access_denied")
        .append_pair("error_description", &description)
        .append_pair("state", &state)
        .finish();
    let (st, v) = s.call("GET", &format!("/api/v1/consent/callback?{q}"), None, None);
    assert_eq!(st, 200, "{v}");
    let (_, status) = s.call("GET", "/api/v1/consent/status", Some(&admin), None);
    let error = status[0]["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a["error"].as_str())
        .unwrap()
        .to_string();
    assert!(
        error.starts_with("access_denied: line one line two"),
        "{error}"
    );
    assert!(!error.chars().any(char::is_control), "{error:?}");
    assert!(
        error.chars().count() <= 400,
        "{} characters",
        error.chars().count()
    );
});

/// #23 item 13: the consent callback's limit is per tenant — one tenant's callbacks (200 at
/// once, the burst) cannot use up another's.
#[test]
fn consent_callbacks_are_limited_per_tenant() {
    let s = common::start(Backend::Sqlite);
    let admin_a = provision_with_key(&s, "a", "813878896@t.plcm.vc");
    let admin_b = provision_with_key(&s, "b", "555000111@t.plcm.vc");
    let states = |admin: &str, n: usize| {
        let mut out = Vec::new();
        while out.len() < n {
            let (st, links) = s.call(
                "GET",
                "/api/v1/consent/links?provider=Polycom",
                Some(admin),
                None,
            );
            assert_eq!(st, 200, "{links}");
            for l in links["links"].as_array().unwrap() {
                out.push(cvi_testkit::state_of(l["url"].as_str().unwrap()));
            }
        }
        out
    };
    let callback = |state: &str| {
        s.call(
            "GET",
            &format!("/api/v1/consent/callback?admin_consent=True&state={state}"),
            None,
            None,
        )
        .0
    };
    // Sixteen at a time, so the burst is spent faster than it refills on any machine.
    let all = states(&admin_a, 420);
    let refused: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = all
            .chunks(all.len() / 16 + 1)
            .map(|chunk| {
                scope.spawn(|| {
                    chunk
                        .iter()
                        .filter(|st| match callback(st) {
                            200 => false,
                            429 => true,
                            other => panic!("tenant a's callback: {other}"),
                        })
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert!(
        refused > 0,
        "tenant a went past its burst (200, refilled at 20/s)"
    );
    let b = states(&admin_b, 1);
    assert_eq!(callback(&b[0]), 200, "tenant b has its own budget");
}
