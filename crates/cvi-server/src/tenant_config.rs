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

use std::sync::Arc;

use cvi_core::{AppId, Provider, ProviderName};

use cvi_store::{self as store, db::Db};

/// Tenants kept; past this the least used are evicted (a reload is four small queries).
const MAX_TENANTS: usize = 10_000;

/// One tenant's providers and consented partner apps, as of `version`.
#[derive(Debug)]
pub struct TenantConfig {
    pub version: i64,
    pub providers: Vec<Provider>,
    consented: Vec<String>,
    /// The tenant imported meetings from another system (an import bumps the version).
    pub has_imports: bool,
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

/// Snapshots by tenant id; a full cache evicts the tenants used least (CLOCK-Pro).
pub struct ConfigCache {
    tenants: quick_cache::sync::Cache<String, Arc<TenantConfig>>,
    /// Count only consents Microsoft Graph confirmed (a server with Graph access).
    verified_only: bool,
}

impl Default for ConfigCache {
    fn default() -> Self {
        ConfigCache::new(false)
    }
}

impl ConfigCache {
    pub fn new(verified_only: bool) -> Self {
        ConfigCache {
            tenants: quick_cache::sync::Cache::new(MAX_TENANTS),
            verified_only,
        }
    }

    /// The kept snapshot, or a fresh one. Not yet checked: see the module docs.
    pub async fn get(&self, db: &Db, tenant: &str) -> Result<Arc<TenantConfig>, sqlx::Error> {
        let kept = self.tenants.get(tenant);
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
    ) -> Result<Arc<TenantConfig>, sqlx::Error> {
        let kept = self.get(db, tenant).await?;
        if kept.version >= version {
            Ok(kept)
        } else {
            self.load(db, tenant).await
        }
    }

    /// Reads the tenant's configuration and keeps it.
    pub async fn load(&self, db: &Db, tenant: &str) -> Result<Arc<TenantConfig>, sqlx::Error> {
        // The version first (see the module docs).
        let version = store::tenant_config::version(db, tenant).await?;
        let providers = store::providers::list(db, tenant).await?;
        let consented = store::consents::granted_apps(db, tenant, self.verified_only).await?;
        let has_imports = store::meetings::has_imports(db, tenant).await?;
        let c = Arc::new(TenantConfig {
            version,
            providers,
            consented,
            has_imports,
        });
        // A slower concurrent load may have read an older version: keep the newest. (Two
        // loads racing here can still leave the older one kept; a decision made with it is
        // checked against the database's version and made again.)
        let newest = match self.tenants.get(tenant) {
            Some(k) if k.version > c.version => k,
            _ => c,
        };
        self.tenants.insert(tenant.to_string(), newest.clone());
        Ok(newest)
    }
}
