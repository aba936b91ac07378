//! A tenant's partner configuration — its providers and which partner apps have admin
//! consent — kept per process, because issuance and resolution need it on every call and
//! admins change it rarely.
//!
//! Still correct with N servers on one database: every write to `providers` or `consents`
//! bumps the tenant's version in the same transaction ([`changed`]), and a caller checks the
//! version it decided with against the database before the decision counts — inside the
//! statement that reads the meeting (resolution, and issuance's look-up of its key) — and
//! decides again on a fresh snapshot when it moved. Loading reads the
//! version *first*, so a snapshot can be labelled older than it is (and is reloaded), never
//! newer.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use cvi_core::{AppId, Provider, ProviderName};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::{api::providers, db::Db, error::AppError};

/// Tenants kept; past this the cache starts over (a reload is three small queries).
const MAX_TENANTS: usize = 10_000;

/// One tenant's providers and consented partner apps, as of `version`.
#[derive(Debug)]
pub struct TenantConfig {
    pub version: i64,
    pub providers: Vec<Provider>,
    consented: Vec<String>,
}

impl TenantConfig {
    pub fn provider(&self, name: ProviderName) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// The apps among `app_ids` that have no admin consent.
    pub fn missing_consent(&self, app_ids: &[AppId]) -> Vec<String> {
        app_ids
            .iter()
            .map(AppId::to_string)
            .filter(|a| !self.consented.contains(a))
            .collect()
    }
}

/// Snapshots by tenant id.
#[derive(Default)]
pub struct ConfigCache {
    tenants: RwLock<HashMap<String, Arc<TenantConfig>>>,
}

impl ConfigCache {
    /// The kept snapshot, or a fresh one. Not yet checked: see the module docs.
    pub async fn get(&self, db: &Db, tenant: &str) -> Result<Arc<TenantConfig>, AppError> {
        let kept = self
            .tenants
            .read()
            .expect("not poisoned")
            .get(tenant)
            .cloned();
        match kept {
            Some(c) => Ok(c),
            None => self.load(db, tenant).await,
        }
    }

    /// A snapshot at least as new as `version`, which the caller has just read from the
    /// database (no query when the kept one is that version).
    pub async fn at_version(
        &self,
        db: &Db,
        tenant: &str,
        version: i64,
    ) -> Result<Arc<TenantConfig>, AppError> {
        let kept = self.get(db, tenant).await?;
        if kept.version >= version {
            Ok(kept)
        } else {
            self.load(db, tenant).await
        }
    }

    /// Reads the tenant's configuration and keeps it.
    pub async fn load(&self, db: &Db, tenant: &str) -> Result<Arc<TenantConfig>, AppError> {
        // The version first (see the module docs).
        let version = version(db, tenant).await?;
        let providers = providers::list(db, tenant).await?;
        let consented: Vec<String> =
            sqlx::query_scalar("SELECT app_id FROM consents WHERE tenant_id = $1 AND granted = 1")
                .bind(tenant)
                .fetch_all(db)
                .await?;
        let c = Arc::new(TenantConfig {
            version,
            providers,
            consented,
        });
        let mut tenants = self.tenants.write().expect("not poisoned");
        if tenants.len() >= MAX_TENANTS {
            tenants.clear();
        }
        // A slower concurrent load may have read an older version: keep the newest.
        let newest = match tenants.get(tenant) {
            Some(k) if k.version > c.version => k.clone(),
            _ => c,
        };
        tenants.insert(tenant.to_string(), newest.clone());
        Ok(newest)
    }
}

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
