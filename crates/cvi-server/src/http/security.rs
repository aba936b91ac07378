//! Security headers on everything `cvi serve` serves, and the CORS allow-list.
//!
//! The Content-Security-Policy allows only what the add-in needs: its own origin, Office.js
//! and teams-js from Microsoft's CDNs, WebAssembly compilation, and the inline bootstrap
//! script that Trunk writes into each page, allowed by its hash (computed at start-up
//! from the built files, so it follows every rebuild). Framing is limited to the Outlook and
//! Teams hosts.

use std::path::Path;

use axum::http::{header, HeaderName, HeaderValue, Method};
use base64::Engine;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Hosts that may frame the add-in (Outlook on the web, new Outlook, Teams).
const FRAME_ANCESTORS: &str = "'self' https://outlook.office.com https://outlook.office365.com https://*.outlook.com \
     https://outlook.live.com https://*.office.com https://*.office365.com https://teams.microsoft.com \
     https://*.teams.microsoft.com https://*.cloud.microsoft";
/// Where Office.js and teams-js are loaded from.
const SCRIPT_CDNS: &str = "https://appsforoffice.microsoft.com https://res.cdn.office.net";

/// `'sha256-…'` sources for every inline `<script>` of the built index.html.
fn inline_script_hashes(index_html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = index_html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let digest = ring::digest::digest(&ring::digest::SHA256, &body.as_bytes()[..close]);
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
            ));
        }
        rest = &body[close..];
    }
    out
}

/// The Content-Security-Policy for this server, given the add-in it serves.
pub fn content_security_policy(dist: Option<&Path>) -> String {
    // Every page Trunk wrote (the pane's index.html, the command's command.html).
    let mut pages: Vec<_> = dist
        .and_then(|d| std::fs::read_dir(d).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    pages.sort();
    let mut all: Vec<String> = pages
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|html| inline_script_hashes(&html))
        .collect();
    all.dedup();
    let hashes = all.join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {SCRIPT_CDNS} {hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: https:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {FRAME_ANCESTORS}"
    )
}

/// The headers every response carries, as (name, value) pairs.
pub fn headers(csp: &str) -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(csp).expect("the CSP is ASCII"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin-allow-popups"),
        ),
    ]
}

/// A CORS layer for the allowed origins; `None` when there are none (same-origin only).
pub fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(3600))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = "<script src=\"/a.js\"></script><script type=\"module\">\nimport init from '/x.js';\n</script>";
        let h = inline_script_hashes(html);
        assert_eq!(h.len(), 1);
        let expect = ring::digest::digest(&ring::digest::SHA256, b"\nimport init from '/x.js';\n");
        assert_eq!(
            h[0],
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(expect.as_ref())
            )
        );
    }
}
