//! The policy API end to end, on real SQLite and real PostgreSQL 15.

mod common;

use common::{Backend, Server};
use serde_json::{json, Value};

const POLY_APP: &str = "11111111-2222-3333-4444-555555555555";
const POLY_APP2: &str = "66666666-7777-8888-9999-000000000000";

/// Provider + consent + global grant in tenant `t`: what the seed's Provision and Consent
/// steps do. Returns the admin token.
fn provision(s: &Server, t: &str) -> String {
    let admin = s.token(t, &format!("admin@{t}.example"), "admin");
    let (st, v) = s.call("POST", "/api/v1/providers", Some(&admin), Some(json!({
        "name": "Polycom", "tenant_key": "813878896@t.plcm.vc", "aad_application_ids": format!("{POLY_APP};{POLY_APP2}")
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
fn consent_all(s: &Server, admin: &str, provider: &str) {
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

fn state_of(url: &str) -> String {
    url.split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

fn issue(s: &Server, token: &str, key: &str) -> (u16, Value) {
    s.call("POST", "/api/v1/meetings", Some(token), Some(json!({
        "meeting_key": key, "subject": "Quarterly review", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"
    })))
}

on_both!(provision_schedule_join, |b: Backend| {
    let s = common::start(b);
    let admin = provision(&s, "contoso");
    let org = s.token("contoso", "ann@contoso.example", "organizer");

    // Get / filter / set.
    let (_, all) = s.call("GET", "/api/v1/providers?filter=^pol", Some(&admin), None);
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (_, none) = s.call("GET", "/api/v1/providers?filter=^cis", Some(&admin), None);
    assert_eq!(none, json!([]));
    let (st, p) = s.call(
        "PATCH",
        "/api/v1/providers/polycom",
        Some(&admin),
        Some(json!({"instruction_uri": "https://help.contoso.example/vtc?id={ConfId}"})),
    );
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        p["tenant_key"], "813878896@t.plcm.vc",
        "fields not given stay"
    );

    // Policies.
    let (_, pols) = s.call("GET", "/api/v1/policies?filter=Polycom", Some(&admin), None);
    assert_eq!(pols[0]["identity"], "Tag:PolycomServiceProviderEnabled");
    let (st, g) = s.call("GET", "/api/v1/policies/Global", Some(&admin), None);
    assert_eq!(
        (st, g["enabled"].clone(), g["provider_name"].clone()),
        (200, json!(false), json!("DefaultProvider"))
    );

    // Issue, idempotently.
    let (st, m) = issue(&s, &org, "outlook-item-1");
    assert_eq!(st, 201, "{m}");
    let vid = m["video_id"].as_str().unwrap().to_string();
    assert!(cvi_core::VideoId::parse(&vid)
        .unwrap()
        .has_valid_check_digit());
    assert_eq!(m["direct_dial_uri"], format!("813878896.{vid}@t.plcm.vc"));
    assert_eq!(
        m["more_info_url"],
        format!("https://help.contoso.example/vtc?id={vid}")
    );
    assert_eq!(m["expires_at"], "2027-03-24T10:00:00Z", "end + 60 days");
    assert!(m["block"]["html"]
        .as_str()
        .unwrap()
        .contains(&cvi_core::VideoId::parse(&vid).unwrap().grouped()));
    let (st, again) = issue(&s, &org, "outlook-item-1");
    assert_eq!((st, again["video_id"].as_str()), (200, Some(vid.as_str())));

    // Update times: same Video ID, new expiry.
    let (st, u) = s.call(
        "PATCH",
        "/api/v1/meetings/outlook-item-1",
        Some(&org),
        Some(json!({"end": "2027-01-23T11:00:00Z"})),
    );
    assert_eq!(
        (st, u["video_id"].as_str(), u["expires_at"].as_str()),
        (200, Some(vid.as_str()), Some("2027-03-24T11:00:00Z"))
    );

    // Resolve as the partner: direct dial and IVR.
    let partner = s.token_with(
        json!({"tenant": "contoso", "user": "poly-ivr", "role": "partner", "app_id": POLY_APP}),
    );
    let (st, r) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": format!("sip:813878896.{vid}@t.plcm.vc")})),
    );
    assert_eq!(
        (st, r["meeting_key"].as_str()),
        (200, Some("outlook-item-1")),
        "{r}"
    );
    let (st, r) = s.call("POST", "/api/v1/resolve", Some(&partner), Some(json!({"dial_string": "813878896@t.plcm.vc", "video_id": cvi_core::VideoId::parse(&vid).unwrap().grouped()})));
    assert_eq!(
        (st, r["subject"].as_str()),
        (200, Some("Quarterly review")),
        "{r}"
    );

    // A mistyped ID is rejected by its check digit, before any lookup.
    let mut typo: Vec<u8> = vid.clone().into_bytes();
    typo[3] = b'0' + (typo[3] - b'0' + 1) % 10;
    let typo = String::from_utf8(typo).unwrap();
    let (st, p) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": "813878896@t.plcm.vc", "video_id": typo})),
    );
    assert_eq!(
        (st, p["type"].as_str()),
        (400, Some("urn:cvi:problem:invalid-input"))
    );
    assert!(p["detail"].as_str().unwrap().contains("check digit"));

    // Cancel: the ID stops resolving, with the same reply as an unknown ID.
    let (st, _) = s.call(
        "DELETE",
        "/api/v1/meetings/outlook-item-1",
        Some(&org),
        None,
    );
    assert_eq!(st, 200);
    let (st1, gone) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": format!("813878896.{vid}@t.plcm.vc")})),
    );
    let unknown_id =
        cvi_core::VideoId::from_body(if vid.starts_with('9') { 1 } else { 999_999_999 });
    let (st2, unknown) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": format!("813878896.{unknown_id}@t.plcm.vc")})),
    );
    assert_eq!((st1, st2), (404, 404));
    assert_eq!(
        gone, unknown,
        "cancelled and unknown IDs get identical replies"
    );
    let (st, _) = issue(&s, &org, "outlook-item-1");
    assert_eq!(st, 409, "a cancelled key is not silently revived");

    // Remove the provider: the grant stays but is reported as producing nothing.
    let (st, r) = s.call("DELETE", "/api/v1/providers/Polycom", Some(&admin), None);
    assert_eq!(st, 200);
    assert_eq!(r["orphaned_grants"].as_array().unwrap().len(), 1);
    assert!(r["message"]
        .as_str()
        .unwrap()
        .contains("stop producing coordinates"));
    let (st, p) = issue(&s, &org, "outlook-item-2");
    assert_eq!(
        (st, p["type"].as_str()),
        (403, Some("urn:cvi:problem:provider-missing"))
    );

    // Every write left an audit row, newest first, paged.
    let (st, page) = s.call("GET", "/api/v1/audit?limit=3", Some(&admin), None);
    assert_eq!(st, 200);
    assert_eq!(page["entries"].as_array().unwrap().len(), 3);
    assert_eq!(page["entries"][0]["action"], "provider.remove");
    let next = page["next"].as_str().unwrap();
    let (_, page2) = s.call(
        "GET",
        &format!("/api/v1/audit?limit=500&before={next}"),
        Some(&admin),
        None,
    );
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["entries"].as_array().unwrap())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "provider.new",
        "consent.links",
        "consent.record",
        "grant.assign",
        "provider.set",
        "meeting.issue",
        "meeting.update",
        "meeting.cancel",
        "provider.remove",
    ] {
        assert!(actions.contains(&want), "audit has {want}: {actions:?}");
    }
    assert!(page2["next"].is_null());
});

