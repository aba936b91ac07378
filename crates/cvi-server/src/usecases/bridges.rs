//! Bridge logins: a Pexip Infinity bridge's credentials, scoped to one tenant and provider.
//! The secret is kept only as its SHA-256; a login is kept briefly in memory, so a Pexip
//! request costs no query.

use cvi_store::{self as store, bridges::Bridge};

use super::{Context, Result};

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
