//! One integration binary (compiled once) that drives the real server over
//! HTTP, on SQLite or PostgreSQL (see `helpers`).

mod accounts;
mod cli;
mod health;
mod helpers;
mod pages;
