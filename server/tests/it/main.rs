//! One integration binary (compiled once) that drives the real server over
//! HTTP, on SQLite or PostgreSQL (see `helpers`).

mod account_rules;
mod accounts;
mod admin_price_book;
mod admin_resellers;
mod api_settings;
mod assets;
mod billing;
mod cli;
mod helpers;
mod hostile_accounts;
mod hostile_data;
mod hostile_http;
mod hostile_partner;
mod hostile_process;
mod hostile_webhooks;
mod instances;
mod operations;
mod pages;
mod partner_api;
mod partner_http;
mod price_versions;
mod provisioning;
mod role_matrix;
mod secret_rotation;
mod server_functions;
mod service_changes;
mod service_terms;
mod transactions;
mod webhooks;
