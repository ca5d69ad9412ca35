//! `/auth`: registration, sign-in, token refresh and sign-out.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    account::{Account, confirm_password},
    error::{ApiError, FieldError},
    language::LanguageTag,
    security::{BearerAuth, ClientInfo},
};
use crate::{
    auth::token::{new_refresh_token, refresh_token_hash},
    cache::Ns,
    cache::rate_limit::{Bucket, client_key},
    db::{
        self, audit,
        sessions::{Revocation, Rotation},
    },
    domain::account::{Email, Locale, NewPassword, PASSWORD_MAX_CHARS, Role},
};

#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Register {
    /// Sign-in address; stored trimmed and lower-case.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// 10 to 256 characters, not a common password, not containing the e-mail address.
    #[oai(validator(max_length = 1024))]
    pub password: String,
    /// Interface language: sr-Latn (default), sr-Cyrl, en, hu, ro, ru or uk.
    pub language: Option<LanguageTag>,
}

#[derive(Object, Debug)]
pub struct Login {
    #[oai(validator(max_length = 254))]
    pub email: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

#[derive(Object, Debug)]
pub struct Refresh {
    #[oai(validator(max_length = 128))]
    pub refresh_token: String,
}

/// A signed-in session's credentials.
#[derive(Object, Debug)]
pub struct Tokens {
    /// Access token (JWT) for `Authorization: Bearer …`.
    pub token: String,
    /// Single-use token for `POST /auth/refresh`; store it securely.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `token` expires.
    pub expires_in: u64,
    pub user: Account,
}

#[derive(ApiResponse)]
pub enum Registered {
    /// The account exists and is signed in.
    #[oai(status = 201)]
    Created(Json<Tokens>),
}

/// The signed-in user's password, entered again.
#[derive(Object, Debug)]
pub struct Reauthenticate {
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

#[derive(ApiResponse)]
pub enum Reauthenticated {
    /// The password matched: destructive operations are allowed from this session for
    /// `auth.reauthentication_window_secs`.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum SignedOut {
    /// The session is revoked: its access and refresh tokens no longer work.
    #[oai(status = 204)]
    Done,
}

#[derive(Default)]
pub struct AuthApi;

#[OpenApi(prefix_path = "/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Create an athlete account
    ///
    /// Returns the account and signs it in. Coach and admin roles are given by an admin.
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        body: Json<Register>,
    ) -> Result<Registered, ApiError> {
        limit(&state, Bucket::AuthAttempts, client.ip.map(client_key)).await?;
        let mut errors = Vec::new();
        let email = Email::parse(&body.email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let password = NewPassword::parse(&body.password, email.as_ref())
            .map_err(|m| errors.push(FieldError::new("password", m)))
            .ok();
        let language = match &body.language {
            None => Some(Locale::DEFAULT),
            Some(tag) => tag
                .locale()
                .map_err(|m| errors.push(FieldError::new("language", m)))
                .ok(),
        };
        let (Some(email), Some(password), Some(language), true) =
            (email, password, language, errors.is_empty())
        else {
            return Err(ApiError::validation(errors));
        };
        let hash = state.hasher.hash(password.expose()).await?;
        let user = db::users::insert(&state.pool, &email, &hash, Role::Athlete, language.as_str())
            .await?
            .ok_or_else(|| {
                ApiError::conflict(
                    "email",
                    "an account with this e-mail address already exists",
                )
            })?;
        crate::ops::telemetry::instruments()
            .registrations
            .add(1, &[]);
        audit::record(&state.pool, &client.own_action("auth.register", user.id)).await?;
        let tokens = open_session(&state, &client, user.into()).await?;
        Ok(Registered::Created(Json(tokens)))
    }

    /// Sign in
    ///
    /// `token` is the access token. Attempts are limited per client address; failed ones are
    /// counted per account, and an address that failed there too often waits (429 with
    /// `Retry-After`) while other addresses still sign in.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        body: Json<Login>,
    ) -> Result<Json<Tokens>, ApiError> {
        let user = sign_in(&state, &client, &body.email, &body.password).await?;
        Ok(Json(open_session(&state, &client, user.into()).await?))
    }

