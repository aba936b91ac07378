//! A local stand-in for the parts of Microsoft the server talks to: Entra (OpenID Connect
//! discovery and signing keys, the token endpoint) and Graph (calendar events, service
//! principals, group membership). It checks the request shapes Microsoft documents and
//! answers as Microsoft does, errors included:
//!
//! - OpenID Connect metadata ("Microsoft identity platform and OpenID Connect protocol",
//!   learn.microsoft.com/entra/identity-platform/v2-protocols-oidc, "Find your app's OpenID
//!   configuration document URI"): `GET /{tenant}/v2.0/.well-known/openid-configuration`,
//!   whose `issuer` is `…/{tid}/v2.0` for a tenant and the template `…/{tenantid}/v2.0` for
//!   `common` and `organizations`; `jwks_uri` is `…/{tenant}/discovery/v2.0/keys`, serving
//!   the keys the test sets (and hanging or failing when told: [`Jwks`]);
//! - token endpoint, `POST /{tenant}/oauth2/v2.0/token`, form-encoded:
//!   on-behalf-of ("Microsoft identity platform and OAuth 2.0 On-Behalf-Of flow",
//!   learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow: `grant_type`
//!   `urn:ietf:params:oauth:grant-type:jwt-bearer`, `client_id`, `client_secret`,
//!   `assertion`, `scope`, `requested_token_use=on_behalf_of`) and client credentials
//!   (…/v2-oauth2-client-creds-grant-flow: `scope` ending in `/.default`); a wrong secret is
//!   `401 {"error": "invalid_client", "error_description": "AADSTS7000215: …"}`;
//! - "Create event" (learn.microsoft.com/graph/api/user-post-events): `POST /v1.0/me/events`,
//!   JSON with `subject`, `body {contentType, content}`, `start`/`end {dateTime, timeZone}`;
//!   `201` with the event, `onlineMeeting.joinUrl` when `isOnlineMeeting`; the same
//!   `transactionId` again returns the event already created (Graph's retry guard);
//! - "Update event" (…/graph/api/event-update): `PATCH /v1.0/me/events/{id}` → `200`;
//!   "Delete event" (…/graph/api/event-delete): `DELETE` → `204`; an unknown id → `404`
//!   `ErrorItemNotFound`;
//! - "List servicePrincipals" (learn.microsoft.com/graph/api/serviceprincipal-list):
//!   `GET /v1.0/servicePrincipals?$filter=appId eq '{appId}'` → `{"value": [{"id", "appId"}]}`,
//!   and "List appRoleAssignments granted to a service principal"
//!   (…/graph/api/serviceprincipal-list-approleassignments):
//!   `GET /v1.0/servicePrincipals/{id}/appRoleAssignments` → `{"value": [{"appRoleId", …}]}`;
//!   both with an app-only token (client credentials);
//! - "directoryObject: getMemberGroups" (learn.microsoft.com/graph/api/directoryobject-getmembergroups):
//!   `POST /v1.0/users/{id}/getMemberGroups` with `{"securityEnabledOnly": bool}` and an
//!   app-only token → `{"value": [group ids]}`;
//! - throttling ("Microsoft Graph throttling guidance", learn.microsoft.com/graph/throttling):
//!   `429` with `Retry-After` in seconds and `{"error": {"code": "TooManyRequests"}}`.
//!
//! Faults are queued with [`Microsoft::fail_next`]: the next Graph calls answer them in turn.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
    Form, Json, Router,
};
use serde_json::{json, Value};

use crate::Result;

mod calendars;

/// The Graph application permissions (app role ids) a partner app needs (SPEC §2):
/// Calls.JoinGroupCall.All, Calls.JoinGroupCallAsGuest.All, Calls.AccessMedia.All,
/// OnlineMeetings.Read.All ("Microsoft Graph permissions reference",
/// learn.microsoft.com/graph/permissions-reference).
pub const PARTNER_APP_ROLES: [&str; 4] = [
    "f6b49018-60ab-4f81-83bd-22caeabfed2d",
    "fd7ccf6b-3d28-418b-9701-cd10f5cd2fd4",
    "a7a681dc-756e-4909-b988-f160edc6655f",
    "c1684f21-1984-47fa-9d61-2dc8c296bb70",
];

/// What the next Graph call answers instead of doing its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `429 TooManyRequests`, `Retry-After: 1`.
    Throttled,
    /// `503 serviceNotAvailable`, `Retry-After: 1`.
    Unavailable,
    /// `401 InvalidAuthenticationToken`.
    Unauthorized,
    /// `403 ErrorAccessDenied` (no Calendars.ReadWrite consent).
    Denied,
}

