//! The SIP front door (`cvi serve --sip`) driven by real SIP clients from Debian — SIPp
//! (`sip-tester`) with the scenarios in tests/sip/ and sipsak — against a real `cvi serve`
//! on SQLite and on PostgreSQL. `cargo xtask setup` installs both clients; without them this
//! test fails and says so (it never skips).

#[path = "common/mod.rs"]
mod common;

use std::{
    net::UdpSocket,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use cvi_testkit::CviServe;
use serde_json::{json, Value};

const APP: &str = "11111111-2222-3333-4444-555555555555";
const JOIN: &str = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA1ZmE2@thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d";

fn tool(name: &str) -> PathBuf {
    let p = Path::new("/usr/bin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo xtask setup` (installs sip-tester and sipsak)",
        p.display()
    );
    p
}

fn scenario(name: &str) -> String {
    format!("{}/tests/sip/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Door {
    serve: CviServe,
    sip: String,
    admin: String,
    dir: tempfile::TempDir,
}

impl Door {
    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let (st, v) = self.serve.call(method, path, Some(token), body);
        assert!((200..300).contains(&st), "{method} {path}: {st} {v}");
        v
    }

    /// Provider + consent + global grant in tenant `t` under `tenant_key`.
    fn provision(&self, t: &str, tenant_key: &str) -> String {
        cvi_testkit::provision(&self.serve.base, t, tenant_key, &[APP])
            .unwrap_or_else(|e| panic!("provisioning tenant {t}: {e}"))
            .admin
    }

    fn issue(&self, t: &str, key: &str, join: Option<&str>) -> String {
        let org = self
            .serve
            .token(t, &format!("ann@{t}.example"), "organizer")
            .unwrap();
        let mut body = json!({"meeting_key": key, "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"});
        if let Some(j) = join {
            body["teams_join_url"] = json!(j);
        }
        let m = self.call("POST", "/api/v1/meetings", &org, Some(body));
        m["video_id"].as_str().unwrap().to_string()
    }

    /// Runs SIPp with `scenario` over `transport` (u1 = UDP, t1 = TCP) for each line of
    /// `targets` (the Request-URI's user@host); returns (exit code, log).
    fn sipp(&self, scenario_file: &str, transport: &str, targets: &[String]) -> (i32, String) {
        let inf = self.dir.path().join(format!("{scenario_file}.csv"));
        let mut csv = String::from("SEQUENTIAL\n");
        for t in targets {
            csv.push_str(&format!("{t};\n"));
        }
        std::fs::write(&inf, csv).unwrap();
        let log = self
            .dir
            .path()
            .join(format!("{scenario_file}.{transport}.log"));
        let _ = std::fs::remove_file(&log);
        let out = Command::new(tool("sipp"))
            .current_dir(self.dir.path())
            .args(["-sf", &scenario(scenario_file), "-inf"])
            .arg(&inf)
            .args(["-m", &targets.len().max(1).to_string(), "-t", transport])
            .args(["-timeout", "20s", "-nostdin", "-trace_logs", "-log_file"])
            .arg(&log)
            .args(["-i", "127.0.0.1", &self.sip])
            .output()
            .expect("sipp runs");
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        (
            out.status.code().unwrap_or(-1),
            format!("{log}\n{}", String::from_utf8_lossy(&out.stderr)),
        )
    }
}

/// A door whose SIP callers on loopback are trusted gateways (they get the Teams link).
fn start(database: String) -> Door {
    start_with(database, &["--sip-trusted", "127.0.0.0/8"])
}

fn start_with(database: String, more: &[&str]) -> Door {
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--dev-issuer",
        "--sip",
        "127.0.0.1:0",
        "--sip-rate",
        "1000",
    ];
    args.extend_from_slice(more);
    let serve = common::spawn_cvi(&args);
    let sip = serve
        .sip
        .clone()
        .expect("cvi serve printed its SIP address");
    let admin = serve.token("t", "admin@t.example", "admin").unwrap();
    Door {
        serve,
        sip,
        admin,
        dir: tempfile::tempdir().unwrap(),
    }
}

fn sqlite() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", d.path().join("cvi.db").display());
    (d, url)
}

