//! `cvi`: the policy API server and the cmdlets' command line (SPEC §8).

use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: a request allocates and frees many small
/// buffers across two worker threads, and glibc's malloc/free were ~15% of the server's
/// CPU per resolution in a profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cvi_server::cli::main()
}
