//! The audit log's filters: actor, action (a prefix) and time, with paging.

use serde_json::{json, Value};

use crate::common::{self, Backend};
use crate::on_both;

on_both!(
    the_audit_log_filters_by_actor_action_and_time,
    |b: Backend| {
        let s = common::start(b);
        let admin = crate::provision(&s, "t");
        let other = s.token("t", "eve@t.example", "admin");
        for (who, group, rank) in [(&admin, "g-1", 1), (&other, "g-2", 2), (&other, "g_3", 3)] {
            let (st, v) = s.call(
            "PUT",
            "/api/v1/grants",
            Some(who),
            Some(json!({"target": "group", "identity": group, "rank": rank, "policy_name": "Tag:ServiceProviderDisabled"})),
        );
            assert_eq!(st, 200, "{v}");
        }
        let get = |q: &str| {
            let (st, v) = s.call("GET", &format!("/api/v1/audit?{q}"), Some(&admin), None);
            assert_eq!(st, 200, "{q}: {v}");
            v["entries"].as_array().unwrap().clone()
        };
        let field = |es: &[Value], f: &str| -> Vec<String> {
            es.iter()
                .map(|e| e[f].as_str().unwrap().to_string())
                .collect()
        };
        let eve = get("actor=eve@t.example");
        assert_eq!(eve.len(), 2);
        assert!(field(&eve, "actor").iter().all(|a| a == "eve@t.example"));
        // A prefix of the action; `_` and `%` are letters, not wildcards.
        let grants = get("action=grant");
        assert!(
            grants.len() >= 4,
            "provision's global grant and these three: {grants:?}"
        );
        assert!(field(&grants, "action")
            .iter()
            .all(|a| a.starts_with("grant.")));
        assert_eq!(get("action=gran_").len(), 0);
        assert_eq!(get("action=%25").len(), 0);
        // Time: everything is today; nothing before 2000 or after tomorrow.
        assert!(!get("since=2000-01-01").is_empty());
        assert_eq!(get("until=2000-01-01").len(), 0);
        assert_eq!(get("since=2999-01-01T00:00:00Z").len(), 0);
        // Filters combine, and page.
        let (_, page) = s.call(
            "GET",
            "/api/v1/audit?actor=eve@t.example&action=grant&limit=1",
            Some(&admin),
            None,
        );
        assert_eq!(page["entries"].as_array().unwrap().len(), 1);
        let next = page["next"].as_str().unwrap();
        let (_, rest) = s.call(
            "GET",
            &format!("/api/v1/audit?actor=eve@t.example&action=grant&limit=1&before={next}"),
            Some(&admin),
            None,
        );
        assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
        assert_ne!(rest["entries"][0]["id"], page["entries"][0]["id"]);
        // Bad input is named.
        for (q, what) in [("since=yesterday", "since"), ("until=2027-13-45", "until")] {
            let (st, p) = s.call("GET", &format!("/api/v1/audit?{q}"), Some(&admin), None);
            assert_eq!(st, 400, "{q}: {p}");
            assert!(p["detail"].as_str().unwrap().starts_with(what), "{p}");
        }
    }
);
