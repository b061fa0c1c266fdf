//! The `fluxbilling` server: configuration, start-up, HTTP surface and the
//! command-line tasks. `main.rs` only dispatches.

pub mod admin_api;
pub mod billing;
pub mod commands;
pub mod config;
pub mod connections;
pub mod credentials;
pub mod csrf;
pub mod demo;
pub mod exports;
pub mod http;
pub mod idempotency;
pub mod json;
pub mod limits;
pub mod maintenance;
pub mod metrics;
pub mod partner_api;
pub mod problem;
pub mod provisioning;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
