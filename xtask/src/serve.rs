//! `cargo xtask serve`: tools, add-in build, then `cvi serve` with the dev issuer and the
//! demo tenant, serving `dist/` at `/`; it prints the URL and demo tokens.
//!
//! A first run is mostly compiling: the server's build starts at once, beside the installs
//! of the add-in's build tools (which compile in their own target directories), and only
//! what building the add-in needs is installed (no browser, database, fuzzer). The server
//! is the debug build `cargo xtask test` (CI) runs its tests and browser journeys against,
//! so nothing is compiled twice; only `cargo xtask bench` builds the server optimised.

use std::process::Command;

use crate::{
    build,
    run::{root, run, step, Result},
    tools::{self, Needs},
};

/// Extra arguments are passed to `cvi serve` (for example `--listen 0.0.0.0:8080`).
pub fn serve(extra: &[String]) -> Result<()> {
    let started = std::time::Instant::now();
    let log = root().join("target/serve-build.log");
    std::fs::create_dir_all(root().join("target")).map_err(|e| e.to_string())?;
    println!(
        "serve: building the server alongside the tools; its output: {}",
        log.display()
    );
    let mut server_build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "-p", "cvi-server", "--bin", "cvi"])
        .current_dir(root())
        .stdout(std::fs::File::create(&log).map_err(|e| e.to_string())?)
        .stderr(
            std::fs::File::options()
                .append(true)
                .open(&log)
                .map_err(|e| e.to_string())?,
        )
        .spawn()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    let tools = tools::setup_for(Needs::AddinBuild);
    // Trunk builds in the same target directory: the server's build finishes first.
    let built = step("server build (cvi)", || {
        let status = server_build.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the server's build failed: see {}", log.display()))
        }
    });
    let tools = tools?;
    built?;
    build::build_with(&tools)?;
    let listen = extra
        .windows(2)
        .find(|w| w[0] == "--listen")
        .map(|w| w[1].clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    println!(
        "\nReady after {:.0} s. Starting cvi serve; open http://{listen}/ (Ctrl-C stops it)\n",
        started.elapsed().as_secs_f64()
    );
    let mut cmd = Command::new(root().join("target/debug/cvi"));
    cmd.args(["serve", "--dist"])
        .arg(root().join("dist"))
        .args(["--dev-issuer", "--demo"]);
    if !extra.iter().any(|a| a == "--listen") {
        cmd.args(["--listen", &listen]);
    }
    run(cmd.args(extra))
}
