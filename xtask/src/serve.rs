//! `cargo xtask serve`: tools, add-in build, then `cvi serve` with the dev issuer and the
//! demo tenant, serving `dist/` at `/`; it prints the URL and demo tokens.

use crate::{
    build,
    run::{root, run, Result},
    tools,
};

/// Extra arguments are passed to `cvi serve` (for example `--listen 0.0.0.0:8080`).
pub fn serve(extra: &[String]) -> Result<()> {
    let tools = tools::setup()?;
    build::build_with(&tools)?;
    let listen = extra
        .windows(2)
        .find(|w| w[0] == "--listen")
        .map(|w| w[1].clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    println!("\nStarting cvi serve; open http://{listen}/ (Ctrl-C stops it)\n");
    let mut cmd = tools.command("cargo");
    cmd.args([
        "run",
        "--quiet",
        "-p",
        "cvi-server",
        "--bin",
        "cvi",
        "--",
        "serve",
        "--dist",
    ])
    .arg(root().join("dist"))
    .args(["--dev-issuer", "--demo"]);
    if !extra.iter().any(|a| a == "--listen") {
        cmd.args(["--listen", &listen]);
    }
    run(cmd.args(extra))
}
