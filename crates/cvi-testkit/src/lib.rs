//! The harness that the server's tests, the add-in's browser tests, `cargo xtask bench` and
//! the API conformance run share: start a real `cvi serve` ([`CviServe`]) or a throwaway
//! PostgreSQL 15 cluster ([`PgCluster`]), talk to them, and stop them when dropped — also
//! when an assertion fails halfway, so no test leaks a process.
//!
//! Errors are strings that say what failed: xtask reports them, tests `expect` them.

mod api;
#[cfg(feature = "load")]
pub mod load;
#[cfg(feature = "microsoft")]
pub mod microsoft;
mod pg;
mod process;
pub mod rfc4475;
mod serve;

pub use api::{consent_all, provision, state_of, Api, Failed, Tenant};
pub use pg::{Durability, PgCluster};
pub use process::{copy_dir, free_port, is_root, KillOnDrop};
pub use serve::{call, request, CviServe, Reply};

/// What the harness returns: a value or what went wrong, in words.
pub type Result<T> = std::result::Result<T, String>;