    /// Exchange a refresh token for a new pair
    ///
    /// Each refresh token works once. Presenting one that was already used revokes its whole
    /// session (a copy of it is in someone else's hands).
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        body: Json<Refresh>,
    ) -> Result<Json<Tokens>, ApiError> {
        Ok(Json(rotate(&state, &client, &body.refresh_token).await?))
    }

    /// Confirm the password
    ///
    /// Destructive admin operations (restoring a backup, changing a role, disabling an account)
    /// need the password entered again within the last few minutes
    /// (`auth.reauthentication_window_secs`); this records it for the session of the presented
    /// access token. A wrong password is a 422 naming `password`, and counts as a failed sign-in.
    #[oai(
        path = "/reauthenticate",
        method = "post",
        operation_id = "reauthenticate"
    )]
    async fn reauthenticate(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: BearerAuth,
        body: Json<Reauthenticate>,
    ) -> Result<Reauthenticated, ApiError> {
        let caller = auth.0;
        confirm_password(&state, &client, caller.user, &body.password, "password").await?;
        let mut tx = state.pool.begin().await?;
        db::sessions::reauthenticated(&mut *tx, caller.session).await?;
        audit::record(
            &mut *tx,
            &client.own_action("auth.reauthenticate", caller.user),
        )
        .await?;
        tx.commit().await?;
        Ok(Reauthenticated::Done)
    }

    /// Sign out
    ///
    /// Revokes the session of the presented access token.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<SignedOut, ApiError> {
        let caller = auth.0;
        db::sessions::revoke(&state.pool, caller.user, caller.session, Revocation::Logout).await?;
        state.cache.invalidate(&[Ns::User(caller.user)]).await;
        Ok(SignedOut::Done)
    }
}

/// Checks a sign-in: attempts are limited per client address, failed ones counted per account and
/// address (an address the guessing did not come from still signs in; see cache::rate_limit).
/// The success is audited; the caller opens the session.
pub(super) async fn sign_in(
    state: &AppState,
    client: &ClientInfo,
    email: &str,
    password: &str,
) -> Result<db::users::User, ApiError> {
    limit(state, Bucket::AuthAttempts, client.ip.map(client_key)).await?;
    let email = Email::parse(email).map_err(|m| ApiError::invalid("email", m))?;
    let address = client.ip.map(client_key).unwrap_or_default();
    state
        .limiter
        .sign_in_allowed(email.as_str(), &address)
        .await
        .map_err(ApiError::rate_limited)?;
    let user = verified_user(state, client, &email, &address, password).await?;
    audit::record(
        &state.pool,
        &audit::Event {
            action: "auth.login",
            success: true,
            actor: Some(user.id),
            subject: Some(user.id),
            email: Some(email.as_str()),
            ip: client.ip,
            user_agent: client.user_agent.as_deref(),
            ..Default::default()
        },
    )
    .await?;
    Ok(user)
}

/// Uses the refresh token `presented` once and returns the session's next tokens. A token used
/// before ends its whole session (a copy of it is in someone else's hands).
pub(super) async fn rotate(
    state: &AppState,
    client: &ClientInfo,
    presented: &str,
) -> Result<Tokens, ApiError> {
    let (successor, successor_hash) = new_refresh_token()?;
    let presented = refresh_token_hash(presented.trim());
    match db::sessions::rotate(
        &state.pool,
        &presented,
        &successor_hash,
        state.session_terms,
    )
    .await?
    {
        Rotation::Rotated { user, session, .. } => {
            let user = db::users::by_id(&state.pool, user)
                .await?
                .ok_or_else(|| ApiError::unauthorized("the session has ended; sign in again"))?;
            tokens(state, user.into(), session, successor)
        }
        Rotation::Reused { user, session } => {
            state.cache.invalidate(&[Ns::User(user)]).await;
            tracing::warn!(%user, %session, "a used refresh token was presented again; session revoked");
            audit::record(
                &state.pool,
                &audit::Event {
                    action: "auth.refresh_reuse",
                    success: false,
                    subject: Some(user),
                    ip: client.ip,
                    user_agent: client.user_agent.as_deref(),
                    details: Some(serde_json::json!({ "session": session })),
                    ..Default::default()
                },
            )
            .await?;
            Err(ApiError::unauthorized(
                "the session has ended; sign in again",
            ))
        }
        Rotation::Invalid => Err(ApiError::unauthorized(
            "the refresh token is invalid or expired",
        )),
    }
}

