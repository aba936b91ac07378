//! The hot reads on PostgreSQL (resolution, effective policy, issuance's first read), batched.
//!
//! Each PostgreSQL statement costs a network round trip, a wake-up of the backend process
//! and the client's driver work around an index lookup that takes the backend a few
//! microseconds. Measured on the 2-core bench machine, one resolution through the pool was
//! ~95 µs of the server's CPU and ~63 µs of PostgreSQL's: the round trip, not the lookup,
//! capped PostgreSQL at ~11,000 resolutions/s. Here concurrent asks share one statement:
//! up to [`IN_FLIGHT`] statements run at once, and whoever asks while all of them are
//! running waits for the next, which carries everyone queued (like the issuance group
//! commit). With a statement free, an ask goes at once, so a quiet server adds no latency.
//!
//! Invariants: only point reads go here, each ask answered by exactly one row of its own
//! (the statement returns the asks' ordinals, checked on the way back); any error answers
//! every ask of the batch with `None`, and the caller asks the pool, which reports errors
//! the usual way.

use std::{future::Future, str::FromStr, sync::Arc, time::Duration};

use prometheus_client::metrics::histogram::Histogram;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgPool,
};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Statements in flight at once (one PostgreSQL backend each). Measured at 20,000
/// resolutions/s offered on the 2-core machine (PostgreSQL on it too): 1 made batches of
/// ~9.5 and p99 3.3-4.0 ms, 2 batches of ~4.3 and p99 2.5-3.0 ms, 3 batches of ~3.8 and
/// p99 4.2-4.8 ms (at saturation 34.0k, 31.1k and 27.3k req/s).
const IN_FLIGHT: usize = 2;
/// Asks per statement at most (the arrays PostgreSQL unnests).
const MAX_BATCH: usize = 256;
/// A batch that has not answered by then answers `None` (its asks go to the pool), so a
/// stuck statement or a lost connection cannot hold the slots and hang resolution.
const BATCH_DEADLINE: Duration = Duration::from_secs(5);

/// The connections batches run on: a few, separate from the main pool, so a burst of
/// resolutions never waits behind a slow administrative query (and the other way round).
pub fn pool(url: &str) -> Result<PgPool, sqlx::Error> {
    Ok(PgPoolOptions::new()
        .max_connections(IN_FLIGHT as u32)
        .acquire_timeout(BATCH_DEADLINE)
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // One plan per statement, made once: the arrays are unnested into index
                // lookups whatever they hold, and PostgreSQL otherwise plans some
                // executions again for their values (issuance's first read, on the
                // 2-core machine: 9.8 µs planning per ask against 5.5 µs running it).
                let sql = format!(
                    "SET statement_timeout = {}; SET plan_cache_mode = force_generic_plan",
                    BATCH_DEADLINE.as_millis()
                );
                sqlx::Executor::execute(conn, sql.as_str()).await?;
                Ok(())
            })
        })
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > crate::db::PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(PgConnectOptions::from_str(url)?))
}

type Reply<R> = oneshot::Sender<Option<R>>;

/// Asks of type `A` answered `R` by batches of one statement.
pub struct Batcher<A, R> {
    asks: mpsc::UnboundedSender<(A, Reply<R>)>,
}

impl<A: Send + 'static, R: Send + 'static> Batcher<A, R> {
    /// Starts the batching task on the current runtime. `run` answers a batch in order:
    /// one `R` per ask, or an error for all of them.
    /// Each batch's size goes to `sizes`.
    pub fn start<F, Fut>(pool: PgPool, sizes: Histogram, run: F) -> Batcher<A, R>
    where
        F: Fn(PgPool, Vec<A>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<R>, sqlx::Error>> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::unbounded_channel::<(A, Reply<R>)>();
        let run = Arc::new(run);
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(IN_FLIGHT));
            while let Some(first) = rx.recv().await {
                // Waiting for a free slot is what batches: asks queue meanwhile.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(ask) => batch.push(ask),
                        Err(_) => break,
                    }
                }
                sizes.observe(batch.len() as f64);
                let (pool, run) = (pool.clone(), run.clone());
                tokio::spawn(async move {
                    let (asks, replies): (Vec<A>, Vec<Reply<R>>) = batch.into_iter().unzip();
                    let n = asks.len();
                    let answered = tokio::time::timeout(BATCH_DEADLINE, run(pool, asks))
                        .await
                        .unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut));
                    match answered {
                        Ok(answers) if answers.len() == n => {
                            for (reply, answer) in replies.into_iter().zip(answers) {
                                let _ = reply.send(Some(answer));
                            }
                        }
                        Ok(answers) => {
                            tracing::warn!(
                                asks = n,
                                answers = answers.len(),
                                "batched read answered the wrong number of asks; asking the pool"
                            );
                            replies.into_iter().for_each(|r| drop(r.send(None)));
                        }
                        Err(e) => {
                            tracing::debug!("batched read failed, asking the pool: {e}");
                            replies.into_iter().for_each(|r| drop(r.send(None)));
                        }
                    }
                    drop(slot);
                });
            }
        });
        Batcher { asks: tx }
    }

    /// The answer to `ask`, or `None` when its batch failed (the caller asks the pool).
    pub async fn ask(&self, ask: A) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        self.asks.send((ask, tx)).ok()?;
        rx.await.ok().flatten()
    }
}
