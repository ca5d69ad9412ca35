//! The backup manifest in the database.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

/// One backup attempt.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Backup {
    pub id: Uuid,
    pub file_name: String,
    pub node: String,
    pub trigger: String,
    pub status: String,
    pub error: Option<String>,
    pub started_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub duration_ms: Option<i32>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub schema_version: Option<i64>,
    pub pg_dump_version: Option<String>,
    pub verified_at: Option<OffsetDateTime>,
    pub verify_ok: Option<bool>,
    pub verify_detail: Option<String>,
    pub deep_verified_at: Option<OffsetDateTime>,
    pub deep_verify_ok: Option<bool>,
    pub deep_verify_detail: Option<serde_json::Value>,
    pub deleted_at: Option<OffsetDateTime>,
    /// Copied to S3-compatible storage under `upload_key`; or why the copy failed.
    #[serde(default)]
    pub uploaded_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub upload_key: Option<String>,
    #[serde(default)]
    pub upload_error: Option<String>,
}

const COLUMNS: &str = "id, file_name, node, trigger, status, error, started_at, finished_at, duration_ms, size_bytes,
    sha256, schema_version, pg_dump_version, verified_at, verify_ok, verify_detail, deep_verified_at,
    deep_verify_ok, deep_verify_detail, deleted_at, uploaded_at, upload_key, upload_error";

pub async fn start(
    db: impl PgExecutor<'_>,
    id: Uuid,
    file_name: &str,
    node: &str,
    trigger: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO backups (id, file_name, node, trigger, status) VALUES ($1, $2, $3, $4, 'running')")
        .bind(id)
        .bind(file_name)
        .bind(node)
        .bind(trigger)
        .execute(db)
        .await?;
    Ok(())
}

/// What a finished attempt produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub ok: bool,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub schema_version: Option<i64>,
    pub pg_dump_version: Option<String>,
    /// The checksum re-read and `pg_restore --list` ran (only for good backups).
    pub verify_ok: Option<bool>,
    pub verify_detail: Option<String>,
}

