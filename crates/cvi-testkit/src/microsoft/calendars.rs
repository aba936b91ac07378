//! Users' calendars as Graph serves them to an app (application permissions), change
//! notifications on them, and the directory's users:
//!
//! - "Get event" (learn.microsoft.com/graph/api/event-get): `GET /v1.0/users/{id}/events/{id}`
//!   → the event with `@odata.etag`, `iCalUId`, `isOrganizer`, `isOnlineMeeting`,
//!   `onlineMeetingProvider`, `onlineMeeting.joinUrl`, `body`, `location`, `start`/`end` (in
//!   UTC when asked with `Prefer: outlook.timezone="UTC"`); unknown → `404 ErrorItemNotFound`;
//! - "Update event" (…/graph/api/event-update): `PATCH` of the same URL; with `If-Match`
//!   naming an older etag → `412 ErrorIrresolvableConflict` ("Microsoft Graph error
//!   responses", learn.microsoft.com/graph/errors); each change makes a new etag and an
//!   `updated` notification (our own writes come back, as they do from Graph);
//! - "Create subscription" (…/graph/api/subscription-post-subscriptions): `POST
//!   /v1.0/subscriptions` with `changeType`, `notificationUrl`, `lifecycleNotificationUrl`,
//!   `resource`, `expirationDateTime` (at most 10,080 minutes ahead for events), `clientState`
//!   (at most 128 characters); before answering `201`, the notification URL (and the
//!   lifecycle URL) is sent the validation request of "Receive change notifications through
//!   webhooks" (learn.microsoft.com/graph/change-notifications-delivery-webhooks): `POST
//!   {url}?validationToken={token}`, answered within 10 seconds with `200`, `text/plain`, the
//!   token — else `400 ValidationError`. Plain http is accepted on loopback only (Graph
//!   demands https); "Delete subscription" (…/subscription-delete) → `204`;
//! - notifications: `POST {notificationUrl}` with `{"value": [changeNotification]}` as that
//!   page's example shows (`subscriptionId`, `subscriptionExpirationDateTime`, `clientState`,
//!   `changeType`, `resource` `Users/{id}/Events/{id}`, `tenantId`, `resourceData` with
//!   `@odata.type`, `@odata.id`, `@odata.etag`, `id`);
//! - "List users" (…/graph/api/user-list): `GET /v1.0/users` → `{"value": [{id,
//!   userPrincipalName}], "@odata.nextLink"}`, two users per page here so that paging
//!   ("Paging Microsoft Graph data", learn.microsoft.com/graph/paging) is exercised.

use std::time::Duration;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

use super::{gate, graph_error, Microsoft, Needs, Shared};

/// Users per page of `GET /users` (Graph's default is 100; small here to page).
const PAGE: usize = 2;

impl Microsoft {
    /// A user of the directory: object id and UPN.
    pub fn user(&self, id: &str, upn: &str) {
        self.lock().users.push((id.to_string(), upn.to_string()));
    }

    /// Creates an event in `user`'s calendar as a client would (Teams desktop, a phone):
    /// Graph's fields filled in, then `created` delivered to the user's subscriptions.
    /// Answers the event's id.
    pub fn client_creates(&self, user: &str, mut event: Value) -> String {
        let (id, notes) = {
            let mut inner = self.lock();
            inner.created += 1;
            let n = inner.created;
            let id = format!("AAMkAGVmMDEz-{n}");
            event["id"] = json!(id);
            if event.get("iCalUId").is_none() {
                event["iCalUId"] = json!(format!(
                    "040000008200E00074C5B7101A82E00800000000{n:08X}CAFE0000000000001000000"
                ));
            }
            for (k, v) in [
                ("isOrganizer", json!(true)),
                ("isCancelled", json!(false)),
                ("type", json!("singleInstance")),
            ] {
                if event.get(k).is_none() {
                    event[k] = v;
                }
            }
            inner.etags += 1;
            event["@odata.etag"] = json!(format!("W/\"DwAAABYAAAA{}\"", inner.etags));
            inner
                .mailboxes
                .entry(user.to_string())
                .or_default()
                .push(event);
            let notes = notifications_for(&inner, user, &id, "created");
            (id, notes)
        };
        deliver(notes);
        id
    }

