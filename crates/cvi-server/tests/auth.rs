//! Token validation: what is refused and why, the dev issuer, and a real OIDC issuer
//! (discovery + JWKS served by the test kit's Microsoft stand-in) including key rotation,
//! an issuer that is away or slow, Entra's multi-tenant issuer and the groups overage.

mod common;

use std::sync::Arc;

use base64::Engine;
use common::{Backend, Options};
use cvi_testkit::microsoft::{Fault, Jwks, Microsoft};
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
    // Entra's discovery and JWKS (the test kit's stand-in), which the test rotates.
    let ms = Microsoft::start("unused").unwrap();
    let issuer = ms.issuer("t");
    let k1 = ec_key("k1");
    ms.signing_keys(json!({"keys": [k1.jwk.clone()]}));
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
    assert_eq!(ms.jwks_fetches(), 1, "keys are cached");

    // The issuer rotates to k2: a token with the new kid triggers one refetch and works.
    let k2 = ec_key("k2");
    ms.signing_keys(json!({"keys": [k2.jwk.clone()]}));
    assert_eq!(
        get(&sign(&k2, &claims(&issuer, "api://cvi", now() + 600))).0,
        200
    );
    assert_eq!(ms.jwks_fetches(), 2);
    // k1 was retired: its tokens are refused now, also one that was verified (and cached)
    // before the rotation.
    assert_eq!(
        get(&sign(&k1, &claims(&issuer, "api://cvi", now() + 600))).0,
        401
    );
    assert_eq!(get(&first).0, 401, "a cached token dies with its key");
    // A symmetric ("oct") key in the JWKS is never trusted.
    ms.signing_keys(json!({"keys": [{"kty": "oct", "kid": "h", "k": b64(b"secret")}]}));
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

#[test]
fn an_identity_provider_absent_at_start_is_reached_later() {
    // A port with nobody on it yet: the provider comes up after the server.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}/t/v2.0");
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

    let ms = Microsoft::start_on("unused", port).unwrap();
    assert_eq!(ms.issuer("t"), issuer);
    ms.signing_keys(json!({"keys": [k1.jwk.clone()]}));
    // Backoff retries at 1 s, 3 s, 7 s … after start.
    let reached = (0..40).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(250));
        s.call("GET", "/api/v1/grants", Some(&token), None).0 == 200
    });
    assert!(reached, "the token validates once the provider is up");
}

#[test]
fn a_slow_or_failing_jwks_holds_no_one_up() {
    let ms = Microsoft::start("unused").unwrap();
    let issuer = ms.issuer("t");
    let k1 = ec_key("k1");
    ms.signing_keys(json!({"keys": [k1.jwk.clone()]}));
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
    assert_eq!(ms.jwks_fetches(), 1);
    std::thread::sleep(std::time::Duration::from_secs(5)); // a refetch is due again

    // The JWKS hangs. Twenty requests with unknown kids: one fetch between them, each
    // refused after the fetch budget (3 s), not after the provider's 60 s; a token with
    // a known key is answered meanwhile without waiting at all.
    ms.jwks(Jwks::Slow);
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
    assert_eq!(ms.jwks_fetches(), 2, "one fetch in flight for all of them");

    // The JWKS fails: the keys held still verify, and made-up kids cost no fetch.
    ms.jwks(Jwks::Fail);
    std::thread::sleep(std::time::Duration::from_secs(5));
    let x = sign(&ec_key("y"), &claims(&issuer, "api://cvi", now() + 600));
    assert_eq!(s.call("GET", "/api/v1/grants", Some(&x), None).0, 401);
    let after_fail = ms.jwks_fetches();
    assert_eq!(after_fail, 3, "one attempt");
    for i in 0..10 {
        let x = sign(
            &ec_key(&format!("z{i}")),
            &claims(&issuer, "api://cvi", now() + 600),
        );
        assert_eq!(s.call("GET", "/api/v1/grants", Some(&x), None).0, 401);
    }
    assert_eq!(
        ms.jwks_fetches(),
        after_fail,
        "no fetch within the refetch interval"
    );
    assert_eq!(
        s.call("GET", "/api/v1/grants", Some(&good), None).0,
        200,
        "held keys still work"
    );
}

