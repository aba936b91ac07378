//! `consents` (which partner apps a tenant's admin consented to) and `consent_states` (the
//! single-use `state` of each admin-consent link, until its callback comes back).

use sqlx::{AnyConnection, Row};

use crate::db::now_ms;

/// One partner app's recorded consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub app_id: String,
    pub granted: bool,
    /// What the identity platform said when consent was not given.
    pub error: Option<String>,
    /// Confirmed with Microsoft Graph (else believed from the callback).
    pub verified: bool,
    /// When verified: the permissions Graph showed missing (';'-joined, may be empty).
    pub missing_permissions: Option<String>,
}

impl Consent {
    /// Whether this consent lets the app act for the tenant. A server with Microsoft Graph
    /// access (`verified_only`) believes only what Graph confirmed, not a callback alone.
    pub fn counts(&self, verified_only: bool) -> bool {
        self.granted && (self.verified || !verified_only)
    }
}

/// Every recorded consent of a tenant.
pub async fn list<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<Vec<Consent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT app_id, granted, error, verified, missing_permissions FROM consents WHERE tenant_id = $1",
    )
        .bind(tenant)
        .fetch_all(db)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Consent {
                app_id: r.try_get("app_id")?,
                granted: r.try_get::<i64, _>("granted")? != 0,
                error: r.try_get("error")?,
                verified: r.try_get::<i64, _>("verified")? != 0,
                missing_permissions: r.try_get("missing_permissions")?,
            })
        })
        .collect()
}

/// The app ids whose consent [counts](Consent::counts) in a tenant.
pub async fn granted_apps<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    verified_only: bool,
) -> Result<Vec<String>, sqlx::Error> {
    Ok(list(db, tenant)
        .await?
        .into_iter()
        .filter(|c| c.counts(verified_only))
        .map(|c| c.app_id)
        .collect())
}

/// Verified consents Graph last confirmed before `checked_before` (ms): at most `limit`,
/// the longest unchecked first.
pub async fn due_for_check(
    db: &crate::db::Db,
    checked_before: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT tenant_id, app_id FROM consents WHERE granted = 1 AND verified = 1 \
         AND checked_at < $1 ORDER BY checked_at LIMIT $2",
    )
    .bind(checked_before)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("tenant_id")?, r.try_get("app_id")?)))
        .collect()
}

/// Graph confirmed the consent again.
pub async fn confirmed(
    tx: &mut AnyConnection,
    tenant: &str,
    app_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE consents SET checked_at = $3 WHERE tenant_id = $1 AND app_id = $2")
        .bind(tenant)
        .bind(app_id)
        .bind(now_ms())
        .execute(tx)
        .await
        .map(drop)
}

/// One app's recorded consent (granted or not, and whether Graph confirmed it), if any.
pub async fn granted(
    tx: &mut AnyConnection,
    tenant: &str,
    app_id: &str,
) -> Result<Option<(bool, bool)>, sqlx::Error> {
    let row =
        sqlx::query("SELECT granted, verified FROM consents WHERE tenant_id = $1 AND app_id = $2")
            .bind(tenant)
            .bind(app_id)
            .fetch_optional(tx)
            .await?;
    row.map(|r| {
        Ok((
            r.try_get::<i64, _>("granted")? != 0,
            r.try_get::<i64, _>("verified")? != 0,
        ))
    })
    .transpose()
}

/// What to record about one app's consent.
pub struct Record<'a> {
    pub granted: bool,
    pub error: Option<&'a str>,
    /// `Some(missing permission names)` when Graph was asked.
    pub verified_missing: Option<&'a [&'a str]>,
}

/// Records an app's consent, replacing what was recorded before.
pub async fn record(
    tx: &mut AnyConnection,
    tenant: &str,
    app_id: &str,
    r: &Record<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO consents (tenant_id, app_id, granted, error, updated_at, verified, missing_permissions, checked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $5) \
         ON CONFLICT (tenant_id, app_id) DO UPDATE SET granted = excluded.granted, error = excluded.error, \
         updated_at = excluded.updated_at, verified = excluded.verified, missing_permissions = excluded.missing_permissions, \
         checked_at = excluded.checked_at",
    )
    .bind(tenant)
    .bind(app_id)
    .bind(i64::from(r.granted))
    .bind(r.error)
    .bind(now_ms())
    .bind(i64::from(r.verified_missing.is_some()))
    .bind(r.verified_missing.map(|m| m.join(";")))
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets an app's consent (its provider was removed).
pub async fn delete(tx: &mut AnyConnection, tenant: &str, app_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM consents WHERE tenant_id = $1 AND app_id = $2")
        .bind(tenant)
        .bind(app_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// What a consent link's `state` stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    pub tenant: String,
    pub provider: String,
    pub app_id: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// Remembers the `state` of a consent link just handed out.
pub async fn remember_state(
    tx: &mut AnyConnection,
    state: &str,
    link: &LinkState,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO consent_states (state, tenant_id, provider, app_id, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(state)
        .bind(&link.tenant)
        .bind(&link.provider)
        .bind(&link.app_id)
        .bind(link.expires_at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Forgets the states of consent links that expired unused (any tenant's): they can no
/// longer be taken back, and nothing else removes them.
pub async fn purge_expired_states(tx: &mut AnyConnection) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM consent_states WHERE expires_at < $1")
            .bind(now_ms())
            .execute(tx)
            .await?
            .rows_affected(),
    )
}

fn link_state(r: &sqlx::any::AnyRow) -> Result<LinkState, sqlx::Error> {
    Ok(LinkState {
        tenant: r.try_get("tenant_id")?,
        provider: r.try_get("provider")?,
        app_id: r.try_get("app_id")?,
        expires_at: r.try_get("expires_at")?,
    })
}

/// Takes a `state` back, once: the row is gone whatever the caller does next.
pub async fn take_state(
    tx: &mut AnyConnection,
    state: &str,
) -> Result<Option<LinkState>, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM consent_states WHERE state = $1 RETURNING tenant_id, provider, app_id, expires_at",
    )
    .bind(state)
    .fetch_optional(tx)
    .await?;
    row.as_ref().map(link_state).transpose()
}

/// What an outstanding `state` stands for, read without taking it (the callback verifies
/// with Graph before it takes the writer).
pub async fn peek_state(db: &crate::db::Db, state: &str) -> Result<Option<LinkState>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT tenant_id, provider, app_id, expires_at FROM consent_states WHERE state = $1",
    )
    .bind(state)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(link_state).transpose()
}

#[cfg(test)]
mod tests {
    use super::Consent;

    #[test]
    fn with_graph_access_only_a_confirmed_consent_counts() {
        let c = |granted, verified| Consent {
            app_id: "a".into(),
            granted,
            error: None,
            verified,
            missing_permissions: None,
        };
        // (granted, verified) → counts without Graph, counts with Graph.
        for (granted, verified, without, with) in [
            (true, true, true, true),
            (true, false, true, false),
            (false, false, false, false),
            (false, true, false, false),
        ] {
            let consent = c(granted, verified);
            assert_eq!(consent.counts(false), without, "{consent:?} without Graph");
            assert_eq!(consent.counts(true), with, "{consent:?} with Graph");
        }
    }
}
