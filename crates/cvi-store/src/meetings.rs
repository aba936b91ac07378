//! `meetings`: the coordinates issued per meeting key. New rows arrive through the
//! issuance group commit ([`super::writes`]); this module reads, changes and purges them.

use cvi_core::{invite::Lang, InstructionUri, Provider, ProviderName, TenantKey, VideoId};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{
    tenant_config::{row_version, VERSION_COLUMN, WITH_VERSION},
    FastReads,
};
use crate::db::{now_ms, parse_col};

/// A stored meeting, with its provider as configured now (its InstructionUri may have
/// changed since issue).
#[derive(Debug, Clone)]
pub struct StoredMeeting {
    pub key: String,
    pub provider: Provider,
    pub video_id: VideoId,
    pub lang: Lang,
    pub subject: Option<String>,
    /// Unix milliseconds.
    pub starts_at: i64,
    pub ends_at: i64,
    pub expires_at: i64,
    pub organizer: String,
    /// The organizer's immutable object id, when the issuing token had one.
    pub organizer_oid: Option<String>,
    pub cancelled: bool,
    pub teams_join_url: Option<String>,
}

fn decode(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

fn from_row(row: &AnyRow) -> Result<StoredMeeting, sqlx::Error> {
    let provider: ProviderName = parse_col(&row.try_get::<String, _>("provider")?, "provider")?;
    let tenant_key = TenantKey::parse(&row.try_get::<String, _>("tenant_key")?).map_err(decode)?;
    let instruction_uri: Option<String> = row.try_get("instruction_uri")?;
    Ok(StoredMeeting {
        key: row.try_get("meeting_key")?,
        provider: Provider {
            instruction_uri: instruction_uri.and_then(|u| InstructionUri::parse(&u).ok()),
            ..Provider::new(provider, tenant_key)
        },
        video_id: VideoId::parse_any(&row.try_get::<String, _>("video_id")?).map_err(decode)?,
        lang: Lang::parse(&row.try_get::<String, _>("lang")?).unwrap_or(Lang::En),
        subject: row.try_get("subject")?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        expires_at: row.try_get("expires_at")?,
        organizer: row.try_get("organizer")?,
        organizer_oid: row.try_get("organizer_oid")?,
        cancelled: row.try_get::<i64, _>("cancelled")? != 0,
        teams_join_url: row.try_get("teams_join_url")?,
    })
}

/// Meetings joined with their provider's current InstructionUri.
const COLUMNS: &str =
    "m.meeting_key, m.organizer, m.provider, m.tenant_key, m.video_id, m.subject, m.lang, \
     m.starts_at, m.ends_at, m.expires_at, m.cancelled, m.teams_join_url, m.organizer_oid, \
     p.instruction_uri";
const JOIN_PROVIDER: &str =
    "LEFT JOIN providers p ON p.tenant_id = m.tenant_id AND p.name = m.provider";

/// The meeting of a key, if there is one.
pub async fn load<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    key: &str,
) -> Result<Option<StoredMeeting>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM meetings m {JOIN_PROVIDER} WHERE m.tenant_id = $1 AND m.meeting_key = $2"
    ))
    .bind(tenant)
    .bind(key)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The meeting of a tenant that holds `video_id` and is not cancelled (any provider; the
/// newest when an expired one still holds it too).
pub async fn by_video_id<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    video_id: &VideoId,
) -> Result<Option<StoredMeeting>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM meetings m {JOIN_PROVIDER} WHERE m.tenant_id = $1 AND m.video_id = $2 \
         AND m.cancelled = 0 ORDER BY m.expires_at DESC LIMIT 1"
    ))
    .bind(tenant)
    .bind(video_id.as_str())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The newest `limit` meetings an organizer (UPN, as given or in lower case) scheduled.
