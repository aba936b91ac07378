//! The Cloud Video Interop add-in: a Leptos (CSR) app compiled to wasm32 by Trunk.
//!
//! - [`host`]: where it runs (Outlook, Teams, a browser page); the only door to
//!   `Office` / `microsoftTeams`.
//! - [`api`]: the typed client of the policy API.
//! - [`workflow`]: what Add / Update / Remove do to a meeting (pane and command share it).
//! - [`pane`], [`scheduler`], [`teams_tab`], [`components`]: the UI;
//!   [`admin`]: the admin console (its own page and bundle); [`i18n`]: the add-in's words;
//!   [`words`]: a page's words in its language (English built in, the others fetched).
//!
//! The invite block is rendered and spliced by `cvi-core`, the same code the server uses.

#[cfg(feature = "ui")]
pub mod admin;
pub mod api;
#[cfg(feature = "ui")]
pub mod app;
#[cfg(feature = "ui")]
pub mod components;
pub mod host;
pub mod i18n;
#[cfg(feature = "ui")]
pub mod pane;
#[cfg(feature = "ui")]
pub mod scheduler;
#[cfg(feature = "ui")]
pub mod teams_tab;
pub mod words;
pub mod workflow;
