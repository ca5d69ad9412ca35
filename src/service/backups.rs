//! Backups as admins run them from the API: taking one now, verifying, handing out the file, and
//! restoring. The work itself is [`crate::ops::backup`]'s; this decides what a request may ask of
//! it and audits what it did. A backup or restore, once started, runs to its end on a task of its
//! own even when the client goes away.

use std::path::PathBuf;

use uuid::Uuid;

use super::{Actor, AppState, Error, Result};
use crate::{
    cache::Ns,
    ops::backup::{Backup, Restored, RestoredBy, Trigger},
};

/// A backup in the manifest that was not deleted.
pub async fn found(state: &AppState, id: Uuid) -> Result<Backup> {
    state
        .backups
        .get(id)
        .await?
        .filter(|b| b.deleted_at.is_none())
        .ok_or(Error::NotFound("backup"))
}

/// Takes a backup now, verified and with the retention policy applied.
pub async fn create(state: &AppState, actor: Actor<'_>) -> Result<Backup> {
    let backups = state.backups.clone();
    let backup = tokio::spawn(async move { backups.create(Trigger::Manual).await })
        .await
        .map_err(|e| anyhow::anyhow!("the backup task failed: {e}"))??;
    audit(state, actor, "admin.backup_create", &backup).await?;
    Ok(backup)
}

/// Re-reads the backup's checksum and lists it with `pg_restore --list`.
pub async fn verify(state: &AppState, id: Uuid) -> Result<Backup> {
    found(state, id).await?;
    state.backups.verify(id).await.map_err(refused)
}

/// Restores the backup into a scratch database and compares every table's rows with the live one.
pub async fn deep_verify(state: &AppState, id: Uuid) -> Result<Backup> {
    found(state, id).await?;
    state.backups.deep_verify(id).await.map_err(refused)
}

/// The backup's file, when it is a good backup still on disk; the download is audited.
pub async fn download(
    state: &AppState,
    actor: Actor<'_>,
    id: Uuid,
) -> Result<(Backup, tokio::fs::File)> {
    let backup = found(state, id).await?;
    let path: PathBuf = match (
        backup.status.as_str(),
        backup.deleted_at,
        state.backups.path_of(&backup),
    ) {
        ("ok", None, Some(path)) => path,
        _ => return Err(Error::NotFound("backup file")),
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| Error::NotFound("backup file"))?;
    audit(state, actor, "admin.backup_download", &backup).await?;
    Ok((backup, file))
}

/// The backup a restore request names, when `confirm` is its file name and no other restore runs.
pub async fn restorable(state: &AppState, id: Uuid, confirm: &str) -> Result<Backup> {
    let backup = found(state, id).await?;
    if confirm.trim() != backup.file_name {
        return Err(Error::invalid(
            "confirm",
            "type the backup's file_name to confirm the restore",
        ));
    }
    if state.maintenance.is_on() {
        return Err(Error::conflict("id", "another restore is running"));
    }
    Ok(backup)
}

/// Restores `backup` after a safety backup of the current data, and drops every cached read, since
/// each (sessions too) may describe the data before the restore.
pub async fn restore(state: &AppState, actor: Actor<'_>, backup: &Backup) -> Result<Restored> {
    let (backups, cache, id) = (state.backups.clone(), state.cache.clone(), backup.id);
    let by = RestoredBy {
        actor: Some(actor.user),
        ip: actor.ip,
        user_agent: actor.user_agent.map(str::to_owned),
        via: "api",
    };
    let result = tokio::spawn(async move {
        let result = backups.restore(id, &by).await;
        cache.invalidate(&[Ns::All]).await;
        result
    })
    .await
    .map_err(|e| anyhow::anyhow!("the restore task failed: {e}"))?;
    result.map_err(refused)
}

/// A backup that cannot be verified or restored as asked: a conflict with the reason.
fn refused(e: anyhow::Error) -> Error {
    tracing::warn!(error = %format!("{e:#}"), "backup operation refused or failed");
    Error::conflict("id", format!("{e:#}"))
}

async fn audit(state: &AppState, actor: Actor<'_>, action: &str, b: &Backup) -> Result<()> {
    let details = serde_json::json!({ "id": b.id, "file": b.file_name, "status": b.status });
    actor.record(&state.pool, action, true, details).await
}
