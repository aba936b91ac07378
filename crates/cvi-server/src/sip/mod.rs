//! The SIP front door (`cvi serve --sip ADDR`): a redirect server (RFC 3261 §8.3) on UDP and
//! TCP at one port. An INVITE to a live meeting's direct-dial URI is answered `302` with a
//! Contact at the provider's gateway target; an IVR URI `302` to the IVR target; anything
//! else one identical `404`. It holds no dialogs and places no calls.
//!
//! Layout: `grammar` reads RFC 3261's syntax, `message` turns one request into its
//! answer; `directory` finds the tenants a dialled tenant key names; `transactions` keeps
//! answered INVITEs for retransmissions, ACK and CANCEL; `guard` counts failed lookups per
//! tenant key; this module listens, limits each source network and asks resolution
//! (`usecases::resolution::dialled`) where a call leads.
//!
//! Facing the Internet: every request is counted against its source network's budget
//! before anything is answered (replays too), and over UDP — where the source may be
//! forged — what is over budget is dropped without a word, an answer is never larger than
//! the request by more than [`MAX_UDP_GROWTH`], and nothing is sent that no request asked
//! for (no retransmission timer).

mod directory;
mod grammar;
mod guard;
mod message;
mod transactions;

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, UdpSocket},
    sync::Semaphore,
};

use crate::{
    rate_limit::RateLimiter,
    usecases::{
        resolution::{self, Outcome},
        Context, Error,
    },
};
use cvi_core::{dial_plan, sip_target::SipTarget, VideoId};
use grammar::Target;
use message::{Incoming, Method, Status, MAX_MESSAGE};
use transactions::Transactions;

/// Requests answered at once (UDP tasks + TCP connections' requests); more wait in the
/// socket buffer, and UDP clients retransmit.
const IN_FLIGHT: usize = 1024;
/// TCP connections held at once; more are closed on accept.
const MAX_TCP: usize = 1024;
/// TCP connections held at once per source address (a trusted gateway: any number up to
/// [`MAX_TCP`]).
pub const MAX_TCP_PER_SOURCE: usize = 32;
/// A TCP connection that sends nothing this long between messages is closed.
const TCP_IDLE: Duration = Duration::from_secs(60);
/// A message must arrive whole this long after its first byte (one byte a minute must not
/// hold a connection for ever).
pub const MESSAGE_DEADLINE: Duration = Duration::from_secs(10);

/// How the front door is set up.
#[derive(Debug, Clone)]
pub struct SipConfig {
    pub listen: SocketAddr,
    /// Requests per source network per second (burst: 10 seconds' worth): an IPv4 /24, an
    /// IPv6 /64 — one host owns at least that many addresses.
    pub rate_per_source: f64,
    /// Partners' gateways and the operator's SBCs: each address gets [`TRUSTED_FACTOR`]
    /// times the rate, and the Teams join link in the 302.
    pub trusted: Vec<ipnet::IpNet>,
}

/// How many times the per-source rate a trusted gateway gets (it carries many customers'
/// calls from a few addresses).
pub const TRUSTED_FACTOR: f64 = 50.0;

