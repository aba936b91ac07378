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
    // A partner naming its callers gets one budget per caller — but a fresh `caller` on
    // every guess does not buy fresh budgets: the app's own budget (20× one caller's)
    // still holds (about 20, whatever refills while the test runs; without it, all 100).
    let answered = (0..100u32)
        .filter(|n| {
            let (st, _) = s.call(
                "POST",
                "/api/v1/resolve",
                Some(&other_app),
                Some(json!({"dial_string": format!("813878896.{}@t.plcm.vc", cvi_core::VideoId::from_body(100 + n)),
                            "caller": format!("sip:guesser{n}@203.0.113.9")})),
            );
            st == 404
        })
        .count();
    assert!(
        (20..=60).contains(&answered),
        "{answered} of 100 made-up callers answered"
    );
}

on_both!(the_teams_join_link_reaches_the_bridge, |b: Backend| {
    let s = common::start(b);
    provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let join =
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d";
    let body = |key: &str, url: &str| json!({"meeting_key": key, "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z", "teams_join_url": url});
    // Not a Teams link (a lookalike host, plain http, a chat link): refused, nothing stored.
    for bad in [
        "https://teams.microsoft.com.evil.invalid/l/meetup-join/x",
        "http://teams.microsoft.com/l/meetup-join/x",
        "https://teams.microsoft.com/l/chat/0/0",
    ] {
        let (st, p) = s.call(
            "POST",
            "/api/v1/meetings",
            Some(&org),
            Some(body("bad", bad)),
        );
        assert_eq!(st, 400, "{bad}: {p}");
        assert!(
            p["detail"].as_str().unwrap().contains("teams_join_url"),
            "{p}"
        );
    }
    assert_eq!(s.count("meetings", "t"), 0);

    let (st, m) = s.call(
        "POST",
        "/api/v1/meetings",
        Some(&org),
        Some(body("k1", join)),
    );
    assert_eq!((st, m["teams_join_url"].as_str()), (201, Some(join)), "{m}");
    let (st, r) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": m["direct_dial_uri"]})),
    );
    assert_eq!((st, r["teams_join_url"].as_str()), (200, Some(join)), "{r}");

    // Set later (the organizer's Teams add-in ran after ours): an update carries it.
    let (st, m2) = s.call(
        "POST",
        "/api/v1/meetings",
        Some(&org),
        Some(json!({"meeting_key": "k2", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"})),
    );
    assert_eq!((st, m2.get("teams_join_url")), (201, None));
    let (st, m2) = s.call(
        "PATCH",
        "/api/v1/meetings/k2",
        Some(&org),
        Some(json!({"teams_join_url": join})),
    );
    assert_eq!(
        (st, m2["teams_join_url"].as_str()),
        (200, Some(join)),
        "{m2}"
    );
    assert_eq!(m2["start"], "2027-01-23T09:00:00Z", "the times stay");
});

on_both!(bridges_resolve_as_they_dial, |b: Backend| {
    let s = common::start(b);
    provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": POLY_APP}));
    let (st, m) = issue(&s, &org, "k1");
    assert_eq!(st, 201, "{m}");
    let id = m["video_id"].as_str().unwrap().to_string();
    let resolve =
        |body: serde_json::Value| s.call("POST", "/api/v1/resolve", Some(&partner), Some(body));

    // The tenant key alone: the IVR answers and asks for the Video ID.
    for tk in [
        "813878896@t.plcm.vc",
        " <sip:813878896@T.PLCM.VC;transport=tls> ",
    ] {
        let (st, v) = resolve(json!({"dial_string": tk}));
        assert_eq!(st, 200, "{tk}: {v}");
        assert_eq!(
            v,
            json!({"status": "ivr", "provider": "Polycom", "tenant_key": "813878896@t.plcm.vc"}),
            "{tk}"
        );
    }
    // Keyed at the prompt, with the final #.
    let (st, v) =
        resolve(json!({"dial_string": "sip:813878896@t.plcm.vc", "dtmf": format!("{id}#")}));
    assert_eq!(
        (st, v["status"].as_str(), v["meeting_key"].as_str()),
        (200, Some("resolved"), Some("k1")),
        "{v}"
    );
    for keys in [
        format!("*{id}#"),
        format!("{id}A"),
        format!("{id} #"),
        "#".to_string(),
    ] {
        let (st, p) = resolve(json!({"dial_string": "813878896@t.plcm.vc", "dtmf": keys}));
        assert_eq!(st, 400, "{keys}: {p}");
    }
    // Direct dial as SIP devices send it: scheme and host in any case, <…>, parameters, spaces.
    for dial in [
        format!("813878896.{id}@t.plcm.vc"),
        format!("sip:813878896.{id}@t.plcm.vc"),
        format!("SIPS:813878896.{id}@T.Plcm.VC"),
        format!("  <sip:813878896.{id}@t.plcm.vc;transport=tcp?x=y>  "),
    ] {
        let (st, v) = resolve(json!({"dial_string": dial}));
        assert_eq!(
            (st, v["meeting_key"].as_str()),
            (200, Some("k1")),
            "{dial}: {v}"
        );
    }
    // Never a match: a lookalike host, full-width digits, a second @.
    let fullwidth: String = id
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap())
        .collect();
    for dial in [
        format!("813878896.{id}@t.plcm.vc.evil.invalid"),
        format!("813878896.{fullwidth}@t.plcm.vc"),
        format!("813878896.{id}@evil.invalid@t.plcm.vc"),
        format!("813878896@evil.invalid.{id}@t.plcm.vc"),
    ] {
        let (st, v) = resolve(json!({"dial_string": dial}));
        assert!(st == 404 || st == 400, "{dial}: {st} {v}");
        assert!(v.get("meeting_key").is_none(), "{dial}: {v}");
    }
    let (st, _) = resolve(
        json!({"dial_string": "813878896@t.plcm.vc", "video_id": id, "dtmf": format!("{id}#")}),
    );
    assert_eq!(st, 400, "video_id and dtmf together");
});

on_both!(
    no_partner_app_resolves_for_a_provider_without_apps,
    |b: Backend| {
        let s = common::start(b);
        let admin = s.token("t", "admin@t.example", "admin");
        let (st, _) = s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(json!({"name": "Polycom", "tenant_key": "813878896@t.plcm.vc"})),
        );
        assert_eq!(st, 201);
        let (st, _) = s.call(
            "PUT",
            "/api/v1/grants",
            Some(&admin),
            Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"})),
        );
        assert_eq!(st, 200);
        let org = s.token("t", "ann@t.example", "organizer");
        let (st, m) = issue(&s, &org, "k1");
        assert_eq!(st, 201, "nothing to consent: coordinates are issued ({m})");
        for app in [POLY_APP, POLY_APP2] {
            let partner = s.token_with(
                json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": app}),
            );
            let (st, p) = s.call(
                "POST",
                "/api/v1/resolve",
                Some(&partner),
                Some(json!({"dial_string": m["direct_dial_uri"]})),
            );
            assert_eq!(st, 403, "{app}: {p}");
        }
        let (_, status) = s.call("GET", "/api/v1/consent/status", Some(&admin), None);
        assert!(
            status[0]["warning"]
                .as_str()
                .unwrap()
                .contains("no partner app"),
            "{status}"
        );
    }
);

