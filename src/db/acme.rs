//! ACME state shared by the nodes: the account, certificates (keys sealed by the caller),
//! pending challenges and the record of attempts.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;

/// The sealed account credentials for a CA.
pub async fn account(
    db: impl PgExecutor<'_>,
    directory_url: &str,
) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT credentials_sealed FROM acme_accounts WHERE directory_url = $1")
        .bind(directory_url)
        .fetch_optional(db)
        .await
}

pub async fn save_account(
    db: impl PgExecutor<'_>,
    directory_url: &str,
    sealed: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO acme_accounts (directory_url, credentials_sealed) VALUES ($1, $2) \
         ON CONFLICT (directory_url) DO UPDATE SET credentials_sealed = EXCLUDED.credentials_sealed, \
         created_at = now()",
    )
    .bind(directory_url)
    .bind(sealed)
    .execute(db)
    .await?;
    Ok(())
}

/// A stored certificate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    pub id: i64,
    pub chain_pem: String,
    pub key_sealed: Vec<u8>,
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub node: String,
    pub created_at: OffsetDateTime,
}

/// The newest certificate's id for these domains from this CA: what every node polls.
pub async fn newest_id(
    pool: &PgPool,
    name: &str,
    directory_url: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM tls_certificates WHERE name = $1 AND directory_url = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(name)
    .bind(directory_url)
    .fetch_optional(pool)
    .await
}

/// The newest certificate for these domains from this CA.
pub async fn newest(
    pool: &PgPool,
    name: &str,
    directory_url: &str,
) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as(
        "SELECT id, chain_pem, key_sealed, serial, not_before, not_after, node, created_at \
         FROM tls_certificates WHERE name = $1 AND directory_url = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(name)
    .bind(directory_url)
    .fetch_optional(pool)
    .await
}

pub async fn certificate(pool: &PgPool, id: i64) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as(
        "SELECT id, chain_pem, key_sealed, serial, not_before, not_after, node, created_at \
         FROM tls_certificates WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// What a new certificate is stored as.
pub struct NewCertificate<'a> {
    pub name: &'a str,
    pub directory_url: &'a str,
    pub chain_pem: &'a str,
    pub key_sealed: &'a [u8],
    pub serial: &'a str,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub node: &'a str,
}

/// Stores a certificate and keeps the three newest for its name; returns its id.
pub async fn insert_certificate(pool: &PgPool, cert: &NewCertificate<'_>) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tls_certificates (name, directory_url, chain_pem, key_sealed, serial, not_before, \
         not_after, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(cert.name)
    .bind(cert.directory_url)
    .bind(cert.chain_pem)
    .bind(cert.key_sealed)
    .bind(cert.serial)
    .bind(cert.not_before)
    .bind(cert.not_after)
    .bind(cert.node)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM tls_certificates WHERE name = $1 AND id NOT IN \
         (SELECT id FROM tls_certificates WHERE name = $1 ORDER BY id DESC LIMIT 3)",
    )
    .bind(cert.name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Publishes a challenge answer for every node to serve.
pub async fn put_challenge(
    db: impl PgExecutor<'_>,
    kind: &str,
    name: &str,
    key_authorization: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO acme_challenges (kind, name, key_authorization) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, name) DO UPDATE SET key_authorization = EXCLUDED.key_authorization, \
         created_at = now()",
    )
    .bind(kind)
    .bind(name)
    .bind(key_authorization)
    .execute(db)
    .await?;
    Ok(())
}

/// The key authorization to answer a challenge with, if one is pending.
pub async fn challenge(pool: &PgPool, kind: &str, name: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT key_authorization FROM acme_challenges WHERE kind = $1 AND name = $2",
    )
    .bind(kind)
    .bind(name)
    .fetch_optional(pool)
    .await
}

pub async fn remove_challenges(pool: &PgPool, kind: &str, names: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM acme_challenges WHERE kind = $1 AND name = ANY($2)")
        .bind(kind)
        .bind(names)
        .execute(pool)
        .await?;
    Ok(())
}

/// One attempt to obtain a certificate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub id: i64,
    pub name: String,
    pub node: String,
    pub reason: String,
    pub challenge: String,
    pub directory_url: String,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub outcome: String,
    pub error: Option<String>,
    pub certificate_id: Option<i64>,
    pub retry_at: Option<OffsetDateTime>,
}

/// Starts an attempt. Called under the ordering lock, so any attempt still `running` was left by a
/// node that stopped mid-order: it is closed as failed first.
pub async fn start_attempt(
    pool: &PgPool,
    name: &str,
    node: &str,
    reason: &str,
    challenge: &str,
    directory_url: &str,
) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE acme_attempts SET outcome = 'failed', finished_at = now(), \
         error = 'interrupted: the node stopped before the order finished' \
         WHERE name = $1 AND outcome = 'running'",
    )
    .bind(name)
    .execute(&mut *tx)
    .await?;
    let id = sqlx::query_scalar(
        "INSERT INTO acme_attempts (name, node, reason, challenge, directory_url) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(node)
    .bind(reason)
    .bind(challenge)
    .bind(directory_url)
    .fetch_one(&mut *tx)
    .await?;
    // A year of attempts is plenty of history.
    sqlx::query("DELETE FROM acme_attempts WHERE started_at < now() - interval '365 days'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn finish_attempt(
    pool: &PgPool,
    id: i64,
    outcome: Result<i64, (&str, OffsetDateTime)>,
) -> sqlx::Result<()> {
    let (outcome, certificate_id, error, retry_at) = match outcome {
        Ok(certificate_id) => ("issued", Some(certificate_id), None, None),
        Err((error, retry_at)) => ("failed", None, Some(error), Some(retry_at)),
    };
    sqlx::query(
        "UPDATE acme_attempts SET outcome = $2, finished_at = now(), certificate_id = $3, error = $4, \
         retry_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(outcome)
    .bind(certificate_id)
    .bind(error)
    .bind(retry_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Failures in a row since the last issued certificate (for these domains from this CA), and when
/// the last of them allows the next try.
pub async fn failures(
    pool: &PgPool,
    name: &str,
    directory_url: &str,
) -> sqlx::Result<(u32, Option<OffsetDateTime>)> {
    let (count, retry_at): (i64, Option<OffsetDateTime>) = sqlx::query_as(
        "SELECT count(*), max(retry_at) FROM acme_attempts \
         WHERE name = $1 AND directory_url = $2 AND outcome = 'failed' AND id > coalesce( \
           (SELECT max(id) FROM acme_attempts WHERE name = $1 AND directory_url = $2 AND outcome = 'issued'), 0)",
    )
    .bind(name)
    .bind(directory_url)
    .fetch_one(pool)
    .await?;
    Ok((u32::try_from(count).unwrap_or(u32::MAX), retry_at))
}

/// The newest attempts, newest first.
pub async fn attempts(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<Attempt>> {
    sqlx::query_as(
        "SELECT id, name, node, reason, challenge, directory_url, started_at, finished_at, outcome, \
         error, certificate_id, retry_at FROM acme_attempts ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
