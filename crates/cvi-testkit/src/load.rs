//! Open-loop HTTP load at a fixed rate, for "p99 at N requests/s" (what wrk2 measures;
//! wrk2 is not in Debian, and wrk only measures at saturation, where the tail is mostly
//! the queue its 64 connections build).
//!
//! Each of `conns` keep-alive connections sends its share of the rate on a fixed schedule.
//! A request's latency counts from its scheduled time when the connection was still
//! waiting for the previous answer then (the server's delay, queue included, so no
//! coordinated omission), else from the moment it was written (a late timer of ours is not
//! the server's time; the generator runs on one thread, so when that thread itself falls
//! behind, the delay still counts as the server's). The first second is not counted:
//! connections open, caches warm. Latencies are of 2xx/3xx answers only; anything else,
//! and any request that got no answer, is a failure.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::Result;

/// Sent at the rate, not counted.
const WARM_UP: Duration = Duration::from_secs(1);

/// What one fixed-rate run measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// Offered requests per second (as scheduled).
    pub offered: f64,
    /// Answered requests per second (counted ones, until the last answer came).
    pub achieved: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Counted requests that got no 2xx/3xx answer.
    pub failed: u64,
}

/// Sends `rate` requests/s for `secs` seconds (after [`WARM_UP`]) over `conns` connections
/// to `addr`; request `n` is `make(n)` (a whole HTTP/1.1 request, keep-alive). Build it in
/// release (`cvi-load`): a debug build spends ~27 µs per request of the cores it measures.
pub fn fixed_rate(
    addr: SocketAddr,
    rate: u32,
    secs: u32,
    conns: usize,
    make: impl Fn(u64) -> Vec<u8> + Send + Sync + 'static,
) -> Result<Measured> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let make = Arc::new(make);
    let interval = Duration::from_secs_f64(conns as f64 / f64::from(rate));
    let total = u64::from(rate) * u64::from(secs);
    let per_conn =
        (f64::from(rate) * (WARM_UP.as_secs_f64() + f64::from(secs))) as u64 / conns as u64;
    runtime.block_on(async move {
        let start = Instant::now() + Duration::from_millis(50);
        let counted_from = start + WARM_UP;
        let tasks: Vec<_> = (0..conns)
            .map(|c| {
                let make = make.clone();
                // Connections start spread over one interval, not all at once.
                let first = start + interval.mul_f64(c as f64 / conns as f64);
                let share = Share {
                    first,
                    interval,
                    count: per_conn,
                    counted_from,
                    index: c,
                    conns,
                };
                tokio::spawn(connection(addr, share, make))
            })
            .collect();
        let mut times = Vec::with_capacity(total as usize);
        let (mut counted, mut last) = (0, counted_from);
        for t in tasks {
            let c = t.await.map_err(|e| e.to_string())?;
            times.extend(c.times);
            counted += c.counted;
            last = last.max(c.last_done);
        }
        times.sort_by(f64::total_cmp);
        let elapsed = last.duration_since(counted_from).as_secs_f64();
        Ok(Measured {
            offered: (per_conn * conns as u64) as f64 / (WARM_UP.as_secs_f64() + f64::from(secs)),
            achieved: if elapsed > 0.0 {
                times.len() as f64 / elapsed
            } else {
                0.0
            },
            p50_ms: nearest_rank(&times, 0.50),
            p99_ms: nearest_rank(&times, 0.99),
            p999_ms: nearest_rank(&times, 0.999),
            failed: counted.saturating_sub(times.len() as u64),
        })
    })
}

/// The `p` quantile of sorted `times` by nearest rank (`ceil(n·p)`-th smallest); NaN for
/// none.
pub fn nearest_rank(times: &[f64], p: f64) -> f64 {
    let rank = (times.len() as f64 * p).ceil() as usize;
    times
        .get(rank.saturating_sub(1).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// One connection's schedule.
struct Share {
    first: Instant,
    interval: Duration,
    count: u64,
    counted_from: Instant,
    index: usize,
    conns: usize,
}

/// What one connection measured (requests scheduled from `counted_from` on).
struct Counted {
    /// Latencies (ms) of the 2xx/3xx answers.
    times: Vec<f64>,
    /// Requests counted (answered or not).
    counted: u64,
    last_done: Instant,
}

/// Runs one connection's share; a connection that cannot be opened or breaks leaves the
/// rest of its share unanswered (counted as failed), never the whole run.
async fn connection(
    addr: SocketAddr,
    share: Share,
    make: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
) -> Counted {
    let Share {
        first,
        interval,
        count,
        counted_from,
        index,
        conns,
    } = share;
    let mut c = Counted {
        times: Vec::with_capacity(count as usize),
        counted: 0,
        last_done: first,
    };
    let scheduled_counted = (0..count)
        .filter(|i| first + interval.mul_f64(*i as f64) >= counted_from)
        .count() as u64;
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        c.counted = scheduled_counted;
        return c;
    };
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(4096);
    for i in 0..count {
        let scheduled = first + interval.mul_f64(i as f64);
        let counts = scheduled >= counted_from;
        c.counted += u64::from(counts);
        let request = make(i * conns as u64 + index as u64);
        let busy = c.last_done > scheduled;
        if !busy {
            tokio::time::sleep_until(scheduled.into()).await;
        }
        let written = Instant::now();
        let from = if busy { scheduled } else { written };
        // A broken connection ends this share: what it did not answer counts as failed.
        if stream.write_all(&request).await.is_err() {
            break;
        }
        let Some(status) = read_response(&mut stream, &mut buf).await else {
            break;
        };
        c.last_done = Instant::now();
        if counts && (200..400).contains(&status) {
            c.times
                .push(c.last_done.duration_since(from).as_secs_f64() * 1000.0);
        }
    }
    // Counted requests never sent are failures too.
    c.counted = c.counted.max(scheduled_counted);
    c
}

/// Reads one response (headers and a `Content-Length` body) and returns its status; `None`
/// when the connection broke or the answer is not HTTP/1.1 we can frame.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(buf).ok()? {
            let status = response.code?;
            let length: usize = match response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            {
                Some(h) => std::str::from_utf8(h.value).ok()?.trim().parse().ok()?,
                // No body by definition (RFC 9110 §6.4.1); anything else unframed ends it.
                None if status < 200 || status == 204 || status == 304 => 0,
                None => return None,
            };
            while buf.len() < head + length {
                read_more(stream, buf).await?;
            }
            buf.drain(..head + length);
            return Some(status);
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.ok()?;
    if n == 0 {
        return None;
    }
    buf.extend_from_slice(&chunk[..n]);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn quantiles_by_nearest_rank() {
        let t: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(nearest_rank(&t, 0.50), 500.0);
        assert_eq!(nearest_rank(&t, 0.99), 990.0);
        assert_eq!(nearest_rank(&t, 0.999), 999.0, "not the maximum");
        assert_eq!(nearest_rank(&t[..1], 0.99), 1.0);
        assert!(nearest_rank(&[], 0.5).is_nan());
    }
}
