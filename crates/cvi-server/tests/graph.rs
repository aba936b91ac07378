//! Consent verified with Microsoft Graph and the Teams tab's events created through it,
//! against the local Microsoft stand-in of `cvi_testkit::microsoft` (Entra's token endpoint,
//! Graph's service principals and calendar events, with the documented request shapes and
//! Graph's errors and throttling; its module comment cites Microsoft's pages).

#[path = "common/mod.rs"]
mod common;

use common::{Backend, Options};
use cvi_testkit::microsoft::{Fault, Microsoft};
use cvi_testkit::state_of;
use serde_json::{json, Value};

const APP_FULL: &str = "11111111-2222-3333-4444-555555555555";
const APP_PARTIAL: &str = "66666666-7777-8888-9999-000000000000";
/// The four application permissions of SPEC §2 (Graph's app role ids).
const ROLES: [&str; 4] = [
    "f6b49018-60ab-4f81-83bd-22caeabfed2d",
    "fd7ccf6b-3d28-418b-9701-cd10f5cd2fd4",
    "a7a681dc-756e-4909-b988-f160edc6655f",
    "c1684f21-1984-47fa-9d61-2dc8c296bb70",
];

const SECRET: &str = "s3cret";

/// The Microsoft stand-in: APP_FULL holds all four permissions, APP_PARTIAL lacks the last.
fn microsoft() -> Microsoft {
    let ms = Microsoft::start(SECRET).unwrap();
    ms.service_principal(APP_FULL, &ROLES);
    ms.service_principal(APP_PARTIAL, &ROLES[..3]);
    ms
}

/// A server on `backend` with Graph access through `ms`.
fn server(ms: &Microsoft, backend: Backend) -> common::Server {
    common::start_with(
        backend,
        Options {
            graph: Some(cvi_server::graph::GraphConfig {
                graph_url: ms.base.clone(),
                authority_url: ms.base.clone(),
                client_id: "cvi-app".into(),
                client_secret: SECRET.into(),
            }),
            ..Options::default()
        },
    )
}

