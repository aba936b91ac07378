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
    let tools = step("setup", tools::setup)?;
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
