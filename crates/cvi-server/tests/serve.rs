//! `cvi serve` as a user runs it: the real binary on a random port.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Command,
};

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("server accepts connections");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serves_health_and_the_add_in_then_stops_on_sigterm() {
    let dist = tempfile::tempdir().unwrap();
    add_in_pages(dist.path());
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>add-in</title>",
    )
    .unwrap();
    let (mut server, addr) = serve_dist(dist.path());

    assert_eq!(get(&addr, "/healthz"), (200, "ok\n".to_string()));
    assert_eq!(get(&addr, "/readyz"), (200, "ready\n".to_string()));
    assert!(
        dist.path().join("cvi.db").exists(),
        "the SQLite file is created on first start"
    );
    let (status, body) = get(&addr, "/");
    assert_eq!(status, 200);
    assert!(body.contains("<title>add-in</title>"));
    assert_eq!(get(&addr, "/no-such-file.js").0, 404);

    let child = server.process();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.0.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// `path` with `Accept-Encoding: accept` (none when empty): the status, the response's
/// head (lowercased) and its body.
fn get_encoded(addr: &str, path: &str, accept: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("server accepts connections");
    let accept = if accept.is_empty() {
        String::new()
    } else {
        format!("Accept-Encoding: {accept}\r\n")
    };
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&resp[..split]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    (status, head, resp[split + 4..].to_vec())
}

/// The build writes brotli and gzip copies beside the hashed files (`cargo xtask build`):
/// a browser that accepts one gets it, marked, and the file's own type; others the file.
#[test]
fn the_add_ins_files_go_compressed_to_a_browser_that_accepts_it() {
    let dist = tempfile::tempdir().unwrap();
    add_in_pages(dist.path());
    let wasm = "cvi-pane-7c26768b16c518f0_bg.wasm";
    for (suffix, body) in [("", "raw"), (".br", "brotli"), (".gz", "gzip")] {
        std::fs::write(dist.path().join(format!("{wasm}{suffix}")), body).unwrap();
    }
    std::fs::write(dist.path().join("style.css"), "body{}").unwrap();
    let (_server, addr) = serve_dist(dist.path());
    let path = format!("/{wasm}");
    for (accept, encoding, body) in [
        // Chromium over HTTPS; Chromium over plain HTTP (no `br`); no header at all.
        ("gzip, deflate, br, zstd", Some("br"), "brotli"),
        ("gzip, deflate", Some("gzip"), "gzip"),
        ("", None, "raw"),
    ] {
        let (status, head, got) = get_encoded(&addr, &path, accept);
        assert_eq!(status, 200, "{head}");
        // Named by its content: kept a year.
        assert!(
            head.contains("cache-control: public, max-age=31536000, immutable"),
            "{head}"
        );
        assert_eq!(
            String::from_utf8_lossy(&got),
            body,
            "Accept-Encoding: {accept}"
        );
        assert!(head.contains("content-type: application/wasm"), "{head}");
        match encoding {
            Some(e) => assert!(head.contains(&format!("content-encoding: {e}")), "{head}"),
            None => assert!(!head.contains("content-encoding"), "{head}"),
        }
    }
    // A file the build left without copies goes as it is, whatever is accepted; not named
    // by its content, it is asked about again each time.
    let (status, head, got) = get_encoded(&addr, "/style.css", "gzip, br");
    assert_eq!(
        (status, got.as_slice()),
        (200, b"body{}".as_slice()),
        "{head}"
    );
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(head.contains("cache-control: no-cache"), "{head}");
    // Each address serves its own page (the console is two).
    for (path, page) in [
        ("/", "index.html"),
        ("/pane", "pane.html"),
        ("/teams", "teams.html"),
        ("/admin", "admin.html"),
        ("/admin-usage", "admin-usage.html"),
    ] {
        let (status, head, body) = get_encoded(&addr, path, "");
        assert_eq!(status, 200, "{path}: {head}");
        assert_eq!(
            String::from_utf8_lossy(&body),
            format!("<!doctype html><title>{page}</title>"),
            "{path}"
        );
        assert!(head.contains("cache-control: no-cache"), "{path}: {head}");
    }
    // A hashed name not there (a deployment half copied) is not remembered as missing.
    let (status, head, _) = get_encoded(&addr, "/cvi-pane-0000000000000000_bg.wasm", "");
    assert_eq!(status, 404, "{head}");
    assert!(head.contains("cache-control: no-cache"), "{head}");
}

