//! Crash safety: `kill -9` the server while many clients issue coordinates, restart it on
//! the same database, and check that nothing acknowledged was lost or changed.

mod common;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use common::Backend;
use cvi_testkit::CviServe;
use serde_json::json;

const APP: &str = "11111111-2222-3333-4444-555555555555";

/// A server on a fixed port (the clients keep their URL across restarts), killed when dropped.
fn spawn(database_url: &str, port: u16) -> CviServe {
    common::spawn_cvi(&[
        "--dev-issuer",
        "--issue-quota",
        "0",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--database",
        database_url,
    ])
}

fn crash_and_recover(b: Backend) {
    let (database_url, _dir) = match b {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!("sqlite://{}", dir.path().join("cvi.db").display()),
                Some(dir),
            )
        }
        Backend::Postgres => (common::postgres_database(), None),
    };
    let port = cvi_testkit::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = spawn(&database_url, port);

    // Provision: provider, consent, global grant.
    let tok = |body: serde_json::Value| {
        common::call(&format!("{url}/api/v1/dev/token"), "POST", None, Some(body)).1["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let admin = tok(json!({"tenant": "t", "user": "admin@t.example", "role": "admin"}));
    let org = tok(json!({"tenant": "t", "user": "ann@t.example", "role": "organizer"}));
    let api = |m: &str, p: &str, t: &str, body: Option<serde_json::Value>| {
        common::call(&format!("{url}{p}"), m, Some(t), body)
    };
    assert_eq!(
        api(
            "POST",
            "/api/v1/providers",
            &admin,
            Some(
                json!({"name": "Polycom", "tenant_key": "1@t.plcm.vc", "aad_application_ids": APP})
            )
        )
        .0,
        201
    );
    let links = api(
        "GET",
        "/api/v1/consent/links?provider=Polycom",
        &admin,
        None,
    )
    .1;
    let state = links["links"][0]["url"]
        .as_str()
        .unwrap()
        .split("state=")
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        common::call(
            &format!("{url}/api/v1/consent/callback?admin_consent=True&state={state}"),
            "GET",
            None,
            None
        )
        .0,
        200
    );
    assert_eq!(
        api(
            "PUT",
            "/api/v1/grants",
            &admin,
            Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"}))
        )
        .0,
        200
    );

    // Eight clients issue new keys; every acknowledged reply is remembered.
    let acked: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (acked, stop, url, org) = (acked.clone(), stop.clone(), url.clone(), org.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(5)))
                    .build()
                    .into();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("c{c}-{n}");
                    let body = json!({"meeting_key": key, "start": "2027-01-01T09:00:00Z", "end": "2027-01-01T10:00:00Z"}).to_string();
                    let reply = agent
                        .post(&format!("{url}/api/v1/meetings"))
                        .header("authorization", &format!("Bearer {org}"))
                        .header("content-type", "application/json")
                        .send(body.as_bytes());
                    match reply {
                        Ok(mut r) if r.status() == 201 || r.status() == 200 => {
                            let v: serde_json::Value = r.body_mut().read_json().unwrap();
                            acked.lock().unwrap().insert(key, v["video_id"].as_str().unwrap().to_string());
                            n += 1;
                        }
                        // Server down or dying: retry the same key (the write may or may not have landed).
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
        })
        .collect();

    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(700));
        server.process().kill(); // SIGKILL: no graceful shutdown, no flush
        server = spawn(&database_url, port);
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    drop(server);
    let _server2 = spawn(&database_url, port);

    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "the clients got work done between crashes ({} acknowledged)",
        acked.len()
    );
    eprintln!(
        "{b:?}: {} issuances acknowledged across 3 kill -9 restarts",
        acked.len()
    );
    let mut seen: HashMap<String, String> = HashMap::new();
    for (key, vid) in &acked {
        let (st, v) = api("GET", &format!("/api/v1/meetings/{key}"), &org, None);
        assert_eq!(st, 200, "acknowledged meeting {key} survived the crashes");
        assert_eq!(
            v["video_id"].as_str(),
            Some(vid.as_str()),
            "{key} kept its Video ID"
        );
        if let Some(other) = seen.insert(vid.clone(), key.clone()) {
            panic!("Video ID {vid} is assigned to both {key} and {other}");
        }
    }
    // Retrying a key returns its ID; spot-check a sample.
    for (key, vid) in acked.iter().take(20) {
        let (st, v) = api(
            "POST",
            "/api/v1/meetings",
            &org,
            Some(
                json!({"meeting_key": key, "start": "2027-01-01T09:00:00Z", "end": "2027-01-01T10:00:00Z"}),
            ),
        );
        assert_eq!((st, v["video_id"].as_str()), (200, Some(vid.as_str())));
    }
}

