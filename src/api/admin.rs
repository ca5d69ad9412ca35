//! `/admin`: user roles and the audit log. Admins only; every change is audited.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::security::AdminAuth;
use super::{
    ApiTags, AppState,
    account::{Account, RoleName, SessionInfo},
    error::ApiError,
    security::ClientInfo,
};
use crate::{
    cache::Ns,
    db::{self, audit},
    domain::account::{Email, Role},
};

#[derive(Object, Debug)]
pub struct SetRole {
    pub role: RoleName,
}

/// One audited event.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    /// e.g. `auth.login`, `auth.refresh_reuse`, `admin.user_role`.
    pub action: String,
    /// `success` or `failure`.
    pub outcome: String,
    #[oai(skip_serializing_if_is_none)]
    pub actor_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub subject_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub ip: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

/// A page of audit entries, newest first.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_before: Option<i64>,
}

/// A user in an admin's list.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ListedUser {
    #[oai(flatten)]
    pub account: Account,
    /// Since when sign-in is refused; absent while the account is active.
    #[oai(skip_serializing_if_is_none)]
    pub disabled_at: Option<OffsetDateTime>,
}

/// Disables or enables an account.
#[derive(Object, Debug, Clone)]
pub struct SetDisabled {
    pub disabled: bool,
}

/// How many sessions ended.
#[derive(Object, Debug, Clone)]
pub struct SessionsEnded {
    pub ended: u64,
}

/// A page of users.
#[derive(Object, Debug, Clone)]
pub struct UserPage {
    pub users: Vec<ListedUser>,
    /// How many users match in all.
    pub total: i64,
}

#[derive(Default)]
pub struct AdminApi;

#[OpenApi(prefix_path = "/admin", tag = "ApiTags::Admin")]
impl AdminApi {
    /// Find a user by e-mail address
    ///
    /// Admins.
    #[oai(path = "/users", method = "get", operation_id = "findUser")]
    async fn find_user(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        email: Query<String>,
    ) -> Result<Json<Account>, ApiError> {
        let email = Email::parse(&email.0).map_err(|m| ApiError::invalid("email", m))?;
        let user = db::users::by_email(&state.pool, &email)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        Ok(Json(user.into()))
    }

    /// Users
    ///
    /// Users whose e-mail address contains `q` (any case), of `role` if given, oldest first, with
    /// the number that match. Admins.
    #[oai(path = "/users/search", method = "get", operation_id = "searchUsers")]
    async fn search_users(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        #[oai(validator(max_length = 254))] q: Query<Option<String>>,
        role: Query<Option<RoleName>>,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<i64>,
        #[oai(default, validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<
            i64,
        >,
    ) -> Result<Json<UserPage>, ApiError> {
        let text = q.0.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let (users, total) =
            db::users::search(&state.pool, text, role.0.map(Role::from), limit.0, offset.0).await?;
        Ok(Json(UserPage {
            users: users
                .into_iter()
                .map(|l| ListedUser {
                    account: l.user.into(),
                    disabled_at: l.disabled_at,
                })
                .collect(),
            total,
        }))
    }

