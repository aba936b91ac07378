//! The Cloud Video Interop policy API and the `cvi` command line.
//!
//! Data flows: `http::app` routes a request → `auth` turns its bearer token into a
//! `Caller` (tenant + roles) → an `api::*` handler validates input with `cvi-core` types,
//! reads and writes through `db` (one transaction per write, with its `audit` row) →
//! `error::AppError` renders failures as problem+json. `cli` is the `cvi` binary: `serve`
//! runs all of this, the other commands call it over HTTP.

// Used by the tests and the binary: `cli`, `db`, `http`, `state`. The rest is inner.
pub(crate) mod api;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod demo;
pub(crate) mod error;
pub mod graph;
pub mod http;
pub(crate) mod kept;
pub(crate) mod metrics;
pub(crate) mod pexip;
pub(crate) mod rate_limit;
pub mod sip;
pub mod state;
pub(crate) mod stats;
pub(crate) mod tenant_config;
