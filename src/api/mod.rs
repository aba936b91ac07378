//! The typed client of the policy API (`/api/v1`, same origin as the page). Requests go
//! through the browser's `fetch` and replies through its JSON parser, then [`wire`]'s
//! readers: an HTTP crate (gloo-net) brought serde_json, wasm-streams and the `http` types
//! into every bundle, and serde's deserializer another ~20 KB, for a handful of calls with
//! a JSON body.

pub mod wire;

use cvi_core::api::{
    endpoints::{
        self, CancelEvent, CancelMeeting, DevToken, Endpoint, FindMeeting, IssueMeeting,
        MyEffectivePolicy, RescheduleEvent, ScheduleEvent, ShowMeeting, UpdateMeeting,
    },
    Role, TokenRequest,
};
pub use cvi_core::api::{
    EffectiveView as Effective, IssueRequest, Meeting, Problem, ProblemKind, Recurrence,
    RecurrencePattern, ScheduleRequest, Scheduled, UpdateRequest,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};
use wire::{Bad, FromJs, ToJs};

/// Why a call failed, sorted by what the user can do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer at all (offline, server down, blocked).
    Unreachable(String),
    /// The server said no, with an RFC 9457 problem.
    Problem(Problem),
    /// An answer we could not read.
    Unexpected(String),
}

impl ApiError {
    /// The problem's cause (`PolicyDisabled`, `ConsentMissing`, ...), if the server sent one.
    pub fn kind(&self) -> Option<ProblemKind> {
        match self {
            ApiError::Problem(p) => Some(p.kind),
            _ => None,
        }
    }

    /// What went wrong, in the server's words when it said something.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Problem(p) => p.detail.clone(),
            ApiError::Unreachable(m) | ApiError::Unexpected(m) => m.clone(),
        }
    }
}

/// The API at this page's origin, as one user.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    token: Option<String>,
}

impl Api {
    /// The API of the server that served this page.
    pub fn new(token: Option<String>) -> Api {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        Api {
            base: format!("{origin}{}", endpoints::BASE),
            token,
        }
    }

    /// One call of endpoint `E` (`cvi_core::api::endpoints`): its path parameters in
    /// order, the query pairs that are present, its body.
    pub(crate) async fn call<E: Endpoint>(
        &self,
        args: &[&str],
        query: &[(&str, Option<&str>)],
        body: Option<&E::Request>,
    ) -> Result<E::Reply, ApiError>
    where
        E::Request: ToJs,
        E::Reply: FromJs,
    {
        let body = body.map(ToJs::to_js);
        let reply = self
            .send(E::METHOD.as_str(), &path::<E>(args, query), body)
            .await?;
        E::Reply::from_js(&reply).map_err(unreadable)
    }

