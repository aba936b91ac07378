//! The Cloud Video Interop policy API and the `cvi` command line.
//!
//! Layers, top down: `cli` (the `cvi` binary: `serve` runs the server, the other commands
//! call it over HTTP) → the front doors, which never import each other: `http` + `api` (the
//! REST API; `auth` turns a bearer token into a `Caller`, `error` renders problem+json),
//! `pexip` (Pexip Infinity's policy request), `sip` (the SIP redirect server) → `usecases`
//! (issuance, resolution, import, policy, bridge logins, scheduling through Graph; a domain
//! `Error`) → what they keep beside the database (`tenant_config`, `rate_limit`, `stats`,
//! `kept`, `metrics`) and call (`graph`) → `cvi_store` (SQL) and `cvi_core` (the domain).

// Used by the tests and the binary: `cli`, `graph`, `http`, `sip`, `state`. The rest is inner.
pub(crate) mod api;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod demo;
pub(crate) mod error;
pub mod graph;
pub mod http;
pub(crate) mod kept;
pub(crate) mod metrics;
pub(crate) mod notifications;
pub(crate) mod outbound;
pub(crate) mod pexip;
pub(crate) mod rate_limit;
pub mod sip;
pub mod state;
pub(crate) mod stats;
pub(crate) mod tenant_config;
pub(crate) mod usecases;
