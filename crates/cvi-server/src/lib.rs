//! The Cloud Video Interop policy API and the `cvi` command line.
//!
//! Data flows: `http::app` routes a request → `auth` turns its bearer token into a
//! `Caller` (tenant + roles) → an `api::*` handler validates input with `cvi-core` types,
//! reads and writes through `db` (one transaction per write, with its `audit` row) →
//! `error::AppError` renders failures as problem+json. `cli` is the `cvi` binary: `serve`
//! runs all of this, the other commands call it over HTTP.

pub mod api;
pub mod auth;
pub mod cli;
pub mod db;
pub mod demo;
pub mod error;
pub mod http;
pub mod metrics;
pub mod rate_limit;
pub mod state;
pub mod store;
pub mod tenant_config;
