//! Integration tests of the HTTP API against the real PostgreSQL (one database per test).

mod errors;
mod health;
mod helpers;
mod seeds;