/// How the signing-keys endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jwks {
    /// The keys set with [`Microsoft::signing_keys`].
    #[default]
    Serve,
    /// Hangs for a minute, far longer than any request may wait.
    Slow,
    /// `500`, as a provider in trouble does.
    Fail,
}

#[derive(Default)]
struct Inner {
    /// The JWKS (`{"keys": [...]}`), how it is served, and how often it was fetched.
    keys: Value,
    jwks: Jwks,
    jwks_fetches: u32,
    /// Users' (by object id) transitive group ids, for getMemberGroups.
    member_groups: HashMap<String, Vec<String>>,
    /// Partner apps' service principals: app id → Graph app roles held.
    principals: HashMap<String, Vec<String>>,
    /// Live events by id, in creation order.
    events: Vec<(String, Value)>,
    requests: Vec<String>,
    faults: VecDeque<Fault>,
    created: usize,
    /// Users' calendars (by object id), for app-only access (`calendars`).
    mailboxes: HashMap<String, Vec<Value>>,
    /// The directory: (object id, UPN).
    users: Vec<(String, String)>,
    /// Live change-notification subscriptions, as created.
    subscriptions: Vec<Value>,
    /// The last etag handed out.
    etags: u64,
    /// How long every answer is held back (Graph's latency, simulated).
    latency: std::time::Duration,
    /// Requests on each mailbox being answered now, and how many were refused for
    /// exceeding Outlook's 4 at once.
    in_flight: HashMap<String, usize>,
    concurrency_refusals: u32,
    /// A client's edit that lands just before the next app PATCH of that event (user, id,
    /// changes): the PATCH then carries a stale etag.
    race: Option<(String, String, Value)>,
    /// The next subscriptions refused as Graph does without the calendar permission.
    refuse_subscriptions: u32,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    secret: String,
    /// `http://127.0.0.1:PORT`: what the metadata documents name.
    base: String,
}

/// The stand-in, serving on 127.0.0.1 until dropped with the test.
pub struct Microsoft {
    /// Authority and Graph base URL (`--authority-url`, `--graph-url`).
    pub base: String,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Microsoft {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Microsoft {
    /// Starts the stand-in; it accepts `client_secret` as our app's secret.
    pub fn start(client_secret: &str) -> Result<Microsoft> {
        Self::start_on(client_secret, 0)
    }

    /// [`Microsoft::start`] on a given loopback port (one a server was told about earlier).
    pub fn start_on(client_secret: &str, port: u16) -> Result<Microsoft> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("the Microsoft stand-in cannot listen: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let base = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                keys: json!({"keys": []}),
                ..Inner::default()
            })),
            secret: client_secret.to_string(),
            base: base.clone(),
        };
        let app = Router::new()
            .route(
                "/{tenant}/v2.0/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/{tenant}/discovery/v2.0/keys", get(keys))
            .route("/v1.0/users/{id}/getMemberGroups", post(member_groups))
            .route("/{tenant}/oauth2/v2.0/token", post(token))
            .route("/v1.0/me/events", post(create))
            .route("/v1.0/me/events/{id}", patch(update).delete(delete))
            .route("/v1.0/users", get(calendars::list_users))
            .route("/v1.0/users/{user}", get(calendars::get_user))
            .route(
                "/v1.0/groups/{id}/transitiveMembers/microsoft.graph.user",
                get(calendars::group_users),
            )
            .route(
                "/v1.0/users/{user}/calendarView",
                get(calendars::calendar_view),
            )
            .route(
                "/v1.0/users/{user}/events/{id}",
                get(calendars::get_event).patch(calendars::patch_event),
            )
            .route("/v1.0/subscriptions", post(calendars::create_subscription))
            .route(
                "/v1.0/subscriptions/{id}",
                axum::routing::delete(calendars::delete_subscription)
                    .patch(calendars::renew_subscription),
            )
            .route("/v1.0/servicePrincipals", get(principals))
            .route(
                "/v1.0/servicePrincipals/{id}/appRoleAssignments",
                get(assignments),
            )
            .layer(axum::middleware::from_fn_with_state(shared.clone(), slow))
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("microsoft-stand-in".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the stand-in");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await
                        .unwrap();
                });
            })
            .map_err(|e| e.to_string())?;
        Ok(Microsoft {
            base,
            shared,
            stop: Some(stop),
        })
    }

    /// The issuer of tenant `tid`'s tokens, `{base}/{tid}/v2.0` (Entra's v2.0 form).
    #[must_use]
    pub fn issuer(&self, tid: &str) -> String {
        format!("{}/{tid}/v2.0", self.base)
    }

    /// The keys the JWKS endpoint serves, as a JWK set (`{"keys": [...]}`).
    pub fn signing_keys(&self, jwks: Value) {
        self.lock().keys = jwks;
    }

    /// How the JWKS endpoint answers from now on.
    pub fn jwks(&self, mode: Jwks) {
        self.lock().jwks = mode;
    }

    /// How often the JWKS was fetched.
    #[must_use]
    pub fn jwks_fetches(&self) -> u32 {
        self.lock().jwks_fetches
    }

    /// The user with object id `oid` is a member of `groups` (transitively).
    pub fn member_groups(&self, oid: &str, groups: &[&str]) {
        self.lock().member_groups.insert(
            oid.to_string(),
            groups.iter().map(|g| g.to_string()).collect(),
        );
    }

    /// The app `app_id` has a service principal in every tenant, holding these Graph app
    /// roles (their ids).
    pub fn service_principal(&self, app_id: &str, app_roles: &[&str]) {
        self.lock().principals.insert(
            app_id.to_string(),
            app_roles.iter().map(|r| r.to_string()).collect(),
        );
    }

    /// Every answer from now on is held back this long (Graph's latency).
    pub fn latency(&self, latency: std::time::Duration) {
        self.lock().latency = latency;
    }

    /// Requests refused because a mailbox already had 4 being answered.
    #[must_use]
    pub fn concurrency_refusals(&self) -> u32 {
        self.lock().concurrency_refusals
    }

    /// The next Graph calls answer these faults, one each, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.lock().faults.extend(faults);
    }

    /// The calendar's live events (as created, then patched).
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.iter().map(|(_, e)| e.clone()).collect()
    }

    /// Every request seen: `"token on_behalf_of contoso"`, `"POST /me/events"`, ….
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }
}