#[test]
fn sqlite_survives_kill_9() {
    crash_and_recover(Backend::Sqlite);
}

#[test]
fn postgres_survives_kill_9() {
    crash_and_recover(Backend::Postgres);
}

/// `kill -9` while Graph's notifications wait in the inbox (Graph answering slowly, so a
/// backlog builds): after a restart on the same database every acknowledged notification
/// is worked on, and every meeting has exactly one block.
#[test]
fn a_killed_server_loses_no_graph_notification() {
    use cvi_testkit::microsoft::Microsoft;
    const USER: &str = "4b5c6d7e-8f9a-4b0c-8d1e-2f3a4b5c6d7e";
    const BODY: &str = include_str!("../../../tests/fixtures/owa_compose.html");
    let ms = Microsoft::start("s3cret").unwrap();
    ms.service_principal(APP, &cvi_testkit::microsoft::PARTNER_APP_ROLES);
    ms.user(USER, "ann@t.example");
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cvi.db").display());
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let port = cvi_testkit::free_port().unwrap();
    let start = || {
        common::spawn_cvi(&[
            "--dev-issuer",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            &db,
            "--client-id",
            "cvi-app",
            "--client-secret-file",
            secret.to_str().unwrap(),
            "--authority-url",
            &ms.base,
            "--graph-url",
            &ms.base,
            "--allow-loopback-http-issuer",
        ])
    };
    let mut server = start();
    let admin = cvi_testkit::provision(&server.base, "t", "813878896@t.plcm.vc", &[APP])
        .unwrap()
        .admin;
    let (st, v) = server.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while ms.subscriptions().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no subscription");
        std::thread::sleep(Duration::from_millis(50));
    }
    ms.latency(Duration::from_millis(150));
    let ids: Vec<String> = (0..40)
        .map(|n| {
            ms.client_creates(
                USER,
                json!({
                    "subject": "Weekly",
                    "body": {"contentType": "html", "content": BODY},
                    "start": {"dateTime": format!("2027-04-{:02}T09:00:00.0000000", n % 28 + 1), "timeZone": "UTC"},
                    "end": {"dateTime": format!("2027-04-{:02}T10:00:00.0000000", n % 28 + 1), "timeZone": "UTC"},
                    "location": {"displayName": ""},
                    "isOnlineMeeting": true,
                    "onlineMeetingProvider": "teamsForBusiness",
                }),
            )
        })
        .collect();
    let written = |ms: &Microsoft| {
        ids.iter()
            .filter(|id| ms.event_of(USER, id).unwrap()["body"]["content"] != BODY)
            .count()
    };
    server.process().kill();
    let before = written(&ms);
    assert!(
        before < ids.len(),
        "the backlog was worked off before the kill"
    );
    ms.latency(Duration::ZERO);
    let _server = start();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while written(&ms) < ids.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {} meetings written after the restart ({before} before the kill)",
            written(&ms),
            ids.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for id in &ids {
        let body = ms.event_of(USER, id).unwrap()["body"]["content"]
            .as_str()
            .unwrap()
            .to_string();
        let blocks = cvi_core::invite::find(&body, cvi_core::invite::BodyKind::Html);
        assert_eq!(blocks.len(), 1, "{id}: {body}");
    }
    // One mailbox, 40 meetings: never more than Outlook's 4 requests on it at once.
    assert_eq!(ms.concurrency_refusals(), 0);
}
