//! SIPp, the SIP load generator, driving the INVITE → 302 + ACK scenario: shared by the
//! bench's SIP rows and the Kamailio comparison.

use std::{fs, path::Path, process::Command};

use crate::run::{root, Result};

/// Runs SIPp's INVITE → 302 + ACK scenario from `work` (where `targets.csv` lists the
/// dialled users) against `sip`: `calls` calls, a new one every 1/`rate` s or 64 in flight.
/// Answers SIPp's output, its per-call trace (`-trace_rtt`: a header, then one line per
/// call that got its 302) and the wall time.
pub fn run(
    work: &Path,
    sip: &str,
    calls: u32,
    rate: Option<u32>,
) -> Result<(std::process::Output, String, f64)> {
    for e in fs::read_dir(work).map_err(|e| e.to_string())?.flatten() {
        if e.file_name().to_string_lossy().ends_with("_rtt.csv") {
            let _ = fs::remove_file(e.path());
        }
    }
    let scenario = root().join("crates/cvi-server/tests/sip/invite_302.xml");
    let load: Vec<String> = match rate {
        // SIPp's rate mode: a new call every 1/r s, however many are in flight (up to a
        // limit far above what a healthy server keeps open).
        Some(r) => ["-r", &r.to_string(), "-rp", "1000", "-l", "10000"]
            .map(String::from)
            .into(),
        // 64 calls in flight, the next one started as one ends. Not `-l 64 -r N`: at the
        // limit SIPp's rate mode counts the calls it could not open as opened and wakes its
        // call generator only on its timer (call_generation_task.cpp), which capped it at
        // ~15,700 calls/s here against a server that answers 115,000 OPTIONS/s.
        None => ["-users", "64"].map(String::from).into(),
    };
    let started = std::time::Instant::now();
    let out = Command::new("sipp")
        .current_dir(work)
        .arg("-sf")
        .arg(&scenario)
        .args(["-inf", "targets.csv", "-m", &calls.to_string()])
        .args(&load)
        .args([
            "-t",
            "u1",
            // SIPp's socket buffers are 64 KB by default: at 20,000 calls/s answers were
            // dropped there and each came back 500 ms later as a retransmission (SIP's T1).
            "-buff_size",
            "4194304",
            "-nostdin",
            "-trace_rtt",
            "-rtt_freq",
            "1",
            "-i",
            "127.0.0.1",
            sip,
        ])
        .output()
        .map_err(|e| format!("cannot run sipp: {e}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    let rtt = fs::read_dir(work)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("_rtt.csv"))
        .and_then(|p| fs::read_to_string(p).ok())
        .unwrap_or_default();
    Ok((out, rtt, elapsed))
}
