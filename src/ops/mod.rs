//! Running the appliance: logs and telemetry, TLS and ACME, backups, scheduled jobs and self-checks.

pub mod acme;
pub mod alerts;
pub mod backup;
pub mod compute;
pub mod connections;
pub mod feeds;
pub mod files;
pub mod jobs;
pub mod leader;
pub mod maintenance;
pub mod memory;
pub mod metrics;
pub mod node_metrics;
pub mod offsite;
pub mod outbound;
pub mod price_figures;
pub mod seal;
pub mod selfcheck;
pub mod shutdown;
pub mod systemd;
pub mod telemetry;
pub mod tls;
pub mod upgrade;