/// Everything a room system and an SBC see, on one backend.
fn front_door(door: &Door) {
    door.provision("t", "813878896@t.plcm.vc");
    door.provision("u", "555000111@t.plcm.vc");
    let live = door.issue("t", "m1", Some(JOIN));
    let plain = door.issue("t", "m2", None);
    let cancelled = door.issue("t", "m3", None);
    let org = door.serve.token("t", "ann@t.example", "organizer").unwrap();
    door.call("DELETE", "/api/v1/meetings/m3", &org, None);
    let other_tenant = door.issue("u", "m9", None);

    // 302 over UDP and TCP, the Contact at the default gateway target (the partner's
    // direct-dial address) and the Teams join link alongside.
    for transport in ["u1", "t1"] {
        let (code, log) = door.sipp(
            "invite_302.xml",
            transport,
            &[format!("813878896.{live}@t.plcm.vc")],
        );
        assert_eq!(code, 0, "{transport}: {log}");
        assert!(
            log.contains(&format!("contact= <sip:813878896.{live}@t.plcm.vc>")),
            "{log}"
        );
        assert!(log.contains(&format!("join= {JOIN}")), "{log}");
    }

    // The IVR address: 302 to the IVR; a per-provider gateway target is honoured.
    door.call("PATCH", "/api/v1/providers/Polycom", &door.admin, Some(json!({
        "sip_gateway": "sips:{video_id}@gw.t.example;transport=tls", "sip_ivr": "sip:ivr-{tenant_key}"})));
    let (code, log) = door.sipp(
        "invite_302.xml",
        "u1",
        &[
            format!("813878896.{plain}@T.PLCM.VC"),
            "813878896@t.plcm.vc".to_string(),
        ],
    );
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains(&format!(
            "contact= <sips:{plain}@gw.t.example;transport=tls> join="
        )),
        "{log}"
    );
    assert!(
        log.contains("contact= <sip:ivr-813878896@t.plcm.vc>"),
        "{log}"
    );

    // One 404 for all that leads nowhere: unknown, cancelled, a bad check digit, another
    // tenant's meeting under this tenant's key, a lookalike domain, no tenant at all.
    let unknown = cvi_core::VideoId::from_body(123_456_789);
    let bad_digit = format!("{}{}", &live[..9], (live.as_bytes()[9] - b'0' + 1) % 10);
    let nowhere = vec![
        format!("813878896.{unknown}@t.plcm.vc"),
        format!("813878896.{cancelled}@t.plcm.vc"),
        format!("813878896.{bad_digit}@t.plcm.vc"),
        format!("813878896.{other_tenant}@t.plcm.vc"),
        format!("813878896.{live}@t.plcm.vc.evil.invalid"),
        format!("999.{live}@nowhere.invalid"),
    ];
    for transport in ["u1", "t1"] {
        let (code, log) = door.sipp("invite_404.xml", transport, &nowhere);
        assert_eq!(code, 0, "{transport}: every one answered 404: {log}");
    }

    // OPTIONS (an SBC's keep-alive) → 200 with Allow, on UDP and TCP.
    for transport in ["u1", "t1"] {
        let (code, log) = door.sipp("options.xml", transport, &[String::new()]);
        assert_eq!(code, 0, "{transport}: {log}");
    }
}

#[test]
fn sipp_against_the_front_door_on_sqlite() {
    let (_d, url) = sqlite();
    front_door(&start(url));
}

#[test]
fn sipp_against_the_front_door_on_postgres() {
    front_door(&start(common::postgres_database()));
}

/// Raw datagrams, as a broken or hostile client sends them.
fn udp(door: &Door) -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    s.connect(&door.sip).unwrap();
    s
}

