//! `dev_issuer_keys`: the dev issuer's signing key, kept in the database so every server on
//! it signs and verifies with the same one. The PKCS#8 document is stored hex-encoded.

use crate::db::{now_ms, Db};

fn from_hex(s: &str) -> Result<Vec<u8>, sqlx::Error> {
    hex::decode(s).map_err(|e| sqlx::Error::Decode(format!("dev_issuer_keys: {e}").into()))
}

/// The key in use (the oldest): its id and PKCS#8 document.
pub async fn current(db: &Db) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT kid, pkcs8_hex FROM dev_issuer_keys ORDER BY created_at LIMIT 1")
            .fetch_optional(db)
            .await?;
    row.map(|(kid, hex)| Ok((kid, from_hex(&hex)?))).transpose()
}

/// Offers a new key. Several servers may start at once on one database: read
/// [`current`] afterwards, and everybody uses the same key.
pub async fn offer(db: &Db, kid: &str, pkcs8: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO dev_issuer_keys (kid, pkcs8_hex, created_at) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING")
        .bind(kid)
        .bind(hex::encode(pkcs8))
        .bind(now_ms())
        .execute(db)
        .await?;
    Ok(())
}