on_both!(
    concurrent_resolutions_each_get_their_own_answer,
    |b: Backend| {
        // On PostgreSQL concurrent lookups share one statement (store/batched_reads.rs): every
        // answer must still be its own ask's, across meetings, tenants, cancellations and misses.
        let s = common::start(b);
        provision(&s, "t");
        provision_with_key(&s, "u", "555000111@t.plcm.vc");
        let meetings = |t: &str, n: usize| -> Vec<(String, String)> {
            let org = s.token(t, &format!("ann@{t}.example"), "organizer");
            (0..n)
                .map(|i| {
                    let key = format!("{t}-{i}");
                    let (st, m) = issue(&s, &org, &key);
                    assert_eq!(st, 201, "{m}");
                    (key, m["video_id"].as_str().unwrap().to_string())
                })
                .collect()
        };
        let (in_t, in_u) = (meetings("t", 12), meetings("u", 4));
        let ann = s.token("t", "ann@t.example", "organizer");
        for (key, _) in &in_t[..2] {
            let (st, v) = s.call(
                "DELETE",
                &format!("/api/v1/meetings/{key}"),
                Some(&ann),
                None,
            );
            assert_eq!(st, 200, "{v}");
        }
        let partner = |t: &str| {
            s.token_with(json!({"tenant": t, "user": "ivr", "role": "partner", "app_id": POLY_APP}))
        };
        let (pt, pu) = (partner("t"), partner("u"));
        // (caller, dial string, the meeting it must resolve to — none: the one 404)
        let mut asks: Vec<(&str, String, Option<&str>)> = Vec::new();
        for (n, (key, id)) in in_t.iter().enumerate() {
            let live = (n >= 2).then_some(key.as_str());
            asks.push((&pt, format!("813878896.{id}@t.plcm.vc"), live));
        }
        for (key, id) in &in_u {
            asks.push((&pu, format!("555000111.{id}@t.plcm.vc"), Some(key.as_str())));
            // u's Video ID under t's tenant key, asked by t: not t's meeting.
            asks.push((&pt, format!("813878896.{id}@t.plcm.vc"), None));
        }
        for n in 0..4 {
            let id = cvi_core::VideoId::from_body(424_242_000 + n);
            asks.push((&pt, format!("813878896.{id}@t.plcm.vc"), None));
        }
        let total = asks.len() * 8;
        let rounds: Vec<_> = (0..8).flat_map(|_| asks.iter()).collect();
        std::thread::scope(|scope| {
            for chunk in rounds.chunks(rounds.len().div_ceil(16)) {
                let s = &s;
                scope.spawn(move || {
                    for (caller, dial, want) in chunk {
                        let (st, v) = s.call(
                            "POST",
                            "/api/v1/resolve",
                            Some(caller),
                            Some(json!({"dial_string": dial})),
                        );
                        match want {
                            Some(key) => {
                                assert_eq!(st, 200, "{dial}: {v}");
                                assert_eq!(v["meeting_key"], *key, "{dial}");
                            }
                            None => assert_eq!(st, 404, "{dial}: {v}"),
                        }
                    }
                });
            }
        });
        let (_, metrics) = s.call("GET", "/metrics", None, None);
        let text = metrics.as_str().unwrap();
        let batched: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("cvi_resolution_lookup_batch_size_sum "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0);
        match b {
            // Every lookup went through a batch (none straight to the pool).
            Backend::Postgres => assert!(batched >= total as f64, "{batched} < {total}: {text}"),
            Backend::Sqlite => assert_eq!(batched, 0.0, "SQLite reads on the calling thread"),
        }
    }
);
