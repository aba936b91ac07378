//! Token validation: what is refused and why, the dev issuer, and a real OIDC issuer
//! (discovery + JWKS served over HTTP) including key rotation.

mod common;

use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{Backend, Options};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(iss: &str, aud: &str, exp: i64) -> Value {
    json!({"iss": iss, "aud": aud, "exp": exp, "tid": "t", "upn": "ann@t.example", "roles": ["admin"]})
}

/// An EC P-256 key: PKCS#8 for signing, JWK for publishing.
struct EcKey {
    kid: String,
    pkcs8: Vec<u8>,
    jwk: Value,
}

fn ec_key(kid: &str) -> EcKey {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .unwrap()
        .as_ref()
        .to_vec();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
    let point = pair.public_key().as_ref();
    let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256", "x": b64(&point[1..33]), "y": b64(&point[33..65])});
    EcKey {
        kid: kid.into(),
        pkcs8,
        jwk,
    }
}

fn sign(key: &EcKey, claims: &Value) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_ec_der(&key.pkcs8)).unwrap()
}

on_both!(refused_tokens, |b: Backend| {
    let s = common::start(b);
    let get = |token: Option<&str>| s.call("GET", "/api/v1/grants", token, None);

    let (st, p) = get(None);
    assert_eq!(
        (st, p["type"].as_str()),
        (401, Some("urn:cvi:problem:unauthenticated"))
    );
    assert!(p["detail"].as_str().unwrap().contains("Bearer"));
    assert_eq!(get(Some("not-a-jwt")).0, 401);

    // alg: none, and an HMAC token claiming the dev issuer.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims("cvi-dev", "api://cvi", now() + 600)
            .to_string()
            .as_bytes())
    );
    let (st, p) = get(Some(&none));
    assert_eq!(st, 401, "{p}");
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("cvi-dev", "api://cvi", now() + 600),
        &EncodingKey::from_secret(b"guess"),
    )
    .unwrap();
    let (st, p) = get(Some(&hs));
    assert_eq!(st, 401);
    assert!(
        p["detail"].as_str().unwrap().contains("not accepted"),
        "{p}"
    );

    // Signed with the real dev key, but expired / wrong audience / unknown issuer.
    let (kid, hex): (String, String) = s
        .block_on(sqlx::query_as("SELECT kid, pkcs8_hex FROM dev_issuer_keys").fetch_one(&s.db))
        .unwrap();
    let pkcs8: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let dev = EcKey {
        kid,
        pkcs8,
        jwk: Value::Null,
    };
    assert_eq!(
        get(Some(&sign(
            &dev,
            &claims("cvi-dev", "api://cvi", now() + 600)
        )))
        .0,
        200,
        "control: a good dev token works"
    );
    for (c, needle) in [
        (claims("cvi-dev", "api://cvi", now() - 3600), "Expired"),
        (claims("cvi-dev", "api://other", now() + 600), "Audience"),
        (
            claims("https://evil.example", "api://cvi", now() + 600),
            "not trusted",
        ),
    ] {
        let (st, p) = get(Some(&sign(&dev, &c)));
        assert_eq!(st, 401, "{c}");
        assert!(
            p["detail"].as_str().unwrap().contains(needle),
            "{p} should mention {needle}"
        );
    }
    // A token signed by another key with the dev key's kid.
    let forged = EcKey {
        kid: dev.kid.clone(),
        ..ec_key("x")
    };
    assert_eq!(
        get(Some(&sign(
            &forged,
            &claims("cvi-dev", "api://cvi", now() + 600)
        )))
        .0,
        401
    );
    // No tenant.
    let mut c = claims("cvi-dev", "api://cvi", now() + 600);
    c["tid"] = json!("");
    assert_eq!(get(Some(&sign(&dev, &c))).0, 401);
});

#[test]
fn dev_tokens_need_the_dev_issuer() {
    let with = common::start(Backend::Sqlite);
    let token = with.token("t", "ann@t.example", "admin");
    let without = common::start_with(
        Backend::Sqlite,
        Options {
            dev_issuer: false,
            ..Options::default()
        },
    );
    let (st, p) = without.call("GET", "/api/v1/grants", Some(&token), None);
    assert_eq!(st, 401);
    assert!(p["detail"].as_str().unwrap().contains("--dev-issuer"));
    let (st, _) = without.call(
        "POST",
        "/api/v1/dev/token",
        None,
        Some(json!({"tenant": "t", "user": "u@t.example", "role": "admin"})),
    );
    assert_eq!(st, 404);
}

