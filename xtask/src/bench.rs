//! `cargo xtask bench`: load benchmarks of a release `cvi serve` with wrk, and cvi-core's
//! upsert with criterion, in one markdown table (also target/bench/report.json).
//!
//! The machine is noisy, so every throughput is also given as a ratio to a baseline measured
//! in the same run: the server's own hello-world endpoint (`GET /healthz`), served the same
//! way (same binary, same middleware). Benchmarks, never tests: nothing here fails on a number.

use std::{
    fmt::Write as _,
    fs,
    path::Path,
    process::{Command, Stdio},
};

use crate::{
    host::Sample,
    run::{read, root, run, step, Result},
    tools::{self, Toolbox},
};

/// wrk settings: 2 threads (2 cores), 64 connections, a fixed duration.
const WRK: [&str; 6] = ["-t2", "-c64", "-d10s", "--latency", "--timeout", "5s"];
/// Must match crates/cvi-server/src/cli/bench_seed.rs.
const BENCH_APP_ID: &str = "bbbbbbbb-0000-4000-8000-000000000001";

struct Row {
    name: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
    /// The same requests offered at [`FIXED_RATE`] (open loop), when measured.
    at_rate: Option<AtRate>,
}

/// The rate the join side's rows are also measured at: the goal is this many per second
/// with p99 ≤ 5 ms, which saturation (wrk, SIPp `-users`) cannot show — there the tail is
/// the queue the load generator itself keeps full.
const FIXED_RATE: u32 = 20_000;
/// Seconds each fixed-rate run lasts.
const FIXED_SECS: u32 = 10;

/// What a fixed-rate run measured (`cvi-load`'s report).
struct AtRate {
    offered: f64,
    achieved: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    failed: u64,
    /// The machine (and PostgreSQL) meanwhile.
    during: Option<crate::host::During>,
}

/// Runs a fixed-rate measurement and records (and prints) what the machine and the
/// database at `database` did meanwhile.
fn meanwhile(
    database: &str,
    run: impl FnOnce() -> Result<Option<AtRate>>,
) -> Result<Option<AtRate>> {
    let before = Sample::take(database);
    let mut measured = run()?;
    if let Some(m) = measured.as_mut() {
        m.during = Sample::take(database).since(&before);
        if let Some(d) = &m.during {
            println!("    meanwhile: {d}");
        }
    }
    Ok(measured)
}

/// Requests per fixed-rate run, sent in turn (each picks its meeting at random).
const FIXED_REQUESTS: u64 = 50_000;

/// A request of the fixed-rate runs, by its number.
type Maker = Box<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

/// An HTTP/1.1 keep-alive request to the bench server.
fn http(method: &str, target: &str, auth: &str, body: Option<&str>) -> Vec<u8> {
    let mut r =
        format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n");
    if let Some(b) = body {
        let _ = write!(
            r,
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        );
    } else {
        r.push_str("\r\n");
    }
    r.into_bytes()
}

/// A well-mixed number from `n` (splitmix64), so request `n` picks its meeting at random.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The fixed-rate run of `make`'s requests against `url` (release `cvi-load`), printed.
fn at_rate(name: &str, url: &str, dir: &Path, make: Maker) -> Result<AtRate> {
    let requests: Vec<String> = (0..FIXED_REQUESTS)
        .map(|n| String::from_utf8_lossy(&make(n)).into_owned())
        .collect();
    let file = dir.join("fixed-rate-requests.json");
    fs::write(
        &file,
        serde_json::to_string(&requests).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new(root().join("target/release/cvi-load"))
        .arg(url.trim_start_matches("http://"))
        .arg(FIXED_RATE.to_string())
        .arg(FIXED_SECS.to_string())
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run cvi-load: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cvi-load failed for {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cvi-load's report: {e}"))?;
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let m = AtRate {
        offered: f("offered"),
        achieved: f("answered_per_s"),
        p50_ms: f("p50_ms"),
        p99_ms: f("p99_ms"),
        p999_ms: f("p999_ms"),
        failed: v["failed"].as_u64().unwrap_or(0),
        during: None,
    };
    println!(
        "    {name} at {:.0}/s offered: {:.0}/s answered, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, {} failed",
        m.offered, m.achieved, m.p50_ms, m.p99_ms, m.p999_ms, m.failed
    );
    Ok(m)
}

fn ms(s: &str) -> f64 {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => f64::NAN,
    }
}

fn parse_wrk(name: String, out: &str) -> Row {
    let field = |prefix: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
    };
    Row {
        name,
        rps: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        p50_ms: field("50%").map(|v| ms(&v)).unwrap_or(f64::NAN),
        p99_ms: field("99%").map(|v| ms(&v)).unwrap_or(f64::NAN),
        non_2xx: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        at_rate: None,
    }
}

