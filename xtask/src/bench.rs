//! `cargo xtask bench`: benchmarks, never timed tests. Criterion reports cvi-core's
//! upsert; load benchmarks of the server join as they land.

use crate::{
    run::{run, step, Result},
    tools,
};

/// Runs the criterion benchmarks of cvi-core.
pub fn bench() -> Result<()> {
    let tools = tools::setup()?;
    step("cvi-core upsert (criterion)", || {
        run(tools.command("cargo").args(["bench", "-p", "cvi-core"]))
    })
}