/// `cvi serve --dist DIR` on a random port with its SQLite file in `dir`: the server and
/// its address (`host:port`).
fn serve_dist(dir: &std::path::Path) -> (cvi_testkit::CviServe, String) {
    let db = format!("sqlite://{}", dir.join("cvi.db").display());
    let dist = dir.display().to_string();
    let server = common::spawn_cvi(&[
        "--listen",
        "127.0.0.1:0",
        "--dist",
        &dist,
        "--database",
        &db,
    ]);
    let addr = server.base.strip_prefix("http://").unwrap().to_string();
    (server, addr)
}

/// Every page `cvi serve --dist` needs, as documents titled with their file's name.
fn add_in_pages(dir: &std::path::Path) {
    for page in cvi_server::http::PAGES {
        std::fs::write(
            dir.join(page),
            format!("<!doctype html><title>{page}</title>"),
        )
        .unwrap();
    }
}

/// `cvi serve` with `args` after `--listen 127.0.0.1:0`: it must refuse them as a usage
/// error (exit 2) before serving; what it said on stderr.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cvi"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_dist_from_before_the_pane_had_its_page_is_a_usage_error() {
    let dist = tempfile::tempdir().unwrap();
    add_in_pages(dist.path());
    std::fs::remove_file(dist.path().join("pane.html")).unwrap();
    let err = refused(&["--dist".as_ref(), dist.path().as_os_str()]);
    assert!(
        err.contains("holds no pane.html;") && err.contains("cargo xtask build"),
        "{err}"
    );
}

#[test]
fn a_dist_without_index_is_a_usage_error() {
    let empty = tempfile::tempdir().unwrap();
    let err = refused(&["--dist".as_ref(), empty.path().as_os_str()]);
    assert!(
        err.contains("no index.html") && err.contains("cargo xtask build"),
        "{err}"
    );
}

#[test]
fn an_unknown_database_scheme_is_a_usage_error() {
    let err = refused(&["--database".as_ref(), "mysql://x".as_ref()]);
    assert!(err.contains("sqlite://FILE or postgres://"), "{err}");
}

#[test]
fn healthz_in_process() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let state = cvi_server::state::AppState::new(cvi_server::state::Config {
            database_url: "sqlite::memory:".into(),
            audience: "api://cvi".into(),
            issuers: vec![],
            dev_issuer: false,
            allow_loopback_http_issuer: false,
            graph: None,
            resolve_rate: 1.0,
            resolve_burst: 1.0,
            dist: None,
            public_url: "http://localhost".into(),
            cors_origins: vec![],
            jwks_min_refetch: None,
            metrics_on_main: true,
            consent_recheck: std::time::Duration::from_secs(86_400),
            issue_quota_per_hour: 0,
        })
        .await
        .unwrap();
        let app = cvi_server::http::app(state);
        let resp = app
            .oneshot(
                axum::http::Request::get("/healthz")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"ok\n");
    });
}

/// Metrics: a client cannot grow the label set with made-up methods, and with
/// --metrics-listen they are only on that address, not on the API's.
#[test]
fn metrics_stay_bounded_and_can_move_off_the_api_listener() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cvi.db").display());
    let metrics_port = cvi_testkit::free_port().unwrap();
    let metrics_at = format!("127.0.0.1:{metrics_port}");
    let server = common::spawn_cvi(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--metrics-listen",
        &metrics_at,
    ]);
    let addr = server.base.strip_prefix("http://").unwrap().to_string();
    for method in ["FOOBAR", "BREW", "GET"] {
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "{method} /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
    }
    assert_eq!(get(&addr, "/metrics").0, 404, "not on the API's listener");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (status, text) = loop {
        if let Ok(r) = std::panic::catch_unwind(|| get(&metrics_at, "/metrics")) {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "metrics listener never came up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status, 200);
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("FOOBAR") && !text.contains("BREW"), "{text}");
    assert!(text.contains("method=\"GET\""));
}

/// Waits for the server to close `s`; how long it took, or `None` within `limit`.
fn closed_within(s: &mut TcpStream, limit: std::time::Duration) -> Option<std::time::Duration> {
    let start = std::time::Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(start.elapsed())
            }
            Err(_) => return None,
        }
        if start.elapsed() > limit {
            return None;
        }
    }
}

