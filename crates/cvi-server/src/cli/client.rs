//! The HTTP side of the admin commands: requests to the policy API, problem documents
//! turned into exit codes, and output as a table or JSON.

use cvi_core::api::{
    endpoints::{self, Endpoint},
    Problem, ProblemKind,
};
use serde::Serialize;
use serde_json::Value;

use super::CliError;

/// A policy API endpoint plus credentials.
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(server: &str, token: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        Client {
            base: server.trim_end_matches('/').to_string(),
            token,
            agent,
        }
    }

    /// Calls endpoint `E` with its path parameters `args` (in order), its query and its
    /// body (`&()` for none), and reads its typed reply.
    pub fn request<E: Endpoint>(
        &self,
        args: &[&str],
        query: &E::Query,
        body: &E::Request,
    ) -> Result<E::Reply, CliError> {
        let encode = |what: &str, e: String| {
            CliError::Failure(format!("cannot encode the request's {what}: {e}"))
        };
        // serde_urlencoded leaves absent (None) fields out.
        let query =
            serde_urlencoded::to_string(query).map_err(|e| encode("query", e.to_string()))?;
        let path = match query.as_str() {
            "" => E::path(args),
            q => format!("{}?{q}", E::path(args)),
        };
        let body = Some(serde_json::to_value(body).map_err(|e| encode("body", e.to_string()))?)
            .filter(|b| !b.is_null());
        let reply = self.call(E::METHOD.as_str(), &path, body.as_ref())?;
        serde_json::from_value(reply).map_err(|e| {
            CliError::Failure(format!(
                "the server's reply to {} {path} is not what this cvi expects ({e}); is it the same version?",
                E::METHOD.as_str()
            ))
        })
    }

    /// Sends a request and returns the JSON reply, or the problem as a `CliError`.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        let url = format!("{}{}{path}", self.base, endpoints::BASE);
        let mut req = http::Request::builder()
            .method(method)
            .uri(&url)
            .header("accept", "application/json");
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let result = match body {
            Some(b) => self.agent.run(
                req.header("content-type", "application/json")
                    .body(b.to_string())
                    .map_err(|e| CliError::Input(format!("bad request: {e}")))?,
            ),
            None => self.agent.run(
                req.body(())
                    .map_err(|e| CliError::Input(format!("bad request: {e}")))?,
            ),
        };
        let mut resp = result.map_err(|e| {
            CliError::Failure(format!("cannot reach the policy API at {}: {e} (is `cvi serve` running? set --server or CVI_SERVER)", self.base))
        })?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let Ok(problem) = serde_json::from_value::<Problem>(value.clone()) else {
            // Not our API's answer (a proxy's error page, say): show it as it came.
            return Err(CliError::Failure(format!("HTTP {status}: {value}")));
        };
        let msg = format!(
            "{} ({}, HTTP {status})",
            problem.detail,
            problem.kind.slug()
        );
        Err(match problem.kind {
            ProblemKind::InvalidInput | ProblemKind::PayloadTooLarge => CliError::Input(msg),
            ProblemKind::Unauthenticated if self.token.is_none() => {
                CliError::Input(format!("{msg}; pass --token or set CVI_TOKEN"))
            }
            _ => CliError::Failure(msg),
        })
    }
}

/// Prints a typed reply: pretty JSON with `--json`, else a table (arrays) or key/value
/// lines.
pub fn show<T: Serialize>(reply: &T, json: bool) {
    print(&serde_json::to_value(reply).unwrap_or_default(), json);
}

/// Prints a reply: pretty JSON with `--json`, else a table (arrays) or key/value lines.
pub fn print(value: &Value, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
        return;
    }
    match value {
        Value::Array(rows) if rows.is_empty() => println!("(none)"),
        Value::Array(rows) => print_table(rows),
        Value::Object(map) => {
            let width = map.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in map {
                if k == "block" {
                    continue; // the rendered invite block is for `--json` and `cvi invite upsert`
                }
                println!("{k:<width$}  {}", cell(v));
            }
        }
        other => println!("{}", cell(other)),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

fn print_table(rows: &[Value]) {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        if let Value::Object(m) = r {
            for k in m.keys() {
                if !cols.contains(k) && k != "block" {
                    cols.push(k.clone());
                }
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cols.iter().map(|c| cell(&r[c.as_str()])).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<&str>| {
        let parts: Vec<String> = vals
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(
        cols.iter()
            .map(|c| c.to_uppercase())
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for r in &cells {
        line(r.iter().map(String::as_str).collect());
    }
}
