//! The policy API, typed, for tests: [`Api::send`] calls an endpoint declared in
//! `cvi_core::api::endpoints` and returns its reply type or the failure; [`provision`] is
//! the guide's Provision and Consent steps, which most tests start from.

use cvi_core::api::{
    endpoints::{
        CallbackQuery, ConsentCallback, ConsentLinksOf, CreateProvider, DevToken, Endpoint,
        ProviderQuery, PutGrant, BASE,
    },
    AppIds, GrantRequest, NewProvider, ProviderView, Role, TargetKind, TokenRequest,
};
use serde_json::Value;

use crate::serve::request;

/// A call that did not succeed: its status (0: no answer) and body (a problem document).
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub status: u16,
    pub body: Value,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.body)
    }
}

/// The API of one server, as one caller.
#[derive(Debug, Clone, Copy)]
pub struct Api<'a> {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: &'a str,
    pub token: Option<&'a str>,
}

impl<'a> Api<'a> {
    /// The same server as another caller.
    #[must_use]
    pub fn as_caller(self, token: &'a str) -> Api<'a> {
        Api {
            token: Some(token),
            ..self
        }
    }

    /// Calls `E` with its path parameters in order, its query and its body (`&()` for none).
    pub fn send<E: Endpoint>(
        &self,
        args: &[&str],
        query: &E::Query,
        body: &E::Request,
    ) -> Result<E::Reply, Failed> {
        // serde_urlencoded leaves absent (None) fields out.
        let query = serde_urlencoded::to_string(query).unwrap_or_default();
        let url = match query.as_str() {
            "" => format!("{}{BASE}{}", self.base, E::path(args)),
            q => format!("{}{BASE}{}?{q}", self.base, E::path(args)),
        };
        let body = serde_json::to_value(body).ok().filter(|b| !b.is_null());
        let r = request(&url, E::METHOD.as_str(), self.token, body);
        if !(200..300).contains(&r.status) {
            return Err(Failed {
                status: r.status,
                body: r.body,
            });
        }
        serde_json::from_value(r.body.clone()).map_err(|e| Failed {
            status: r.status,
            body: Value::String(format!(
                "the reply is not a {}: {e}: {}",
                std::any::type_name::<E::Reply>(),
                r.body
            )),
        })
    }

    /// A dev-issuer token (the server runs with `--dev-issuer`).
    pub fn dev_token(&self, tenant: &str, user: &str, role: Role) -> Result<String, Failed> {
        let req = TokenRequest {
            tenant: tenant.into(),
            user: user.into(),
            role,
            app_id: None,
            groups: Vec::new(),
            oid: None,
        };
        Ok(self.send::<DevToken>(&[], &(), &req)?.token)
    }
}

/// A tenant as [`provision`] left it.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Its admin's dev token.
    pub admin: String,
    pub provider: ProviderView,
}

/// The `state` of an admin-consent link (what the identity platform hands back).
#[must_use]
pub fn state_of(url: &str) -> String {
    url.split("state=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .unwrap_or_default()
        .to_string()
}

/// Follows every consent link of `provider` through the callback, as the identity platform
/// would after the admin consented.
pub fn consent_all(api: Api<'_>, provider: &str) -> Result<(), Failed> {
    let links = api.send::<ConsentLinksOf>(
        &[],
        &ProviderQuery {
            provider: Some(provider.into()),
        },
        &(),
    )?;
    for l in links.links {
        let outcome = Api { token: None, ..api }.send::<ConsentCallback>(
            &[],
            &CallbackQuery {
                admin_consent: Some("True".into()),
                state: Some(state_of(&l.url)),
                ..CallbackQuery::default()
            },
            &(),
        )?;
        assert!(
            outcome.consented,
            "consent of {} recorded: {outcome:?}",
            l.app_id
        );
    }
    Ok(())
}

/// The guide's Provision and Consent steps in tenant `tenant` of a server started with
/// `--dev-issuer`: a Polycom provider under `tenant_key` with partner apps `app_ids`,
/// their consent, and a tenant-wide grant of `Tag:PolycomServiceProviderEnabled`.
pub fn provision(
    base: &str,
    tenant: &str,
    tenant_key: &str,
    app_ids: &[&str],
) -> Result<Tenant, Failed> {
    let anonymous = Api { base, token: None };
    let admin = anonymous.dev_token(tenant, &format!("admin@{tenant}.example"), Role::Admin)?;
    let api = anonymous.as_caller(&admin);
    let provider = api.send::<CreateProvider>(
        &[],
        &(),
        &NewProvider {
            name: "Polycom".into(),
            tenant_key: tenant_key.into(),
            instruction_uri: None,
            aad_application_ids: Some(AppIds::Joined(app_ids.join(";"))),
            allow_app_guest_joins_as_authenticated: None,
            sip_gateway: None,
            sip_ivr: None,
        },
    )?;
    consent_all(api, "Polycom")?;
    api.send::<PutGrant>(
        &[],
        &(),
        &GrantRequest {
            target: TargetKind::Global,
            identity: None,
            rank: None,
            policy_name: Some("Tag:PolycomServiceProviderEnabled".into()),
        },
    )?;
    Ok(Tenant { admin, provider })
}
