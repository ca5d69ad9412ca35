//! `GET /admin/settings`: the node's effective configuration (file, `SN_*` variables and secret
//! files merged), secrets shown as `[redacted]`, and when a change takes effect. Admins only.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, payload::Json};

use super::security::AdminAuth;
use super::{ApiTags, AppState, error::ApiError};
use crate::config::Config;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Applies {
    /// Read at start: change `config.toml` (or the `SN_*` variable) and restart the node.
    Restart,
    /// The files named are re-read when they change (and on SIGHUP); the setting itself needs a
    /// restart.
    FilesReloaded,
}

/// One setting.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct Setting {
    /// Dotted, as in `SN_` variables with `__` for the dots: `server.port`.
    pub key: String,
    /// TOML syntax; `[redacted]` for a secret that is set.
    pub value: String,
    pub secret: bool,
    pub applies: Applies,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct Settings {
    /// In key order.
    pub settings: Vec<Setting>,
}

/// The settings of `config`, flattened and redacted, computed once at start.
pub fn effective(config: &Config) -> Arc<Vec<Setting>> {
    let mut out = Vec::new();
    if let Ok(value) = toml::from_str::<toml::Value>(&config.to_redacted_toml()) {
        flatten("", &value, &mut out);
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Arc::new(out)
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut Vec<Setting>) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, out);
            }
        }
        other => {
            let value = other.to_string();
            let applies = if matches!(prefix, "tls.cert_path" | "tls.key_path") {
                Applies::FilesReloaded
            } else {
                Applies::Restart
            };
            out.push(Setting {
                key: prefix.to_owned(),
                secret: value == "\"[redacted]\"",
                value,
                applies,
            });
        }
    }
}

#[derive(Default)]
pub struct SettingsApi;

#[OpenApi(prefix_path = "/admin", tag = "ApiTags::Admin")]
impl SettingsApi {
    /// Effective settings
    ///
    /// This node's configuration as it runs, secrets redacted, with when a change takes effect.
    /// Admins.
    #[oai(path = "/settings", method = "get", operation_id = "getSettings")]
    async fn settings(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<Settings>, ApiError> {
        Ok(Json(Settings {
            settings: state.settings.as_ref().clone(),
        }))
    }
}
