//! Meetings: the seed's whole flow, idempotent issuance under concurrency, and the
//! gates before coordinates are issued (policy, provider, consent).

use serde_json::{json, Value};

use crate::common::{self, Backend};
use crate::*;

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
    // On PostgreSQL those calls' first read (version, key issued?) went through one batched
    // statement for many issuances (a failed batch would fall back to the pool silently): it
    // answers what the plain read answers, for issued keys, new keys and unknown tenants.
    if matches!(b, Backend::Postgres) {
        let asks = [
            ("contoso", "same-key"),
            ("contoso", "k7"),
            ("contoso", "never-issued"),
            ("nobody", "same-key"),
        ];
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let pool = cvi_store::batched_reads::pool(&s.database_url).unwrap();
            let batch = asks
                .iter()
                .map(|(t, k)| cvi_store::meetings::KeyAsk::new(t, k))
                .collect();
            let batched = cvi_store::meetings::keys_batch(pool, batch).await.unwrap();
            assert_eq!(batched.len(), asks.len());
            for ((t, k), got) in asks.iter().zip(batched) {
                let (version, found) = cvi_store::meetings::load_with_version(&s.db, t, k)
                    .await
                    .unwrap();
                assert_eq!(got, (version, found.is_some()), "{t} {k}");
            }
            // A real version was compared, not two defaults.
            let version = cvi_store::tenant_config::version(&s.db, "contoso").await;
            assert!(version.unwrap() > 0);
        });
    }
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

