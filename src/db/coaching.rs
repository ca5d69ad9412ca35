//! Coach access: athletes grant coaches read access to their data, and can withdraw it.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::users::User;

/// Lets `coach` read `athlete`'s data; true when newly granted.
pub async fn grant(db: impl PgExecutor<'_>, athlete: Uuid, coach: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO coach_grants (athlete_id, coach_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(athlete)
    .bind(coach)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn withdraw(db: impl PgExecutor<'_>, athlete: Uuid, coach: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM coach_grants WHERE athlete_id = $1 AND coach_id = $2")
        .bind(athlete)
        .bind(coach)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn has_grant(db: impl PgExecutor<'_>, athlete: Uuid, coach: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM coach_grants WHERE athlete_id = $1 AND coach_id = $2)",
    )
    .bind(athlete)
    .bind(coach)
    .fetch_one(db)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct Grant {
    #[sqlx(flatten)]
    pub user: User,
    pub granted_at: OffsetDateTime,
}

/// The coaches `athlete` has granted access to.
pub async fn coaches_of(pool: &PgPool, athlete: Uuid) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as(
        "SELECT u.id, u.email, u.role, u.language, u.display_name, u.created_at, g.granted_at
         FROM coach_grants g JOIN users u ON u.id = g.coach_id
         WHERE g.athlete_id = $1 ORDER BY g.granted_at",
    )
    .bind(athlete)
    .fetch_all(pool)
    .await
}

/// The athletes who granted `coach` access.
pub async fn athletes_of(pool: &PgPool, coach: Uuid) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as(
        "SELECT u.id, u.email, u.role, u.language, u.display_name, u.created_at, g.granted_at
         FROM coach_grants g JOIN users u ON u.id = g.athlete_id
         WHERE g.coach_id = $1 ORDER BY g.granted_at",
    )
    .bind(coach)
    .fetch_all(pool)
    .await
}