fn lua(dir: &Path, name: &str, body: &str) -> Result<String> {
    let path = dir.join(name);
    fs::write(&path, body).map_err(|e| e.to_string())?;
    Ok(path.display().to_string())
}

fn wrk(name: String, url: &str, script: Option<&str>) -> Result<Row> {
    let mut c = Command::new("wrk");
    c.args(WRK);
    if let Some(s) = script {
        c.args(["-s", s]);
    }
    let out = c
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "wrk failed for {name}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let row = parse_wrk(name, &text);
    println!(
        "    {}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
        row.name, row.rps, row.p50_ms, row.p99_ms
    );
    Ok(row)
}

/// Criterion's middle estimate for `upsert/<kind>/1MB`, in ms.
fn criterion_1mb(tools: &Toolbox) -> Result<(f64, f64)> {
    let out = tools
        .command("cargo")
        .args([
            "bench",
            "-p",
            "cvi-core",
            "--bench",
            "upsert",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
            "1MB",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err("cargo bench -p cvi-core --bench upsert failed".into());
    }
    // What criterion wrote, not what it printed: its estimates.json per benchmark (the
    // slope when it sampled linearly, else the mean), in nanoseconds.
    let mid = |kind: &str| -> Option<f64> {
        let path = root().join(format!(
            "target/criterion/upsert/{kind}/1MB/new/estimates.json"
        ));
        let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).ok()?).ok()?;
        let ns = v["slope"]["point_estimate"]
            .as_f64()
            .or_else(|| v["mean"]["point_estimate"].as_f64())?;
        Some(ns / 1e6)
    };
    Ok((
        mid("insert").unwrap_or(f64::NAN),
        mid("replace").unwrap_or(f64::NAN),
    ))
}

/// One database size and backend to measure.
struct Scenario {
    label: &'static str,
    database: String,
    users: u32,
    groups: u32,
    meetings: u32,
    /// Meetings imported from another system (9-digit IDs, no check digit).
    imported: u32,
}

/// SIPp settings for the SIP rows: 64 calls in flight, as many as it can start.
const SIPP_CALLS: u32 = 100_000;

