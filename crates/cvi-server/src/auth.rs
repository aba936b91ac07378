//! Bearer-token authentication: who is calling, for which tenant, in which role.
//!
//! Tokens are JWTs signed with an asymmetric key (RS*/PS*/ES*) by a trusted issuer: an
//! OIDC issuer whose keys come from discovery + JWKS (refetched when an unknown `kid`
//! appears, which is how key rotation shows), or the local dev issuer of
//! `cvi serve --dev-issuer`, whose key lives in the database. `alg: none` and HMAC tokens
//! are rejected before any key is looked at.
//!
//! An identity provider is a dependency that fails: an issuer unreachable at start is
//! discovered in the background with backoff (the server starts and answers meanwhile);
//! one JWKS fetch per issuer is in flight at a time, bounded in time, at most one per
//! `JWKS_MIN_REFETCH`; a `kid` still unknown after a fetch is refused at once for that long
//! (a stream of made-up `kid`s costs no fetch); and a refetch invalidates cached tokens
//! only when a key they may have been signed with went away or changed.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::{Duration, Instant},
};

pub use crate::usecases::{Caller, Role};
use jsonwebtoken::{
    decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::outbound::{Body, Outbound};
use cvi_store as store;
use cvi_store::db::{now_ms, Db};

/// The `iss` of tokens minted by the dev issuer.
pub const DEV_ISSUER: &str = "cvi-dev";
/// Default audience (`aud`) the API accepts.
pub const DEFAULT_AUDIENCE: &str = "api://cvi";

/// The role a token's `roles` claim names (our spellings and Entra app-role values).
fn role_from_claim(s: &str) -> Option<Role> {
    match s.to_ascii_lowercase().as_str() {
        "admin" | "cvi.admin" => Some(Role::Admin),
        "organizer" | "cvi.organizer" => Some(Role::Organizer),
        "partner" | "partner-app" | "cvi.partner" => Some(Role::Partner),
        _ => None,
    }
}

/// `aud`: one audience or a list (RFC 7519 §4.1.3 allows both; Entra sends a string).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    #[serde(skip)]
    Unset,
}

/// The `{tenantid}` of an issuer template (`https://login.microsoftonline.com/{tenantid}/v2.0`).
pub const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// A `tid` that may be put into an issuer template: a GUID or a plain name, nothing that
/// could change the URL's shape.
fn template_tid(tid: &str) -> bool {
    !tid.is_empty()
        && tid.len() <= 64
        && tid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The claims the API reads. Unknown claims are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: Audience,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    /// Tenant id: every row the request touches is scoped by it.
    pub tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Entra's immutable object id of the user (or app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// Delegated scopes (space-separated): a user token for this API with no app role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// The overage claim: names claims that did not fit (`{"groups": "src1"}` when a user
    /// is in more groups than a token carries). Its `_claim_sources` endpoint is never
    /// fetched (a URL from the token): the groups come from our configured Graph.
    #[serde(
        default,
        rename = "_claim_names",
        skip_serializing_if = "Option::is_none"
    )]
    pub claim_names: Option<serde_json::Value>,
}

/// What discovery said about an issuer.
#[derive(Clone)]
struct Discovered {
    /// The `issuer` of its metadata: what tokens' `iss` must equal.
    issuer: String,
    jwks_uri: String,
}

/// A signing key and what it was, to tell a rotation that removes it.
#[derive(Clone)]
struct Key {
    key: DecodingKey,
    alg: Algorithm,
    /// The JWK as served, to see it change under the same `kid`.
    fingerprint: String,
}

/// Keys of one trusted OIDC issuer.
struct OidcIssuer {
    loopback_http: bool,
    client: Outbound,
    /// The URL as configured (`--issuer`).
    configured: String,
    discovered: RwLock<Option<Discovered>>,
    keys: RwLock<HashMap<String, Key>>,
    /// The last fetch attempt (discovery or JWKS), successful or not.
    last_fetch: RwLock<Option<Instant>>,
    /// Held while fetching: concurrent requests wait for one fetch instead of each making one.
    fetching: tokio::sync::Mutex<()>,
    /// `kid`s a fresh fetch did not have, and when: refused without a fetch for a while.
    unknown_kids: Mutex<HashMap<String, Instant>>,
    /// Bumped when a key went away or changed: tokens verified under it are checked again.
    generation: AtomicU64,
}