fn wrong_credentials() -> ApiError {
    ApiError::unauthorized("wrong e-mail address or password")
}

/// Counts one attempt against `key` in `bucket` (no key: the client address is unknown).
pub(super) async fn limit(
    state: &AppState,
    bucket: Bucket,
    key: Option<String>,
) -> Result<(), ApiError> {
    match key {
        Some(key) => state
            .limiter
            .check(bucket, &key)
            .await
            .map_err(ApiError::rate_limited),
        None => Ok(()),
    }
}

/// Starts a session for `user` and returns its first tokens.
pub(super) async fn open_session(
    state: &AppState,
    client: &ClientInfo,
    user: Account,
) -> Result<Tokens, ApiError> {
    let (refresh, hash) = new_refresh_token()?;
    let session = db::sessions::create(
        &state.pool,
        user.id,
        &hash,
        state.session_terms,
        client.ip,
        client.user_agent.as_deref(),
    )
    .await?;
    tokens(state, user, session, refresh)
}

fn tokens(
    state: &AppState,
    user: Account,
    session: Uuid,
    refresh_token: String,
) -> Result<Tokens, ApiError> {
    let token = state.tokens.issue(user.id, session, user.role_value())?;
    Ok(Tokens {
        token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl().as_secs(),
        user,
    })
}

/// The account `email` and `password` sign in to, when they match and the account is enabled. Every
/// refusal is audited, and a wrong password counts against the account and address; a right
/// password under an old hash's parameters is re-hashed.
async fn verified_user(
    state: &AppState,
    client: &ClientInfo,
    email: &Email,
    address: &str,
    password: &str,
) -> Result<db::users::User, ApiError> {
    let failure = |subject: Option<Uuid>| audit::Event {
        action: "auth.login",
        success: false,
        subject,
        email: Some(email.as_str()),
        ip: client.ip,
        user_agent: client.user_agent.as_deref(),
        ..Default::default()
    };
    if password.chars().count() > PASSWORD_MAX_CHARS {
        state.limiter.sign_in_failed(email.as_str(), address).await;
        audit::record(&state.pool, &failure(None)).await?;
        return Err(wrong_credentials());
    }
    let credentials = db::users::credentials_by_email(&state.pool, email).await?;
    let subject = credentials.as_ref().map(|c| c.user.id);
    let verified = state
        .hasher
        .verify(
            password,
            credentials.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await?;
    let Some(credentials) = credentials.filter(|_| verified.matches) else {
        state.limiter.sign_in_failed(email.as_str(), address).await;
        audit::record(&state.pool, &failure(subject)).await?;
        return Err(wrong_credentials());
    };
    state
        .limiter
        .sign_in_succeeded(email.as_str(), address)
        .await;
    if db::users::disabled_at(&state.pool, credentials.user.id)
        .await?
        .is_some()
    {
        audit::record(&state.pool, &failure(subject)).await?;
        return Err(ApiError::forbidden(
            "this account is disabled; ask an administrator",
        ));
    }
    if verified.needs_rehash {
        let fresh = state.hasher.hash(password).await?;
        db::users::replace_password_hash(
            &state.pool,
            credentials.user.id,
            &credentials.password_hash,
            &fresh,
        )
        .await?;
    }
    Ok(credentials.user)
}
