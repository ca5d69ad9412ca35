//! Access tokens (short-lived HS256 JWTs naming the user, role and session) and refresh tokens
//! (opaque 256-bit random values, stored only as SHA-256 hashes).

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{config::AuthConfig, domain::account::Role};

/// Prefix of refresh tokens: makes them recognisable to secret scanners and in support requests.
const REFRESH_PREFIX: &str = "snr_";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// The session the token was issued for; revoking the session invalidates the token.
    pub sid: Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

/// Why a token was refused (never shown in detail to the client).
#[derive(Debug, thiserror::Error)]
#[error("invalid access token: {0}")]
pub struct InvalidToken(#[from] jsonwebtoken::errors::Error);

/// Signs and checks access tokens.
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl AccessTokens {
    pub fn new(secret: &SecretString, config: &AuthConfig) -> Self {
        let key = secret.expose_secret().as_bytes();
        // Only HS256 is accepted: a token claiming `none` or another algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl: Duration::from_secs(config.access_token_ttl_secs),
        }
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user: Uuid, session: Uuid, role: Role) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user,
            sid: session,
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl.as_secs(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, InvalidToken> {
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims)
    }
}

/// A new refresh token and the hash to store.
pub fn new_refresh_token() -> anyhow::Result<(String, [u8; 32])> {
    let token = format!(
        "{REFRESH_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(super::random_bytes::<32>()?)
    );
    let hash = refresh_token_hash(&token);
    Ok((token, hash))
}

/// The stored form of a refresh token.
pub fn refresh_token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &str) -> AccessTokens {
        AccessTokens::new(
            &SecretString::from(secret.to_owned()),
            &AuthConfig::default(),
        )
    }

    const KEY: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCD";

    #[test]
    fn issued_tokens_verify() {
        let t = tokens(KEY);
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let claims = t
            .verify(&t.issue(user, session, Role::Coach).unwrap())
            .unwrap();
        assert_eq!(
            (claims.sub, claims.sid, claims.role),
            (user, session, Role::Coach)
        );
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn forged_tokens_are_refused() {
        let t = tokens(KEY);
        let token = t
            .issue(Uuid::now_v7(), Uuid::now_v7(), Role::Athlete)
            .unwrap();
        // Another key.
        assert!(
            tokens("another key that is long enough to be used!")
                .verify(&token)
                .is_err()
        );
        // `alg: none` with the same claims and no signature.
        let (_, rest) = token.split_once('.').unwrap();
        let payload = rest.split('.').next().unwrap();
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
        );
        assert!(t.verify(&none).is_err());
        // A payload edited to claim admin, keeping the old signature.
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert!(t.verify(&tampered).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, hash_a) = new_refresh_token().unwrap();
        let (b, _) = new_refresh_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("snr_") && a.len() == 4 + 43);
        assert_eq!(refresh_token_hash(&a), hash_a);
    }
}
