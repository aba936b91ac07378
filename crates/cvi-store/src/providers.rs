//! `providers`: one row per configured provider of a tenant (at most four).

use super::FastReads;
use cvi_core::{sip_target::SipTarget, AppId, InstructionUri, Provider, ProviderName, TenantKey};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::{now_ms, parse_col};

fn decode(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

fn from_row(row: &AnyRow) -> Result<Provider, sqlx::Error> {
    let ids: String = row.try_get("aad_application_ids")?;
    let uri: Option<String> = row.try_get("instruction_uri")?;
    Ok(Provider {
        name: parse_col(&row.try_get::<String, _>("name")?, "name")?,
        tenant_key: TenantKey::parse(&row.try_get::<String, _>("tenant_key")?).map_err(decode)?,
        instruction_uri: uri
            .map(|u| InstructionUri::parse(&u))
            .transpose()
            .map_err(decode)?,
        aad_application_ids: AppId::parse_list(&ids).map_err(decode)?,
        allow_app_guest_joins_as_authenticated: row
            .try_get::<i64, _>("allow_app_guest_joins_as_authenticated")?
            != 0,
        sip_gateway: row
            .try_get::<Option<String>, _>("sip_gateway")?
            .map(SipTarget::try_from)
            .transpose()
            .map_err(decode)?,
        sip_ivr: row
            .try_get::<Option<String>, _>("sip_ivr")?
            .map(SipTarget::try_from)
            .transpose()
            .map_err(decode)?,
    })
}

const COLUMNS: &str = "name, tenant_key, instruction_uri, aad_application_ids, allow_app_guest_joins_as_authenticated, sip_gateway, sip_ivr";

/// App ids as the column keeps them: `;`-separated, as the cmdlet takes them.
fn join_ids(ids: &[AppId]) -> String {
    ids.iter().map(AppId::as_str).collect::<Vec<_>>().join(";")
}

/// Every provider of a tenant, by name.
pub async fn list<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<Vec<Provider>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM providers WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(tenant)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One provider of a tenant, if configured.
pub async fn find<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    name: ProviderName,
) -> Result<Option<Provider>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM providers WHERE tenant_id = $1 AND name = $2"
    ))
    .bind(tenant)
    .bind(name.as_str())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Adds a provider; false when the tenant already has one of that name.
pub async fn insert(
    tx: &mut AnyConnection,
    tenant: &str,
    p: &Provider,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO providers (tenant_id, name, tenant_key, instruction_uri, aad_application_ids, \
         allow_app_guest_joins_as_authenticated, created_at, updated_at, key_domain, sip_gateway, sip_ivr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10) ON CONFLICT (tenant_id, name) DO NOTHING",
    )
    .bind(tenant)
    .bind(p.name.as_str())
    .bind(p.tenant_key.to_string())
    .bind(p.instruction_uri.as_ref().map(|u| u.as_str().to_string()))
    .bind(join_ids(&p.aad_application_ids))
    .bind(i64::from(p.allow_app_guest_joins_as_authenticated))
    .bind(now_ms())
    .bind(p.tenant_key.domain().to_string())
    .bind(p.sip_gateway.as_ref().map(|t| t.as_str().to_string()))
    .bind(p.sip_ivr.as_ref().map(|t| t.as_str().to_string()))
    .execute(tx)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

/// Replaces a provider's fields (its name stays).
pub async fn update(tx: &mut AnyConnection, tenant: &str, p: &Provider) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE providers SET tenant_key = $1, instruction_uri = $2, aad_application_ids = $3, \
         allow_app_guest_joins_as_authenticated = $4, updated_at = $5, key_domain = $8, \
         sip_gateway = $9, sip_ivr = $10 WHERE tenant_id = $6 AND name = $7",
    )
    .bind(p.tenant_key.to_string())
    .bind(p.instruction_uri.as_ref().map(|u| u.as_str().to_string()))
    .bind(join_ids(&p.aad_application_ids))
    .bind(i64::from(p.allow_app_guest_joins_as_authenticated))
    .bind(now_ms())
    .bind(tenant)
    .bind(p.name.as_str())
    .bind(p.tenant_key.domain().to_string())
    .bind(p.sip_gateway.as_ref().map(|t| t.as_str().to_string()))
    .bind(p.sip_ivr.as_ref().map(|t| t.as_str().to_string()))
    .execute(tx)
    .await?;
    Ok(())
}

