//! Integration tests of the HTTP API against the real PostgreSQL (one database per test).

mod acme;
mod alerts;
mod auth;
mod backups;
mod cache;
mod catalogue;
mod catalogue_admin;
mod cli;
mod dashboard;
mod errors;
mod faults;
mod feeds;
mod health;
mod health_profile;
mod helpers;
mod localization;
mod meal_plans;
mod multinode;
mod nutrition;
mod progress;
mod safety_rules;
mod seeds;
mod supplements;
mod systemd;
mod telemetry;
mod tls;
