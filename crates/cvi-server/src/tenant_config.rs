//! A tenant's partner configuration — its providers, which partner apps have admin
//! consent, and on SQLite the grants all its users share (groups, global) — kept per process,
//! because issuance, resolution and effective policy need it on every call and admins
//! change it rarely.
//!
//! Still correct with N servers on one database: every write to `providers`, `consents` or
//! `grants` bumps the tenant's version in the same transaction ([`changed`]), and a caller
//! checks the version it decided with against the database before the decision counts —
//! inside the statement that reads the meeting (resolution, and issuance's look-up of its
//! key) or the user's own grant (effective policy) — and decides again on a fresh snapshot
//! when it moved. Loading reads the
//! version *first*, so a snapshot can be labelled older than it is (and is reloaded), never
//! newer.

use std::{collections::HashMap, sync::Arc};

use cvi_core::{AppId, Grant, GrantTarget, Provider, ProviderName};

use cvi_store::{self as store, db::Db};

/// Tenants kept; past this the least used are evicted (a reload is five queries, one of
/// them the group grants).
const MAX_TENANTS: usize = 10_000;
/// Locks the loads of different tenants are spread over.
const LOAD_STRIPES: usize = 64;

/// One tenant's providers and consented partner apps, as of `version`.
#[derive(Debug)]
pub struct TenantConfig {
    pub version: i64,
    pub providers: Vec<Provider>,
    consented: Vec<String>,
    /// The tenant imported meetings from another system (an import bumps the version).
    pub has_imports: bool,
    /// The global grant and the group grants by (lower-case) group id: with the user's own
    /// grant, read per call, what effective policy decides with. Empty unless the cache
    /// keeps grants ([`ConfigCache::keeps_grants`]).
    global: Option<Grant>,
    groups: HashMap<String, Grant>,
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

    /// The shared grants that apply to a member of `groups`: the global one and those of
    /// the user's groups (ids compared lower-case, as stored).
    pub fn shared_grants(&self, groups: &[String]) -> Vec<Grant> {
        let mut out: Vec<Grant> = self.global.iter().cloned().collect();
        for g in groups {
            if let Some(grant) = self.groups.get(&g.to_ascii_lowercase()) {
                out.push(grant.clone());
            }
        }
        out
    }
}

/// Snapshots by tenant id; a full cache evicts the tenants used least (CLOCK-Pro).
pub struct ConfigCache {
    tenants: quick_cache::sync::Cache<String, Arc<TenantConfig>>,
    /// Loads of one tenant take turns (locks striped by tenant): the calls that find the
    /// kept snapshot too old together wait for one load, rather than each reading the
    /// tenant's thousands of group grants (measured: p99 1.1 s at start-up without).
    loading: Vec<tokio::sync::Mutex<()>>,
    /// Count only consents Microsoft Graph confirmed (a server with Graph access).
    verified_only: bool,
    /// Keep the group and global grants (where effective policy reads them from here).
    keep_grants: bool,
}

impl ConfigCache {
    pub fn new(verified_only: bool, keep_grants: bool) -> Self {
        ConfigCache {
            tenants: quick_cache::sync::Cache::new(MAX_TENANTS),
            loading: (0..LOAD_STRIPES).map(|_| Default::default()).collect(),
            verified_only,
            keep_grants,
        }
    }

    /// Whether snapshots hold the tenant's group and global grants
    /// ([`TenantConfig::shared_grants`]); otherwise they hold none.
    pub fn keeps_grants(&self) -> bool {
        self.keep_grants
    }

    /// The kept snapshot, or a fresh one. Not yet checked: see the module docs.
    pub async fn get(&self, db: &Db, tenant: &str) -> Result<Arc<TenantConfig>, sqlx::Error> {
        match self.tenants.get(tenant) {
            Some(c) => Ok(c),
            None => self.load_at_least(db, tenant, 0).await,
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
        match self.tenants.get(tenant) {
            Some(kept) if kept.version >= version => Ok(kept),
            _ => self.load_at_least(db, tenant, version).await,
        }
    }

    /// A snapshot at least as new as `version`: the one a load that finished while this
    /// call waited for its turn made, else a new load.
    async fn load_at_least(
        &self,
        db: &Db,
        tenant: &str,
        version: i64,
    ) -> Result<Arc<TenantConfig>, sqlx::Error> {
        use std::hash::{BuildHasher, RandomState};
        static STRIPES: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
        let stripe = STRIPES.get_or_init(RandomState::new).hash_one(tenant) as usize % LOAD_STRIPES;
        let _turn = self.loading[stripe].lock().await;
        match self.tenants.get(tenant) {
            Some(kept) if kept.version >= version => Ok(kept),
            _ => self.load(db, tenant).await,
        }
    }

    /// Reads the tenant's configuration and keeps it.
    pub async fn load(&self, db: &Db, tenant: &str) -> Result<Arc<TenantConfig>, sqlx::Error> {
        // The version first (see the module docs).
        let version = store::tenant_config::version(db, tenant).await?;
        let providers = store::providers::list(db, tenant).await?;
        let consented = store::consents::granted_apps(db, tenant, self.verified_only).await?;
        let has_imports = store::meetings::has_imports(db, tenant).await?;
        let (mut global, mut groups) = (None, HashMap::new());
        let shared = if self.keep_grants {
            store::grants::shared(db, tenant).await?
        } else {
            Vec::new()
        };
        for g in shared {
            match &g.target {
                GrantTarget::Group { group_id, .. } => {
                    groups.insert(group_id.clone(), g);
                }
                _ => global = Some(g),
            }
        }
        let c = Arc::new(TenantConfig {
            version,
            providers,
            consented,
            has_imports,
            global,
            groups,
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
