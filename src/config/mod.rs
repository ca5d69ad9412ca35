//! Typed configuration: `config.toml`, then `SN_*` environment variables, then secret files.
//!
//! Every key has a default (see the repository's `config.toml`); validation happens once, at start-up,
//! and names the key that is wrong.

mod alerts;
mod app;
mod auth;
mod backup;
mod cache;
mod database;
mod feeds;
mod i18n;
mod observability;
mod server;
mod tls;

use std::path::{Path, PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

pub use alerts::{AlertsConfig, EmailConfig, SelfCheckConfig, SmtpSecurity, WebhookConfig};
pub use app::AppConfig;
pub use auth::{Argon2Config, AuthConfig, RateLimitConfig, RunMode, SecurityConfig};
pub use backup::{BackupConfig, S3Config};
pub use cache::{CacheBackend, CacheConfig};
pub use database::{DatabaseConfig, ManagedDatabaseConfig, StorageConfig};
pub use feeds::{FeedsConfig, PrivateNetworks};
pub use i18n::I18nConfig;
pub use observability::{LogConfig, LogFormat, OtlpProtocol, TelemetryConfig, parse_headers};
pub use server::{LimitsConfig, ServerConfig};
pub use tls::{AcmeChallenge, AcmeConfig, LETS_ENCRYPT_PRODUCTION, TlsConfig, TlsMode};

/// Prefix of every environment override: `SN_SERVER__PORT=9000` sets `server.port`.
pub const ENV_PREFIX: &str = "SN_";

/// The whole configuration of one node.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub limits: LimitsConfig,
    pub tls: TlsConfig,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub log: LogConfig,
    pub telemetry: TelemetryConfig,
    pub auth: AuthConfig,
    pub security: SecurityConfig,
    pub rate_limit: RateLimitConfig,
    pub feeds: FeedsConfig,
    pub i18n: I18nConfig,
    pub cache: CacheConfig,
    pub backup: BackupConfig,
    pub self_check: SelfCheckConfig,
    pub alerts: AlertsConfig,
    pub app: AppConfig,
}

/// A configuration that cannot be used, with every key that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // figment's message is whole: not a source too, or it would print twice.
    #[error("configuration: {0}")]
    Parse(Box<figment::Error>),
    #[error("configuration: cannot read secret file {path} for `{key}`: {reason}")]
    SecretFile {
        key: String,
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("configuration: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl Config {
    /// Reads `path` (when given), then `SN_*` environment variables, then secret files, and validates the result.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = path {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            key != "config" && !key.ends_with("_file")
        }));
        for (key, value) in secret_overrides(std::env::vars())? {
            figment = figment.merge((key, value));
        }
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let errors: Vec<String> = [
            self.database.problems(),
            self.server.problems(),
            self.limits.problems(),
            self.storage.problems(),
            self.auth.problems(),
            self.security.problems(),
            self.telemetry.problems(),
            self.tls.problems(),
            self.backup.problems(),
            self.cache.problems(),
            self.i18n.problems(),
            self.feeds.problems(),
            self.rate_limit.problems(),
            self.self_check.problems(),
            self.alerts.problems(),
            self.log.problems(),
        ]
        .into_iter()
        .flatten()
        .chain(self.acme_key_problem())
        .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(errors))
        }
    }

    /// Nodes on a shared database store their certificates sealed with one key, which a node
    /// cannot make up for itself (a single node keeps a generated one in `storage.data_dir`).
    pub fn acme_key_problem(&self) -> Option<String> {
        (self.tls.mode == TlsMode::Acme
            && self.tls.acme.storage_key.is_none()
            && self.database.url.is_some()
            && self.security.mode == RunMode::Production)
            .then(|| {
                "tls.acme.storage_key: required when database.url is set, since every node must open \
                 the certificates the others store; generate one with `openssl rand -base64 48` and \
                 pass it as SN_TLS__ACME__STORAGE_KEY_FILE or a systemd credential"
                    .into()
            })
    }

    /// Secrets an attacker could guess, each with the key that holds it: a JWT secret shorter than
    /// 32 characters, a database or Redis password shorter than 16, or a default/example value.
    /// Production refuses to start with any of them; development warns.
    pub fn weak_secrets(&self) -> Vec<String> {
        let mut weak = Vec::new();
        if let Some(secret) = &self.auth.jwt_secret {
            let secret = secret.expose_secret();
            if secret.chars().count() < 32 {
                weak.push("auth.jwt_secret: shorter than 32 characters".to_string());
            } else if looks_like_placeholder(secret) {
                weak.push("auth.jwt_secret: a default or example value".into());
            }
        }
        if let Some(token) = &self.telemetry.prometheus_token {
            let token = token.expose_secret();
            if token.chars().count() < 32 {
                weak.push("telemetry.prometheus_token: shorter than 32 characters".to_string());
            }
        }
        if let Some(key) = &self.tls.acme.storage_key {
            let key = key.expose_secret();
            if key.chars().count() < 32 {
                weak.push("tls.acme.storage_key: shorter than 32 characters".to_string());
            } else if looks_like_placeholder(key) {
                weak.push("tls.acme.storage_key: a default or example value".into());
            }
        }
        for (key, url) in [
            ("database.url", &self.database.url),
            ("cache.redis_url", &self.cache.redis_url),
        ] {
            if let Some(problem) = url
                .as_ref()
                .and_then(|u| weak_url_password(u.expose_secret()))
            {
                weak.push(format!("{key}: the password is {problem}"));
            }
        }
        weak
    }

    /// The effective configuration as TOML, secrets replaced by `[redacted]`.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the configuration always serializes")
    }

    /// Where backups are written.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup
            .dir
            .clone()
            .unwrap_or_else(|| self.storage.data_dir.join("backups"))
    }

    /// The managed cluster's directory (used only when `database.url` is unset).
    pub fn managed_cluster_dir(&self) -> PathBuf {
        self.storage.data_dir.join("postgres")
    }

    /// Where the first-run setup link is written while no admin exists.
    pub fn setup_link_file(&self) -> PathBuf {
        self.storage.data_dir.join("setup-link")
    }

    /// The URL a person opens to reach this node, whose main listener has `port`: its certificate's
    /// first domain with ACME, else the address it listens on (a node listening on every address,
    /// by this machine's name).
    pub fn public_base_url(&self, port: u16) -> String {
        let https = self.tls.mode != TlsMode::Off;
        let port = match https {
            true => self.tls.public_https_port.unwrap_or(port),
            false => port,
        };
        let host = match (self.tls.mode, self.tls.acme.domains.first()) {
            (TlsMode::Acme, Some(domain)) => domain.clone(),
            _ if self.server.host.is_unspecified() => nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "127.0.0.1".into()),
            _ => match self.server.host {
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            },
        };
        let (scheme, default_port) = if https { ("https", 443) } else { ("http", 80) };
        if port == default_port {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{port}")
        }
    }
}

