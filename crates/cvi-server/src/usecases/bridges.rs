//! Bridges: a Pexip Infinity bridge's credentials, scoped to one tenant and provider —
//! created by an admin (the secret shown once, kept only as its SHA-256), listed, revoked —
//! and its logins, kept briefly in memory so a Pexip request costs no query.

use base64::Engine;
use cvi_core::{
    api::{BridgeView, NewBridge, NewBridgeCreated},
    times::format_ms,
};
use cvi_store::{self as store, audit, bridges::Bridge};

use super::{providers::provider_name, Caller, Context, Error, Result, Role};

/// How long a bridge's credential is kept in this process. A revocation on this server
/// counts at once (the entry goes); on another server of the deployment within this.
const CREDENTIAL_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Bridge credentials by user name (and names that are none), kept for [`CREDENTIAL_TTL`].
pub struct Credentials(crate::kept::Kept<Option<store::bridges::Credential>>);

impl Default for Credentials {
    fn default() -> Self {
        Credentials(crate::kept::Kept::new(10_000, CREDENTIAL_TTL))
    }
}

impl Credentials {
    /// Forgets a bridge (created or revoked here).
    pub fn forget(&self, username: &str) {
        self.0.forget(username);
    }

    /// Forgets every bridge (a provider and its bridges went).
    pub fn clear(&self) {
        self.0.clear();
    }
}

/// SHA-256 of a secret, hex: what is stored and compared.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        secret.as_bytes(),
    ))
}

/// The bridge that `username` and `secret` name, or `None` (unknown or wrong: one answer).
pub async fn login(cx: &Context, username: &str, secret: &str) -> Result<Option<Bridge>> {
    let cred = cx
        .bridges
        .0
        .get_or_fetch(username, || store::bridges::credential(&cx.db, username))
        .await?;
    // Comparing hashes: timing says nothing about the secret.
    Ok(cred
        .filter(|c| c.secret_sha256 == secret_hash(secret))
        .map(|c| c.bridge))
}

fn view(b: &Bridge) -> BridgeView {
    BridgeView {
        username: b.username.clone(),
        provider: b.provider.clone(),
        teams_connector: b.teams_connector.clone(),
        created_by: b.created_by.clone(),
        created_at: format_ms(b.created_at),
    }
}

/// Create credentials for a bridge (the secret is in this answer only).
pub async fn create(cx: &Context, caller: &Caller, body: NewBridge) -> Result<NewBridgeCreated> {
    caller.require(Role::Admin)?;
    let provider = provider_name(&body.provider)?;
    let connector = body
        .teams_connector
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    if let Some(c) = &connector {
        // Pexip limits its fields to 250 characters; a name is one line of text.
        if c.chars().count() > 250 || c.chars().any(char::is_control) {
            return Err(Error::Invalid(
                "teams_connector: at most 250 characters, no control characters (Pexip's name of the Teams Connector)".into(),
            ));
        }
    }
    let mut tx = cx.writes.begin().await?;
    if store::providers::find(&mut *tx, &caller.tenant, provider)
        .await?
        .is_none()
    {
        return Err(Error::NotFound(format!(
            "no {provider} provider is configured; create it with `cvi provider new` first"
        )));
    }
    let bridge = Bridge {
        username: format!("bridge-{:016x}", rand::random::<u64>()),
        tenant: caller.tenant.clone(),
        provider: provider.to_string(),
        teams_connector: connector,
        created_by: caller.actor.clone(),
        created_at: cvi_store::db::now_ms(),
    };
    let secret =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    store::bridges::insert(&mut tx, &bridge, &secret_hash(&secret)).await?;
    let v = view(&bridge);
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "bridge.new",
        &bridge.username,
        None::<&()>,
        Some(&v),
    )
    .await?;
    tx.commit().await?;
    cx.bridges.forget(&bridge.username);
    Ok(NewBridgeCreated {
        bridge: v,
        secret,
        policy_server_url: cx.public_url.trim_end_matches('/').to_string(),
    })
}

/// This tenant's bridge credentials (without secrets).
pub async fn list(cx: &Context, caller: &Caller) -> Result<Vec<BridgeView>> {
    caller.require(Role::Admin)?;
    let all = store::bridges::list(&cx.db, &caller.tenant).await?;
    Ok(all.iter().map(view).collect())
}

/// Revoke a bridge's credentials: its next policy request is refused.
pub async fn remove(cx: &Context, caller: &Caller, username: &str) -> Result<BridgeView> {
    caller.require(Role::Admin)?;
    let mut tx = cx.writes.begin().await?;
    let gone = store::bridges::delete(&mut tx, &caller.tenant, username)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "no bridge {username:?} in this tenant; `cvi bridge list` shows them"
            ))
        })?;
    let v = view(&gone);
    audit::record(
        &mut tx,
        &caller.tenant,
        &caller.actor,
        "bridge.remove",
        username,
        Some(&v),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    // After the commit: a request in between must not keep the old row for long.
    cx.bridges.forget(username);
    Ok(v)
}