/// The network a source address is limited as: its /24 (IPv4) or /64 (IPv6).
fn source_network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            // Not `format!`: this runs for every datagram.
            let mut net = String::with_capacity(18);
            for octet in &v4.octets()[..3] {
                net.push_str(itoa::Buffer::new().format(*octet));
                net.push('.');
            }
            net.push_str("0/24");
            net
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => source_network(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The bound sockets, before serving (so `cvi serve` can report the address).
pub struct SipDoor {
    udp: Udp,
    tcp: TcpListener,
    cx: Arc<Context>,
    limiter: Arc<RateLimiter>,
    trusted: Vec<ipnet::IpNet>,
    transactions: Arc<Transactions>,
    permits: Arc<Semaphore>,
}

/// The UDP receive buffer asked for (the kernel caps it at `net.core.rmem_max`).
const UDP_BUFFER: usize = 4 << 20;

impl SipDoor {
    /// Binds UDP and TCP on the same address (port 0 picks one free for both).
    pub async fn bind(config: &SipConfig, cx: Arc<Context>) -> std::io::Result<Self> {
        // Port 0: let TCP choose, then take the same port for UDP (retry if it is taken).
        let mut last_err = None;
        for _ in 0..16 {
            let tcp = TcpListener::bind(config.listen).await?;
            let at = tcp.local_addr()?;
            match UdpSocket::bind(at).await {
                Ok(udp) => {
                    // Room for bursts while the receivers wait for a core: at the default
                    // (208 KB) SIPp's 20,000 calls/s overflowed it, and each dropped INVITE
                    // came back 500 ms later (SIP's T1). Capped by net.core.rmem_max.
                    if let Err(e) = socket2::SockRef::from(&udp).set_recv_buffer_size(UDP_BUFFER) {
                        tracing::debug!("sip: cannot enlarge the UDP receive buffer: {e}");
                    }
                    let udp = if matches!(cx.fast, Some(cvi_store::FastReads::Thread(_))) {
                        let udp = udp.into_std()?;
                        udp.set_nonblocking(false)?;
                        Udp::Threads(Arc::new(udp))
                    } else {
                        Udp::Tasks(Arc::new(udp))
                    };
                    let limiter = Arc::new(RateLimiter::new(
                        config.rate_per_source,
                        config.rate_per_source * 10.0,
                        cx.servers.clone(),
                    ));
                    return Ok(SipDoor {
                        udp,
                        tcp,
                        cx,
                        limiter,
                        trusted: config.trusted.clone(),
                        transactions: Arc::new(Transactions::default()),
                        permits: Arc::new(Semaphore::new(IN_FLIGHT)),
                    });
                }
                Err(e) if config.listen.port() == 0 => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| std::io::Error::other("no free port for UDP and TCP")))
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Serves until the process stops.
    pub async fn serve(self) {
        let door = Arc::new(Door {
            cx: self.cx,
            directory: directory::Directory::default(),
            guard: guard::Guard::default(),
            limiter: self.limiter,
            trusted: self.trusted,
            transactions: self.transactions,
        });
        tokio::spawn(transactions::sweep(door.transactions.clone()));
        tokio::spawn(serve_tcp(self.tcp, door.clone(), self.permits.clone()));
        match self.udp {
            Udp::Threads(socket) => serve_udp_threads(socket, door, self.permits),
            Udp::Tasks(socket) => serve_udp_tasks(socket, door, self.permits),
        }
        std::future::pending::<()>().await;
    }
}

struct Door {
    cx: Arc<Context>,
    directory: directory::Directory,
    guard: guard::Guard,
    limiter: Arc<RateLimiter>,
    trusted: Vec<ipnet::IpNet>,
    transactions: Arc<Transactions>,
}

/// One receiver per core on the UDP socket.
fn udp_receivers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(8))
}

/// How the UDP socket is read, by where answers come from.
///
/// On SQLite an answer is computed on the spot (the reads run on the calling thread,
/// `store::hot_reads`), and receiver threads block in `recvfrom` as Kamailio's processes do:
/// with tokio's readiness instead, 200,000 calls at 20,000/s cost 46k `epoll_wait` and 45k
/// `recvfrom` that found nothing more (`perf stat` on the system calls), ~2 µs a call.
///
/// On PostgreSQL most answers wait for a batched read, and receivers are tasks of the
/// runtime, so a waiting answer is a task spawned on the same worker. Spawned from a
/// receiver thread outside the runtime, each was a wake-up of another thread: at 20,000
/// calls/s on the PostgreSQL rig the server spent 31–44 µs a call against 27–30 µs, in
/// each of six alternating rounds, and SIPp's p99 was the worst of the two in each.
enum Udp {
    Threads(Arc<std::net::UdpSocket>),
    Tasks(Arc<UdpSocket>),
}

