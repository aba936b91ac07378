//! INVITE server transactions of a redirect server (RFC 3261 §17.2.1), reduced to what one
//! that answers at once needs: the final answer kept for retransmitted INVITEs, resent over
//! UDP with Timer G until the ACK comes (at most Timer H), and known to CANCEL.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::net::UdpSocket;

/// RFC 3261 §17.1.1.1 timer values.
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
/// Timer H: how long an answered INVITE waits for its ACK.
const TIMER_H: Duration = Duration::from_secs(32);
/// Transactions kept at once; beyond it answers are still sent, just not kept (a flood
/// must not grow memory without bound).
const CAPACITY: usize = 200_000;

struct Entry {
    reply: Vec<u8>,
    to: SocketAddr,
    reliable: bool,
    created: Instant,
    next_send: Instant,
    interval: Duration,
}

/// Answered INVITEs by branch.
#[derive(Default)]
pub struct Transactions {
    map: Mutex<HashMap<String, Entry>>,
}

/// A fresh To tag (RFC 3261 §19.3: at least 32 bits of randomness).
pub fn tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Transactions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps an INVITE's final answer. Branches without RFC 3261's magic cookie cannot be
    /// matched reliably (§17.2.3), so they are not kept.
    pub fn answered(&self, branch: &str, reply: Vec<u8>, to: SocketAddr, reliable: bool) {
        if !branch.starts_with("z9hG4bK") {
            return;
        }
        let mut map = self.lock();
        if map.len() >= CAPACITY {
            return;
        }
        let now = Instant::now();
        map.insert(
            branch.to_string(),
            Entry {
                reply,
                to,
                reliable,
                created: now,
                next_send: now + T1,
                interval: T1,
            },
        );
    }

    /// The answer already given to this INVITE, for its retransmission.
    pub fn replay(&self, branch: &str) -> Option<Vec<u8>> {
        self.lock().get(branch).map(|e| e.reply.clone())
    }

    pub fn known(&self, branch: &str) -> bool {
        self.lock().contains_key(branch)
    }

    /// The ACK came: no more retransmissions. Over UDP the transaction ends here (a
    /// retransmitted ACK is absorbed anyway, and the client has our answer); over TCP
    /// there is nothing left to do either.
    pub fn acked(&self, branch: &str) {
        self.lock().remove(branch);
    }

    /// Answers due for a resend, and forgets finished transactions.
    fn due(&self) -> Vec<(Vec<u8>, SocketAddr)> {
        let now = Instant::now();
        let mut out = Vec::new();
        self.lock().retain(|_, e| {
            if now.duration_since(e.created) >= TIMER_H {
                return false;
            }
            if !e.reliable && now >= e.next_send {
                out.push((e.reply.clone(), e.to));
                e.interval = (e.interval * 2).min(T2);
                e.next_send = now + e.interval;
            }
            true
        });
        out
    }
}

/// Resends unacknowledged answers over UDP (Timer G) and expires transactions.
pub async fn retransmit(transactions: Arc<Transactions>, socket: Arc<UdpSocket>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        for (reply, to) in transactions.due() {
            let _ = socket.send_to(&reply, to).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unacknowledged_answers_are_resent_until_the_ack() {
        let t = Transactions::default();
        let to: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        t.answered("z9hG4bK-a", b"302".to_vec(), to, false);
        t.answered("z9hG4bK-tcp", b"404".to_vec(), to, true);
        t.answered("no-cookie", b"404".to_vec(), to, false);
        assert!(t.known("z9hG4bK-a") && !t.known("no-cookie"));
        assert_eq!(t.replay("z9hG4bK-a").as_deref(), Some(&b"302"[..]));
        assert!(t.due().is_empty(), "nothing before T1");
        t.lock().get_mut("z9hG4bK-a").unwrap().next_send = Instant::now();
        t.lock().get_mut("z9hG4bK-tcp").unwrap().next_send = Instant::now();
        assert_eq!(
            t.due(),
            vec![(b"302".to_vec(), to)],
            "UDP only, TCP is reliable"
        );
        assert_eq!(t.lock()["z9hG4bK-a"].interval, T1 * 2);
        t.acked("z9hG4bK-a");
        assert!(t.due().is_empty(), "ACKed: no more resends");
        assert!(!t.known("z9hG4bK-a"), "the transaction ended");
    }
}
