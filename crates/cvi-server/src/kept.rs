//! Values kept briefly per key and fetched once when missing or stale: callers that arrive
//! during a fetch wait for it instead of each asking the database. Without that, every
//! key's expiry was a stampede at 20,000 requests/s — each request in flight at that
//! moment queried (a Pexip bridge's credential: p99 13.5 ms on PostgreSQL at 20,000/s
//! offered, against 3.2 ms for resolution through the API).

use std::{
    future::Future,
    time::{Duration, Instant},
};

pub struct Kept<V: Clone> {
    ttl: Duration,
    cache: quick_cache::sync::Cache<String, (V, Instant)>,
}

impl<V: Clone> Kept<V> {
    /// At most `capacity` keys (the least used go first), each kept for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Kept {
            ttl,
            cache: quick_cache::sync::Cache::new(capacity),
        }
    }

    /// The value kept for `key`, or `fetch`'s (then kept). Of the callers that find it
    /// missing or stale, one fetches and the others wait for its value; when the fetch
    /// fails, the next waiter fetches.
    pub async fn get_or_fetch<E, F>(&self, key: &str, fetch: impl FnOnce() -> F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let ttl = self.ttl;
        self.cache.remove_if(key, |(_, at)| at.elapsed() >= ttl);
        match self.cache.get_value_or_guard_async(key).await {
            Ok((v, _)) => Ok(v),
            Err(guard) => {
                let v = fetch().await?;
                let _ = guard.insert((v.clone(), Instant::now()));
                Ok(v)
            }
        }
    }

    /// Forgets `key` (changed here: the next caller fetches).
    pub fn forget(&self, key: &str) {
        self.cache.remove(key);
    }

    /// Forgets every key.
    pub fn clear(&self) {
        self.cache.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicU32, Ordering},
        time::Duration,
    };

    use super::Kept;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_fetch_once() {
        let kept = std::sync::Arc::new(Kept::<u32>::new(10, Duration::from_secs(60)));
        let fetches = std::sync::Arc::new(AtomicU32::new(0));
        let callers: Vec<_> = (0..32)
            .map(|_| {
                let (kept, fetches) = (kept.clone(), fetches.clone());
                tokio::spawn(async move {
                    kept.get_or_fetch("k", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        // Long enough for every caller to arrive while it runs.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(7)
                    })
                    .await
                })
            })
            .collect();
        for c in callers {
            assert_eq!(c.await.unwrap(), Ok(7));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn stale_forgotten_and_failed_values_are_fetched_again() {
        let kept = Kept::<u32>::new(10, Duration::from_millis(20));
        let get = |v: Result<u32, &'static str>| kept.get_or_fetch("k", move || async move { v });
        assert_eq!(get(Ok(1)).await, Ok(1));
        assert_eq!(get(Ok(2)).await, Ok(1), "kept");
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            get(Err("down")).await,
            Err("down"),
            "stale: fetched, and it failed"
        );
        assert_eq!(get(Ok(3)).await, Ok(3), "a failure is not kept");
        kept.forget("k");
        assert_eq!(get(Ok(4)).await, Ok(4));
        kept.clear();
        assert_eq!(get(Ok(5)).await, Ok(5));
    }
}
