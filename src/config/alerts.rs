//! The node's self-check, and the alerts it raises by webhook and e-mail.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{cron_problem, redact};

/// The node's scheduled look at itself (every node runs its own).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelfCheckConfig {
    pub enabled: bool,
    /// Cron with seconds, UTC. Every minute.
    pub schedule: String,
    /// Latency and error rate are measured over this many seconds of requests.
    pub window_secs: u64,
    /// Self-check reports are kept this many days.
    pub keep_days: u32,
}

impl Default for SelfCheckConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "0 * * * * *".into(),
            window_secs: 300,
            keep_days: 7,
        }
    }
}

impl SelfCheckConfig {
    /// What is wrong with `[self_check]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        errors.extend(cron_problem("self_check.schedule", &self.schedule));
        if self.window_secs < 10 {
            errors.push("self_check.window_secs: must be at least 10".into());
        }
        errors
    }
}

/// When the self-check raises an alert, and whom it tells.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Evaluate the rules after each self-check.
    pub enabled: bool,
    /// A condition must hold this long before its alert fires.
    pub for_secs: u64,
    /// A firing alert is notified again at most this often.
    pub repeat_interval_secs: u64,
    pub p95_ms: f64,
    pub error_rate_pct: f64,
    pub db_pool_pct: f64,
    pub cpu_pct: f64,
    pub memory_pct: f64,
    pub disk_pct: f64,
    pub cache_evictions_per_sec: f64,
    pub backup_max_age_hours: f64,
    pub cert_expiry_days: f64,
    pub webhook: WebhookConfig,
    pub email: EmailConfig,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            for_secs: 120,
            repeat_interval_secs: 3600,
            p95_ms: 1000.0,
            error_rate_pct: 1.0,
            db_pool_pct: 80.0,
            cpu_pct: 80.0,
            memory_pct: 85.0,
            disk_pct: 80.0,
            cache_evictions_per_sec: 0.0,
            backup_max_age_hours: 26.0,
            cert_expiry_days: 14.0,
            webhook: WebhookConfig::default(),
            email: EmailConfig::default(),
        }
    }
}

impl AlertsConfig {
    /// What is wrong with `[alerts]`, `[alerts.webhook]` and `[alerts.email]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (key, value, max) in [
            ("error_rate_pct", self.error_rate_pct, 100.0),
            ("db_pool_pct", self.db_pool_pct, 100.0),
            ("cpu_pct", self.cpu_pct, 100.0),
            ("memory_pct", self.memory_pct, 100.0),
            ("disk_pct", self.disk_pct, 100.0),
            ("p95_ms", self.p95_ms, f64::MAX),
            (
                "cache_evictions_per_sec",
                self.cache_evictions_per_sec,
                f64::MAX,
            ),
            ("backup_max_age_hours", self.backup_max_age_hours, f64::MAX),
            ("cert_expiry_days", self.cert_expiry_days, f64::MAX),
        ] {
            if !(0.0..=max).contains(&value) {
                errors.push(format!("alerts.{key}: must be between 0 and {max}"));
            }
        }
        if let Some(url) = &self.webhook.url {
            match url::Url::parse(url.expose_secret()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => errors.push("alerts.webhook.url: must be an http:// or https:// URL".into()),
            }
        }
        let email = &self.email;
        if email.smtp_host.is_some() {
            if email.to.is_empty() {
                errors.push("alerts.email.to: name at least one recipient".into());
            }
            match &email.from {
                None => {
                    errors.push("alerts.email.from: required with alerts.email.smtp_host".into())
                }
                Some(from) if from.parse::<lettre::message::Mailbox>().is_err() => errors.push(
                    format!("alerts.email.from: {from:?} is not an e-mail address"),
                ),
                Some(_) => {}
            }
            for to in &email.to {
                if to.parse::<lettre::message::Mailbox>().is_err() {
                    errors.push(format!("alerts.email.to: {to:?} is not an e-mail address"));
                }
            }
            if email.smtp_username.is_some() != email.smtp_password.is_some() {
                errors.push("alerts.email.smtp_password: give both smtp_username and smtp_password, or neither".into());
            }
        }
        errors
    }
}

/// Alerts POSTed as JSON.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Unset: no webhook. A secret (it often carries a token).
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub url: Option<SecretString>,
    pub timeout_secs: u64,
    /// Further attempts after a failed one, waiting `backoff_ms`, then twice that, and so on.
    pub retries: u32,
    pub backoff_ms: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url: None,
            timeout_secs: 10,
            retries: 5,
            backoff_ms: 1000,
        }
    }
}

/// Alerts e-mailed over SMTP.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {
    /// Unset: no e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_username: Option<String>,
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<SecretString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: Vec<String>,
    pub timeout_secs: u64,
    pub retries: u32,
    pub backoff_ms: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp_host: None,
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: None,
            smtp_password: None,
            from: None,
            to: Vec::new(),
            timeout_secs: 30,
            retries: 3,
            backoff_ms: 5000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine.
    None,
}
