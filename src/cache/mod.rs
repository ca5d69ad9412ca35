//! Shared, short-lived state of a node: rate-limit counters (and, later, the response cache).
//! In-process on one node; a later backend keeps it in Redis when several nodes share the load.

pub mod rate_limit;
