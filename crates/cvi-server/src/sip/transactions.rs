//! INVITE server transactions of a redirect server, reduced to what one that answers at
//! once needs (RFC 3261 §17.2.1, §8.2.7): the final answer kept so a retransmitted INVITE
//! gets the same one, and known to CANCEL and ACK.
//!
//! Nothing is sent on a timer. The client retransmits its INVITE until an answer reaches
//! it (Timer A), and each retransmission is answered again from here, so a lost answer is
//! recovered without our sending to an address that never asked (RFC 3261 §8.2.7 lets a
//! redirect server be stateless; §17.2.1's Timer G would resend ten times over 32 s to a
//! source nobody verified).
//!
//! A transaction is its branch **and** the address it came from (§17.2.3 matches on the
//! sent-by too; the address is what a spoofer cannot choose freely and still receive), and
//! an answer is replayed only to a request identical to the one that earned it — so a
//! small forged datagram never draws a large answer. The cache is bounded in bytes; when
//! full, answers are still sent, just not kept.
//!
//! Answers are kept in two generations, each a map, the younger replacing the older every
//! [`KEEP`]: an ACKed transaction leaves no trace, and nothing grows with the call rate.
//! (A queue of every answer in order, which expired them one by one, held the keys of ACKed
//! calls too: at 20,000 calls/s it grew to 640,000 entries, each time it doubled it was
//! copied under the lock, and SIPp's slow answers came in bursts at 3.3 and 6.5 s; p99 was
//! 20–44 ms where Kamailio's was 4.)

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    net::SocketAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long an answered INVITE is kept: Timer H (64·T1), the longest a client retransmits.
pub const KEEP: Duration = Duration::from_secs(32);
/// Bytes of answers kept at once.
pub const BUDGET: usize = 64 << 20;
/// What an entry costs beyond its answer (key, map slot, expiry queue).
const OVERHEAD: usize = 128;

type Key = (String, SocketAddr);

struct Entry {
    reply: Vec<u8>,
    /// A digest of the request that earned the answer.
    request: u64,
    created: Instant,
}

/// Answers kept since some instant, and their cost.
#[derive(Default)]
struct Generation {
    map: HashMap<Key, Entry>,
    bytes: usize,
}

impl Generation {
    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= cost(key, &e.reply);
        }
    }
}

struct Inner {
    /// Answers kept since `young_since`.
    young: Generation,
    /// Answers kept in the [`KEEP`] before `young_since`.
    old: Generation,
    young_since: Instant,
}

impl Inner {
    fn get(&self, key: &Key) -> Option<&Entry> {
        self.young.map.get(key).or_else(|| self.old.map.get(key))
    }

    /// What both generations hold, against the budget.
    fn bytes(&self) -> usize {
        self.young.bytes + self.old.bytes
    }
}

/// Answered INVITEs by branch and source.
pub struct Transactions {
    inner: Mutex<Inner>,
    hasher: RandomState,
    budget: usize,
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions::with_budget(BUDGET)
    }
}

/// A fresh To tag (RFC 3261 §19.3: at least 32 bits of randomness).
pub fn tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn cost(key: &Key, reply: &[u8]) -> usize {
    reply.len() + key.0.len() + OVERHEAD
}

