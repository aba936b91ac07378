//! Microsoft Graph, app-only: our app's token for a customer tenant from the Entra token
//! endpoint (client credentials), and the Graph calls made with it. Both base URLs are
//! settings (`--authority-url`, `--graph-url`; Microsoft's by default), so tests point them
//! at a local stand-in.
//!
//! Requests as Microsoft documents them:
//! - token: `POST {authority}/{tenant}/oauth2/v2.0/token`, form fields `client_id`, `scope=
//!   https://graph.microsoft.com/.default`, `client_secret`, `grant_type=client_credentials`;
//!   answer `{"token_type":"Bearer","expires_in":…,"access_token":…}` ("Microsoft identity
//!   platform and the OAuth 2.0 client credentials flow",
//!   learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow);
//! - groups: `POST {graph}/v1.0/users/{oid}/getMemberGroups` with
//!   `{"securityEnabledOnly": false}`, answer `{"value": [group ids]}` ("directoryObject:
//!   getMemberGroups", learn.microsoft.com/graph/api/directoryobject-getmembergroups);
//! - throttling: 429 (and 503/504) with `Retry-After` in seconds ("Microsoft Graph throttling
//!   guidance", learn.microsoft.com/graph/throttling): honoured, at most [`MAX_ATTEMPTS`]
//!   tries and [`MAX_RETRY_WAIT`] per wait.

use std::{
    collections::HashMap,
    path::Path,
    sync::Mutex,
    time::{Duration, Instant},
};

use http::Method;
use serde::Deserialize;

use crate::outbound::{Body, Outbound, Reply};

/// Where Microsoft is, and who we are there (`Debug` hides the secret).
#[derive(Clone)]
pub struct GraphConfig {
    /// `https://graph.microsoft.com` (no trailing slash).
    pub graph_url: String,
    /// `https://login.microsoftonline.com` (no trailing slash).
    pub authority_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphConfig")
            .field("graph_url", &self.graph_url)
            .field("authority_url", &self.authority_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

impl GraphConfig {
    /// Reads the client secret from `file`, which only its owner may read (0600): a secret
    /// never comes from the command line, where other users of the machine can see it.
    pub fn secret_from_file(file: &Path) -> Result<String, String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file)
                .map_err(|e| format!("--client-secret-file {}: {e}", file.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "--client-secret-file {} is readable by others (mode {:o}); run `chmod 600 {}`",
                    file.display(),
                    mode & 0o777,
                    file.display()
                ));
            }
        }
        let secret = std::fs::read_to_string(file)
            .map_err(|e| format!("--client-secret-file {}: {e}", file.display()))?
            .trim()
            .to_string();
        if secret.is_empty() {
            return Err(format!("--client-secret-file {} is empty", file.display()));
        }
        Ok(secret)
    }
}

