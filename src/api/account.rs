//! The signed-in user's own account: `/profile`, `/account/...` (password, sessions, coaches,
//! export, erasure).

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::enums::api_enum;
use super::responses::Done;
use super::{
    ApiTags, AppState,
    error::ApiError,
    health_profile::HealthProfile,
    language::LanguageTag,
    security::{BearerAuth, ClientInfo},
};
use crate::{
    cache::Ns,
    cache::rate_limit::client_key,
    db::{self, audit, sessions::Revocation},
    domain::account::{Email, NewPassword, Role},
    service::cached,
};

api_enum!(
    /// What a user may do.
    RoleName => Role {
        Athlete = "athlete",
        Coach = "coach",
        Admin = "admin",
    }
);

/// A user account.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub role: RoleName,
    /// Interface language (BCP 47).
    pub language: LanguageTag,
    #[oai(skip_serializing_if_is_none)]
    pub display_name: Option<String>,
    pub created_at: OffsetDateTime,
}

impl Account {
    pub fn role_value(&self) -> Role {
        self.role.into()
    }
}

impl From<db::users::User> for Account {
    fn from(u: db::users::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            role: u.role.into(),
            language: u.language.into(),
            display_name: u.display_name,
            created_at: u.created_at,
        }
    }
}

/// The signed-in user: account and, once entered, health profile.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Profile {
    pub account: Account,
    /// Null until the athlete enters one.
    pub health_profile: Option<HealthProfile>,
}

#[derive(Object, Debug)]
pub struct ChangePassword {
    #[oai(validator(max_length = 1024))]
    pub current_password: String,
    /// 10 to 256 characters, not a common password, not containing the e-mail address.
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
}

#[derive(Object, Debug)]
pub struct ConfirmErasure {
    /// The account's password, to confirm.
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

/// A signed-in device.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    #[oai(skip_serializing_if_is_none)]
    pub ip: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub user_agent: Option<String>,
    /// The session of the token making this request.
    pub current: bool,
}

impl SessionInfo {
    /// `session` as seen by the caller signed in with `current`.
    pub fn of(session: db::sessions::Session, current: Uuid) -> Self {
        Self {
            current: session.id == current,
            id: session.id,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            ip: session.ip,
            user_agent: session.user_agent,
        }
    }
}

#[derive(Object, Debug)]
pub struct GrantCoach {
    /// E-mail address of a coach account.
    #[oai(validator(max_length = 254))]
    pub email: String,
}

/// A coach with access to the athlete's data, or an athlete who granted it.
#[derive(Object, Debug)]
pub struct Grant {
    pub user: Account,
    pub granted_at: OffsetDateTime,
}

impl From<db::coaching::Grant> for Grant {
    fn from(g: db::coaching::Grant) -> Self {
        Self {
            user: g.user.into(),
            granted_at: g.granted_at,
        }
    }
}

/// A new interface language.
#[derive(Object, Debug, Clone)]
pub struct LanguageChange {
    pub language: LanguageTag,
}

#[derive(ApiResponse)]
pub enum Export {
    /// Every piece of personal data held about the user, by table.
    #[oai(status = 200)]
    Ok(
        Json<serde_json::Value>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

#[derive(Default)]
pub struct AccountApi;

#[OpenApi(tag = "ApiTags::Account")]
impl AccountApi {
    /// The signed-in user
    ///
    /// Account and health profile. Any role.
    #[oai(path = "/profile", method = "get", operation_id = "getProfile")]
    async fn profile(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Profile>, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete, Role::Coach, Role::Admin])?;
        // Both from the user's cache; on a miss, the two reads at once.
        let (account, health_profile) = tokio::try_join!(
            cached::account(&state, caller.user),
            cached::profile(&state, caller.user)
        )?;
        let account =
            account.ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
        let health_profile = health_profile.map(HealthProfile::from_row).transpose()?;
        Ok(Json(Profile {
            account: account.into(),
            health_profile,
        }))
    }

