//! `cvi`: the policy API server and the cmdlets' command line (SPEC §8).

use std::process::ExitCode;

fn main() -> ExitCode {
    cvi_server::cli::main()
}
