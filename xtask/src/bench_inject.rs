//! "Coordinates in every Teams meeting" under load: a release `cvi serve` on SQLite against
//! the Microsoft stand-in answering every Graph call after 50 ms (Graph's latency, roughly):
//! subscriptions made per second (what renewing them costs), and notifications worked on
//! end to end per second — from the Teams client's new meeting to the block in its body.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use cvi_testkit::microsoft::Microsoft;
use serde_json::json;

use crate::run::Result;

const USERS: usize = 200;
/// Threads delivering notifications at once.
const GENERATORS: usize = 8;
const MEETINGS: usize = 2_000;
const LATENCY: Duration = Duration::from_millis(50);
const SECRET: &str = "bench-secret";
const APP: &str = "bbbbbbbb-0000-4000-8000-00000000000a";
/// A Teams invite as Outlook on the web holds it (the browser e2e's).
const BODY: &str = include_str!("../../tests/fixtures/owa_compose.html");

pub struct Figures {
    pub subscribed_per_s: f64,
    pub processed_per_s: f64,
    /// Requests Outlook would have refused (a fifth at once on one mailbox).
    pub refusals: u32,
}

fn wait(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!(
                "inject bench: {what} did not happen within {limit:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

pub fn run(cvi: &Path, dir: &Path) -> Result<Figures> {
    let ms = Microsoft::start(SECRET)?;
    ms.service_principal(APP, &cvi_testkit::microsoft::PARTNER_APP_ROLES);
    let users: Vec<String> = (0..USERS)
        .map(|i| format!("{i:08x}-0000-4000-8000-00000000beef"))
        .collect();
    for (i, u) in users.iter().enumerate() {
        ms.user(u, &format!("user{i}@bench.example"));
    }
    let secret = dir.join("inject-secret");
    std::fs::write(&secret, SECRET).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
    }
    let db = format!("sqlite://{}", dir.join("inject.db").display());
    let server = cvi_testkit::CviServe::start(
        cvi,
        &[
            "--dev-issuer",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--issue-quota",
            "0",
            "--client-id",
            "bench-app",
            "--client-secret-file",
            secret.to_str().unwrap_or_default(),
            "--authority-url",
            &ms.base,
            "--graph-url",
            &ms.base,
            "--allow-loopback-http-issuer",
        ],
    )?;
    let admin = cvi_testkit::provision(&server.base, "bench", "813878896@t.plcm.vc", &[APP])
        .map_err(|e| e.to_string())?
        .admin;
    ms.latency(LATENCY);
    let started = Instant::now();
    let (st, v) = server.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    if st != 200 {
        return Err(format!("inject bench: enabling answered {st}: {v}"));
    }
    wait("every user subscribed", Duration::from_secs(300), || {
        ms.subscriptions().len() == USERS
    })?;
    let subscribed_per_s = USERS as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    // Graph delivers from many machines at once: eight delivering threads, each with its
    // own users.
    let ids: Vec<(usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..GENERATORS)
            .map(|g| {
                let (ms, users) = (&ms, &users);
                scope.spawn(move || {
                    (0..MEETINGS)
                        .filter(|n| n % GENERATORS == g)
                        .map(|n| {
                            let u = n % USERS;
                            let day = n / USERS % 28 + 1;
                            let id = ms.client_creates(
                                &users[u],
                                json!({
                                    "subject": "Sync",
                                    "body": {"contentType": "html", "content": BODY},
                                    "start": {"dateTime": format!("2027-05-{day:02}T09:00:00.0000000"), "timeZone": "UTC"},
                                    "end": {"dateTime": format!("2027-05-{day:02}T09:30:00.0000000"), "timeZone": "UTC"},
                                    "location": {"displayName": ""},
                                    "isOnlineMeeting": true,
                                    "onlineMeetingProvider": "teamsForBusiness",
                                }),
                            );
                            (u, id)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let created = started.elapsed();
    let mut pending = ids;
    wait("every meeting written", Duration::from_secs(600), || {
        pending.retain(|(u, id)| {
            ms.event_of(&users[*u], id)
                .is_none_or(|e| e["body"]["content"] == BODY)
        });
        pending.is_empty()
    })?;
    let processed_per_s = MEETINGS as f64 / started.elapsed().as_secs_f64();
    println!(
        "    {MEETINGS} meetings created and their notifications delivered in {:.1} s ({:.0}/s), all written after {:.1} s",
        created.as_secs_f64(),
        MEETINGS as f64 / created.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(Figures {
        subscribed_per_s,
        processed_per_s,
        refusals: ms.concurrency_refusals(),
    })
}

/// The bench table's rows.
pub fn rows(f: &Figures) -> String {
    format!(
        "| every Teams meeting: notifications worked on end to end ({MEETINGS} meetings of {USERS} users, Graph answering after {} ms) | {:.0}/s | | | | | |\n\
         | every Teams meeting: subscriptions made or renewed ({USERS} users, same latency) | {:.0}/s (100,000 in {:.0} min; renewal window 24 h) | | | | | |\n\
         | every Teams meeting: requests Outlook would refuse (5th at once on a mailbox) | {} | | | | | |\n",
        LATENCY.as_millis(),
        f.processed_per_s,
        f.subscribed_per_s,
        100_000.0 / f.subscribed_per_s / 60.0,
        f.refusals
    )
}
