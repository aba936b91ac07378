//! Token buckets per caller (defence against Video ID enumeration, SIP floods), with the
//! budget split between the servers on one database: each of N live servers allows 1/N of
//! the rate and burst, so together they allow what one would, whichever server a caller
//! reaches. (A caller that reaches only one server gets 1/N: the bound errs low.) The
//! number of servers comes from their heartbeats in the database (`store::servers`).

use std::{
    collections::HashMap,
    net::IpAddr,
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

/// Callers kept before a sweep forgets those whose buckets have refilled.
const SWEEP_OVER: usize = 100_000;
/// Sweeps at most this often: with many callers still short of tokens (a flood from
/// spoofed sources, a very low rate) a sweep per call would make every call walk them all.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Token buckets keyed by caller.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    servers: Servers,
    buckets: Mutex<Buckets>,
}

#[derive(Default)]
struct Buckets {
    by_key: HashMap<String, Bucket>,
    swept: Option<Instant>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
    /// The factor the key is checked with (a sweep refills each bucket at its own rate).
    factor: f64,
}

impl RateLimiter {
    /// `per_second` sustained, up to `burst` at once, across all `servers`.
    pub fn new(per_second: f64, burst: f64, servers: Servers) -> Self {
        RateLimiter {
            per_second,
            burst,
            servers,
            buckets: Mutex::default(),
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
        let limits = |factor: f64| {
            (
                self.per_second * factor / share,
                (self.burst * factor / share).max(1.0),
            )
        };
        let (rate, burst) = limits(factor);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let Buckets { by_key, swept } = &mut *buckets;
        if by_key.len() > SWEEP_OVER && swept.is_none_or(|at| now - at >= SWEEP_EVERY) {
            *swept = Some(now);
            by_key.retain(|_, b| {
                let (rate, burst) = limits(b.factor);
                b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst
            });
            if by_key.len() > 2 * SWEEP_OVER {
                // Still more callers short of tokens than memory should hold: forget them
                // all (each may start again with a full burst, once per sweep at most).
                by_key.clear();
            }
        }
        // The key is copied only for a new caller (this runs for every datagram).
        let b = match by_key.get_mut(key) {
            Some(b) => b,
            None => by_key.entry(key.to_owned()).or_insert(Bucket {
                tokens: burst,
                at: now,
                factor,
            }),
        };
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        b.factor = factor;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Callers currently kept.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.buckets.lock().unwrap().by_key.len()
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

    #[test]
    fn a_flood_of_new_callers_is_bounded_and_swept_at_most_once_a_second() {
        // So low a rate that no bucket refills during the test: the sweep frees nothing.
        let l = RateLimiter::new(0.001, 2.0, Servers::default());
        assert!(l.check("victim").is_ok() && l.check("victim").is_ok());
        assert!(l.check("victim").is_err());
        let swept = || l.buckets.lock().unwrap().swept;
        for n in 0..SWEEP_OVER {
            let _ = l.check(&format!("spoofed-{n}"));
        }
        assert_eq!(swept(), None, "not over the mark yet");
        let _ = l.check("spoofed-over");
        let first = swept().expect("the first call over the mark sweeps");
        for n in 0..10 {
            let _ = l.check(&format!("spoofed-more-{n}"));
        }
        // Later calls within the second did not sweep again; nothing had refilled, so
        // nobody was forgotten.
        assert_eq!(swept(), Some(first));
        assert_eq!(l.kept(), SWEEP_OVER + 12);
        assert!(l.check("victim").is_err(), "a limited caller stays limited");
        // Past twice the mark the limiter forgets everyone rather than grow: simulate the
        // next sweep being due.
        for n in SWEEP_OVER..2 * SWEEP_OVER {
            let _ = l.check(&format!("spoofed-{n}"));
        }
        l.buckets.lock().unwrap().swept = Some(Instant::now() - SWEEP_EVERY);
        let _ = l.check("one-more");
        assert_eq!(l.kept(), 1, "only the caller that triggered the sweep");
    }

    #[test]
    fn a_sweep_refills_each_bucket_at_its_own_factor() {
        let l = RateLimiter::new(0.001, 2.0, Servers::default());
        // A trusted gateway (factor 50: burst 100) that used one token is not refilled yet
        // by its own measure, though it holds far more than a factor-1 burst.
        l.check_scaled("gateway", 50.0).unwrap();
        for n in 0..SWEEP_OVER {
            let _ = l.check(&format!("caller-{n}"));
        }
        let _ = l.check("trigger");
        let kept = l.buckets.lock().unwrap().by_key.contains_key("gateway");
        assert!(kept, "swept as if its burst were 2");
    }
}

/// Connections held per source (the HTTP listener's and the SIP door's TCP caps): an IPv4 address, an IPv6 /64 (one host owns at least
/// that many addresses).
pub struct PerSource {
    max: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection counted against its source, until dropped.
pub struct Held {
    owner: Arc<PerSource>,
    key: IpAddr,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.owner.lock();
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl PerSource {
    pub fn new(max: usize) -> Self {
        PerSource {
            max,
            held: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one more connection from `ip`, or `None` when its source holds the most.
    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<Held> {
        let key = source_key(ip);
        let mut held = self.lock();
        let n = held.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Held {
            owner: self.clone(),
            key,
        })
    }
}

#[cfg(test)]
mod per_source_tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn connections_are_counted_per_source_network() {
        let p = Arc::new(PerSource::new(2));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let a = p.enter(ip("192.0.2.1")).unwrap();
        let _b = p.enter(ip("::ffff:192.0.2.1")).unwrap();
        assert!(
            p.enter(ip("192.0.2.1")).is_none(),
            "the third from one address"
        );
        assert!(p.enter(ip("192.0.2.2")).is_some(), "another address");
        drop(a);
        assert!(p.enter(ip("192.0.2.1")).is_some(), "a slot freed");
        let _c = p.enter(ip("2001:db8:1:2::1")).unwrap();
        let _d = p.enter(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(p.enter(ip("2001:db8:1:2::7")).is_none(), "one /64");
        assert!(p.enter(ip("2001:db8:1:3::1")).is_some());
        assert!(p.lock().len() <= 4);
    }
}