on_both!(
    consent_counts_when_graph_shows_the_permissions,
    |backend: Backend| {
        let ms = microsoft();
        let s = server(&ms, backend);
        let admin = s.token("t", "admin@t.example", "admin");
        let (st, v) = s.call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(json!({
        "name": "Polycom", "tenant_key": "813878896@t.plcm.vc",
        "aad_application_ids": format!("{APP_FULL};{APP_PARTIAL}")})),
        );
        assert_eq!(st, 201, "{v}");
        let links = s
            .call(
                "GET",
                "/api/v1/consent/links?provider=Polycom",
                Some(&admin),
                None,
            )
            .1;
        let state = |app: &str| {
            state_of(
                links["links"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["app_id"] == app)
                    .unwrap()["url"]
                    .as_str()
                    .unwrap(),
            )
        };
        let callback = |st: &str, extra: &str| {
            s.call(
                "GET",
                &format!("/api/v1/consent/callback?admin_consent=True&tenant=t&state={st}{extra}"),
                None,
                None,
            )
        };

        // All four permissions: consented and verified; the partial one is not, and says which.
        let (st, v) = callback(&state(APP_FULL), "");
        assert_eq!(st, 200, "{v}");
        assert_eq!(
            (v["consented"].clone(), v["verified"].clone()),
            (json!(true), json!(true)),
            "{v}"
        );
        let (_, v) = callback(&state(APP_PARTIAL), "");
        assert_eq!(v["consented"], false, "{v}");
        assert_eq!(
            v["missing_permissions"],
            json!(["OnlineMeetings.Read.All"]),
            "{v}"
        );
        let seen = ms.requests();
        assert!(
            seen.contains(&"token client_credentials t".to_string()),
            "an app-only token of our app in the tenant: {seen:?}"
        );
        assert!(
            seen.contains(&format!("GET /servicePrincipals appId eq '{APP_FULL}'")),
            "{seen:?}"
        );
        assert!(
            seen.iter()
                .any(|r| r.starts_with("GET /servicePrincipals/")
                    && r.ends_with("/appRoleAssignments")),
            "{seen:?}"
        );

        // Status per permission; issuance stays closed while one app lacks a permission.
        let (_, status) = s.call("GET", "/api/v1/consent/status", Some(&admin), None);
        let apps = status[0]["apps"].as_array().unwrap();
        let partial = apps.iter().find(|a| a["app_id"] == APP_PARTIAL).unwrap();
        assert_eq!(partial["verified"], true);
        let denied: Vec<&Value> = partial["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["granted"] == false)
            .collect();
        assert_eq!(denied.len(), 1, "{partial}");
        assert_eq!(denied[0]["name"], "OnlineMeetings.Read.All");
        assert_eq!(status[0]["missing"], json!([APP_PARTIAL]));

        // A later callback with error=… does not flip the verified consent.
        let links = s
            .call(
                "GET",
                "/api/v1/consent/links?provider=Polycom",
                Some(&admin),
                None,
            )
            .1;
        let again = state_of(
            links["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["app_id"] == APP_FULL)
                .unwrap()["url"]
                .as_str()
                .unwrap(),
        );
        let (st, v) = s.call("GET", &format!("/api/v1/consent/callback?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state={again}"), None, None);
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["consented"], true, "{v}");
        let (_, status) = s.call("GET", "/api/v1/consent/status", Some(&admin), None);
        let full = status[0]["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["app_id"] == APP_FULL)
            .unwrap()
            .clone();
        assert_eq!(
            (full["consented"].clone(), full["verified"].clone()),
            (json!(true), json!(true)),
            "{full}"
        );

        // A browser gets a page for the admin, markup from the query string escaped.
        let links = s
            .call(
                "GET",
                "/api/v1/consent/links?provider=Polycom",
                Some(&admin),
                None,
            )
            .1;
        let st3 = state_of(
            links["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["app_id"] == APP_PARTIAL)
                .unwrap()["url"]
                .as_str()
                .unwrap(),
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
        .get(format!("{}/api/v1/consent/callback?error=x&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={st3}", s.url))
        .header("accept", "text/html,application/xhtml+xml")
        .call()
        .unwrap();
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = resp.body_mut().read_to_string().unwrap();
        assert!(page.contains("OnlineMeetings.Read.All"), "{page}");
        assert!(
            !page.contains("<script>") && page.contains("&lt;script&gt;"),
            "{page}"
        );
    }
);

on_both!(the_teams_tab_schedules_through_graph, |backend: Backend| {
    let ms = microsoft();
    let s = server(&ms, backend);
    // Provision and Consent (verified: APP_FULL holds the four permissions).
    let admin = s.token("t", "admin@t.example", "admin");
    let (st, v) = s.call(
        "POST",
        "/api/v1/providers",
        Some(&admin),
        Some(json!({
        "name": "Polycom", "tenant_key": "813878896@t.plcm.vc", "aad_application_ids": APP_FULL})),
    );
    assert_eq!(st, 201, "{v}");
    let links = s
        .call(
            "GET",
            "/api/v1/consent/links?provider=Polycom",
            Some(&admin),
            None,
        )
        .1;
    let state = state_of(links["links"][0]["url"].as_str().unwrap());
    let (_, v) = s.call(
        "GET",
        &format!("/api/v1/consent/callback?admin_consent=True&state={state}"),
        None,
        None,
    );
    assert_eq!(v["consented"], true, "{v}");
    let (st, _) = s.call(
        "PUT",
        "/api/v1/grants",
        Some(&admin),
        Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"})),
    );
    assert_eq!(st, 200);

    let ann = s.token("t", "ann@t.example", "organizer");
    let request = json!({"meeting_key": "tab-1", "subject": "Weekly sync",
        "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T09:30:00Z",
        "attendees": ["bob@t.example", "room-7@t.example"],
        "recurrence": {"pattern": "weekly", "until": "2027-03-27"}});
    // Graph is busy once (503, Retry-After: 1): waited out, one event created.
    ms.fail_next(&[Fault::Unavailable]);
    let (st, m) = s.call("POST", "/api/v1/events", Some(&ann), Some(request.clone()));
    assert_eq!(st, 201, "{m}");
    let events = ms.events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["isOnlineMeeting"], true);
    assert_eq!(e["onlineMeetingProvider"], "teamsForBusiness");
    assert_eq!(e["body"]["contentType"], "HTML");
    let body = e["body"]["content"].as_str().unwrap();
    assert_eq!(
        body.matches("id=\"cvi-vtc-block\"").count(),
        1,
        "exactly one block: {body}"
    );
    assert!(
        body.contains(m["video_id"].as_str().unwrap())
            || body.contains(
                &cvi_core::VideoId::parse(m["video_id"].as_str().unwrap())
                    .unwrap()
                    .grouped()
            )
    );
    assert_eq!(
        e["location"]["displayName"],
        format!("sip:{}", m["direct_dial_uri"].as_str().unwrap())
    );
    assert_eq!(
        e["attendees"][1]["emailAddress"]["address"],
        "room-7@t.example"
    );
    assert_eq!(e["recurrence"]["pattern"]["type"], "weekly");
    assert_eq!(
        e["recurrence"]["pattern"]["daysOfWeek"],
        json!(["saturday"])
    );
    assert_eq!(
        e["recurrence"]["range"],
        json!({"type": "endDate", "startDate": "2027-01-23", "endDate": "2027-03-27"})
    );
    let seen = ms.requests();
    assert!(
        seen.iter()
            .any(|l| l == "token urn:ietf:params:oauth:grant-type:jwt-bearer t"),
        "on behalf of the organizer: {seen:?}"
    );
    assert_eq!(
        seen.iter().filter(|l| *l == "POST /me/events").count(),
        2,
        "503, then created: {seen:?}"
    );
    assert_eq!(m["event_id"], "AAMkAGI2TG93AAA-1");
    let join = m["teams_join_url"].as_str().unwrap().to_string();
    assert!(
        join.starts_with("https://teams.microsoft.com/l/meetup-join/"),
        "{m}"
    );

    // The join link Graph returned reaches resolution.
    let partner =
        s.token_with(json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": APP_FULL}));
    let (st, r) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": m["direct_dial_uri"]})),
    );
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["teams_join_url"], join);

    // A retry with the same key: the same coordinates and event, no second event.
    let (st, again) = s.call("POST", "/api/v1/events", Some(&ann), Some(request));
    assert_eq!(st, 200, "{again}");
    assert_eq!(
        (again["video_id"].clone(), again["event_id"].clone()),
        (m["video_id"].clone(), m["event_id"].clone())
    );
    assert_eq!(ms.events().len(), 1);

    // No Calendars.ReadWrite consent: a clear 403, the coordinates kept for a retry, which
    // then creates the event with the same Video ID.
    ms.fail_next(&[Fault::Denied]);
    let second = json!({"meeting_key": "tab-2", "subject": "Review", "start": "2027-01-24T09:00:00Z", "end": "2027-01-24T10:00:00Z"});
    let (st, p) = s.call("POST", "/api/v1/events", Some(&ann), Some(second.clone()));
    assert_eq!(st, 403, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Calendars.ReadWrite"),
        "{p}"
    );
    let (st, kept) = s.call("GET", "/api/v1/meetings/tab-2", Some(&ann), None);
    assert_eq!(st, 200, "{kept}");
    let (st, done) = s.call("POST", "/api/v1/events", Some(&ann), Some(second));
    assert_eq!(st, 201, "{done}");
    assert_eq!(done["video_id"], kept["video_id"]);
    assert_eq!(ms.events().len(), 2);

    // Moved an hour later: the block is rendered again and the event patched to match.
    let (st, moved) = s.call("PATCH", "/api/v1/events/tab-1", Some(&ann),
        Some(json!({"start": "2027-01-23T10:00:00Z", "end": "2027-01-23T10:30:00Z", "subject": "Weekly sync (moved)"})));
    assert_eq!(st, 200, "{moved}");
    let patch = ms.events()[0].clone();
    assert_eq!(patch["id"], "AAMkAGI2TG93AAA-1");
    assert_eq!(patch["subject"], "Weekly sync (moved)");
    assert_eq!(patch["start"]["dateTime"], "2027-01-23T10:00:00");
    assert_eq!(
        patch["body"]["content"]
            .as_str()
            .unwrap()
            .matches("id=\"cvi-vtc-block\"")
            .count(),
        1
    );
    // Cancelled: the event is deleted, then the coordinates stop resolving.
    let (st, gone) = s.call("DELETE", "/api/v1/events/tab-1", Some(&ann), None);
    assert_eq!(st, 200, "{gone}");
    assert!(ms
        .requests()
        .iter()
        .any(|l| l == "DELETE /me/events/AAMkAGI2TG93AAA-1"));
    assert_eq!(ms.events().len(), 1, "tab-2's event stays");
    let (st, _) = s.call(
        "POST",
        "/api/v1/resolve",
        Some(&partner),
        Some(json!({"dial_string": m["direct_dial_uri"]})),
    );
    assert_eq!(st, 404);
    // Another organizer cannot touch it; a meeting without an event is named.
    let bob = s.token("t", "bob@t.example", "organizer");
    assert_eq!(
        s.call("DELETE", "/api/v1/events/tab-2", Some(&bob), None).0,
        403
    );
    let (_, plain) = s.call("POST", "/api/v1/meetings", Some(&ann), Some(json!({"meeting_key": "plain", "start": "2027-01-24T09:00:00Z", "end": "2027-01-24T10:00:00Z"})));
    assert!(plain["video_id"].is_string());
    let (st, p) = s.call(
        "PATCH",
        "/api/v1/events/plain",
        Some(&ann),
        Some(json!({"subject": "x"})),
    );
    assert_eq!(st, 404, "{p}");

    // Bad input is named.
    let (st, p) = s.call("POST", "/api/v1/events", Some(&ann), Some(json!({"meeting_key": "tab-3", "subject": "x",
        "start": "2027-01-24T09:00:00Z", "end": "2027-01-24T10:00:00Z", "attendees": ["not an address"]})));
    assert_eq!(st, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("attendees"), "{p}");

    // Graph throttles past the retry cap: 503 that says to retry, the coordinates kept; an
    // expired delegated token (401) is a refusal, not an outage. The retry then succeeds
    // with the same Video ID and one event.
    let third = json!({"meeting_key": "tab-3", "subject": "Retro",
        "start": "2027-01-25T09:00:00Z", "end": "2027-01-25T10:00:00Z"});
    ms.fail_next(&[Fault::Throttled, Fault::Throttled, Fault::Throttled]);
    let (st, p) = s.call("POST", "/api/v1/events", Some(&ann), Some(third.clone()));
    assert_eq!(st, 503, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("retry with the same meeting_key"),
        "{p}"
    );
    ms.fail_next(&[Fault::Unauthorized]);
    let (st, p) = s.call("POST", "/api/v1/events", Some(&ann), Some(third.clone()));
    assert_eq!(st, 403, "{p}");
    let before = ms.events().len();
    let (st, done) = s.call("POST", "/api/v1/events", Some(&ann), Some(third));
    assert_eq!(st, 201, "{done}");
    let (_, kept) = s.call("GET", "/api/v1/meetings/tab-3", Some(&ann), None);
    assert_eq!(done["video_id"], kept["video_id"]);
    assert_eq!(ms.events().len(), before + 1);
});

// ------------------------------------------------- coordinates in every Teams meeting

/// A Teams meeting's body as Outlook on the web holds it, Teams' join block included: the
/// browser e2e's invite (tests/fixtures/owa_compose.html).
const TEAMS_BODY: &str = include_str!("../../../tests/fixtures/owa_compose.html");
const ANN: &str = "0d5f6a7b-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
const BOB: &str = "1e6a7b8c-2d3e-4f5a-9b0c-1d2e3f4a5b6c";
const CAROL: &str = "2f7b8c9d-3e4f-4a5b-8c1d-2e3f4a5b6c7d";

/// Waits (at most 20 s) until `done` holds, else fails with `what`.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Tomorrow at `hour`:00 UTC, as Graph writes a UTC `dateTime`.
fn tomorrow(hour: u32) -> String {
    let day = cvi_core::times::format_ms(cvi_store::db::now_ms() + 86_400_000);
    format!("{}T{hour:02}:00:00.0000000", &day[..10])
}

/// A Teams meeting as the Teams client creates it in its organizer's calendar.
fn teams_event(body: &str, start: &str, end: &str) -> Value {
    json!({
        "subject": "Design review",
        "body": {"contentType": "html", "content": body},
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
        "location": {"displayName": ""},
        "isOnlineMeeting": true,
        "onlineMeetingProvider": "teamsForBusiness",
        "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Y2FmZQ%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d"},
    })
}

