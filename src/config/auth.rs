//! Who may call and how often: tokens and password hashing, CORS and trusted proxies, rate limits.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::redact;

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
    /// While no admin exists, `serve` offers a one-time link to create the first one in the
    /// browser, valid this many seconds; 0 offers none (the first admin then comes from the CLI).
    pub setup_link_ttl_secs: u64,
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
            setup_link_ttl_secs: 3600,
            argon2: Argon2Config::default(),
        }
    }
}

impl AuthConfig {
    /// What is wrong with `[auth]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.issuer.trim().is_empty() {
            errors.push("auth.issuer: must not be empty".into());
        }
        if self.audience.trim().is_empty() {
            errors.push("auth.audience: must not be empty".into());
        }
        if !(60..=24 * 3600).contains(&self.access_token_ttl_secs) {
            errors.push("auth.access_token_ttl_secs: must be between 60 and 86400".into());
        }
        if !(1..=365).contains(&self.refresh_token_ttl_days) {
            errors.push("auth.refresh_token_ttl_days: must be between 1 and 365".into());
        }
        if !(1..=3650).contains(&self.session_max_age_days) {
            errors.push("auth.session_max_age_days: must be between 1 and 3650".into());
        }
        if !(30..=3600).contains(&self.reauthentication_window_secs) {
            errors.push("auth.reauthentication_window_secs: must be between 30 and 3600".into());
        }
        if self.setup_link_ttl_secs > 7 * 24 * 3600 {
            errors.push("auth.setup_link_ttl_secs: must be at most 604800 (a week)".into());
        }
        if let Err(e) = argon2::Params::new(
            self.argon2.memory_kib,
            self.argon2.iterations,
            self.argon2.parallelism,
            None,
        ) {
            errors.push(format!("auth.argon2: {e}"));
        }
        errors
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
pub(super) fn addresses_or_networks<'de, D: serde::Deserializer<'de>>(
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

impl SecurityConfig {
    /// What is wrong with `[security]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for origin in &self.cors_origins {
            match url::Url::parse(origin) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.path() == "/" && !origin.ends_with('/') => {}
                _ => errors.push(format!(
                    "security.cors_origins: {origin:?} is not an origin like https://club.example.rs"
                )),
            }
        }
        errors
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

impl RateLimitConfig {
    /// What is wrong with `[rate_limit]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.window_secs == 0 {
            errors.push("rate_limit.window_secs: must be at least 1".into());
        }
        for (key, value) in [
            ("public_requests", self.public_requests),
            ("auth_attempts_per_ip", self.auth_attempts_per_ip),
            (
                "login_attempts_per_account",
                self.login_attempts_per_account,
            ),
            ("account_requests", self.account_requests),
            ("expensive_requests", self.expensive_requests),
        ] {
            if value == 0 {
                errors.push(format!("rate_limit.{key}: must be at least 1"));
            }
        }
        errors
    }
}
