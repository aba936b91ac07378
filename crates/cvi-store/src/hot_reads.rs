//! Resolution's one read on SQLite, without sqlx's hand-off.
//!
//! sqlx runs every SQLite statement on a worker thread per connection and hands the
//! command and each row across channels: two thread wake-ups and the `Any` driver's row
//! copies around a primary-key lookup that SQLite itself answers in a few microseconds.
//! Measured on the 2-core bench machine, that hand-off was most of the server's CPU per
//! SIP INVITE (~130 µs against ~11 µs for an OPTIONS). Resolution is the hot path of every
//! door (API, Pexip, SIP), so its lookup runs here: on the calling thread, on that
//! thread's own connection, with the same SQL as the sqlx path (at most a SQLite index hint
//! added, which the sqlx path cannot carry to PostgreSQL).
//!
//! Invariants: only point reads through an index go here (they cannot hold a worker thread
//! for long); a connection is `query_only` (it never writes); any error — a busy database,
//! a schema this build does not know — makes the caller fall back to the sqlx path, which
//! reports errors the usual way.

use std::{
    cell::RefCell,
    collections::{hash_map::Entry, HashMap},
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// How long a read waits on a lock (WAL readers are rarely blocked; when they are, the
/// sqlx path takes over rather than holding the thread).
const BUSY: Duration = Duration::from_millis(50);

/// Page cache per connection.
const CACHE_KIB: i64 = 16 * 1024;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's connections, by database (tests run several servers in one process).
    static CONNECTIONS: RefCell<HashMap<u64, Connection>> = RefCell::new(HashMap::new());
}

/// Reads of one SQLite database file on the calling thread.
#[derive(Debug)]
pub struct HotReads {
    id: u64,
    path: PathBuf,
}

impl HotReads {
    /// For a `sqlite://FILE` URL (not an in-memory database): `None` for anything else.
    pub fn for_url(url: &str) -> Option<HotReads> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let file = rest.split('?').next().unwrap_or(rest);
        if file.is_empty() || file.starts_with(':') || url.contains("mode=memory") {
            return None;
        }
        Some(HotReads {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path: PathBuf::from(file),
        })
    }

    /// Runs `f` on this thread's connection to the database, opening it on first use.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        CONNECTIONS.with(|cell| {
            let mut conns = cell.borrow_mut();
            let conn = match conns.entry(self.id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(v) => v.insert(self.open()?),
            };
            f(conn)
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY)?;
        conn.pragma_update(None, "query_only", true)?;
        // A larger cache than SQLite's 2 MB; misses are pread()s from the OS page cache.
        // Not a memory map: at 1M meetings its page faults (each connection maps the file
        // anew, ~150k pages) put p99 at 20,000 resolutions/s to 12-17 ms against 2.7-3.3
        // ms with pread, for 11% more throughput at saturation (36k against 32k req/s).
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        Ok(conn)
    }

    /// One row of `sql` with `params`; `None` when there is none or the read failed (logged):
    /// the caller then asks the pool, which reports errors the usual way.
    pub fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<T> {
        fallible(self.with(|c| c.prepare_cached(sql)?.query_row(params, map).optional())).flatten()
    }

    /// Every row of `sql` with `params`; `None` when the read failed (logged), as [`row`].
    ///
    /// [`row`]: HotReads::row
    pub fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<Vec<T>> {
        fallible(self.with(|c| c.prepare_cached(sql)?.query_map(params, map)?.collect()))
    }
}

/// A hot read's result, or `None` after logging why it failed.
fn fallible<T>(read: rusqlite::Result<T>) -> Option<T> {
    read.map_err(|e| tracing::debug!("hot read failed, asking the pool: {e}"))
        .ok()
}

impl Drop for HotReads {
    fn drop(&mut self) {
        // This thread's connection goes with the server; other threads' go with the
        // threads (a server's runtime ends with it).
        let _ = CONNECTIONS.try_with(|cell| cell.borrow_mut().remove(&self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::HotReads;

    #[test]
    fn only_sqlite_files_get_hot_reads() {
        let path = |u: &str| HotReads::for_url(u).map(|h| h.path.display().to_string());
        assert_eq!(
            path("sqlite:///var/lib/cvi/cvi.db").as_deref(),
            Some("/var/lib/cvi/cvi.db")
        );
        assert_eq!(path("sqlite://cvi.db?mode=rwc").as_deref(), Some("cvi.db"));
        assert_eq!(path("sqlite:cvi.db").as_deref(), Some("cvi.db"));
        assert_eq!(path("sqlite::memory:"), None);
        assert_eq!(path("sqlite://file.db?mode=memory"), None);
        assert_eq!(path("postgres://cvi@localhost/cvi"), None);
    }

    #[test]
    fn reads_see_what_another_connection_committed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let writer = rusqlite::Connection::open(&file).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER);",
            )
            .unwrap();
        let hot = HotReads::for_url(&format!("sqlite://{}", file.display())).unwrap();
        let read = || {
            hot.row("SELECT v FROM t WHERE k = $1", ["a"], |r| {
                r.get::<_, i64>(0)
            })
        };
        assert_eq!(read(), None);
        writer.execute("INSERT INTO t VALUES ('a', 1)", []).unwrap();
        assert_eq!(read(), Some(1));
        writer.execute("UPDATE t SET v = 2", []).unwrap();
        assert_eq!(read(), Some(2));
        // It never writes.
        assert!(hot.with(|c| c.execute("DELETE FROM t", [])).is_err());
    }
}