/// Entra's multi-tenant issuer: `--issuer http://…/{tenantid}/v2.0`. The stand-in serves the
/// `common` metadata as Entra does (its `issuer` holds `{tenantid}`; see "Microsoft identity
/// platform and OpenID Connect protocol", learn.microsoft.com/entra/identity-platform/
/// v2-protocols-oidc, "Fetch the OpenID configuration document") and one JWKS whose keys
/// sign for every tenant: an RS256 key (Entra's) and an ES256 one.
#[test]
fn a_multi_tenant_issuer_binds_iss_to_the_tokens_own_tid() {
    let ms = Microsoft::start("unused").unwrap();
    let base = ms.base.clone();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let rsa_der = std::fs::read(format!("{fixtures}/rsa_test_key.der")).unwrap();
    let mut rsa_jwk: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{fixtures}/rsa_test_key.jwk.json")).unwrap(),
    )
    .unwrap();
    rsa_jwk["kid"] = json!("rsa1");
    rsa_jwk["use"] = json!("sig");
    let ec = ec_key("ec1");
    ms.signing_keys(json!({"keys": [rsa_jwk, ec.jwk.clone()]}));
    let s = common::start_with(
        Backend::Sqlite,
        Options {
            dev_issuer: false,
            issuers: vec![format!("{base}/{{tenantid}}/v2.0")],
            ..Options::default()
        },
    );
    let (a, b) = (
        "aaaaaaaa-0000-4000-8000-00000000000a",
        "bbbbbbbb-0000-4000-8000-00000000000b",
    );
    let iss = |tid: &str| format!("{base}/{tid}/v2.0");
    let entra = |iss_tid: &str, tid: &str| {
        json!({"iss": iss(iss_tid), "aud": "api://cvi", "exp": now() + 600, "nbf": now() - 10,
               "tid": tid, "oid": "00000000-0000-0000-0000-000000000001",
               "preferred_username": format!("admin@{tid}.example"), "roles": ["CVI.Admin"]})
    };
    let rs256 = |c: &Value| {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some("rsa1".into());
        jsonwebtoken::encode(&h, c, &EncodingKey::from_rsa_der(&rsa_der)).unwrap()
    };
    let call = |t: &str, method: &str, path: &str, body: Option<Value>| {
        s.call(method, path, Some(t), body)
    };

    // Tenant A with an RS256 token, tenant B with ES256: each sees its own data only.
    let token_a = rs256(&entra(a, a));
    let token_b = sign(&ec, &entra(b, b));
    let (st, v) = call(
        &token_a,
        "POST",
        "/api/v1/providers",
        Some(json!({"name": "Polycom", "tenant_key": "813878896@t.plcm.vc"})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        call(&token_b, "GET", "/api/v1/providers", None),
        (200, json!([]))
    );
    assert_eq!(
        call(&token_a, "GET", "/api/v1/providers", None)
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Tenant A's token with tenant B's tid — a tenant whose admins can write tid into its
    // tokens, signed by the shared keys — counts for neither.
    for forged in [rs256(&entra(a, b)), sign(&ec, &entra(a, b))] {
        let (st, p) = call(&forged, "GET", "/api/v1/providers", None);
        assert_eq!(st, 401, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("not trusted"), "{p}");
    }
    // Microsoft's tenant of personal accounts, even with a well-formed token: no tenant of
    // ours (#23 item 14).
    let consumer = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let (st, p) = call(
        &rs256(&entra(consumer, consumer)),
        "GET",
        "/api/v1/providers",
        None,
    );
    assert_eq!(st, 401, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("personal Microsoft account"),
        "{p}"
    );
    // A tid that would change the issuer URL's shape; the template itself as iss.
    let mut odd = entra(a, a);
    odd["tid"] = json!("a/../b");
    odd["iss"] = json!(iss("a/../b"));
    assert_eq!(call(&rs256(&odd), "GET", "/api/v1/providers", None).0, 401);
    let mut literal = entra(a, a);
    literal["iss"] = json!(format!("{base}/{{tenantid}}/v2.0"));
    assert_eq!(
        call(&rs256(&literal), "GET", "/api/v1/providers", None).0,
        401
    );

    // The usual JWT attacks, each refused with 401: no signature (`alg: none`), the RSA
    // public key used as an HMAC secret (algorithm confusion), a token without tid, an
    // expired one, Entra's v1 issuer for the right tid, a key the JWKS does not hold (its
    // own kid, or the kid of a key it does hold).
    let refused = |t: &str, why: &str| {
        let (st, p) = call(t, "GET", "/api/v1/providers", None);
        assert_eq!(st, 401, "{why}: {p}");
    };
    let body = b64(entra(a, a).to_string().as_bytes());
    refused(
        &format!(
            "{}.{body}.",
            b64(br#"{"alg":"none","kid":"rsa1","typ":"JWT"}"#)
        ),
        "alg none",
    );
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("rsa1".into());
    let n = rsa_jwk["n"].as_str().unwrap().as_bytes().to_vec();
    refused(
        &jsonwebtoken::encode(&hs, &entra(a, a), &EncodingKey::from_secret(&n)).unwrap(),
        "HS256 with the public key",
    );
    let mut no_tid = entra(a, a);
    no_tid.as_object_mut().unwrap().remove("tid");
    refused(&rs256(&no_tid), "no tid");
    let mut expired = entra(a, a);
    expired["exp"] = json!(now() - 600);
    refused(&rs256(&expired), "expired");
    let mut v1 = entra(a, a);
    v1["iss"] = json!(format!("https://sts.windows.net/{a}/"));
    refused(&rs256(&v1), "v1 issuer");
    refused(&sign(&ec_key("stranger"), &entra(a, a)), "unknown kid");
    refused(
        &sign(&ec_key("ec1"), &entra(a, a)),
        "another key under a known kid",
    );

    // aud as a list (RFC 7519 allows it) counts when ours is in it; nbf is checked.
    let mut listed = entra(a, a);
    listed["aud"] = json!(["api://other", "api://cvi"]);
    assert_eq!(
        call(&rs256(&listed), "GET", "/api/v1/providers", None).0,
        200
    );
    listed["aud"] = json!(["api://other"]);
    assert_eq!(
        call(&rs256(&listed), "GET", "/api/v1/providers", None).0,
        401
    );
    let mut early = entra(a, a);
    early["nbf"] = json!(now() + 3600);
    let (st, p) = call(&rs256(&early), "GET", "/api/v1/providers", None);
    assert_eq!(st, 401, "{p}");

    // A user token with the API's delegated scope and no app role is an organizer's.
    let mut user = entra(a, a);
    user["roles"] = json!([]);
    user["scp"] = json!("access_as_user");
    let (st, p) = call(&rs256(&user), "GET", "/api/v1/me/effective-policy", None);
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        call(&rs256(&user), "GET", "/api/v1/providers", None).0,
        403,
        "not an admin"
    );
    user["scp"] = json!("");
    assert_eq!(
        call(&rs256(&user), "GET", "/api/v1/me/effective-policy", None).0,
        403,
        "no role at all"
    );
}

#[test]
fn the_dev_issuer_stays_out_of_production() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cvi"))
            .arg("serve")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    // Next to a real identity provider: refused before anything starts.
    let (code, err) = run(&[
        "--dev-issuer",
        "--issuer",
        "https://login.microsoftonline.com/{tenantid}/v2.0",
        "--database",
        &db,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be combined with --issuer"), "{err}");
    // On a non-loopback address: refused unless asked for by name.
    let (code, err) = run(&["--dev-issuer", "--listen", "0.0.0.0:0", "--database", &db]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--dev-issuer-anywhere"), "{err}");
    // A plain-http issuer, even on loopback, needs the test flag.
    let (code, err) = run(&["--issuer", "http://127.0.0.1:9/x", "--database", &db]);
    assert_ne!(code, Some(0));
    assert!(err.contains("--allow-loopback-http-issuer"), "{err}");
    // Our app's client secret comes from a file only its owner can read.
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (code, err) = run(&[
            "--client-id",
            "app-1",
            "--client-secret-file",
            secret.to_str().unwrap(),
            "--database",
            &db,
        ]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("chmod 600"), "{err}");
    }
}

/// A user in more groups than a token carries: Entra leaves `groups` out and sets the
/// overage claim (`_claim_names`/`_claim_sources`, "Access token claims reference",
/// learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "Groups
/// overage claim"). The server asks Graph with our app's own token — never the endpoint the
/// token names — through a stand-in that checks the request shapes Microsoft documents
/// (client credentials form; getMemberGroups body) and throttles once with Retry-After.
#[test]
fn groups_that_did_not_fit_come_from_graph() {
    let ms = Microsoft::start("s3cret").unwrap();
    let base = ms.base.clone();
    let ec = ec_key("ec1");
    ms.signing_keys(json!({"keys": [ec.jwk.clone()]}));
    let oid = "11111111-2222-4333-8444-555555555555";
    ms.member_groups(oid, &["fee2c45b-915a-4a64-b130-f4eb9e75525e", "g-overage"]);
    // Graph throttles the first membership call, as it does: 429 with Retry-After.
    ms.fail_next(&[Fault::Throttled]);
    let graph = |secret: &str| cvi_server::graph::GraphConfig {
        graph_url: base.clone(),
        authority_url: base.clone(),
        client_id: "app-1".into(),
        client_secret: secret.into(),
    };
    let start = |secret: &str| {
        common::start_with(
            Backend::Sqlite,
            Options {
                dev_issuer: false,
                issuers: vec![format!("{base}/{{tenantid}}/v2.0")],
                graph: Some(graph(secret)),
                ..Options::default()
            },
        )
    };
    let s = start("s3cret");
    let tid = "aaaaaaaa-0000-4000-8000-00000000000a";
    let token = |extra: Value| {
        let mut c = json!({"iss": format!("{base}/{tid}/v2.0"), "aud": "api://cvi", "exp": now() + 600,
                           "tid": tid, "oid": oid,
                           "preferred_username": "ann@a.example"});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        sign(&ec, &c)
    };
    let admin = token(json!({"roles": ["admin"]}));
    let (st, v) = s.call("PUT", "/api/v1/grants", Some(&admin), Some(json!({
        "target": "group", "identity": "g-overage", "rank": 1, "policy_name": "Tag:PolycomServiceProviderEnabled"})));
    assert_eq!(st, 200, "{v}");
    let overage = json!({"scp": "access_as_user",
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": "http://attacker.invalid/getMemberObjects"}}});
    let user = token(overage.clone());
    let (st, v) = s.call("GET", "/api/v1/me/effective-policy", Some(&user), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["policy"]["identity"], "Tag:PolycomServiceProviderEnabled",
        "{v}"
    );
    assert!(v["reason"].as_str().unwrap().contains("g-overage"), "{v}");
    let groups_call = format!("getMemberGroups {oid} Bearer app-{tid}");
    assert_eq!(
        ms.requests(),
        [
            format!("token client_credentials {tid}"),
            groups_call.clone(),
            groups_call
        ],
        "our app's token for the user's tenant, a throttled call and its retry"
    );
    // Kept: the same token again costs no Graph call.
    assert_eq!(
        s.call("GET", "/api/v1/me/effective-policy", Some(&user), None)
            .0,
        200
    );
    assert_eq!(ms.requests().len(), 3);

    // Our app's secret is wrong: the user is told what the admin must fix, not "error".
    let wrong = start("not-the-secret");
    let (st, p) = wrong.call(
        "GET",
        "/api/v1/me/effective-policy",
        Some(&token(overage)),
        None,
    );
    assert_eq!(st, 503, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("--client-secret-file"),
        "{p}"
    );
}
