//! Sign-in sessions and their rotating refresh tokens.

use std::net::IpAddr;

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::account::Role;

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    Logout,
    Owner,
    PasswordChanged,
    ReuseDetected,
    /// An admin ended the user's sessions.
    Admin,
    /// An admin disabled the account.
    Disabled,
    /// The database was restored from a backup.
    Restore,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Days after the last refresh.
    pub refresh_ttl_days: u32,
    /// Days after sign-in, however often refreshed.
    pub max_age_days: u32,
}

impl Revocation {
    fn as_str(self) -> &'static str {
        match self {
            Revocation::Logout => "logout",
            Revocation::Owner => "owner",
            Revocation::PasswordChanged => "password_changed",
            Revocation::ReuseDetected => "reuse_detected",
            Revocation::Admin => "admin",
            Revocation::Disabled => "disabled",
            Revocation::Restore => "restore",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Opens a session with its first refresh token.
pub async fn create(
    pool: &PgPool,
    user: Uuid,
    refresh_hash: &[u8; 32],
    terms: Terms,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, expires_at, ip, user_agent)
         VALUES ($1, $2, now() + make_interval(days => $3), $4::inet, $5)",
    )
    .bind(id)
    .bind(user)
    .bind(terms.refresh_ttl_days.min(terms.max_age_days) as i32)
    .bind(ip.map(|ip| ip.to_string()))
    .bind(user_agent)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)")
        .bind(&refresh_hash[..])
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used, and its successor is stored.
    Rotated {
        user: Uuid,
        session: Uuid,
        role: Role,
    },
    /// The token had already been used: someone holds a copy. The whole session is revoked.
    Reused { user: Uuid, session: Uuid },
    /// Unknown token, or its session is revoked or expired.
    Invalid,
}

/// Uses `presented` once: marks it used and stores `successor` in its session, which lives on for
/// the refresh lifetime but never past its maximum age. Row locks make two concurrent uses of one
/// token count as a reuse.
pub async fn rotate(
    pool: &PgPool,
    presented: &[u8; 32],
    successor: &[u8; 32],
    terms: Terms,
) -> sqlx::Result<Rotation> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, Option<OffsetDateTime>, Uuid, bool, String)> = sqlx::query_as(
        "SELECT t.session_id, t.used_at, s.user_id,
                s.revoked_at IS NULL AND s.expires_at > now()
                    AND s.created_at > now() - make_interval(days => $2),
                u.role
         FROM refresh_tokens t
         JOIN sessions s ON s.id = t.session_id
         JOIN users u ON u.id = s.user_id
         WHERE t.token_hash = $1
         FOR UPDATE OF t, s",
    )
    .bind(&presented[..])
    .bind(terms.max_age_days as i32)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((session, used_at, user, active, role)) = row else {
        return Ok(Rotation::Invalid);
    };
    if !active {
        return Ok(Rotation::Invalid);
    }
    if used_at.is_some() {
        revoke_in(&mut *tx, session, Revocation::ReuseDetected).await?;
        tx.commit().await?;
        return Ok(Rotation::Reused { user, session });
    }
    let Ok(role) = Role::try_from(role) else {
        return Ok(Rotation::Invalid);
    };
    sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1")
        .bind(&presented[..])
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)")
        .bind(&successor[..])
        .bind(session)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE sessions SET last_used_at = now(),
                expires_at = LEAST(now() + make_interval(days => $2),
                                   created_at + make_interval(days => $3))
         WHERE id = $1",
    )
    .bind(session)
    .bind(terms.refresh_ttl_days as i32)
    .bind(terms.max_age_days as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Rotation::Rotated {
        user,
        session,
        role,
    })
}

/// The user's current role if `session` is theirs and still active.
pub async fn active_role(
    db: impl PgExecutor<'_>,
    session: Uuid,
    user: Uuid,
) -> sqlx::Result<Option<(Role, String)>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT u.role, u.language FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()",
    )
    .bind(session)
    .bind(user)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(role, language)| Role::try_from(role).ok().map(|r| (r, language))))
}

async fn revoke_in(db: impl PgExecutor<'_>, session: Uuid, why: Revocation) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(session)
    .bind(why.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes one of `user`'s sessions; false when it is not theirs or already ended.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    user: Uuid,
    session: Uuid,
    why: Revocation,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $3
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(session)
    .bind(user)
    .bind(why.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes the session `refresh_token` (current or already used) belongs to; its user when it was
/// still active.
pub async fn revoke_by_refresh_token(
    db: impl PgExecutor<'_>,
    refresh_token: &[u8; 32],
    why: Revocation,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE sessions s SET revoked_at = now(), revoked_reason = $2
         FROM refresh_tokens t
         WHERE t.token_hash = $1 AND s.id = t.session_id AND s.revoked_at IS NULL
         RETURNING s.user_id",
    )
    .bind(&refresh_token[..])
    .bind(why.as_str())
    .fetch_optional(db)
    .await
}

/// Revokes every session of `user` except `keep`.
pub async fn revoke_others(
    db: impl PgExecutor<'_>,
    user: Uuid,
    keep: Option<Uuid>,
    why: Revocation,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $3
         WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2",
    )
    .bind(user)
    .bind(keep)
    .bind(why.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Records that the session's user entered their password again just now.
pub async fn reauthenticated(db: impl PgExecutor<'_>, session: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET reauthenticated_at = now() WHERE id = $1")
        .bind(session)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether the session's user entered their password again within the last `window_secs`.
pub async fn recently_reauthenticated(
    db: impl PgExecutor<'_>,
    session: Uuid,
    window_secs: u64,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT coalesce(reauthenticated_at > now() - make_interval(secs => $2), false)
         FROM sessions WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(session)
    .bind(window_secs as f64)
    .fetch_optional(db)
    .await
    .map(|fresh| fresh.unwrap_or(false))
}

/// Ends every active session (a restored database starts with everyone signed out); returns the
/// users who had one.
pub async fn revoke_all(db: impl PgExecutor<'_>, why: Revocation) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $1
         WHERE revoked_at IS NULL RETURNING user_id",
    )
    .bind(why.as_str())
    .fetch_all(db)
    .await
}

/// The user's active sessions, newest first.
pub async fn list_active(pool: &PgPool, user: Uuid) -> sqlx::Result<Vec<Session>> {
    sqlx::query_as(
        "SELECT id, created_at, last_used_at, expires_at, host(ip) AS ip, user_agent FROM sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
         ORDER BY last_used_at DESC",
    )
    .bind(user)
    .fetch_all(pool)
    .await
}
