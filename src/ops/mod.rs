//! Running the appliance: logs and telemetry, later TLS, backups, scheduled jobs and self-checks.

pub mod feeds;
pub mod memory;
pub mod shutdown;
pub mod telemetry;
