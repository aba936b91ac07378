//! Two servers on one database behave as one.

use serde_json::{json, Value};

use crate::common::{self, Backend, Server};
use crate::*;

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