on_both!(concurrent_issue_gives_one_video_id, |b: Backend| {
    let s = common::start(b);
    provision(&s, "contoso");
    let org = s.token("contoso", "ann@contoso.example", "organizer");
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|_| {
                scope.spawn(|| {
                    let (st, v) = issue(&s, &org, "same-key");
                    assert!(st == 200 || st == 201, "{st} {v}");
                    v["video_id"].as_str().unwrap().to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        ids.iter().all(|i| i == &ids[0]),
        "64 concurrent calls, one key -> one Video ID: {ids:?}"
    );
    assert_eq!(s.count("meetings", "contoso"), 1);
    // And 64 distinct keys get 64 distinct IDs.
    let distinct: std::collections::HashSet<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let (s, org) = (&s, &org);
                scope.spawn(move || {
                    issue(s, org, &format!("k{i}")).1["video_id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(distinct.len(), 64);
});

on_both!(
    issuance_is_gated_by_policy_provider_and_consent,
    |b: Backend| {
        let s = common::start(b);
        let admin = s.token("t1", "admin@t1.example", "admin");
        let org = s.token("t1", "ann@t1.example", "organizer");
        let kind = |v: &Value| v["type"].as_str().unwrap().to_string();

        let (st, p) = issue(&s, &org, "m1");
        assert_eq!(
            (st, kind(&p)),
            (403, "urn:cvi:problem:policy-disabled".into())
        );
        assert!(
            p["detail"].as_str().unwrap().contains("ask your admin")
                || p["detail"].as_str().unwrap().contains("Ask your admin")
        );

        s.call(
            "PUT",
            "/api/v1/grants",
            Some(&admin),
            Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"})),
        );
        let (st, p) = issue(&s, &org, "m1");
        assert_eq!(
            (st, kind(&p)),
            (403, "urn:cvi:problem:provider-missing".into())
        );

        s.call("POST", "/api/v1/providers", Some(&admin), Some(json!({"name": "Polycom", "tenant_key": "1@t.plcm.vc", "aad_application_ids": [POLY_APP, POLY_APP2]})));
        let (st, p) = issue(&s, &org, "m1");
        assert_eq!(
            (st, kind(&p)),
            (403, "urn:cvi:problem:consent-missing".into())
        );
        assert_eq!(p["missing_app_ids"].as_array().unwrap().len(), 2);

        // Consent one app: still missing the other. A refused consent is recorded as such.
        let (_, links) = s.call(
            "GET",
            "/api/v1/consent/links?provider=Polycom",
            Some(&admin),
            None,
        );
        let states: Vec<(String, String)> = links["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["app_id"].as_str().unwrap().to_string(),
                    state_of(l["url"].as_str().unwrap()),
                )
            })
            .collect();
        assert!(links["links"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://login.microsoftonline.com/t1/v2.0/adminconsent?client_id="));
        s.call(
            "GET",
            &format!(
                "/api/v1/consent/callback?admin_consent=True&tenant=t1&state={}",
                states[0].1
            ),
            None,
            None,
        );
        let (st, v) = s.call(
            "GET",
            &format!(
                "/api/v1/consent/callback?error=access_denied&error_description=no&state={}",
                states[1].1
            ),
            None,
            None,
        );
        assert_eq!((st, v["consented"].clone()), (200, json!(false)));
        let (_, status) = s.call(
            "GET",
            "/api/v1/consent/status?provider=Polycom",
            Some(&admin),
            None,
        );
        assert_eq!(status[0]["missing"], json!([states[1].0]));
        assert!(status[0]["apps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["error"]
                .as_str()
                .is_some_and(|e| e.contains("access_denied"))));
        let (st, _) = issue(&s, &org, "m1");
        assert_eq!(st, 403);
        // States are single use.
        let (st, _) = s.call(
            "GET",
            &format!(
                "/api/v1/consent/callback?admin_consent=True&state={}",
                states[0].1
            ),
            None,
            None,
        );
        assert_eq!(st, 400);
        consent_all(&s, &admin, "Polycom");
        let (st, _) = issue(&s, &org, "m1");
        assert_eq!(st, 201);
    }
);

on_both!(precedence_through_the_api, |b: Backend| {
    let s = common::start(b);
    let admin = provision(&s, "t");
    let grant = |body: Value| s.call("PUT", "/api/v1/grants", Some(&admin), Some(body));
    grant(
        json!({"target": "group", "identity": "sales", "rank": 2, "policy_name": "Tag:CiscoServiceProviderEnabled"}),
    );
    grant(
        json!({"target": "group", "identity": "eng", "rank": 1, "policy_name": "Tag:PexipServiceProviderEnabled"}),
    );
    let (st, p) = grant(
        json!({"target": "group", "identity": "ops", "rank": 1, "policy_name": "Tag:PexipServiceProviderEnabled"}),
    );
    assert_eq!(
        (st, p["type"].as_str()),
        (409, Some("urn:cvi:problem:conflict")),
        "ranks are distinct"
    );
    grant(
        json!({"target": "user", "identity": "Bob@T.example", "policy_name": "Tag:ServiceProviderDisabled"}),
    );
    let eff = |u: &str, g: &str| {
        s.call(
            "GET",
            &format!("/api/v1/users/{u}/effective-policy?groups={g}"),
            Some(&admin),
            None,
        )
        .1
    };
    let cases = [
        (
            "ann@t.example",
            "",
            "global",
            "Tag:PolycomServiceProviderEnabled",
        ),
        (
            "ann@t.example",
            "sales",
            "group",
            "Tag:CiscoServiceProviderEnabled",
        ),
        // Group ids compare case-insensitively (Entra GUIDs come in either case).
        (
            "ann@t.example",
            "SALES",
            "group",
            "Tag:CiscoServiceProviderEnabled",
        ),
        (
            "ann@t.example",
            "sales,eng",
            "group",
            "Tag:PexipServiceProviderEnabled",
        ),
        (
            "bob@t.example",
            "sales,eng",
            "direct",
            "Tag:ServiceProviderDisabled",
        ),
    ];
    for (u, g, source, policy) in cases {
        let e = eff(u, g);
        assert_eq!(
            (e["source"].as_str(), e["policy"]["identity"].as_str()),
            (Some(source), Some(policy)),
            "{u} in [{g}]: {e}"
        );
        assert!(!e["reason"].as_str().unwrap().is_empty());
    }
    // Unassign the global grant: ann falls back to the built-in Global policy.
    grant(json!({"target": "global", "policy_name": null}));
    let e = eff("ann@t.example", "");
    assert_eq!(
        (e["source"].as_str(), e["policy"]["enabled"].as_bool()),
        (Some("default"), Some(false))
    );
    // The organizer sees their own, groups from the token.
    let t = s.token_with(
        json!({"tenant": "t", "user": "ann@t.example", "role": "organizer", "groups": ["eng"]}),
    );
    let (_, me) = s.call("GET", "/api/v1/me/effective-policy", Some(&t), None);
    assert_eq!(me["policy"]["provider_name"], "Pexip");
});

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
on_both!(
    a_second_server_sees_configuration_changes_at_once,
    |b: Backend| {
        let s = common::start(b);
        let admin = provision(&s, "t2");
        let org = s.token("t2", "ann@t2.example", "organizer");
        let partner = s.token_with(
            json!({"tenant": "t2", "user": "poly-ivr", "role": "partner", "app_id": POLY_APP}),
        );
        let other = common::spawn_cvi(&[
            "--dev-issuer",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &s.database_url,
        ]);
        let on_other = |method: &str, path: &str, token: &str, body: Option<Value>| {
            common::call(&format!("{}{path}", other.base), method, Some(token), body)
        };
        let (st, m) = issue(&s, &org, "k1");
        assert_eq!(st, 201, "{m}");
        let dial = json!({"dial_string": m["direct_dial_uri"]});
        let resolve = |s: &Server| {
            s.call(
                "POST",
                "/api/v1/resolve",
                Some(&partner),
                Some(dial.clone()),
            )
        };
        // Both servers have read (and kept) the configuration.
        assert_eq!(resolve(&s).0, 200);
        assert_eq!(
            on_other("POST", "/api/v1/resolve", &partner, Some(dial.clone())).0,
            200
        );

        // Removed through the other server: this one stops resolving and issuing at once.
        let (st, v) = on_other("DELETE", "/api/v1/providers/Polycom", &admin, None);
        assert_eq!(st, 200, "{v}");
        assert_eq!(resolve(&s).0, 404);
        let (st, v) = issue(&s, &org, "k2");
        assert_eq!(
            (st, v["type"].as_str().unwrap()),
            (403, "urn:cvi:problem:provider-missing")
        );

        // Configured again through the other server, not yet consented: consent missing here.
        let (st, v) = on_other(
            "POST",
            "/api/v1/providers",
            &admin,
            Some(json!({
                "name": "Polycom", "tenant_key": "813878896@t.plcm.vc", "aad_application_ids": POLY_APP
            })),
        );
        assert_eq!(st, 201, "{v}");
        let (st, v) = issue(&s, &org, "k2");
        assert_eq!(
            (st, v["type"].as_str().unwrap()),
            (403, "urn:cvi:problem:consent-missing")
        );
        assert_eq!(
            s.call(
                "POST",
                "/api/v1/resolve",
                Some(&partner),
                Some(dial.clone())
            )
            .1["type"],
            "urn:cvi:problem:consent-missing"
        );

        // Consent recorded (the callback reaches the other server): both work again.
        let (st, links) = on_other(
            "GET",
            "/api/v1/consent/links?provider=Polycom",
            &admin,
            None,
        );
        assert_eq!(st, 200, "{links}");
        let state = state_of(links["links"][0]["url"].as_str().unwrap());
        let (st, v) = common::call(
            &format!(
                "{}/api/v1/consent/callback?admin_consent=True&state={state}",
                other.base
            ),
            "GET",
            None,
            None,
        );
        assert_eq!(st, 200, "{v}");
        assert_eq!(issue(&s, &org, "k2").0, 201);
        drop(other);
    }
);
