//! Products an athlete confirmed after asking their doctor: only these, of the products with a
//! caution for them, are recommended and planned. Revoking keeps the row, dated, as the record.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

/// A confirmation as the athlete and their coach see it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Confirmation {
    pub id: Uuid,
    pub product_id: Uuid,
    pub confirmed_by: Option<Uuid>,
    /// The confirming user's role when they confirmed: `athlete` (themselves) or `coach`.
    pub confirmed_by_role: String,
    pub note: Option<String>,
    pub confirmed_at: OffsetDateTime,
}

/// The products the user has confirmed and not revoked.
pub async fn active_products(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT product_id FROM supplement_confirmations WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .fetch_all(db)
    .await
}

/// The user's confirmations in force, newest first.
pub async fn active(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<Vec<Confirmation>> {
    sqlx::query_as(
        "SELECT id, product_id, confirmed_by,
                CASE WHEN confirmed_by = user_id THEN 'athlete' ELSE 'coach' END AS confirmed_by_role,
                note, confirmed_at
         FROM supplement_confirmations WHERE user_id = $1 AND revoked_at IS NULL
         ORDER BY confirmed_at DESC, id",
    )
    .bind(user)
    .fetch_all(db)
    .await
}

/// Confirms a product for a user; `None` when a confirmation is already in force (it is kept).
pub async fn confirm(
    db: impl PgExecutor<'_>,
    user: Uuid,
    product: Uuid,
    by: Uuid,
    note: Option<&str>,
) -> sqlx::Result<Option<Confirmation>> {
    sqlx::query_as(
        "INSERT INTO supplement_confirmations (user_id, product_id, confirmed_by, note)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, product_id) WHERE revoked_at IS NULL DO NOTHING
         RETURNING id, product_id, confirmed_by,
                   CASE WHEN confirmed_by = user_id THEN 'athlete' ELSE 'coach' END AS confirmed_by_role,
                   note, confirmed_at",
    )
    .bind(user)
    .bind(product)
    .bind(by)
    .bind(note)
    .fetch_optional(db)
    .await
}

/// Revokes the user's confirmation of a product; whether one was in force.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    user: Uuid,
    product: Uuid,
    by: Uuid,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE supplement_confirmations SET revoked_at = now(), revoked_by = $3
         WHERE user_id = $1 AND product_id = $2 AND revoked_at IS NULL",
    )
    .bind(user)
    .bind(product)
    .bind(by)
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}