/// What makes the password in a connection URL guessable, if anything.
fn weak_url_password(url: &str) -> Option<&'static str> {
    let url = url::Url::parse(url).ok()?;
    let password = percent_encoding::percent_decode_str(url.password()?)
        .decode_utf8_lossy()
        .into_owned();
    if password.chars().count() < 16 {
        Some("shorter than 16 characters")
    } else if looks_like_placeholder(&password) {
        Some("a default or example value")
    } else {
        None
    }
}

/// What is wrong with `key`'s cron, parsed as the scheduler parses it (seconds first, UTC).
fn cron_problem(key: &str, cron: &str) -> Option<String> {
    (cron.split_whitespace().count() != 6 || crate::ops::leader::Schedule::parse(cron).is_err())
        .then(|| {
            format!(
                "{key}: {cron:?} is not a cron expression with seconds (6 fields), e.g. \"0 0 3 * * *\""
            )
        })
}

/// `SN_DATABASE__URL_FILE=/run/secrets/db` and systemd credentials (`LoadCredential=database.url:…`)
/// provide secrets without putting them in the environment or the config file.
fn secret_overrides(
    env: impl Iterator<Item = (String, String)>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let env: Vec<(String, String)> = env.collect();
    let mut out = Vec::new();
    if let Some((_, dir)) = env.iter().find(|(k, _)| k == "CREDENTIALS_DIRECTORY") {
        let entries = std::fs::read_dir(dir).map_err(|reason| ConfigError::SecretFile {
            key: "CREDENTIALS_DIRECTORY".into(),
            path: dir.into(),
            reason,
        })?;
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files {
            let Some(key) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            out.push((key.clone(), read_secret(&key, &path)?));
        }
    }
    for (name, path) in &env {
        let Some(key) = name
            .strip_prefix(ENV_PREFIX)
            .and_then(|k| k.strip_suffix("_FILE"))
        else {
            continue;
        };
        let key = key.to_ascii_lowercase().replace("__", ".");
        out.push((key.clone(), read_secret(&key, Path::new(path))?));
    }
    Ok(out)
}

fn read_secret(key: &str, path: &Path) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|reason| ConfigError::SecretFile {
        key: key.to_string(),
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Values copied from documentation rather than generated: they contain a well-known placeholder.
fn looks_like_placeholder(secret: &str) -> bool {
    const PLACEHOLDERS: &[&str] = &[
        "changeme",
        "change-me",
        "change_me",
        "example",
        "secret",
        "password",
        "default",
        "xxxxxxxx",
        "replace",
        "your-",
        "your_",
        "todo",
        "12345678",
        "sports-nutrition",
    ];
    let lower = secret.to_lowercase();
    PLACEHOLDERS.iter().any(|p| lower.contains(p))
}

fn redact<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
// figment::Jail's closures return figment's own (large) error type
#[allow(clippy::result_large_err)]
mod tests;
