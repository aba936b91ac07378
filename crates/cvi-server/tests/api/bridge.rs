//! The bridge side: Pexip Infinity's external policy request
//! (`GET /policy/v1/service/configuration`, query parameters as Pexip sends them) with
//! per-bridge HTTP Basic credentials, and what it asks of the providers (unique tenant keys,
//! SIP targets).

use base64::Engine;
use serde_json::{json, Value};

use crate::common::{self, Backend, Server};
use crate::*;

const JOIN: &str = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA1ZmE2@thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d";

/// One policy request as Pexip sends it: all in the query string, Basic credentials.
fn policy(s: &Server, creds: Option<(&str, &str)>, query: &str) -> (u16, Value, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(format!("{}/policy/v1/service/configuration?{query}", s.url));
    if let Some((u, p)) = creds {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req = req.header("authorization", format!("Basic {b}"));
    }
    let mut resp = req.call().unwrap();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp.body_mut().read_to_string().unwrap();
    (
        resp.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        challenge,
    )
}

fn new_bridge(s: &Server, admin: &str, body: Value) -> (String, String) {
    let (st, v) = s.call("POST", "/api/v1/bridges", Some(admin), Some(body));
    assert_eq!(st, 201, "{v}");
    (
        v["username"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

/// Pexip's own parameters around the alias (from Pexip's documented example request).
fn dial_in(alias: &str) -> String {
    format!(
        "call_direction=dial_in&protocol=sip&bandwidth=0&vendor=Cisco%2FCE&encryption=On&registered=False\
         &trigger=invite&remote_display_name=Room&remote_alias=sip%3Aroom%40example.invalid\
         &remote_address=127.0.0.9&remote_port=58435&call_tag=&idp_uuid=&location=London\
         &node_ip=127.0.0.10&version_id=35&pseudo_version_id=77683.0.0&local_alias={}",
        form_urlencoded::byte_serialize(alias.as_bytes()).collect::<String>()
    )
}

on_both!(a_bridge_routes_calls_into_the_meeting, |b: Backend| {
    let s = common::start(b);
    let admin = provision(&s, "t");
    let ann = s.token("t", "ann@t.example", "organizer");
    let (st, m) = s.call("POST", "/api/v1/meetings", Some(&ann), Some(json!({
        "meeting_key": "k1", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z", "teams_join_url": JOIN})));
    assert_eq!(st, 201, "{m}");
    let id = m["video_id"].as_str().unwrap().to_string();
    let (user, secret) = new_bridge(
        &s,
        &admin,
        json!({"provider": "polycom", "teams_connector": "TeamsConn-EU"}),
    );
    let creds = Some((user.as_str(), secret.as_str()));

    // The secret is shown once: the list has none, and the database keeps a hash.
    let (st, list) = s.call("GET", "/api/v1/bridges", Some(&admin), None);
    assert_eq!(st, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "{list}");
    assert!(!list.to_string().contains(&secret));

    // Direct dial → a gateway into the Teams meeting, the join link alongside.
    let (st, v, _) = policy(
        &s,
        creds,
        &dial_in(&format!("sip:813878896.{id}@t.plcm.vc")),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "success");
    assert_eq!(v["action"], "continue");
    let r = &v["result"];
    assert_eq!(r["service_type"], "gateway");
    assert_eq!(r["outgoing_protocol"], "teams");
    assert_eq!(r["called_device_type"], "teams_conference");
    assert_eq!(r["remote_alias"], id);
    assert_eq!(r["local_alias"], "sip:room@example.invalid");
    assert_eq!(r["teams_proxy_name"], "TeamsConn-EU");
    for f in ["name", "service_tag", "description"] {
        assert!(
            r[f].as_str()
                .is_some_and(|x| !x.is_empty() && x.len() <= 250),
            "{f}: {r}"
        );
    }
    assert_eq!(v["teams_join_url"], JOIN);
    assert_eq!(v["meeting_key"], "k1");

    // IVR + ID: the Virtual Reception's second request carries the keyed digits.
    let (_, v, _) = policy(
        &s,
        creds,
        &dial_in(&format!("{id}#")).replace("trigger=invite", "trigger=two_stage_dialing"),
    );
    assert_eq!(v["result"]["remote_alias"], id, "{v}");
    // The IVR itself → a Teams-type Virtual Reception through the named connector.
    let (_, v, _) = policy(&s, creds, &dial_in("813878896@t.plcm.vc"));
    assert_eq!(v["result"]["service_type"], "two_stage_dialing", "{v}");
    assert_eq!(v["result"]["two_stage_dial_type"], "teams");

    // Unknown, a bad check digit, a cancelled meeting: one "reject".
    let bad = format!("{}{}", &id[..9], (id.as_bytes()[9] - b'0' + 1) % 10);
    let (_, unknown, _) = policy(
        &s,
        creds,
        &dial_in(&format!(
            "813878896.{}@t.plcm.vc",
            cvi_core::VideoId::from_body(123_456_789)
        )),
    );
    assert_eq!(unknown, json!({"status": "success", "action": "reject"}));
    let (_, v, _) = policy(&s, creds, &dial_in(&format!("813878896.{bad}@t.plcm.vc")));
    assert_eq!(v, unknown);
    let (_, v, _) = policy(&s, creds, &dial_in(&format!("{bad}#")));
    assert_eq!(v, unknown);
    let (st, _) = s.call("DELETE", "/api/v1/meetings/k1", Some(&ann), None);
    assert_eq!(st, 200);
    let (_, v, _) = policy(&s, creds, &dial_in(&format!("813878896.{id}@t.plcm.vc")));
    assert_eq!(v, unknown);

    // The bridge's own dial-outs and OPTIONS stay with its configuration.
    let (_, v, _) = policy(
        &s,
        creds,
        &dial_in("x@y.invalid").replace("dial_in", "dial_out"),
    );
    assert_eq!(
        v,
        json!({"status": "success", "action": "continue", "result": {}})
    );

    // Credentials: none, wrong, revoked → 401 with a Basic challenge.
    let (st, _, ch) = policy(&s, None, &dial_in("813878896@t.plcm.vc"));
    assert_eq!(st, 401);
    assert!(ch.starts_with("Basic "), "{ch}");
    let (st, _, _) = policy(&s, Some((&user, "wrong")), &dial_in("813878896@t.plcm.vc"));
    assert_eq!(st, 401);
    let (st, v) = s.call(
        "DELETE",
        &format!("/api/v1/bridges/{user}"),
        Some(&admin),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let (st, _, _) = policy(&s, creds, &dial_in("813878896@t.plcm.vc"));
    assert_eq!(st, 401, "a revoked bridge is refused at once");
    // Both audited.
    let (_, log) = s.call("GET", "/api/v1/audit", Some(&admin), None);
    assert!(log.to_string().contains(&user), "{log}");
});

on_both!(
    bridges_are_scoped_to_their_tenant_and_provider,
    |b: Backend| {
        let s = common::start(b);
        let admin_t = provision(&s, "t");
        let admin_u = provision_with_key(&s, "u", "555000111@t.plcm.vc");
        let ann_u = s.token("u", "ann@u.example", "organizer");
        let (_, m) = s.call(
            "POST",
            "/api/v1/meetings",
            Some(&ann_u),
            Some(json!({
        "meeting_key": "k1", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"})),
        );
        let id_u = m["video_id"].as_str().unwrap().to_string();
        let (user, secret) = new_bridge(&s, &admin_t, json!({"provider": "Polycom"}));
        let creds = Some((user.as_str(), secret.as_str()));
        // Tenant t's bridge cannot reach tenant u's meeting, by u's key or by keyed digits.
        let (_, v, _) = policy(&s, creds, &dial_in(&format!("555000111.{id_u}@t.plcm.vc")));
        assert_eq!(v["action"], "reject", "{v}");
        let (_, v, _) = policy(&s, creds, &dial_in(&id_u));
        assert_eq!(v["action"], "reject", "{v}");
        // Tenant u neither sees nor removes t's bridge.
        let (_, list) = s.call("GET", "/api/v1/bridges", Some(&admin_u), None);
        assert_eq!(list, json!([]));
        let (st, _) = s.call(
            "DELETE",
            &format!("/api/v1/bridges/{user}"),
            Some(&admin_u),
            None,
        );
        assert_eq!(st, 404);
        // Only admins manage bridges; a provider must exist; bad input is named.
        let ann_t = s.token("t", "ann@t.example", "organizer");
        let (st, _) = s.call(
            "POST",
            "/api/v1/bridges",
            Some(&ann_t),
            Some(json!({"provider": "Polycom"})),
        );
        assert_eq!(st, 403);
        let (st, v) = s.call(
            "POST",
            "/api/v1/bridges",
            Some(&admin_t),
            Some(json!({"provider": "Pexip"})),
        );
        assert_eq!(st, 404, "{v}");
        let (st, v) = s.call(
            "POST",
            "/api/v1/bridges",
            Some(&admin_t),
            Some(json!({"provider": "Zoom"})),
        );
        assert_eq!(st, 400, "{v}");
        let (st, v) = s.call(
            "POST",
            "/api/v1/bridges",
            Some(&admin_t),
            Some(json!({"provider": "Polycom", "teams_connector": "a\nb"})),
        );
        assert_eq!(st, 400, "{v}");
        // Removing the provider removes its bridges.
        let (st, _) = s.call("DELETE", "/api/v1/providers/Polycom", Some(&admin_t), None);
        assert_eq!(st, 200);
        let (st, _, _) = policy(&s, creds, &dial_in("813878896@t.plcm.vc"));
        assert_eq!(st, 401);
    }
);

on_both!(
    tenant_keys_are_unique_and_sip_targets_checked,
    |b: Backend| {
        let s = common::start(b);
        provision(&s, "t");
        let admin_u = s.token("u", "admin@u.example", "admin");
        // Another tenant's key, in any case: refused, nothing written.
        let (st, v) = s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin_u),
            Some(json!({
        "name": "Polycom", "tenant_key": "813878896@T.PLCM.VC"})),
        );
        assert_eq!(st, 409, "{v}");
        assert!(
            v["detail"].as_str().unwrap().contains("already in use"),
            "{v}"
        );
        assert_eq!(s.count("providers", "u"), 0);
        let (st, _) = s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin_u),
            Some(json!({
        "name": "Polycom", "tenant_key": "555000111@t.plcm.vc"})),
        );
        assert_eq!(st, 201);
        let (st, _) = s.call(
            "PATCH",
            "/api/v1/providers/Polycom",
            Some(&admin_u),
            Some(json!({
        "tenant_key": "813878896@t.plcm.vc"})),
        );
        assert_eq!(st, 409);
        // SIP targets: shown with their defaults; validated; empty restores the default.
        let (_, p) = s.call("GET", "/api/v1/providers/Polycom", Some(&admin_u), None);
        assert_eq!(p["sip_gateway"], "sip:{direct_dial}");
        assert_eq!(p["sip_ivr"], "sip:{tenant_key}");
        for (field, bad) in [
            ("sip_gateway", "http://gw.example"),
            ("sip_gateway", "sip:{conf}@gw"),
            ("sip_gateway", "sip:x@gw\r\nVia: x"),
            ("sip_ivr", "sip:{video_id}@gw"),
        ] {
            let (st, v) = s.call(
                "PATCH",
                "/api/v1/providers/Polycom",
                Some(&admin_u),
                Some(json!({field: bad})),
            );
            assert_eq!(st, 400, "{field}={bad:?}: {v}");
            assert!(v["detail"].as_str().unwrap().starts_with(field), "{v}");
        }
        let (st, p) = s.call(
            "PATCH",
            "/api/v1/providers/Polycom",
            Some(&admin_u),
            Some(json!({"sip_gateway": "sips:{video_id}@gw.u.example"})),
        );
        assert_eq!(st, 200, "{p}");
        assert_eq!(p["sip_gateway"], "sips:{video_id}@gw.u.example");
        let (_, p) = s.call(
            "PATCH",
            "/api/v1/providers/Polycom",
            Some(&admin_u),
            Some(json!({"sip_gateway": ""})),
        );
        assert_eq!(p["sip_gateway"], "sip:{direct_dial}");
    }
);

on_both!(a_dial_domain_belongs_to_one_tenant, |b: Backend| {
    let s = common::start(b);
    let admin_t = provision(&s, "t"); // Polycom 813878896@t.plcm.vc
    let (st, v) = s.call(
        "POST",
        "/api/v1/providers",
        Some(&admin_t),
        Some(json!({"name": "Pexip", "tenant_key": "teams@vc.t.example"})),
    );
    assert_eq!(st, 201, "{v}");
    let admin_u = s.token("u", "admin@u.example", "admin");
    let new = |name: &str, key: &str| {
        s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin_u),
            Some(json!({"name": name, "tenant_key": key})),
        )
    };
    // Tenant u cannot take t's Pexip domain (it would receive t's calls), nor put any
    // provider on it, nor a Pexip on the partner domain t's Polycom key lives on.
    for (name, key) in [
        ("Pexip", "other@VC.T.EXAMPLE"),
        ("Polycom", "555000111@vc.t.example"),
        ("Pexip", "u@t.plcm.vc"),
    ] {
        let (st, v) = new(name, key);
        assert_eq!(st, 409, "{name} {key}: {v}");
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.contains("in use by another tenant") && detail.contains("operator"),
            "{detail}"
        );
        assert_eq!(s.count("providers", "u"), 0, "nothing written");
    }
    // Its own domain is its own; moving onto t's is refused, and changes nothing.
    let (st, v) = new("Pexip", "teams@vc.u.example");
    assert_eq!(st, 201, "{v}");
    let (st, v) = s.call(
        "PATCH",
        "/api/v1/providers/Pexip",
        Some(&admin_u),
        Some(json!({"tenant_key": "u@vc.t.example"})),
    );
    assert_eq!(st, 409, "{v}");
    let (_, p) = s.call("GET", "/api/v1/providers/Pexip", Some(&admin_u), None);
    assert_eq!(p["tenant_key"], "teams@vc.u.example");
    // A Polycom key beside t's on the shared partner domain is fine: keys name tenants.
    let (st, v) = new("Polycom", "555000111@t.plcm.vc");
    assert_eq!(st, 201, "{v}");
});
