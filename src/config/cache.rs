//! The cache in front of PostgreSQL: in-process, or shared through Redis.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::redact;

/// The cache in front of PostgreSQL, and where rate-limit counters live.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// `false`: every read goes to PostgreSQL.
    pub enabled: bool,
    pub backend: CacheBackend,
    /// `redis://[user:password@]host:port/db`; needed with `backend = "redis"`.
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<SecretString>,
    /// Prefix of every key and channel this deployment uses in Redis.
    pub redis_prefix: String,
    /// How long entries live (seconds), whatever invalidates them earlier.
    pub catalogue_ttl_secs: u64,
    pub dishes_ttl_secs: u64,
    pub rules_ttl_secs: u64,
    pub user_ttl_secs: u64,
    pub session_ttl_secs: u64,
    /// With Redis: the longest a node may serve data after a write on another node (ms).
    pub max_staleness_ms: u64,
    /// The in-process tier's size bound (bytes, estimated).
    pub max_bytes: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            backend: CacheBackend::Memory,
            redis_url: None,
            redis_prefix: "sn:".into(),
            catalogue_ttl_secs: 60,
            dishes_ttl_secs: 3600,
            rules_ttl_secs: 3600,
            user_ttl_secs: 600,
            session_ttl_secs: 60,
            max_staleness_ms: 1000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

impl CacheConfig {
    /// What is wrong with `[cache]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.backend == CacheBackend::Redis && self.redis_url.is_none() {
            errors.push("cache.redis_url: needed with cache.backend = \"redis\"".into())
        }
        if let Some(url) = &self.redis_url {
            let url = url.expose_secret();
            if !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("unix://"))
            {
                errors
                    .push("cache.redis_url: must start with redis://, rediss:// or unix://".into());
            }
        }
        for (key, v) in [
            ("catalogue_ttl_secs", self.catalogue_ttl_secs),
            ("dishes_ttl_secs", self.dishes_ttl_secs),
            ("rules_ttl_secs", self.rules_ttl_secs),
            ("user_ttl_secs", self.user_ttl_secs),
            ("session_ttl_secs", self.session_ttl_secs),
        ] {
            if !(1..=86_400).contains(&v) {
                errors.push(format!("cache.{key}: must be between 1 and 86400"));
            }
        }
        if !(50..=60_000).contains(&self.max_staleness_ms) {
            errors.push("cache.max_staleness_ms: must be between 50 and 60000".into());
        }
        if self.max_bytes < 1024 * 1024 {
            errors.push("cache.max_bytes: must be at least 1048576".into());
        }
        errors
    }
}

/// Where the cache and the rate-limit counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// This node only.
    Memory,
    /// Shared by every node, with a small in-process tier (`cache.redis_url`).
    Redis,
}
