//! Store price feeds and which internal networks outbound fetches may reach.

use serde::{Deserialize, Serialize};

use super::{auth::addresses_or_networks, cron_problem};

/// Store price feeds: the schedule they are fetched on and how rows are matched.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedsConfig {
    /// Fetch the price lists of stores with a `feed_url` on `schedule`.
    pub enabled: bool,
    /// Cron expression with seconds, in UTC: `sec min hour day-of-month month day-of-week`.
    pub schedule: String,
    /// Fuzzy matches (brand, name, size) from this confidence (0-1) apply; below, they wait for review.
    pub match_threshold: f64,
    pub fetch_timeout_secs: u64,
    /// The largest price list accepted, fetched or uploaded.
    pub max_bytes: usize,
    /// Whether feed URLs may reach loopback, private, link-local and other internal addresses:
    /// `false`, `true`, or the networks allowed (`["192.168.10.20/32"]`).
    pub allow_private_networks: PrivateNetworks,
}

/// Which internal networks outbound fetches may reach.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PrivateNetworks {
    /// `false`: none; `true`: all.
    All(bool),
    /// Only these.
    Only(#[serde(deserialize_with = "addresses_or_networks")] Vec<ipnet::IpNet>),
}

impl Default for PrivateNetworks {
    fn default() -> Self {
        Self::All(false)
    }
}

impl Default for FeedsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "0 0 5 * * *".into(),
            match_threshold: 0.85,
            fetch_timeout_secs: 60,
            max_bytes: 20 * 1024 * 1024,
            allow_private_networks: PrivateNetworks::default(),
        }
    }
}

impl FeedsConfig {
    /// What is wrong with `[feeds]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        errors.extend(cron_problem("feeds.schedule", &self.schedule));
        if !(0.5..=1.0).contains(&self.match_threshold) {
            errors.push("feeds.match_threshold: must be between 0.5 and 1".into());
        }
        if !(1..=3600).contains(&self.fetch_timeout_secs) {
            errors.push("feeds.fetch_timeout_secs: must be between 1 and 3600".into());
        }
        if self.max_bytes < 1024 {
            errors.push("feeds.max_bytes: must be at least 1024".into());
        }
        errors
    }
}