/// Outlook's limit of concurrent requests per app and mailbox ("Microsoft Graph
/// service-specific throttling limits", learn.microsoft.com/graph/throttling-limits).
const MAILBOX_CONCURRENCY: usize = 4;

/// Holds each answer back by the latency set with [`Microsoft::latency`], and refuses a
/// fifth concurrent request on one mailbox as Outlook does (`429`, `ApplicationThrottled`,
/// "MailboxConcurrency").
async fn slow(
    State(s): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mailbox = req
        .uri()
        .path()
        .strip_prefix("/v1.0/users/")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(_, rest)| rest.starts_with("events") || rest.starts_with("calendarView"))
        .map(|(user, _)| user.to_string());
    let latency = {
        let mut inner = s.inner.lock().unwrap();
        if let Some(m) = &mailbox {
            let n = inner.in_flight.entry(m.clone()).or_default();
            if *n >= MAILBOX_CONCURRENCY {
                inner.concurrency_refusals += 1;
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    graph_error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "ApplicationThrottled",
                        "Application is over its MailboxConcurrency limit.",
                    ),
                )
                    .into_response();
            }
            *n += 1;
        }
        inner.latency
    };
    // Counted out when the request ends however it ends: a client that hangs up (a server
    // killed mid-request) drops this future while it waits, and Outlook does not keep
    // counting a request it has finished with.
    let _in_flight = mailbox.map(|m| InFlight(s.clone(), m));
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.run(req).await
}

/// One request on a mailbox, counted in [`Inner::in_flight`] until dropped.
struct InFlight(Shared, String);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(n) = self.0.inner.lock().unwrap().in_flight.get_mut(&self.1) {
            *n = n.saturating_sub(1);
        }
    }
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Which token a Graph call needs.
#[derive(Clone, Copy, PartialEq)]
enum Needs {
    /// A delegated token (on-behalf-of): `/me/…`.
    Delegated,
    /// An app-only token (client credentials).
    App,
}

