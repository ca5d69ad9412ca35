//! Typed configuration: `config.toml`, then `SN_*` environment variables, then secret files.
//!
//! Every key has a default (see the repository's `config.toml`); validation happens once, at start-up,
//! and names the key that is wrong.

use std::{
    net::IpAddr,
    path::{Path, PathBuf},
};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

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
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; `0.0.0.0` or `::` to accept connections from other machines.
    pub host: IpAddr,
    /// TCP port; 0 picks a free one (tests).
    pub port: u16,
    /// Largest request body a signed-in caller may send, in bytes; larger bodies get 413.
    pub body_limit_bytes: usize,
    /// Largest request body of a caller without a valid access token (sign-in, registration,
    /// refresh), in bytes.
    pub anonymous_body_limit_bytes: usize,
    /// The longest a request body may take to arrive; slower uploads get 408.
    pub body_read_timeout_secs: u64,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_timeout_secs: u64,
    /// Requests served at the same time; more get 503 with `Retry-After` at once instead of
    /// queueing (probes and `/metrics` are never refused). 0: no limit.
    pub max_concurrent_requests: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8080,
            body_limit_bytes: 1024 * 1024,
            anonymous_body_limit_bytes: 16 * 1024,
            body_read_timeout_secs: 30,
            shutdown_timeout_secs: 30,
            max_concurrent_requests: 256,
        }
    }
}

/// Bounds on the work of the planners (shopping and meal plans).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Threads that run plan solves, below request handling's priority; 0: one per CPU.
    pub solver_threads: usize,
    /// Solves that may wait for a thread; more are refused with 503 at once.
    pub solver_queue: usize,
    /// What all the solves of one request may run together, in milliseconds (waiting for a thread
    /// does not count); a plan cut short is the best found, marked as not proven optimal.
    pub solve_time_ms: u64,
    /// Search steps one solve may take.
    pub solve_steps: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            solver_threads: 0,
            solver_queue: 8,
            solve_time_ms: 800,
            solve_steps: 2_000_000,
        }
    }
}

/// HTTPS terminated by the binary on `server.port`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub mode: TlsMode,
    /// `files`: PEM certificate chain (leaf first) and private key; reloaded when they change and
    /// on SIGHUP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_path: Option<PathBuf>,
    /// How often the files are looked at for a change.
    pub reload_interval_secs: u64,
    /// Plain HTTP on this port redirects to HTTPS (and serves `/health` and `/ready` for probes);
    /// unset: no plain listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_port: Option<u16>,
    /// `Strict-Transport-Security` max-age on HTTPS responses; 0: no header.
    pub hsts_max_age_secs: u64,
    pub hsts_include_subdomains: bool,
    /// A TLS handshake must finish within this many seconds.
    pub handshake_timeout_secs: u64,
    /// The HTTPS port clients see, for the redirect (a port mapping in front of the node); unset:
    /// `server.port`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_https_port: Option<u16>,
    pub acme: AcmeConfig,
}

/// `tls.mode = "acme"`: certificates ordered from an RFC 8555 CA and renewed by the binary.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcmeConfig {
    /// The names on the certificate (the first is its subject); every node serves all of them.
    pub domains: Vec<String>,
    /// Contact e-mail addresses for the CA's expiry and incident notices.
    pub contact: Vec<String>,
    /// The CA's directory: Let's Encrypt production by default.
    pub directory_url: String,
    /// A PEM root certificate trusted (besides the public roots) for the CA's own HTTPS: a private CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_root: Option<PathBuf>,
    pub challenge: AcmeChallenge,
    /// External Account Binding, for CAs that need it: the key id and the base64url HMAC key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eab_key_id: Option<String>,
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub eab_hmac_key: Option<SecretString>,
    /// Seals the account and certificate keys in PostgreSQL. Unset on a single node: generated in
    /// the data directory; every node of a cluster needs the same one.
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub storage_key: Option<SecretString>,
    /// How often a node looks for a certificate another node obtained, and whether renewal is due.
    pub check_interval_secs: u64,
    /// After a failed attempt, the next waits this long, doubling up to `retry_max_secs` (with jitter).
    pub retry_initial_secs: u64,
    pub retry_max_secs: u64,
    /// One order (challenges, issuance) must finish within this many seconds.
    pub order_timeout_secs: u64,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        Self {
            domains: Vec::new(),
            contact: Vec::new(),
            directory_url: LETS_ENCRYPT_PRODUCTION.into(),
            ca_root: None,
            challenge: AcmeChallenge::TlsAlpn01,
            eab_key_id: None,
            eab_hmac_key: None,
            storage_key: None,
            check_interval_secs: 60,
            retry_initial_secs: 60,
            retry_max_secs: 6 * 3600,
            order_timeout_secs: 120,
        }
    }
}

pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How the CA checks that this node answers for the domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum AcmeChallenge {
    /// A special certificate on the HTTPS port (ALPN `acme-tls/1`): needs port 443 reachable.
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
    /// A token under `/.well-known/acme-challenge/` on the plain port (`tls.http_port`, port 80).
    #[serde(rename = "http-01")]
    Http01,
}

impl AcmeChallenge {
    pub fn as_str(self) -> &'static str {
        match self {
            AcmeChallenge::TlsAlpn01 => "tls-alpn-01",
            AcmeChallenge::Http01 => "http-01",
        }
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            mode: TlsMode::Off,
            cert_path: None,
            key_path: None,
            reload_interval_secs: 10,
            http_port: None,
            hsts_max_age_secs: 31_536_000,
            hsts_include_subdomains: false,
            handshake_timeout_secs: 10,
            public_https_port: None,
            acme: AcmeConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain HTTP (behind a load balancer that terminates TLS, or on a private network).
    Off,
    /// A certificate and key from PEM files.
    Files,
    /// Certificates ordered and renewed by the binary from an ACME CA (`tls.acme`).
    Acme,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum OtlpProtocol {
    #[serde(rename = "grpc")]
    Grpc,
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// HS256 signing key of access tokens, at least 32 characters, the same on every node. Unset with
    /// the managed database: generated once into `<storage.data_dir>/jwt-secret`.
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub jwt_secret: Option<SecretString>,
    /// `iss` of issued tokens, checked on every request.
    pub issuer: String,
    /// `aud` of issued tokens, checked on every request.
    pub audience: String,
    pub access_token_ttl_secs: u64,
    /// A session ends this long after its last refresh.
    pub refresh_token_ttl_days: u32,
    /// A session ends this long after its sign-in, however often it is refreshed.
    pub session_max_age_days: u32,
    /// Destructive admin operations need the password entered again within this many seconds.
    pub reauthentication_window_secs: u64,
    /// Password hashes computed at once; 0 means one per CPU. Further sign-ins wait their turn.
    pub hash_concurrency: usize,
    pub argon2: Argon2Config,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            issuer: "sports-nutrition".into(),
            audience: "sports-nutrition-api".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            session_max_age_days: 90,
            reauthentication_window_secs: 300,
            hash_concurrency: 0,
            argon2: Argon2Config::default(),
        }
    }
}

/// argon2id cost; the defaults are OWASP's (2025) minimum: 19 MiB, 2 iterations, 1 lane.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Weak secrets stop the start-up.
    Production,
    /// Weak secrets are only warned about.
    Development,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    pub mode: RunMode,
    /// Browser origins allowed to call the API from other sites (CORS), e.g. `https://club.example.rs`.
    pub cors_origins: Vec<String>,
    /// Load balancers whose `X-Forwarded-For` names the real client (addresses or CIDR networks).
    #[serde(deserialize_with = "addresses_or_networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// `"10.0.0.10"` (one address) or `"10.0.0.0/24"`.
fn addresses_or_networks<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ipnet::IpNet>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| {
            text.parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "\"{text}\" is neither an IP address nor a CIDR network"
                    ))
                })
        })
        .collect()
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            mode: RunMode::Production,
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Length of the window every limit below is counted over.
    pub window_secs: u64,
    /// Requests per window per client address to endpoints that need no sign-in.
    pub public_requests: u32,
    /// Sign-in and registration attempts per window per client address.
    pub auth_attempts_per_ip: u32,
    /// Failed sign-ins per window per account (e-mail address), whatever the address; past them,
    /// each address gets one more try at the account until a sign-in succeeds.
    pub login_attempts_per_account: u32,
    /// Requests per window per signed-in account.
    pub account_requests: u32,
    /// Plans, recommendations, exports and password changes per window per signed-in account.
    pub expensive_requests: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            window_secs: 15 * 60,
            public_requests: 100,
            auth_attempts_per_ip: 30,
            login_attempts_per_account: 10,
            account_requests: 3000,
            expensive_requests: 300,
        }
    }
}

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

