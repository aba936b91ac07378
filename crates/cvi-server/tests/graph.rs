//! Consent verified with Microsoft Graph, against a local Microsoft stand-in: the Entra
//! token endpoint (client credentials) and Graph's service principal endpoints, checking the
//! request shapes Microsoft documents and answering as Graph does:
//! - "List servicePrincipals" (learn.microsoft.com/graph/api/serviceprincipal-list):
//!   `GET /v1.0/servicePrincipals?$filter=appId eq '{appId}'` → `{"value": [{"id", "appId"}]}`;
//! - "List appRoleAssignments granted to a service principal"
//!   (learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments):
//!   `GET /v1.0/servicePrincipals/{id}/appRoleAssignments` → `{"value": [{"appRoleId", …}]}`.

#[path = "common/mod.rs"]
mod common;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, Query},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Json, Router,
};
use common::{Backend, Options};
use serde_json::{json, Value};

const APP_FULL: &str = "11111111-2222-3333-4444-555555555555";
const APP_PARTIAL: &str = "66666666-7777-8888-9999-000000000000";
const GRAPH_SP: &str = "9f0c0000-0000-4000-8000-0000000000a1";
/// The four application permissions of SPEC §2 (Graph's app role ids).
const ROLES: [&str; 4] = [
    "f6b49018-60ab-4f81-83bd-22caeabfed2d",
    "fd7ccf6b-3d28-418b-9701-cd10f5cd2fd4",
    "a7a681dc-756e-4909-b988-f160edc6655f",
    "c1684f21-1984-47fa-9d61-2dc8c296bb70",
];

/// How the stand-in's `POST /me/events` answers next.
#[derive(Clone, Copy, PartialEq)]
enum Events {
    /// 503 with Retry-After once, then 201.
    BusyOnce,
    /// 403 ErrorAccessDenied (no Calendars.ReadWrite consent).
    Denied,
    Accept,
}

/// The stand-in: APP_FULL holds all four permissions, APP_PARTIAL lacks the last one.
/// Returns its base URL and the Graph requests it saw.
fn microsoft(rt: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<String>>>) {
    microsoft_with(rt, Arc::new(Mutex::new((Events::Accept, Vec::new()))))
}

/// The stand-in, with its calendar: the events mode and the events created.
type Calendar = Arc<Mutex<(Events, Vec<Value>)>>;