#[test]
fn oidc_issuer_with_key_rotation() {
    // A minimal OIDC issuer: discovery document + JWKS that the test can rotate.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let k1 = ec_key("k1");
    let jwks = Arc::new(Mutex::new(json!({"keys": [k1.jwk.clone()]})));
    let fetches = Arc::new(Mutex::new(0u32));
    {
        let (jwks, fetches, iss) = (jwks.clone(), fetches.clone(), issuer.clone());
        let app =
            axum::Router::new()
                .route(
                    "/.well-known/openid-configuration",
                    axum::routing::get(move || {
                        let iss = iss.clone();
                        async move {
                            axum::Json(json!({"issuer": iss, "jwks_uri": format!("{iss}/keys")}))
                        }
                    }),
                )
                .route(
                    "/keys",
                    axum::routing::get(move || {
                        let (jwks, fetches) = (jwks.clone(), fetches.clone());
                        async move {
                            *fetches.lock().unwrap() += 1;
                            axum::Json(jwks.lock().unwrap().clone())
                        }
                    }),
                );
        rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    let s = common::start_with(
        Backend::Sqlite,
        Options {
            dev_issuer: false,
            issuers: vec![issuer.clone()],
            ..Options::default()
        },
    );
    let get = |t: &str| s.call("GET", "/api/v1/grants", Some(t), None);
    let first = sign(&k1, &claims(&issuer, "api://cvi", now() + 600));
    assert_eq!(get(&first).0, 200);
    assert_eq!(get(&first).0, 200, "again, from the verified-token cache");
    assert_eq!(*fetches.lock().unwrap(), 1, "keys are cached");

    // The issuer rotates to k2: a token with the new kid triggers one refetch and works.
    let k2 = ec_key("k2");
    *jwks.lock().unwrap() = json!({"keys": [k2.jwk.clone()]});
    assert_eq!(
        get(&sign(&k2, &claims(&issuer, "api://cvi", now() + 600))).0,
        200
    );
    assert_eq!(*fetches.lock().unwrap(), 2);
    // k1 was retired: its tokens are refused now, also one that was verified (and cached)
    // before the rotation.
    assert_eq!(
        get(&sign(&k1, &claims(&issuer, "api://cvi", now() + 600))).0,
        401
    );
    assert_eq!(get(&first).0, 401, "a cached token dies with its key");
    // A symmetric ("oct") key in the JWKS is never trusted.
    *jwks.lock().unwrap() = json!({"keys": [{"kty": "oct", "kid": "h", "k": b64(b"secret")}]});
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("h".into());
    let hs = jsonwebtoken::encode(
        &h,
        &claims(&issuer, "api://cvi", now() + 600),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    assert_eq!(get(&hs).0, 401);
}

/// How the stand-in identity provider answers `/keys`.
#[derive(Clone, Copy, PartialEq)]
enum Jwks {
    Serve,
    /// Hangs far longer than any request may wait.
    Slow,
    /// 500, as a provider in trouble does.
    Fail,
}

/// An OIDC stand-in on `listener`: discovery, and a JWKS whose behaviour the test switches.
/// Returns the key set, the mode and the number of JWKS fetches.
fn identity_provider(
    rt: &tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    keys: Value,
) -> (Arc<Mutex<Jwks>>, Arc<Mutex<u32>>) {
    let iss = format!("http://{}", listener.local_addr().unwrap());
    let mode = Arc::new(Mutex::new(Jwks::Serve));
    let fetches = Arc::new(Mutex::new(0u32));
    let (m, f) = (mode.clone(), fetches.clone());
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let iss = iss.clone();
                async move { axum::Json(json!({"issuer": iss, "jwks_uri": format!("{iss}/keys")})) }
            }),
        )
        .route(
            "/keys",
            axum::routing::get(move || {
                let (m, f, keys) = (m.clone(), f.clone(), keys.clone());
                async move {
                    *f.lock().unwrap() += 1;
                    let mode = *m.lock().unwrap();
                    match mode {
                        Jwks::Serve => (axum::http::StatusCode::OK, axum::Json(keys)),
                        Jwks::Slow => {
                            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                            (axum::http::StatusCode::OK, axum::Json(keys))
                        }
                        Jwks::Fail => (
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            axum::Json(json!({"error": "server_error"})),
                        ),
                    }
                }
            }),
        );
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (mode, fetches)
}

