//! First-run setup: while no active admin exists, `serve` offers a one-time link whose page creates
//! the first admin, so a new appliance needs nothing but a browser. The token is 256 random bits,
//! kept only as its SHA-256; it works once, until it expires, and only until an admin exists.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::OffsetDateTime;

use super::{AppState, Error, Result};
use crate::{
    api::error::FieldError,
    db::{self, audit, users::User},
    domain::account::{Email, Locale, NewPassword, Role},
};

/// Recognisable to secret scanners and in support requests.
const TOKEN_PREFIX: &str = "sns_";

/// Where the dashboard's setup page is, relative to the node's base URL; the token follows. A
/// fragment never reaches the server, so no access log or `Referer` carries the token.
pub const PAGE: &str = "/admin/#/setup/";

/// A one-time link to create the first admin.
pub struct SetupLink {
    token: SecretString,
    pub expires_at: OffsetDateTime,
}

impl SetupLink {
    /// The link on the node reached at `base_url` (`https://club.example.rs`).
    pub fn url(&self, base_url: &str) -> String {
        format!(
            "{}{PAGE}{}",
            base_url.trim_end_matches('/'),
            self.token.expose_secret()
        )
    }
}

/// The first admin, as the setup page sends it.
pub struct FirstAdmin<'a> {
    pub token: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub language: Result<Locale, crate::domain::invalid::Invalid>,
    /// Who sent it, as the audit log records them.
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: Option<&'a str>,
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

fn link_refused() -> Error {
    Error::invalid(
        "token",
        "this setup link has expired, was used, or an admin already exists: sign in, or ask the \
         operator for a new link (`sports-nutrition admin setup-link`)",
    )
}

/// A new link valid for `ttl` while no active admin exists; `None` once one does.
pub async fn offer(pool: &PgPool, ttl: Duration) -> Result<Option<SetupLink>> {
    if db::setup::active_admin_exists(pool).await? {
        return Ok(None);
    }
    let token = format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<32>()?)
    );
    let expires_at = db::setup::issue(pool, &token_hash(&token), ttl).await?;
    Ok(Some(SetupLink {
        token: SecretString::from(token),
        expires_at,
    }))
}

/// Creates the first admin with a setup link's token. The link is checked before the password is
/// hashed, so a caller without one costs a single lookup; two setups at once take turns, and the
/// second finds an admin already there.
pub async fn create_first_admin(state: &AppState, first: FirstAdmin<'_>) -> Result<User> {
    let hash = token_hash(first.token);
    if first.token.len() > 128 || !db::setup::usable(&state.pool, &hash).await? {
        return Err(link_refused());
    }
    let mut errors = Vec::new();
    let email = Email::parse(first.email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    let password = NewPassword::parse(first.password, email.as_ref())
        .map_err(|m| errors.push(FieldError::new("password", m)))
        .ok();
    let language = first
        .language
        .map_err(|m| errors.push(FieldError::new("language", m)))
        .ok();
    let (Some(email), Some(password), Some(language), true) =
        (email, password, language, errors.is_empty())
    else {
        return Err(Error::Invalid(errors));
    };
    let password_hash = state.hasher.hash(password.expose()).await?;
    let mut tx = state.pool.begin().await?;
    if !db::setup::consume(&mut tx, &hash).await? {
        return Err(link_refused());
    }
    let user = db::users::insert(
        &mut *tx,
        &email,
        &password_hash,
        Role::Admin,
        language.as_str(),
    )
    .await?
    .ok_or_else(|| {
        Error::conflict(
            "email",
            "an account with this e-mail address already exists: choose another address for the \
             admin (a link can make only a new account an admin)",
        )
    })?;
    audit::record(
        &mut *tx,
        &audit::Event {
            action: "admin.user_create",
            success: true,
            subject: Some(user.id),
            ip: first.ip,
            user_agent: first.user_agent,
            details: Some(serde_json::json!({ "via": "setup_link", "role": "admin" })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}