/// Checks the bearer token and takes the next queued fault, if any.
fn gate(s: &Shared, h: &HeaderMap, needs: Needs, what: String) -> Option<Response> {
    let mut inner = s.inner.lock().unwrap();
    inner.requests.push(what);
    let prefix = match needs {
        Needs::Delegated => "Bearer obo-",
        Needs::App => "Bearer app-",
    };
    let fits = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(prefix));
    if !fits {
        return Some(graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty or of the wrong kind for this call.",
        ));
    }
    let retry = [("retry-after", "1")];
    Some(match inner.faults.pop_front()? {
        Fault::Throttled => (
            StatusCode::TOO_MANY_REQUESTS,
            retry,
            graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Please retry again later.",
            ),
        )
            .into_response(),
        Fault::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            retry,
            graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "Service unavailable.",
            ),
        )
            .into_response(),
        Fault::Unauthorized => graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        ),
        Fault::Denied => graph_error(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        ),
    })
}

/// The OpenID configuration document of `tenant` (the fields the server reads, and the
/// others a client would expect there).
async fn discovery(State(s): State<Shared>, Path(tenant): Path<String>) -> Response {
    let b = &s.base;
    let issuer = match tenant.as_str() {
        "common" | "organizations" => format!("{b}/{{tenantid}}/v2.0"),
        t => format!("{b}/{t}/v2.0"),
    };
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{b}/{tenant}/discovery/v2.0/keys"),
        "token_endpoint": format!("{b}/{tenant}/oauth2/v2.0/token"),
        "authorization_endpoint": format!("{b}/{tenant}/oauth2/v2.0/authorize"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
    }))
    .into_response()
}

/// The signing keys, as [`Jwks`] says.
async fn keys(State(s): State<Shared>) -> Response {
    let (mode, keys) = {
        let mut inner = s.inner.lock().unwrap();
        inner.jwks_fetches += 1;
        (inner.jwks, inner.keys.clone())
    };
    match mode {
        Jwks::Serve => Json(keys).into_response(),
        Jwks::Slow => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            Json(keys).into_response()
        }
        Jwks::Fail => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "server_error"})),
        )
            .into_response(),
    }
}

/// `getMemberGroups`: the user's group ids (app-only token; the body names whether only
/// security groups count).
async fn member_groups(
    State(s): State<Shared>,
    Path(id): Path<String>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let token = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(r) = gate(&s, &h, Needs::App, format!("getMemberGroups {id} {token}")) {
        return r;
    }
    if !body["securityEnabledOnly"].is_boolean() {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "The request body must carry the parameter 'securityEnabledOnly'.",
        );
    }
    let groups = s
        .inner
        .lock()
        .unwrap()
        .member_groups
        .get(&id)
        .cloned()
        .unwrap_or_default();
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
        "value": groups,
    }))
    .into_response()
}

async fn token(
    State(s): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let grant = field("grant_type");
    s.inner
        .lock()
        .unwrap()
        .requests
        .push(format!("token {grant} {tenant}"));
    let bad = |code: &str, text: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": code, "error_description": text})),
        )
            .into_response()
    };
    if field("client_id").is_empty() {
        return bad(
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
        );
    }
    if field("client_secret") != s.secret {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided."})),
        )
            .into_response();
    }
    let access = match grant {
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            if field("requested_token_use") != "on_behalf_of" {
                return bad(
                    "invalid_request",
                    "AADSTS900144: 'requested_token_use' must be 'on_behalf_of'.",
                );
            }
            if field("assertion").split('.').count() != 3 {
                return bad(
                    "invalid_grant",
                    "AADSTS50027: JWT token is invalid or malformed.",
                );
            }
            if !field("scope").starts_with("https://graph.microsoft.com/") {
                return bad(
                    "invalid_scope",
                    "AADSTS70011: The provided value for the input parameter 'scope' is not valid.",
                );
            }
            format!("obo-{tenant}")
        }
        "client_credentials" => {
            if field("scope") != "https://graph.microsoft.com/.default" {
                return bad(
                    "invalid_scope",
                    "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
                );
            }
            format!("app-{tenant}")
        }
        _ => {
            return bad(
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type.",
            )
        }
    };
    Json(
        json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                "access_token": access}),
    )
    .into_response()
}

