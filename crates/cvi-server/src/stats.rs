//! Resolutions per tenant, provider and UTC day, for the console's chart. Counted in
//! memory on the hot path (a map update, no query) and added to `daily_stats` every few
//! seconds by a background task through the writer; several servers on one database add
//! up. A failed flush keeps its counts for the next one.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use cvi_core::ProviderName;

use cvi_store::db::now_ms;
use cvi_store::{daily_stats, writes::Writes};

/// How often counts go to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

type Key = (String, &'static str, i64);

/// Resolutions not yet in the database.
#[derive(Default)]
pub struct Resolutions {
    pending: Mutex<HashMap<Key, i64>>,
}

impl Resolutions {
    /// One resolution of a `provider` meeting in `tenant`, now.
    pub fn count(&self, tenant: &str, provider: ProviderName) {
        let day = daily_stats::day_of(now_ms());
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending
            .entry((tenant.to_string(), provider.as_str(), day))
            .or_default() += 1;
    }

    /// Adds what is pending to the database; on failure it stays pending.
    pub async fn flush(&self, writes: &Writes) -> Result<(), sqlx::Error> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if taken.is_empty() {
            return Ok(());
        }
        let adds: Vec<daily_stats::Add> = taken
            .iter()
            .map(|((tenant, provider, day), n)| daily_stats::Add {
                tenant,
                day: *day,
                provider,
                metric: daily_stats::Metric::Resolved,
                count: *n,
            })
            .collect();
        let written = async {
            let mut tx = writes.begin().await?;
            daily_stats::add(&mut tx, &adds).await?;
            tx.commit().await
        }
        .await;
        if written.is_err() {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for (k, n) in taken {
                *pending.entry(k).or_default() += n;
            }
        }
        written
    }
}

/// Flushes every [`FLUSH_EVERY`] until the process stops.
pub async fn flush_forever(resolutions: std::sync::Arc<Resolutions>, writes: Writes) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = resolutions.flush(&writes).await {
            tracing::warn!(error = %e, "resolution counts kept for the next flush");
        }
    }
}