/// #23 item 8: a connection that sends nothing is closed (hyper would wait for its first
/// bytes for ever); an HTTP/2 connection that goes quiet is closed after --idle-timeout;
/// one source holds at most 256 connections, and the others are served meanwhile.
#[test]
fn silent_idle_and_crowding_connections_are_closed() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cvi.db").display());
    let server = common::spawn_cvi(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--idle-timeout",
        "2",
    ]);
    let addr = server.base.strip_prefix("http://").unwrap().to_string();
    let mut silent = common::connect_from("127.0.2.1", &addr);

    // HTTP/2 with prior knowledge (RFC 9113 §3.4): the preface and an empty SETTINGS
    // frame, then nothing.
    let mut h2 = common::connect_from("127.0.2.3", &addr);
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .unwrap();
    let quiet = closed_within(&mut h2, Duration::from_secs(8))
        .expect("a quiet HTTP/2 connection is closed");
    assert!(
        quiet >= Duration::from_millis(1_500),
        "closed after {quiet:?}, before its idle timeout"
    );

    // 256 connections from one address; the 257th is closed at once.
    let crowd: Vec<TcpStream> = (0..256)
        .map(|_| {
            let mut s = common::connect_from("127.0.2.2", &addr);
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let mut one_more = common::connect_from("127.0.2.2", &addr);
    assert!(
        closed_within(&mut one_more, Duration::from_secs(2)).is_some(),
        "the 257th connection from one source is closed"
    );
    assert_eq!(get(&addr, "/healthz").0, 200, "another source is served");

    // The silent one: closed after the 10 s header timeout.
    let waited =
        closed_within(&mut silent, Duration::from_secs(20)).expect("a silent connection is closed");
    assert!(waited >= Duration::from_secs(3), "{waited:?}");
    drop(crowd);
}

/// Slowloris: 2,000 connections that never finish their request headers neither keep a
/// normal request waiting nor keep the server from stopping within its shutdown deadline.
#[test]
fn half_open_connections_neither_block_requests_nor_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cvi.db").display());
    let mut server = common::spawn_cvi(&[
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--shutdown-deadline",
        "3",
    ]);
    let addr = server.base.strip_prefix("http://").unwrap().to_string();
    // From ten addresses: one source holds at most 256 connections.
    let held: Vec<TcpStream> = (0..2_000)
        .map(|i| {
            let mut s = common::connect_from(&format!("127.0.1.{}", 1 + i % 10), &addr);
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let asked = std::time::Instant::now();
    assert_eq!(get(&addr, "/healthz").0, 200);
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(1),
        "a normal request waited {:?}",
        asked.elapsed()
    );
    let child = server.process();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let stopping = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < std::time::Duration::from_secs(3 + 3),
            "still running {:?} after SIGTERM with a 3 s deadline",
            stopping.elapsed()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    drop(held);
}

/// `cvi serve --demo --dev-issuer` with a built add-in prints links that sign in: the
/// scheduler as the demo organizer, the admin console as the demo admin.
#[test]
fn the_demo_prints_a_signed_in_link_for_each_page() {
    use std::io::BufRead;
    let dist = tempfile::tempdir().unwrap();
    add_in_pages(dist.path());
    let db = format!("sqlite://{}", dist.path().join("cvi.db").display());
    let mut server = cvi_testkit::KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_cvi"))
            .args(["serve", "--listen", "127.0.0.1:0", "--dev-issuer", "--demo"])
            .arg("--dist")
            .arg(dist.path())
            .args(["--database", &db])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = std::io::BufReader::new(server.0.stdout.take().unwrap());
    // (page, user, URL) from "cvi serve: PAGE, signed in as USER: URL"
    let mut links = Vec::new();
    for line in out.lines() {
        let line = line.unwrap();
        let Some((page, rest)) = line
            .strip_prefix("cvi serve: ")
            .and_then(|l| l.split_once(", signed in as "))
        else {
            continue;
        };
        let (user, url) = rest.split_once(": ").unwrap();
        links.push((page.to_string(), user.to_string(), url.to_string()));
        if links.len() == 2 {
            break;
        }
    }
    let pages: Vec<(&str, &str)> = links
        .iter()
        .map(|(p, u, _)| (p.as_str(), u.as_str()))
        .collect();
    assert_eq!(
        pages,
        [
            ("scheduler", "organizer@demo.example"),
            ("admin console", "admin@demo.example")
        ]
    );
    for (page, _, url) in &links {
        let (base, token) = url.split_once("#token=").unwrap();
        let path = if page == "scheduler" { "/" } else { "/admin" };
        assert!(
            base.ends_with(path) && base.starts_with("http://127.0.0.1:"),
            "{url}"
        );
        let api = base
            .trim_end_matches(path)
            .trim_end_matches('/')
            .to_string();
        // Each token is the role its page needs: the console's reads the providers.
        let (st, v) =
            cvi_testkit::call(&format!("{api}/api/v1/providers"), "GET", Some(token), None);
        match page.as_str() {
            "admin console" => {
                assert_eq!(st, 200, "{v}");
                assert_eq!(v[0]["name"], "Polycom", "{v}");
            }
            _ => assert_eq!(st, 403, "an organizer does not administer: {v}"),
        }
    }
}