pub async fn by_organizer(
    db: &crate::db::Db,
    tenant: &str,
    upn: &str,
    limit: i64,
) -> Result<Vec<StoredMeeting>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM meetings m {JOIN_PROVIDER} WHERE m.tenant_id = $1 \
         AND m.organizer IN ($2, $3) ORDER BY m.created_at DESC LIMIT $4"
    ))
    .bind(tenant)
    .bind(upn)
    .bind(upn.to_lowercase())
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Like [`load`], and the tenant's configuration version read in the same statement.
pub async fn load_with_version<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    key: &str,
) -> Result<(i64, Option<StoredMeeting>), sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMN}, {COLUMNS} {WITH_VERSION} \
         LEFT JOIN meetings m ON m.tenant_id = t.tid AND m.meeting_key = $2 {JOIN_PROVIDER}"
    ))
    .bind(tenant)
    .bind(key)
    .fetch_one(db)
    .await?;
    let found = match row.try_get::<Option<String>, _>("meeting_key")? {
        Some(_) => Some(from_row(&row)?),
        None => None,
    };
    Ok((row_version(&row)?, found))
}

/// [`load_with_version`] for issuance, through [`FastReads`]: the version and whether the
/// key has a meeting are read on the calling thread (SQLite) or in one statement with other
/// issuances' (PostgreSQL: 6.1k–8.1k issuances/s against 4.0k–4.5k through the pool, three
/// alternating rounds on the bench's 100k rig); a new key — the common case — needs nothing
/// more, and a key that has a meeting is read in full through the pool.
pub async fn load_with_version_fast(
    db: &crate::db::Db,
    fast: Option<&FastReads>,
    tenant: &str,
    key: &str,
) -> Result<(i64, Option<StoredMeeting>), sqlx::Error> {
    if let Some(FastReads::Thread(hot)) = fast {
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT {VERSION_COLUMN}, m.meeting_key {WITH_VERSION} \
                 LEFT JOIN meetings m ON m.tenant_id = t.tid AND m.meeting_key = $2"
            )
        });
        let read = hot.row(sql, rusqlite::params![tenant, key], |r| {
            Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<String>>(1)?))
        });
        if let Some((version, None)) = read {
            return Ok((version.unwrap_or(0), None));
        }
    }
    if let Some(FastReads::Batched(b)) = fast {
        if let Some((version, false)) = b.keys.ask(KeyAsk::new(tenant, key)).await {
            return Ok((version, None));
        }
    }
    load_with_version(db, tenant, key).await
}

/// Issuance's first read in a PostgreSQL batch ([`keys_batch`]).
pub struct KeyAsk {
    tenant: String,
    key: String,
}

impl KeyAsk {
    pub fn new(tenant: &str, key: &str) -> KeyAsk {
        KeyAsk {
            tenant: tenant.to_string(),
            key: key.to_string(),
        }
    }
}

/// For many issuances in one PostgreSQL statement: each tenant's configuration version and
/// whether the meeting key has a meeting (the meetings' unique index on
/// `(tenant_id, meeting_key)` and `tenant_config`'s key make it one row per ask).
pub async fn keys_batch(
    pool: sqlx::PgPool,
    asks: Vec<KeyAsk>,
) -> Result<Vec<(i64, bool)>, sqlx::Error> {
    const SQL: &str = "SELECT q.i, v.version, m.meeting_key IS NOT NULL \
        FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(tid, meeting_key, i) \
        LEFT JOIN tenant_config v ON v.tenant_id = q.tid \
        LEFT JOIN meetings m ON m.tenant_id = q.tid AND m.meeting_key = q.meeting_key \
        ORDER BY q.i";
    let (tenants, keys): (Vec<String>, Vec<String>) =
        asks.into_iter().map(|a| (a.tenant, a.key)).unzip();
    let rows = sqlx::query(SQL)
        .bind(&tenants)
        .bind(&keys)
        .fetch_all(&pool)
        .await?;
    each_ask(&rows, |row| {
        Ok((
            row.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
            row.try_get::<bool, _>(2)?,
        ))
    })
}

