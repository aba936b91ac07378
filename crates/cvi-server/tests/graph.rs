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

/// The stand-in: APP_FULL holds all four permissions, APP_PARTIAL lacks the last one.
/// Returns its base URL and the Graph requests it saw.
fn microsoft(rt: &tokio::runtime::Runtime) -> (String, Arc<Mutex<Vec<String>>>) {
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
    let (s1, s2) = (seen.clone(), seen.clone());
    let app = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|Path(tenant): Path<String>, body: String| async move {
                let form: HashMap<String, String> =
                    form_urlencoded::parse(body.as_bytes()).into_owned().collect();
                if form.get("grant_type").map(String::as_str) != Some("client_credentials")
                    || form.get("scope").map(String::as_str)
                        != Some("https://graph.microsoft.com/.default")
                    || form.get("client_secret").map(String::as_str) != Some("s3cret")
                {
                    return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
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
