//! Token buckets per caller (defence against Video ID enumeration, SIP floods), with the
//! budget split between the servers on one database: each of N live servers allows 1/N of
//! the rate and burst, so together they allow what one would, whichever server a caller
//! reaches. (A caller that reaches only one server gets 1/N: the bound errs low.) The
//! number of servers comes from their heartbeats in the database (`store::servers`).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use cvi_store::db::Db;

/// How many servers share the budget; 1 until the first heartbeat says otherwise.
#[derive(Clone)]
pub struct Servers(Arc<AtomicUsize>);

impl Default for Servers {
    fn default() -> Self {
        Servers(Arc::new(AtomicUsize::new(1)))
    }
}

impl Servers {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed).max(1)
    }
}

/// How often a server says it is alive, and how long it counts without saying so.
const HEARTBEAT: Duration = Duration::from_secs(2);
const ALIVE_WINDOW: Duration = Duration::from_secs(6);

/// Keeps `servers` up to date until the process ends.
pub async fn heartbeat(db: Db, servers: Servers) {
    let id = format!("{:016x}", rand::random::<u64>());
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        let now = cvi_store::db::now_ms();
        match cvi_store::servers::heartbeat(&db, &id, now, ALIVE_WINDOW.as_millis() as i64).await {
            Ok(n) => servers
                .0
                .store(usize::try_from(n).unwrap_or(1).max(1), Ordering::Relaxed),
            // The database is away: keep the last count (the limits stay as they were).
            Err(e) => tracing::debug!(error = %e, "server heartbeat"),
        }
    }
}

/// Token buckets keyed by caller.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    servers: Servers,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` sustained, up to `burst` at once, across all `servers`.
    pub fn new(per_second: f64, burst: f64, servers: Servers) -> Self {
        RateLimiter {
            per_second,
            burst,
            servers,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(seconds)` says when to retry.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.check_scaled(key, 1.0)
    }

    /// [`RateLimiter::check`] with `factor` times the rate and burst (a budget shared by
    /// many callers of one key's kind).
    pub fn check_scaled(&self, key: &str, factor: f64) -> Result<(), u64> {
        let share = self.servers.count() as f64;
        let (rate, burst) = (
            self.per_second * factor / share,
            (self.burst * factor / share).max(1.0),
        );
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Bound memory: forget callers whose buckets have refilled.
            buckets.retain(|_, (tokens, at)| *tokens + at.elapsed().as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited_per_caller() {
        let l = RateLimiter::new(1.0, 3.0, Servers::default());
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        assert_eq!(l.check("a"), Err(1));
        assert!(l.check("b").is_ok(), "callers are limited separately");
    }

    #[test]
    fn two_servers_split_the_budget() {
        let servers = Servers::default();
        servers.0.store(2, Ordering::Relaxed);
        let l = RateLimiter::new(1.0, 4.0, servers);
        assert!(l.check("a").is_ok() && l.check("a").is_ok());
        assert_eq!(l.check("a"), Err(2), "half the burst, half the rate");
    }
}