/// A batch's rows read by `read`, each checked to be its ask's own: the ask's ordinal
/// (`WITH ORDINALITY`, from 1) in column 0, in order — anything else is not an answer to trust.
fn each_ask<T>(
    rows: &[sqlx::postgres::PgRow],
    read: impl Fn(&sqlx::postgres::PgRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.iter()
        .enumerate()
        .map(|(n, row)| {
            if row.try_get::<i64, _>(0)? != n as i64 + 1 {
                return Err(decode("batched rows out of order"));
            }
            read(row)
        })
        .collect()
}

/// What resolution needs of a live meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMeeting {
    pub key: String,
    pub subject: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub teams_join_url: Option<String>,
}

/// The statement behind [`live_by_video_id`] and [`live_for_resolution`]: the tenant's
/// configuration version and the live meeting, read together.
fn live_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {VERSION_COLUMN}, m.meeting_key, m.subject, m.starts_at, m.ends_at, m.teams_join_url {WITH_VERSION} \
             LEFT JOIN meetings m ON m.tenant_id = t.tid AND m.provider = $2 \
             AND m.video_id = $3 AND m.cancelled = 0 AND m.expires_at >= $4"
        )
    })
}

/// The live (not cancelled, not expired) meeting that holds `video_id` under `provider`,
/// and the tenant's configuration version read in the same statement.
pub async fn live_by_video_id<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    provider: ProviderName,
    video_id: &VideoId,
) -> Result<(i64, Option<LiveMeeting>), sqlx::Error> {
    let row = sqlx::query(live_sql())
        .bind(tenant)
        .bind(provider.as_str())
        .bind(video_id.as_str())
        .bind(now_ms())
        .fetch_one(db)
        .await?;
    let found = match row.try_get::<Option<String>, _>("meeting_key")? {
        Some(key) => Some(LiveMeeting {
            key,
            subject: row.try_get("subject")?,
            starts_at: row.try_get("starts_at")?,
            ends_at: row.try_get("ends_at")?,
            teams_join_url: row.try_get("teams_join_url")?,
        }),
        None => None,
    };
    Ok((row_version(&row)?, found))
}

/// What resolution reads: the tenant's configuration version and the live meeting.
pub type Live = (i64, Option<LiveMeeting>);

/// [`live_by_video_id`] for resolution, through [`FastReads`] when there are any (on SQLite
/// no worker-thread hand-off, on PostgreSQL one statement for many asks), falling back to
/// the pool when that read fails.
pub async fn live_for_resolution(
    db: &crate::db::Db,
    fast: Option<&FastReads>,
    tenant: &str,
    provider: ProviderName,
    video_id: &VideoId,
) -> Result<Live, sqlx::Error> {
    match fast {
        Some(FastReads::Thread(hot)) => {
            let read = hot.row(
                live_sql(),
                rusqlite::params![tenant, provider.as_str(), video_id.as_str(), now_ms()],
                |r| {
                    let version: Option<i64> = r.get(0)?;
                    let found = match r.get::<_, Option<String>>(1)? {
                        Some(key) => Some(LiveMeeting {
                            key,
                            subject: r.get(2)?,
                            starts_at: r.get(3)?,
                            ends_at: r.get(4)?,
                            teams_join_url: r.get(5)?,
                        }),
                        None => None,
                    };
                    Ok((version.unwrap_or(0), found))
                },
            );
            if let Some(answer) = read {
                return Ok(answer);
            }
        }
        Some(FastReads::Batched(b)) => {
            let ask = LiveAsk {
                tenant: tenant.to_string(),
                provider,
                video_id: video_id.clone(),
            };
            if let Some(answer) = b.live.ask(ask).await {
                return Ok(answer);
            }
        }
        None => {}
    }
    live_by_video_id(db, tenant, provider, video_id).await
}

