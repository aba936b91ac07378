//! A real `cvi serve` process.

use std::{
    ffi::OsStr,
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::{KillOnDrop, Result};

/// A running `cvi serve`, killed when dropped.
#[derive(Debug)]
pub struct CviServe {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    /// `127.0.0.1:PORT` of the SIP front door, when started with `--sip`.
    pub sip: Option<String>,
    child: KillOnDrop,
}

impl CviServe {
    /// Starts `bin serve ARGS…` and waits for its "listening on" line (pass
    /// `--listen 127.0.0.1:0` to let it pick a port: the line says which). What it prints
    /// later (demo tokens) is drained, so it never writes into a closed pipe.
    pub fn start<S: AsRef<OsStr>>(bin: &Path, args: &[S]) -> Result<CviServe> {
        Self::start_with(Command::new(bin).arg("serve").args(args))
    }

    /// Like [`CviServe::start`], for a command the caller prepared (environment, ...).
    /// The server's log is dropped unless `CVI_TEST_SERVER_LOG` is set (then it goes to the
    /// test's stderr: set it, with `--nocapture`, to see why a test failed).
    pub fn start_with(cmd: &mut Command) -> Result<CviServe> {
        let show_log = std::env::var_os("CVI_TEST_SERVER_LOG").is_some();
        let log = match show_log {
            true => Stdio::inherit(),
            false => Stdio::null(),
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start cvi serve: {e}"))?;
        let stdout = child.stdout.take();
        let child = KillOnDrop(child);
        let mut out = BufReader::new(stdout.ok_or("cvi serve has no stdout")?);
        let mut line = String::new();
        let mut sip = None;
        // The SIP front door's line, when there is one, comes before "listening on".
        loop {
            line.clear();
            out.read_line(&mut line)
                .map_err(|e| format!("reading cvi serve's first line: {e}"))?;
            match line.trim().strip_prefix("cvi serve: SIP on udp+tcp ") {
                Some(at) => sip = Some(at.to_string()),
                None => break,
            }
        }
        std::thread::spawn(move || match show_log {
            true => std::io::copy(&mut out, &mut std::io::stderr()),
            false => std::io::copy(&mut out, &mut std::io::sink()),
        });
        let base = line
            .trim()
            .strip_prefix("cvi serve: listening on ")
            .ok_or_else(|| format!("cvi serve did not start (first line {line:?})"))?
            .trim_end_matches('/')
            .to_string();
        Ok(CviServe { base, sip, child })
    }

    /// The process (to kill it with `kill -9` in crash tests).
    pub fn process(&mut self) -> &mut KillOnDrop {
        &mut self.child
    }

    /// One request to this server: see [`call`].
    #[must_use]
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&format!("{}{path}", self.base), method, token, body)
    }

    /// A dev-issuer token (the server runs with `--dev-issuer`).
    pub fn token(&self, tenant: &str, user: &str, role: &str) -> Result<String> {
        let (status, v) = self.call(
            "POST",
            "/api/v1/dev/token",
            None,
            Some(serde_json::json!({"tenant": tenant, "user": user, "role": role})),
        );
        v["token"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| format!("no dev token (HTTP {status}: {v})"))
    }
}

/// A reply: status, content type, and the JSON body (or its text as a JSON string).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// 0 when the server did not answer at all.
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

/// One request with an optional bearer token and JSON body.
#[must_use]
pub fn request(url: &str, method: &str, token: Option<&str>, body: Option<Value>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let sent = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(b.to_string())
            .map(|r| agent.run(r)),
        None => req.body(()).map(|r| agent.run(r)),
    };
    let Ok(Ok(mut resp)) = sent else {
        return Reply {
            status: 0,
            content_type: String::new(),
            body: Value::Null,
        };
    };
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// [`request`], as (status, body).
#[must_use]
pub fn call(url: &str, method: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let r = request(url, method, token, body);
    (r.status, r.body)
}
