//! What the node tells operators: logs, OpenTelemetry traces and metrics, and `GET /metrics`.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::redact;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when standard output is not a terminal, human-readable otherwise.
    Auto,
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `tracing` filter, e.g. `info` or `info,sqlx=warn`; `RUST_LOG` wins when set.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Auto,
        }
    }
}

impl LogConfig {
    /// What is wrong with `[log]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.level) {
            errors.push(format!("log.level: {e}"));
        }
        errors
    }
}

/// Traces and metrics: OpenTelemetry over OTLP (off by default) and `GET /metrics` for Prometheus.
/// The standard `OTEL_*` variables apply where a setting here is unset.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    pub otlp_enabled: bool,
    /// Unset: `OTEL_EXPORTER_OTLP_ENDPOINT`, else the protocol's default on localhost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp_endpoint: Option<String>,
    /// Unset: `OTEL_EXPORTER_OTLP_PROTOCOL`, else gRPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp_protocol: Option<OtlpProtocol>,
    /// `key=value,key2=value2` sent with every export (an API key); unset: `OTEL_EXPORTER_OTLP_HEADERS`.
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub otlp_headers: Option<SecretString>,
    /// Share of new traces kept (a caller's sampling decision is followed); unset: `OTEL_TRACES_SAMPLER`
    /// and `OTEL_TRACES_SAMPLER_ARG`, else every trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampling_ratio: Option<f64>,
    /// How often metrics are pushed over OTLP.
    pub metrics_interval_secs: u64,
    /// `service.name`; `OTEL_SERVICE_NAME` wins when set.
    pub service_name: String,
    /// `GET /metrics` in Prometheus text format.
    pub prometheus_enabled: bool,
    /// The bearer token scrapers send; unset: only loopback clients are answered.
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub prometheus_token: Option<SecretString>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_enabled: false,
            otlp_endpoint: None,
            otlp_protocol: None,
            otlp_headers: None,
            sampling_ratio: None,
            metrics_interval_secs: 60,
            service_name: "sports-nutrition".into(),
            prometheus_enabled: true,
            prometheus_token: None,
        }
    }
}

impl TelemetryConfig {
    /// What is wrong with `[telemetry]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Some(ratio) = self.sampling_ratio {
            if !(0.0..=1.0).contains(&ratio) {
                errors.push(format!(
                    "telemetry.sampling_ratio: {ratio} is not between 0 and 1"
                ));
            }
        }
        if self.metrics_interval_secs == 0 {
            errors.push("telemetry.metrics_interval_secs: must be at least 1".into());
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            match url::Url::parse(endpoint) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => errors.push(format!(
                    "telemetry.otlp_endpoint: {endpoint:?} is not an http:// or https:// URL"
                )),
            }
        }
        if let Some(headers) = &self.otlp_headers {
            if parse_headers(headers.expose_secret()).is_none() {
                errors.push(
                    "telemetry.otlp_headers: not a list of key=value pairs separated by commas"
                        .into(),
                );
            }
        }
        errors
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum OtlpProtocol {
    #[serde(rename = "grpc")]
    Grpc,
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

/// `key=value,key2=value2` (the `OTEL_EXPORTER_OTLP_HEADERS` format, values percent-decoded).
pub fn parse_headers(text: &str) -> Option<Vec<(String, String)>> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = key.trim();
            let valid = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            valid.then(|| {
                (
                    key.to_ascii_lowercase(),
                    percent_encoding::percent_decode_str(value.trim())
                        .decode_utf8_lossy()
                        .into_owned(),
                )
            })
        })
        .collect()
}