    /// Change the interface language
    ///
    /// The language responses use when a request names none with `?lang=`: sr-Latn, sr-Cyrl, en,
    /// hu, ro, ru or uk. Any role.
    #[oai(
        path = "/account/language",
        method = "put",
        operation_id = "setLanguage"
    )]
    async fn set_language(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<LanguageChange>,
    ) -> Result<Done, ApiError> {
        let language = body
            .0
            .language
            .locale()
            .map_err(|m| ApiError::invalid("language", m))?;
        db::users::set_language(&state.pool, auth.0.user, language.as_str()).await?;
        state.cache.invalidate(&[Ns::User(auth.0.user)]).await;
        Ok(Done::NoContent)
    }

    /// Change the password
    ///
    /// Needs the current password. Every other session is signed out. Any role.
    #[oai(
        path = "/account/password",
        method = "put",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: BearerAuth,
        body: Json<ChangePassword>,
    ) -> Result<Done, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete, Role::Coach, Role::Admin])?;
        let credentials = confirm_password(
            &state,
            &client,
            caller.user,
            &body.current_password,
            "current_password",
        )
        .await?;
        let email = Email::parse(&credentials.user.email).ok();
        let new = NewPassword::parse(&body.new_password, email.as_ref())
            .map_err(|m| ApiError::invalid("new_password", m))?;
        let hash = state.hasher.hash(new.expose()).await?;
        let mut tx = state.pool.begin().await?;
        if !db::users::replace_password_hash(
            &mut *tx,
            caller.user,
            &credentials.password_hash,
            &hash,
        )
        .await?
        {
            return Err(ApiError::conflict(
                "current_password",
                "the password was changed meanwhile; try again",
            ));
        }
        db::sessions::revoke_others(
            &mut *tx,
            caller.user,
            Some(caller.session),
            Revocation::PasswordChanged,
        )
        .await?;
        audit::record(
            &mut *tx,
            &client.own_action("account.password_change", caller.user),
        )
        .await?;
        tx.commit().await?;
        state.cache.invalidate(&[Ns::User(caller.user)]).await;
        Ok(Done::NoContent)
    }

    /// Erase the account
    ///
    /// Deletes the account and all personal data (profile, targets, progress, plans, sessions,
    /// coach grants); security events about it keep only their time and outcome. Needs the password.
    /// The last active admin cannot erase their account (409). Any role.
    #[oai(path = "/account", method = "delete", operation_id = "deleteAccount")]
    async fn erase(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: BearerAuth,
        body: Json<ConfirmErasure>,
    ) -> Result<Done, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete, Role::Coach, Role::Admin])?;
        let credentials =
            confirm_password(&state, &client, caller.user, &body.password, "password").await?;
        let mut tx = state.pool.begin().await?;
        super::admin::keep_an_admin(&mut tx, caller.user, "account").await?;
        db::users::erase(&mut tx, caller.user, &credentials.user.email).await?;
        audit::record(
            &mut *tx,
            &audit::Event {
                action: "account.erase",
                success: true,
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        state.cache.invalidate(&[Ns::User(caller.user)]).await;
        Ok(Done::NoContent)
    }

    /// Export all personal data
    ///
    /// Everything held about the signed-in user, as JSON (right of access and portability). Any role.
    #[oai(
        path = "/account/export",
        method = "get",
        operation_id = "exportAccount"
    )]
    async fn export(&self, state: Data<&AppState>, auth: BearerAuth) -> Result<Export, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete, Role::Coach, Role::Admin])?;
        let data = db::users::export(&state.pool, caller.user).await?;
        let date = OffsetDateTime::now_utc().date();
        Ok(Export::Ok(
            Json(serde_json::json!({
                "exported_at": OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                "format": "sports-nutrition-export/1",
                "data": data,
            })),
            format!("attachment; filename=\"sports-nutrition-export-{date}.json\""),
        ))
    }

    /// Signed-in sessions
    ///
    /// The active sessions of the signed-in user, newest first. Any role.
    #[oai(
        path = "/account/sessions",
        method = "get",
        operation_id = "listSessions"
    )]
    async fn sessions(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Vec<SessionInfo>>, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete, Role::Coach, Role::Admin])?;
        let sessions = db::sessions::list_active(&state.pool, caller.user).await?;
        Ok(Json(
            sessions
                .into_iter()
                .map(|s| SessionInfo::of(s, caller.session))
                .collect(),
        ))
    }

    /// Sign out a session
    ///
    /// 404 when the session is not one of the signed-in user's active sessions. Any role.
    #[oai(
        path = "/account/sessions/:id",
        method = "delete",
        operation_id = "revokeSession"
    )]
    async fn revoke_session(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete, Role::Coach, Role::Admin])?;
        if db::sessions::revoke(&state.pool, caller.user, id.0, Revocation::Owner).await? {
            state.cache.invalidate(&[Ns::User(caller.user)]).await;
            Ok(Done::NoContent)
        } else {
            Err(ApiError::not_found("session"))
        }
    }

    /// Coaches with access
    ///
    /// The coaches the signed-in athlete lets read their profile, targets and progress. Athletes.
    #[oai(
        path = "/account/coaches",
        method = "get",
        operation_id = "listCoaches"
    )]
    async fn coaches(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Vec<Grant>>, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete])?;
        let grants = db::coaching::coaches_of(&state.pool, caller.user).await?;
        Ok(Json(grants.into_iter().map(Into::into).collect()))
    }

    /// Give a coach access
    ///
    /// The coach can then read the athlete's profile, targets and progress. Athletes.
    #[oai(
        path = "/account/coaches",
        method = "post",
        operation_id = "grantCoach"
    )]
    async fn grant_coach(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: BearerAuth,
        body: Json<GrantCoach>,
    ) -> Result<Done, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete])?;
        let email = Email::parse(&body.email).map_err(|m| ApiError::invalid("email", m))?;
        let coach = db::users::by_email(&state.pool, &email)
            .await?
            .filter(|u| u.role == Role::Coach)
            .ok_or_else(|| ApiError::invalid("email", "no coach account has this address"))?;
        if db::coaching::grant(&state.pool, caller.user, coach.id).await? {
            audit::record(
                &state.pool,
                &audit::Event {
                    action: "account.coach_grant",
                    success: true,
                    actor: Some(caller.user),
                    subject: Some(coach.id),
                    ip: client.ip,
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(Done::NoContent)
    }

    /// Withdraw a coach's access
    ///
    /// 404 when that coach has no access. Athletes.
    #[oai(
        path = "/account/coaches/:coach_id",
        method = "delete",
        operation_id = "withdrawCoach"
    )]
    async fn withdraw_coach(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        coach_id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let caller = auth.0;
        caller.require(&[Role::Athlete])?;
        if db::coaching::withdraw(&state.pool, caller.user, coach_id.0).await? {
            Ok(Done::NoContent)
        } else {
            Err(ApiError::not_found("coach access"))
        }
    }
}

/// The caller's credentials, after checking `password` (422 naming `field` when it is wrong).
pub async fn confirm_password(
    state: &AppState,
    client: &ClientInfo,
    user: Uuid,
    password: &str,
    field: &str,
) -> Result<db::users::Credentials, ApiError> {
    let credentials = db::users::credentials_by_id(&state.pool, user)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    // Guessing the password through these endpoints counts like guessing it at sign-in.
    let (account, address) = (
        credentials.user.email.as_str(),
        client.ip.map(client_key).unwrap_or_default(),
    );
    state
        .limiter
        .sign_in_allowed(account, &address)
        .await
        .map_err(ApiError::rate_limited)?;
    if !state
        .hasher
        .verify(password, Some(&credentials.password_hash))
        .await?
        .matches
    {
        state.limiter.sign_in_failed(account, &address).await;
        return Err(ApiError::invalid(field, "is not the account's password"));
    }
    state.limiter.sign_in_succeeded(account, &address).await;
    Ok(credentials)
}
