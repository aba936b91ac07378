//! Bearer-token authentication: who is calling, for which tenant, in which role.
//!
//! Tokens are JWTs signed with an asymmetric key (RS*/PS*/ES*) by a trusted issuer: an
//! OIDC issuer whose keys come from discovery + JWKS (refetched when an unknown `kid`
//! appears, which is how key rotation shows), or the local dev issuer of
//! `cvi serve --dev-issuer`, whose key lives in the database. `alg: none` and HMAC tokens
//! are rejected before any key is looked at.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        RwLock,
    },
    time::{Duration, Instant},
};

use axum::{extract::FromRequestParts, http::request::Parts};
pub use cvi_core::api::Role;
use jsonwebtoken::{
    decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use crate::{
    db::{now_ms, Db},
    error::AppError,
    state::AppState,
    store,
};

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

/// The claims the API reads. Unknown claims are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
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
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    /// UPN for users, the app id for apps: what the audit log records as actor.
    pub actor: String,
    pub upn: Option<String>,
    pub roles: Vec<Role>,
    pub groups: Vec<String>,
    pub app_id: Option<String>,
}

impl Caller {
    /// Fails with 403 unless the caller holds `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.roles.contains(&role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "this needs the {} role; your token has {}",
                serde_json::to_value(role)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                if self.roles.is_empty() {
                    "no role".to_string()
                } else {
                    format!("{:?}", self.roles)
                }
            )))
        }
    }

    /// Fails with 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), AppError> {
        match roles.iter().find(|r| self.roles.contains(r)) {
            Some(_) => Ok(()),
            None => self.require(roles[0]),
        }
    }

    /// The caller's UPN; apps have none.
    pub fn user(&self) -> Result<&str, AppError> {
        self.upn.as_deref().ok_or_else(|| {
            AppError::Forbidden("this needs a user token (with upn or preferred_username)".into())
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "send Authorization: Bearer <token> (get one with `cvi token`)".into(),
                )
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "the Authorization header must be `Bearer <token>`".into(),
                )
            })?;
        state.verifier.verify(token.trim()).await
    }
}

/// Keys of one trusted OIDC issuer.
struct OidcIssuer {
    client: reqwest::Client,
    issuer: String,
    jwks_uri: String,
    keys: RwLock<HashMap<String, (DecodingKey, Algorithm)>>,
    last_fetch: RwLock<Option<Instant>>,
    /// Bumped by every JWKS refresh: tokens verified under older keys are checked again.
    generation: AtomicU64,
}

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
    jwks_min_refetch: Duration,
    oidc: Vec<OidcIssuer>,
    dev: Option<DevIssuer>,
    verified: Verified,
}

/// Refetching a JWKS is rate-limited so a stream of bad `kid`s cannot hammer the issuer.
pub const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);

fn asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// The client for OIDC discovery and JWKS: bounded in time, and never redirected to a URL
/// that an issuer could not have (no https → http downgrade).
fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 3 || check_issuer_url(attempt.url().as_str()).is_err() {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

async fn http_get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<T, String> {
    let fail = |e: reqwest::Error| format!("GET {url}: {e}");
    client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(fail)?
        .json::<T>()
        .await
        .map_err(fail)
}

fn check_issuer_url(url: &str) -> Result<(), String> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    if url.starts_with("https://") || loopback.iter().any(|p| url.starts_with(p)) {
        Ok(())
    } else {
        Err(format!(
            "issuer {url} must use https:// (plain http only on loopback, for tests)"
        ))
    }
}

impl Verifier {
    /// Builds a verifier: discovers each OIDC issuer, and loads (or creates) the dev key.
    pub async fn new(
        audience: String,
        issuers: &[String],
        dev_issuer: Option<&Db>,
    ) -> Result<Self, String> {
        let mut oidc = Vec::new();
        let client = http_client()?;
        for issuer in issuers {
            check_issuer_url(issuer)?;
            let discovery = format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            );
            let doc: serde_json::Value = http_get_json(&client, &discovery).await?;
            let jwks_uri = doc["jwks_uri"]
                .as_str()
                .ok_or_else(|| format!("{discovery} has no jwks_uri"))?
                .to_string();
            check_issuer_url(&jwks_uri)?;
            let claimed = doc["issuer"].as_str().unwrap_or(issuer).to_string();
            let iss = OidcIssuer {
                client: client.clone(),
                issuer: claimed,
                jwks_uri,
                keys: RwLock::new(HashMap::new()),
                last_fetch: RwLock::new(None),
                generation: AtomicU64::new(0),
            };
            iss.refresh().await?;
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

    /// Mints a dev token (only with the dev issuer on).
    pub fn mint_dev(&self, mut claims: Claims, ttl_secs: i64) -> Result<String, AppError> {
        let dev = self.dev.as_ref().ok_or_else(|| {
            AppError::NotFound("the dev issuer is off; start the server with --dev-issuer".into())
        })?;
        let now = now_ms() / 1000;
        claims.iss = DEV_ISSUER.into();
        claims.aud = self.audience.clone();
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
                .find(|(_, i)| i.issuer == iss)
                .ok_or_else(|| bad(format!("issuer {iss:?} is not trusted by this server")))?;
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
        v.leeway = LEEWAY_SECS as u64;
        let claims = decode::<Claims>(token, &key, &v)
            .map_err(|e| bad(format!("the bearer token was rejected: {e}")))?
            .claims;
        let exp = claims.exp;
        let caller = caller_from(claims)?;
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

fn caller_from(c: Claims) -> Result<Caller, AppError> {
    if c.tid.trim().is_empty() {
        return Err(AppError::Unauthenticated(
            "the token has no tenant (tid claim)".into(),
        ));
    }
    let upn = c
        .upn
        .or(c.preferred_username)
        .map(|u| u.to_ascii_lowercase());
    let app_id = c.azp.or(c.appid).map(|a| a.to_ascii_lowercase());
    let roles = c.roles.iter().filter_map(|r| role_from_claim(r)).collect();
    let actor = upn
        .clone()
        .or_else(|| app_id.clone())
        .unwrap_or_else(|| "unknown".into());
    Ok(Caller {
        tenant: c.tid,
        actor,
        upn,
        roles,
        groups: c.groups,
        app_id,
    })
}

impl OidcIssuer {
    async fn refresh(&self) -> Result<(), String> {
        let set: JwkSet = http_get_json(&self.client, &self.jwks_uri).await?;
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
                keys.insert(kid, (key, alg));
            }
        }
        *self.keys.write().map_err(|e| e.to_string())? = keys;
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.last_fetch.write().map_err(|e| e.to_string())? = Some(Instant::now());
        Ok(())
    }

    async fn key(
        &self,
        kid: &str,
        min_refetch: Duration,
    ) -> Result<(DecodingKey, Algorithm), AppError> {
        let lookup = || self.keys.read().ok().and_then(|k| k.get(kid).cloned());
        if let Some(k) = lookup() {
            return Ok(k);
        }
        // Unknown kid: the issuer may have rotated keys. Refetch, but not too often.
        let due = self
            .last_fetch
            .read()
            .ok()
            .and_then(|t| *t)
            .is_none_or(|t| t.elapsed() >= min_refetch);
        if due {
            if let Err(e) = self.refresh().await {
                tracing::warn!(issuer = %self.issuer, error = %e, "JWKS refresh failed");
            }
        }
        lookup().ok_or_else(|| {
            AppError::Unauthenticated(format!("no signing key {kid:?} at issuer {}", self.issuer))
        })
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
