//! `cargo xtask fuzz [SECONDS]`: every fuzz target in fuzz/ for a fixed time each, with
//! cargo-fuzz (libFuzzer) on the nightly toolchain. New inputs land in fuzz/corpus/<target>
//! (kept in the repo); a crash leaves its input in fuzz/artifacts/ and fails the command.

use crate::{
    run::{run, step, Result},
    tools,
};

const TARGETS: [&str; 3] = ["parsers", "invite", "sip"];

/// Fuzzes each target for `args[0]` seconds (default 60).
pub fn fuzz(args: &[String]) -> Result<()> {
    let seconds: u64 = match args.first() {
        None => 60,
        Some(s) => s
            .parse()
            .map_err(|_| format!("fuzz takes a number of seconds per target, not {s:?}"))?,
    };
    let tools = tools::setup()?;
    seed_sip()?;
    for target in TARGETS {
        step(&format!("fuzz {target} for {seconds} s"), || {
            run(tools.command("cargo").args([
                "+nightly",
                "fuzz",
                "run",
                target,
                "--",
                &format!("-max_total_time={seconds}"),
                "-max_len=65536",
            ]))
        })?;
    }
    Ok(())
}

/// RFC 4475's torture messages as the SIP target's first seeds (kept beside what the
/// fuzzer finds; written once, from the test kit's fixture).
fn seed_sip() -> Result<()> {
    let dir = std::path::Path::new("fuzz/corpus/sip");
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for t in cvi_testkit::rfc4475::messages() {
        let path = dir.join(format!("rfc4475-{}", t.name));
        if !path.exists() {
            std::fs::write(&path, &t.bytes)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}
