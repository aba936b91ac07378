//! The console's pictures: coordinates issued and resolutions per day, from the database.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, Backend};
use crate::on_both;

on_both!(daily_counts_come_from_the_database, |b: Backend| {
    let s = common::start(b);
    let admin = crate::provision(&s, "t");
    let org = s.token("t", "ann@t.example", "organizer");
    let partner = s.token_with(
        json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": crate::POLY_APP}),
    );
    let mut dials = Vec::new();
    for k in ["a", "b", "c"] {
        let (st, m) = crate::issue(&s, &org, k);
        assert_eq!(st, 201, "{m}");
        dials.push(m["direct_dial_uri"].as_str().unwrap().to_string());
    }
    // Issuing the same key again is not a new issuance.
    assert_eq!(crate::issue(&s, &org, "a").0, 200);
    for d in [&dials[0], &dials[0], &dials[1]] {
        let (st, r) = s.call(
            "POST",
            "/api/v1/resolve",
            Some(&partner),
            Some(json!({"dial_string": d})),
        );
        assert_eq!(st, 200, "{r}");
    }
    // An unknown ID is not a resolution.
    let unknown = format!(
        "813878896.{}@t.plcm.vc",
        cvi_core::VideoId::from_body(999_999_998)
    );
    assert_eq!(
        s.call(
            "POST",
            "/api/v1/resolve",
            Some(&partner),
            Some(json!({"dial_string": unknown}))
        )
        .0,
        404
    );

    // Resolutions reach the database within a few seconds (the servers' flush).
    let series = |v: &Value, metric: &str| -> Vec<u64> {
        v["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["metric"] == metric && x["provider"] == "Polycom")
            .map(|x| {
                x["counts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_u64().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    let (before, stats, after) = loop {
        let before = today();
        let (st, v) = s.call("GET", "/api/v1/stats/daily?days=7", Some(&admin), None);
        assert_eq!(st, 200, "{v}");
        let after = today();
        if series(&v, "resolved").iter().sum::<u64>() == 3 || Instant::now() > deadline {
            break (before, v, after);
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let last = days.last().unwrap().as_str().unwrap();
    assert!(last == before || last == after, "{last} is today: {stats}");
    // All of it today (or yesterday, when the test ran across midnight UTC).
    for metric in ["issued", "resolved"] {
        let counts = series(&stats, metric);
        assert_eq!(counts.len(), 7, "{stats}");
        assert_eq!(counts[5] + counts[6], 3, "{metric}: {stats}");
    }
    // The rows are in the database, not only in this process.
    let (n,): (i64,) = s
        .block_on(
            sqlx::query_as(
                "SELECT CAST(SUM(count) AS BIGINT) FROM daily_stats WHERE tenant_id = 't'",
            )
            .fetch_one(&s.db),
        )
        .unwrap();
    assert_eq!(n, 6);

    // Another tenant sees none of it; organizers cannot read it; bad windows are named.
    let other = s.token("u", "admin@u.example", "admin");
    let (st, v) = s.call("GET", "/api/v1/stats/daily", Some(&other), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["series"], json!([]));
    assert_eq!(v["days"].as_array().unwrap().len(), 30);
    assert_eq!(
        s.call("GET", "/api/v1/stats/daily", Some(&org), None).0,
        403
    );
    for bad in ["0", "91", "-1", "x"] {
        let (st, p) = s.call(
            "GET",
            &format!("/api/v1/stats/daily?days={bad}"),
            Some(&admin),
            None,
        );
        assert_eq!(st, 400, "days={bad}: {p}");
    }
});

/// Today (UTC) as `YYYY-MM-DD`, from the system clock.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