    /// [`Microsoft::client_creates`] whose notification is lost (Graph says so later with
    /// a `missed` lifecycle notification: [`Microsoft::lifecycle`]).
    pub fn client_creates_unnoticed(&self, user: &str, event: Value) -> String {
        let subs = std::mem::take(&mut self.lock().subscriptions);
        let id = self.client_creates(user, event);
        self.lock().subscriptions = subs;
        id
    }

    /// Sends the lifecycle notification `event` (`missed`, `subscriptionRemoved`,
    /// `reauthorizationRequired`) of `user`'s subscriptions to their lifecycle URL, in the
    /// shape of "Reduce missing subscriptions and change notifications"
    /// (learn.microsoft.com/graph/change-notifications-lifecycle-events).
    pub fn lifecycle(&self, user: &str, event: &str) {
        let notes: Vec<(String, Value)> = self
            .lock()
            .subscriptions
            .iter()
            .filter(|s| {
                s["resource"].as_str().is_some_and(|r| {
                    r.trim_start_matches('/')
                        .eq_ignore_ascii_case(&format!("users/{user}/events"))
                })
            })
            .map(|s| {
                (
                    s["lifecycleNotificationUrl"]
                        .as_str()
                        .or(s["notificationUrl"].as_str())
                        .unwrap_or_default()
                        .to_string(),
                    json!({"value": [{
                        "subscriptionId": s["id"],
                        "subscriptionExpirationDateTime": s["expirationDateTime"],
                        "tenantId": s["tenantId"],
                        "clientState": s["clientState"],
                        "lifecycleEvent": event,
                    }]}),
                )
            })
            .collect();
        deliver(notes);
    }

    /// Changes fields of an event as a client would; `updated` is delivered.
    pub fn client_updates(&self, user: &str, id: &str, changes: Value) {
        let notes = {
            let mut inner = self.lock();
            inner.etags += 1;
            let etag = format!("W/\"DwAAABYAAAA{}\"", inner.etags);
            let Some(e) = find(&mut inner.mailboxes, user, id) else {
                return;
            };
            for (k, v) in changes.as_object().into_iter().flatten() {
                e[k] = v.clone();
            }
            e["@odata.etag"] = json!(etag);
            notifications_for(&inner, user, id, "updated")
        };
        deliver(notes);
    }

    /// The organizer edits the event (`changes`) just before our next PATCH of it lands, so
    /// that PATCH names an etag that is no longer current.
    pub fn client_edits_before_next_write(&self, user: &str, id: &str, changes: Value) {
        self.lock().race = Some((user.to_string(), id.to_string(), changes));
    }

    /// The next `n` subscriptions are refused (`403 ExtensionError`, as Graph answers an
    /// app without the permission on that mailbox).
    pub fn refuse_subscriptions(&self, n: u32) {
        self.lock().refuse_subscriptions = n;
    }

    /// Deletes an event as a client would; `deleted` is delivered.
    pub fn client_deletes(&self, user: &str, id: &str) {
        let notes = {
            let mut inner = self.lock();
            if let Some(events) = inner.mailboxes.get_mut(user) {
                events.retain(|e| e["id"] != id);
            }
            notifications_for(&inner, user, id, "deleted")
        };
        deliver(notes);
    }

    /// An event of `user`'s calendar as it is now.
    #[must_use]
    pub fn event_of(&self, user: &str, id: &str) -> Option<Value> {
        find(&mut self.lock().mailboxes, user, id).cloned()
    }

    /// The live subscriptions, as Graph answered them.
    #[must_use]
    pub fn subscriptions(&self) -> Vec<Value> {
        self.lock().subscriptions.clone()
    }

    /// Sends `body` to every subscription's notification URL, as Graph would (a forged or
    /// replayed delivery in a test); answers the statuses.
    #[must_use]
    pub fn deliver_raw(&self, url: &str, body: &Value) -> u16 {
        post(url, body)
    }
}

fn find<'a>(
    mailboxes: &'a mut std::collections::HashMap<String, Vec<Value>>,
    user: &str,
    id: &str,
) -> Option<&'a mut Value> {
    mailboxes.get_mut(user)?.iter_mut().find(|e| e["id"] == id)
}