/// Scheduled `pg_dump` backups, their verification and retention.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Take backups on `schedule` (the leader node only).
    pub enabled: bool,
    /// Cron with seconds, UTC.
    pub schedule: String,
    /// Where backups are written; default `<storage.data_dir>/backups`.
    pub dir: Option<PathBuf>,
    /// Keep every good backup this many days…
    pub keep_days: u32,
    /// …and at least the newest this many…
    pub keep_last: u32,
    /// …and the newest of each week for this many weeks.
    pub keep_weekly_weeks: u32,
    /// Restore the newest backup into a scratch database and compare it with the live one, on this
    /// cron (default weekly, Sunday 04:30 UTC); empty: never.
    pub deep_verify_schedule: String,
    /// Where `pg_dump` and `pg_restore` are, for an external database; default: PATH, then the
    /// newest `/usr/lib/postgresql/*/bin`. The managed cluster uses its own.
    pub pg_bin_dir: Option<PathBuf>,
    /// The longest a dump or restore may run.
    pub timeout_secs: u64,
    /// A copy of each good backup in S3-compatible storage.
    pub s3: S3Config,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "0 0 3 * * *".into(),
            dir: None,
            keep_days: 30,
            keep_last: 7,
            keep_weekly_weeks: 8,
            deep_verify_schedule: "0 30 4 * * 0".into(),
            pg_bin_dir: None,
            timeout_secs: 3600,
            s3: S3Config::default(),
        }
    }
}

/// Where good backups are uploaded: AWS S3 or any S3-compatible server (MinIO, Garage, Ceph…).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Unset: no upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Unset: AWS. An `http://` endpoint is allowed (a server on a private network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub region: String,
    /// Object keys are `<prefix><file name>`.
    pub prefix: String,
    /// Unset: the AWS_* environment, then the instance's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<SecretString>,
    /// Bucket in the host name (AWS) rather than the path (most S3-compatible servers).
    pub virtual_hosted_style: bool,
    /// Files larger than this are uploaded in parts of this size.
    pub part_size_bytes: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            bucket: None,
            endpoint: None,
            region: "us-east-1".into(),
            prefix: "sports-nutrition/".into(),
            access_key_id: None,
            secret_access_key: None,
            virtual_hosted_style: false,
            part_size_bytes: 16 * 1024 * 1024,
        }
    }
}

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

/// Where the cache and the rate-limit counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// This node only.
    Memory,
    /// Shared by every node, with a small in-process tier (`cache.redis_url`).
    Redis,
}

/// Languages.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct I18nConfig {
    /// The language of a response when neither `?lang=`, the user's saved language nor the
    /// `Accept-Language` header names a supported one.
    pub default_locale: String,
}

impl Default for I18nConfig {
    fn default() -> Self {
        Self {
            default_locale: "sr-Latn".into(),
        }
    }
}