/// Threads that enter the runtime, so an answer that must wait after all (the pool, a
/// configuration load) goes on as a task of it.
fn serve_udp_threads(socket: Arc<std::net::UdpSocket>, door: Arc<Door>, permits: Arc<Semaphore>) {
    let runtime = tokio::runtime::Handle::current();
    for n in 0..udp_receivers() {
        let (socket, door, permits, runtime) = (
            socket.clone(),
            door.clone(),
            permits.clone(),
            runtime.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name(format!("sip-udp-{n}"))
            .spawn(move || {
                let _entered = runtime.enter();
                supervise(|| receive_blocking(&socket, &door, &permits));
            });
        if let Err(e) = spawned {
            tracing::error!("sip: cannot start a UDP receiver: {e}");
        }
    }
}

/// Runs `receiver` again each time it panics: a panic while answering one datagram must
/// not leave the door deaf. Returns when `receiver` does.
fn supervise(receiver: impl Fn()) {
    while std::panic::catch_unwind(std::panic::AssertUnwindSafe(&receiver)).is_err() {
        tracing::error!("sip: a UDP receiver panicked; starting it again");
    }
}

fn receive_blocking(socket: &Arc<std::net::UdpSocket>, door: &Arc<Door>, permits: &Arc<Semaphore>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, source)) => {
                let socket = socket.clone();
                dispatch(door, permits, &buf[..n], source, move |reply, to| {
                    // A UDP send does not wait for the peer: blocking here is one system call.
                    let _ = socket.send_to(reply, to);
                });
            }
            // ICMP port-unreachable from an earlier send shows up here on some systems.
            Err(e) => tracing::debug!(error = %e, "sip: udp receive"),
        }
    }
}

/// Tasks, restarted when one ends (tokio catches a panic in the task; this notices it).
fn serve_udp_tasks(socket: Arc<UdpSocket>, door: Arc<Door>, permits: Arc<Semaphore>) {
    let receiver = move || receive_async(socket.clone(), door.clone(), permits.clone());
    tokio::spawn(async move {
        let mut receivers = tokio::task::JoinSet::new();
        for _ in 0..udp_receivers() {
            receivers.spawn(receiver());
        }
        while receivers.join_next().await.is_some() {
            tracing::error!("sip: a UDP receiver ended; starting another");
            receivers.spawn(receiver());
        }
    });
}

async fn receive_async(socket: Arc<UdpSocket>, door: Arc<Door>, permits: Arc<Semaphore>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, source)) => {
                let socket = socket.clone();
                dispatch(&door, &permits, &buf[..n], source, move |reply, to| {
                    // Full send buffer: the client retransmits (Timer A).
                    let _ = socket.try_send_to(reply, to);
                });
            }
            Err(e) => tracing::debug!(error = %e, "sip: udp receive"),
        }
    }
}

/// Answers one datagram through `send`: at once when the answer waits for nothing, else
/// as a task, within the door's bound on answers in flight.
fn dispatch(
    door: &Arc<Door>,
    permits: &Arc<Semaphore>,
    datagram: &[u8],
    source: SocketAddr,
    send: impl FnOnce(&[u8], SocketAddr) + Send + 'static,
) {
    // Keep-alives (RFC 5626 §3.5.1 CRLF) and oversized datagrams: nothing to answer.
    if datagram.len() > MAX_MESSAGE || datagram.iter().all(|b| matches!(b, b'\r' | b'\n')) {
        return;
    }
    let Ok(permit) = permits.clone().try_acquire_owned() else {
        return; // overloaded: the client retransmits (Timer A)
    };
    let (door, datagram) = (door.clone(), datagram.to_vec());
    let mut answer = Box::pin(async move {
        let _permit = permit;
        if let Some(reply) = door.answer(&datagram, source, false).await {
            send(&reply, source);
        }
    });
    // Most answers on SQLite wait for nothing: answered here, without a task and its
    // wake-ups. One that must wait goes on as a task, and the receiver reads on. (A future
    // may be polled again with another waker; the task's is used.)
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    if std::future::Future::poll(answer.as_mut(), &mut cx).is_pending() {
        tokio::spawn(answer);
    }
}

