//! The `cvi` binary as an admin runs it: a real `cvi serve` child process, and every
//! admin command run as a process, checking output and exit codes.

mod common;

use std::process::{Command, Output};

use serde_json::Value;

struct Served {
    /// Killed when the test ends, passed or failed.
    _server: cvi_testkit::CviServe,
    url: String,
    _dir: tempfile::TempDir,
}

fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cvi.db").display());
    let server = common::spawn_cvi(&["--listen", "127.0.0.1:0", "--dev-issuer", "--database", &db]);
    Served {
        url: server.base.clone(),
        _server: server,
        _dir: dir,
    }
}

fn cvi(s: &Served, token: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cvi"));
    c.env("CVI_SERVER", &s.url)
        .env_remove("CVI_TOKEN")
        .args(args);
    if let Some(t) = token {
        c.env("CVI_TOKEN", t);
    }
    c.output().unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(o: Output) -> Value {
    serde_json::from_str(&ok(o)).unwrap()
}

const APP: &str = "26a18ebc-cdf7-4a6a-91cb-beb352805e81";

#[test]
fn provision_consent_schedule_resolve() {
    let s = serve();
    let token = |tenant: &str, user: &str, role: &str, extra: &[&str]| {
        let mut a = vec!["token", "--tenant", tenant, "--user", user, "--role", role];
        a.extend_from_slice(extra);
        ok(cvi(&s, None, &a)).trim().to_string()
    };
    let admin = token("contoso", "admin@contoso.example", "admin", &[]);
    let a = Some(admin.as_str());

    // Provision (New-/Get-/Set-CsVideoInteropServiceProvider).
    let out = ok(cvi(
        &s,
        a,
        &[
            "provider",
            "new",
            "--name",
            "Polycom",
            "--tenant-key",
            "813878896@t.plcm.vc",
            "--aad-application-ids",
            APP,
        ],
    ));
    assert!(out.contains("813878896@t.plcm.vc"), "{out}");
    let table = ok(cvi(&s, a, &["provider", "get"]));
    assert!(
        table.starts_with("NAME") && table.contains("Polycom"),
        "{table}"
    );
    let v = json(cvi(
        &s,
        a,
        &["--json", "provider", "get", "--identity", "polycom"],
    ));
    assert_eq!(v["aad_application_ids"][0], APP);
    let v = json(cvi(
        &s,
        a,
        &[
            "provider",
            "set",
            "--identity",
            "Polycom",
            "--instruction-uri",
            "https://help.contoso.example/{ConfId}",
            "--json",
        ],
    ));
    assert_eq!(
        v["instruction_uri"],
        "https://help.contoso.example/{ConfId}"
    );

    // Policies and grants.
    let pols = ok(cvi(&s, a, &["policy", "get", "--filter", "Polycom"]));
    assert!(
        pols.contains("Tag:PolycomServiceProviderEnabled")
            && !pols.contains("Tag:CiscoServiceProviderEnabled"),
        "{pols}"
    );
    ok(cvi(
        &s,
        a,
        &[
            "policy",
            "grant",
            "--global",
            "--policy-name",
            "Tag:PolycomServiceProviderEnabled",
        ],
    ));
    ok(cvi(
        &s,
        a,
        &[
            "policy",
            "grant",
            "--group",
            "lobby",
            "--rank",
            "1",
            "--policy-name",
            "Tag:ServiceProviderDisabled",
        ],
    ));
    let eff = ok(cvi(
        &s,
        a,
        &["policy", "effective", "--identity", "ann@contoso.example"],
    ));
    assert!(
        eff.contains("Tag:PolycomServiceProviderEnabled")
            && eff.contains("why: granted tenant-wide"),
        "{eff}"
    );
    let eff = ok(cvi(
        &s,
        a,
        &[
            "policy",
            "effective",
            "--identity",
            "kiosk@contoso.example",
            "--groups",
            "lobby",
        ],
    ));
    assert!(
        eff.contains("disabled") && eff.contains("group lobby"),
        "{eff}"
    );

    // Organizer before consent: refused, with what the admin must do; exit code 1.
    let org = token("contoso", "ann@contoso.example", "organizer", &[]);
    let o = cvi(
        &s,
        Some(&org),
        &[
            "meeting",
            "issue",
            "--key",
            "m1",
            "--start",
            "2027-01-23T09:00:00Z",
            "--end",
            "2027-01-23T10:00:00Z",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("consent") && err.contains("cvi consent link --provider Polycom"),
        "{err}"
    );

    // Consent: the link, then the identity platform's redirect to the callback.
    let links = json(cvi(
        &s,
        a,
        &["--json", "consent", "link", "--provider", "Polycom"],
    ));
    let url = links["links"][0]["url"].as_str().unwrap();
    assert!(url.starts_with(
        "https://login.microsoftonline.com/contoso/v2.0/adminconsent?client_id=26a18ebc"
    ));
    let state = url.split("state=").nth(1).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .get(&format!(
            "{}/api/v1/consent/callback?admin_consent=True&tenant=contoso&state={state}",
            s.url
        ))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let st = json(cvi(&s, a, &["--json", "consent", "status"]));
    assert_eq!(st[0]["missing"], serde_json::json!([]));

    // Schedule.
    let m = json(cvi(
        &s,
        Some(&org),
        &[
            "--json",
            "meeting",
            "issue",
            "--key",
            "m1",
            "--subject",
            "Review",
            "--start",
            "2027-01-23T09:00:00Z",
            "--end",
            "2027-01-23T10:00:00Z",
        ],
    ));
    let vid = m["video_id"].as_str().unwrap().to_string();
    assert_eq!(
        m["more_info_url"],
        format!("https://help.contoso.example/{vid}")
    );
    let shown = ok(cvi(&s, Some(&org), &["meeting", "show", "--key", "m1"]));
    assert!(
        shown.contains(&vid) && shown.contains("direct_dial_uri"),
        "{shown}"
    );

    // Join: the partner resolves the direct-dial string.
    let partner = token("contoso", "poly-ivr", "partner", &["--app-id", APP]);
    let r = json(cvi(
        &s,
        Some(&partner),
        &["--json", "resolve", &format!("813878896.{vid}@t.plcm.vc")],
    ));
    assert_eq!(r["meeting_key"], "m1");
    let r = json(cvi(
        &s,
        Some(&partner),
        &[
            "--json",
            "resolve",
            "813878896@t.plcm.vc",
            "--video-id",
            &vid,
        ],
    ));
    assert_eq!(r["subject"], "Review");

    ok(cvi(&s, Some(&org), &["meeting", "cancel", "--key", "m1"]));
    let o = cvi(
        &s,
        Some(&partner),
        &["resolve", &format!("813878896.{vid}@t.plcm.vc")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no live meeting"));

    let removed = ok(cvi(&s, a, &["provider", "remove", "--identity", "Polycom"]));
    assert!(removed.contains("stop producing coordinates"), "{removed}");
}

#[test]
fn errors_and_exit_codes() {
    let s = serve();
    let admin = String::from_utf8(
        cvi(
            &s,
            None,
            &[
                "token",
                "--tenant",
                "t",
                "--user",
                "a@t.example",
                "--role",
                "admin",
            ],
        )
        .stdout,
    )
    .unwrap();
    let a = Some(admin.trim());
    // Bad input: exit 2, the server's explanation on stderr, nothing on stdout.
    let o = cvi(
        &s,
        a,
        &[
            "provider",
            "new",
            "--name",
            "Polycom",
            "--tenant-key",
            "no-at-sign",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("key@domain"));
    assert!(o.stdout.is_empty());
    let o = cvi(
        &s,
        a,
        &[
            "provider",
            "new",
            "--name",
            "Zoom",
            "--tenant-key",
            "1@zoom.example",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    // Bad usage (clap): exit 2.
    assert_eq!(
        cvi(&s, a, &["policy", "grant", "--group", "g"])
            .status
            .code(),
        Some(2),
        "--group needs --rank"
    );
    assert_eq!(
        cvi(
            &s,
            a,
            &["token", "--tenant", "t", "--user", "u", "--role", "king"]
        )
        .status
        .code(),
        Some(2)
    );
    // No token: exit 2 with a hint.
    let o = cvi(&s, None, &["provider", "get"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("CVI_TOKEN"));
    // Not found: exit 1.
    assert_eq!(
        cvi(&s, a, &["provider", "get", "--identity", "Cisco"])
            .status
            .code(),
        Some(1)
    );
    // Server unreachable: exit 1, says where it tried.
    let o = Command::new(env!("CARGO_BIN_EXE_cvi"))
        .args(["--server", "http://127.0.0.1:9", "provider", "get"])
        .env("CVI_TOKEN", "x")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("cannot reach the policy API at http://127.0.0.1:9"));
}

#[test]
fn plan_computes_offline_and_refuses_bad_input() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cvi"))
            .arg("plan")
            .args(args)
            .output()
            .unwrap()
    };
    let out = ok(run(&[
        "--meetings-per-day",
        "840.64",
        "--avg-minutes",
        "60",
        "--peak-hour-share",
        "0.1",
        "--json",
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["concurrent_calls"].as_u64(), v["gateway_vms"].as_u64()),
        (Some(100), Some(10))
    );
    let table = ok(run(&[
        "--meetings-per-day",
        "100",
        "--avg-minutes",
        "30",
        "--peak-hour-share",
        "0.2",
    ]));
    assert!(table.contains("gateway VMs"), "{table}");
    let bad = run(&[
        "--meetings-per-day",
        "100",
        "--avg-minutes",
        "30",
        "--peak-hour-share",
        "2",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("peak_hour_share"));
    let missing = run(&["--avg-minutes", "30"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// A provider without partner app ids: nothing can be consented and no partner app can
/// resolve its meetings; `provider new` and `consent status` say so.
#[test]
fn a_provider_without_partner_apps_is_warned_about() {
    let s = serve();
    let admin = admin_token(&s);
    let out = cvi(
        &s,
        Some(&admin),
        &[
            "provider",
            "new",
            "--name",
            "Pexip",
            "--tenant-key",
            "teams@vc.contoso.com",
        ],
    );
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("lists no partner app") && err.contains("--aad-application-ids"),
        "{err}"
    );
    let status = cvi(&s, Some(&admin), &["consent", "status"]);
    assert!(status.status.success());
    assert!(String::from_utf8_lossy(&status.stderr).contains("nothing to consent"));
    let v = json(cvi(&s, Some(&admin), &["--json", "consent", "status"]));
    assert!(
        v[0]["warning"]
            .as_str()
            .unwrap()
            .contains("no partner app can join"),
        "{v}"
    );
    // Given ids, the warning goes.
    let out = cvi(
        &s,
        Some(&admin),
        &[
            "provider",
            "set",
            "--identity",
            "Pexip",
            "--aad-application-ids",
            "11111111-2222-3333-4444-555555555555",
        ],
    );
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Tokens are secrets: a token on the command line is warned about, a token file works,
/// and no token goes over plain http to another machine without --insecure.
#[test]
fn tokens_are_handled_as_secrets() {
    let s = serve();
    let admin = admin_token(&s);
    let on_argv = cvi(&s, None, &["--token", &admin, "policy", "get"]);
    assert!(on_argv.status.success());
    assert!(
        String::from_utf8_lossy(&on_argv.stderr).contains("--token on the command line is visible"),
        "{}",
        String::from_utf8_lossy(&on_argv.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{admin}\n")).unwrap();
    let from_file = cvi(
        &s,
        None,
        &["--token-file", file.to_str().unwrap(), "policy", "get"],
    );
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    assert!(
        from_file.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    // Refused before anything is sent (the name is under .invalid: it never resolves).
    let remote = Command::new(env!("CARGO_BIN_EXE_cvi"))
        .env("CVI_TOKEN", &admin)
        .args(["--server", "http://cvi.invalid:8080", "policy", "get"])
        .output()
        .unwrap();
    assert_eq!(remote.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&remote.stderr).contains("plain http"),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
}

/// `cvi meeting import`: JSON lines, all or none; a bad line is named by its line number in
/// the file (blank lines counted).
#[test]
fn meeting_import_names_the_bad_line() {
    let s = serve();
    let admin = admin_token(&s);
    ok(cvi(
        &s,
        Some(&admin),
        &[
            "provider",
            "new",
            "--name",
            "Cisco",
            "--tenant-key",
            "contoso@m.webex.com",
            "--aad-application-ids",
            APP,
        ],
    ));
    let dir = tempfile::tempdir().unwrap();
    let line = |key: &str, id: &str| {
        format!(
            r#"{{"meeting_key":"{key}","provider":"Cisco","video_id":"{id}","start":"2027-01-23T09:00:00Z","end":"2027-01-23T10:00:00Z"}}"#
        )
    };
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!("{}\n\n{}\n", line("a", "1192043775"), line("b", "12")),
    )
    .unwrap();
    let out = cvi(
        &s,
        Some(&admin),
        &["meeting", "import", bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3:"), "{err}");
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(&broken, format!("{}\nnot json\n", line("a", "1192043775"))).unwrap();
    let out = cvi(
        &s,
        Some(&admin),
        &["meeting", "import", broken.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2:"));
    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        format!("{}\n{}\n", line("a", "1192043775"), line("b", "0116027491")),
    )
    .unwrap();
    let out = ok(cvi(
        &s,
        Some(&admin),
        &["meeting", "import", good.to_str().unwrap()],
    ));
    assert_eq!(out.trim(), "imported 2 meetings");
}

/// A dev token of tenant `t`'s admin.
fn admin_token(s: &Served) -> String {
    token_in_t(s, "admin@t.example", "admin")
}

/// A dev token of tenant `t`, from `cvi token`.
fn token_in_t(s: &Served, user: &str, role: &str) -> String {
    ok(cvi(
        s,
        None,
        &["token", "--tenant", "t", "--user", user, "--role", role],
    ))
    .trim()
    .to_string()
}

/// `cvi meeting schedule` without Graph access on the server: a clear failure (exit 1),
/// and the key to retry with; bad flags exit 2 before anything is sent.
#[test]
fn meeting_schedule_says_how_to_retry() {
    let s = serve();
    let org = token_in_t(&s, "ann@t.example", "organizer");
    let o = cvi(
        &s,
        Some(&org),
        &[
            "meeting",
            "schedule",
            "--subject",
            "Sync",
            "--start",
            "2027-01-23T09:00:00Z",
            "--end",
            "2027-01-23T10:00:00Z",
            "--key",
            "k-sched",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Microsoft Graph access") && err.contains("--key k-sched"),
        "{err}"
    );
    let o = cvi(
        &s,
        Some(&org),
        &[
            "meeting",
            "schedule",
            "--subject",
            "Sync",
            "--start",
            "2027-01-23T09:00:00Z",
            "--end",
            "2027-01-23T10:00:00Z",
            "--recurrence",
            "monthly",
            "--until",
            "2027-03-01",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `cvi audit` reads the log as the API pages it: filters, paging hints, --all with
/// progress, the API's page shape under --json, and bad input refused with exit 2.
#[test]
fn the_audit_log_is_read_and_filtered() {
    let s = serve();
    let admin = admin_token(&s);
    let a = Some(admin.as_str());
    for (name, key) in [
        ("Polycom", "813878896@t.plcm.vc"),
        ("Cisco", "contoso@m.webex.com"),
    ] {
        ok(cvi(
            &s,
            a,
            &[
                "provider",
                "new",
                "--name",
                name,
                "--tenant-key",
                key,
                "--aad-application-ids",
                APP,
            ],
        ));
    }
    ok(cvi(
        &s,
        a,
        &[
            "policy",
            "grant",
            "--policy-name",
            "Tag:PolycomServiceProviderEnabled",
            "--global",
        ],
    ));

    let page = json(cvi(&s, a, &["--json", "audit"]));
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 3, "{page}");
    assert!(actions[0].starts_with("grant"), "newest first: {actions:?}");
    assert!(page["next"].is_null(), "{page}");

    // The table: one line per entry under a header, times as RFC 3339.
    let out = ok(cvi(&s, a, &["audit", "--action", "provider"]));
    assert_eq!(out.lines().count(), 3, "header + 2 providers:\n{out}");
    assert!(
        out.contains("provider.new") && !out.contains("grant"),
        "{out}"
    );
    assert!(
        out.contains("admin@t.example") && out.contains('T') && out.contains('Z'),
        "{out}"
    );

    // A page at a time, with the way on; --all follows it and says how far it got.
    let o = cvi(&s, a, &["audit", "--limit", "1"]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(ok(o).lines().count(), 2, "one entry");
    assert!(err.contains("--before ") && err.contains("--all"), "{err}");
    let o = cvi(&s, a, &["--json", "audit", "--limit", "1", "--all"]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(json(o)["entries"].as_array().unwrap().len(), 3);
    assert!(err.contains("entries read (2 pages)"), "{err}");

    // Filters the server applies: nobody else's entries, nothing after the end of 2020.
    let none = json(cvi(
        &s,
        a,
        &["--json", "audit", "--actor", "someone@t.example"],
    ));
    assert_eq!(none["entries"], serde_json::json!([]));
    let old = json(cvi(&s, a, &["--json", "audit", "--until", "2020-12-31"]));
    assert_eq!(old["entries"], serde_json::json!([]));

    // Bad input: exit 2, a message that says what to give, nothing on stdout.
    for (args, says) in [
        (&["audit", "--since", "2027-13-01"][..], "since"),
        (&["audit", "--limit", "0"][..], "limit"),
        (&["audit", "--limit", "501"][..], "limit"),
    ] {
        let o = cvi(&s, a, args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // Organizers do not read the audit log.
    let org = token_in_t(&s, "ann@t.example", "organizer");
    let o = cvi(&s, Some(&org), &["audit"]);
    assert_ne!(o.status.code(), Some(0));
}

/// `cvi inject`: the switch and the status, in words and as JSON; a resync of a user with
/// no subscription says what to check (exit 1).
#[test]
fn inject_switches_and_tells_what_is_missing() {
    let s = serve();
    let admin = admin_token(&s);
    let out = ok(cvi(&s, Some(&admin), &["inject", "status"]));
    assert!(
        out.starts_with("Coordinates in every Teams meeting: disabled"),
        "{out}"
    );
    assert!(
        out.contains("Missing: this server has no Microsoft Graph access"),
        "{out}"
    );
    let v = json(cvi(&s, Some(&admin), &["--json", "inject", "enable"]));
    assert_eq!(v["enabled"], true, "{v}");
    assert_eq!(v["subscriptions"], 0, "{v}");
    let out = ok(cvi(&s, Some(&admin), &["inject", "disable"]));
    assert!(out.contains(": disabled"), "{out}");
    let o = cvi(
        &s,
        Some(&admin),
        &["inject", "resync", "--user", "ann@t.example"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has no calendar subscription"), "{err}");
    // Organizers may not switch it.
    let ann = token_in_t(&s, "ann@t.example", "organizer");
    let o = cvi(&s, Some(&ann), &["inject", "enable"]);
    assert_eq!(o.status.code(), Some(1));
    // A missing flag is bad usage (exit 2).
    assert_eq!(
        cvi(&s, Some(&admin), &["inject", "resync"]).status.code(),
        Some(2)
    );
}
