//! The athletes' app.

use serde::{Deserialize, Serialize};

/// The athletes' app at `/` (a progressive web app on the public API).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    /// Serve it. Off for clubs that want only the API (and the dashboard): `/` answers 404.
    pub enabled: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}
