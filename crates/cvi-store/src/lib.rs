//! Storage: the only place with SQL, and the database itself (`db`: the pool, the
//! migrations). One module per table (or per set of tables one write touches together);
//! the use cases pass typed values in and get typed rows out, so no front door sees a query
//! and the queries are written once. This crate knows no HTTP, no tokens and no use case.
//!
//! Architecture invariant: every function that writes takes the write transaction
//! (`&mut AnyConnection` from [`writes::Writes::begin`]), and the caller records the change
//! with [`audit::record`] in that same transaction before it commits.

pub mod audit;
pub mod batched_reads;
pub mod bridges;
pub mod bulk;
pub mod consents;
pub mod daily_stats;
pub mod db;
pub mod dev_keys;
pub mod grants;
pub mod hot_reads;
pub mod inject;
pub mod meetings;
pub mod providers;
pub mod servers;
pub mod tenant_config;
pub mod writes;

/// The hot reads off the pool's usual path (resolution, every door's; a user's grants, for
/// effective policy and issuance): on a
/// SQLite file on the calling thread ([`hot_reads`]), on PostgreSQL batched
/// ([`batched_reads`]). Each answers `None` on any failure and the caller asks the pool.
pub enum FastReads {
    Thread(hot_reads::HotReads),
    Batched(Batched),
}

/// The batchers of [`FastReads::Batched`].
pub struct Batched {
    pub live: batched_reads::Batcher<meetings::LiveAsk, meetings::Live>,
    /// Effective policy's (and issuance's) read of a user's grants.
    pub grants: batched_reads::Batcher<grants::GrantsAsk, Vec<cvi_core::Grant>>,
    /// Issuance's first read: the configuration version, and whether the key is issued.
    pub keys: batched_reads::Batcher<meetings::KeyAsk, (i64, bool)>,
}

impl FastReads {
    /// For the database at `url`: `None` for an in-memory SQLite database. Starts the
    /// batching task (call it inside the runtime; batch sizes go to `lookup_batch`); connects
    /// lazily.
    pub fn for_url(
        url: &str,
        lookup_batch: prometheus_client::metrics::histogram::Histogram,
    ) -> Result<Option<FastReads>, sqlx::Error> {
        if crate::db::is_sqlite(url) {
            return Ok(hot_reads::HotReads::for_url(url).map(FastReads::Thread));
        }
        let pool = batched_reads::pool(url)?;
        Ok(Some(FastReads::Batched(Batched {
            live: batched_reads::Batcher::start(
                pool.clone(),
                lookup_batch.clone(),
                meetings::live_batch,
            ),
            grants: batched_reads::Batcher::start(
                pool.clone(),
                lookup_batch.clone(),
                grants::for_user_batch,
            ),
            keys: batched_reads::Batcher::start(pool, lookup_batch, meetings::keys_batch),
        })))
    }
}
