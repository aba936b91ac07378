//! Policies and grants: precedence as the API answers it.

use serde_json::{json, Value};

use crate::common::{self, Backend};
use crate::*;

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
    // On PostgreSQL those reads go through one batched statement for many users (a failed
    // batch would fall back to the pool silently): it answers what the plain read answers.
    if matches!(b, Backend::Postgres) {
        let groups = |g: &[&str]| g.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let users = [
            ("ann@t.example", groups(&["sales", "eng"])),
            ("BOB@t.example", groups(&[])),
            ("carol@t.example", groups(&["ENG"])),
        ];
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let pool = cvi_store::batched_reads::pool(&s.database_url).unwrap();
            let asks = users
                .iter()
                .map(|(u, g)| cvi_store::grants::GrantsAsk::new("t", u, g))
                .collect();
            let batched = cvi_store::grants::for_user_batch(pool, asks).await.unwrap();
            for ((u, g), got) in users.iter().zip(batched) {
                let mut want = cvi_store::grants::for_user(&s.db, "t", u, g).await.unwrap();
                let mut got = got;
                let key = |x: &cvi_core::Grant| format!("{:?}", x.target);
                want.sort_by_key(key);
                got.sort_by_key(key);
                assert_eq!(got, want, "{u} {g:?}");
                assert!(!got.is_empty());
            }
        });
    }
});

on_both!(
    concurrent_grants_of_one_rank_conflict_not_fail,
    |b: Backend| {
        let s = common::start(b);
        let admin = s.token("t", "admin@t.example", "admin");
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..12)
            .map(|i| {
                let (s, admin) = (&s, &admin);
                scope.spawn(move || {
                    s.call(
                        "PUT",
                        "/api/v1/grants",
                        Some(admin),
                        Some(json!({"target": "group", "identity": format!("g{i}"), "rank": 7, "policy_name": "Tag:PolycomServiceProviderEnabled"})),
                    )
                    .0
                })
            })
            .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            statuses.iter().filter(|&&st| st == 200).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|&st| st == 200 || st == 409),
            "{statuses:?}"
        );
    }
);

on_both!(
    a_grant_made_on_another_server_decides_at_once,
    |b: Backend| {
        // Effective policy keeps the tenant's shared grants (groups, global) with its
        // configuration; a grant changed through another server on the same database must
        // count on the next read here, not when a cache expires.
        let a = common::start(b);
        let here = common::start_with(
            b,
            common::Options {
                database_url: Some(a.database_url.clone()),
                ..Default::default()
            },
        );
        let admin = provision(&a, "t");
        let grant = |body: Value| {
            let (st, p) = a.call("PUT", "/api/v1/grants", Some(&admin), Some(body));
            assert_eq!(st, 200, "{p}");
        };
        let eff = |g: &str| {
            let (st, e) = here.call(
                "GET",
                &format!("/api/v1/users/ann@t.example/effective-policy?groups={g}"),
                Some(&admin),
                None,
            );
            assert_eq!(st, 200, "{e}");
            (
                e["source"].as_str().unwrap().to_string(),
                e["policy"]["identity"].as_str().unwrap().to_string(),
            )
        };
        let is = |s: &str, p: &str| (s.to_string(), p.to_string());
        grant(
            json!({"target": "group", "identity": "sales", "rank": 1, "policy_name": "Tag:CiscoServiceProviderEnabled"}),
        );
        assert_eq!(eff("Sales"), is("group", "Tag:CiscoServiceProviderEnabled"));
        grant(
            json!({"target": "group", "identity": "sales", "rank": 1, "policy_name": "Tag:PexipServiceProviderEnabled"}),
        );
        assert_eq!(eff("sales"), is("group", "Tag:PexipServiceProviderEnabled"));
        grant(json!({"target": "group", "identity": "sales", "policy_name": null}));
        assert_eq!(
            eff("sales"),
            is("global", "Tag:PolycomServiceProviderEnabled")
        );
        grant(json!({"target": "global", "policy_name": "Tag:ServiceProviderDisabled"}));
        assert_eq!(eff(""), is("global", "Tag:ServiceProviderDisabled"));
        grant(
            json!({"target": "user", "identity": "ann@t.example", "policy_name": "Tag:CiscoServiceProviderEnabled"}),
        );
        assert_eq!(
            eff("sales"),
            is("direct", "Tag:CiscoServiceProviderEnabled")
        );
    }
);
