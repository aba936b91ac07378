//! The Cloud Video Interop domain, shared by the add-in (wasm32) and the server (native).
//!
//! Architecture invariant: this crate does no I/O and knows no host. Randomness comes in
//! as a parameter ([`VideoId::generate`]), time as values, bodies as strings. That is what
//! lets the add-in and the server render byte-identical invite blocks.

pub mod api;
pub mod coordinates;
pub mod dial_plan;
pub mod https_url;
pub mod ics;
pub mod invite;
pub mod location;
pub mod meeting;
pub mod otd;
pub mod plan;
pub mod policy;
pub mod provider;
pub mod sip_target;
pub mod tenant_key;
pub mod times;
pub mod video_id;

pub use coordinates::{Block, Coordinates};
pub use policy::{EffectivePolicy, Grant, GrantTarget, Policy, PolicyReason};
pub use provider::{AppId, InstructionUri, Provider, ProviderName};
pub use tenant_key::TenantKey;
pub use video_id::VideoId;