async fn serve_tcp(listener: TcpListener, door: Arc<Door>, permits: Arc<Semaphore>) {
    let connections = Arc::new(Semaphore::new(MAX_TCP));
    let per_source = Arc::new(crate::rate_limit::PerSource::new(MAX_TCP_PER_SOURCE));
    loop {
        let Ok((stream, source)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(slot) = connections.clone().try_acquire_owned() else {
            drop(stream); // too many connections: closed at once
            continue;
        };
        let own = if door.trusts(source.ip()) {
            None
        } else {
            match per_source.enter(source.ip()) {
                Some(s) => Some(s),
                None => {
                    tracing::debug!(%source, "sip: too many connections from one source");
                    continue;
                }
            }
        };
        let (door, permits) = (door.clone(), permits.clone());
        tokio::spawn(async move {
            let _slots = (slot, own);
            if let Err(e) = connection(stream, source, door, permits).await {
                tracing::debug!(error = %e, %source, "sip: tcp connection closed");
            }
        });
    }
}

/// Reads framed messages (RFC 3261 §18.3: headers, then Content-Length bytes of body) and
/// answers each on the same connection. Between messages a connection may wait
/// [`TCP_IDLE`]; once a message has begun it must be whole within [`MESSAGE_DEADLINE`].
async fn connection(
    mut stream: TcpStream,
    source: SocketAddr,
    door: Arc<Door>,
    permits: Arc<Semaphore>,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut begun: Option<tokio::time::Instant> = None;
    loop {
        while let Some(len) = frame(&buf)? {
            let msg: Vec<u8> = buf.drain(..len).collect();
            begun = None;
            if msg.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                continue;
            }
            let _permit = permits
                .acquire()
                .await
                .map_err(|_| std::io::Error::other("closed"))?;
            if let Some(reply) = door.answer(&msg, source, true).await {
                stream.write_all(&reply).await?;
            }
        }
        if !buf.is_empty() && begun.is_none() {
            begun = Some(tokio::time::Instant::now());
        }
        let until = match begun {
            Some(at) => at + MESSAGE_DEADLINE,
            None => tokio::time::Instant::now() + TCP_IDLE,
        };
        let n = tokio::time::timeout_at(until, stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle or slow"))??;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_MESSAGE + 4096 {
            return Err(std::io::Error::other("message too large"));
        }
    }
}

/// The length of the first complete message in `buf`, if there is one. Leading CRLFs
/// (keep-alives) form a message of their own. The Content-Length header is read only to
/// find the frame's end; the message itself is read by `message::parse`.
fn frame(buf: &[u8]) -> std::io::Result<Option<usize>> {
    let crlfs = buf
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    if crlfs > 0 {
        return Ok(Some(crlfs));
    }
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > MAX_MESSAGE {
            return Err(std::io::Error::other("headers too large"));
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end])
        .map_err(|_| std::io::Error::other("headers are not UTF-8"))?;
    let length = head
        .split("\r\n")
        .skip(1)
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            (name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l"))
                .then(|| value.trim().parse::<usize>())
        })
        // RFC 3261 §18.3: Content-Length is mandatory on a stream.
        .ok_or_else(|| std::io::Error::other("no Content-Length on a stream"))?
        .map_err(|_| std::io::Error::other("bad Content-Length"))?;
    if length > MAX_MESSAGE {
        return Err(std::io::Error::other("body too large"));
    }
    let total = end + 4 + length;
    Ok((buf.len() >= total).then_some(total))
}

/// Reads `bytes` as the door reads a datagram and writes the answer it would give to a
/// request for no meeting, without a database: the SIP fuzz target's entry
/// (`fuzz/fuzz_targets/sip.rs`).
#[doc(hidden)]
pub fn read_and_answer(bytes: &[u8]) -> Option<Vec<u8>> {
    let inc = message::parse(bytes, true).ok()?;
    if inc.method == Method::Ack {
        return None; // never answered (`Door::answer`)
    }
    let status = inc.fault.unwrap_or(message::NOT_FOUND);
    Some(inc.respond(status, &[], SocketAddr::from(([127, 0, 0, 1], 5060)), "t"))
}

/// How much larger than its request an answer sent over UDP may be. An answer echoes the
/// request's Via, From, To, Call-ID and CSeq, and adds a Contact and a To tag; a request
/// whose answer would grow more is one built to amplify, and is not answered.
pub const MAX_UDP_GROWTH: usize = 1024;

/// `reply` without its `X-Teams-Join-Url` line.
fn without_join_url(reply: Vec<u8>) -> Vec<u8> {
    let Ok(text) = String::from_utf8(reply) else {
        return Vec::new();
    };
    text.split_inclusive("\r\n")
        .filter(|line| !line.starts_with("X-Teams-Join-Url:"))
        .collect::<String>()
        .into_bytes()
}

