//! Project automation: `cargo xtask setup|build|serve|test|bench`.
//!
//! Plain Rust over `std::process` (the cargo-xtask pattern), so the only prerequisite on a
//! new machine is cargo. Every external tool is installed by `setup` into a versioned cache
//! outside the clone (see [`tools`]), so CI's fresh clone reuses what a previous run built.

mod architecture;
mod bench;
mod bench_addin;
mod bench_inject;
mod bench_kamailio;
mod build;
mod conformance;
mod fuzz;
mod host;
mod manifest;
mod package;
mod run;
mod serve;
mod sipp;
mod test;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup   install every tool the project needs into the tool cache (skips what is there)
  build   release build of the add-in (pane, command page, admin console) and manifests into dist/
  serve   setup if needed, build, start `cvi serve` with a demo tenant, print the URL
  test    fmt check, the architecture check, clippy, native + wasm tests, add-in end-to-end
          tests, API conformance
  bench [--server | --inject | --sip | --pages]
          load benchmarks (wrk, SIPp, and the join side at a fixed 20,000/s) and
          cvi-core's upsert (criterion), one table; --server: the server's rows only;
          --inject: every Teams meeting's rows; --sip: the SIP door beside Kamailio;
          --pages: the add-in's pages (loopback and Fast 3G cold loads, the command)
  fuzz    fuzz every target for SECONDS each (default 60; nightly, cargo-fuzz)
  manifest [--url https://HOST] [--sso-app-id GUID]
          the Outlook XML and unified (Teams) manifests into dist/manifest/
  package [--url https://HOST] [--sso-app-id GUID]
          the Teams/Outlook app package dist/cvi-app-package.zip (unified manifest +
          icons), validated offline

environment:
  CVI_TOOLS_DIR   tool cache (default: $XDG_CACHE_HOME/cvi/tools or ~/.cache/cvi/tools)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => tools::setup().map(|_| ()),
        Some("build") => build::build(),
        Some("serve") => serve::serve(&args[1..]),
        Some("test") => test::test(),
        Some("bench") => bench::bench(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("manifest") => manifest::manifest(&args[1..]),
        Some("package") => package::package(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("xtask: unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
