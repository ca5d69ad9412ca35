//! One-time setup links: the first admin created in the browser. A link works once, until it
//! expires, and only while no active admin exists.

use std::time::Duration;

use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// Serialises the first-admin check against concurrent setups (any constant both sides share).
const SETUP_LOCK: i64 = 0x5e70_5e70;

pub async fn active_admin_exists(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL)",
    )
    .fetch_one(db)
    .await
}

/// Stores a new link's token hash, valid for `ttl`, and drops expired ones; returns its expiry.
pub async fn issue(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    ttl: Duration,
) -> sqlx::Result<OffsetDateTime> {
    sqlx::query_scalar(
        "WITH expired AS (DELETE FROM setup_links WHERE expires_at <= now())
         INSERT INTO setup_links (token_hash, expires_at)
         VALUES ($1, now() + make_interval(secs => $2)) RETURNING expires_at",
    )
    .bind(&token_hash[..])
    .bind(ttl.as_secs_f64())
    .fetch_one(db)
    .await
}

/// Whether the link would create the first admin now (it may still lose a race to another one).
pub async fn usable(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM setup_links WHERE token_hash = $1 AND expires_at > now())
            AND NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL)",
    )
    .bind(&token_hash[..])
    .fetch_one(db)
    .await
}

/// Uses the link in `tx`: true when it was valid and no active admin exists, and then every link
/// is gone (the admin the caller creates in `tx` ends them all). Concurrent setups take turns.
pub async fn consume(
    tx: &mut Transaction<'_, Postgres>,
    token_hash: &[u8; 32],
) -> sqlx::Result<bool> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SETUP_LOCK)
        .execute(&mut **tx)
        .await?;
    let valid = usable(&mut **tx, token_hash).await?;
    if valid {
        sqlx::query("DELETE FROM setup_links")
            .execute(&mut **tx)
            .await?;
    }
    Ok(valid)
}
