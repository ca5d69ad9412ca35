//! PostgreSQL, external or the managed cluster, and the data directory.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::redact;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// External PostgreSQL (`postgres://user:pass@host/db`). Unset: the binary runs its own cluster.
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub url: Option<SecretString>,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout_secs: u64,
    /// A statement running longer is cancelled (the request gets 503); 0: no limit.
    pub statement_timeout_secs: u64,
    /// Apply pending migrations when `serve` starts (several nodes: harmless, they take a lock).
    pub migrate_on_start: bool,
    /// Load the reference data in `seeds/` when `serve` starts (skipped when unchanged).
    pub seed_on_start: bool,
    pub managed: ManagedDatabaseConfig,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
            min_connections: 1,
            acquire_timeout_secs: 5,
            statement_timeout_secs: 30,
            migrate_on_start: true,
            seed_on_start: true,
            managed: ManagedDatabaseConfig::default(),
        }
    }
}

impl DatabaseConfig {
    /// What is wrong with `[database]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.max_connections == 0 {
            errors.push("database.max_connections: must be at least 1".to_string());
        }
        if self.min_connections > self.max_connections {
            errors
                .push("database.min_connections: must not exceed database.max_connections".into());
        }
        if self.acquire_timeout_secs == 0 {
            errors.push("database.acquire_timeout_secs: must be at least 1".into());
        }
        if let Some(url) = &self.url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                errors.push("database.url: must start with postgres:// or postgresql://".into());
            }
        }
        if self.managed.run_as.trim().is_empty() {
            errors.push("database.managed.run_as: must name an OS user".into());
        }
        errors
    }
}

/// The PostgreSQL cluster the binary supervises when `database.url` is unset.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManagedDatabaseConfig {
    /// Directory holding `initdb` and `postgres`; unset: `PATH`, then `/usr/lib/postgresql/*/bin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin_dir: Option<PathBuf>,
    /// OS user that owns and runs the cluster when the binary runs as root (PostgreSQL refuses root).
    pub run_as: String,
    /// How long to wait for the cluster to accept connections.
    pub start_timeout_secs: u64,
}

impl Default for ManagedDatabaseConfig {
    fn default() -> Self {
        Self {
            bin_dir: None,
            run_as: "postgres".into(),
            start_timeout_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Everything the node keeps on disk: the managed cluster, backups and certificates.
    pub data_dir: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
        }
    }
}

impl StorageConfig {
    /// What is wrong with `[storage]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.data_dir.as_os_str().is_empty() {
            errors.push("storage.data_dir: must not be empty".into());
        }
        errors
    }
}
