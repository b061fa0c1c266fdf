//! Test harness, by role: a fresh database per test (`db`), the real
//! application on port 0 (`application`), and clients that talk to it
//! only over HTTP (`admin`, `partner`, `receiver`), a server process of
//! its own (`process`) and SQL as another instance would run it (`sql`).
//!
//! `FLUX_TEST_DATABASE=postgres` runs the suite on PostgreSQL (a new
//! database per test, dropped afterwards); `sqlite` (or nothing) runs it on a fresh
//! SQLite file; any other value is refused. `.ci/run` runs the suite once per database.

use app::{
    accounts::{User, service as accounts},
    store::Store,
};
use leptos::server_fn::ServerFn;
use server::{config::Config, startup::Application};
use sqlx::Connection;
use std::{path::PathBuf, sync::Once};
use tokio::sync::oneshot;

mod admin;
mod application;
mod db;
mod endpoint;
mod partner;
mod process;
mod receiver;
mod sql;

pub use self::{admin::*, application::*, db::*, endpoint::*, partner::*, process::*, receiver::*, sql::*};

/// Polls `check` until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
