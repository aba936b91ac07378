//! The demo tenant of `cvi serve --demo` (what `cargo xtask serve` starts): a Polycom
//! provider with the seed guide's tenant key, its partner app consented, and a global
//! grant, so an organizer token gets coordinates at once.

use crate::{
    audit,
    db::{now_ms, Db},
};

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
        aud: String::new(),
        exp: 0,
        iat: None,
        tid: TENANT.into(),
        upn: Some(upn.into()),
        preferred_username: None,
        roles: vec![role.into()],
        groups: vec![],
        appid: None,
        azp: None,
    }
}

/// Seeds the demo tenant unless it already has a Polycom provider.
pub async fn seed(db: &Db) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let now = now_ms();
    let created = sqlx::query(
        "INSERT INTO providers (tenant_id, name, tenant_key, instruction_uri, aad_application_ids, \
         allow_app_guest_joins_as_authenticated, created_at, updated_at) VALUES ($1, 'Polycom', $2, NULL, $3, 0, $4, $4) \
         ON CONFLICT (tenant_id, name) DO NOTHING",
    )
    .bind(TENANT)
    .bind(TENANT_KEY)
    .bind(APP_ID)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if created == 0 {
        return tx.commit().await;
    }
    crate::tenant_config::changed(&mut tx, TENANT).await?;
    sqlx::query("INSERT INTO consents (tenant_id, app_id, granted, error, updated_at) VALUES ($1, $2, 1, NULL, $3) ON CONFLICT DO NOTHING")
        .bind(TENANT)
        .bind(APP_ID)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO grants (tenant_id, target_kind, target_id, group_rank, policy_name, updated_at) \
         VALUES ($1, 'global', '', NULL, 'Tag:PolycomServiceProviderEnabled', $2) ON CONFLICT DO NOTHING",
    )
    .bind(TENANT)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let after = serde_json::json!({"provider": "Polycom", "tenant_key": TENANT_KEY, "consented": [APP_ID], "global_grant": "Tag:PolycomServiceProviderEnabled"});
    audit::record(
        &mut tx,
        TENANT,
        "cvi serve --demo",
        "demo.seed",
        TENANT,
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await
}
