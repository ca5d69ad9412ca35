//! `/admin/backups`: the backups, taking one now, verifying, downloading and restoring. Admins only;
//! every action is audited.

use poem::{Body, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::Path,
    payload::{Attachment, AttachmentType, Json},
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::security::AdminAuth;
use super::{ApiTags, AppState, error::ApiError, security::ClientInfo};
use crate::{ops::backup::Backup, service::backups as service};

/// A backup in the manifest.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct BackupEntry {
    pub id: Uuid,
    pub file_name: String,
    /// The node that took it.
    pub node: String,
    /// `schedule`, `manual`, `cli` or `safety` (before a restore).
    pub trigger: String,
    /// `running`, `ok` or `failed`.
    pub status: String,
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    pub started_at: OffsetDateTime,
    #[oai(skip_serializing_if_is_none)]
    pub finished_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub duration_ms: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub size_bytes: Option<i64>,
    #[oai(skip_serializing_if_is_none)]
    pub sha256: Option<String>,
    /// The newest migration applied when it was taken.
    #[oai(skip_serializing_if_is_none)]
    pub schema_version: Option<i64>,
    #[oai(skip_serializing_if_is_none)]
    pub pg_dump_version: Option<String>,
    /// Checksum re-read and `pg_restore --list`.
    #[oai(skip_serializing_if_is_none)]
    pub verified_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub verify_ok: Option<bool>,
    #[oai(skip_serializing_if_is_none)]
    pub verify_detail: Option<String>,
    /// Restored into a scratch database and compared table by table with the live one.
    #[oai(skip_serializing_if_is_none)]
    pub deep_verified_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub deep_verify_ok: Option<bool>,
    #[oai(skip_serializing_if_is_none)]
    pub deep_verify_detail: Option<serde_json::Value>,
    /// Copied to S3-compatible storage (`backup.s3`), at `upload_key` (`s3://bucket/key`).
    #[oai(skip_serializing_if_is_none)]
    pub uploaded_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub upload_key: Option<String>,
    /// Why the copy failed (the backup itself is good).
    #[oai(skip_serializing_if_is_none)]
    pub upload_error: Option<String>,
}

impl From<Backup> for BackupEntry {
    fn from(b: Backup) -> Self {
        Self {
            id: b.id,
            file_name: b.file_name,
            node: b.node,
            trigger: b.trigger,
            status: b.status,
            error: b.error,
            started_at: b.started_at,
            finished_at: b.finished_at,
            duration_ms: b.duration_ms,
            size_bytes: b.size_bytes,
            sha256: b.sha256,
            schema_version: b.schema_version,
            pg_dump_version: b.pg_dump_version,
            verified_at: b.verified_at,
            verify_ok: b.verify_ok,
            verify_detail: b.verify_detail,
            deep_verified_at: b.deep_verified_at,
            deep_verify_ok: b.deep_verify_ok,
            deep_verify_detail: b.deep_verify_detail,
            uploaded_at: b.uploaded_at,
            upload_key: b.upload_key,
            upload_error: b.upload_error,
        }
    }
}

/// The backups and how they are taken and kept.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct BackupList {
    pub backups: Vec<BackupEntry>,
    pub enabled: bool,
    /// Cron with seconds, UTC.
    pub schedule: String,
    pub deep_verify_schedule: String,
    pub keep_days: u32,
    pub keep_last: u32,
    pub keep_weekly_weeks: u32,
}

