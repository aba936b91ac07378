//! `tenant_config`: one version number per tenant, bumped by every write to its providers,
//! consents, grants or imports, so a server's kept copy of that configuration can be checked cheaply
//! (see `crate::tenant_config`).

use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::Db;

/// Select this, `FROM` [`WITH_VERSION`], and join what the decision reads onto `t.tid`
/// (the tenant id, bound as `$1`): the version and the data come from one statement.
pub const VERSION_COLUMN: &str = "v.version AS config_version";
pub const WITH_VERSION: &str =
    "FROM (SELECT CAST($1 AS TEXT) AS tid) t LEFT JOIN tenant_config v ON v.tenant_id = t.tid";

/// The version a [`WITH_VERSION`] statement read.
pub fn row_version(row: &AnyRow) -> Result<i64, sqlx::Error> {
    Ok(row
        .try_get::<Option<i64>, _>("config_version")?
        .unwrap_or(0))
}

/// The tenant's configuration version (0 before its first change).
pub async fn version(db: &Db, tenant: &str) -> Result<i64, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT version FROM tenant_config WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(db)
            .await?;
    Ok(v.unwrap_or(0))
}

/// Records that the tenant's providers or consents changed. Call it in the transaction that
/// changes them.
pub async fn changed(conn: &mut AnyConnection, tenant: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tenant_config (tenant_id, version) VALUES ($1, 1) \
         ON CONFLICT (tenant_id) DO UPDATE SET version = tenant_config.version + 1",
    )
    .bind(tenant)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the tenant's configuration is still at `version`, inside a writing transaction.
/// The row is written (to itself), so on PostgreSQL it stays locked until the transaction
/// ends: a change that commits later waits for it, one that committed first is seen. On
/// SQLite writers take turns, which gives the same order.
pub async fn still_at(
    conn: &mut AnyConnection,
    tenant: &str,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let touched = sqlx::query(
        "UPDATE tenant_config SET version = version WHERE tenant_id = $1 AND version = $2",
    )
    .bind(tenant)
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if touched == 1 || version != 0 {
        return Ok(touched == 1);
    }
    // Version 0: never configured, and still not.
    let v: Option<i64> =
        sqlx::query_scalar("SELECT version FROM tenant_config WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(v.is_none())
}