/// Why a Graph call failed, said so an admin knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("Microsoft Entra refused our app's credentials for tenant {tenant} ({detail}); check --client-id and --client-secret-file, and that the tenant's admin consented to the app")]
    Credentials { tenant: String, detail: String },
    #[error("Microsoft Graph refused {what} ({status}): {detail}; ask the tenant's admin to consent to the app's Graph permissions")]
    Forbidden {
        what: &'static str,
        status: u16,
        detail: String,
    },
    #[error("Microsoft Graph is unavailable for {what}: {detail}")]
    Unavailable { what: &'static str, detail: String },
    /// Graph kept asking us to wait (429/503/504) for longer than one request waits.
    #[error(
        "Microsoft Graph answered {status} {attempts} times for {what} (Retry-After {wait:?})"
    )]
    Throttled {
        what: &'static str,
        status: u16,
        attempts: u32,
        wait: Duration,
    },
    #[error("Microsoft Graph has no such {what} (404)")]
    NotFound { what: &'static str },
    /// `If-Match` named an older version (`412`): read it again.
    #[error("the {what} changed meanwhile (412)")]
    Changed { what: &'static str },
}

/// Tries of one Graph request while Graph throttles or is busy.
pub const MAX_ATTEMPTS: u32 = 3;
/// The longest `Retry-After` honoured; a longer one fails the call.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);
/// How long a user's group list is kept.
const GROUPS_TTL: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct Values {
    value: Vec<String>,
}

/// Our app's Graph client.
pub struct Graph {
    config: GraphConfig,
    client: Outbound,
    /// App-only tokens by tenant, until shortly before they expire.
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Group ids by (tenant, oid), kept briefly.
    groups: quick_cache::sync::Cache<(String, String), (Vec<String>, Instant)>,
}

impl Graph {
    pub fn new(config: GraphConfig) -> Self {
        let client = Outbound::new(Duration::from_secs(5), Duration::from_secs(15));
        Graph {
            config,
            client,
            tokens: Mutex::new(HashMap::new()),
            groups: quick_cache::sync::Cache::new(10_000),
        }
    }

    /// Our app's client id (`--client-id`).
    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    /// Our app's token for `tenant` (client credentials), kept until a minute before expiry.
    async fn app_token(&self, tenant: &str) -> Result<String, GraphError> {
        if let Some((t, until)) = self.tokens.lock().ok().and_then(|m| m.get(tenant).cloned()) {
            if Instant::now() < until {
                return Ok(t);
            }
        }
        let form = [
            ("client_id", self.config.client_id.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_secret", self.config.client_secret.as_str()),
            ("grant_type", "client_credentials"),
        ];
        let t = self
            .token_request(tenant, "the app token", &form)
            .await?
            .map_err(|(_, detail)| GraphError::Credentials {
                tenant: tenant.to_string(),
                detail,
            })?;
        let until = Instant::now() + Duration::from_secs(t.expires_in.saturating_sub(60));
        if let Ok(mut m) = self.tokens.lock() {
            m.insert(tenant.to_string(), (t.access_token.clone(), until));
        }
        Ok(t.access_token)
    }

    /// One Graph request with our app's token (a POST when `body` is given, else a GET),
    /// retried on throttling as Graph asks.
    async fn call(
        &self,
        tenant: &str,
        what: &'static str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, GraphError> {
        let token = self.app_token(tenant).await?;
        self.send(&token, what, path, body).await
    }

    /// One Graph request with `token`: a POST of `body`, else a GET. Retried on throttling.
    async fn send(
        &self,
        token: &str,
        what: &'static str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, GraphError> {
        let method = if body.is_some() {
            Method::POST
        } else {
            Method::GET
        };
        self.request(token, method, what, path, body).await
    }

    /// One Graph request with `token` and `method`, retried on throttling as Graph asks.
    async fn request(
        &self,
        token: &str,
        method: Method,
        what: &'static str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, GraphError> {
        self.request_with(token, method, what, path, &[], body)
            .await
    }

    /// [`Graph::request`] with more headers (`If-Match`, `Prefer`); `path` may also be a
    /// whole URL under the Graph base (an `@odata.nextLink`).
    async fn request_with(
        &self,
        token: &str,
        method: Method,
        what: &'static str,
        path: &str,
        headers: &[(&'static str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, GraphError> {
        let url = if path.starts_with(&format!("{}/", self.config.graph_url)) {
            path.to_string()
        } else {
            format!("{}/v1.0{path}", self.config.graph_url)
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self
                .client
                .send_with(
                    method.clone(),
                    &url,
                    Some(token),
                    headers,
                    body.map_or(Body::None, |b| Body::Json(b.clone())),
                )
                .await
                .map_err(|detail| GraphError::Unavailable { what, detail })?;
            let status = resp.status;
            if matches!(status, 429 | 503 | 504) {
                let wait = resp
                    .retry_after
                    .map_or(Duration::from_secs(1), Duration::from_secs);
                if attempt < MAX_ATTEMPTS && wait <= MAX_RETRY_WAIT {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(GraphError::Throttled {
                    what,
                    status,
                    attempts: attempt,
                    wait,
                });
            }
            if status == 401 || status == 403 {
                let body: serde_json::Value = resp.json().unwrap_or_default();
                return Err(GraphError::Forbidden {
                    what,
                    status,
                    detail: body["error"]["code"]
                        .as_str()
                        .unwrap_or("denied")
                        .chars()
                        .take(80)
                        .collect(),
                });
            }
            if status == 404 {
                return Err(GraphError::NotFound { what });
            }
            if status == 412 {
                return Err(GraphError::Changed { what });
            }
            if !(200..300).contains(&status) {
                return Err(GraphError::Unavailable {
                    what,
                    detail: format!("Graph answered {status}"),
                });
            }
            return Ok(resp);
        }
    }

    /// The groups `oid` is a member of (transitively), for a token whose groups did not fit
    /// (the overage claim). Kept for five minutes.
    pub async fn member_groups(&self, tenant: &str, oid: &str) -> Result<Vec<String>, GraphError> {
        let key = (tenant.to_string(), oid.to_string());
        if let Some((g, at)) = self.groups.get(&key) {
            if at.elapsed() < GROUPS_TTL {
                return Ok(g);
            }
        }
        // The oid goes into a URL path: only a GUID's characters.
        if oid.is_empty() || !oid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(GraphError::Unavailable {
                what: "the user's groups",
                detail: "the token's oid is not an object id".into(),
            });
        }
        let resp = self
            .call(
                tenant,
                "the user's groups",
                &format!("/users/{oid}/getMemberGroups"),
                Some(&serde_json::json!({"securityEnabledOnly": false})),
            )
            .await?;
        let v: Values = resp.json().map_err(|detail| GraphError::Unavailable {
            what: "the user's groups",
            detail,
        })?;
        self.groups.insert(key, (v.value.clone(), Instant::now()));
        Ok(v.value)
    }
}

#[derive(Deserialize)]
struct ServicePrincipals {
    value: Vec<ServicePrincipal>,
}

#[derive(Deserialize)]
struct ServicePrincipal {
    id: String,
}

#[derive(Deserialize)]
struct Assignments {
    value: Vec<Assignment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assignment {
    app_role_id: String,
}

impl Graph {
    /// The application permissions (app role ids) granted in `tenant` to the partner app
    /// `app_id`; `None` when the app has no service principal there (never consented).
    /// `GET /servicePrincipals?$filter=appId eq '…'` ("List servicePrincipals",
    /// learn.microsoft.com/graph/api/serviceprincipal-list) and
    /// `GET /servicePrincipals/{id}/appRoleAssignments` ("List appRoleAssignments granted to
    /// a service principal", learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments).
    pub async fn app_roles_granted(
        &self,
        tenant: &str,
        app_id: &str,
    ) -> Result<Option<Vec<String>>, GraphError> {
        const WHAT: &str = "the partner app's permissions";
        let bad = |detail: String| GraphError::Unavailable { what: WHAT, detail };
        // The app id goes into a filter: only a GUID's characters.
        if app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(bad(format!("{app_id:?} is not an app id")));
        }
        let filter: String =
            form_urlencoded::byte_serialize(format!("appId eq '{app_id}'").as_bytes()).collect();
        let sps: ServicePrincipals = self
            .call(
                tenant,
                WHAT,
                &format!("/servicePrincipals?$filter={filter}&$select=id,appId"),
                None,
            )
            .await?
            .json()
            .map_err(bad)?;
        let Some(sp) = sps.value.first() else {
            return Ok(None);
        };
        if !sp.id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(bad("Graph returned an odd service principal id".into()));
        }
        let a: Assignments = self
            .call(
                tenant,
                WHAT,
                &format!("/servicePrincipals/{}/appRoleAssignments", sp.id),
                None,
            )
            .await?
            .json()
            .map_err(bad)?;
        Ok(Some(
            a.value
                .into_iter()
                .map(|x| x.app_role_id.to_ascii_lowercase())
                .collect(),
        ))
    }
}

/// A delivery of change notifications to our `notificationUrl` ("changeNotificationCollection"
/// and "changeNotification resource type", learn.microsoft.com/graph/api/resources/
/// changenotificationcollection and .../changenotification): `value[]`, each with
/// `subscriptionId`, `clientState`, `changeType`, `resource`, `resourceData`, `tenantId`,
/// `subscriptionExpirationDateTime`, or `lifecycleEvent` for lifecycle notifications.
/// Only what is checked or kept is read.
#[derive(Debug, Deserialize)]
pub struct Notifications {
    pub value: Vec<Notification>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Notification {
    pub subscription_id: Option<String>,
    pub client_state: Option<String>,
    pub change_type: Option<String>,
    pub lifecycle_event: Option<String>,
    pub resource: Option<String>,
    pub resource_data: Option<ResourceData>,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResourceData {
    pub id: Option<String>,
}

/// What Graph made of a new event.
#[derive(Debug, Clone)]
pub struct CreatedEvent {
    pub id: String,
    /// `onlineMeeting.joinUrl`, when Graph created the Teams meeting.
    pub join_url: Option<String>,
}

impl Graph {
    /// Exchanges the organizer's token for a Graph token on their behalf ("Microsoft identity
    /// platform and OAuth 2.0 On-Behalf-Of flow",
    /// learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow):
    /// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion`,
    /// `requested_token_use=on_behalf_of`, scope `https://graph.microsoft.com/Calendars.ReadWrite`.
    pub async fn on_behalf_of(&self, tenant: &str, assertion: &str) -> Result<String, GraphError> {
        const WHAT: &str = "a token on your behalf";
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.as_str()),
            ("assertion", assertion),
            ("scope", "https://graph.microsoft.com/Calendars.ReadWrite"),
            ("requested_token_use", "on_behalf_of"),
        ];
        let t = self
            .token_request(tenant, WHAT, &form)
            .await?
            .map_err(|(status, detail)| GraphError::Forbidden {
                what: WHAT,
                status,
                detail,
            })?;
        Ok(t.access_token)
    }

    /// One request to Entra's token endpoint of `tenant`. The outer error: Entra could not
    /// be asked; the inner one: it refused (400/401), with its status and `error` code.
    async fn token_request(
        &self,
        tenant: &str,
        what: &'static str,
        form: &[(&str, &str)],
    ) -> Result<Result<TokenAnswer, (u16, String)>, GraphError> {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.config.authority_url);
        let unavailable = |detail: String| GraphError::Unavailable { what, detail };
        let form = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let resp = self
            .client
            .send(Method::POST, &url, None, Body::Form(form))
            .await
            .map_err(unavailable)?;
        let status = resp.status;
        if status == 400 || status == 401 {
            let body: serde_json::Value = resp.json().unwrap_or_default();
            let code = body["error"]
                .as_str()
                .unwrap_or("refused")
                .chars()
                .take(80)
                .collect();
            return Ok(Err((status, code)));
        }
        if !(200..300).contains(&status) {
            return Err(unavailable(format!("token endpoint answered {status}")));
        }
        resp.json().map(Ok).map_err(unavailable)
    }

    /// `POST /me/events` ("Create event", learn.microsoft.com/graph/api/user-post-events).
    pub async fn create_event(
        &self,
        token: &str,
        event: &serde_json::Value,
    ) -> Result<CreatedEvent, GraphError> {
        const WHAT: &str = "the calendar event";
        let v: serde_json::Value = self
            .send(token, WHAT, "/me/events", Some(event))
            .await?
            .json()
            .map_err(|detail| GraphError::Unavailable { what: WHAT, detail })?;
        let id = v["id"]
            .as_str()
            .filter(|i| !i.is_empty() && i.len() <= 512)
            .ok_or_else(|| GraphError::Unavailable {
                what: WHAT,
                detail: "Graph returned no event id".into(),
            })?;
        Ok(CreatedEvent {
            id: id.to_string(),
            join_url: v["onlineMeeting"]["joinUrl"].as_str().map(str::to_string),
        })
    }
}

impl Graph {
    /// `PATCH /me/events/{id}` ("Update event", learn.microsoft.com/graph/api/event-update).
    pub async fn update_event(
        &self,
        token: &str,
        id: &str,
        patch: &serde_json::Value,
    ) -> Result<(), GraphError> {
        self.request(
            token,
            Method::PATCH,
            "the calendar event",
            &format!("/me/events/{}", event_path(id)),
            Some(patch),
        )
        .await
        .map(drop)
    }

    /// `DELETE /me/events/{id}` ("Delete event", learn.microsoft.com/graph/api/event-delete);
    /// an event already gone counts as deleted.
    pub async fn delete_event(&self, token: &str, id: &str) -> Result<(), GraphError> {
        match self
            .request(
                token,
                Method::DELETE,
                "the calendar event",
                &format!("/me/events/{}", event_path(id)),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(GraphError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// An event id as a path segment (Graph's ids are base64url-ish; anything else is escaped).
fn event_path(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// What processing needs of a user's event, read back with our app's token ("Get event",
/// learn.microsoft.com/graph/api/event-get, with `Prefer: outlook.timezone="UTC"` so that
/// `start`/`end` are UTC).
#[derive(Debug, Clone)]
pub struct EventRead {
    /// `@odata.etag`, for `If-Match`.
    pub etag: String,
    pub ical_uid: String,
    pub is_online_meeting: bool,
    /// `onlineMeetingProvider` (`teamsForBusiness` for Teams).
    pub provider: String,
    pub is_organizer: bool,
    pub is_cancelled: bool,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
    /// The last day of a series with an end date (`recurrence.range.endDate`).
    pub series_until: Option<String>,
    /// The body when it is HTML (`None` for a text body).
    pub html: Option<String>,
    pub location: String,
    pub join_url: Option<String>,
    /// `type`: `singleInstance`, `seriesMaster`, `occurrence` or `exception`.
    pub kind: String,
}

/// A user of the directory ("List users", learn.microsoft.com/graph/api/user-list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub id: String,
    pub upn: String,
}

/// `dateTimeTimeZone` in UTC as RFC 3339.
fn utc(v: &serde_json::Value) -> Option<String> {
    let tz = v["timeZone"].as_str()?;
    let dt = v["dateTime"].as_str()?;
    if !tz.eq_ignore_ascii_case("UTC") || dt.len() < 19 {
        return None;
    }
    Some(format!("{}Z", &dt[..19]))
}

impl EventRead {
    fn from_graph(v: &serde_json::Value) -> Option<EventRead> {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let range = &v["recurrence"]["range"];
        Some(EventRead {
            etag: s("@odata.etag")?,
            ical_uid: s("iCalUId")?,
            is_online_meeting: v["isOnlineMeeting"].as_bool().unwrap_or(false),
            provider: s("onlineMeetingProvider").unwrap_or_default(),
            is_organizer: v["isOrganizer"].as_bool().unwrap_or(false),
            is_cancelled: v["isCancelled"].as_bool().unwrap_or(false),
            start: utc(&v["start"])?,
            end: utc(&v["end"])?,
            series_until: (range["type"] == "endDate")
                .then(|| range["endDate"].as_str().map(str::to_string))
                .flatten(),
            html: v["body"]["contentType"]
                .as_str()
                .filter(|t| t.eq_ignore_ascii_case("html"))
                .and(v["body"]["content"].as_str())
                .map(str::to_string),
            location: v["location"]["displayName"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            join_url: v["onlineMeeting"]["joinUrl"].as_str().map(str::to_string),
            kind: s("type").unwrap_or_else(|| "singleInstance".into()),
        })
    }
}

/// A user id or UPN as a path segment.
fn user_path(user: &str) -> String {
    form_urlencoded::byte_serialize(user.as_bytes()).collect()
}

impl Graph {
    /// A user's event, `None` when it is gone.
    pub async fn read_event(
        &self,
        tenant: &str,
        user: &str,
        id: &str,
    ) -> Result<Option<EventRead>, GraphError> {
        const WHAT: &str = "the calendar event";
        let token = self.app_token(tenant).await?;
        let path = format!("/users/{}/events/{}", user_path(user), event_path(id));
        let prefer = [("prefer", "outlook.timezone=\"UTC\"".to_string())];
        match self
            .request_with(&token, Method::GET, WHAT, &path, &prefer, None)
            .await
        {
            Ok(r) => {
                let v: serde_json::Value = r
                    .json()
                    .map_err(|detail| GraphError::Unavailable { what: WHAT, detail })?;
                EventRead::from_graph(&v)
                    .map(Some)
                    .ok_or(GraphError::Unavailable {
                        what: WHAT,
                        detail: "Graph's event lacks an etag, iCalUId or UTC times".into(),
                    })
            }
            Err(GraphError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Patches a user's event only if it is still at `etag` ("Update event",
    /// learn.microsoft.com/graph/api/event-update; `If-Match`): [`GraphError::Changed`]
    /// when it moved on.
    pub async fn write_event(
        &self,
        tenant: &str,
        user: &str,
        id: &str,
        etag: &str,
        patch: &serde_json::Value,
    ) -> Result<(), GraphError> {
        let token = self.app_token(tenant).await?;
        let path = format!("/users/{}/events/{}", user_path(user), event_path(id));
        let if_match = [("if-match", etag.to_string())];
        self.request_with(
            &token,
            Method::PATCH,
            "the calendar event",
            &path,
            &if_match,
            Some(patch),
        )
        .await
        .map(drop)
    }

    /// Subscribes to a user's events ("Create subscription",
    /// learn.microsoft.com/graph/api/subscription-post-subscriptions): Graph first checks
    /// `notification_url` (and the lifecycle URL) with a validation request. Answers
    /// Graph's subscription id and expiry.
    pub async fn subscribe(
        &self,
        tenant: &str,
        user: &str,
        notification_url: &str,
        client_state: &str,
        expires: &str,
    ) -> Result<(String, String), GraphError> {
        const WHAT: &str = "the calendar subscription";
        let token = self.app_token(tenant).await?;
        let body = serde_json::json!({
            "changeType": "created,updated,deleted",
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": notification_url,
            "resource": format!("users/{}/events", user_path(user)),
            "expirationDateTime": expires,
            "clientState": client_state,
        });
        let v: serde_json::Value = self
            .request(&token, Method::POST, WHAT, "/subscriptions", Some(&body))
            .await?
            .json()
            .map_err(|detail| GraphError::Unavailable { what: WHAT, detail })?;
        match (v["id"].as_str(), v["expirationDateTime"].as_str()) {
            (Some(id), Some(exp)) if !id.is_empty() && id.len() <= 128 => {
                Ok((id.to_string(), exp.to_string()))
            }
            _ => Err(GraphError::Unavailable {
                what: WHAT,
                detail: "Graph's subscription has no id or expiry".into(),
            }),
        }
    }

    /// Extends a subscription ("Update subscription",
    /// learn.microsoft.com/graph/api/subscription-update: `PATCH /subscriptions/{id}` with
    /// `expirationDateTime`; also how `reauthorizationRequired` is answered, "Reduce missing
    /// subscriptions and change notifications", learn.microsoft.com/graph/change-notifications-lifecycle-events).
    /// Answers the new expiry; [`GraphError::NotFound`] when Graph no longer has it.
    pub async fn renew(&self, tenant: &str, id: &str, expires: &str) -> Result<String, GraphError> {
        const WHAT: &str = "the calendar subscription";
        let token = self.app_token(tenant).await?;
        let v: serde_json::Value = self
            .request(
                &token,
                Method::PATCH,
                WHAT,
                &format!("/subscriptions/{}", event_path(id)),
                Some(&serde_json::json!({"expirationDateTime": expires})),
            )
            .await?
            .json()
            .map_err(|detail| GraphError::Unavailable { what: WHAT, detail })?;
        Ok(v["expirationDateTime"]
            .as_str()
            .unwrap_or(expires)
            .to_string())
    }

    /// Deletes a subscription ("Delete subscription",
    /// learn.microsoft.com/graph/api/subscription-delete); one already gone counts.
    pub async fn unsubscribe(&self, tenant: &str, id: &str) -> Result<(), GraphError> {
        let token = self.app_token(tenant).await?;
        match self
            .request(
                &token,
                Method::DELETE,
                "the calendar subscription",
                &format!("/subscriptions/{}", event_path(id)),
                None,
            )
            .await
        {
            Ok(_) | Err(GraphError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every user of the tenant's directory, page by page ("List users",
    /// learn.microsoft.com/graph/api/user-list).
    pub async fn users(&self, tenant: &str) -> Result<Vec<DirectoryUser>, GraphError> {
        self.user_pages(
            tenant,
            "the directory's users",
            "/users?$select=id,userPrincipalName".into(),
        )
        .await
    }

    /// The users among a group's members, nested groups included ("List group transitive
    /// members", learn.microsoft.com/graph/api/group-list-transitivemembers, cast to
    /// `microsoft.graph.user`).
    pub async fn group_users(
        &self,
        tenant: &str,
        group: &str,
    ) -> Result<Vec<DirectoryUser>, GraphError> {
        let path = format!(
            "/groups/{}/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName",
            user_path(group)
        );
        self.user_pages(tenant, "the group's members", path).await
    }

    /// One user by UPN or id ("Get user", learn.microsoft.com/graph/api/user-get); `None`
    /// when the directory has no such user.
    pub async fn user(&self, tenant: &str, upn: &str) -> Result<Option<DirectoryUser>, GraphError> {
        const WHAT: &str = "the user";
        let token = self.app_token(tenant).await?;
        let path = format!("/users/{}?$select=id,userPrincipalName", user_path(upn));
        match self.request(&token, Method::GET, WHAT, &path, None).await {
            Ok(r) => {
                let v: serde_json::Value = r
                    .json()
                    .map_err(|detail| GraphError::Unavailable { what: WHAT, detail })?;
                Ok(match (v["id"].as_str(), v["userPrincipalName"].as_str()) {
                    (Some(id), Some(upn)) => Some(DirectoryUser {
                        id: id.to_string(),
                        upn: upn.to_string(),
                    }),
                    _ => None,
                })
            }
            Err(GraphError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Users, page by page.
    async fn user_pages(
        &self,
        tenant: &str,
        what: &'static str,
        first: String,
    ) -> Result<Vec<DirectoryUser>, GraphError> {
        let mut out = Vec::new();
        let complete = self
            .pages(tenant, what, first, 10_000, |u| {
                if let (Some(id), Some(upn)) = (u["id"].as_str(), u["userPrincipalName"].as_str()) {
                    out.push(DirectoryUser {
                        id: id.to_string(),
                        upn: upn.to_string(),
                    });
                }
            })
            .await?;
        if !complete {
            return Err(GraphError::Unavailable {
                what,
                detail: "more than 10,000 pages".into(),
            });
        }
        Ok(out)
    }

    /// Every item of a collection, page by page (`@odata.nextLink`, "Paging Microsoft Graph
    /// data", learn.microsoft.com/graph/paging); only next pages under Graph's own base are
    /// read, at most `max_pages`. Answers whether the collection was read to its end.
    async fn pages(
        &self,
        tenant: &str,
        what: &'static str,
        first: String,
        max_pages: usize,
        mut each: impl FnMut(&serde_json::Value),
    ) -> Result<bool, GraphError> {
        let token = self.app_token(tenant).await?;
        let mut next = first;
        for _ in 0..max_pages {
            let v: serde_json::Value = self
                .request(&token, Method::GET, what, &next, None)
                .await?
                .json()
                .map_err(|detail| GraphError::Unavailable { what, detail })?;
            v["value"]
                .as_array()
                .into_iter()
                .flatten()
                .for_each(&mut each);
            match v["@odata.nextLink"].as_str() {
                Some(link) if link.starts_with(&format!("{}/", self.config.graph_url)) => {
                    next = link.to_string();
                }
                Some(_) => {
                    return Err(GraphError::Unavailable {
                        what,
                        detail: "a next page outside Microsoft Graph".into(),
                    })
                }
                None => return Ok(true),
            }
        }
        Ok(false)
    }
}

impl Graph {
    /// The ids of `user`'s events between `from` and `to` (RFC 3339), page by page ("List
    /// calendarView", learn.microsoft.com/graph/api/user-list-calendarview).
    pub async fn events_between(
        &self,
        tenant: &str,
        user: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<String>, GraphError> {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("startDateTime", from)
            .append_pair("endDateTime", to)
            .append_pair("$select", "id")
            .finish();
        let mut out = Vec::new();
        self.pages(
            tenant,
            "the user's calendar",
            format!("/users/{}/calendarView?{q}", user_path(user)),
            // A calendar window past 1,000 pages is read that far.
            1_000,
            |e| {
                if let Some(id) = e["id"]
                    .as_str()
                    .filter(|id| !id.is_empty() && id.len() <= 512)
                {
                    out.push(id.to_string());
                }
            },
        )
        .await?;
        Ok(out)
    }
}