fn unquoted(body: &str) -> Vec<cvi_core::invite::Found> {
    cvi_core::invite::find(body, cvi_core::invite::BodyKind::Html)
        .into_iter()
        .filter(|f| !f.quoted)
        .collect()
}

fn waiting(s: &common::Server, admin: &str) -> i64 {
    s.call("GET", "/api/v1/inject", Some(admin), None).1["queue_depth"]
        .as_i64()
        .unwrap()
}

on_both!(
    every_teams_meeting_of_an_enabled_user_gets_one_block,
    |backend: Backend| {
        let ms = microsoft();
        // Our own app's consent to Calendars.ReadWrite, as Graph would show it.
        ms.service_principal("cvi-app", &["ef54d2bf-783f-4e0f-bca1-3210c0444d99"]);
        for (id, upn) in [
            (ANN, "ann@t.example"),
            (BOB, "bob@t.example"),
            (CAROL, "carol@t.example"),
        ] {
            ms.user(id, upn);
        }
        let s = server(&ms, backend);
        let admin = cvi_testkit::provision(&s.url, "t", "813878896@t.plcm.vc", &[APP_FULL])
            .unwrap()
            .admin;
        // Bob's own grant turns video interop off for him.
        let (st, v) = s.call(
            "PUT",
            "/api/v1/grants",
            Some(&admin),
            Some(json!({"target": "user", "identity": "bob@t.example", "policy_name": "Tag:ServiceProviderDisabled"})),
        );
        assert_eq!(st, 200, "{v}");
        let (st, v) = s.call(
            "PUT",
            "/api/v1/inject",
            Some(&admin),
            Some(json!({"enabled": true})),
        );
        assert_eq!(st, 200, "{v}");
        // One subscription per covered user (the directory read over two pages), made
        // through Graph's validation handshake with our notification door.
        eventually("subscriptions for ann and carol", || {
            ms.subscriptions().len() == 2
        });
        let subscribed: Vec<String> = ms
            .subscriptions()
            .iter()
            .map(|x| x["resource"].as_str().unwrap().to_string())
            .collect();
        assert!(
            subscribed.contains(&format!("users/{ANN}/events")),
            "{subscribed:?}"
        );
        assert!(
            subscribed.contains(&format!("users/{CAROL}/events")),
            "{subscribed:?}"
        );

        // A subscription with less than a day left is renewed in place (PATCH, not a new one).
        s.block_on(async {
            sqlx::query("UPDATE graph_subscriptions SET expires_at = $1 WHERE user_id = $2")
                .bind(cvi_store::db::now_ms() + 3_600_000)
                .bind(CAROL)
                .execute(&s.db)
                .await
                .unwrap()
        });
        s.call(
            "PUT",
            "/api/v1/inject",
            Some(&admin),
            Some(json!({"enabled": true})),
        );
        eventually("carol's subscription renewed", || {
            ms.requests()
                .iter()
                .any(|r| r.starts_with("PATCH /subscriptions/"))
        });
        assert_eq!(ms.subscriptions().len(), 2);
        eventually("none expiring", || {
            s.call("GET", "/api/v1/inject", Some(&admin), None).1["subscriptions_expiring"] == 0
        });

        // A Teams meeting made in the Teams client: exactly one block, after Teams' own,
        // everything else byte for byte; the SIP URI in the empty location.
        let id = ms.client_creates(
            ANN,
            teams_event(
                TEAMS_BODY,
                "2027-01-23T09:00:00.0000000",
                "2027-01-23T10:00:00.0000000",
            ),
        );
        eventually("the block written", || {
            ms.event_of(ANN, &id)
                .is_some_and(|e| e["body"]["content"] != TEAMS_BODY)
        });
        let e = ms.event_of(ANN, &id).unwrap();
        let body = e["body"]["content"].as_str().unwrap().to_string();
        let blocks = unquoted(&body);
        assert_eq!(blocks.len(), 1, "{body}");
        assert_eq!(
            cvi_core::invite::remove(&body, cvi_core::invite::BodyKind::Html),
            TEAMS_BODY
        );
        let direct = blocks[0].coordinates.direct_dial_uri.clone().unwrap();
        assert_eq!(e["location"]["displayName"], format!("sip:{direct}"));
        // Our own write comes back as `updated` and converges: written once.
        eventually("the inbox drained", || waiting(&s, &admin) == 0);
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_eq!(waiting(&s, &admin), 0);
        let patches = |ms: &Microsoft| {
            ms.requests()
                .iter()
                .filter(|r| r.starts_with("PATCH /users/"))
                .count()
        };
        assert_eq!(patches(&ms), 1, "{:?}", ms.requests());
        // The meeting is any other meeting: shown, and resolved with its Teams link.
        let key = format!("graph-{}", e["iCalUId"].as_str().unwrap());
        // Ann as herself: the meetings are hers (her directory object id).
        let ann = s.token_with(
            json!({"tenant": "t", "user": "ann@t.example", "role": "organizer", "oid": ANN}),
        );
        let (st, m) = s.call("GET", &format!("/api/v1/meetings/{key}"), Some(&ann), None);
        assert_eq!(st, 200, "{m}");
        assert_eq!(m["expires_at"], "2027-03-24T10:00:00Z");
        let partner = s.token_with(
            json!({"tenant": "t", "user": "ivr", "role": "partner", "app_id": APP_FULL}),
        );
        let resolve = |s: &common::Server| {
            s.call(
                "POST",
                "/api/v1/resolve",
                Some(&partner),
                Some(json!({"dial_string": direct})),
            )
        };
        let (st, r) = resolve(&s);
        assert_eq!(st, 200, "{r}");
        assert!(
            r["teams_join_url"]
                .as_str()
                .unwrap()
                .contains("meetup-join"),
            "{r}"
        );

        // Moved in the client: the meeting and its expiry follow; the body is not written.
        ms.client_updates(
            ANN,
            &id,
            json!({
                "start": {"dateTime": "2027-02-01T14:00:00.0000000", "timeZone": "UTC"},
                "end": {"dateTime": "2027-02-01T15:00:00.0000000", "timeZone": "UTC"},
            }),
        );
        eventually("the meeting moved", || {
            s.call("GET", &format!("/api/v1/meetings/{key}"), Some(&ann), None)
                .1["end"]
                == "2027-02-01T15:00:00Z"
        });
        let (_, m) = s.call("GET", &format!("/api/v1/meetings/{key}"), Some(&ann), None);
        assert_eq!(m["expires_at"], "2027-04-02T15:00:00Z");
        eventually("the inbox drained", || waiting(&s, &admin) == 0);
        assert_eq!(patches(&ms), 1, "{:?}", ms.requests());

        // A meeting the Outlook pane already gave coordinates: no second block, its Video
        // ID kept, and from now on tied to its event.
        let (st, pane) = s.call("POST", "/api/v1/meetings", Some(&ann), Some(json!({
            "meeting_key": "pane-1", "start": "2027-01-24T09:00:00Z", "end": "2027-01-24T10:00:00Z"})));
        assert_eq!(st, 201, "{pane}");
        let with_block = cvi_core::invite::upsert(
            TEAMS_BODY,
            cvi_core::invite::BodyKind::Html,
            &serde_json::from_value(pane["block"].clone()).unwrap(),
        );
        let id2 = ms.client_creates(
            ANN,
            teams_event(
                &with_block,
                "2027-01-24T09:00:00.0000000",
                "2027-01-24T10:00:00.0000000",
            ),
        );
        eventually("the inbox drained", || waiting(&s, &admin) == 0);
        assert_eq!(
            ms.event_of(ANN, &id2).unwrap()["body"]["content"],
            with_block.as_str()
        );
        assert_eq!(patches(&ms), 1);

        // Carol's lunch is no Teams meeting: left alone, and the console says why.
        let mut lunch = teams_event(
            TEAMS_BODY,
            "2027-01-24T12:00:00.0000000",
            "2027-01-24T13:00:00.0000000",
        );
        lunch["isOnlineMeeting"] = json!(false);
        lunch["onlineMeetingProvider"] = json!("unknown");
        let id4 = ms.client_creates(CAROL, lunch);
        eventually("carol's outcome shown", || {
            let (_, st) = s.call("GET", "/api/v1/inject", Some(&admin), None);
            st["recent"].as_array().unwrap().iter().any(|o| {
                o["event_id"] == id4.as_str()
                    && o["user"] == "carol@t.example"
                    && o["outcome"] == "not-a-teams-meeting"
            })
        });
        assert_eq!(
            ms.event_of(CAROL, &id4).unwrap()["body"]["content"],
            TEAMS_BODY
        );

        // A notification Graph lost: its `missed` lifecycle notification reads Ann's calendar
        // again, and the meeting gets its block.
        let id5 =
            ms.client_creates_unnoticed(ANN, teams_event(TEAMS_BODY, &tomorrow(9), &tomorrow(10)));
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            ms.event_of(ANN, &id5).unwrap()["body"]["content"],
            TEAMS_BODY
        );
        ms.lifecycle(ANN, "missed");
        eventually("the missed meeting written", || {
            ms.event_of(ANN, &id5).unwrap()["body"]["content"] != TEAMS_BODY
        });
        // Graph asks for reauthorization: the subscription is renewed in place; Graph removed
        // one: it is made anew.
        let ann_sub = |ms: &Microsoft| {
            ms.subscriptions()
                .into_iter()
                .find(|x| x["resource"] == format!("users/{ANN}/events").as_str())
                .map(|x| x["id"].as_str().unwrap().to_string())
        };
        let first = ann_sub(&ms).unwrap();
        ms.lifecycle(ANN, "reauthorizationRequired");
        eventually("renewed in place", || {
            ms.requests()
                .iter()
                .any(|r| *r == format!("PATCH /subscriptions/{first}"))
        });
        assert_eq!(ann_sub(&ms).as_deref(), Some(first.as_str()));
        ms.lifecycle(ANN, "subscriptionRemoved");
        eventually("subscribed anew", || {
            ann_sub(&ms).is_some_and(|id| id != first)
        });

        // An admin's resync of Carol's calendar does the same.
        let id6 = ms
            .client_creates_unnoticed(CAROL, teams_event(TEAMS_BODY, &tomorrow(11), &tomorrow(12)));
        let (st, r) = s.call(
            "POST",
            "/api/v1/inject/resync",
            Some(&admin),
            Some(json!({"user": "carol@t.example"})),
        );
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["queued"], 2, "her lunch and the new meeting: {r}");
        eventually("carol's meeting written", || {
            ms.event_of(CAROL, &id6).unwrap()["body"]["content"] != TEAMS_BODY
        });
        let (st, r) = s.call(
            "POST",
            "/api/v1/inject/resync",
            Some(&admin),
            Some(json!({"user": "bob@t.example"})),
        );
        assert_eq!(st, 404, "bob is not covered: {r}");
        assert!(
            r["detail"]
                .as_str()
                .unwrap()
                .contains("cvi policy effective"),
            "{r}"
        );

        // Deleted in the client: the coordinates are cancelled, the Video ID stops resolving.
        ms.client_deletes(ANN, &id);
        eventually("cancelled", || resolve(&s).0 == 404);
        ms.client_deletes(ANN, &id2);
        eventually("the pane's meeting cancelled with its event", || {
            s.call("GET", "/api/v1/meetings/pane-1", Some(&ann), None).1["cancelled"] == true
        });

        // Bob's meetings are left alone: he has no subscription, so nothing arrives.
        let id3 = ms.client_creates(
            BOB,
            teams_event(
                TEAMS_BODY,
                "2027-01-25T09:00:00.0000000",
                "2027-01-25T10:00:00.0000000",
            ),
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_eq!(
            ms.event_of(BOB, &id3).unwrap()["body"]["content"],
            TEAMS_BODY
        );

        // A recurring series: one Video ID, alive until 60 days after the series ends; an
        // occurrence of it is left alone (the series master's body carries the block).
        let mut weekly = teams_event(
            TEAMS_BODY,
            "2027-03-01T09:00:00.0000000",
            "2027-03-01T10:00:00.0000000",
        );
        weekly["type"] = json!("seriesMaster");
        weekly["recurrence"] = json!({
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "endDate", "startDate": "2027-03-01", "endDate": "2027-05-31"}
        });
        let series = ms.client_creates(CAROL, weekly);
        eventually("the series written", || {
            ms.event_of(CAROL, &series).unwrap()["body"]["content"] != TEAMS_BODY
        });
        let carol = s.token_with(
            json!({"tenant": "t", "user": "carol@t.example", "role": "organizer", "oid": CAROL}),
        );
        let key = format!(
            "graph-{}",
            ms.event_of(CAROL, &series).unwrap()["iCalUId"]
                .as_str()
                .unwrap()
        );
        let (_, m) = s.call(
            "GET",
            &format!("/api/v1/meetings/{key}"),
            Some(&carol),
            None,
        );
        assert_eq!(m["expires_at"], "2027-07-30T23:59:59Z", "{m}");
        let mut one = teams_event(
            TEAMS_BODY,
            "2027-03-08T09:00:00.0000000",
            "2027-03-08T10:00:00.0000000",
        );
        one["type"] = json!("occurrence");
        let occurrence = ms.client_creates(CAROL, one);
        eventually("the occurrence's outcome", || {
            let (_, st) = s.call("GET", "/api/v1/inject", Some(&admin), None);
            st["recent"].as_array().unwrap().iter().any(|o| {
                o["event_id"] == occurrence.as_str() && o["outcome"] == "series-occurrence"
            })
        });

        // Ann's grant revoked: her subscription is deleted at once, her next meeting untouched.
        let (st, v) = s.call(
            "PUT",
            "/api/v1/grants",
            Some(&admin),
            Some(json!({"target": "user", "identity": "ann@t.example", "policy_name": "Tag:ServiceProviderDisabled"})),
        );
        assert_eq!(st, 200, "{v}");
        eventually("ann's subscription deleted", || {
            !ms.subscriptions()
                .iter()
                .any(|x| x["resource"] == format!("users/{ANN}/events").as_str())
        });
        let id7 = ms.client_creates(ANN, teams_event(TEAMS_BODY, &tomorrow(13), &tomorrow(14)));
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert_eq!(
            ms.event_of(ANN, &id7).unwrap()["body"]["content"],
            TEAMS_BODY
        );

        // Opting out deletes the subscriptions at Graph.
        s.call(
            "PUT",
            "/api/v1/inject",
            Some(&admin),
            Some(json!({"enabled": false})),
        );
        eventually("subscriptions deleted", || ms.subscriptions().is_empty());
    }
);

