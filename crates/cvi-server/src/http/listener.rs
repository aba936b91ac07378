//! Accepting connections: the limits a server facing the Internet needs, which
//! `axum::serve` does not set.
//!
//! - A connection must send its first bytes within [`HEADER_READ_TIMEOUT`] (hyper's own
//!   header timeout starts only once it knows the protocol), and HTTP/1 request headers
//!   within it too (slowloris), also between requests on keep-alive.
//! - An HTTP/2 connection from which nothing arrives for [`IDLE_TIMEOUT`] is closed
//!   (HTTP/2 has no header timeout between streams; every request is over within the
//!   30 s request timeout, so an idle one waits for nothing).
//! - At most [`MAX_CONNECTIONS`] are served at once, and [`MAX_PER_SOURCE`] from one source
//!   (an IPv4 address, an IPv6 /64), so one host cannot shut out every tenant; the rest
//!   are closed at once, before they can exhaust descriptors.
//! - A shutdown waits for open requests at most its deadline.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use crate::rate_limit::PerSource;
use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
};

/// Time a client has to send its first bytes, and a request's headers (also between
/// requests on keep-alive).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 8_192;
/// Connections served at once from one source. A company's egress NAT carries many
/// organizers; browsers hold a few connections each and close idle ones.
pub const MAX_PER_SOURCE: usize = 256;
/// An HTTP/2 connection that sends nothing this long is closed (by default).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A stream that notes when it last read anything.
struct Watched {
    inner: TcpStream,
    last_read: Arc<AtomicU64>,
    epoch: Instant,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let ms = self.epoch.elapsed().as_millis() as u64;
            self.last_read.store(ms, Ordering::Relaxed);
        }
        res
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Resolves once nothing has been read for `idle`.
async fn idle_for(last_read: Arc<AtomicU64>, epoch: Instant, idle: Duration) {
    loop {
        let last = Duration::from_millis(last_read.load(Ordering::Relaxed));
        let quiet = epoch.elapsed().saturating_sub(last);
        if quiet >= idle {
            return;
        }
        tokio::time::sleep(idle - quiet).await;
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish
/// for at most `deadline`. `idle`: how long an HTTP/2 connection may send nothing.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
    deadline: Duration,
    idle: Duration,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let per_source = Arc::new(PerSource::new(MAX_PER_SOURCE));
    tokio::pin!(shutdown);
    loop {
        let (stream, source) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors, say: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!("connection limit reached: closing a new connection");
            continue;
        };
        let Some(own) = per_source.enter(source.ip()) else {
            tracing::debug!(%source, "connection limit per source reached: closing");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (builder, app) = (builder.clone(), app.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _held = (slot, own);
            // Nothing sent at all: hyper would wait for the protocol's first bytes for ever.
            let mut first = [0u8; 1];
            match tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let epoch = Instant::now();
            let last_read = Arc::new(AtomicU64::new(0));
            let io = Watched {
                inner: stream,
                last_read: last_read.clone(),
                epoch,
            };
            let service = TowerToHyperService::new(app);
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(io), service)
                .into_owned();
            let conn = watcher.watch(conn);
            tokio::select! {
                _ = conn => {}
                () = idle_for(last_read, epoch, idle) => {
                    tracing::debug!(%source, "closing a connection idle for {idle:?}");
                }
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining open requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(deadline) => {
            tracing::warn!(?deadline, "shutdown deadline reached with connections still open");
        }
    }
}
