//! The Cloud Video Interop policy API and the `cvi` command line.
//!
//! `http::app` builds the whole HTTP service (tests drive it with `tower::ServiceExt`);
//! `cli` parses the command line of SPEC §8 and runs each command.

pub mod cli;
pub mod http;