/// A server with Graph access through `ms` on another server's database.
fn second_server(ms: &Microsoft, database_url: &str) -> common::Server {
    common::start_with(
        Backend::Postgres,
        Options {
            graph: Some(cvi_server::graph::GraphConfig {
                graph_url: ms.base.clone(),
                authority_url: ms.base.clone(),
                client_id: "cvi-app".into(),
                client_secret: SECRET.into(),
            }),
            database_url: Some(database_url.into()),
            ..Options::default()
        },
    )
}

/// Two servers on one PostgreSQL share the work: one subscription per user, each event
/// written once — while Graph throttles now and then (Retry-After honoured), nothing lost.
#[test]
fn two_servers_on_one_postgres_write_each_meeting_once() {
    let ms = microsoft();
    ms.user(ANN, "ann@t.example");
    ms.user(CAROL, "carol@t.example");
    let s1 = server(&ms, Backend::Postgres);
    let s2 = second_server(&ms, &s1.database_url);
    let admin = cvi_testkit::provision(&s1.url, "t", "813878896@t.plcm.vc", &[APP_FULL])
        .unwrap()
        .admin;
    let (st, v) = s2.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    // The switch wakes both at once (the second PUT changes nothing but wakes s1).
    let (st, v) = s1.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    eventually("two subscriptions", || ms.subscriptions().len() == 2);
    // Both servers reconcile every minute and at the switch; neither makes a second one.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(ms.subscriptions().len(), 2, "{:?}", ms.subscriptions());

    let mut ids = Vec::new();
    for n in 0..20 {
        if n % 5 == 0 {
            ms.fail_next(&[Fault::Throttled]);
        }
        let user = if n % 2 == 0 { ANN } else { CAROL };
        let start = format!("2027-03-{:02}T09:00:00.0000000", n + 1);
        let end = format!("2027-03-{:02}T10:00:00.0000000", n + 1);
        ids.push((
            user,
            ms.client_creates(user, teams_event(TEAMS_BODY, &start, &end)),
        ));
    }
    eventually("every meeting written", || {
        ids.iter().all(|(u, id)| {
            ms.event_of(u, id)
                .is_some_and(|e| e["body"]["content"] != TEAMS_BODY)
        })
    });
    eventually("the inbox drained", || waiting(&s1, &admin) == 0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let patches = ms
        .requests()
        .iter()
        .filter(|r| r.starts_with("PATCH /users/"))
        .count();
    assert_eq!(patches, 20, "each event written once");
    for (u, id) in &ids {
        let e = ms.event_of(u, id).unwrap();
        assert_eq!(unquoted(e["body"]["content"].as_str().unwrap()).len(), 1);
    }
}

/// Without a global grant only who a grant reaches is read and subscribed: a group grant's
/// transitive members (paged) and a user grant's user, never the whole directory.
#[test]
fn subscriptions_follow_group_and_user_grants() {
    let ms = microsoft();
    let people = [
        ("5a000000-0000-4000-8000-000000000001", "dave@t.example"),
        ("5a000000-0000-4000-8000-000000000002", "erin@t.example"),
        ("5a000000-0000-4000-8000-000000000003", "frank@t.example"),
        ("5a000000-0000-4000-8000-000000000004", "gina@t.example"),
        ("5a000000-0000-4000-8000-000000000005", "harry@t.example"),
    ];
    for (id, upn) in people {
        ms.user(id, upn);
    }
    for (id, _) in &people[..3] {
        ms.member_groups(id, &["g-vc"]);
    }
    let s = server(&ms, Backend::Sqlite);
    let admin = s.token("t", "admin@t.example", "admin");
    let (st, v) = s.call("POST", "/api/v1/providers", Some(&admin), Some(json!({
        "name": "Polycom", "tenant_key": "813878896@t.plcm.vc", "aad_application_ids": [APP_FULL]})));
    assert_eq!(st, 201, "{v}");
    for grant in [
        json!({"target": "group", "identity": "g-vc", "rank": 1, "policy_name": "Tag:PolycomServiceProviderEnabled"}),
        json!({"target": "user", "identity": "gina@t.example", "policy_name": "Tag:PolycomServiceProviderEnabled"}),
        json!({"target": "user", "identity": "erin@t.example", "policy_name": "Tag:ServiceProviderDisabled"}),
    ] {
        let (st, v) = s.call("PUT", "/api/v1/grants", Some(&admin), Some(grant));
        assert_eq!(st, 200, "{v}");
    }
    // Graph refuses the subscriptions: the status says how many and why; once Graph
    // accepts them, the next reconciliation (here woken by the switch) makes them. Refused
    // until told otherwise: a reconciliation woken in between (the grants above wake one)
    // must not make them before the status is read.
    ms.refuse_subscriptions(1_000);
    let (st, v) = s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    eventually("the refusals shown", || {
        let (_, st) = s.call("GET", "/api/v1/inject", Some(&admin), None);
        st["subscriptions_failed"] == 3
            && st["last_failure"]
                .as_str()
                .is_some_and(|f| f.contains("ExtensionError"))
    });
    assert!(ms.subscriptions().is_empty());
    ms.refuse_subscriptions(0);
    s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    eventually("three subscriptions", || ms.subscriptions().len() == 3);
    eventually("no refusal left", || {
        s.call("GET", "/api/v1/inject", Some(&admin), None).1["subscriptions_failed"] == 0
    });
    let mut users: Vec<String> = ms
        .subscriptions()
        .iter()
        .map(|x| x["resource"].as_str().unwrap().to_string())
        .collect();
    users.sort();
    // Dave and Frank through the group (Erin's own grant turns it off), Gina directly.
    assert_eq!(
        users,
        [
            format!("users/{}/events", people[0].0),
            format!("users/{}/events", people[2].0),
            format!("users/{}/events", people[3].0),
        ]
    );
    assert!(
        !ms.requests().iter().any(|r| r == "GET /users"),
        "the directory is not read without a global grant: {:?}",
        ms.requests()
    );
}

/// Tenant `t` provisioned on SQLite, "every Teams meeting" on, Ann (the directory's one
/// user) subscribed. Answers the server and the admin's token.
fn ann_subscribed(ms: &Microsoft) -> (common::Server, String) {
    ms.user(ANN, "ann@t.example");
    let s = server(ms, Backend::Sqlite);
    let admin = cvi_testkit::provision(&s.url, "t", "813878896@t.plcm.vc", &[APP_FULL])
        .unwrap()
        .admin;
    let (st, v) = s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    eventually("subscribed", || ms.subscriptions().len() == 1);
    (s, admin)
}

/// Graph keeps throttling a mailbox past one request's retries: the mailbox rests as asked
/// (no request to it meanwhile), then its meetings are written; nothing is lost.
#[test]
fn a_throttled_mailbox_rests_then_drains() {
    let ms = microsoft();
    let (_server, _) = ann_subscribed(&ms);
    let reads = |ms: &Microsoft| {
        ms.requests()
            .iter()
            .filter(|r| **r == format!("GET /users/{ANN}/events"))
            .count()
    };
    // Three throttled answers: one request's three tries, all refused.
    ms.fail_next(&[Fault::Throttled, Fault::Throttled, Fault::Throttled]);
    let id = ms.client_creates(
        ANN,
        teams_event(
            TEAMS_BODY,
            "2027-06-01T09:00:00.0000000",
            "2027-06-01T10:00:00.0000000",
        ),
    );
    eventually("three tries", || reads(&ms) >= 3);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after_refusals = reads(&ms);
    let id2 = ms.client_creates(
        ANN,
        teams_event(
            TEAMS_BODY,
            "2027-06-02T09:00:00.0000000",
            "2027-06-02T10:00:00.0000000",
        ),
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        reads(&ms),
        after_refusals,
        "the mailbox rests: {:?}",
        ms.requests()
    );
    eventually("both written after the rest", || {
        [&id, &id2]
            .iter()
            .all(|i| ms.event_of(ANN, i).unwrap()["body"]["content"] != TEAMS_BODY)
    });
}

/// The organizer edits the invite while our write is on its way: Graph refuses our stale
/// etag (412), the event is read again, and the block goes into the organizer's new body —
/// their edit kept, one block.
#[test]
fn a_write_that_lost_a_race_is_merged_into_the_newer_body() {
    let ms = microsoft();
    let (s, admin) = ann_subscribed(&ms);
    let edited = TEAMS_BODY.replacen(
        "<body dir=\"ltr\">",
        "<body dir=\"ltr\"><p>Room changed to 4.12</p>",
        1,
    );
    assert_ne!(edited, TEAMS_BODY);
    // Made without a notification, so the edit can be armed before our first write.
    let id = ms.client_creates_unnoticed(ANN, teams_event(TEAMS_BODY, &tomorrow(9), &tomorrow(10)));
    ms.client_edits_before_next_write(
        ANN,
        &id,
        json!({"body": {"contentType": "html", "content": edited}}),
    );
    ms.lifecycle(ANN, "missed");
    eventually("written after the race", || {
        ms.event_of(ANN, &id).unwrap()["body"]["content"]
            .as_str()
            .is_some_and(|b| b.contains("Room changed") && unquoted(b).len() == 1)
    });
    let body = ms.event_of(ANN, &id).unwrap()["body"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        cvi_core::invite::remove(&body, cvi_core::invite::BodyKind::Html),
        edited
    );
    let patches = ms
        .requests()
        .iter()
        .filter(|r| r.starts_with("PATCH /users/"))
        .count();
    assert_eq!(
        patches,
        2,
        "the refused write and the merged one: {:?}",
        ms.requests()
    );

    // The organizer deletes the block on purpose: it is not written again, and the console
    // says why.
    ms.client_updates(
        ANN,
        &id,
        json!({"body": {"contentType": "html", "content": edited}}),
    );
    eventually("the removal recorded", || {
        let (_, st) = s.call("GET", "/api/v1/inject", Some(&admin), None);
        st["recent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["event_id"] == id.as_str() && o["outcome"] == "removed-by-organizer")
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        ms.event_of(ANN, &id).unwrap()["body"]["content"],
        edited.as_str()
    );
}

// #23 item 11: with Graph access only consents Graph confirmed count, and they are
// checked again (daily; here every second): one revoked in Entra stops issuance; one
// recorded before Graph was configured is shown unverified and does not count.
on_both!(
    consents_are_confirmed_with_graph_and_checked_again,
    |backend: Backend| {
        let ms = microsoft();
        let mut opts = Options {
            graph: Some(cvi_server::graph::GraphConfig {
                graph_url: ms.base.clone(),
                authority_url: ms.base.clone(),
                client_id: "cvi-app".into(),
                client_secret: SECRET.into(),
            }),
            consent_recheck: std::time::Duration::from_secs(1),
            ..Options::default()
        };
        // A consent believed without Graph (as `cvi serve` without --graph-client-id does)…
        let plain = common::start(backend);
        let admin = plain.token("t", "admin@t.example", "admin");
        let (st, v) = plain.call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(json!({
        "name": "Polycom", "tenant_key": "813878896@t.plcm.vc", "aad_application_ids": APP_FULL})),
        );
        assert_eq!(st, 201, "{v}");
        let (st, _) = plain.call(
            "PUT",
            "/api/v1/grants",
            Some(&admin),
            Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"})),
        );
        assert_eq!(st, 200);
        let consent = |s: &common::Server| {
            let links = s
                .call(
                    "GET",
                    "/api/v1/consent/links?provider=Polycom",
                    Some(&admin),
                    None,
                )
                .1;
            let st = state_of(links["links"][0]["url"].as_str().unwrap());
            s.call(
                "GET",
                &format!("/api/v1/consent/callback?admin_consent=True&tenant=t&state={st}"),
                None,
                None,
            )
        };
        let (st, v) = consent(&plain);
        assert_eq!((st, v["verified"].clone()), (200, json!(false)), "{v}");
        let ann = plain.token("t", "ann@t.example", "organizer");
        let meeting = |s: &common::Server, key: &str| {
            s.call(
                "POST",
                "/api/v1/meetings",
                Some(&ann),
                Some(json!({
            "meeting_key": key, "start": "2027-01-24T09:00:00Z", "end": "2027-01-24T10:00:00Z"})),
            )
            .0
        };
        assert_eq!(meeting(&plain, "m0"), 201, "believed without Graph");

        // …does not count on a server with Graph access, and says so.
        opts.database_url = Some(plain.database_url.clone());
        let s = common::start_with(backend, opts);
        let (_, status) = s.call("GET", "/api/v1/consent/status", Some(&admin), None);
        let app = &status[0]["apps"][0];
        assert_eq!(
            (app["consented"].clone(), app["verified"].clone()),
            (json!(false), json!(false)),
            "{status}"
        );
        assert!(
            app["error"]
                .as_str()
                .unwrap()
                .contains("before this server had Microsoft Graph access"),
            "{status}"
        );
        assert_ne!(
            meeting(&s, "m1"),
            201,
            "an unverified consent opens nothing"
        );

        // Confirmed through Graph: it counts.
        let (st, v) = consent(&s);
        assert_eq!(
            (st, v["verified"].clone(), v["consented"].clone()),
            (200, json!(true), json!(true)),
            "{v}"
        );
        assert_eq!(meeting(&s, "m2"), 201);

        // Revoked in Entra (a permission taken away): the next check stops it counting.
        ms.service_principal(APP_FULL, &ROLES[..3]);
        let mut status = Value::Null;
        for _ in 0..100 {
            status = s
                .call("GET", "/api/v1/consent/status", Some(&admin), None)
                .1;
            if status[0]["apps"][0]["consented"] == false {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let app = &status[0]["apps"][0];
        assert_eq!(
            app["consented"], false,
            "revoked in Entra, still counted: {status}"
        );
        assert!(
            app["error"].as_str().unwrap().contains("no longer shows"),
            "{status}"
        );
        assert_ne!(meeting(&s, "m3"), 201, "issuance stops");
        let (_, audit) = s.call("GET", "/api/v1/audit", Some(&admin), None);
        assert!(audit.to_string().contains("consent.revoked"), "{audit}");
    }
);