/// What "Create event" requires of the JSON it is given.
fn event_shape(e: &Value) -> std::result::Result<(), String> {
    let time = |k: &str| e[k]["dateTime"].is_string() && e[k]["timeZone"].is_string();
    if !e["subject"].is_string() {
        return Err("subject must be a string".into());
    }
    if !matches!(
        e["body"]["contentType"].as_str(),
        Some("HTML" | "html" | "text" | "Text")
    ) {
        return Err("body.contentType must be HTML or text".into());
    }
    if !(time("start") && time("end")) {
        return Err("start and end must be dateTimeTimeZone objects".into());
    }
    if let Some(a) = e.get("attendees") {
        let ok = a.as_array().is_some_and(|a| {
            a.iter()
                .all(|x| x["emailAddress"]["address"].is_string() && x["type"].is_string())
        });
        if !ok {
            return Err("attendees must be attendee objects with emailAddress.address".into());
        }
    }
    if let Some(r) = e.get("recurrence") {
        let range = &r["range"];
        let ok = r["pattern"]["type"].is_string()
            && r["pattern"]["interval"].is_u64()
            && range["type"].is_string()
            && range["startDate"].is_string();
        if !ok {
            return Err("recurrence must be a patternedRecurrence".into());
        }
    }
    Ok(())
}

async fn create(State(s): State<Shared>, h: HeaderMap, Json(mut event): Json<Value>) -> Response {
    if let Some(r) = gate(&s, &h, Needs::Delegated, "POST /me/events".into()) {
        return r;
    }
    if let Err(e) = event_shape(&event) {
        return graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", &e);
    }
    let mut inner = s.inner.lock().unwrap();
    let tx = event["transactionId"].as_str().map(str::to_string);
    if let Some(tx) = tx {
        if let Some((_, e)) = inner
            .events
            .iter()
            .find(|(_, e)| e["transactionId"].as_str() == Some(&tx))
        {
            return (StatusCode::CREATED, Json(e.clone())).into_response();
        }
    }
    inner.created += 1;
    let id = format!("AAMkAGI2TG93AAA-{}", inner.created);
    event["id"] = json!(id);
    if event["isOnlineMeeting"] == json!(true) {
        event["onlineMeeting"] = json!({"joinUrl": format!(
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_U3RhbmRJbi{}%40thread.v2/0?context=%7b%22Tid%22%3a%22demo%22%7d",
            inner.created
        )});
    }
    inner.events.push((id, event.clone()));
    (StatusCode::CREATED, Json(event)).into_response()
}

async fn update(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    Json(changes): Json<Value>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::Delegated, format!("PATCH /me/events/{id}")) {
        return r;
    }
    let mut inner = s.inner.lock().unwrap();
    let Some((_, event)) = inner.events.iter_mut().find(|(i, _)| *i == id) else {
        return graph_error(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        );
    };
    let Some(fields) = changes.as_object() else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRequest",
            "the body must be an object",
        );
    };
    for (k, v) in fields {
        event[k] = v.clone();
    }
    (StatusCode::OK, Json(event.clone())).into_response()
}

async fn delete(State(s): State<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = gate(&s, &h, Needs::Delegated, format!("DELETE /me/events/{id}")) {
        return r;
    }
    let mut inner = s.inner.lock().unwrap();
    let before = inner.events.len();
    inner.events.retain(|(i, _)| *i != id);
    if inner.events.len() == before {
        return graph_error(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

/// A service principal's object id: derived from its app id (stable within a run).
fn principal_id(app_id: &str) -> String {
    format!("5e000000{}", app_id.get(8..).unwrap_or(""))
}

async fn principals(
    State(s): State<Shared>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let filter = q.get("$filter").cloned().unwrap_or_default();
    if let Some(r) = gate(
        &s,
        &h,
        Needs::App,
        format!("GET /servicePrincipals {filter}"),
    ) {
        return r;
    }
    let Some(app) = filter
        .strip_prefix("appId eq '")
        .and_then(|f| f.strip_suffix('\''))
    else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported or invalid query filter clause specified.",
        );
    };
    let found = s.inner.lock().unwrap().principals.contains_key(app);
    let value = if found {
        json!([{"id": principal_id(app), "appId": app}])
    } else {
        json!([])
    };
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals",
        "value": value}))
    .into_response()
}

async fn assignments(State(s): State<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(r) = gate(
        &s,
        &h,
        Needs::App,
        format!("GET /servicePrincipals/{id}/appRoleAssignments"),
    ) {
        return r;
    }
    let inner = s.inner.lock().unwrap();
    let Some(roles) = inner
        .principals
        .iter()
        .find(|(app, _)| principal_id(app) == id)
        .map(|(_, roles)| roles)
    else {
        return graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        );
    };
    let value: Vec<Value> = roles
        .iter()
        .map(|r| {
            json!({"id": format!("x-{r}"), "appRoleId": r, "principalId": id,
                   "principalType": "ServicePrincipal",
                   "resourceDisplayName": "Microsoft Graph"})
        })
        .collect();
    Json(json!({"value": value})).into_response()
}
