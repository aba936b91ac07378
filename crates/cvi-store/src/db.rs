//! The database: SQLite (a file, WAL) by default, PostgreSQL by `postgres://` URL.
//! Same migrations, same queries (`$1` placeholders work on both through `sqlx::Any`).

use std::{str::FromStr, time::Duration};

use sqlx::{
    any::{install_default_drivers, AnyPoolOptions},
    AnyPool, Connection, Executor,
};

/// The connection pool every handler shares; the server holds no other state.
pub type Db = AnyPool;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DB")]
    Scheme(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// A PostgreSQL connection idle this long is pinged before use.
pub(crate) const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// How long a SQLite writer waits for the lock before reporting busy.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Opens (creating a SQLite file if needed) and migrates the database at `url`.
pub async fn connect(url: &str) -> Result<Db, DbError> {
    install_default_drivers();
    let (url, is_sqlite) = if let Some(rest) = url.strip_prefix("sqlite://") {
        // mode=rwc creates the file on first start.
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url = if rest.contains("mode=") {
            url.to_string()
        } else {
            format!("{url}{sep}mode=rwc")
        };
        (url, true)
    } else if url.starts_with("sqlite:") {
        (url.to_string(), true)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        (url.to_string(), false)
    } else {
        return Err(DbError::Scheme(url.to_string()));
    };
    let opts = AnyPoolOptions::new()
        .max_connections(if is_sqlite { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection on checkout by default: one more worker-thread
        // hand-off per query on SQLite (measured: resolution +55% without it), one more
        // network round trip on PostgreSQL. A SQLite connection is a file handle that cannot
        // drop; a PostgreSQL one can (server restart), so it is pinged when it has been idle
        // long enough for that to be news. Under load connections are never idle that long,
        // and sqlx pings on release anyway, dropping connections that broke in use.
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if !is_sqlite && meta.idle_for > PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if is_sqlite {
                    // Per-connection settings, set explicitly rather than trusting defaults:
                    // WAL for concurrent readers, NORMAL is durable under WAL against process
                    // crashes, foreign keys on, and a busy timeout instead of instant SQLITE_BUSY.
                    // The WAL is checkpointed every 200 pages, not SQLite's 1000: the commit that
                    // crosses the mark copies them into the database before it returns, and every
                    // issuance waiting on that group commit waits with it. Issuance at 1M
                    // meetings, wrk at saturation, alternating rounds: p99 12–17 ms against
                    // 24–137 ms, at ~10 % fewer issuances per second (7.2k–9.5k against
                    // 6.9k–10.0k). A checkpoint off the writer's path (PASSIVE, from a task)
                    // never completed under constant writes: the WAL grew to 2 GB in 20 s.
                    conn.execute(
                        format!(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                             PRAGMA wal_autocheckpoint = 200;"
                        )
                        .as_str(),
                    )
                    .await?;
                } else {
                    // A query that runs longer is cancelled by PostgreSQL itself: no request
                    // holds a connection (and the pool) for ever.
                    conn.execute(format!("SET statement_timeout = {PG_STATEMENT_TIMEOUT_MS}").as_str())
                        .await?;
                }
                Ok(())
            })
        });
    let pool = opts.connect(&url).await.map_err(DbError::Connect)?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(DbError::Migrate)?;
    Ok(pool)
}

/// PostgreSQL's `statement_timeout` for every connection.
const PG_STATEMENT_TIMEOUT_MS: u64 = 10_000;

/// Milliseconds since the Unix epoch: the one clock reading format in the database.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// True when `url` selects SQLite (some statements need the dialect, e.g. locking).
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Parses a `FromStr` column value, turning corruption into a sqlx decode error.
pub fn parse_col<T: FromStr>(value: &str, column: &str) -> Result<T, sqlx::Error>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| sqlx::Error::Decode(format!("column {column}: {e}").into()))
}

/// `(…), (…), …` for a multi-row `INSERT … VALUES` of `rows` rows of `cols` values, in the
/// dialect of `conn`: PostgreSQL's `$1 … $N`; SQLite's anonymous `?`, bound in order. SQLite
/// takes `$N` for a name and looks each one up among those before it (and sqlx asks each
/// one's name back the same way): quadratic, so a 128-row batch of 16 columns spent ~40 % of
/// the writer thread in `strncmp` (perf, `cargo xtask bench` issuance row).
pub fn values_placeholders(conn: &sqlx::AnyConnection, rows: usize, cols: usize) -> String {
    placeholders(conn.backend_name() == "SQLite", rows, cols)
}

fn placeholders(sqlite: bool, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            if sqlite {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&(r * cols + c + 1).to_string());
            }
        }
        s.push(')');
    }
    s
}

/// One round trip to the database (readiness).
pub async fn ping(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(db).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_placeholders_number_every_value_once() {
        assert_eq!(super::placeholders(false, 1, 1), "($1)");
        assert_eq!(
            super::placeholders(false, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::placeholders(true, 2, 2), "(?, ?), (?, ?)");
    }
}
