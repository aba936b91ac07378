//! The demo tenant of `cvi serve --demo` (what `cargo xtask serve` starts): a Polycom
//! provider with the seed guide's tenant key, its partner app consented, and a global
//! grant, so an organizer token gets coordinates at once.

use cvi_core::{AppId, Grant, GrantTarget, Provider, ProviderName, TenantKey};

use cvi_store::db::Db;
use cvi_store::{self as store, audit};

/// The demo tenant id.
pub const TENANT: &str = "demo";
/// The seed guide's example tenant key.
pub const TENANT_KEY: &str = "813878896@t.plcm.vc";
/// A made-up partner app id for the demo Polycom provider.
pub const APP_ID: &str = "7f3c2a10-5b1e-4c8d-9a6f-2e4b8c1d0a93";

/// Claims of a demo user, for the tokens `cvi serve --demo --dev-issuer` prints.
pub fn claims(upn: &str, role: &str) -> crate::auth::Claims {
    crate::auth::Claims {
        iss: String::new(),
        aud: Default::default(),
        exp: 0,
        iat: None,
        tid: TENANT.into(),
        upn: Some(upn.into()),
        preferred_username: None,
        roles: vec![role.into()],
        groups: vec![],
        appid: None,
        azp: None,
        oid: None,
        scp: None,
        claim_names: None,
    }
}

/// Seeds the demo tenant unless it already has a Polycom provider.
pub async fn seed(db: &Db) -> Result<(), sqlx::Error> {
    let provider = Provider {
        aad_application_ids: vec![AppId::parse(APP_ID).expect("a GUID")],
        ..Provider::new(
            ProviderName::Polycom,
            TenantKey::parse(TENANT_KEY).expect("a tenant key"),
        )
    };
    provision(
        db,
        TENANT,
        &provider,
        Some("Tag:PolycomServiceProviderEnabled"),
        ("cvi serve --demo", "demo.seed"),
    )
    .await
}

/// Provisions a tenant in one audited transaction, as an admin would with `cvi provider
/// new`, the consent links and `cvi policy grant --global`: `provider` with every app
/// consented, and `global_policy` granted tenant-wide unless the tenant has a global grant.
/// Does nothing when the tenant already has that provider.
pub async fn provision(
    db: &Db,
    tenant: &str,
    provider: &Provider,
    global_policy: Option<&str>,
    (actor, action): (&str, &str),
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    if !store::providers::insert(&mut tx, tenant, provider).await? {
        return tx.commit().await;
    }
    for app in &provider.aad_application_ids {
        store::consents::record(
            &mut tx,
            tenant,
            app.as_str(),
            &store::consents::Record {
                granted: true,
                error: None,
                verified_missing: None,
            },
        )
        .await?;
    }
    store::tenant_config::changed(&mut tx, tenant).await?;
    let has_global = store::grants::list(&mut *tx, tenant)
        .await?
        .iter()
        .any(|g| g.target == GrantTarget::Global);
    let granted = global_policy.filter(|_| !has_global);
    if let Some(policy) = granted {
        let g = Grant {
            target: GrantTarget::Global,
            policy_name: policy.to_string(),
        };
        store::grants::insert(&mut tx, tenant, &g).await?;
    }
    let after = serde_json::json!({
        "provider": provider.name.as_str(),
        "tenant_key": provider.tenant_key.to_string(),
        "consented": provider.aad_application_ids.iter().map(AppId::as_str).collect::<Vec<_>>(),
        "global_grant": granted,
    });
    audit::record(
        &mut tx,
        tenant,
        actor,
        action,
        tenant,
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await
}