/// How long a request may wait for an issuer's keys (other requests never wait).
const FETCH_BUDGET: Duration = Duration::from_secs(3);
/// The longest wait between two background discovery attempts.
const DISCOVERY_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Unknown `kid`s remembered per issuer (a flood of made-up ones evicts old ones).
const UNKNOWN_KIDS_MAX: usize = 1024;

/// Tokens this process has verified, so a client's next calls with the same token cost a
/// hash lookup instead of a signature check (ES256 verification dominates a cheap request).
/// An entry holds until the token expires or its issuer's keys change; a full cache evicts
/// the entries used least (CLOCK-Pro), not all of them.
type Verified = quick_cache::sync::Cache<String, VerifiedEntry>;

#[derive(Clone)]
struct VerifiedEntry {
    caller: Caller,
    exp: i64,
    /// Index of the OIDC issuer and its key generation (`None`: the dev issuer).
    source: Option<(usize, u64)>,
}

const VERIFIED_MAX: usize = 10_000;
/// Clock skew allowed on `exp`, as in the full validation.
const LEEWAY_SECS: i64 = 60;

/// The local dev issuer's key pair.
struct DevIssuer {
    kid: String,
    signing: EncodingKey,
    verifying: DecodingKey,
}

/// Verifies tokens against the trusted issuers.
pub struct Verifier {
    audience: String,
    /// Graph, app-only, for the groups of tokens whose groups did not fit.
    graph: Option<Arc<crate::graph::Graph>>,
    jwks_min_refetch: Duration,
    oidc: Vec<Arc<OidcIssuer>>,
    dev: Option<DevIssuer>,
    verified: Verified,
}

/// Refetching a JWKS is rate-limited so a stream of bad `kid`s cannot hammer the issuer.
pub const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);

fn asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// The client for OIDC discovery and JWKS: bounded in time.
fn http_client() -> Outbound {
    Outbound::new(Duration::from_secs(5), Duration::from_secs(10))
}

/// GETs `url` as JSON, following at most three redirects and only to URLs an issuer could
/// have (no https → http downgrade).
async fn http_get_json<T: serde::de::DeserializeOwned>(
    client: &Outbound,
    url: &str,
    loopback_http: bool,
) -> Result<T, String> {
    let mut at = url.to_string();
    for _ in 0..=3 {
        let reply = client
            .send(http::Method::GET, &at, None, Body::None)
            .await?;
        match (reply.status, reply.location) {
            (300..=399, Some(next)) => {
                check_issuer_url(&next, loopback_http).map_err(|e| format!("GET {url}: {e}"))?;
                at = next;
            }
            (200..=299, _) => {
                return serde_json::from_slice(&reply.body).map_err(|e| format!("GET {at}: {e}"))
            }
            (status, _) => return Err(format!("GET {at}: answered {status}")),
        }
    }
    Err(format!("GET {url}: more than three redirects"))
}

/// An issuer (and every URL its metadata names) must be https; plain http only on
/// 127.0.0.0/8 / ::1 / localhost, and only when `loopback_http` (tests' stand-ins).
fn check_issuer_url(url: &str, loopback_http: bool) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let loopback = ["http://127.", "http://localhost", "http://[::1]"];
    if loopback.iter().any(|p| url.starts_with(p)) {
        if loopback_http {
            return Ok(());
        }
        return Err(format!(
            "issuer {url} is plain http: allowed on loopback only with --allow-loopback-http-issuer (for tests)"
        ));
    }
    Err(format!("issuer {url} must use https://"))
}