/// The deliveries a change of `user`'s event `id` makes: one per subscription on the user's
/// events that asked for `change`.
fn notifications_for(
    inner: &super::Inner,
    user: &str,
    id: &str,
    change: &str,
) -> Vec<(String, Value)> {
    let etag = inner
        .mailboxes
        .get(user)
        .and_then(|es| es.iter().find(|e| e["id"] == id))
        .map(|e| e["@odata.etag"].clone())
        .unwrap_or(Value::Null);
    inner
        .subscriptions
        .iter()
        .filter(|s| {
            s["resource"].as_str().is_some_and(|r| {
                r.trim_start_matches('/')
                    .eq_ignore_ascii_case(&format!("users/{user}/events"))
            }) && s["changeType"]
                .as_str()
                .is_some_and(|c| c.split(',').any(|c| c == change))
        })
        .map(|s| {
            let resource = format!("Users/{user}/Events/{id}");
            (
                s["notificationUrl"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                json!({"value": [{
                    "subscriptionId": s["id"],
                    "subscriptionExpirationDateTime": s["expirationDateTime"],
                    "clientState": s["clientState"],
                    "changeType": change,
                    "resource": resource,
                    "tenantId": s["tenantId"],
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Event",
                        "@odata.id": resource,
                        "@odata.etag": etag,
                        "id": id,
                    },
                }]}),
            )
        })
        .collect()
}

/// One agent for every delivery (its connections are kept alive, as Graph's are).
fn agent() -> ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(10)))
                .build()
                .into()
        })
        .clone()
}

