//! `cargo xtask test`: everything CI checks, stopping at the first failure.

use std::time::Instant;

use crate::{
    run::{human, run, step, Result},
    tools,
};

/// fmt, clippy (native and wasm32), native tests, wasm tests in headless Chromium, the
/// release add-in build and its end-to-end tests, and API conformance.
pub fn test() -> Result<()> {
    let started = Instant::now();
    warn_if_disk_short();
    let tools = step("setup", || tools::setup_for(tools::Needs::Tests))?;
    step("cargo fmt --check", || {
        run(tools
            .command("cargo")
            .args(["fmt", "--all", "--", "--check"]))
    })?;
    step(
        "architecture (ARCHITECTURE.md names what exists; layers import downward)",
        crate::architecture::check,
    )?;
    step("clippy (native, all targets)", || {
        run(tools.command("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            "cvi-addin/e2e,cvi-testkit/load",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (add-in for wasm32)", || {
        run(tools.command("cargo").args([
            "clippy",
            "-p",
            "cvi-addin",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (command page: add-in without `ui`)", || {
        run(tools.command("cargo").args([
            "clippy",
            "-p",
            "cvi-addin",
            "--no-default-features",
            "--lib",
            "--bins",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step(
        "native tests (cvi-core, cvi-server, xtask; unit, property, doc, CLI)",
        || run(tools.command("cargo").args(["test", "--workspace"])),
    )?;
    step(
        "wasm tests in headless Chromium (wasm-bindgen-test)",
        || {
            // webdriver.json at the workspace root tells the runner which Chromium and flags to use.
            run(tools.command("cargo").args([
                "test",
                "-p",
                "cvi-addin",
                "--target",
                "wasm32-unknown-unknown",
            ]))
        },
    )?;
    crate::build::build_with(&tools)?;
    step(
        "unified manifest (office-addin-manifest validate, offline)",
        || crate::manifest::validate_unified(&tools),
    )?;
    // The app package for Teams' upload, for the default URL (validated and read back).
    crate::package::package_with(&tools, &[])?;
    step(
        "browser end-to-end tests (add-in in headless Chromium against cvi serve)",
        || {
            // `cargo test --workspace` above built target/debug/cvi for cvi-server's tests.
            run(tools
                .command("cargo")
                .args([
                    "test",
                    "-p",
                    "cvi-addin",
                    "--features",
                    "e2e",
                    "--test",
                    "e2e",
                ])
                .env("CVI_BIN", crate::run::root().join("target/debug/cvi"))
                .env("CVI_DIST", crate::run::root().join("dist")))
        },
    )?;
    step("API conformance (schemathesis against cvi serve)", || {
        crate::conformance::conformance(&tools)
    })?;
    println!("\nall checks passed in {}", human(started.elapsed()));
    Ok(())
}

/// What a cold run writes into target/ (debug, wasm32, wasm-release), with room to spare:
/// 6.5 GiB measured on a fresh clone of dc382da (15 GiB before line-tables-only debug info
/// and `CARGO_INCREMENTAL=0`).
const COLD_RUN_GIB: u64 = 8;

/// A run that fills the disk fails minutes in with an LLVM "IO failure on output stream";
/// say so up front, with the figure, instead. Only a warning: a warm target needs far less.
fn warn_if_disk_short() {
    let target = crate::run::root().join("target");
    let dir = if target.exists() {
        target
    } else {
        crate::run::root()
    };
    let Some(free) = free_bytes(&dir) else { return };
    let gib = free / (1 << 30);
    if gib < COLD_RUN_GIB {
        println!(
            "warning: only {gib} GiB free under {}; a cold `cargo xtask test` writes up to \
             {COLD_RUN_GIB} GiB into target/ and fails with \"No space left on device\" if it runs \
             out. Free space first (`cargo clean` in clones you no longer build, or remove their \
             target/ directories).",
            dir.display()
        );
    }
}

/// Free bytes on the filesystem holding `dir`, from POSIX `df -Pk` (no libc binding needed).
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let out = std::process::Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .output()
        .ok()?;
    parse_df_available(&String::from_utf8_lossy(&out.stdout))
}

/// The "Available" column (1024-byte blocks) of `df -Pk`'s one data line, in bytes.
fn parse_df_available(out: &str) -> Option<u64> {
    let line = out.lines().nth(1)?;
    let kib: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::parse_df_available;

    #[test]
    fn reads_available_from_posix_df() {
        // `df -Pk /` on the CI machine kind (Debian 12 coreutils 9.1).
        let out = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                   /dev/vda         263174212 91234560   5138432      95% /\n";
        assert_eq!(parse_df_available(out), Some(5_138_432 * 1024));
        assert_eq!(parse_df_available("Filesystem 1024-blocks\n"), None);
        assert_eq!(parse_df_available(""), None);
    }
}