    /// One request: `method` on `path` (under `/api/v1`) with an optional JSON body; the
    /// successful reply's JSON, or the problem. Not generic, so the bundle holds one copy of
    /// the fetch for every endpoint.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<JsValue>,
    ) -> Result<JsValue, ApiError> {
        let unexpected = |e: JsValue| ApiError::Unexpected(js_message(&e));
        let headers = Headers::new().map_err(unexpected)?;
        headers
            .set("accept", "application/json")
            .map_err(unexpected)?;
        if let Some(t) = &self.token {
            headers
                .set("authorization", &format!("Bearer {t}"))
                .map_err(unexpected)?;
        }
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(b) = body {
            let json = js_sys::JSON::stringify(&b)
                .map_err(|_| ApiError::Unexpected("request is not JSON".into()))?;
            headers
                .set("content-type", "application/json")
                .map_err(unexpected)?;
            init.set_body(&json);
        }
        init.set_headers(&headers);
        let url = format!("{}{path}", self.base);
        let reply = JsFuture::from(gloo::utils::window().fetch_with_str_and_init(&url, &init))
            .await
            .map_err(|e| ApiError::Unreachable(js_message(&e)))?;
        read(reply.unchecked_into()).await
    }

    /// The signed-in user's effective policy.
    pub async fn my_policy(&self) -> Result<Effective, ApiError> {
        self.call::<MyEffectivePolicy>(&[], &[], None).await
    }

    /// Coordinates for a meeting key (the same key always gets the same Video ID).
    pub async fn issue(&self, req: &IssueRequest) -> Result<Meeting, ApiError> {
        self.call::<IssueMeeting>(&[], &[], Some(req)).await
    }

    /// New times (or subject) for a meeting.
    pub async fn update(&self, key: &str, req: &UpdateRequest) -> Result<Meeting, ApiError> {
        self.call::<UpdateMeeting>(&[key], &[], Some(req)).await
    }

    /// A meeting's coordinates and times as the server has them.
    pub async fn show(&self, key: &str) -> Result<Meeting, ApiError> {
        self.call::<ShowMeeting>(&[key], &[], None).await
    }

    /// The caller's meeting that holds `video_id`, if any (`None` for 404).
    pub async fn find_by_video_id(&self, video_id: &str) -> Result<Option<Meeting>, ApiError> {
        match self
            .call::<FindMeeting>(&[], &[("video_id", Some(video_id))], None)
            .await
        {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.kind() == Some(ProblemKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Cancels a meeting: its Video ID stops resolving.
    pub async fn cancel(&self, key: &str) -> Result<Meeting, ApiError> {
        self.call::<CancelMeeting>(&[key], &[], None).await
    }

    /// Schedules a Teams meeting with coordinates in the organizer's calendar (through
    /// Graph, by the server); a retry with the same key finds the same meeting and event.
    pub async fn schedule(&self, req: &ScheduleRequest) -> Result<Scheduled, ApiError> {
        self.call::<ScheduleEvent>(&[], &[], Some(req)).await
    }

    /// New subject or times for a scheduled meeting: its block and calendar event follow.
    pub async fn reschedule(&self, key: &str, req: &UpdateRequest) -> Result<Meeting, ApiError> {
        self.call::<RescheduleEvent>(&[key], &[], Some(req)).await
    }

    /// Cancels a scheduled meeting: the calendar event, then the coordinates.
    pub async fn cancel_event(&self, key: &str) -> Result<Meeting, ApiError> {
        self.call::<CancelEvent>(&[key], &[], None).await
    }

    /// The demo sign-in of a server started with `--dev-issuer` (an organizer token).
    pub async fn dev_token(&self, tenant: &str, user: &str) -> Result<String, ApiError> {
        let req = TokenRequest {
            tenant: tenant.to_string(),
            user: user.to_string(),
            role: Role::Organizer,
            app_id: None,
            groups: Vec::new(),
            oid: None,
        };
        Ok(self.call::<DevToken>(&[], &[], Some(&req)).await?.token)
    }
}

/// Endpoint `E`'s path with its parameters and the query pairs that are present.
pub(crate) fn path<E: Endpoint>(args: &[&str], query: &[(&str, Option<&str>)]) -> String {
    format!("{}{}", E::path(args), endpoints::query_string(query))
}

/// A successful reply that is not what the contract says.
fn unreadable(Bad(field): Bad) -> ApiError {
    ApiError::Unexpected(format!(
        "the server's reply has no valid `{field}`: is the add-in as new as the server?"
    ))
}

/// What a thrown JavaScript value says (an `Error`'s message, or the value as text).
fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

async fn read(resp: Response) -> Result<JsValue, ApiError> {
    let status = resp.status();
    // A reply cut off mid-body is as good as none.
    let text = async { JsFuture::from(resp.text()?).await }
        .await
        .map_err(|e| ApiError::Unreachable(js_message(&e)))?
        .as_string()
        .unwrap_or_default();
    let json = js_sys::JSON::parse(&text).map_err(|_| {
        ApiError::Unexpected(format!(
            "the server answered {status} with something that is not JSON"
        ))
    })?;
    if (200..300).contains(&status) {
        Ok(json)
    } else {
        let p = Problem::from_js(&json).map_err(|_| {
            ApiError::Unexpected(format!(
                "the server answered {status} without a problem document"
            ))
        })?;
        Err(ApiError::Problem(p))
    }
}
