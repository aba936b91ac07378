//! `cvi invite …` run as a process on sample bodies.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

const COORDS: &str = r#"{"meeting_key":"m1","provider":"Polycom","tenant_key":"813878896@t.plcm.vc","video_id":"1223269647",
 "ivr_uri":"813878896@t.plcm.vc","direct_dial_uri":"813878896.1223269647@t.plcm.vc",
 "more_info_url":"https://dialin.plcm.vc/teams/?key=813878896&conf=1223269647","block":{"html":"<script>x</script>","text":"x"}}"#;

fn cvi(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cvi"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        // `cvi` may reject its arguments and exit before reading stdin; that is
        // what several tests check, so a closed pipe is not a failure here.
        match child.stdin.take().unwrap().write_all(s.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.unwrap(),
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn upsert_extract_remove_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let body = "<html><body><p>Agenda &amp; notes</p>\n</body></html>\n";
    let body_path = dir.path().join("body.html");
    std::fs::write(&body_path, body).unwrap();
    let coords_path = dir.path().join("c.json");
    std::fs::write(&coords_path, COORDS).unwrap();
    let b = body_path.to_str().unwrap();

    let up = stdout(&cvi(
        &[
            "invite",
            "upsert",
            b,
            "--coordinates",
            coords_path.to_str().unwrap(),
            "--lang",
            "de",
        ],
        None,
    ));
    assert!(up.contains("Über ein Videokonferenzgerät teilnehmen") && up.contains("122 326 964 7"));
    assert!(
        !up.contains("<script>"),
        "the block comes from the fields, never from the JSON's html"
    );
    assert!(up.starts_with("<html><body><p>Agenda &amp; notes</p>\n<div id=\"cvi-vtc-block\""));
    // Idempotent, through stdin, with inline JSON.
    let again = stdout(&cvi(
        &[
            "invite",
            "upsert",
            "-",
            "--coordinates",
            COORDS,
            "--lang",
            "de",
        ],
        Some(&up),
    ));
    assert_eq!(again, up);

    let ex: serde_json::Value =
        serde_json::from_str(&stdout(&cvi(&["invite", "extract", "-"], Some(&up)))).unwrap();
    assert_eq!(ex["status"], "ok");
    assert_eq!(ex["video_id"], "1223269647");
    assert_eq!(ex["direct_dial_uri"], "813878896.1223269647@t.plcm.vc");

    std::fs::write(&body_path, &up).unwrap();
    assert_eq!(stdout(&cvi(&["invite", "remove", b], None)), body);
    let none: serde_json::Value =
        serde_json::from_str(&stdout(&cvi(&["invite", "extract", "-"], Some(body)))).unwrap();
    assert_eq!(none, serde_json::json!({"status": "none"}));
}

#[test]
fn text_bodies() {
    let up = stdout(&cvi(
        &["invite", "upsert", "-", "--text", "--coordinates", COORDS],
        Some("Hello"),
    ));
    assert!(up.starts_with("Hello\n\nJoin on a video conferencing device\nTenant key: 813878896@t.plcm.vc\nVideo ID: 122 326 964 7\n"));
    assert_eq!(
        stdout(&cvi(&["invite", "remove", "-", "--text"], Some(&up))),
        "Hello"
    );
}

#[test]
fn bad_input_exits_2_with_a_reason() {
    for (args, needle) in [
        (
            vec![
                "invite",
                "upsert",
                "-",
                "--coordinates",
                "{\"video_id\":\"1\"}",
            ],
            "Video ID has 10 digits",
        ),
        (
            vec![
                "invite",
                "upsert",
                "-",
                "--coordinates",
                r#"{"tenant_key":"813878896@t.plcm.vc"}"#,
            ],
            "tenant_key and video_id",
        ),
        (
            vec![
                "invite",
                "upsert",
                "-",
                "--coordinates",
                COORDS,
                "--lang",
                "tlh",
            ],
            "--lang",
        ),
        (
            vec![
                "invite",
                "upsert",
                "-",
                "--coordinates",
                "/no/such/file.json",
            ],
            "cannot read coordinates file",
        ),
        (
            vec!["invite", "extract", "/no/such/body.html"],
            "cannot read body",
        ),
    ] {
        let o = cvi(&args, Some("<p>x</p>"));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "nothing half-written on stdout");
    }
    let mut c = Command::new(env!("CARGO_BIN_EXE_cvi"))
        .args(["invite", "extract", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(&[0xff, 0xfe, b'<'])
        .unwrap();
    let o = c.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not UTF-8"));
}

/// The issue's reproduction: an invite carrying Microsoft's 2021–22 block. `upsert` must
/// replace it (never write ours beside it), and `extract` must see both when both are there.
#[test]
fn microsoft_2021_block_is_replaced_not_doubled() {
    let ms = "Join with a video conferencing device\nfabrikam@m.webex.com Video Conference ID: 119 204 377 5\nAlternate VTC instructions\n";
    let found: serde_json::Value = serde_json::from_str(&stdout(&cvi(
        &["invite", "extract", "--text", "-"],
        Some(ms),
    )))
    .unwrap();
    assert_eq!(
        (
            found["status"].as_str(),
            found["provider"].as_str(),
            found["video_id"].as_str()
        ),
        (Some("ok"), Some("Cisco"), Some("1192043775"))
    );
    assert_eq!(found["direct_dial_uri"], "1192043775.fabrikam@m.webex.com");

    let dir = tempfile::tempdir().unwrap();
    let coords = dir.path().join("c.json");
    std::fs::write(&coords, COORDS).unwrap();
    let up = stdout(&cvi(
        &[
            "invite",
            "upsert",
            "-",
            "--text",
            "--coordinates",
            coords.to_str().unwrap(),
        ],
        Some(ms),
    ));
    assert!(
        !up.contains("119 204 377 5"),
        "Microsoft's block replaced: {up}"
    );
    assert_eq!(
        up.matches("video conferencing device").count(),
        1,
        "one block: {up}"
    );
    let after: serde_json::Value = serde_json::from_str(&stdout(&cvi(
        &["invite", "extract", "--text", "-"],
        Some(&up),
    )))
    .unwrap();
    assert_eq!(
        (after["status"].as_str(), after["video_id"].as_str()),
        (Some("ok"), Some("1223269647"))
    );

    // Both blocks in one body: a conflict, with both candidates.
    let both = format!("{up}\n\n{ms}");
    let c: serde_json::Value = serde_json::from_str(&stdout(&cvi(
        &["invite", "extract", "--text", "-"],
        Some(&both),
    )))
    .unwrap();
    assert_eq!(c["status"], "conflict");
    assert_eq!(c["candidates"].as_array().unwrap().len(), 2);
}

/// `--text` keeps a text body with `<` in it text; sniffing would take it for HTML.
#[test]
fn extract_takes_the_body_kind() {
    let body = "Budget <10k, see the <draft> sheet.\nJoin with a video conferencing device\nteams@vc.contoso.com\nVideo Conference ID: 117 318 678 0\n";
    let text: serde_json::Value = serde_json::from_str(&stdout(&cvi(
        &["invite", "extract", "--text", "-"],
        Some(body),
    )))
    .unwrap();
    assert_eq!(text["video_id"], "1173186780");
    let sniffed: serde_json::Value =
        serde_json::from_str(&stdout(&cvi(&["invite", "extract", "-"], Some(body)))).unwrap();
    assert_eq!(sniffed["status"], "none");
    let both = cvi(&["invite", "extract", "--text", "--html", "-"], Some(body));
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("--html"));
}

/// `cvi otd extract` on every real invite of cvi-core's fixture table: a panel gets one
/// address to dial whenever the invite holds one meeting, and none when it holds none or
/// several that disagree.
#[test]
fn one_touch_dial_on_every_real_invite() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../cvi-core/tests/fixtures/real");
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let body = raw.split_once("#---\n").unwrap().1;
        let file = tmp.path().join(&name);
        std::fs::write(&file, body).unwrap();
        let mut args = vec!["otd", "extract", file.to_str().unwrap()];
        if name.ends_with(".txt") {
            args.push("--text");
        } else if name.ends_with(".html") {
            args.push("--html");
        }
        let v: serde_json::Value = serde_json::from_str(&stdout(&cvi(&args, None))).unwrap();
        match v["status"].as_str() {
            Some("ok") => {
                let dial = v["panel_dial"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: {v}"));
                match v["direct_dial_uri"].as_str() {
                    Some(direct) => assert_eq!(dial, format!("sip:{direct}"), "{name}"),
                    None => {
                        assert_eq!(
                            dial,
                            format!("sip:{}", v["ivr_uri"].as_str().unwrap()),
                            "{name}"
                        );
                        assert_eq!(
                            v["panel_dtmf"].as_str(),
                            Some(format!("{}#", v["video_id"].as_str().unwrap()).as_str()),
                            "{name}"
                        );
                    }
                }
            }
            Some("none" | "conflict") => assert!(v.get("panel_dial").is_none(), "{name}: {v}"),
            other => panic!("{name}: status {other:?}"),
        }
        seen += 1;
    }
    assert!(seen >= 40);
}
