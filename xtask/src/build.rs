//! `cargo xtask build`: the release add-in into `dist/` with Trunk (wasm-opt -Oz included).

use std::fs;

use crate::{
    run::{root, run, step, Result},
    tools::{self, Toolbox},
};

/// Sets up the tools, then builds.
pub fn build() -> Result<()> {
    let tools = tools::setup_for(tools::Needs::AddinBuild)?;
    build_with(&tools)
}

/// Builds the release add-in with already set-up tools and prints the size of each file.
pub fn build_with(tools: &Toolbox) -> Result<()> {
    step(
        "trunk build --release (index.html: the standalone scheduler, into dist/)",
        || run(tools.command("trunk").args(["build", "--release"])),
    )?;
    let dist = root().join("dist");
    // Trunk builds one page per run and empties its dist first, so the Outlook pane, the
    // command page, the Teams tab and the admin console are built aside and copied in (each
    // with its own wasm bundle).
    for (page, what) in [
        ("pane.html", "Outlook task pane"),
        ("command.html", "no-UI command page"),
        ("teams.html", "Teams tab"),
        ("admin.html", "admin console"),
    ] {
        let aside = root().join("target/trunk-aside").join(page);
        step(&format!("trunk build --release {page} ({what})"), || {
            run(tools
                .command("trunk")
                .args(["build", page, "--release", "--dist"])
                .arg(&aside))?;
            // Trunk names its output index.html whatever the source page was called.
            fs::rename(aside.join("index.html"), aside.join(page))
                .map_err(|e| format!("trunk wrote no {}/index.html: {e}", aside.display()))?;
            cvi_testkit::copy_dir(&aside, &dist)
        })?;
    }
    step(
        "manifests for the default URL (`cargo xtask manifest --url …` for yours)",
        || crate::manifest::manifest(&[]),
    )?;
    let mut entries: Vec<_> = fs::read_dir(&dist)
        .map_err(|e| format!("trunk wrote no {}: {e}", dist.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
        println!(
            "    dist/{:<40} {:>9} bytes",
            e.file_name().to_string_lossy(),
            size
        );
    }
    Ok(())
}