/// A configuration that cannot be used, with every key that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(#[from] Box<figment::Error>),
    #[error("configuration: cannot read secret file {path} for `{key}`: {source}")]
    SecretFile {
        key: String,
        path: PathBuf,
        source: std::io::Error,
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
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut errors = Vec::new();
        let db = &self.database;
        if db.max_connections == 0 {
            errors.push("database.max_connections: must be at least 1".to_string());
        }
        if db.min_connections > db.max_connections {
            errors
                .push("database.min_connections: must not exceed database.max_connections".into());
        }
        if db.acquire_timeout_secs == 0 {
            errors.push("database.acquire_timeout_secs: must be at least 1".into());
        }
        if let Some(url) = &db.url {
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                errors.push("database.url: must start with postgres:// or postgresql://".into());
            }
        }
        if db.managed.run_as.trim().is_empty() {
            errors.push("database.managed.run_as: must name an OS user".into());
        }
        if self.server.body_limit_bytes < 1024 {
            errors.push("server.body_limit_bytes: must be at least 1024".into());
        }
        if !(1024..=self.server.body_limit_bytes.max(1024))
            .contains(&self.server.anonymous_body_limit_bytes)
        {
            errors.push(
                "server.anonymous_body_limit_bytes: must be between 1024 and server.body_limit_bytes"
                    .into(),
            );
        }
        if !(1..=3600).contains(&self.server.body_read_timeout_secs) {
            errors.push("server.body_read_timeout_secs: must be between 1 and 3600".into());
        }
        let limits = &self.limits;
        if limits.solver_queue == 0 {
            errors.push("limits.solver_queue: must be at least 1".into());
        }
        if !(10..=60_000).contains(&limits.solve_time_ms) {
            errors.push("limits.solve_time_ms: must be between 10 and 60000".into());
        }
        if limits.solve_steps < 1000 {
            errors.push("limits.solve_steps: must be at least 1000".into());
        }
        if self.storage.data_dir.as_os_str().is_empty() {
            errors.push("storage.data_dir: must not be empty".into());
        }
        let auth = &self.auth;
        if auth.issuer.trim().is_empty() {
            errors.push("auth.issuer: must not be empty".into());
        }
        if auth.audience.trim().is_empty() {
            errors.push("auth.audience: must not be empty".into());
        }
        if !(60..=24 * 3600).contains(&auth.access_token_ttl_secs) {
            errors.push("auth.access_token_ttl_secs: must be between 60 and 86400".into());
        }
        if !(1..=365).contains(&auth.refresh_token_ttl_days) {
            errors.push("auth.refresh_token_ttl_days: must be between 1 and 365".into());
        }
        if !(1..=3650).contains(&auth.session_max_age_days) {
            errors.push("auth.session_max_age_days: must be between 1 and 3650".into());
        }
        if !(30..=3600).contains(&auth.reauthentication_window_secs) {
            errors.push("auth.reauthentication_window_secs: must be between 30 and 3600".into());
        }
        if let Err(e) = argon2::Params::new(
            auth.argon2.memory_kib,
            auth.argon2.iterations,
            auth.argon2.parallelism,
            None,
        ) {
            errors.push(format!("auth.argon2: {e}"));
        }
        for origin in &self.security.cors_origins {
            match url::Url::parse(origin) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.path() == "/" && !origin.ends_with('/') => {}
                _ => errors.push(format!(
                    "security.cors_origins: {origin:?} is not an origin like https://club.example.rs"
                )),
            }
        }
        let telemetry = &self.telemetry;
        if let Some(ratio) = telemetry.sampling_ratio {
            if !(0.0..=1.0).contains(&ratio) {
                errors.push(format!(
                    "telemetry.sampling_ratio: {ratio} is not between 0 and 1"
                ));
            }
        }
        if telemetry.metrics_interval_secs == 0 {
            errors.push("telemetry.metrics_interval_secs: must be at least 1".into());
        }
        if let Some(endpoint) = &telemetry.otlp_endpoint {
            match url::Url::parse(endpoint) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => errors.push(format!(
                    "telemetry.otlp_endpoint: {endpoint:?} is not an http:// or https:// URL"
                )),
            }
        }
        if let Some(headers) = &telemetry.otlp_headers {
            if parse_headers(headers.expose_secret()).is_none() {
                errors.push(
                    "telemetry.otlp_headers: not a list of key=value pairs separated by commas"
                        .into(),
                );
            }
        }
        let tls = &self.tls;
        if tls.mode == TlsMode::Files {
            for (key, path) in [
                ("tls.cert_path", &tls.cert_path),
                ("tls.key_path", &tls.key_path),
            ] {
                if path.is_none() {
                    errors.push(format!("{key}: required with tls.mode = \"files\""));
                }
            }
        }
        if tls.reload_interval_secs == 0 || tls.handshake_timeout_secs == 0 {
            errors.push(
                "tls.reload_interval_secs, tls.handshake_timeout_secs: must be at least 1".into(),
            );
        }
        if tls.http_port.is_some() && tls.mode == TlsMode::Off {
            errors.push(
                "tls.http_port: only with HTTPS (tls.mode \"files\" or \"acme\"; the redirect goes to HTTPS)"
                    .into(),
            );
        }
        if tls.mode == TlsMode::Acme {
            errors.extend(tls.acme.problems(tls.http_port));
        }
        let backup = &self.backup;
        // Parsed as the scheduler parses them (seconds first, UTC); an empty deep verify is "never".
        for (key, cron) in [
            ("backup.schedule", &backup.schedule),
            ("backup.deep_verify_schedule", &backup.deep_verify_schedule),
            ("feeds.schedule", &self.feeds.schedule),
            ("self_check.schedule", &self.self_check.schedule),
        ] {
            let never = cron.is_empty() && key == "backup.deep_verify_schedule";
            if !never
                && (cron.split_whitespace().count() != 6
                    || crate::ops::leader::Schedule::parse(cron).is_err())
            {
                errors.push(format!(
                    "{key}: {cron:?} is not a cron expression with seconds (6 fields), e.g. \"0 0 3 * * *\""
                ));
            }
        }
        if backup.keep_last == 0 {
            errors.push(
                "backup.keep_last: must be at least 1 (the newest good backup is always kept)"
                    .into(),
            );
        }
        if !(60..=86_400).contains(&backup.timeout_secs) {
            errors.push("backup.timeout_secs: must be between 60 and 86400".into());
        }
        let s3 = &backup.s3;
        if let Some(bucket) = &s3.bucket {
            if bucket.is_empty() || bucket.len() > 63 || bucket.contains('/') {
                errors.push(format!("backup.s3.bucket: {bucket:?} is not a bucket name"));
            }
            if let Some(endpoint) = &s3.endpoint {
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    errors.push("backup.s3.endpoint: must be an http:// or https:// URL".into());
                }
            }
            if s3.access_key_id.is_some() != s3.secret_access_key.is_some() {
                errors.push(
                    "backup.s3.secret_access_key: give both access_key_id and secret_access_key, or neither"
                        .into(),
                );
            }
        }
        if s3.prefix.starts_with('/') {
            errors.push("backup.s3.prefix: must not start with /".into());
        }
        if !(5 * 1024 * 1024..=5 * 1024 * 1024 * 1024).contains(&s3.part_size_bytes) {
            errors.push(
                "backup.s3.part_size_bytes: must be between 5 MiB and 5 GiB (S3's part sizes)"
                    .into(),
            );
        }
        let cache = &self.cache;
        if cache.backend == CacheBackend::Redis && cache.redis_url.is_none() {
            errors.push("cache.redis_url: needed with cache.backend = \"redis\"".into())
        }
        if let Some(url) = &cache.redis_url {
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
            ("catalogue_ttl_secs", cache.catalogue_ttl_secs),
            ("dishes_ttl_secs", cache.dishes_ttl_secs),
            ("rules_ttl_secs", cache.rules_ttl_secs),
            ("user_ttl_secs", cache.user_ttl_secs),
            ("session_ttl_secs", cache.session_ttl_secs),
        ] {
            if !(1..=86_400).contains(&v) {
                errors.push(format!("cache.{key}: must be between 1 and 86400"));
            }
        }
        if !(50..=60_000).contains(&cache.max_staleness_ms) {
            errors.push("cache.max_staleness_ms: must be between 50 and 60000".into());
        }
        if cache.max_bytes < 1024 * 1024 {
            errors.push("cache.max_bytes: must be at least 1048576".into());
        }
        if let Err(e) = crate::domain::account::Locale::parse(&self.i18n.default_locale) {
            errors.push(format!("i18n.default_locale: {e}"));
        }
        let feeds = &self.feeds;
        if !(0.5..=1.0).contains(&feeds.match_threshold) {
            errors.push("feeds.match_threshold: must be between 0.5 and 1".into());
        }
        if !(1..=3600).contains(&feeds.fetch_timeout_secs) {
            errors.push("feeds.fetch_timeout_secs: must be between 1 and 3600".into());
        }
        if feeds.max_bytes < 1024 {
            errors.push("feeds.max_bytes: must be at least 1024".into());
        }
        let limits = &self.rate_limit;
        if limits.window_secs == 0 {
            errors.push("rate_limit.window_secs: must be at least 1".into());
        }
        for (key, value) in [
            ("public_requests", limits.public_requests),
            ("auth_attempts_per_ip", limits.auth_attempts_per_ip),
            (
                "login_attempts_per_account",
                limits.login_attempts_per_account,
            ),
            ("account_requests", limits.account_requests),
            ("expensive_requests", limits.expensive_requests),
        ] {
            if value == 0 {
                errors.push(format!("rate_limit.{key}: must be at least 1"));
            }
        }
        if self.self_check.window_secs < 10 {
            errors.push("self_check.window_secs: must be at least 10".into());
        }
        let alerts = &self.alerts;
        for (key, value, max) in [
            ("error_rate_pct", alerts.error_rate_pct, 100.0),
            ("db_pool_pct", alerts.db_pool_pct, 100.0),
            ("cpu_pct", alerts.cpu_pct, 100.0),
            ("memory_pct", alerts.memory_pct, 100.0),
            ("disk_pct", alerts.disk_pct, 100.0),
            ("p95_ms", alerts.p95_ms, f64::MAX),
            (
                "cache_evictions_per_sec",
                alerts.cache_evictions_per_sec,
                f64::MAX,
            ),
            (
                "backup_max_age_hours",
                alerts.backup_max_age_hours,
                f64::MAX,
            ),
            ("cert_expiry_days", alerts.cert_expiry_days, f64::MAX),
        ] {
            if !(0.0..=max).contains(&value) {
                errors.push(format!("alerts.{key}: must be between 0 and {max}"));
            }
        }
        if let Some(url) = &alerts.webhook.url {
            match url::Url::parse(url.expose_secret()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => errors.push("alerts.webhook.url: must be an http:// or https:// URL".into()),
            }
        }
        let email = &alerts.email;
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
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            errors.push(format!("log.level: {e}"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(errors))
        }
    }

    /// Secrets an attacker could guess, each with the key that holds it: a JWT secret shorter than
    /// 32 characters, an external database password shorter than 16, or a default/example value.
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
        if let Some(url) = &self.database.url {
            if let Ok(url) = url::Url::parse(url.expose_secret()) {
                let password = url.password().map(|p| {
                    percent_encoding::percent_decode_str(p)
                        .decode_utf8_lossy()
                        .into_owned()
                });
                match password {
                    Some(p) if p.chars().count() < 16 => {
                        weak.push("database.url: the password is shorter than 16 characters".into())
                    }
                    Some(p) if looks_like_placeholder(&p) => {
                        weak.push("database.url: the password is a default or example value".into())
                    }
                    _ => {}
                }
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
}

impl AcmeConfig {
    /// What is wrong with this ACME configuration, each naming its key.
    fn problems(&self, http_port: Option<u16>) -> Vec<String> {
        let mut errors = Vec::new();
        if self.domains.is_empty() {
            errors.push(
                "tls.acme.domains: at least one domain is required with tls.mode = \"acme\"".into(),
            );
        }
        for domain in &self.domains {
            if !is_dns_name(domain) {
                errors.push(format!(
                    "tls.acme.domains: {domain:?} is not a DNS name like club.example.rs (wildcards need dns-01, which this binary does not do)"
                ));
            }
        }
        for contact in &self.contact {
            if !email_address::EmailAddress::is_valid(contact) {
                errors.push(format!(
                    "tls.acme.contact: {contact:?} is not an e-mail address"
                ));
            }
        }
        match url::Url::parse(&self.directory_url) {
            Ok(u) if u.scheme() == "https" => {}
            _ => errors.push(format!(
                "tls.acme.directory_url: {:?} is not an https:// URL",
                self.directory_url
            )),
        }
        if self.eab_key_id.is_some() != self.eab_hmac_key.is_some() {
            errors.push("tls.acme.eab_key_id, tls.acme.eab_hmac_key: give both or neither".into());
        }
        if let Some(key) = &self.eab_hmac_key {
            use base64::Engine as _;
            if base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(key.expose_secret().trim_end_matches('='))
                .is_err()
            {
                errors.push("tls.acme.eab_hmac_key: not base64url".into());
            }
        }
        if self.challenge == AcmeChallenge::Http01 && http_port.is_none() {
            errors.push(
                "tls.http_port: required with tls.acme.challenge = \"http-01\" (the CA connects to port 80)".into(),
            );
        }
        if self.check_interval_secs == 0
            || self.retry_initial_secs == 0
            || self.order_timeout_secs == 0
        {
            errors.push(
                "tls.acme.check_interval_secs, retry_initial_secs, order_timeout_secs: must be at least 1".into(),
            );
        }
        if self.retry_max_secs < self.retry_initial_secs {
            errors.push("tls.acme.retry_max_secs: must not be less than retry_initial_secs".into());
        }
        errors
    }

    /// The certificate's name in the store: its domains, sorted.
    pub fn certificate_name(&self) -> String {
        let mut domains: Vec<String> = self
            .domains
            .iter()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        domains.sort();
        domains.dedup();
        domains.join(",")
    }
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

/// A host name of letters, digits and hyphens in dot-separated labels (no wildcard, no IP).
fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.parse::<IpAddr>().is_err()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
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
        let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::SecretFile {
            key: "CREDENTIALS_DIRECTORY".into(),
            path: dir.into(),
            source,
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
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
        key: key.to_string(),
        path: path.to_path_buf(),
        source,
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
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own (large) error type
mod tests {
    use figment::Jail;

    use super::*;

    #[test]
    fn defaults_are_valid_and_need_no_file() {
        Jail::expect_with(|_jail| {
            let config = Config::load(None).unwrap();
            assert_eq!(config.server.port, 8080);
            assert!(config.database.url.is_none());
            assert_eq!(config.storage.data_dir, PathBuf::from("data"));
            Ok(())
        });
    }

    #[test]
    fn repository_config_toml_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
        Jail::expect_with(|_| {
            let from_file = Config::load(Some(&path)).unwrap();
            assert_eq!(
                from_file.to_redacted_toml(),
                Config::default().to_redacted_toml()
            );
            Ok(())
        });
    }

    /// The package's /etc/sports-nutrition/config.toml is the repository's file with the package's
    /// data directory: documentation and defaults cannot drift apart.
    #[test]
    fn packaged_config_toml_is_the_repository_one_with_the_package_paths() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repository = std::fs::read_to_string(root.join("config.toml")).unwrap();
        let packaged = std::fs::read_to_string(root.join("packaging/config.toml")).unwrap();
        let (header, body) = packaged
            .split_once("\n#\n")
            .expect("a header paragraph ending in an empty comment line");
        assert!(header.contains("storage.data_dir"), "{header}");
        let (_, repository_body) = repository.split_once("\n#\n").unwrap();
        assert_eq!(
            body,
            repository_body.replacen(
                "data_dir = \"data\"\n",
                "data_dir = \"/var/lib/sports-nutrition\"\n",
                1
            ),
            "packaging/config.toml must be config.toml with the package's data_dir"
        );
        Jail::expect_with(|_| {
            let config = Config::load(Some(&root.join("packaging/config.toml"))).unwrap();
            assert_eq!(
                config.storage.data_dir,
                Path::new("/var/lib/sports-nutrition")
            );
            assert_eq!(
                config.backup_dir(),
                Path::new("/var/lib/sports-nutrition/backups")
            );
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "SN_SECURITY__TRUSTED_PROXIES",
                r#"["10.0.0.10", "192.168.1.0/24", "::1"]"#,
            );
            let config = Config::load(None).unwrap();
            let shown: Vec<String> = config
                .security
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(shown, ["10.0.0.10/32", "192.168.1.0/24", "::1/128"]);
            jail.set_env("SN_SECURITY__TRUSTED_PROXIES", r#"["10.0.0.300"]"#);
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("neither an IP address"), "{error}");
            Ok(())
        });
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// A configuration file is outside data: whatever it holds, loading answers with a
        /// configuration or an error naming what is wrong, never a panic.
        #[test]
        fn any_config_file_loads_or_is_refused(
            lines in proptest::collection::vec(
                "(\\[[a-z_.]{0,20}\\]|[a-z_]{1,24} = (\"[^\"\\\\]{0,30}\"|-?[0-9]{1,25}|true|false|\\[\\]|[0-9.e+-]{1,12})|\\PC{0,40})",
                0..20,
            ),
        ) {
            let text = lines.join("\n");
            Jail::expect_with(|jail| {
                jail.create_file("config.toml", &text)?;
                match Config::load(Some(&jail.directory().join("config.toml"))) {
                    Ok(config) => assert!(config.validate().is_ok()),
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
                Ok(())
            });
        }
    }

    #[test]
    fn environment_overrides_nested_keys() {
        Jail::expect_with(|jail| {
            jail.set_env("SN_SERVER__PORT", "9001");
            jail.set_env("SN_LOG__FORMAT", "json");
            jail.set_env("SN_CONFIG", "/etc/ignored.toml");
            let config = Config::load(None).unwrap();
            assert_eq!(config.server.port, 9001);
            assert_eq!(config.log.format, LogFormat::Json);
            Ok(())
        });
    }

    #[test]
    fn secrets_come_from_files_and_are_redacted() {
        Jail::expect_with(|jail| {
            jail.create_file("db", "postgres://app:s3cret@db.internal/app\n")?;
            let path = jail.directory().join("db");
            jail.set_env("SN_DATABASE__URL_FILE", path.display());
            let config = Config::load(None).unwrap();
            assert_eq!(
                config.database.url.as_ref().unwrap().expose_secret(),
                "postgres://app:s3cret@db.internal/app"
            );
            let shown = config.to_redacted_toml();
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("[redacted]"));
            assert!(!format!("{config:?}").contains("s3cret"));
            Ok(())
        });
    }

    #[test]
    fn systemd_credentials_provide_secrets() {
        Jail::expect_with(|jail| {
            std::fs::create_dir(jail.directory().join("creds")).unwrap();
            jail.create_file("creds/database.url", "postgres://u:pw@h/db")?;
            jail.set_env(
                "CREDENTIALS_DIRECTORY",
                jail.directory().join("creds").display(),
            );
            let config = Config::load(None).unwrap();
            assert_eq!(
                config.database.url.unwrap().expose_secret(),
                "postgres://u:pw@h/db"
            );
            Ok(())
        });
    }

    #[test]
    fn invalid_values_name_their_key() {
        Jail::expect_with(|jail| {
            jail.set_env("SN_DATABASE__MAX_CONNECTIONS", "0");
            jail.set_env("SN_DATABASE__URL", "mysql://x");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("database.max_connections"), "{err}");
            assert!(err.contains("database.url"), "{err}");
            jail.clear_env();
            jail.set_env("SN_BACKUP__S3__BUCKET", "club-backups");
            jail.set_env("SN_BACKUP__S3__ENDPOINT", "ftp://files.club.rs");
            jail.set_env("SN_BACKUP__S3__ACCESS_KEY_ID", "AKIA");
            jail.set_env("SN_ALERTS__EMAIL__SMTP_HOST", "smtp.club.rs");
            jail.set_env("SN_ALERTS__DISK_PCT", "180");
            jail.set_env("SN_SELF_CHECK__WINDOW_SECS", "1");
            let err = Config::load(None).unwrap_err().to_string();
            for key in [
                "backup.s3.endpoint",
                "backup.s3.secret_access_key",
                "alerts.email.to",
                "alerts.email.from",
                "alerts.disk_pct",
                "self_check.window_secs",
            ] {
                assert!(err.contains(key), "{key}: {err}");
            }
            jail.clear_env();
            jail.set_env("SN_CACHE__BACKEND", "memcached");
            let err = Config::load(None).unwrap_err().to_string().to_lowercase();
            assert!(err.contains("cache.backend"), "{err}");
            assert!(err.contains("memory") && err.contains("redis"), "{err}");
            jail.clear_env();
            jail.set_env("SN_SERVER__PORT", "http");
            let err = Config::load(None).unwrap_err().to_string().to_lowercase();
            assert!(err.contains("server.port"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn acme_settings_are_checked_and_name_their_key() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                r#"
                [tls]
                mode = "acme"
                [tls.acme]
                domains = ["club.example.rs", "*.example.rs", "127.0.0.1", "-bad-.rs"]
                contact = ["not an address"]
                directory_url = "http://ca.example.rs/directory"
                challenge = "http-01"
                eab_key_id = "kid"
                retry_initial_secs = 600
                retry_max_secs = 60
                "#,
            )?;
            let err = Config::load(Some(&jail.directory().join("c.toml")))
                .unwrap_err()
                .to_string();
            for wanted in [
                "\"*.example.rs\" is not a DNS name",
                "\"127.0.0.1\" is not a DNS name",
                "\"-bad-.rs\" is not a DNS name",
                "tls.acme.contact",
                "tls.acme.directory_url",
                "tls.acme.eab_key_id, tls.acme.eab_hmac_key",
                "tls.http_port: required with tls.acme.challenge = \"http-01\"",
                "tls.acme.retry_max_secs",
            ] {
                assert!(err.contains(wanted), "{wanted}: {err}");
            }
            assert!(!err.contains("\"club.example.rs\""), "{err}");
            jail.create_file("d.toml", "[tls]\nmode = \"acme\"\n")?;
            let err = Config::load(Some(&jail.directory().join("d.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("tls.acme.domains: at least one"), "{err}");
            // A valid one: the storage key is a secret, redacted, and a short one is weak.
            jail.create_file(
                "e.toml",
                "[tls]\nmode = \"acme\"\n[tls.acme]\ndomains = [\"Club.Example.rs\", \"www.club.example.rs\"]\n",
            )?;
            jail.set_env("SN_TLS__ACME__STORAGE_KEY", "short");
            let config = Config::load(Some(&jail.directory().join("e.toml"))).unwrap();
            assert_eq!(config.tls.acme.directory_url, LETS_ENCRYPT_PRODUCTION);
            assert_eq!(config.tls.acme.challenge, AcmeChallenge::TlsAlpn01);
            assert_eq!(
                config.tls.acme.certificate_name(),
                "club.example.rs,www.club.example.rs"
            );
            assert!(!config.to_redacted_toml().contains("short"));
            assert!(
                config
                    .weak_secrets()
                    .iter()
                    .any(|w| w.starts_with("tls.acme.storage_key"))
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_rejected() {
        Jail::expect_with(|jail| {
            jail.create_file("c.toml", "[server]\nprot = 1\n")?;
            let err = Config::load(Some(&jail.directory().join("c.toml")))
                .unwrap_err()
                .to_string();
            assert!(err.contains("prot"), "{err}");
            Ok(())
        });
    }
}