on_both!(a_series_may_not_hold_its_video_id_forever, |b: Backend| {
    let s = common::start(b);
    provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    let (st, p) = s.call(
        "POST",
        "/api/v1/meetings",
        Some(&org),
        Some(json!({"meeting_key": "forever", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z", "series_end": "2099-12-31T00:00:00Z"})),
    );
    assert_eq!(st, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("5 years"), "{p}");
    assert_eq!(s.count("meetings", "t"), 0);
    let (st, m) = s.call(
        "POST",
        "/api/v1/meetings",
        Some(&org),
        Some(json!({"meeting_key": "long", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z", "series_end": "2031-12-31T00:00:00Z"})),
    );
    assert_eq!(
        (st, m["expires_at"].as_str()),
        (201, Some("2032-02-29T00:00:00Z")),
        "{m}"
    );
});

on_both!(
    an_organizer_finds_their_meeting_by_video_id,
    |b: Backend| {
        let s = common::start(b);
        provision(&s, "t");
        crate::provision_with_key(&s, "u", "555000111@t.plcm.vc");
        let ann = s.token("t", "ann@t.example", "organizer");
        let (st, m) = issue(&s, &ann, "k1");
        assert_eq!(st, 201);
        let id = m["video_id"].as_str().unwrap();
        let grouped = m["block"]["text"]
            .as_str()
            .unwrap()
            .lines()
            .nth(2)
            .unwrap()
            .trim_start_matches("Video ID: ")
            .to_string();
        let find = |token: &str, id: &str| {
            s.call(
                "GET",
                &format!("/api/v1/meetings?video_id={}", id.replace(' ', "%20")),
                Some(token),
                None,
            )
        };
        let (st, v) = find(&ann, &grouped);
        assert_eq!((st, v["meeting_key"].as_str()), (200, Some("k1")), "{v}");
        // Another organizer, another tenant: the same 404 as a Video ID nobody holds.
        let bob = s.token("t", "bob@t.example", "organizer");
        let other_tenant = s.token("u", "ann@t.example", "organizer");
        let (st_bob, v_bob) = find(&bob, id);
        let (st_other, v_other) = find(&other_tenant, id);
        let (st_none, v_none) = find(&ann, cvi_core::VideoId::from_body(1).as_str());
        assert_eq!((st_bob, st_other, st_none), (404, 404, 404));
        assert!(v_bob == v_none && v_other == v_none, "indistinguishable");
        // A mistyped ID is refused before any lookup.
        let mut bad = id.to_string();
        bad.replace_range(9..10, if &id[9..10] == "0" { "1" } else { "0" });
        assert_eq!(find(&ann, &bad).0, 400);
        // Cancelled: no longer found.
        assert_eq!(
            s.call("DELETE", "/api/v1/meetings/k1", Some(&ann), None).0,
            200
        );
        assert_eq!(find(&ann, id).0, 404);
    }
);

on_both!(an_organizer_has_an_hourly_issuance_quota, |b: Backend| {
    let s = common::start_with(
        b,
        common::Options {
            issue_quota_per_hour: 3,
            ..common::Options::default()
        },
    );
    provision(&s, "t");
    let ann = s.token("t", "ann@t.example", "organizer");
    for k in ["q1", "q2", "q3"] {
        let (st, v) = issue(&s, &ann, k);
        assert_eq!(st, 201, "{v}");
    }
    let (st, v) = issue(&s, &ann, "q4");
    assert_eq!(st, 429, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("retry after"), "{v}");
    assert_eq!(s.count("meetings", "t"), 3, "nothing written");
    // What is already issued is still answered (idempotent), and others have their own.
    assert_eq!(issue(&s, &ann, "q1").0, 200);
    let bob = s.token("t", "bob@t.example", "organizer");
    assert_eq!(issue(&s, &bob, "b1").0, 201);
});

/// A grant revoked while issuances are in flight: none decided before it commits after it.
/// On SQLite, writers take turns, and audit ids are time-ordered.
#[test]
fn a_revocation_racing_issuance_wins() {
    let s = std::sync::Arc::new(common::start(Backend::Sqlite));
    let admin = provision(&s, "t");
    let orgs: Vec<String> = (0..8)
        .map(|i| s.token("t", &format!("o{i}@t.example"), "organizer"))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = orgs
        .into_iter()
        .enumerate()
        .map(|(i, tok)| {
            let (s, stop) = (s.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 400 {
                    issue(&s, &tok, &format!("r{i}-{n}"));
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (st, v) = s.call(
        "PUT",
        "/api/v1/grants",
        Some(&admin),
        Some(json!({"target": "global"})),
    );
    assert_eq!(st, 200, "{v}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let ids: Vec<(String, String)> = s
        .block_on(
            sqlx::query_as("SELECT id, action FROM audit_log WHERE tenant_id = 't' ORDER BY id")
                .fetch_all(&s.db),
        )
        .unwrap();
    let revoked = ids
        .iter()
        .rposition(|(_, a)| a.starts_with("grant"))
        .expect("the revocation is audited");
    let issued_before = ids[..revoked]
        .iter()
        .filter(|(_, a)| a == "meeting.issue")
        .count();
    let issued_after = ids[revoked..]
        .iter()
        .filter(|(_, a)| a == "meeting.issue")
        .count();
    assert!(issued_before > 0, "issuance was under way");
    assert_eq!(
        issued_after, 0,
        "no issuance committed after the revocation"
    );
}

on_both!(
    meetings_belong_to_the_object_id_not_the_upn,
    |b: Backend| {
        let s = common::start(b);
        provision(&s, "t");
        let oid = "2f1c3d4e-0000-4000-8000-00000000abcd";
        let as_user = |upn: &str, oid: &str| {
            s.token_with(json!({"tenant": "t", "user": upn, "role": "organizer", "oid": oid}))
        };
        let ann = as_user("ann@t.example", oid);
        let (st, m) = issue(&s, &ann, "o1");
        assert_eq!(st, 201, "{m}");
        // Ann is renamed: same object id, new UPN — her meeting is still hers.
        let renamed = as_user("ann.smith@t.example", oid);
        let (st, v) = s.call("GET", "/api/v1/meetings/o1", Some(&renamed), None);
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            issue(&s, &renamed, "o1").1["video_id"],
            m["video_id"],
            "same coordinates"
        );
        // A new person given the old UPN (another object id) does not get it.
        let newcomer = as_user("ann@t.example", "9a9a9a9a-0000-4000-8000-000000000001");
        let (st, v) = s.call("GET", "/api/v1/meetings/o1", Some(&newcomer), None);
        assert_eq!(st, 403, "{v}");
    }
);

on_both!(an_admin_lists_an_organizers_meetings, |b: Backend| {
    let s = common::start(b);
    let admin = crate::provision(&s, "t");
    let ann = s.token("t", "ann@t.example", "organizer");
    for k in ["m-1", "m-2"] {
        assert_eq!(crate::issue(&s, &ann, k).0, 201);
    }
    let bob = s.token("t", "bob@t.example", "organizer");
    assert_eq!(crate::issue(&s, &bob, "m-3").0, 201);
    let (st, v) = s.call(
        "GET",
        "/api/v1/users/ann@t.example/meetings",
        Some(&admin),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let keys: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["meeting_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{v}");
    assert!(
        keys.contains(&"m-1") && keys.contains(&"m-2") && !keys.contains(&"m-3"),
        "{v}"
    );
    // Case of the UPN as typed does not matter; organizers cannot list; other tenants see none.
    let (_, upper) = s.call(
        "GET",
        "/api/v1/users/Ann@T.example/meetings",
        Some(&admin),
        None,
    );
    assert_eq!(upper.as_array().unwrap().len(), 2, "{upper}");
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/users/ann@t.example/meetings",
            Some(&ann),
            None
        )
        .0,
        403
    );
    let other = s.token("u", "admin@u.example", "admin");
    let (st, none) = s.call(
        "GET",
        "/api/v1/users/ann@t.example/meetings",
        Some(&other),
        None,
    );
    assert_eq!((st, none), (200, serde_json::json!([])));
});

on_both!(meeting_times_lie_in_a_sensible_window, |b: Backend| {
    let s = common::start(b);
    crate::provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    for (start, end, says) in [
        (
            "0000-01-01T00:00:00Z",
            "0000-01-01T01:00:00Z",
            "between 2000-01-01 and 2100-01-01",
        ),
        (
            "2027-01-23T09:00:00Z",
            "9999-12-31T23:00:00Z",
            "between 2000-01-01 and 2100-01-01",
        ),
        (
            "2027-01-23T09:00:00Z",
            "2027-03-05T09:00:00Z",
            "at most 31 days",
        ),
    ] {
        let (st, v) = s.call(
            "POST",
            "/api/v1/meetings",
            Some(&org),
            Some(json!({"meeting_key": "k", "start": start, "end": end})),
        );
        assert_eq!(st, 400, "{start}..{end}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{v}");
    }
    assert_eq!(s.count("meetings", "t"), 0, "nothing half-written");
});