/// SIPp drives `invite_302.xml` (INVITE → 302 → ACK) through `targets` with 64 calls in
/// flight, or at `rate` calls/s when given; throughput from the wall clock, latency from
/// SIPp's per-call response times.
fn sipp(name: String, dir: &Path, sip: &str, targets: &[String], rate: Option<u32>) -> Result<Row> {
    let work = dir.join("sipp");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let mut csv = String::from("SEQUENTIAL\n");
    for t in targets {
        let _ = writeln!(csv, "{t};");
    }
    fs::write(work.join("targets.csv"), csv).map_err(|e| e.to_string())?;
    let calls = match rate {
        Some(r) => r * FIXED_SECS,
        None => SIPP_CALLS,
    };
    let (out, rtt, elapsed) = crate::sipp::run(&work, sip, calls, rate)?;
    // Each line: when the call ended (ms since SIPp started) and its response time (ms).
    let ended: Vec<(f64, f64)> = rtt
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split(';').map(|v| v.trim().parse::<f64>().ok());
            Some((f.next()??, f.next()??))
        })
        .collect();
    let mut times: Vec<f64> = ended.iter().map(|c| c.1).collect();
    times.sort_by(f64::total_cmp);
    // Throughput over the calls' own span, not SIPp's start-up and wind-down.
    let span = ended.iter().map(|c| c.0).fold(f64::NAN, f64::max)
        - ended.iter().map(|c| c.0).fold(f64::NAN, f64::min);
    let elapsed = if span > 0.0 { span / 1000.0 } else { elapsed };
    let pct = |p: f64| cvi_testkit::load::nearest_rank(&times, p);
    let row = Row {
        name,
        rps: times.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        non_2xx: u64::from(calls).saturating_sub(times.len() as u64),
        at_rate: rate.map(|r| AtRate {
            offered: f64::from(r),
            achieved: times.len() as f64 / elapsed,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            p999_ms: pct(0.999),
            failed: u64::from(calls).saturating_sub(times.len() as u64),
            during: None,
        }),
    };
    if !out.status.success() && times.is_empty() {
        return Err(format!(
            "sipp failed for {}: {}",
            row.name,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    println!(
        "    {}: {:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms, {} failed",
        row.name, row.rps, row.p50_ms, row.p99_ms, row.non_2xx
    );
    Ok(row)
}

/// The Damm check digit in Lua, for scripts that dial IDs we issued.
const LUA_DAMM: &str = r#"
local T = {{0,3,1,7,5,9,8,6,4,2},{7,0,9,2,1,5,4,8,6,3},{4,2,0,6,8,7,1,3,5,9},{1,7,5,0,9,8,3,4,2,6},{6,1,2,3,0,4,5,9,7,8},
           {3,6,7,4,2,0,9,5,8,1},{5,8,6,9,7,2,0,1,3,4},{8,9,4,5,3,6,2,0,1,7},{9,4,3,8,6,1,7,2,0,5},{2,5,8,1,4,3,6,7,9,0}}
local function damm(s) local i = 0; for c in s:gmatch("%d") do i = T[i + 1][tonumber(c) + 1] end; return i end
"#;

/// Seeds `sc`, starts a release `cvi serve` on it and runs wrk against effective policy,
/// issuance and resolution (plus the hello-world baseline when asked).
fn run_scenario(cvi: &Path, dir: &Path, sc: &Scenario, baseline: bool) -> Result<Vec<Row>> {
    step(&format!("seed {}", sc.label), || {
        run(Command::new(cvi).args([
            "bench-seed",
            "--database",
            &sc.database,
            "--users",
            &sc.users.to_string(),
            "--groups",
            &sc.groups.to_string(),
            "--meetings",
            &sc.meetings.to_string(),
            "--imported",
            &sc.imported.to_string(),
        ]))
    })?;
    let server = cvi_testkit::CviServe::start_with(
        Command::new(cvi)
            .args([
                "serve",
                "--dev-issuer",
                "--listen",
                "127.0.0.1:0",
                "--resolve-rate",
                "1000000000",
                "--sip",
                "127.0.0.1:0",
                "--sip-rate",
                "1000000000",
                // The issuance row mints thousands per second as one organizer.
                "--issue-quota",
                "0",
                "--database",
                &sc.database,
            ])
            .env("RUST_LOG", "warn"),
    )?;
    let url = server.base.clone();
    let result = (|| -> Result<Vec<Row>> {
        let token = |user: &str, role: &str| {
            read(Command::new(cvi).args([
                "--server",
                &url,
                "token",
                "--tenant",
                "bench",
                "--user",
                user,
                "--role",
                role,
                "--app-id",
                BENCH_APP_ID,
            ]))
            .ok_or_else(|| format!("cvi token --role {role} failed"))
        };
        let (admin, org, partner) = (
            token("admin@bench.example", "admin")?,
            token("u0@bench.example", "organizer")?,
            token("ivr", "partner")?,
        );
        let (users, groups) = (sc.users.max(1), sc.groups.max(1));
        let effective = lua(
            dir,
            "effective.lua",
            &format!(
                r#"
request = function()
  local u = math.random(0, {users} - 1)
  local path = "/api/v1/users/u" .. u .. "@bench.example/effective-policy?groups=g" .. math.random(0, {groups} - 1) .. ",g" .. math.random(0, {groups} - 1)
  return wrk.format("GET", path, {{["Authorization"] = "Bearer {admin}"}})
end
"#
            ),
        )?;
        let issue = lua(
            dir,
            "issue.lua",
            &format!(
                r#"
local next_id = 1
function setup(thread) thread:set("id", next_id); next_id = next_id + 1 end
function init(args) n = 0; prefix = "k" .. id .. "-" .. os.time() end
request = function()
  n = n + 1
  local body = '{{"meeting_key":"' .. prefix .. '-' .. n .. '","start":"2027-01-23T09:00:00Z","end":"2027-01-23T10:00:00Z"}}'
  return wrk.format("POST", "/api/v1/meetings", {{["Authorization"] = "Bearer {org}", ["Content-Type"] = "application/json"}}, body)
end
"#
            ),
        )?;
        // Seeded meeting N has Video ID body (7919 N + 12345) mod 10^9 (bench_seed.rs);
        // without meetings, random valid IDs (which are unknown: 404s).
        let pick = if sc.meetings > 0 {
            format!(
                "local b = string.format(\"%09d\", (7919 * math.random(0, {} - 1) + 12345) % 1000000000)",
                sc.meetings
            )
        } else {
            "local b = string.format(\"%09d\", math.random(0, 999999999))".to_string()
        };
        let resolve = lua(
            dir,
            "resolve.lua",
            &format!(
                r#"{LUA_DAMM}
request = function()
  {pick}
  local body = '{{"dial_string":"1.' .. b .. damm(b) .. '@t.plcm.vc"}}'
  return wrk.format("POST", "/api/v1/resolve", {{["Authorization"] = "Bearer {partner}", ["Content-Type"] = "application/json"}}, body)
end
"#
            ),
        )?;
        // The same IDs through Pexip's policy request, as a bridge with its credentials.
        let bridge: serde_json::Value = serde_json::from_str(
            &read(
                Command::new(cvi)
                    .args([
                        "--server",
                        &url,
                        "--json",
                        "bridge",
                        "new",
                        "--provider",
                        "Polycom",
                    ])
                    .env("CVI_TOKEN", &admin),
            )
            .ok_or("cvi bridge new failed")?,
        )
        .map_err(|e| e.to_string())?;
        let basic = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                bridge["username"].as_str().unwrap_or_default(),
                bridge["secret"].as_str().unwrap_or_default()
            ))
        };
        let pexip = lua(
            dir,
            "pexip.lua",
            &format!(
                r#"{LUA_DAMM}
request = function()
  {pick}
  local q = "call_direction=dial_in&protocol=sip&trigger=invite&remote_alias=sip%3Aroom%40example.invalid&local_alias=sip%3A1." .. b .. damm(b) .. "%40t.plcm.vc"
  return wrk.format("GET", "/policy/v1/service/configuration?" .. q, {{["Authorization"] = "Basic {basic}"}})
end
"#
            ),
        )?;
        let imported = lua(
            dir,
            "imported.lua",
            &format!(
                r#"
request = function()
  local b = string.format("%09d", (7919 * math.random(0, {} - 1) + 777) % 1000000000)
  local body = '{{"dial_string":"1.' .. b .. '@t.plcm.vc"}}'
  return wrk.format("POST", "/api/v1/resolve", {{["Authorization"] = "Bearer {partner}", ["Content-Type"] = "application/json"}}, body)
end
"#,
                sc.imported.max(1)
            ),
        )?;
        let mut rows = Vec::new();
        let label = sc.label;
        if baseline {
            step("wrk: hello-world baseline (GET /healthz)", || {
                rows.push(wrk(
                    "hello-world baseline: GET /healthz".into(),
                    &format!("{url}/healthz"),
                    None,
                )?);
                Ok(())
            })?;
        }
        let resolve_name = if sc.meetings > 0 {
            format!("resolve direct dial, live meetings' IDs — {label}")
        } else {
            format!("resolve direct dial, random valid IDs (unknown) — {label}")
        };
        let pexip_name = format!("Pexip policy request (HTTP Basic), direct dial — {label}");
        // The same IDs in Rust, for the fixed-rate runs and SIPp: request n picks its meeting
        // from n.
        let meetings = u64::from(sc.meetings);
        let live_id = move |n: u64| {
            let body = if meetings > 0 {
                (7919 * (mix(n) % meetings) + 12_345) % 1_000_000_000
            } else {
                mix(n) % 1_000_000_000
            };
            cvi_core::VideoId::from_body(u32::try_from(body).unwrap_or(0))
        };
        let bearer = format!("Bearer {partner}");
        let resolve_at: Maker = Box::new({
            let bearer = bearer.clone();
            move |n| {
                let body = format!(r#"{{"dial_string":"1.{}@t.plcm.vc"}}"#, live_id(n));
                http("POST", "/api/v1/resolve", &bearer, Some(&body))
            }
        });
        let pexip_at: Maker = Box::new({
            let auth = format!("Basic {basic}");
            move |n| {
                let target = format!(
                    "/policy/v1/service/configuration?call_direction=dial_in&protocol=sip&trigger=invite&remote_alias=sip%3Aroom%40example.invalid&local_alias=sip%3A1.{}%40t.plcm.vc",
                    live_id(n)
                );
                http("GET", &target, &auth, None)
            }
        });
        let imported_count = u64::from(sc.imported.max(1));
        let imported_at: Maker = Box::new(move |n| {
            let b = (7919 * (mix(n) % imported_count) + 777) % 1_000_000_000;
            let body = format!(r#"{{"dial_string":"1.{b:09}@t.plcm.vc"}}"#);
            http("POST", "/api/v1/resolve", &bearer, Some(&body))
        });
        // The join side first, on the settled database (bench-seed checkpoints it): right
        // after the issuance row's ~55,000 inserts in 10 s the databases catch up on them
        // (PostgreSQL's autovacuum and checkpoint, SQLite's WAL), and p99 at 20,000/s
        // offered rose to 14.7 ms for the next ~8 s on the quick rig (3.3 ms after).
        let mut runs: Vec<(String, &String, Option<Maker>)> = vec![
            (resolve_name, &resolve, Some(resolve_at)),
            (pexip_name, &pexip, Some(pexip_at)),
        ];
        let imported_name = format!(
            "resolve direct dial, imported meetings' IDs ({} imported) — {label}",
            sc.imported
        );
        if sc.imported > 0 {
            runs.push((imported_name, &imported, Some(imported_at)));
        }
        for (name, script, make) in runs {
            step(&format!("wrk: {name}"), || {
                let mut row = wrk(name.clone(), &url, Some(script))?;
                if let Some(make) = make {
                    row.at_rate =
                        meanwhile(&sc.database, || at_rate(&name, &url, dir, make).map(Some))?;
                }
                rows.push(row);
                Ok(())
            })?;
        }
        // Over SIP: live meetings' direct-dial URIs (random valid IDs when there are none).
        let sip = server
            .sip
            .clone()
            .ok_or("cvi serve did not start its SIP front door")?;
        let targets: Vec<String> = (0..u64::from(SIPP_CALLS))
            .map(|n| format!("1.{}@t.plcm.vc", live_id(n)))
            .collect();
        let sip_name = format!("SIP INVITE → 302 + ACK (SIPp, UDP, 64 calls in flight) — {label}");
        step(&format!("sipp: {sip_name}"), || {
            let mut row = sipp(sip_name.clone(), dir, &sip, &targets, None)?;
            row.at_rate = meanwhile(&sc.database, || {
                Ok(sipp(sip_name.clone(), dir, &sip, &targets, Some(FIXED_RATE))?.at_rate)
            })?;
            rows.push(row);
            Ok(())
        })?;
        for (name, script) in [
            (format!("effective policy — {label}"), &effective),
            (format!("issue coordinates, new keys — {label}"), &issue),
        ] {
            step(&format!("wrk: {name}"), || {
                rows.push(wrk(name.clone(), &url, Some(script))?);
                Ok(())
            })?;
        }
        Ok(rows)
    })();
    drop(server);
    result
}

/// The 1M live meetings of `bench-seed`'s SQLite database (seeded here unless `seeded`),
/// answered by our SIP door and by Kamailio side by side (`bench_kamailio`).
fn sip_vs_kamailio(cvi: &Path, dir: &Path, database: &str, seed: bool) -> Result<String> {
    const MEETINGS: u64 = 1_000_000;
    if seed {
        step("seed SQLite, 1M live meetings", || {
            run(Command::new(cvi).args([
                "bench-seed",
                "--database",
                database,
                "--users",
                "1000",
                "--groups",
                "10",
                "--meetings",
                &MEETINGS.to_string(),
                "--imported",
                "0",
            ]))
        })?;
    }
    let mut server = cvi_testkit::CviServe::start_with(
        Command::new(cvi)
            .args([
                "serve",
                "--dev-issuer",
                "--listen",
                "127.0.0.1:0",
                "--sip",
                "127.0.0.1:0",
                "--sip-rate",
                "1000000000",
                "--database",
                database,
            ])
            .env("RUST_LOG", "warn"),
    )?;
    let sip = server
        .sip
        .clone()
        .ok_or("cvi serve did not start its SIP front door")?;
    // bench-seed's live meetings: bodies 7919·k + 12,345 (mod 10^9), k < MEETINGS, under
    // the Polycom key 1@t.plcm.vc; our door answers each with the default gateway target.
    let id = |k: u64| cvi_core::VideoId::from_body(((7919 * k + 12_345) % 1_000_000_000) as u32);
    let dialled: Vec<u64> = (0..u64::from(SIPP_CALLS))
        .map(|n| mix(n) % MEETINGS)
        .collect();
    let targets: Vec<String> = dialled
        .iter()
        .map(|k| format!("1.{}@t.plcm.vc", id(*k)))
        .collect();
    // Kamailio's table holds the live dial strings SIPp dials (~95k distinct): db_text
    // loads 100k rows in ~3 s but 1M in more than 3 minutes. A hash lookup's cost hardly
    // depends on the table's size; our door reads its 1M-meeting database.
    let mut keys: Vec<u64> = dialled.clone();
    keys.sort_unstable();
    keys.dedup();
    let entries: Vec<(String, String)> = keys
        .iter()
        .map(|k| {
            let user = format!("1.{}", id(*k));
            let contact = format!("sip:{user}@t.plcm.vc");
            (user, contact)
        })
        .collect();
    let pid = server.process().id();
    let c = step(
        "SIP door vs Kamailio (stateless redirect), rounds alternating",
        || crate::bench_kamailio::compare(&dir.join("kamailio"), pid, &sip, &entries, &targets),
    )?;
    drop(server);
    Ok(crate::bench_kamailio::table(&c))
}

/// The load rows as a markdown table (throughput also as a share of the baseline, row 0).
fn rows_table(rows: &[Row]) -> String {
    let base = rows.first().map_or(f64::NAN, |r| r.rps);
    let mut table = format!(
        "| benchmark | req/s | vs hello-world | p50 ms | p99 ms | non-2xx | at {FIXED_RATE}/s offered: p50 / p99 / p99.9 ms |\n|---|---:|---:|---:|---:|---:|---:|\n"
    );
    for r in rows {
        let at = r.at_rate.as_ref().map_or_else(String::new, |m| {
            // Say so when the server did not keep up with the offered rate.
            let short = if m.achieved < 0.98 * m.offered || m.failed > 0 {
                format!(" (answered {:.0}/s, {} failed)", m.achieved, m.failed)
            } else {
                String::new()
            };
            let during = m
                .during
                .as_ref()
                .map_or_else(String::new, |d| format!(" ({d})"));
            format!(
                "{:.2} / {:.2} / {:.2}{short}{during}",
                m.p50_ms, m.p99_ms, m.p999_ms
            )
        });
        let _ = writeln!(
            table,
            "| {} | {:.0} | {:.0}% | {:.2} | {:.2} | {} | {at} |",
            r.name,
            r.rps,
            100.0 * r.rps / base,
            r.p50_ms,
            r.p99_ms,
            r.non_2xx
        );
    }
    table
}

/// The add-in's page rows: navigation → interactive on loopback (20 loads each), then cold
/// first loads over Chromium's "Fast 3G" (5 each; every request pays 562 ms), the same
/// pages opened again with the cache warm, and the command page's click → block written
/// (Office stand-in) on each link.
fn page_timings(cvi: &Path) -> Result<Vec<(String, Vec<f64>)>> {
    use crate::bench_addin::{time_to_interactive, Link, Page};
    let mut rows = Vec::new();
    for (link, runs, over) in [
        (Link::Local, 20, "loopback"),
        (Link::Fast3g, 5, "Fast 3G, cold cache"),
        (Link::Fast3gWarm, 5, "Fast 3G, opened again (cache warm)"),
    ] {
        for (page, what) in [
            (Page::Scheduler, "navigation → interactive scheduler"),
            (
                Page::OutlookPane,
                "navigation → interactive Outlook pane (Office stand-in, policy read)",
            ),
            (
                Page::Command,
                "navigation → command page ready (Office stand-in)",
            ),
        ] {
            let t = step(&format!("{what}, {over}, {runs} loads"), || {
                time_to_interactive(cvi, page, runs, link)
            })?;
            rows.push((format!("{what}, {over}"), t.ready));
            if page == Page::Command {
                rows.push((
                    format!("command page: Outlook runs it → block written, {over}"),
                    t.action,
                ));
            }
        }
    }
    Ok(rows)
}

/// Runs every benchmark and prints the table (`--server`, `--inject`, `--sip`, `--pages`: one
/// group of rows only).
pub fn bench(args: &[String]) -> Result<()> {
    let (server_only, inject_only, sip_only, pages_only) = match args {
        [] => (false, false, false, false),
        [a] if a == "--server" => (true, false, false, false),
        [a] if a == "--inject" => (false, true, false, false),
        [a] if a == "--sip" => (false, false, true, false),
        [a] if a == "--pages" => (false, false, false, true),
        _ => {
            return Err(format!(
            "bench: unexpected arguments {args:?}; usage: cargo xtask bench [--server | --inject | --sip | --pages]"
        ))
        }
    };
    let tools = tools::setup()?;
    if read(Command::new("wrk").arg("--version")).is_none() && !Path::new("/usr/bin/wrk").exists() {
        return Err("wrk is missing: run `cargo xtask setup` (it installs Debian's wrk)".into());
    }
    if !Path::new("/usr/sbin/kamailio").exists() {
        return Err(
            "kamailio is missing: run `cargo xtask setup` (it installs Debian's kamailio)".into(),
        );
    }
    if !Path::new("/usr/bin/sipp").exists() {
        return Err(
            "sipp is missing: run `cargo xtask setup` (it installs Debian's sip-tester)".into(),
        );
    }
    step("release build of cvi and cvi-load", || {
        run(tools.command("cargo").args([
            "build",
            "--release",
            "-p",
            "cvi-server",
            "--bin",
            "cvi",
        ]))?;
        run(tools.command("cargo").args([
            "build",
            "--release",
            "-p",
            "cvi-testkit",
            "--features",
            "load",
            "--bin",
            "cvi-load",
        ]))
    })?;
    let cvi = root().join("target/release/cvi");
    if pages_only {
        crate::build::build_with(&tools)?;
        let transfers = crate::bench_addin::transfers(&root().join("dist"))?;
        println!(
            "\n| page | size |\n|---|---:|\n{}",
            crate::bench_addin::transfer_rows(&transfers, "|")
        );
        let mut table = String::new();
        for (name, t) in page_timings(&cvi)? {
            let _ = writeln!(
                table,
                "| {name}, headless Chromium, median of {} | {:.0} ms | {t:.0?} |",
                t.len(),
                crate::bench_addin::median(&t)
            );
        }
        println!("\n| page | median | all |\n|---|---:|---|\n{table}");
        return Ok(());
    }
    let dir = root().join("target/bench");
    if !sip_only {
        let _ = fs::remove_dir_all(&dir);
    }
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sqlite = |name: &str| format!("sqlite://{}", dir.join(name).display());
    if sip_only {
        // A database the full bench (or an earlier --sip) seeded is used as it is.
        let seeded = dir.join("large.db").exists();
        let table = sip_vs_kamailio(&cvi, &dir, &sqlite("large.db"), !seeded)?;
        println!("\n{table}");
        return Ok(());
    }
    let inject = step(
        "every Teams meeting: Graph notifications end to end (stand-in, 50 ms latency)",
        || crate::bench_inject::run(&cvi, &dir),
    )?;
    if inject_only {
        println!("\n{}", crate::bench_inject::rows(&inject));
        return Ok(());
    }
    let mut rows = run_scenario(
        &cvi,
        &dir,
        &Scenario {
            label: "SQLite, 1M users, 10k groups, 1M live meetings",
            database: sqlite("large.db"),
            users: 1_000_000,
            groups: 10_000,
            meetings: 1_000_000,
            imported: 1_000_000,
        },
        true,
    )?;
    rows.extend(run_scenario(
        &cvi,
        &dir,
        &Scenario {
            label: "SQLite, 10k users, 100 groups, 1k live meetings",
            database: sqlite("small.db"),
            users: 10_000,
            groups: 100,
            meetings: 1_000,
            imported: 0,
        },
        false,
    )?);
    // The large database is seeded already.
    let kamailio = sip_vs_kamailio(&cvi, &dir, &sqlite("large.db"), false)?;
    let pg = step("PostgreSQL 15 cluster (durable: fsync on)", || {
        cvi_testkit::PgCluster::start(&dir.join("pg"), cvi_testkit::Durability::Durable)
    })?;
    rows.extend(run_scenario(
        &cvi,
        &dir,
        &Scenario {
            label: "PostgreSQL, 100k users, 1k groups, 100k live meetings",
            database: pg.url(),
            users: 100_000,
            groups: 1_000,
            meetings: 100_000,
            imported: 0,
        },
        false,
    )?);
    drop(pg);
    if server_only {
        println!(
            "\n{}{}\n{kamailio}",
            rows_table(&rows),
            crate::bench_inject::rows(&inject)
        );
        return Ok(());
    }
    let (insert_1mb, replace_1mb) = step("criterion: cvi-core upsert on 1 MB", || {
        criterion_1mb(&tools)
    })?;

    crate::build::build_with(&tools)?;
    let transfers = step(
        "what each page downloads (the build's files and copies)",
        || crate::bench_addin::transfers(&root().join("dist")),
    )?;
    let pages = page_timings(&cvi)?;
    let (wasm_insert, wasm_replace) =
        step("cvi-core upsert on 1 MB inside wasm (Chromium)", || {
            crate::bench_addin::wasm_upsert(&tools)
        })?;

    let base = rows[0].rps;
    let mut table = rows_table(&rows);
    table.push_str(&crate::bench_inject::rows(&inject));
    let _ = writeln!(
        table,
        "| cvi-core upsert, 1 MB HTML, native: insert / replace | {:.1} ms / {:.1} ms | | | | | |",
        insert_1mb, replace_1mb
    );
    let _ = writeln!(
        table,
        "| cvi-core upsert, 1 MB HTML, wasm in Chromium: insert / replace | {wasm_insert:.1} ms / {wasm_replace:.1} ms | | | | | |"
    );
    table.push_str(&crate::bench_addin::transfer_rows(
        &transfers,
        "| | | | | |",
    ));
    for (name, t) in &pages {
        let _ = writeln!(
            table,
            "| {name}, headless Chromium, median of {} | {:.0} ms | | | | | |",
            t.len(),
            crate::bench_addin::median(t)
        );
    }
    println!("\n{table}\n{kamailio}");
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "wrk": WRK.join(" "),
        "rows": rows.iter().map(|r| serde_json::json!({
            "name": r.name, "rps": r.rps, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms,
            "non_2xx": r.non_2xx, "ratio_to_baseline": r.rps / base,
            "at_fixed_rate": r.at_rate.as_ref().map(|m| serde_json::json!({
                "offered": m.offered, "answered_per_s": m.achieved, "p50_ms": m.p50_ms,
                "p99_ms": m.p99_ms, "p999_ms": m.p999_ms, "failed": m.failed,
                "machine_busy_pct": m.during.as_ref().map(|d| d.busy_pct),
                "machine_steal_pct": m.during.as_ref().map(|d| d.steal_pct),
                "postgres_checkpoints": m.during.as_ref().and_then(|d| d.pg).map(|p| p.0),
                "postgres_autovacuums": m.during.as_ref().and_then(|d| d.pg).map(|p| p.1),
            })),
        })).collect::<Vec<_>>(),
        "upsert_1mb_ms": {
            "native": {"insert": insert_1mb, "replace": replace_1mb},
            "wasm_chromium": {"insert": wasm_insert, "replace": wasm_replace},
        },
        "transfer_bytes": transfers.iter().map(|(_, page, t)| (page.to_string(), serde_json::json!({
            "files": t.files, "raw": t.raw, "gzip": t.gzip, "brotli": t.brotli,
        }))).collect::<serde_json::Map<_, _>>(),
        "pages_ms": pages.iter().map(|(name, t)| serde_json::json!({
            "name": name, "median": crate::bench_addin::median(t), "all": t,
        })).collect::<Vec<_>>(),
    }))
    .map_err(|e| e.to_string())?;
    fs::write(dir.join("report.json"), json).map_err(|e| e.to_string())?;
    println!("(also in {})", dir.join("report.json").display());
    Ok(())
}
