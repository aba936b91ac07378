//! `bridges`: credentials a Pexip Infinity bridge presents to the external policy endpoint,
//! each scoped to one tenant and provider. Only the secret's SHA-256 is kept: the secret is
//! 32 random bytes, so a fast hash is enough (nothing to guess from it).

use sqlx::{AnyConnection, Row};

use crate::db::{now_ms, Db};

/// A bridge as listed (never its secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bridge {
    pub username: String,
    pub tenant: String,
    pub provider: String,
    pub teams_connector: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

/// A bridge and the hash its secret must match.
#[derive(Clone)]
pub struct Credential {
    pub bridge: Bridge,
    pub secret_sha256: String,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Bridge, sqlx::Error> {
    Ok(Bridge {
        username: r.try_get("username")?,
        tenant: r.try_get("tenant_id")?,
        provider: r.try_get("provider")?,
        teams_connector: r.try_get("teams_connector")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

const COLUMNS: &str = "username, tenant_id, provider, teams_connector, created_by, created_at";

pub async fn insert(
    tx: &mut AnyConnection,
    b: &Bridge,
    secret_sha256: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bridges (username, tenant_id, provider, secret_sha256, teams_connector, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&b.username)
    .bind(&b.tenant)
    .bind(&b.provider)
    .bind(secret_sha256)
    .bind(&b.teams_connector)
    .bind(&b.created_by)
    .bind(now_ms())
    .execute(tx)
    .await?;
    Ok(())
}

/// A tenant's bridges, oldest first.
pub async fn list(db: &Db, tenant: &str) -> Result<Vec<Bridge>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM bridges WHERE tenant_id = $1 ORDER BY created_at, username"
    ))
    .bind(tenant)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Removes one of a tenant's bridges; the removed row, if it was there.
pub async fn delete(
    tx: &mut AnyConnection,
    tenant: &str,
    username: &str,
) -> Result<Option<Bridge>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM bridges WHERE tenant_id = $1 AND username = $2"
    ))
    .bind(tenant)
    .bind(username)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    sqlx::query("DELETE FROM bridges WHERE tenant_id = $1 AND username = $2")
        .bind(tenant)
        .bind(username)
        .execute(&mut *tx)
        .await?;
    from_row(&row).map(Some)
}

/// Removes every bridge of a provider (the provider went).
pub async fn delete_provider(
    tx: &mut AnyConnection,
    tenant: &str,
    provider: &str,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM bridges WHERE tenant_id = $1 AND provider = $2")
            .bind(tenant)
            .bind(provider)
            .execute(tx)
            .await?
            .rows_affected(),
    )
}

/// The credential presented as `username`.
pub async fn credential(db: &Db, username: &str) -> Result<Option<Credential>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, secret_sha256 FROM bridges WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Credential {
            bridge: from_row(&r)?,
            secret_sha256: r.try_get("secret_sha256")?,
        })
    })
    .transpose()
}
