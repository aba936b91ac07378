//! The capacity planner over HTTP: Erlang B answers, bad input refused, admins only.

use serde_json::json;

use crate::common::{self, Backend};
use crate::on_both;

on_both!(the_planner_answers_and_refuses_bad_input, |b: Backend| {
    let s = common::start(b);
    let admin = s.token("t", "admin@t.example", "admin");
    // 44.61 meetings × 10% in the peak hour × 60 min = 4.461 Erlangs: 10 ports at 1%.
    let (st, v) = s.call(
        "GET",
        "/api/v1/plan?meetings_per_day=44.61&avg_minutes=60&peak_hour_share=0.1&ports_per_vm=4",
        Some(&admin),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["concurrent_calls"].clone(),
            v["ports"].clone(),
            v["gateway_vms"].clone()
        ),
        (json!(10), json!(10), json!(3))
    );
    assert!((v["erlangs"].as_f64().unwrap() - 4.461).abs() < 1e-9);
    for (query, field) in [
        (
            "meetings_per_day=-1&avg_minutes=60&peak_hour_share=0.1",
            "meetings_per_day",
        ),
        (
            "meetings_per_day=10&avg_minutes=60&peak_hour_share=1.5",
            "peak_hour_share",
        ),
        (
            "meetings_per_day=10&avg_minutes=60&peak_hour_share=0.1&blocking=1",
            "blocking",
        ),
        (
            "meetings_per_day=10&avg_minutes=0&peak_hour_share=0.1",
            "avg_minutes",
        ),
    ] {
        let (st, p) = s.call("GET", &format!("/api/v1/plan?{query}"), Some(&admin), None);
        assert_eq!(st, 400, "{query}: {p}");
        assert!(
            p["detail"].as_str().unwrap().contains(field),
            "{query}: {p}"
        );
    }
    let organizer = s.token("t", "ann@t.example", "organizer");
    let (st, _) = s.call(
        "GET",
        "/api/v1/plan?meetings_per_day=1&avg_minutes=60&peak_hour_share=0.1",
        Some(&organizer),
        None,
    );
    assert_eq!(st, 403);
});
