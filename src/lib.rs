//! Sports nutrition appliance: one binary serving the API, running its own operations.
//!
//! Layers, data flowing one way: `api` (HTTP, poem-openapi) → `service` (the use cases) → `db` (SQL
//! per aggregate) and `domain` (pure calculations: no SQL, no tokio, no HTTP); `ops` runs the node
//! (logs and telemetry, TLS and ACME, backups, scheduled jobs and self-checks) and never calls `api`.
//! docs/architecture.md says which layer may call which, and where a new endpoint's pieces go.

// `ApiError` is poem-openapi's response enum: each variant holds a problem body, built once per failed
// request. Boxing it would buy nothing measurable and cost every handler a layer of indirection.
#![allow(clippy::result_large_err)]

/// The allocator of the binary and of everything built on this crate (tests and benchmarks measure
/// what the node runs); its settings are [`ops::memory::MALLOC_CONF`].
#[global_allocator]
static ALLOCATOR: ops::memory::Jemalloc = ops::memory::Jemalloc;

pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod i18n;
pub mod ops;
pub mod service;
pub mod startup;

/// The layering of docs/architecture.md, held by the code: each layer's files, comments aside, name
/// nothing a layer below it must not use.
#[cfg(test)]
mod layers {
    use std::path::Path;

    /// Lines of code (not comments) under `src/<dir>` that contain any of `forbidden`.
    fn offending(dir: &str, forbidden: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir)];
        while let Some(path) = pending.pop() {
            if path.is_dir() {
                pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if let Some(name) = forbidden.iter().find(|f| code.contains(*f)) {
                    found.push(format!("{}:{}: {name}", path.display(), n + 1));
                }
            }
        }
        found
    }

    #[test]
    fn each_layer_uses_only_the_layers_below_it() {
        let checks: [(&str, &[&str]); 4] = [
            (
                "domain",
                &[
                    "sqlx",
                    "tokio",
                    "poem",
                    "crate::db",
                    "crate::api",
                    "crate::service",
                ],
            ),
            ("db", &["crate::api", "crate::service", "poem"]),
            ("ops", &["crate::api", "crate::service"]),
            (
                "service",
                &["ApiError", "poem::", "crate::api::security", "BearerAuth"],
            ),
        ];
        let found: Vec<String> = checks
            .iter()
            .flat_map(|(dir, forbidden)| offending(dir, forbidden))
            .collect();
        assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
    }
}
