//! Rendering the block as HTML and as plain text. No template engine: this ships in the
//! wasm bundle, and a few `push_str`s with one escaping function are all it needs.

use super::{lang::Lang, ANCHOR_ID};
use crate::{https_url::HttpsUrl, Block, Coordinates};

/// Escapes text for HTML element content and quoted attribute values: the one HTML
/// escaper (the block, the server's consent page).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A field on one text line: control characters (a newline would split the block) become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Only https links become `href`s, and only when a browser would read them exactly as
/// written; anything else (`javascript:`, `data:`, a tab in the scheme) stays text.
fn safe_url(url: &str) -> bool {
    HttpsUrl::parse(url).is_some_and(|u| u.as_str() == url)
}

/// Renders the block for `coords` in `lang`. Deterministic: same input, same bytes, so the
/// add-in and the server produce identical blocks.
///
/// ```
/// use cvi_core::{invite::{render, Lang}, Coordinates, TenantKey, VideoId};
/// let c = Coordinates { tenant_key: Some(TenantKey::parse("813878896@t.plcm.vc").unwrap()),
///     video_id: Some(VideoId::from_body(122_326_964)), ..Coordinates::default() };
/// let b = render(&c, Lang::En);
/// assert!(b.text.starts_with("Join on a video conferencing device\nTenant key: 813878896@t.plcm.vc\nVideo ID: 122 326 964 "));
/// assert!(b.html.starts_with("<div id=\"cvi-vtc-block\""));
/// ```
#[must_use]
pub fn render(coords: &Coordinates, lang: Lang) -> Block {
    let w = lang.words();
    let tenant_key = coords.tenant_key.as_ref().map(ToString::to_string);
    let video_id = coords.video_id.as_ref().map(|v| v.grouped());
    let hint = match (&coords.ivr_uri, &coords.direct_dial_uri) {
        (Some(ivr), Some(direct)) => Some((ivr.as_str(), direct.as_str())),
        _ => None,
    };

    let mut text = String::new();
    let mut html = format!(
        "<div id=\"{ANCHOR_ID}\" style=\"margin:16px 0;font-family:'Segoe UI',Arial,sans-serif;font-size:14px;color:#242424\">"
    );
    let mut line = |html_part: String, text_part: String| {
        html.push_str(&html_part);
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&text_part);
    };
    line(
        format!(
            "<p style=\"margin:0 0 4px;font-weight:600\">{}</p>",
            escape(w.heading)
        ),
        w.heading.to_string(),
    );
    if let Some(tk) = &tenant_key {
        line(
            format!(
                "<p style=\"margin:0\">{}: {}</p>",
                escape(w.tenant_key),
                escape(tk)
            ),
            format!("{}: {tk}", w.tenant_key),
        );
    }
    if let Some(id) = &video_id {
        line(
            format!(
                "<p style=\"margin:0\">{}: <b>{}</b></p>",
                escape(w.video_id),
                escape(id)
            ),
            format!("{}: {id}", w.video_id),
        );
    }
    if let Some((ivr, direct)) = hint {
        // The template's own words are escaped too: translations may hold '&' or quotes.
        let fill = |esc: fn(&str) -> String| {
            w.dial_hint
                .split("{ivr}")
                .map(|part| {
                    part.split("{direct}")
                        .map(esc)
                        .collect::<Vec<_>>()
                        .join(&esc(direct))
                })
                .collect::<Vec<_>>()
                .join(&esc(ivr))
        };
        line(
            format!("<p style=\"margin:0\">{}</p>", fill(escape)),
            fill(one_line),
        );
    }
    if let Some(url) = &coords.more_info_url {
        let html_part = if safe_url(url) {
            format!(
                "<p style=\"margin:4px 0 0\"><a href=\"{}\">{}</a></p>",
                escape(url),
                escape(w.more_info)
            )
        } else {
            format!(
                "<p style=\"margin:4px 0 0\">{}: {}</p>",
                escape(w.more_info),
                escape(url)
            )
        };
        line(html_part, format!("{}: {}", w.more_info, one_line(url)));
    }
    html.push_str("</div>");
    Block { html, text }
}