impl Door {
    /// The bytes to send back for one message, if any.
    async fn answer(&self, bytes: &[u8], source: SocketAddr, reliable: bool) -> Option<Vec<u8>> {
        let inc = match message::parse(bytes, !reliable) {
            Ok(i) => i,
            Err(e) => {
                tracing::debug!(%source, error = %e, "sip: dropped");
                return None;
            }
        };
        // An ACK is never answered: it ends our transaction, and costs nothing else.
        if inc.method == Method::Ack {
            self.transactions.acked(&inc.branch, source);
            return None;
        }
        // Counted before anything is answered, retransmissions included.
        if !self.within_limit(source.ip()) {
            if !reliable {
                return None; // the source may be forged: not a byte to it
            }
            return Some(inc.respond(
                message::SERVICE_UNAVAILABLE,
                &["Retry-After: 5".into()],
                source,
                &transactions::tag(),
            ));
        }
        let mut reply = self.decide(&inc, bytes, source).await;
        if !reliable && reply.len() > bytes.len() + MAX_UDP_GROWTH {
            // A trusted gateway's 302 keeps its redirect without the (long) Teams link.
            reply = without_join_url(reply);
            if reply.len() > bytes.len() + MAX_UDP_GROWTH {
                tracing::debug!(%source, "sip: answer larger than its request, not sent");
                return None;
            }
        }
        Some(reply)
    }

    async fn decide(&self, inc: &Incoming<'_>, bytes: &[u8], source: SocketAddr) -> Vec<u8> {
        if let Some(fault) = inc.fault {
            return inc.respond(fault, &[], source, &transactions::tag());
        }
        let digest = (inc.method == Method::Invite).then(|| self.transactions.digest(bytes));
        if let Some(d) = digest {
            if let Some(cached) = self.transactions.replay(&inc.branch, source, d) {
                return cached; // a retransmitted INVITE gets the same answer
            }
        }
        let (status, extra) = match inc.method {
            Method::Invite => self.invite(inc, self.trusts(source.ip())).await,
            Method::Options => (
                message::OK,
                vec![message::allow(), "Accept: application/sdp".into()],
            ),
            // The INVITE it would cancel was answered at once: 200 for the CANCEL (RFC 3261
            // §9.2), 481 when we never saw that transaction.
            Method::Cancel if self.transactions.known(&inc.branch, source) => (message::OK, vec![]),
            // A redirect server is in no dialog.
            Method::Cancel | Method::Bye => (message::NO_TRANSACTION, vec![]),
            Method::Ack | Method::Other => (message::METHOD_NOT_ALLOWED, vec![message::allow()]),
        };
        let reply = inc.respond(status, &extra, source, &transactions::tag());
        if let Some(d) = digest {
            self.transactions.answered(&inc.branch, source, d, &reply);
        }
        reply
    }

