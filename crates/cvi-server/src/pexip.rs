//! A Pexip Infinity external policy server, for the service configuration request only:
//! `GET /policy/v1/service/configuration?local_alias=…&call_direction=…&…`, which Pexip
//! sends when a call arrives, authenticated with HTTP Basic credentials an admin created
//! (`cvi bridge new`), each scoped to one tenant and provider.
//!
//! Pexip's reference: "External policy requests" and "Service configuration responses"
//! (https://docs.pexip.com/admin/external_policy_requests.htm,
//! https://docs.pexip.com/admin/external_policy_responses.htm) and Pexip's own sample server
//! (github.com/pexip/example-external-policy, index.js). What it says and we rely on:
//! - every request parameter is in the query string, any may be empty, unknown ones appear
//!   (we read `local_alias`, `remote_alias`, `call_direction`, `trigger` and ignore the rest);
//! - the answer is `{"status":"success","action":"continue"|"reject","result":{…}}`; any
//!   other status, a non-200 or a timeout (5 s) makes Pexip fall back to its own
//!   configuration; `continue` with an empty `result` does the same on purpose;
//! - a gateway result names `service_type`, `name`, `service_tag`, `local_alias`,
//!   `remote_alias`, `outgoing_protocol`; to a Teams meeting `outgoing_protocol` is `teams`
//!   and `called_device_type` `teams_conference`, the remote alias the meeting's conference
//!   ID (the Video ID); `teams_proxy_name` must equal a Teams Connector's name on the bridge,
//!   or Pexip discards the whole answer, so it is sent only when the admin named one;
//! - string fields are at most 250 characters.
//!
//! The Teams join link is not a routable alias for Pexip, so it travels as an extra
//! top-level key (`teams_join_url`, which Pexip logs and ignores) next to `meeting_key`.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use cvi_core::ProviderName;
use serde_json::{json, Value};

use crate::{
    error::AppError,
    state::AppState,
    usecases::{
        self,
        resolution::{self, Door, Outcome},
        Error,
    },
};
use cvi_store::bridges::Bridge;

/// Where Pexip sends its service configuration request.
pub const PATH: &str = "/policy/v1/service/configuration";

/// `401` with the challenge Pexip answers with its configured credentials.
fn challenge(detail: &str) -> Response {
    let mut r = AppError::Unauthenticated(detail.to_string()).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"cvi policy\", charset=\"UTF-8\""),
    );
    r
}

/// The bridge whose HTTP Basic credentials `headers` carry.
async fn bridge(s: &AppState, headers: &HeaderMap) -> Result<Bridge, Response> {
    use headers::{authorization::Basic, Authorization, HeaderMapExt};
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(challenge("the policy endpoint needs the bridge's credentials (HTTP Basic); create them with `cvi bridge new`"));
    }
    let basic = headers
        .typed_get::<Authorization<Basic>>()
        .ok_or_else(|| challenge("malformed HTTP Basic credentials"))?;
    let (user, secret) = (basic.username(), basic.password());
    usecases::bridges::login(s, user, secret)
        .await
        .map_err(|e| AppError::from(e).into_response())?
        .ok_or_else(|| challenge("unknown bridge or wrong secret"))
}

/// Pexip's fields are at most 250 characters.
fn clip(s: &str) -> String {
    s.chars().take(250).collect()
}

/// Answers Pexip's service configuration request.
pub async fn service_configuration(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let b = match bridge(&s, &headers).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    match answer(&s, &b, &q).await {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn answer(s: &AppState, b: &Bridge, q: &HashMap<String, String>) -> Result<Value, AppError> {
    let fallback = json!({"status": "success", "action": "continue", "result": {}});
    let reject = json!({"status": "success", "action": "reject"});
    // Per calling device (Pexip's remote_address), so one dialer cannot starve the others.
    let who = q.get("remote_address").map_or("", |a| a.as_str());
    if let Err(retry) = s
        .resolve_limiter
        .check(&format!("bridge/{}/{}", b.username, clip(who)))
    {
        s.metrics.resolution("rate-limited");
        return Err(AppError::RateLimited(retry));
    }
    // Only calls arriving at the bridge are ours to route; its own dial-outs and
    // non-dial requests (OPTIONS, SUBSCRIBE) stay with its configuration.
    if q.get("call_direction").map(String::as_str) != Some("dial_in") {
        return Ok(fallback);
    }
    let alias = q.get("local_alias").map(|a| a.trim()).unwrap_or("");
    if alias.is_empty() || alias.len() > 512 {
        return Err(AppError::InvalidInput(
            "local_alias: the dialled alias is missing or longer than 512 characters".into(),
        ));
    }
    let provider: ProviderName = b
        .provider
        .parse()
        .map_err(|e| AppError::Internal(format!("bridge provider: {e}")))?;
    let config = s.config.get(&s.db, &b.tenant).await?;
    let Some(p) = config.provider(provider) else {
        return Ok(reject);
    };
    // The second stage of a Virtual Reception: the caller keyed the Video ID, which
    // arrives as the alias (digits, perhaps with a final '#').
    let keyed = alias.strip_suffix('#').unwrap_or(alias);
    let (dial, id) = if !keyed.contains('@') && keyed.bytes().all(|c| c.is_ascii_digit()) {
        let Some(id) = resolution::keyed(&config, keyed) else {
            return Ok(reject);
        };
        (p.tenant_key.to_string(), Some(id))
    } else {
        (alias.to_string(), None)
    };
    let outcome =
        match resolution::resolve(s, &b.tenant, &dial, id.as_ref(), Door::Bridge(provider)).await {
            Ok(o) => o,
            // Unknown, expired, cancelled, a bad check digit: one answer.
            Err(Error::UnknownMeeting | Error::BadVideoId(_) | Error::Invalid(_)) => {
                return Ok(reject)
            }
            Err(e) => return Err(e.into()),
        };
    let caller = q
        .get("remote_alias")
        .map(|a| clip(a))
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| clip(alias));
    Ok(match outcome {
        Outcome::Meeting { resolved, .. } => {
            let mut result = json!({
                "service_type": "gateway",
                "name": clip(&format!("cvi-{}-{}", provider, resolved.video_id)),
                "service_tag": "cvi",
                "description": clip(&format!("Teams meeting {}", resolved.video_id)),
                "local_alias": caller,
                "remote_alias": resolved.video_id,
                "outgoing_protocol": "teams",
                "called_device_type": "teams_conference",
                "call_type": "video",
            });
            if let Some(c) = &b.teams_connector {
                result["teams_proxy_name"] = json!(c);
            }
            let mut v = json!({"status": "success", "action": "continue", "result": result,
                               "meeting_key": resolved.meeting_key});
            if let Some(url) = resolved.teams_join_url {
                v["teams_join_url"] = json!(url);
            }
            v
        }
        // The tenant key alone: Pexip's Virtual Reception asks for the ID (a Teams-type
        // reception needs the Teams Connector's name; without one, the bridge's own
        // configuration decides).
        Outcome::Ivr(p) => match &b.teams_connector {
            Some(c) => json!({"status": "success", "action": "continue", "result": {
                "service_type": "two_stage_dialing",
                "name": clip(&format!("cvi-{}-ivr", p.name)),
                "service_tag": "cvi",
                "two_stage_dial_type": "teams",
                "teams_proxy_name": c,
            }}),
            None => fallback,
        },
    })
}