fn microsoft_with(
    rt: &tokio::runtime::Runtime,
    calendar: Calendar,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let bearer_ok = |h: &HeaderMap| {
        h.get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer app-token-"))
    };
    let (s1, s2, s3, s4, s5) = (
        seen.clone(),
        seen.clone(),
        seen.clone(),
        seen.clone(),
        seen.clone(),
    );
    let app = Router::new()
        .route(
            "/v1.0/me/events/{id}",
            axum::routing::patch(move |Path(id): Path<String>, Json(patch): Json<Value>| {
                let seen = s4.clone();
                async move {
                    seen.lock().unwrap().push(format!("patch {id} {patch}"));
                    (StatusCode::OK, Json(json!({"id": id})))
                }
            })
            .delete(move |Path(id): Path<String>| {
                let seen = s5.clone();
                async move {
                    seen.lock().unwrap().push(format!("delete {id}"));
                    StatusCode::NO_CONTENT
                }
            }),
        )
        .route(
            "/v1.0/me/events",
            post(move |h: HeaderMap, Json(event): Json<Value>| {
                let (seen, calendar) = (s3.clone(), calendar.clone());
                async move {
                    let auth = h.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    seen.lock().unwrap().push(format!("event {auth}"));
                    let mut cal = calendar.lock().unwrap();
                    match cal.0 {
                        Events::BusyOnce => {
                            cal.0 = Events::Accept;
                            return axum::response::IntoResponse::into_response((
                                StatusCode::SERVICE_UNAVAILABLE,
                                [("retry-after", "1")],
                                Json(json!({"error": {"code": "serviceNotAvailable"}})),
                            ));
                        }
                        Events::Denied => {
                            return axum::response::IntoResponse::into_response((
                                StatusCode::FORBIDDEN,
                                Json(json!({"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}})),
                            ));
                        }
                        Events::Accept => {}
                    }
                    let n = cal.1.len();
                    cal.1.push(event);
                    axum::response::IntoResponse::into_response((
                        StatusCode::CREATED,
                        Json(json!({
                            "id": format!("AAMkAGI2TG93AAA-{n}"),
                            "isOnlineMeeting": true,
                            "onlineMeetingProvider": "teamsForBusiness",
                            "onlineMeeting": {"joinUrl": format!(
                                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Zm9v{n}%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d")}
                        })),
                    ))
                }
            }),
        )
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|Path(tenant): Path<String>, body: String| async move {
                let form: HashMap<String, String> =
                    form_urlencoded::parse(body.as_bytes()).into_owned().collect();
                let field = |k: &str| form.get(k).map(String::as_str);
                if field("client_secret") != Some("s3cret") {
                    return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
                }
                // On-behalf-of: the organizer's token exchanged for a delegated Graph token.
                if field("grant_type") == Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
                    let shaped = field("requested_token_use") == Some("on_behalf_of")
                        && field("assertion").is_some_and(|a| a.split('.').count() == 3)
                        && field("scope") == Some("https://graph.microsoft.com/Calendars.ReadWrite");
                    if !shaped {
                        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request"})));
                    }
                    return (StatusCode::OK, Json(json!({"token_type": "Bearer", "expires_in": 3599,
                        "access_token": format!("obo-token-{tenant}")})));
                }
                if field("grant_type") != Some("client_credentials")
                    || field("scope") != Some("https://graph.microsoft.com/.default")
                {
                    return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request"})));
                }
                (
                    StatusCode::OK,
                    Json(json!({"token_type": "Bearer", "expires_in": 3599,
                                "access_token": format!("app-token-{tenant}")})),
                )
            }),
        )
        .route(
            "/v1.0/servicePrincipals",
            get(move |h: HeaderMap, Query(q): Query<HashMap<String, String>>| {
                let seen = s1.clone();
                async move {
                    let filter = q.get("$filter").cloned().unwrap_or_default();
                    seen.lock().unwrap().push(format!("list {filter}"));
                    if !bearer_ok(&h) {
                        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "InvalidAuthenticationToken"}})));
                    }
                    let app = filter
                        .strip_prefix("appId eq '")
                        .and_then(|f| f.strip_suffix('\''))
                        .unwrap_or("");
                    let value = match app {
                        APP_FULL => json!([{"id": "0f0f0f0f-0000-4000-8000-00000000f011", "appId": APP_FULL}]),
                        APP_PARTIAL => json!([{"id": "0f0f0f0f-0000-4000-8000-00000000aa11", "appId": APP_PARTIAL}]),
                        _ => json!([]),
                    };
                    (StatusCode::OK, Json(json!({
                        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(id,appId)",
                        "value": value})))
                }
            }),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignments",
            get(move |h: HeaderMap, Path(id): Path<String>| {
                let seen = s2.clone();
                async move {
                    seen.lock().unwrap().push(format!("assignments {id}"));
                    if !bearer_ok(&h) {
                        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "InvalidAuthenticationToken"}})));
                    }
                    let held: &[&str] = if id == "0f0f0f0f-0000-4000-8000-00000000f011" { &ROLES } else { &ROLES[..3] };
                    let value: Vec<Value> = held
                        .iter()
                        .map(|r| json!({"id": format!("x-{r}"), "appRoleId": r, "principalId": id,
                                         "principalType": "ServicePrincipal", "resourceId": GRAPH_SP,
                                         "resourceDisplayName": "Microsoft Graph"}))
                        .collect();
                    (StatusCode::OK, Json(json!({"value": value})))
                }
            }),
        );
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn state_of(url: &str) -> String {
    url.split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn consent_counts_when_graph_shows_the_permissions() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (base, seen) = microsoft(&rt);
    let s = common::start_with(
        Backend::Sqlite,
        Options {
            graph: Some(cvi_server::graph::GraphConfig {
                graph_url: base.clone(),
                authority_url: base.clone(),
                client_id: "cvi-app".into(),
                client_secret: "s3cret".into(),
            }),
            ..Options::default()
        },
    );
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
    let seen_now = seen.lock().unwrap().clone();
    assert!(
        seen_now.contains(&format!("list appId eq '{APP_FULL}'")),
        "{seen_now:?}"
    );
    assert!(
        seen_now.contains(&"assignments 0f0f0f0f-0000-4000-8000-00000000aa11".to_string()),
        "{seen_now:?}"
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

#[test]
fn the_teams_tab_schedules_through_graph() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let calendar: Calendar = Arc::new(Mutex::new((Events::BusyOnce, Vec::new())));
    let (base, seen) = microsoft_with(&rt, calendar.clone());
    let s = common::start_with(
        Backend::Sqlite,
        Options {
            graph: Some(cvi_server::graph::GraphConfig {
                graph_url: base.clone(),
                authority_url: base.clone(),
                client_id: "cvi-app".into(),
                client_secret: "s3cret".into(),
            }),
            ..Options::default()
        },
    );
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
    let (st, m) = s.call("POST", "/api/v1/events", Some(&ann), Some(request.clone()));
    assert_eq!(st, 201, "{m}");
    let events = calendar.lock().unwrap().1.clone();
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
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l == "event Bearer obo-token-t"),
        "on behalf of the organizer"
    );
    assert_eq!(m["event_id"], "AAMkAGI2TG93AAA-0");
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
    assert_eq!(calendar.lock().unwrap().1.len(), 1);

    // No Calendars.ReadWrite consent: a clear 403, the coordinates kept for a retry, which
    // then creates the event with the same Video ID.
    calendar.lock().unwrap().0 = Events::Denied;
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
    calendar.lock().unwrap().0 = Events::Accept;
    let (st, done) = s.call("POST", "/api/v1/events", Some(&ann), Some(second));
    assert_eq!(st, 201, "{done}");
    assert_eq!(done["video_id"], kept["video_id"]);
    assert_eq!(calendar.lock().unwrap().1.len(), 2);

    // Moved an hour later: the block is rendered again and the event patched to match.
    let (st, moved) = s.call("PATCH", "/api/v1/events/tab-1", Some(&ann),
        Some(json!({"start": "2027-01-23T10:00:00Z", "end": "2027-01-23T10:30:00Z", "subject": "Weekly sync (moved)"})));
    assert_eq!(st, 200, "{moved}");
    let patched = seen
        .lock()
        .unwrap()
        .iter()
        .find(|l| l.starts_with("patch AAMkAGI2TG93AAA-0 "))
        .cloned()
        .expect("patched");
    let patch: Value = serde_json::from_str(patched.splitn(3, ' ').nth(2).unwrap()).unwrap();
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
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "delete AAMkAGI2TG93AAA-0"));
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
}
