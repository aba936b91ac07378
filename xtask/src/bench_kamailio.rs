//! The SIP door beside Kamailio, the reference SIP server, doing the same job: a stateless
//! redirect server (Debian's Kamailio, `-x tlsf`; an `htable` of the live dial strings SIPp
//! dials, loaded from db_text; `sl_send_reply` 302 with the Contact, 404 otherwise). The same SIPp
//! scenario drives both, rounds alternating, and each server's CPU time (user + system, all
//! its threads or processes, from /proc) is divided by the calls it answered: CPU per call,
//! the figure a machine's capacity follows (both saturate SIPp before themselves here).

use std::{
    fmt::Write as _,
    fs,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::run::Result;

/// Calls per round at saturation (64 in flight), and the fixed rate's.
const ROUND_CALLS: u32 = 100_000;
const FIXED_RATE: u32 = 20_000;
const FIXED_SECS: u32 = 5;
const ROUNDS: usize = 2;

/// One server's figures over its rounds.
#[derive(Default, Clone)]
pub struct Side {
    pub calls: u64,
    pub seconds: f64,
    pub cpu_seconds: f64,
}

impl Side {
    fn calls_per_s(&self) -> f64 {
        self.calls as f64 / self.seconds.max(1e-9)
    }
    fn cpu_us_per_call(&self) -> f64 {
        self.cpu_seconds * 1e6 / (self.calls.max(1) as f64)
    }
}

/// Ours and Kamailio's, at saturation and at the fixed rate.
pub struct Comparison {
    pub ours: [Side; 2],
    pub kamailio: [Side; 2],
}

/// Clock ticks of user + system time of `pid` and its child processes (Kamailio forks its
/// workers; the cvi server is one process of threads).
fn cpu_seconds(pid: u32) -> f64 {
    let ticks = |p: &str| -> u64 {
        let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) else {
            return 0;
        };
        // Fields after the command's closing parenthesis: utime is the 14th field overall.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    };
    let mut total = ticks(&pid.to_string());
    let children =
        fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for c in children.split_whitespace() {
        total += ticks(c);
    }
    // USER_HZ is 100 on Linux.
    total as f64 / 100.0
}

/// Runs SIPp's INVITE → 302 → ACK against `sip` and returns (calls answered, seconds).
fn sipp_round(work: &Path, sip: &str, rate: Option<u32>) -> Result<(u64, f64)> {
    let calls = rate.map_or(ROUND_CALLS, |r| r * FIXED_SECS);
    let (out, rtt, seconds) = crate::sipp::run(work, sip, calls, rate)?;
    let answered = rtt.lines().skip(1).filter(|l| !l.trim().is_empty()).count() as u64;
    if answered == 0 {
        return Err(format!(
            "sipp against {sip}: no call answered: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((answered, seconds))
}

/// Kamailio as a stateless redirect server on `port` with `entries` (user part → Contact).
fn start_kamailio(work: &Path, port: u16, entries: &[(String, String)]) -> Result<Child> {
    let db = work.join("kamailio-db");
    fs::create_dir_all(&db).map_err(|e| e.to_string())?;
    // db_text tables: the schema line, then rows; ':' separates columns (escaped in values).
    fs::write(
        db.join("version"),
        "table_name(str) table_version(int)\nhtable:2\n",
    )
    .map_err(|e| e.to_string())?;
    let mut table = String::from(
        "id(int,auto) key_name(str) key_type(int) value_type(int) key_value(str) expires(int)\n",
    );
    for (i, (key, contact)) in entries.iter().enumerate() {
        let _ = writeln!(
            table,
            "{}:{}:0:0:{}:0",
            i + 1,
            key.replace(':', "\\:"),
            contact.replace(':', "\\:")
        );
    }
    fs::write(db.join("htable"), table).map_err(|e| e.to_string())?;
    let cfg = work.join("kamailio.cfg");
    fs::write(
        &cfg,
        format!(
            r#"#!KAMAILIO
debug=1
log_stderror=yes
children=2
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "db_text.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "htable.so"
modparam("db_text", "max_result_rows", 2000000)
modparam("htable", "db_url", "text://{db}")
modparam("htable", "htable", "calls=>size=20;dbtable=htable;")
request_route {{
    if (is_method("ACK")) {{ exit; }}
    if (is_method("INVITE")) {{
        if ($sht(calls=>$rU) != $null) {{
            append_to_reply("Contact: <$sht(calls=>$rU)>\r\n");
            sl_send_reply("302", "Moved Temporarily");
        }} else {{
            sl_send_reply("404", "Not Found");
        }}
        exit;
    }}
    sl_send_reply("405", "Method Not Allowed");
}}
"#,
            db = db.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let child = Command::new("/usr/sbin/kamailio")
        .args(["-f"])
        .arg(&cfg)
        // Memory for the table: shared (the hash table) and the loading process's own
        // (db_text reads the whole file).
        .args(["-DD", "-E", "-x", "tlsf", "-m", "1024", "-M", "512"])
        .stdout(Stdio::null())
        .stderr(fs::File::create(work.join("kamailio.log")).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot start kamailio (run `cargo xtask setup`): {e}"))?;
    Ok(child)
}

/// Waits until `sip` answers an OPTIONS (Kamailio loads its table first: ~30 s for 1M).
fn wait_answering(sip: &str) -> Result<()> {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| e.to_string())?;
    let msg = "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-k\r\n\
               From: <sip:a@b.invalid>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: k\r\nCSeq: 1 OPTIONS\r\n\
               Content-Length: 0\r\n\r\n";
    // rport: Kamailio answers where the request came from only when asked (RFC 3581).
    for _ in 0..900 {
        let _ = s.send_to(msg.as_bytes(), sip);
        let mut buf = [0u8; 2048];
        if s.recv(&mut buf).is_ok() {
            return Ok(());
        }
    }
    Err(format!(
        "kamailio did not answer on {sip} within three minutes"
    ))
}

/// Both servers, `ROUNDS` alternating rounds at saturation and at [`FIXED_RATE`].
/// `entries`: every live dial string's user part and the Contact ours answers with.
pub fn compare(
    work: &Path,
    ours_pid: u32,
    ours_sip: &str,
    entries: &[(String, String)],
    targets: &[String],
) -> Result<Comparison> {
    let _ = fs::remove_dir_all(work);
    fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let mut csv = String::from("SEQUENTIAL\n");
    for t in targets {
        let _ = writeln!(csv, "{t};");
    }
    fs::write(work.join("targets.csv"), csv).map_err(|e| e.to_string())?;
    let port = cvi_testkit::free_port()?;
    let mut kamailio = start_kamailio(work, port, entries)?;
    let kam_sip = format!("127.0.0.1:{port}");
    let result = (|| {
        wait_answering(&kam_sip)?;
        let mut ours = [Side::default(), Side::default()];
        let mut kam = [Side::default(), Side::default()];
        for _ in 0..ROUNDS {
            for (i, rate) in [None, Some(FIXED_RATE)].into_iter().enumerate() {
                for (side, pid, sip) in [
                    (&mut ours[i], ours_pid, ours_sip),
                    (&mut kam[i], kamailio.id(), kam_sip.as_str()),
                ] {
                    let before = cpu_seconds(pid);
                    let (calls, seconds) = sipp_round(work, sip, rate)?;
                    side.cpu_seconds += cpu_seconds(pid) - before;
                    side.calls += calls;
                    side.seconds += seconds;
                }
            }
        }
        Ok(Comparison {
            ours,
            kamailio: kam,
        })
    })();
    // SIGTERM, not SIGKILL: Kamailio's main process stops its forked workers on TERM only.
    let _ = Command::new("kill")
        .args(["-TERM", &kamailio.id().to_string()])
        .status();
    let _ = kamailio.wait();
    result
}

/// The comparison as a Markdown table.
pub fn table(c: &Comparison) -> String {
    let mut out = String::from(
        "| SIP INVITE → 302 + ACK, SIPp UDP (ours: 1M live meetings; Kamailio: the ~95k dialled, in an htable) | ours calls/s | ours CPU µs/call | Kamailio calls/s | Kamailio CPU µs/call | CPU ratio ours/Kamailio |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (i, label) in ["64 calls in flight (saturation)", "20,000 calls/s offered"]
        .iter()
        .enumerate()
    {
        let (o, k) = (&c.ours[i], &c.kamailio[i]);
        let _ = writeln!(
            out,
            "| {label} | {:.0} | {:.1} | {:.0} | {:.1} | {:.2} |",
            o.calls_per_s(),
            o.cpu_us_per_call(),
            k.calls_per_s(),
            k.cpu_us_per_call(),
            o.cpu_us_per_call() / k.cpu_us_per_call().max(1e-9)
        );
    }
    out
}
