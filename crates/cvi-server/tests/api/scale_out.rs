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

/// Two servers on one PostgreSQL allow together what one would: the resolution budget is
/// split between the live servers (per process it was N times the budget).
#[test]
fn two_servers_share_one_rate_limit() {
    let s = common::start_with(
        Backend::Postgres,
        common::Options {
            resolve_rate: 1.0,
            ..common::Options::default()
        },
    );
    provision(&s, "t");
    let partner = s.token_with(
        json!({"tenant": "t", "user": "poly-ivr", "role": "partner", "app_id": POLY_APP}),
    );
    // The binary's burst is 10 s worth: rate 1 → 10 at once on one server.
    let one = common::spawn_cvi(&[
        "--dev-issuer",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &s.database_url,
        "--resolve-rate",
        "1",
    ]);
    let two = common::spawn_cvi(&[
        "--dev-issuer",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &s.database_url,
        "--resolve-rate",
        "1",
    ]);
    // Each server sees the others within a few heartbeats (2 s apart).
    std::thread::sleep(std::time::Duration::from_secs(5));
    let dial = json!({"dial_string": format!("813878896.{}@t.plcm.vc", cvi_core::VideoId::from_body(123_456_789))});
    let mut allowed = 0;
    for server in [&one, &two] {
        for _ in 0..15 {
            let (st, v) = common::call(
                &format!("{}/api/v1/resolve", server.base),
                "POST",
                Some(&partner),
                Some(dial.clone()),
            );
            assert!(st == 404 || st == 429, "{st} {v}");
            allowed += usize::from(st == 404);
        }
    }
    // Three servers live (the harness's own too): each allows a third of the burst of 10
    // (3) plus what refills meanwhile; one server alone would allow 10, two apart 20.
    assert!((4..=10).contains(&allowed), "allowed {allowed} of 30");

    // A caller named by the partner has a budget of its own.
    let named = json!({"dial_string": dial["dial_string"], "caller": "sip:room-7@example.invalid"});
    let (st, v) = common::call(
        &format!("{}/api/v1/resolve", one.base),
        "POST",
        Some(&partner),
        Some(named),
    );
    assert_eq!(st, 404, "{v}");
}

/// The consent callback answers made-up states without taking the writer, and real ones
/// within a limit. (On SQLite a write transaction held elsewhere makes every writer wait.)
#[test]
fn consent_callbacks_with_made_up_states_stay_off_the_writer() {
    let s = common::start(Backend::Sqlite);
    let admin = provision(&s, "t");
    // Hold the writer: a callback that needed it would wait.
    let writer = s.block_on(async {
        let db = s.db.clone();
        let mut tx = db.begin().await.unwrap();
        sqlx::query("UPDATE tenant_config SET version = version WHERE tenant_id = 't'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx
    });
    let t = std::time::Instant::now();
    for i in 0..50 {
        let (st, v) = s.call(
            "GET",
            &format!("/api/v1/consent/callback?admin_consent=True&state=made-up-{i}"),
            None,
            None,
        );
        assert_eq!(st, 400, "{v}");
    }
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "no callback waited for the writer"
    );
    s.block_on(writer.rollback()).unwrap();
    let _ = admin;
}