    /// A call named `tenant`'s key but no meeting of it.
    fn failed_lookup(&self, tenant: &str) {
        self.cx.metrics.sip_failed_lookups.inc();
        if self.guard.failed(tenant) {
            self.cx.metrics.sip_guessing.inc();
            tracing::warn!(
                tenant,
                budget = guard::BUDGET,
                "sip: more failed lookups under one tenant key in a minute than its budget; \
                 someone may be guessing Video IDs (callers stay limited per network)"
            );
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// Per source network (a /24, a /64); a trusted gateway per address, at
    /// [`TRUSTED_FACTOR`] times the rate.
    fn within_limit(&self, ip: IpAddr) -> bool {
        if self.trusts(ip) {
            return self
                .limiter
                .check_scaled(&format!("trusted/{ip}"), TRUSTED_FACTOR)
                .is_ok();
        }
        self.limiter.check(&source_network(ip)).is_ok()
    }

    /// Where an INVITE leads: 302 to the target, or one 404 for everything else. The Teams
    /// join link lets anyone join from a browser: only a trusted gateway gets it.
    async fn invite(&self, inc: &Incoming<'_>, trusted: bool) -> (Status, Vec<String>) {
        if inc.max_forwards == 0 {
            return (message::TOO_MANY_HOPS, vec![]);
        }
        let not_found = (message::NOT_FOUND, vec![]);
        let uri = match &inc.target {
            Some(Target::Sip(uri)) => uri,
            Some(Target::OtherScheme) => return (message::UNSUPPORTED_SCHEME, vec![]),
            None => return not_found, // a fault was answered before
        };
        let found = self
            .directory
            .tenants(&self.cx.db, self.cx.fast.as_ref(), dial_plan::address(uri))
            .await
            .map_err(Error::from);
        let (outcome, named) = match found {
            Ok(tenants) => (
                resolution::dialled(&self.cx, uri, &tenants).await,
                tenants.into_iter().next(),
            ),
            Err(e) => (Err(e), None),
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(Error::UnknownMeeting) => {
                if let Some(tenant) = named {
                    self.failed_lookup(&tenant);
                }
                return not_found;
            }
            Err(e) => {
                tracing::warn!(error = %e, "sip: resolution failed");
                return (message::SERVICE_UNAVAILABLE, vec!["Retry-After: 5".into()]);
            }
        };
        match outcome {
            Outcome::Meeting { provider, resolved } => {
                let Ok(id) = VideoId::parse_any(&resolved.video_id) else {
                    return not_found;
                };
                let dial = dial_plan::dial_strings(&provider, &id);
                let target = provider
                    .sip_gateway
                    .clone()
                    .unwrap_or_else(SipTarget::default_meeting)
                    .fill(id.as_str(), &dial.direct_dial_uri, &dial.ivr_uri);
                let mut extra = vec![message::contact(&target)];
                if let Some(url) = resolved.teams_join_url.filter(|_| trusted) {
                    // The Teams meeting itself, for a gateway that joins by link.
                    extra.push(format!("X-Teams-Join-Url: {url}"));
                }
                (message::MOVED_TEMPORARILY, extra)
            }
            Outcome::Ivr(provider) => {
                let tk = provider.tenant_key.to_string();
                let target = provider
                    .sip_ivr
                    .clone()
                    .unwrap_or_else(SipTarget::default_ivr)
                    .fill("", "", &tk);
                (message::MOVED_TEMPORARILY, vec![message::contact(&target)])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{frame, source_network, supervise};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A receiver that panics is started again; one that returns is not.
    #[test]
    fn a_panicking_receiver_is_started_again() {
        let started = AtomicUsize::new(0);
        supervise(|| {
            let n = started.fetch_add(1, Ordering::SeqCst);
            if n < 3 {
                panic!("receiver {n} meets a datagram it cannot answer");
            }
        });
        // Three panicked and were started again; the fourth returned.
        assert_eq!(started.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn stream_framing_follows_content_length() {
        let msg = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 3\r\n\r\nabcOPTIONS";
        assert_eq!(frame(msg).unwrap(), Some(msg.len() - 7));
        assert_eq!(
            frame(b"OPTIONS sip:x SIP/2.0\r\nl: 5\r\n\r\nab").unwrap(),
            None
        );
        assert_eq!(frame(b"\r\n\r\nOPTIONS").unwrap(), Some(4));
        assert!(frame(b"OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n").is_err());
        assert!(frame(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n").is_err());
        assert_eq!(frame(b"OPTIONS sip:x SIP/2.0\r\nContent-Le").unwrap(), None);
    }

    #[test]
    fn a_join_link_too_long_for_udp_is_left_out() {
        let reply = b"SIP/2.0 302 Moved Temporarily\r\nContact: <sip:x>\r\nX-Teams-Join-Url: https://t/l\r\nContent-Length: 0\r\n\r\n".to_vec();
        assert_eq!(
            super::without_join_url(reply),
            b"SIP/2.0 302 Moved Temporarily\r\nContact: <sip:x>\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn sources_are_limited_by_network() {
        let n = |s: &str| source_network(s.parse().unwrap());
        assert_eq!(n("192.0.2.7"), n("192.0.2.250"));
        assert_ne!(n("192.0.2.7"), n("192.0.3.7"));
        assert_eq!(n("2001:db8:1:2:aaaa::1"), n("2001:db8:1:2:ffff::9"));
        assert_ne!(n("2001:db8:1:2::1"), n("2001:db8:1:3::1"));
        assert_eq!(n("::ffff:192.0.2.7"), n("192.0.2.9"));
        for (ip, net) in [
            ("192.0.2.7", "192.0.2.0/24"),
            ("10.0.100.255", "10.0.100.0/24"),
            ("0.9.99.1", "0.9.99.0/24"),
            ("255.250.205.1", "255.250.205.0/24"),
        ] {
            assert_eq!(n(ip), net);
        }
    }
}
