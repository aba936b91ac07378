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

use crate::{db::Db, error::AppError, store};

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
        let version = store::tenant_config::version(db, tenant).await?;
        let providers = store::providers::list(db, tenant).await?;
        let consented = store::consents::granted_apps(db, tenant).await?;
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
