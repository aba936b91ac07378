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
    // Counted for the operator: the two INVITEs that named tenant t's key (the third
    // named no tenant).
    let (_, metrics) = door.serve.call("GET", "/metrics", None, None);
    let metrics = metrics.as_str().unwrap_or_default().to_string();
    assert!(
        metrics.contains("cvi_sip_failed_lookups_total 2\n"),
        "{metrics}"
    );

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
    let mut answered = 0;
    for n in 0..15 {
        s.send(options(100 + n).as_bytes()).unwrap();
    }
    while let Ok(k) = s.recv(&mut buf) {
        assert!(buf[..k].starts_with(b"SIP/2.0 200 OK"));
        answered += 1;
    }
    // A burst of 10 seconds' worth at 1/s; past it, over UDP (where a source may be
    // forged), not a byte goes back — no 503 echoing the request to a victim.
    assert_eq!(answered, 10);
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
        other
            .recv(&mut buf)
            .ok()
            .map(|k| String::from_utf8_lossy(&buf[..k]).to_string())
    };
    assert_eq!(from("127.0.0.2:0", 200), None, "same /24: over the limit");
    let other_net = from("127.0.1.2:0", 201).expect("another /24 is answered");
    assert!(other_net.starts_with("SIP/2.0 200 OK"), "{other_net}");
    // Over TCP the source is proven by the handshake: it is told to come back later.
    let mut tcp = std::net::TcpStream::connect(&sip).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let burst: String = (0..12)
        .map(|n| options(210 + n).replace("UDP", "TCP"))
        .collect();
    std::io::Write::write_all(&mut tcp, burst.as_bytes()).unwrap();
    let mut seen = String::new();
    while seen.matches("SIP/2.0 ").count() < 12 {
        let k = std::io::Read::read(&mut tcp, &mut buf).unwrap();
        assert!(k > 0, "{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..k]));
    }
    assert!(
        seen.contains("SIP/2.0 503 Service Unavailable\r\n") && seen.contains("Retry-After: 5"),
        "{seen}"
    );
}

/// The live meeting's direct-dial address put in a message's Request-URI, the rest of the
/// request line (and so what is wrong with it) untouched.
fn aimed_at(message: &[u8], address: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(message).to_string();
    let (line, _) = text.split_once("\r\n").unwrap();
    let Some(at) = line.find("sip:") else {
        return message.to_vec();
    };
    // The host ends the part replaced: the user part may hold ';' and '?' (RFC 4475 §3.1.1.2).
    let uri_end = line[at..].find(' ').map_or(line.len(), |i| at + i);
    let host_at = line[at..uri_end].rfind('@').map_or(at, |i| at + i);
    let end = line[host_at..]
        .find([';', '>', ' ', '?'])
        .map_or(line.len(), |i| host_at + i);
    let line = format!("{}sip:{address}{}", &line[..at], &line[end..]);
    // Keep non-UTF-8 bodies as they were: only the request line changes.
    let head_len = text.find("\r\n").unwrap();
    [line.as_bytes(), &message[head_len..]].concat()
}

/// RFC 4475's torture messages, each aimed at a live meeting: the valid ones are answered
/// (an INVITE redirected), the invalid ones refused with a 400 (505 for the version) or
/// dropped — never redirected (#23 item 10).
#[test]
fn rfc_4475_torture_messages_at_a_live_meeting() {
    let (_d, url) = sqlite();
    let door = start(url);
    door.provision("t", "813878896@t.plcm.vc");
    let live = door.issue("t", "m1", None);
    let address = format!("813878896.{live}@t.plcm.vc");
    let s = udp(&door);
    let mut buf = [0u8; 65_536];
    let mut answer = |bytes: &[u8]| {
        s.send(bytes).unwrap();
        s.recv(&mut buf)
            .ok()
            .map(|k| String::from_utf8_lossy(&buf[..k]).to_string())
    };
    for t in cvi_testkit::rfc4475::messages() {
        let name = format!("{} (RFC 4475 §{})", t.name, t.section);
        let is_response = t.bytes.starts_with(b"SIP/");
        let got = answer(&aimed_at(&t.bytes, &address));
        let status = got.as_deref().map(|r| &r[8..11]);
        if is_response {
            assert_eq!(status, None, "{name}: responses are not answered");
        } else if t.valid {
            let expect = if t.bytes.starts_with(b"INVITE ") {
                "302"
            } else {
                ""
            };
            let status = status.unwrap_or_else(|| panic!("{name}: valid, not answered"));
            assert_ne!(status, "400", "{name}: valid, refused: {got:?}");
            if !expect.is_empty() {
                assert_eq!(status, expect, "{name}: {got:?}");
            }
        } else if t.name != "badbranch" {
            assert!(
                matches!(status, None | Some("400" | "505" | "405")),
                "{name}: invalid, answered {got:?}"
            );
        }
    }
    // The user part %-escaped is the same address (RFC 3261 §19.1.4; RFC 4475 §3.1.1.3).
    let escaped: String = address
        .split_once('.')
        .map(|(key, rest)| {
            format!(
                "{}.{rest}",
                key.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
            )
        })
        .unwrap();
    let invite = |uri: &str, n: usize| {
        format!(
            "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-esc-{n}\r\n\
             From: <sip:a@b.invalid>;tag=1\r\nTo: <{uri}>\r\nCall-ID: esc-{n}\r\nCSeq: 1 INVITE\r\n\
             Content-Length: 0\r\n\r\n"
        )
    };
    let r = answer(invite(&format!("sip:{escaped}"), 1).as_bytes()).unwrap();
    assert!(r.starts_with("SIP/2.0 302 "), "{r}");
    assert!(r.contains(&format!("Contact: <sip:{address}>")), "{r}");
    // A tel: URI names no meeting: 416, not a silence (RFC 3261 §21.4.14).
    let r = answer(invite("tel:+1-201-555-0123", 2).as_bytes()).unwrap();
    assert!(
        r.starts_with("SIP/2.0 416 Unsupported URI Scheme\r\n"),
        "{r}"
    );
}