pub async fn finish(db: impl PgExecutor<'_>, id: Uuid, o: &Outcome) -> sqlx::Result<Backup> {
    sqlx::query_as(&format!(
        "UPDATE backups SET status = $2, error = $3, finished_at = now(), duration_ms = $4, size_bytes = $5,
                sha256 = $6, schema_version = $7, pg_dump_version = $8,
                verified_at = CASE WHEN $9::bool IS NULL THEN NULL ELSE now() END, verify_ok = $9, verify_detail = $10
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(if o.ok { "ok" } else { "failed" })
    .bind(&o.error)
    .bind(o.duration_ms)
    .bind(o.size_bytes)
    .bind(&o.sha256)
    .bind(o.schema_version)
    .bind(&o.pg_dump_version)
    .bind(o.verify_ok)
    .bind(&o.verify_detail)
    .fetch_one(db)
    .await
}

pub async fn record_verify(
    db: impl PgExecutor<'_>,
    id: Uuid,
    ok: bool,
    detail: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE backups SET verified_at = now(), verify_ok = $2, verify_detail = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(ok)
    .bind(detail)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn record_deep_verify(
    db: impl PgExecutor<'_>,
    id: Uuid,
    ok: bool,
    detail: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE backups SET deep_verified_at = now(), deep_verify_ok = $2, deep_verify_detail = $3 WHERE id = $1")
        .bind(id)
        .bind(ok)
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

/// The upload of a good backup: where it went, or why it failed.
pub async fn record_upload(
    db: impl PgExecutor<'_>,
    id: Uuid,
    result: Result<&str, &str>,
) -> sqlx::Result<Backup> {
    let (key, error) = match result {
        Ok(key) => (Some(key), None),
        Err(e) => (None, Some(e)),
    };
    sqlx::query_as(&format!(
        "UPDATE backups SET uploaded_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END,
                upload_key = $2, upload_error = $3
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(key)
    .bind(error)
    .fetch_one(db)
    .await
}

pub async fn mark_deleted(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query("UPDATE backups SET deleted_at = now() WHERE id = ANY($1) AND deleted_at IS NULL")
        .bind(ids)
        .execute(db)
        .await?;
    Ok(())
}

/// Every attempt not deleted by retention, newest first.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Backup>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backups WHERE deleted_at IS NULL ORDER BY started_at DESC, id"
    ))
    .fetch_all(db)
    .await
}

/// The newest good backup retention has not deleted.
pub async fn newest_good(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Backup>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backups WHERE status = 'ok' AND deleted_at IS NULL
         ORDER BY finished_at DESC NULLS LAST LIMIT 1"
    ))
    .fetch_optional(db)
    .await
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Backup>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM backups WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The advisory-lock key a running attempt holds on its own connection until it finishes.
pub const RUNNING_LOCK: &str =
    "SELECT pg_advisory_lock(hashtextextended('sports-nutrition:backup:' || $1::text, 0))";

/// Attempts left `running` by a process that died (nobody holds their lock any more): failed.
pub async fn fail_abandoned(pool: &sqlx::PgPool) -> sqlx::Result<u64> {
    let running: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM backups WHERE status = 'running'")
        .fetch_all(pool)
        .await?;
    if running.is_empty() {
        return Ok(0);
    }
    let mut conn = pool.acquire().await?;
    let mut failed = 0;
    for id in running {
        let free: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock(hashtextextended('sports-nutrition:backup:' || $1::text, 0))",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        if free {
            failed += sqlx::query(
                "UPDATE backups SET status = 'failed', error = 'interrupted (the process taking it stopped)',
                        finished_at = now()
                 WHERE id = $1 AND status = 'running'",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            sqlx::query("SELECT pg_advisory_unlock(hashtextextended('sports-nutrition:backup:' || $1::text, 0))")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(failed)
}

/// Every entry, deleted ones too (carried over a restore).
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Backup>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backups ORDER BY started_at"
    ))
    .fetch_all(db)
    .await
}

/// Writes these entries over the table's (a restored database gets the manifest as it was just
/// before the restore: the files on disk did not go back in time).
pub async fn put_all(db: &mut sqlx::PgConnection, entries: &[Backup]) -> sqlx::Result<()> {
    for b in entries {
        sqlx::query(&format!(
            "INSERT INTO backups ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                    $15, $16, $17, $18, $19, $20, $21, $22, $23)
             ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, error = EXCLUDED.error,
                    finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
                    size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256,
                    schema_version = EXCLUDED.schema_version, pg_dump_version = EXCLUDED.pg_dump_version,
                    verified_at = EXCLUDED.verified_at, verify_ok = EXCLUDED.verify_ok,
                    verify_detail = EXCLUDED.verify_detail, deep_verified_at = EXCLUDED.deep_verified_at,
                    deep_verify_ok = EXCLUDED.deep_verify_ok, deep_verify_detail = EXCLUDED.deep_verify_detail,
                    deleted_at = EXCLUDED.deleted_at, uploaded_at = EXCLUDED.uploaded_at,
                    upload_key = EXCLUDED.upload_key, upload_error = EXCLUDED.upload_error"
        ))
        .bind(b.id)
        .bind(&b.file_name)
        .bind(&b.node)
        .bind(&b.trigger)
        .bind(&b.status)
        .bind(&b.error)
        .bind(b.started_at)
        .bind(b.finished_at)
        .bind(b.duration_ms)
        .bind(b.size_bytes)
        .bind(&b.sha256)
        .bind(b.schema_version)
        .bind(&b.pg_dump_version)
        .bind(b.verified_at)
        .bind(b.verify_ok)
        .bind(&b.verify_detail)
        .bind(b.deep_verified_at)
        .bind(b.deep_verify_ok)
        .bind(&b.deep_verify_detail)
        .bind(b.deleted_at)
        .bind(b.uploaded_at)
        .bind(&b.upload_key)
        .bind(&b.upload_error)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}