impl Verifier {
    /// Builds a verifier: discovers each OIDC issuer (in the background, with backoff, when
    /// it cannot be reached now), and loads (or creates) the dev key.
    pub async fn new(
        audience: String,
        issuers: &[String],
        loopback_http: bool,
        dev_issuer: Option<&Db>,
        graph: Option<Arc<crate::graph::Graph>>,
    ) -> Result<Self, String> {
        if dev_issuer.is_some() && !issuers.is_empty() {
            return Err("the dev issuer mints tokens for anyone who asks: it cannot run next to a real --issuer".into());
        }
        let mut oidc = Vec::new();
        let client = http_client();
        for issuer in issuers {
            check_issuer_url(issuer, loopback_http)?;
            if issuer.matches(TENANT_PLACEHOLDER).count() > 1 {
                return Err(format!(
                    "issuer {issuer}: {TENANT_PLACEHOLDER} may appear once"
                ));
            }
            let iss = Arc::new(OidcIssuer {
                loopback_http,
                client: client.clone(),
                configured: issuer.trim_end_matches('/').to_string(),
                discovered: RwLock::new(None),
                keys: RwLock::new(HashMap::new()),
                last_fetch: RwLock::new(None),
                fetching: tokio::sync::Mutex::new(()),
                unknown_kids: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
            });
            if let Err(e) = iss.discover_and_refresh().await {
                tracing::warn!(issuer = %issuer, error = %e,
                    "identity provider unreachable; starting anyway and retrying with backoff");
                tokio::spawn(discover_with_backoff(iss.clone()));
            }
            oidc.push(iss);
        }
        let dev = match dev_issuer {
            Some(db) => Some(
                DevIssuer::load_or_create(db)
                    .await
                    .map_err(|e| format!("dev issuer key: {e}"))?,
            ),
            None => None,
        };
        Ok(Verifier {
            audience,
            graph,
            jwks_min_refetch: JWKS_MIN_REFETCH,
            oidc,
            dev,
            verified: Verified::new(VERIFIED_MAX),
        })
    }

    /// Changes how soon an unknown `kid` may trigger another JWKS fetch (tests use zero).
    #[must_use]
    pub fn with_jwks_min_refetch(mut self, d: Duration) -> Self {
        self.jwks_min_refetch = d;
        self
    }

    /// Issuers whose metadata has not been read yet (for logs and tests).
    pub fn undiscovered(&self) -> Vec<String> {
        self.oidc
            .iter()
            .filter(|i| i.discovered().is_none())
            .map(|i| i.configured.clone())
            .collect()
    }

    /// Mints a dev token (only with the dev issuer on).
    pub fn mint_dev(&self, mut claims: Claims, ttl_secs: i64) -> Result<String, AppError> {
        let dev = self.dev.as_ref().ok_or_else(|| {
            AppError::NotFound("the dev issuer is off; start the server with --dev-issuer".into())
        })?;
        let now = now_ms() / 1000;
        claims.iss = DEV_ISSUER.into();
        claims.aud = Audience::One(self.audience.clone());
        claims.iat = Some(now);
        claims.exp = now + ttl_secs;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(dev.kid.clone());
        jsonwebtoken::encode(&header, &claims, &dev.signing)
            .map_err(|e| AppError::Internal(format!("signing: {e}")))
    }

    /// A token verified before, still unexpired, whose issuer's keys have not changed.
    fn cached(&self, token: &str) -> Option<Caller> {
        let e = self.verified.get(token)?;
        let keys_same = e.source.is_none_or(|(i, generation)| {
            self.oidc
                .get(i)
                .is_some_and(|iss| iss.generation.load(Ordering::Acquire) == generation)
        });
        (keys_same && now_ms() / 1000 <= e.exp + LEEWAY_SECS).then(|| e.caller.clone())
    }

    fn remember(&self, token: &str, entry: VerifiedEntry) {
        self.verified.insert(token.to_string(), entry);
    }