/// A big INVITE, built to be answered at length: 60 Via headers.
fn padded_invite(address: &str, branch: &str, call: &str) -> String {
    let vias: String = (0..60)
        .map(|i| {
            format!(
                "Via: SIP/2.0/UDP proxy{i}.invalid;branch=z9hG4bK-pad-{i}-{}\r\n",
                "x".repeat(40)
            )
        })
        .collect();
    format!(
        "INVITE sip:{address} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch={branch}\r\n{vias}\
         From: <sip:a@b.invalid>;tag=1\r\nTo: <sip:{address}>\r\nCall-ID: {call}\r\nCSeq: 1 INVITE\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Over UDP a source may be forged: an answer is replayed only to the identical request
/// from the same source, and nothing is ever sent that no request asked for (#23 items 1–2).
#[test]
fn udp_answers_go_only_where_asked() {
    let (_d, url) = sqlite();
    let door = start_with(url, &[]);
    door.provision("t", "813878896@t.plcm.vc");
    let live = door.issue("t", "m1", None);
    let address = format!("813878896.{live}@t.plcm.vc");
    let victim = UdpSocket::bind("127.0.0.2:0").unwrap();
    victim
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    victim.connect(&door.sip).unwrap();
    let mut buf = [0u8; 65_536];
    let big = padded_invite(&address, "z9hG4bK-amp", "amp-1");
    victim.send(big.as_bytes()).unwrap();
    let k = victim.recv(&mut buf).expect("the INVITE is answered");
    let first = buf[..k].to_vec();
    assert!(first.starts_with(b"SIP/2.0 302 ") && first.len() > 4_000);

    // Its retransmission (the same bytes, the same source) gets the same answer.
    victim.send(big.as_bytes()).unwrap();
    let k = victim.recv(&mut buf).unwrap();
    assert_eq!(
        buf[..k],
        first[..],
        "a retransmission: the same answer, To tag and all"
    );

    // A small forged datagram naming that branch gets an answer of its own size — never
    // the kept large one.
    let small = format!(
        "INVITE sip:{address} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-amp\r\n\
         From: <sip:a@b.invalid>;tag=1\r\nTo: <sip:{address}>\r\nCall-ID: forged\r\nCSeq: 1 INVITE\r\n\
         Content-Length: 0\r\n\r\n"
    );
    victim.send(small.as_bytes()).unwrap();
    let k = victim.recv(&mut buf).unwrap();
    assert!(
        k < small.len() + 1024,
        "{k} bytes for a {}-byte request",
        small.len()
    );
    assert!(String::from_utf8_lossy(&buf[..k]).contains("Call-ID: forged\r\n"));

    // No ACK came, and still nothing more arrives: no retransmission on a timer (the old
    // door resent its answer after 0.5 s, 1.5 s, 3.5 s… to whoever the INVITE claimed).
    victim
        .set_read_timeout(Some(Duration::from_millis(2_000)))
        .unwrap();
    assert!(victim.recv(&mut buf).is_err(), "nothing sent unasked");
}

/// SIP over TCP: one source holds at most 32 connections, and a message must arrive whole
/// within 10 s of its first byte (#23 item 9).
#[test]
fn tcp_connections_are_capped_per_source_and_per_message() {
    use std::io::{Read, Write};
    let (_d, url) = sqlite();
    let door = start_with(url, &[]);
    let from = |ip: &str| {
        let s = common::connect_from(ip, &door.sip);
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    };
    let mut held: Vec<_> = (0..32).map(|_| from("127.0.0.5")).collect();
    // The 33rd from that address is closed at once, unread.
    let mut extra = from("127.0.0.5");
    extra
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut buf = [0u8; 4096];
    assert!(matches!(extra.read(&mut buf), Ok(0) | Err(_)), "closed");
    // Another source is served meanwhile; so is each held connection.
    let mut other = from("127.0.1.5");
    let ping = options(300).replace("UDP", "TCP");
    other.write_all(ping.as_bytes()).unwrap();
    let k = other.read(&mut buf).unwrap();
    assert!(buf[..k].starts_with(b"SIP/2.0 200 OK"));
    held[0].write_all(ping.as_bytes()).unwrap();
    let k = held[0].read(&mut buf).unwrap();
    assert!(buf[..k].starts_with(b"SIP/2.0 200 OK"));

    // One byte a second never completes a message: closed within its deadline.
    let slow = &mut held[1];
    let started = std::time::Instant::now();
    slow.set_nonblocking(false).unwrap();
    let mut closed = false;
    for b in ping.bytes().take(20) {
        if slow.write_all(&[b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
        slow.set_read_timeout(Some(Duration::from_millis(1)))
            .unwrap();
        if matches!(slow.read(&mut buf), Ok(0)) {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "a trickled message was still held after {:?}",
        started.elapsed()
    );
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