#[test]
fn an_identity_provider_absent_at_start_is_reached_later() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A port with nobody on it yet: the provider comes up after the server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let s = common::start_with(
        Backend::Sqlite,
        Options {
            dev_issuer: false,
            issuers: vec![issuer.clone()],
            // Requests do not fetch: only the background discovery can find the provider.
            jwks_min_refetch: std::time::Duration::from_secs(600),
            ..Options::default()
        },
    );
    let (st, _) = s.call("GET", "/healthz", None, None);
    assert_eq!(st, 200, "the server started and answers probes");
    let k1 = ec_key("k1");
    let token = sign(&k1, &claims(&issuer, "api://cvi", now() + 600));
    let (st, p) = s.call("GET", "/api/v1/grants", Some(&token), None);
    assert_eq!(st, 401);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not been reached yet"),
        "{p}"
    );

    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .unwrap();
    identity_provider(&rt, listener, json!({"keys": [k1.jwk.clone()]}));
    // Backoff retries at 1 s, 3 s, 7 s … after start.
    let reached = (0..40).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(250));
        s.call("GET", "/api/v1/grants", Some(&token), None).0 == 200
    });
    assert!(reached, "the token validates once the provider is up");
}

#[test]
fn a_slow_or_failing_jwks_holds_no_one_up() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let k1 = ec_key("k1");
    let (mode, fetches) = identity_provider(&rt, listener, json!({"keys": [k1.jwk.clone()]}));
    let s = Arc::new(common::start_with(
        Backend::Sqlite,
        Options {
            dev_issuer: false,
            issuers: vec![issuer.clone()],
            jwks_min_refetch: std::time::Duration::from_secs(5),
            ..Options::default()
        },
    ));
    let good = sign(&k1, &claims(&issuer, "api://cvi", now() + 600));
    assert_eq!(s.call("GET", "/api/v1/grants", Some(&good), None).0, 200);
    assert_eq!(*fetches.lock().unwrap(), 1);
    std::thread::sleep(std::time::Duration::from_secs(5)); // a refetch is due again

    // The JWKS hangs. Twenty requests with unknown kids: one fetch between them, each
    // refused after the fetch budget (3 s), not after the provider's 60 s; a token with
    // a known key is answered meanwhile without waiting at all.
    *mode.lock().unwrap() = Jwks::Slow;
    let started = std::time::Instant::now();
    let unknown: Vec<_> = (0..20)
        .map(|i| {
            let (s, t) = (
                s.clone(),
                sign(
                    &ec_key(&format!("x{i}")),
                    &claims(&issuer, "api://cvi", now() + 600),
                ),
            );
            std::thread::spawn(move || s.call("GET", "/api/v1/grants", Some(&t), None).0)
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let t = std::time::Instant::now();
    assert_eq!(s.call("GET", "/api/v1/grants", Some(&good), None).0, 200);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "a known key does not wait for the provider"
    );
    for h in unknown {
        assert_eq!(h.join().unwrap(), 401);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "refused within the budget, not the provider's 60 s"
    );
    assert_eq!(
        *fetches.lock().unwrap(),
        2,
        "one fetch in flight for all of them"
    );

    // The JWKS fails: the keys held still verify, and made-up kids cost no fetch.
    *mode.lock().unwrap() = Jwks::Fail;
    std::thread::sleep(std::time::Duration::from_secs(5));
    let x = sign(&ec_key("y"), &claims(&issuer, "api://cvi", now() + 600));
    assert_eq!(s.call("GET", "/api/v1/grants", Some(&x), None).0, 401);
    let after_fail = *fetches.lock().unwrap();
    assert_eq!(after_fail, 3, "one attempt");
    for i in 0..10 {
        let x = sign(
            &ec_key(&format!("z{i}")),
            &claims(&issuer, "api://cvi", now() + 600),
        );
        assert_eq!(s.call("GET", "/api/v1/grants", Some(&x), None).0, 401);
    }
    assert_eq!(
        *fetches.lock().unwrap(),
        after_fail,
        "no fetch within the refetch interval"
    );
    assert_eq!(
        s.call("GET", "/api/v1/grants", Some(&good), None).0,
        200,
        "held keys still work"
    );
}