fn options(n: usize) -> String {
    format!(
        "OPTIONS sip:t.plcm.vc SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-raw-{n}\r\n\
         From: <sip:a@b.invalid>;tag=1\r\nTo: <sip:t.plcm.vc>\r\nCall-ID: raw-{n}\r\nCSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn sipsak_and_garbage_do_not_harm_the_door() {
    let (_d, url) = sqlite();
    let door = start(url);
    door.provision("t", "813878896@t.plcm.vc");
    let live = door.issue("t", "m1", None);

    // Garbage, a response, a request without Via and an oversized datagram: dropped, no
    // answer; the door keeps serving.
    let s = udp(&door);
    let mut buf = [0u8; 4096];
    for junk in [
        b"\x00\x01\x02garbage\r\n\r\n".to_vec(),
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-x\r\nContent-Length: 0\r\n\r\n".to_vec(),
        options(1).replace("Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-raw-1\r\n", "").into_bytes(),
        [options(2).into_bytes(), vec![b'x'; 20_000]].concat(),
    ] {
        s.send(&junk).unwrap();
        assert!(s.recv(&mut buf).is_err(), "no answer to {:?}", String::from_utf8_lossy(&junk[..40.min(junk.len())]));
    }
    s.send(options(3).as_bytes()).unwrap();
    let n = s.recv(&mut buf).expect("still answering");
    assert!(buf[..n].starts_with(b"SIP/2.0 200 OK\r\n"));

    // sipsak, a second real client: OPTIONS, then an INVITE from a file (its redirect
    // not followed: the target's domain does not resolve here, and must not be dialled).
    let sipsak = tool("sipsak");
    let port = door.sip.rsplit(':').next().unwrap();
    let out = Command::new(&sipsak)
        .args(["-vv", "-s", &format!("sip:ping@localhost:{port}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("SIP/2.0 200 OK"),
        "{text}"
    );
    let invite = door.dir.path().join("invite.txt");
    std::fs::write(&invite, format!(
        "INVITE sip:813878896.{live}@t.plcm.vc SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-sipsak-1;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:room@example.invalid>;tag=1\r\nTo: <sip:813878896.{live}@t.plcm.vc>\r\n\
         Call-ID: sipsak-1@room\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")).unwrap();
    let out = Command::new(&sipsak)
        .args(["-vvv", "--ignore-redirects", "-f"])
        .arg(&invite)
        .args(["-s", &format!("sip:x@localhost:{port}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SIP/2.0 302 Moved Temporarily"), "{text}");
    assert!(
        text.contains(&format!("Contact: <sip:813878896.{live}@t.plcm.vc>")),
        "{text}"
    );

    // The 404s are one answer: byte for byte the same but for the echoed request fields.
    let invite = |n: usize, user: &str| {
        format!(
            "INVITE sip:{user}@t.plcm.vc SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-404-{n}\r\n\
             From: <sip:a@b.invalid>;tag=1\r\nTo: <sip:x@t.plcm.vc>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
             Content-Length: 0\r\n\r\n"
        )
    };
    let bad_digit = format!("{}{}", &live[..9], (live.as_bytes()[9] - b'0' + 1) % 10);
    let mut answers = Vec::new();
    for (n, user) in [
        format!("813878896.{}", cvi_core::VideoId::from_body(123_456_789)),
        format!("813878896.{bad_digit}"),
        format!("000.{live}"),
    ]
    .iter()
    .enumerate()
    {
        s.send(invite(n, user).as_bytes()).unwrap();
        let k = s.recv(&mut buf).unwrap();
        let r = String::from_utf8_lossy(&buf[..k]).to_string();
        let r = r.replace(&format!("z9hG4bK-404-{n}"), "B");
        let to = r.find("\r\nTo: ").unwrap();
        let tag_at = r[to..].find(";tag=").map(|i| to + i + 5).unwrap();
        let r = r.replace(&r[tag_at..tag_at + 16].to_string(), "T");
        answers.push(r);
    }
    assert!(
        answers[0].starts_with("SIP/2.0 404 Not Found\r\n"),
        "{}",
        answers[0]
    );
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:#?}");

    // BYE and CANCEL outside any transaction: 481; an unknown method: 405 with Allow.
    for (method, expect) in [
        ("BYE", "481 Call/Transaction Does Not Exist"),
        ("CANCEL", "481"),
        ("SUBSCRIBE", "405 Method Not Allowed"),
    ] {
        s.send(options(4).replace("OPTIONS", method).as_bytes())
            .unwrap();
        let n = s.recv(&mut buf).unwrap();
        let r = String::from_utf8_lossy(&buf[..n]);
        assert!(r.starts_with(&format!("SIP/2.0 {expect}")), "{method}: {r}");
    }
}

#[test]
fn one_source_is_rate_limited() {
    let (_d, url) = sqlite();
    let serve = common::spawn_cvi(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        &url,
        "--dev-issuer",
        "--sip",
        "127.0.0.1:0",
        "--sip-rate",
        "1",
    ]);
    let sip = serve.sip.clone().unwrap();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    s.connect(&sip).unwrap();
    let mut buf = [0u8; 4096];
    let mut statuses = Vec::new();
    for n in 0..15 {
        s.send(options(100 + n).as_bytes()).unwrap();
        let k = s.recv(&mut buf).unwrap();
        statuses.push(String::from_utf8_lossy(&buf[..12.min(k)]).to_string());
    }
    // A burst of 10 seconds' worth at 1/s, then 503 with Retry-After.
    assert_eq!(
        statuses.iter().filter(|s| s.contains("200")).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| s.contains("503")).count(),
        5,
        "{statuses:?}"
    );
    // The limit is per network: another address of the same /24 shares it (one host owns
    // many addresses); a source in another /24 has its own.
    let from = |addr: &str, n: usize| {
        let other = UdpSocket::bind(addr).unwrap();
        other
            .set_read_timeout(Some(Duration::from_millis(700)))
            .unwrap();
        other.connect(&sip).unwrap();
        other.send(options(n).as_bytes()).unwrap();
        let mut buf = [0u8; 4096];
        let k = other.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..k]).to_string()
    };
    let same_net = from("127.0.0.2:0", 200);
    assert!(same_net.starts_with("SIP/2.0 503"), "{same_net}");
    let other_net = from("127.0.1.2:0", 201);
    assert!(other_net.starts_with("SIP/2.0 200 OK"), "{other_net}");
}

/// The Teams join link lets anyone join from a browser: a caller that is not a trusted
/// gateway gets the redirect alone (#23 item 6).
#[test]
fn anonymous_callers_get_the_redirect_alone() {
    let (_d, url) = sqlite();
    let door = start_with(url, &[]);
    door.provision("t", "813878896@t.plcm.vc");
    let live = door.issue("t", "m1", Some(JOIN));
    let (code, log) = door.sipp(
        "invite_302.xml",
        "u1",
        &[format!("813878896.{live}@t.plcm.vc")],
    );
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains(&format!("contact= <sip:813878896.{live}@t.plcm.vc> join=")),
        "{log}"
    );
    assert!(!log.contains("meetup-join"), "no Teams link: {log}");
}