    /// The groups of a caller whose token had too many to carry, from Graph.
    async fn overage_groups(&self, caller: &Caller) -> Result<Vec<String>, AppError> {
        let graph = self.graph.as_ref().ok_or_else(|| {
            AppError::Unavailable(
                "your token lists too many groups to carry them; this server needs Graph access (--client-id, --client-secret-file) to read them".into(),
            )
        })?;
        let oid = caller.oid.as_deref().ok_or_else(|| {
            AppError::Unauthenticated("the token has a groups overage claim but no oid".into())
        })?;
        graph
            .member_groups(&caller.tenant, oid)
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))
    }

    /// Checks signature, issuer, audience and expiry; returns the caller.
    pub async fn verify(&self, token: &str) -> Result<Caller, AppError> {
        if let Some(caller) = self.cached(token) {
            return Ok(caller);
        }
        let bad = |m: String| AppError::Unauthenticated(m);
        let header =
            decode_header(token).map_err(|e| bad(format!("the bearer token is not a JWT: {e}")))?;
        if !asymmetric(header.alg) {
            return Err(bad(format!(
                "tokens signed with {:?} are not accepted; issuers here sign with RS256 or ES256",
                header.alg
            )));
        }
        // Which issuer? Read `iss` without trusting it, only to pick the key set.
        let mut peek = Validation::new(header.alg);
        peek.insecure_disable_signature_validation();
        peek.validate_exp = false;
        peek.validate_aud = false;
        peek.required_spec_claims.clear();
        let unverified: serde_json::Value = decode(token, &DecodingKey::from_secret(&[]), &peek)
            .map_err(|e| bad(format!("the bearer token is malformed: {e}")))?
            .claims;
        let iss = unverified["iss"].as_str().unwrap_or_default();
        // Read unverified to pick the issuer; once the signature checks, these are the
        // signed values, so the choice stands.
        let tid = unverified["tid"].as_str().unwrap_or_default();
        let kid = header.kid.clone().unwrap_or_default();

        let mut source = None;
        let (key, alg) = if iss == DEV_ISSUER {
            let dev = self.dev.as_ref().ok_or_else(|| {
                bad("dev tokens are accepted only by a server started with --dev-issuer".into())
            })?;
            if kid != dev.kid {
                return Err(bad("the token was signed by an unknown dev key".into()));
            }
            (dev.verifying.clone(), Algorithm::ES256)
        } else {
            let (index, issuer) = self
                .oidc
                .iter()
                .enumerate()
                .find(|(_, i)| i.matches(iss, tid))
                .ok_or_else(|| {
                    bad(format!(
                        "issuer {iss:?} is not trusted by this server (for tenant {tid:?})"
                    ))
                })?;
            let key = issuer.key(&kid, self.jwks_min_refetch).await?;
            source = Some((index, issuer.generation.load(Ordering::Acquire)));
            key
        };
        if header.alg != alg {
            return Err(bad(format!(
                "the token says {:?} but key {kid:?} is {:?}",
                header.alg, alg
            )));
        }
        let mut v = Validation::new(alg);
        v.set_issuer(&[iss]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v.validate_nbf = true;
        v.leeway = LEEWAY_SECS as u64;
        let claims = decode::<Claims>(token, &key, &v)
            .map_err(|e| bad(format!("the bearer token was rejected: {e}")))?
            .claims;
        let exp = claims.exp;
        let overage = claims
            .claim_names
            .as_ref()
            .is_some_and(|n| n.get("groups").is_some());
        let mut caller = caller_from(claims)?;
        if overage {
            caller.groups = self.overage_groups(&caller).await?;
        }
        self.remember(
            token,
            VerifiedEntry {
                caller: caller.clone(),
                exp,
                source,
            },
        );
        Ok(caller)
    }
}

/// Microsoft's tenant of personal accounts (`tid` of consumer Microsoft accounts, "Microsoft
/// identity platform ID token claims reference", learn.microsoft.com/entra/identity-platform/
/// id-token-claims-reference): no organization, so no tenant of ours.
const CONSUMER_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

fn caller_from(c: Claims) -> Result<Caller, AppError> {
    if c.tid.trim().is_empty() {
        return Err(AppError::Unauthenticated(
            "the token has no tenant (tid claim)".into(),
        ));
    }
    if c.tid.trim().eq_ignore_ascii_case(CONSUMER_TENANT) {
        return Err(AppError::Unauthenticated(
            "a personal Microsoft account has no organization: sign in with a work or school account".into(),
        ));
    }
    let upn = c
        .upn
        .or(c.preferred_username)
        .map(|u| u.to_ascii_lowercase());
    let app_id = c.azp.or(c.appid).map(|a| a.to_ascii_lowercase());
    let mut roles: Vec<Role> = c.roles.iter().filter_map(|r| role_from_claim(r)).collect();
    // A user token for this API (its audience was checked) with delegated scopes and no
    // app role is an organizer's: Entra users need no role assignment to schedule.
    if roles.is_empty() && upn.is_some() && c.scp.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        roles.push(Role::Organizer);
    }
    let actor = upn
        .clone()
        .or_else(|| app_id.clone())
        .unwrap_or_else(|| "unknown".into());
    Ok(Caller {
        tenant: c.tid,
        actor,
        upn,
        oid: c
            .oid
            .map(|o| o.trim().to_ascii_lowercase())
            .filter(|o| !o.is_empty() && o.len() <= 64),
        roles,
        groups: c.groups,
        app_id,
    })
}

