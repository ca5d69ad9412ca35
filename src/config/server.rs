//! The HTTP server: where it listens, what requests may cost, and the planners' bounds.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; `0.0.0.0` or `::` to accept connections from other machines.
    pub host: IpAddr,
    /// TCP port; 0 picks a free one (tests).
    pub port: u16,
    /// Largest request body a signed-in caller may send, in bytes; larger bodies get 413.
    pub body_limit_bytes: usize,
    /// Largest request body of a caller without a valid access token (sign-in, registration,
    /// refresh), in bytes.
    pub anonymous_body_limit_bytes: usize,
    /// The longest a request body may take to arrive; slower uploads get 408.
    pub body_read_timeout_secs: u64,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_timeout_secs: u64,
    /// Requests served at the same time; more get 503 with `Retry-After` at once instead of
    /// queueing (probes and `/metrics` are never refused). 0: no limit.
    pub max_concurrent_requests: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            body_limit_bytes: 1024 * 1024,
            anonymous_body_limit_bytes: 16 * 1024,
            body_read_timeout_secs: 30,
            shutdown_timeout_secs: 30,
            max_concurrent_requests: 256,
        }
    }
}

impl ServerConfig {
    /// What is wrong with `[server]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.body_limit_bytes < 1024 {
            errors.push("server.body_limit_bytes: must be at least 1024".into());
        }
        if !(1024..=self.body_limit_bytes.max(1024)).contains(&self.anonymous_body_limit_bytes) {
            errors.push(
                "server.anonymous_body_limit_bytes: must be between 1024 and server.body_limit_bytes"
                    .into(),
            );
        }
        if !(1..=3600).contains(&self.body_read_timeout_secs) {
            errors.push("server.body_read_timeout_secs: must be between 1 and 3600".into());
        }
        errors
    }
}

/// Bounds on the work of the planners (shopping and meal plans).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Threads that run plan solves, below request handling's priority; 0: one per CPU.
    pub solver_threads: usize,
    /// Solves that may wait for a thread; more are refused with 503 at once.
    pub solver_queue: usize,
    /// What all the solves of one request may run together, in milliseconds (waiting for a thread
    /// does not count); a plan cut short is the best found, marked as not proven optimal.
    pub solve_time_ms: u64,
    /// Search steps one solve may take.
    pub solve_steps: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            solver_threads: 0,
            solver_queue: 8,
            solve_time_ms: 800,
            solve_steps: 2_000_000,
        }
    }
}

impl LimitsConfig {
    /// What is wrong with `[limits]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.solver_queue == 0 {
            errors.push("limits.solver_queue: must be at least 1".into());
        }
        if !(10..=60_000).contains(&self.solve_time_ms) {
            errors.push("limits.solve_time_ms: must be between 10 and 60000".into());
        }
        if self.solve_steps < 1000 {
            errors.push("limits.solve_steps: must be at least 1000".into());
        }
        errors
    }
}
