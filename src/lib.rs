//! Sports nutrition appliance: one binary serving the API, running its own operations.
//!
//! Layers, data flowing one way: `api` (HTTP, poem-openapi) → `db` (SQL per aggregate) and `domain`
//! (pure calculations: no SQL, no tokio, no HTTP); `ops` runs the node (logs and telemetry, TLS and
//! ACME, backups, scheduled jobs and self-checks) and never calls `api`.

// `ApiError` is poem-openapi's response enum: each variant holds a problem body, built once per failed
// request. Boxing it would buy nothing measurable and cost every handler a layer of indirection.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod i18n;
pub mod ops;
pub mod startup;
