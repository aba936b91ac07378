//! The Cloud Video Interop add-in: a Leptos (CSR) app compiled to wasm32 by Trunk.
//!
//! Architecture invariant: components never touch `Office` or `microsoftTeams`; they go
//! through a host abstraction (coming with the Outlook/Teams hosts) and the typed API
//! client. The invite block itself is rendered by `cvi-core`, the same code the server uses.

pub mod app;
pub mod sample;

pub use app::App;