/// One resolution's lookup in a PostgreSQL batch ([`live_batch`]).
pub struct LiveAsk {
    tenant: String,
    provider: ProviderName,
    video_id: VideoId,
}

/// [`live_sql`] for many asks in one PostgreSQL statement: the asks as arrays, unnested
/// with their ordinals, each joined as `live_sql` joins its one (the unique index on
/// `(tenant_id, provider, video_id)` and `tenant_config`'s key make it one row per ask).
pub async fn live_batch(pool: sqlx::PgPool, asks: Vec<LiveAsk>) -> Result<Vec<Live>, sqlx::Error> {
    const SQL: &str = "SELECT q.i, v.version, m.meeting_key, m.subject, m.starts_at, m.ends_at, m.teams_join_url \
        FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS q(tid, provider, video_id, i) \
        LEFT JOIN tenant_config v ON v.tenant_id = q.tid \
        LEFT JOIN meetings m ON m.tenant_id = q.tid AND m.provider = q.provider \
        AND m.video_id = q.video_id AND m.cancelled = 0 AND m.expires_at >= $4 \
        ORDER BY q.i";
    let mut tenants = Vec::with_capacity(asks.len());
    let mut providers = Vec::with_capacity(asks.len());
    let mut ids = Vec::with_capacity(asks.len());
    for a in asks {
        tenants.push(a.tenant);
        providers.push(a.provider.as_str());
        ids.push(a.video_id.as_str().to_string());
    }
    let rows = sqlx::query(SQL)
        .bind(&tenants)
        .bind(&providers)
        .bind(&ids)
        .bind(now_ms())
        .fetch_all(&pool)
        .await?;
    each_ask(&rows, |row| {
        let found = match row.try_get::<Option<String>, _>(2)? {
            Some(key) => Some(LiveMeeting {
                key,
                subject: row.try_get(3)?,
                starts_at: row.try_get(4)?,
                ends_at: row.try_get(5)?,
                teams_join_url: row.try_get(6)?,
            }),
            None => None,
        };
        Ok((row.try_get::<Option<i64>, _>(1)?.unwrap_or(0), found))
    })
}

/// Deletes the expired or cancelled meeting that holds `video_id` under `provider`;
/// returns how many rows went (0 when the holder is live).
pub async fn purge_dead(
    tx: &mut AnyConnection,
    tenant: &str,
    provider: ProviderName,
    video_id: &VideoId,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM meetings WHERE tenant_id = $1 AND provider = $2 AND video_id = $3 AND (expires_at < $4 OR cancelled = 1)",
    )
    .bind(tenant)
    .bind(provider.as_str())
    .bind(video_id.as_str())
    .bind(now_ms())
    .execute(tx)
    .await?
    .rows_affected())
}

/// New times for a meeting; its subject and language only when given.
pub struct Change<'a> {
    pub starts_at: i64,
    pub ends_at: i64,
    pub expires_at: i64,
    pub subject: Option<&'a str>,
    pub lang: Option<Lang>,
    /// A new join link (none: the stored one stays).
    pub teams_join_url: Option<&'a str>,
}

/// Changes a meeting's times (its Video ID stays), subject or language.
pub async fn update(
    tx: &mut AnyConnection,
    tenant: &str,
    key: &str,
    c: &Change<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE meetings SET starts_at = $1, ends_at = $2, expires_at = $3, subject = COALESCE($4, subject), \
         lang = COALESCE($5, lang), teams_join_url = COALESCE($9, teams_join_url), updated_at = $6 \
         WHERE tenant_id = $7 AND meeting_key = $8",
    )
    .bind(c.starts_at)
    .bind(c.ends_at)
    .bind(c.expires_at)
    .bind(c.subject)
    .bind(c.lang.map(|l| l.code()))
    .bind(now_ms())
    .bind(tenant)
    .bind(key)
    .bind(c.teams_join_url)
    .execute(tx)
    .await?;
    Ok(())
}

