//! The requests this server makes to Microsoft (Entra's OpenID metadata and token endpoint,
//! Graph). They go through ureq — the workspace's one HTTP client, also the CLI's and the
//! tests' — on tokio's blocking pool: these calls are few (tokens and keys are cached), and a
//! slow Microsoft endpoint then holds a pool thread, never a runtime worker.

use std::time::Duration;

use http::Method;
use serde::de::DeserializeOwned;

/// The largest answer read from Microsoft (a page of Graph results is far smaller).
const REPLY_LIMIT: u64 = 4 * 1024 * 1024;

/// An agent with fixed time bounds. Redirects are never followed here: a caller that
/// allows them (OIDC discovery) checks each `Location` itself.
#[derive(Clone)]
pub struct Outbound {
    agent: ureq::Agent,
}

/// What to send.
pub enum Body {
    None,
    Json(serde_json::Value),
    /// `application/x-www-form-urlencoded` pairs (Entra's token endpoint).
    Form(Vec<(String, String)>),
}

/// An answer of any status.
pub struct Reply {
    pub status: u16,
    /// `Retry-After` in seconds, when given as seconds (Graph's throttling answers).
    pub retry_after: Option<u64>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("an unreadable answer: {e}"))
    }
}

impl Outbound {
    /// `connect` bounds the connection, `total` the whole exchange.
    pub fn new(connect: Duration, total: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(connect))
            .timeout_global(Some(total))
            .build()
            .into();
        Outbound { agent }
    }

    /// One request; `Err` when no answer came (connection, timeout, unreadable body).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        body: Body,
    ) -> Result<Reply, String> {
        self.send_with(method, url, bearer, &[], body).await
    }

    /// [`Outbound::send`] with more headers (`If-Match`, `Prefer`).
    pub async fn send_with(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&'static str, String)],
        body: Body,
    ) -> Result<Reply, String> {
        let mut req = http::Request::builder().method(method.clone()).uri(url);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        if let Some(t) = bearer {
            req = req.header(http::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let (req, bytes) = match body {
            Body::None => (req, None),
            Body::Json(v) => (
                req.header(http::header::CONTENT_TYPE, "application/json"),
                Some(v.to_string().into_bytes()),
            ),
            Body::Form(pairs) => (
                req.header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                ),
                Some(
                    form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish()
                        .into_bytes(),
                ),
            ),
        };
        let agent = self.agent.clone();
        let what = format!("{method} {url}");
        let what_join = what.clone();
        let run = move || -> Result<Reply, String> {
            let fail = |e: ureq::Error| format!("{what}: {e}");
            let mut resp = match bytes {
                Some(b) => agent.run(req.body(b).map_err(|e| format!("{what}: {e}"))?),
                None => agent.run(req.body(()).map_err(|e| format!("{what}: {e}"))?),
            }
            .map_err(fail)?;
            let header = |name: http::header::HeaderName| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after = header(http::header::RETRY_AFTER).and_then(|v| v.trim().parse().ok());
            let location = header(http::header::LOCATION);
            let status = resp.status().as_u16();
            let body = resp
                .body_mut()
                .with_config()
                .limit(REPLY_LIMIT)
                .read_to_vec()
                .map_err(fail)?;
            Ok(Reply {
                status,
                retry_after,
                location,
                body,
            })
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| format!("{what_join}: {e}"))?
    }
}
