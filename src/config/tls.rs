//! HTTPS: certificates from files or ordered over ACME, the plain-HTTP redirect and HSTS.

use std::{net::IpAddr, path::PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::redact;

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

impl TlsConfig {
    /// What is wrong with `[tls]` and, with ACME, `[tls.acme]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.mode == TlsMode::Files {
            for (key, path) in [
                ("tls.cert_path", &self.cert_path),
                ("tls.key_path", &self.key_path),
            ] {
                if path.is_none() {
                    errors.push(format!("{key}: required with tls.mode = \"files\""));
                }
            }
        }
        if self.reload_interval_secs == 0 || self.handshake_timeout_secs == 0 {
            errors.push(
                "tls.reload_interval_secs, tls.handshake_timeout_secs: must be at least 1".into(),
            );
        }
        if self.http_port.is_some() && self.mode == TlsMode::Off {
            errors.push(
                "tls.http_port: only with HTTPS (tls.mode \"files\" or \"acme\"; the redirect goes to HTTPS)"
                    .into(),
            );
        }
        if self.mode == TlsMode::Acme {
            errors.extend(self.acme.problems(self.http_port));
        }
        errors
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