/// Retries discovery until it succeeds: 1 s, 2 s, 4 s … at most a minute apart.
async fn discover_with_backoff(issuer: Arc<OidcIssuer>) {
    let mut wait = Duration::from_secs(1);
    loop {
        tokio::time::sleep(wait).await;
        if issuer.discovered().is_some() {
            return; // a request found it meanwhile
        }
        let attempt = {
            let _one = issuer.fetching.lock().await;
            issuer.discover_and_refresh().await
        };
        match attempt {
            Ok(()) => {
                tracing::info!(issuer = %issuer.configured, "identity provider reached");
                return;
            }
            Err(e) => tracing::warn!(issuer = %issuer.configured, error = %e, retry_in = ?wait,
                "identity provider still unreachable"),
        }
        wait = (wait * 2).min(DISCOVERY_BACKOFF_MAX);
    }
}

impl OidcIssuer {
    fn discovered(&self) -> Option<Discovered> {
        self.discovered.read().ok().and_then(|d| d.clone())
    }

    /// Whether a token's `iss` names this issuer: its metadata's `issuer`, or the
    /// configured URL while the metadata is not read yet. A template issuer (Entra's
    /// multi-tenant `…/{tenantid}/v2.0`) matches only the template filled with the token's
    /// own `tid`: a tenant whose admins can write `tid` into its tokens (one issuer's keys
    /// sign for every tenant) cannot speak for another tenant.
    fn matches(&self, iss: &str, tid: &str) -> bool {
        let template = match self.discovered() {
            Some(d) => d.issuer,
            None => self.configured.clone(),
        };
        if template.contains(TENANT_PLACEHOLDER) {
            template_tid(tid)
                && template
                    .replace(TENANT_PLACEHOLDER, tid)
                    .trim_end_matches('/')
                    == iss.trim_end_matches('/')
        } else {
            template.trim_end_matches('/') == iss.trim_end_matches('/')
        }
    }