impl Transactions {
    pub fn with_budget(budget: usize) -> Self {
        Transactions {
            inner: Mutex::new(Inner {
                young: Generation::default(),
                old: Generation::default(),
                young_since: Instant::now(),
            }),
            hasher: RandomState::new(),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The digest a request is matched by.
    pub fn digest(&self, request: &[u8]) -> u64 {
        self.hasher.hash_one(request)
    }

    /// Keeps an INVITE's final answer. Branches without RFC 3261's magic cookie cannot be
    /// matched reliably (§17.2.3), so they are not kept.
    pub fn answered(&self, branch: &str, from: SocketAddr, request: u64, reply: &[u8]) {
        if !branch.starts_with("z9hG4bK") {
            return;
        }
        let key = (branch.to_string(), from);
        let cost = cost(&key, reply);
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.bytes() + cost > self.budget || inner.get(&key).is_some() {
            return;
        }
        inner.young.bytes += cost;
        inner.young.map.insert(
            key,
            Entry {
                reply: reply.to_vec(),
                request,
                created: now,
            },
        );
    }

    /// The answer already given to this very request from this source, for its
    /// retransmission.
    pub fn replay(&self, branch: &str, from: SocketAddr, request: u64) -> Option<Vec<u8>> {
        let inner = self.lock();
        let e = inner.get(&(branch.to_string(), from))?;
        (e.request == request && e.created.elapsed() < KEEP).then(|| e.reply.clone())
    }

    pub fn known(&self, branch: &str, from: SocketAddr) -> bool {
        self.lock().get(&(branch.to_string(), from)).is_some()
    }

    /// The ACK came: the transaction ends (a retransmitted INVITE after it is answered
    /// anew).
    pub fn acked(&self, branch: &str, from: SocketAddr) {
        let mut inner = self.lock();
        let key = (branch.to_string(), from);
        inner.young.remove(&key);
        inner.old.remove(&key);
    }

    /// Forgets the older generation once the younger is [`KEEP`] old (its answers are
    /// then at least that old), so an answer is kept between [`KEEP`] and twice that.
    pub fn expire(&self) {
        let now = Instant::now();
        let mut inner = self.lock();
        let age = now.duration_since(inner.young_since);
        if age < KEEP {
            return;
        }
        let young = std::mem::take(&mut inner.young);
        let mut gone = vec![std::mem::replace(&mut inner.old, young)];
        if age >= 2 * KEEP {
            gone.push(std::mem::take(&mut inner.old));
        }
        inner.young_since = now;
        drop(inner);
        // Freed outside the lock: unACKed answers may be many.
        drop(gone);
    }

    /// Bytes held now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes()
    }
}

/// Expires transactions every second.
pub async fn sweep(transactions: std::sync::Arc<Transactions>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        transactions.expire();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn an_answer_is_replayed_only_to_the_same_request_from_the_same_source() {
        let t = Transactions::default();
        let (req, other) = (t.digest(b"INVITE one"), t.digest(b"INVITE forged"));
        t.answered("z9hG4bK-a", at(5060), req, b"302");
        t.answered("no-cookie", at(5060), req, b"404");
        assert_eq!(
            t.replay("z9hG4bK-a", at(5060), req).as_deref(),
            Some(&b"302"[..])
        );
        assert_eq!(t.replay("z9hG4bK-a", at(5061), req), None, "another source");
        assert_eq!(
            t.replay("z9hG4bK-a", at(5060), other),
            None,
            "another request"
        );
        assert!(t.known("z9hG4bK-a", at(5060)) && !t.known("z9hG4bK-a", at(5061)));
        assert!(!t.known("no-cookie", at(5060)));
        t.acked("z9hG4bK-a", at(5061));
        assert!(
            t.known("z9hG4bK-a", at(5060)),
            "an ACK from elsewhere ends nothing"
        );
        t.acked("z9hG4bK-a", at(5060));
        assert!(!t.known("z9hG4bK-a", at(5060)));
        assert_eq!(t.bytes(), 0);
    }

    #[test]
    fn memory_is_bounded_by_bytes_and_answers_expire() {
        let t = Transactions::with_budget(100_000);
        let reply = vec![b'x'; 10_000];
        for i in 0..1_000u16 {
            t.answered(&format!("z9hG4bK-{i}"), at(i), 1, &reply);
        }
        assert!(t.bytes() <= 100_000, "{} bytes kept", t.bytes());
        assert!(t.known("z9hG4bK-0", at(0)), "the first are kept");
        assert!(
            !t.known("z9hG4bK-999", at(999)),
            "past the budget: not kept"
        );
        // KEEP passes: the answers are still kept (an answer lives between KEEP and twice
        // that), but no longer replayed; KEEP more, and the room is free again.
        let kept = t.bytes();
        let back = |by: Duration| {
            let mut guard = t.lock();
            let inner = &mut *guard;
            let past = Instant::now()
                .checked_sub(by)
                .expect("the clock is past 2 KEEP");
            inner.young_since = past;
            for e in inner
                .young
                .map
                .values_mut()
                .chain(inner.old.map.values_mut())
            {
                e.created = past;
            }
        };
        back(KEEP);
        t.expire();
        assert_eq!(t.bytes(), kept, "kept one more generation");
        assert!(t.known("z9hG4bK-0", at(0)));
        assert_eq!(t.replay("z9hG4bK-0", at(0), 1), None, "older than KEEP");
        back(KEEP);
        t.expire();
        assert_eq!(t.bytes(), 0);
        assert!(!t.known("z9hG4bK-0", at(0)));
        // A server that slept through two generations forgets both at once.
        t.answered("z9hG4bK-late", at(2), 1, &reply);
        back(2 * KEEP);
        t.expire();
        assert_eq!(t.bytes(), 0);
        t.answered("z9hG4bK-new", at(1), 1, &reply);
        assert!(t.known("z9hG4bK-new", at(1)));
    }
}