/// Confirms a restore by naming the backup's file.
#[derive(Object, Debug, Clone)]
pub struct RestoreRequest {
    /// The backup's `file_name`, typed out.
    #[oai(validator(max_length = 100))]
    pub confirm: String,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct Restored {
    pub restored: BackupEntry,
    /// Taken of the data just before the restore.
    pub safety_backup: BackupEntry,
    /// Every session of the restored data was ended: everyone, the admin who restored included,
    /// signs in again.
    pub sessions_ended: u64,
}

#[derive(ApiResponse)]
pub enum BackupTaken {
    /// The backup, with its verification (`status` `failed` says why it failed).
    #[oai(status = 201)]
    Created(Json<BackupEntry>),
}

#[derive(ApiResponse)]
pub enum Download {
    /// The `pg_dump` custom-format file.
    #[oai(status = 200)]
    File(Attachment<Body>),
}

#[derive(Default)]
pub struct BackupsApi;

#[OpenApi(prefix_path = "/admin/backups", tag = "ApiTags::Admin")]
impl BackupsApi {
    /// Backups
    ///
    /// Every backup kept, newest first, with its size, checksum and verification, and the schedule
    /// and retention policy. Admins.
    #[oai(path = "/", method = "get", operation_id = "listBackups")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<BackupList>, ApiError> {
        let c = state.backups.config();
        Ok(Json(BackupList {
            backups: state
                .backups
                .list()
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
            enabled: c.enabled,
            schedule: c.schedule.clone(),
            deep_verify_schedule: c.deep_verify_schedule.clone(),
            keep_days: c.keep_days,
            keep_last: c.keep_last,
            keep_weekly_weeks: c.keep_weekly_weeks,
        }))
    }

    /// Take a backup now
    ///
    /// Runs `pg_dump`, writes the file atomically, verifies it and applies the retention policy;
    /// answers when it is done. Audited. Admins.
    #[oai(path = "/", method = "post", operation_id = "createBackup")]
    async fn create(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
    ) -> Result<BackupTaken, ApiError> {
        let backup = service::create(&state, client.actor(auth.0.user)).await?;
        Ok(BackupTaken::Created(Json(backup.into())))
    }

    /// Verify a backup
    ///
    /// Re-reads its checksum and lists it with `pg_restore --list`. Admins.
    #[oai(path = "/:id/verify", method = "post", operation_id = "verifyBackup")]
    async fn verify(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<BackupEntry>, ApiError> {
        Ok(Json(service::verify(&state, id.0).await?.into()))
    }

    /// Deep-verify a backup
    ///
    /// Restores it into a scratch database and compares the row counts of every table with the live
    /// database (the scratch database is dropped after). Admins.
    #[oai(
        path = "/:id/deep-verify",
        method = "post",
        operation_id = "deepVerifyBackup"
    )]
    async fn deep_verify(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<BackupEntry>, ApiError> {
        Ok(Json(service::deep_verify(&state, id.0).await?.into()))
    }

    /// Download a backup
    ///
    /// The file, streamed. Only files the manifest names are served. Audited. Admins.
    #[oai(
        path = "/:id/download",
        method = "get",
        operation_id = "downloadBackup"
    )]
    async fn download(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Download, ApiError> {
        let (backup, file) = service::download(&state, client.actor(auth.0.user), id.0).await?;
        Ok(Download::File(
            Attachment::new(Body::from_async_read(file))
                .attachment_type(AttachmentType::Attachment)
                .filename(backup.file_name),
        ))
    }

    /// Restore a backup
    ///
    /// Takes a safety backup of the current data, restores this backup into a new database, checks
    /// it, and swaps it in; the old database is kept under another name. Every session of the
    /// restored data ends (everyone signs in again), and the audit entries written since the backup
    /// are carried over. While it runs, writes are refused with 503 (`/api/v1/health` says
    /// `maintenance`). `confirm` must be the backup's file name, and the admin's password must have
    /// been entered again lately (`POST /auth/reauthenticate`; 403 with `detail_code`
    /// `reauthentication_required` otherwise). Audited. Admins.
    #[oai(path = "/:id/restore", method = "post", operation_id = "restoreBackup")]
    async fn restore(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<RestoreRequest>,
    ) -> Result<Json<Restored>, ApiError> {
        let backup = service::restorable(&state, id.0, &body.0.confirm).await?;
        auth.0.require_recent_password(&state).await?;
        let done = service::restore(&state, client.actor(auth.0.user), &backup).await?;
        Ok(Json(Restored {
            restored: backup.into(),
            safety_backup: done.safety.into(),
            sessions_ended: done.sessions_ended,
        }))
    }
}