    /// Disable or enable an account
    ///
    /// A disabled account cannot sign in, and every session it has ends at once. Admins cannot
    /// disable themselves, and the last active admin stays (409). Needs the password entered again
    /// lately (`POST /auth/reauthenticate`). Admins.
    #[oai(
        path = "/users/:id/disabled",
        method = "put",
        operation_id = "setUserDisabled"
    )]
    async fn set_disabled(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<SetDisabled>,
    ) -> Result<Json<ListedUser>, ApiError> {
        let caller = auth.0;
        if id.0 == caller.user && body.disabled {
            return Err(ApiError::invalid(
                "disabled",
                "admins cannot disable their own account",
            ));
        }
        caller.require_recent_password(&state).await?;
        let mut tx = state.pool.begin().await?;
        if body.disabled {
            keep_an_admin(&mut tx, id.0, "disabled").await?;
        }
        let disabled_at = db::users::set_disabled(&mut *tx, id.0, body.disabled)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let ended = if body.disabled {
            db::sessions::revoke_others(&mut *tx, id.0, None, db::sessions::Revocation::Disabled)
                .await?
        } else {
            0
        };
        audit::record(
            &mut *tx,
            &admin_action(
                if body.disabled {
                    "admin.user_disable"
                } else {
                    "admin.user_enable"
                },
                caller.user,
                id.0,
                &client,
                serde_json::json!({ "sessions_ended": ended }),
            ),
        )
        .await?;
        let user = db::users::by_id(&mut *tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        tx.commit().await?;
        state.cache.invalidate(&[Ns::User(id.0)]).await;
        Ok(Json(ListedUser {
            account: user.into(),
            disabled_at,
        }))
    }

    /// A user's sessions
    ///
    /// The user's active sessions, most recently used first. Admins.
    #[oai(
        path = "/users/:id/sessions",
        method = "get",
        operation_id = "listUserSessions"
    )]
    async fn user_sessions(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<SessionInfo>>, ApiError> {
        let caller = auth.0;
        db::users::by_id(&state.pool, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let sessions = db::sessions::list_active(&state.pool, id.0).await?;
        Ok(Json(
            sessions
                .into_iter()
                .map(|s| SessionInfo::of(s, caller.session))
                .collect(),
        ))
    }

    /// End a user's sessions
    ///
    /// Signs the user out everywhere at once (their tokens stop working); they can sign in again.
    /// Admins ending their own sessions keep the one making the request, so the dashboard they are
    /// using stays signed in. Admins.
    #[oai(
        path = "/users/:id/sessions",
        method = "delete",
        operation_id = "endUserSessions"
    )]
    async fn end_user_sessions(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<SessionsEnded>, ApiError> {
        let caller = auth.0;
        let mut tx = state.pool.begin().await?;
        db::users::by_id(&mut *tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let keep = (id.0 == caller.user).then_some(caller.session);
        let ended =
            db::sessions::revoke_others(&mut *tx, id.0, keep, db::sessions::Revocation::Admin)
                .await?;
        audit::record(
            &mut *tx,
            &admin_action(
                "admin.user_sessions_end",
                caller.user,
                id.0,
                &client,
                serde_json::json!({ "sessions_ended": ended }),
            ),
        )
        .await?;
        tx.commit().await?;
        state.cache.invalidate(&[Ns::User(id.0)]).await;
        Ok(Json(SessionsEnded { ended }))
    }

    /// Change a user's role
    ///
    /// Makes an athlete a coach, or an admin, and back. Admins cannot demote themselves, and the
    /// last active admin stays one (409), so the appliance always keeps an admin. Needs the password
    /// entered again lately (`POST /auth/reauthenticate`). Admins.
    #[oai(path = "/users/:id/role", method = "put", operation_id = "setUserRole")]
    async fn set_role(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<SetRole>,
    ) -> Result<Json<Account>, ApiError> {
        let caller = auth.0;
        let role: Role = body.role.into();
        if id.0 == caller.user && role != Role::Admin {
            return Err(ApiError::invalid(
                "role",
                "admins cannot remove their own admin role",
            ));
        }
        caller.require_recent_password(&state).await?;
        let mut tx = state.pool.begin().await?;
        if role != Role::Admin {
            keep_an_admin(&mut tx, id.0, "role").await?;
        }
        let before = db::users::by_id(&mut *tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        db::users::set_role(&mut *tx, id.0, role).await?;
        audit::record(
            &mut *tx,
            &admin_action(
                "admin.user_role",
                caller.user,
                id.0,
                &client,
                serde_json::json!({ "from": before.role.as_str(), "to": role.as_str() }),
            ),
        )
        .await?;
        let user = db::users::by_id(&mut *tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        tx.commit().await?;
        // The role applies at once: the user's cached sessions go.
        state.cache.invalidate(&[Ns::User(id.0)]).await;
        Ok(Json(user.into()))
    }

    /// Audit log
    ///
    /// Sign-ins (successful and failed), refresh-token reuse, account changes and admin actions,
    /// newest first. `action` matches exactly, or by prefix when it ends with a dot (`auth.`). Admins.
    #[oai(path = "/audit", method = "get", operation_id = "listAudit")]
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        #[oai(validator(max_length = 64, pattern = "^[a-z_.]+$"))] action: Query<Option<String>>,
        user_id: Query<Option<Uuid>>,
        #[oai(validator(pattern = "^(success|failure)$"))] outcome: Query<Option<String>>,
        since: Query<Option<OffsetDateTime>>,
        #[oai(validator(minimum(value = "1")))] before: Query<Option<i64>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "500"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<AuditPage>, ApiError> {
        let entries = db::audit::list(
            &state.pool,
            &audit::Filter {
                action: action.0,
                user: user_id.0,
                outcome: outcome.0,
                since: since.0,
                before: before.0,
                limit: limit.0,
            },
        )
        .await?;
        let next_before = (entries.len() as i64 == limit.0)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Ok(Json(AuditPage {
            entries: entries
                .into_iter()
                .map(|e| AuditEntry {
                    id: e.id,
                    at: e.at,
                    action: e.action,
                    outcome: e.outcome,
                    actor_id: e.actor_id,
                    subject_id: e.subject_id,
                    email: e.email,
                    ip: e.ip,
                    user_agent: e.user_agent,
                    details: e.details,
                })
                .collect(),
            next_before,
        }))
    }
}

/// An admin's successful action on a user, for the audit log.
fn admin_action<'a>(
    action: &'a str,
    admin: Uuid,
    user: Uuid,
    client: &'a ClientInfo,
    details: serde_json::Value,
) -> audit::Event<'a> {
    audit::Event {
        action,
        success: true,
        actor: Some(admin),
        subject: Some(user),
        ip: client.ip,
        user_agent: client.user_agent.as_deref(),
        details: Some(details),
        ..Default::default()
    }
}

fn default_page() -> i64 {
    50
}

fn default_limit() -> i64 {
    50
}

/// Refuses (409 on `field`) a change that would leave the appliance without an active admin:
/// `user` is one, and the only one. Locks the admins' rows for the rest of `tx`.
pub async fn keep_an_admin(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    user: Uuid,
    field: &str,
) -> Result<(), ApiError> {
    let admins = db::users::lock_active_admins(tx).await?;
    if admins == [user] {
        return Err(ApiError::conflict(
            field,
            "this is the last active admin; make another admin first",
        ));
    }
    Ok(())
}