/// Deletes a provider.
pub async fn delete(
    tx: &mut AnyConnection,
    tenant: &str,
    name: ProviderName,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM providers WHERE tenant_id = $1 AND name = $2")
        .bind(tenant)
        .bind(name.as_str())
        .execute(tx)
        .await?;
    Ok(())
}

/// A provider a dialled `local@domain` may name: its tenant, lower-cased tenant key, name
/// and key domain.
#[derive(Debug, Clone)]
pub struct Dialled {
    pub tenant: String,
    pub tenant_key: String,
    pub name: String,
    pub key_domain: String,
}

const DIALLED: &str = "SELECT tenant_id, lower(tenant_key) AS tk, name, key_domain FROM providers \
     WHERE lower(tenant_key) IN ($1, $2, $3) OR (name = 'Pexip' AND key_domain = $4) \
     ORDER BY name = 'Pexip', tenant_id LIMIT 16";

/// The providers a dialled address can name: a tenant key among `keys` (lower case), or a
/// Pexip provider on `domain` (`<id>@<domain>`). Tenant keys are unique, so these are few.
/// On SQLite through [`FastReads::Thread`], else through the pool.
pub async fn dialled(
    db: &crate::db::Db,
    fast: Option<&FastReads>,
    keys: &[String; 3],
    domain: &str,
) -> Result<Vec<Dialled>, sqlx::Error> {
    if let Some(FastReads::Thread(hot)) = fast {
        let read = hot.rows(
            DIALLED,
            rusqlite::params![keys[0], keys[1], keys[2], domain],
            |r| {
                Ok(Dialled {
                    tenant: r.get(0)?,
                    tenant_key: r.get(1)?,
                    name: r.get(2)?,
                    key_domain: r.get(3)?,
                })
            },
        );
        if let Some(found) = read {
            return Ok(found);
        }
    }
    let rows = sqlx::query(DIALLED)
        .bind(&keys[0])
        .bind(&keys[1])
        .bind(&keys[2])
        .bind(domain)
        .fetch_all(db)
        .await?;
    rows.iter().map(dialled_row).collect()
}

/// A [`Dialled`] from a row of [`DIALLED`] or [`on_domain`]'s statement.
fn dialled_row(r: &sqlx::any::AnyRow) -> Result<Dialled, sqlx::Error> {
    Ok(Dialled {
        tenant: r.try_get("tenant_id")?,
        tenant_key: r.try_get("tk")?,
        name: r.try_get("name")?,
        key_domain: r.try_get("key_domain")?,
    })
}

/// Every provider whose tenant key is on `domain` (lower case), of every tenant: at most
/// `limit`. The SIP directory keeps them per domain.
pub async fn on_domain(
    db: &crate::db::Db,
    domain: &str,
    limit: i64,
) -> Result<Vec<Dialled>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT tenant_id, lower(tenant_key) AS tk, name, key_domain FROM providers \
         WHERE key_domain = $1 ORDER BY tenant_id, name LIMIT $2",
    )
    .bind(domain)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(dialled_row).collect()
}

/// Whether another tenant's provider claims `domain` in a way a provider of `tenant` on it
/// would collide with: for a Pexip provider (which takes every `<id>@domain` call) any
/// provider of another tenant on the domain; for the others, another tenant's Pexip.
pub async fn domain_taken(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
    domain: &str,
    pexip: bool,
) -> Result<bool, sqlx::Error> {
    let sql = if pexip {
        "SELECT 1 FROM providers WHERE key_domain = $1 AND tenant_id <> $2 LIMIT 1"
    } else {
        "SELECT 1 FROM providers WHERE key_domain = $1 AND tenant_id <> $2 AND name = 'Pexip' LIMIT 1"
    };
    Ok(sqlx::query(sql)
        .bind(domain)
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}