fn post(url: &str, body: &Value) -> u16 {
    agent()
        .post(url)
        .send_json(body)
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Delivers notifications (from the caller's thread: a test sees them arrive in order).
fn deliver(notes: Vec<(String, Value)>) {
    for (url, body) in notes {
        post(&url, &body);
    }
}

/// Graph's validation request to `url`: true when it echoed the token as text/plain.
fn validates(url: &str) -> bool {
    let token = format!(
        "Validation: Testing client application reachability for subscription Request-Id: {:08x}",
        rand::random::<u32>()
    );
    let q: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let sep = if url.contains('?') { '&' } else { '?' };
    let Ok(mut r) = agent()
        .post(&format!("{url}{sep}validationToken={q}"))
        .header("content-type", "text/plain")
        .send("")
    else {
        return false;
    };
    let plain = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/plain"));
    r.status() == 200 && plain && r.body_mut().read_to_string().is_ok_and(|b| b == token)
}

fn loopback_or_https(url: &str) -> bool {
    url.starts_with("https://")
        || url.starts_with("http://127.")
        || url.starts_with("http://localhost")
        || url.starts_with("http://[::1]")
}

/// One page of `items` as Graph answers a collection: `value`, and `@odata.nextLink` (the
/// same URL with the next `$skiptoken`) while more follow.
fn paged(
    s: &Shared,
    path: &str,
    q: &std::collections::HashMap<String, String>,
    items: Vec<Value>,
) -> Response {
    let skip: usize = q
        .get("$skiptoken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let mut out = json!({"value": items.iter().skip(skip).take(PAGE).collect::<Vec<_>>()});
    if skip + PAGE < items.len() {
        let mut next = format!("{}/v1.0{path}?", s.base);
        for (k, v) in q.iter().filter(|(k, _)| *k != "$skiptoken") {
            let v: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            next.push_str(&format!("{k}={v}&"));
        }
        next.push_str(&format!("$skiptoken={}", skip + PAGE));
        out["@odata.nextLink"] = json!(next);
    }
    Json(out).into_response()
}

pub(super) async fn get_event(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((user, id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, format!("GET /users/{user}/events")) {
        return r;
    }
    let utc = h
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.contains("outlook.timezone=\"UTC\""));
    let mut inner = s.inner.lock().unwrap();
    match find(&mut inner.mailboxes, &user, &id) {
        Some(e) => {
            let mut e = e.clone();
            if !utc {
                // Without the header Graph answers in the mailbox's zone; the stand-in's
                // mailboxes are in Pacific time, so a client that forgets it notices.
                for k in ["start", "end"] {
                    e[k]["timeZone"] = json!("Pacific Standard Time");
                }
            }
            Json(e).into_response()
        }
        None => not_found(),
    }
}

fn not_found() -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

pub(super) async fn patch_event(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((user, id)): Path<(String, String)>,
    Json(changes): Json<Value>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, format!("PATCH /users/{user}/events")) {
        return r;
    }
    let if_match = h
        .get("if-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (reply, notes) = {
        let mut inner = s.inner.lock().unwrap();
        if inner
            .race
            .as_ref()
            .is_some_and(|(u, i, _)| *u == user && *i == id)
        {
            let (_, _, edit) = inner.race.take().unwrap_or_default();
            inner.etags += 1;
            let etag = format!("W/\"DwAAABYAAAA{}\"", inner.etags);
            if let Some(e) = find(&mut inner.mailboxes, &user, &id) {
                for (k, v) in edit.as_object().into_iter().flatten() {
                    e[k] = v.clone();
                }
                e["@odata.etag"] = json!(etag);
            }
        }
        inner.etags += 1;
        let etag = format!("W/\"DwAAABYAAAA{}\"", inner.etags);
        let Some(e) = find(&mut inner.mailboxes, &user, &id) else {
            return not_found();
        };
        if if_match.is_some_and(|m| e["@odata.etag"] != m.as_str()) {
            return graph_error(
                StatusCode::PRECONDITION_FAILED,
                "ErrorIrresolvableConflict",
                "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.",
            );
        }
        for (k, v) in changes.as_object().into_iter().flatten() {
            e[k] = v.clone();
        }
        e["@odata.etag"] = json!(etag);
        let reply = e.clone();
        (reply, notifications_for(&inner, &user, &id, "updated"))
    };
    // Graph delivers after answering.
    std::thread::spawn(move || deliver(notes));
    Json(reply).into_response()
}

pub(super) async fn create_subscription(
    State(s): State<Shared>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, "POST /subscriptions".into()) {
        return r;
    }
    {
        let mut inner = s.inner.lock().unwrap();
        if inner.refuse_subscriptions > 0 {
            inner.refuse_subscriptions -= 1;
            return graph_error(
                StatusCode::FORBIDDEN,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied.]",
            );
        }
    }
    let bad = |m: &str| graph_error(StatusCode::BAD_REQUEST, "InvalidRequest", m);
    let url = body["notificationUrl"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let lifecycle = body["lifecycleNotificationUrl"]
        .as_str()
        .map(str::to_string);
    let resource = body["resource"].as_str().unwrap_or_default();
    let changes = body["changeType"].as_str().unwrap_or_default();
    let state = body["clientState"].as_str().unwrap_or_default();
    let Some(expires) = body["expirationDateTime"].as_str() else {
        return bad("expirationDateTime is required");
    };
    if !loopback_or_https(&url) || lifecycle.as_deref().is_some_and(|l| !loopback_or_https(l)) {
        return bad("notificationUrl must be https");
    }
    let parts: Vec<&str> = resource.trim_start_matches('/').split('/').collect();
    if parts.len() != 3
        || !parts[0].eq_ignore_ascii_case("users")
        || !parts[2].eq_ignore_ascii_case("events")
    {
        return bad("resource must be users/{id}/events here");
    }
    if changes.is_empty()
        || !changes
            .split(',')
            .all(|c| matches!(c, "created" | "updated" | "deleted"))
    {
        return bad("changeType must be created, updated and/or deleted");
    }
    if state.len() > 128 {
        return bad("clientState is at most 128 characters");
    }
    let Ok(exp) =
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
    else {
        return bad("expirationDateTime is not a date and time");
    };
    let now = time::OffsetDateTime::now_utc();
    if exp <= now || exp > now + time::Duration::minutes(10_080) {
        return bad("Subscription expiration can only be 10080 minutes in the future.");
    }
    // The validation request, from a thread of its own (the server being validated may
    // be this process's caller).
    let urls: Vec<String> = std::iter::once(url.clone())
        .chain(lifecycle.clone())
        .collect();
    let ok = tokio::task::spawn_blocking(move || urls.iter().all(|u| validates(u)))
        .await
        .unwrap_or(false);
    if !ok {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
        );
    }
    // The app token names its tenant (`app-{tenant}`, as the token endpoint minted it).
    let tenant = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer app-"))
        .unwrap_or_default()
        .to_string();
    let sub = json!({
        "id": format!("{:08x}-5a1e-4c0b-9d3e-{:012x}", rand::random::<u32>(), rand::random::<u64>() & 0xffff_ffff_ffff),
        "resource": resource,
        "changeType": changes,
        "clientState": state,
        "notificationUrl": url,
        "lifecycleNotificationUrl": lifecycle,
        "expirationDateTime": expires,
        "tenantId": tenant,
    });
    s.inner.lock().unwrap().subscriptions.push(sub.clone());
    (StatusCode::CREATED, Json(sub)).into_response()
}