/// Cancels a meeting: its Video ID stops resolving.
pub async fn cancel(tx: &mut AnyConnection, tenant: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE meetings SET cancelled = 1, updated_at = $1 WHERE tenant_id = $2 AND meeting_key = $3")
        .bind(now_ms())
        .bind(tenant)
        .bind(key)
        .execute(tx)
        .await?;
    Ok(())
}

/// Stores an imported meeting (its Video ID from another system: no check digit of ours).
pub async fn insert_imported(
    tx: &mut AnyConnection,
    tenant: &str,
    m: &Imported<'_>,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO meetings (tenant_id, meeting_key, organizer, provider, tenant_key, video_id, subject, lang, \
         starts_at, ends_at, expires_at, teams_join_url, cancelled, imported, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'en', $8, $9, $10, $11, 0, 1, $12, $12)",
    )
    .bind(tenant)
    .bind(m.key)
    .bind(m.organizer)
    .bind(m.provider.as_str())
    .bind(m.tenant_key.to_string())
    .bind(m.video_id.as_str())
    .bind(m.subject)
    .bind(m.starts_at)
    .bind(m.ends_at)
    .bind(m.expires_at)
    .bind(m.teams_join_url)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// An imported meeting, checked and ready to store.
pub struct Imported<'a> {
    pub key: &'a str,
    pub organizer: &'a str,
    pub provider: ProviderName,
    pub tenant_key: &'a TenantKey,
    pub video_id: &'a VideoId,
    pub subject: Option<&'a str>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub expires_at: i64,
    pub teams_join_url: Option<&'a str>,
}

/// Does the tenant hold imported meetings? (Then a Video ID without our check digit may
/// still be one of its meetings.)
pub async fn has_imports<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
) -> Result<bool, sqlx::Error> {
    let one: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM meetings WHERE tenant_id = $1 AND imported = 1 LIMIT 1")
            .bind(tenant)
            .fetch_optional(db)
            .await?;
    Ok(one.is_some())
}

/// How many meetings `organizer` was issued since `since_ms` (imports excluded), and when
/// the oldest of them was: what the hourly quota counts and when it frees a slot.
pub async fn issued_since(
    db: &crate::db::Db,
    tenant: &str,
    organizer: &str,
    since_ms: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM meetings \
         WHERE tenant_id = $1 AND organizer = $2 AND created_at >= $3 AND imported = 0",
    )
    .bind(tenant)
    .bind(organizer)
    .bind(since_ms)
    .fetch_one(db)
    .await?;
    Ok((row.try_get("n")?, row.try_get("oldest")?))
}

/// The calendar event Graph created for a meeting, if any.
pub async fn graph_event(
    db: &crate::db::Db,
    tenant: &str,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    let v: Option<Option<String>> = sqlx::query_scalar(
        "SELECT graph_event_id FROM meetings WHERE tenant_id = $1 AND meeting_key = $2",
    )
    .bind(tenant)
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(v.flatten())
}

/// Records the calendar event Graph created for a meeting and the Teams join link it gave.
pub async fn set_graph_event(
    tx: &mut AnyConnection,
    tenant: &str,
    key: &str,
    event_id: &str,
    join_url: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE meetings SET graph_event_id = $1, teams_join_url = COALESCE($2, teams_join_url), \
         updated_at = $3 WHERE tenant_id = $4 AND meeting_key = $5",
    )
    .bind(event_id)
    .bind(join_url)
    .bind(now_ms())
    .bind(tenant)
    .bind(key)
    .execute(tx)
    .await?;
    Ok(())
}

/// The meeting whose calendar event is `event_id`, if any: its key.
pub async fn by_graph_event<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    db: E,
    tenant: &str,
    event_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT meeting_key FROM meetings WHERE tenant_id = $1 AND graph_event_id = $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(event_id)
    .fetch_optional(db)
    .await
}
