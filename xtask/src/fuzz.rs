//! `cargo xtask fuzz [SECONDS]`: every fuzz target in fuzz/ for a fixed time each, with
//! cargo-fuzz (libFuzzer) on the nightly toolchain. New inputs land in fuzz/corpus/<target>
//! (kept in the repo); a crash leaves its input in fuzz/artifacts/ and fails the command.

use crate::{
    run::{run, step, Result},
    tools,
};

const TARGETS: [&str; 2] = ["parsers", "invite"];

/// Fuzzes each target for `args[0]` seconds (default 60).
pub fn fuzz(args: &[String]) -> Result<()> {
    let seconds: u64 = match args.first() {
        None => 60,
        Some(s) => s
            .parse()
            .map_err(|_| format!("fuzz takes a number of seconds per target, not {s:?}"))?,
    };
    let tools = tools::setup()?;
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
