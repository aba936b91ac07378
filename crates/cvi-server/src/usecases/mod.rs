//! The use cases: what the product does, as plain async functions over the store —
//! issuance, resolution, import, provisioning (providers, policy and grants, consent,
//! bridges), scheduling through Graph, the record (audit log, daily counts). Every
//! front door (the HTTP API, the SIP door, the Pexip endpoint; next, Graph notifications)
//! is a thin adapter over these: it reads its protocol, calls a use case with a
//! [`Context`] and a [`Caller`] (or the tenant its credentials name), and turns the answer
//! or the domain [`Error`] into its own reply.
//!
//! Architecture invariant: nothing here knows HTTP, SIP or Pexip — no axum, no extractor,
//! no status code — and no front door is imported from here.

pub mod bridges;
mod caller;
pub mod consent;
mod error;
pub mod events;
pub mod import;
pub mod inject;
pub mod inject_events;
pub mod meetings;
pub mod policy;
pub mod providers;
pub mod record;
pub mod resolution;
pub mod subscriptions;

use std::sync::Arc;

pub use caller::{Caller, Role};
pub use error::{unique_violation, Error, Result};

use crate::{
    graph::Graph,
    metrics::Metrics,
    rate_limit::{RateLimiter, Servers},
    stats::Resolutions,
    tenant_config::ConfigCache,
};
use cvi_store::{db::Db, writes::Writes, FastReads};

/// What the use cases work with: the database and what is kept beside it in this process.
/// All durable state is in the database (SPEC §3), so N servers on one PostgreSQL behave
/// as one.
pub struct Context {
    pub db: Db,
    /// Write transactions and the issuance group commit.
    pub writes: Writes,
    /// Resolution's reads: on the calling thread (SQLite) or batched (PostgreSQL).
    pub fast: Option<FastReads>,
    /// Tenants' providers and consents, checked against the database's version on use.
    pub config: ConfigCache,
    pub metrics: Arc<Metrics>,
    /// Resolutions per caller (partner app, bridge's calling device, SIP network).
    pub resolve_limiter: RateLimiter,
    /// The consent callback's limit, before it takes the writer.
    pub callback_limiter: RateLimiter,
    /// How many servers share this database (from their heartbeats): limits are split.
    pub servers: Servers,
    /// Microsoft Graph, app-only (when configured): consent checks, the groups overage,
    /// calendar events.
    pub graph: Option<Arc<Graph>>,
    /// Bridge credentials kept briefly: a Pexip request costs no login query.
    pub bridges: bridges::Credentials,
    /// Resolutions per tenant, provider and day not yet in the database (`stats.rs`).
    pub resolutions: Arc<Resolutions>,
    /// New coordinates per organizer per hour (0: no quota).
    pub issue_quota_per_hour: u32,
    /// Public base URL of this server, for consent redirect URIs and Graph's notifications.
    pub public_url: String,
    /// Wakes the background work of "coordinates in every Teams meeting" (a switch changed).
    pub inject_wake: tokio::sync::Notify,
}