/// "Update subscription": `PATCH /subscriptions/{id}` with a new `expirationDateTime`.
pub(super) async fn renew_subscription(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, format!("PATCH /subscriptions/{id}")) {
        return r;
    }
    let Some(expires) = body["expirationDateTime"].as_str() else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "expirationDateTime is required",
        );
    };
    let mut inner = s.inner.lock().unwrap();
    let Some(sub) = inner
        .subscriptions
        .iter_mut()
        .find(|x| x["id"] == id.as_str())
    else {
        return graph_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The object was not found.",
        );
    };
    sub["expirationDateTime"] = json!(expires);
    Json(sub.clone()).into_response()
}

pub(super) async fn delete_subscription(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, format!("DELETE /subscriptions/{id}")) {
        return r;
    }
    let mut inner = s.inner.lock().unwrap();
    let before = inner.subscriptions.len();
    inner.subscriptions.retain(|x| x["id"] != id.as_str());
    if inner.subscriptions.len() == before {
        return graph_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The object was not found.",
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /users/{id}/calendarView?startDateTime=…&endDateTime=…`: the events starting in
/// the window, two per page.
pub(super) async fn calendar_view(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = gate(
        &s,
        &h,
        Needs::App,
        format!("GET /users/{user}/calendarView"),
    ) {
        return r;
    }
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let at = |k: &str| {
        q.get(k)
            .and_then(|v| time::OffsetDateTime::parse(v, rfc3339).ok())
    };
    let (Some(from), Some(to)) = (at("startDateTime"), at("endDateTime")) else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
        );
    };
    let inner = s.inner.lock().unwrap();
    let starts = |e: &Value| {
        e["start"]["dateTime"]
            .as_str()
            .and_then(|d| d.get(..19))
            .and_then(|d| time::OffsetDateTime::parse(&format!("{d}Z"), rfc3339).ok())
    };
    let all: Vec<&Value> = inner
        .mailboxes
        .get(&user)
        .into_iter()
        .flatten()
        .filter(|e| starts(e).is_some_and(|t| t >= from && t < to))
        .collect();
    let items = all.iter().map(|e| json!({"id": e["id"]})).collect();
    paged(&s, &format!("/users/{user}/calendarView"), &q, items)
}

pub(super) async fn list_users(
    State(s): State<Shared>,
    h: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, "GET /users".into()) {
        return r;
    }
    let items = s
        .inner
        .lock()
        .unwrap()
        .users
        .iter()
        .map(|(id, upn)| json!({"id": id, "userPrincipalName": upn}))
        .collect();
    paged(&s, "/users", &q, items)
}

/// "Get user": `GET /users/{id or UPN}` → `{id, userPrincipalName}`, or `404
/// Request_ResourceNotFound`.
pub(super) async fn get_user(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(user): Path<String>,
) -> Response {
    if let Some(r) = gate(&s, &h, Needs::App, format!("GET /users/{user}")) {
        return r;
    }
    let inner = s.inner.lock().unwrap();
    match inner
        .users
        .iter()
        .find(|(id, upn)| *id == user || upn.eq_ignore_ascii_case(&user))
    {
        Some((id, upn)) => Json(json!({"id": id, "userPrincipalName": upn})).into_response(),
        None => graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("Resource '{user}' does not exist or one of its queried reference-property objects are not present."),
        ),
    }
}

/// "List group transitive members", cast to users: `GET
/// /groups/{id}/transitiveMembers/microsoft.graph.user` → the users whose groups (set with
/// `member_groups`) include it, two per page.
pub(super) async fn group_users(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(group): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = gate(
        &s,
        &h,
        Needs::App,
        format!("GET /groups/{group}/transitiveMembers"),
    ) {
        return r;
    }
    let members = {
        let inner = s.inner.lock().unwrap();
        inner
            .users
            .iter()
            .filter(|(id, _)| inner.member_groups.get(id).is_some_and(|g| g.contains(&group)))
            .map(|(id, upn)| json!({"@odata.type": "#microsoft.graph.user", "id": id, "userPrincipalName": upn}))
            .collect()
    };
    paged(
        &s,
        &format!("/groups/{group}/transitiveMembers/microsoft.graph.user"),
        &q,
        members,
    )
}