    async fn discover_and_refresh(&self) -> Result<(), String> {
        *self.last_fetch.write().map_err(|e| e.to_string())? = Some(Instant::now());
        // A template's metadata is read with `common` in the tenant's place (as Entra serves
        // it for multi-tenant apps).
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            self.configured.replace(TENANT_PLACEHOLDER, "common")
        );
        let doc: serde_json::Value =
            http_get_json(&self.client, &discovery, self.loopback_http).await?;
        let jwks_uri = doc["jwks_uri"]
            .as_str()
            .ok_or_else(|| format!("{discovery} has no jwks_uri"))?
            .to_string();
        check_issuer_url(&jwks_uri, self.loopback_http)?;
        let issuer = doc["issuer"]
            .as_str()
            .unwrap_or(&self.configured)
            .to_string();
        if self.configured.contains(TENANT_PLACEHOLDER) != issuer.contains(TENANT_PLACEHOLDER) {
            return Err(format!(
                "{discovery} says issuer {issuer:?}, which does not fit --issuer {} (a {TENANT_PLACEHOLDER} template and a fixed issuer do not mix)",
                self.configured
            ));
        }
        self.refresh_from(&jwks_uri).await?;
        *self.discovered.write().map_err(|e| e.to_string())? =
            Some(Discovered { issuer, jwks_uri });
        Ok(())
    }

    async fn refresh_from(&self, jwks_uri: &str) -> Result<(), String> {
        *self.last_fetch.write().map_err(|e| e.to_string())? = Some(Instant::now());
        let set: JwkSet = http_get_json(&self.client, jwks_uri, self.loopback_http).await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk))
            else {
                continue;
            };
            let alg = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => continue, // symmetric ("oct") keys are never trusted
            };
            let alg = jwk
                .common
                .key_algorithm
                .and_then(|a| a.to_string().parse().ok())
                .unwrap_or(alg);
            if asymmetric(alg) {
                let fingerprint = serde_json::to_string(jwk).unwrap_or_default();
                keys.insert(
                    kid,
                    Key {
                        key,
                        alg,
                        fingerprint,
                    },
                );
            }
        }
        let mut kept = self.keys.write().map_err(|e| e.to_string())?;
        // Tokens cached under a key that is gone or changed must be checked again; new keys
        // alone invalidate nothing.
        let lost = kept
            .iter()
            .any(|(kid, k)| keys.get(kid).is_none_or(|n| n.fingerprint != k.fingerprint));
        *kept = keys;
        drop(kept);
        if lost {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        if let Ok(mut unknown) = self.unknown_kids.lock() {
            unknown.clear();
        }
        Ok(())
    }

    /// Fetches again if no fetch happened within `min_refetch` (one at a time; a request
    /// waits at most `FETCH_BUDGET`).
    async fn refetch_if_due(&self, min_refetch: Duration) {
        let due = |s: &Self| {
            s.last_fetch
                .read()
                .ok()
                .and_then(|t| *t)
                .is_none_or(|t| t.elapsed() >= min_refetch)
        };
        if !due(self) {
            return;
        }
        let fetch = async {
            let _one = self.fetching.lock().await;
            // Someone else may have fetched while this request waited.
            if !due(self) {
                return Ok(());
            }
            match self.discovered() {
                Some(d) => self.refresh_from(&d.jwks_uri).await,
                None => self.discover_and_refresh().await,
            }
        };
        match tokio::time::timeout(FETCH_BUDGET, fetch).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(issuer = %self.configured, error = %e, "JWKS refresh failed")
            }
            Err(_) => {
                tracing::warn!(issuer = %self.configured, "JWKS refresh took longer than {FETCH_BUDGET:?}")
            }
        }
    }

    async fn key(
        &self,
        kid: &str,
        min_refetch: Duration,
    ) -> Result<(DecodingKey, Algorithm), AppError> {
        let lookup = || {
            self.keys
                .read()
                .ok()
                .and_then(|k| k.get(kid).map(|k| (k.key.clone(), k.alg)))
        };
        if let Some(k) = lookup() {
            return Ok(k);
        }
        let unknown = || {
            let pending = if self.discovered().is_none() {
                " (its identity provider has not been reached yet)"
            } else {
                ""
            };
            AppError::Unauthenticated(format!(
                "no signing key {kid:?} at issuer {}{pending}",
                self.configured
            ))
        };
        // A kid that a recent fetch did not have: refused without another fetch.
        let recently_unknown = self
            .unknown_kids
            .lock()
            .ok()
            .and_then(|u| u.get(kid).copied())
            .is_some_and(|at| at.elapsed() < min_refetch);
        if recently_unknown {
            return Err(unknown());
        }
        // Unknown kid: the issuer may have rotated keys. Refetch, but not too often.
        self.refetch_if_due(min_refetch).await;
        if let Some(k) = lookup() {
            return Ok(k);
        }
        if let Ok(mut u) = self.unknown_kids.lock() {
            if u.len() >= UNKNOWN_KIDS_MAX {
                u.clear();
            }
            u.insert(kid.to_string(), Instant::now());
        }
        Err(unknown())
    }
}

impl DevIssuer {
    async fn load_or_create(db: &Db) -> Result<Self, String> {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let (kid, pkcs8) = match store::dev_keys::current(db)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(key) => key,
            None => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|e| e.to_string())?;
                store::dev_keys::offer(db, &format!("dev-{}", now_ms()), doc.as_ref())
                    .await
                    .map_err(|e| e.to_string())?;
                store::dev_keys::current(db)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("the dev issuer key was not stored")?
            }
        };
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|e| e.to_string())?;
        Ok(DevIssuer {
            kid,
            signing: EncodingKey::from_ec_der(&pkcs8),
            verifying: DecodingKey::from_ec_der(pair.public_key().as_ref()),
        })
    }
}
