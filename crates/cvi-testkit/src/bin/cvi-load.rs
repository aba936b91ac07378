//! `cvi-load ADDR RATE SECS REQUESTS.json`: fixed-rate HTTP load ([`cvi_testkit::load`]).
//! REQUESTS.json is a JSON array of whole HTTP/1.1 requests, sent in turn (wrapping
//! around); prints what it measured as one JSON object. `cargo xtask bench` builds it in
//! release and runs it as it runs wrk.

use std::process::ExitCode;

const USAGE: &str = "usage: cvi-load ADDR RATE SECS REQUESTS.json  (ADDR: 127.0.0.1:PORT; RATE: requests/s; SECS: seconds measured after a 1 s warm-up)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cvi-load: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let [addr, rate, secs, file] = args.as_slice() else {
        return Err(format!("expected 4 arguments, got {}", args.len()));
    };
    let addr = addr
        .parse()
        .map_err(|e| format!("ADDR {addr:?}: {e}; give IP:PORT"))?;
    let rate: u32 = rate.parse().ok().filter(|r| *r > 0).ok_or_else(|| {
        format!("RATE {rate:?}: give a whole number of requests per second above 0")
    })?;
    let secs: u32 = secs
        .parse()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("SECS {secs:?}: give a whole number of seconds above 0"))?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let requests: Vec<String> = serde_json::from_str(&text)
        .map_err(|e| format!("{file}: not a JSON array of strings: {e}"))?;
    if requests.is_empty() {
        return Err(format!("{file}: no requests"));
    }
    let requests: Vec<Vec<u8>> = requests.into_iter().map(String::into_bytes).collect();
    let n = requests.len() as u64;
    let m = cvi_testkit::load::fixed_rate(addr, rate, secs, 64, move |i| {
        requests[(i % n) as usize].clone()
    })?;
    println!(
        "{}",
        serde_json::json!({
            "offered": m.offered, "answered_per_s": m.achieved, "p50_ms": m.p50_ms,
            "p99_ms": m.p99_ms, "p999_ms": m.p999_ms, "failed": m.failed,
        })
    );
    Ok(())
}
