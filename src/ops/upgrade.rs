//! Upgrades and the way back. Migrations only go forward, so before they change a database that
//! already holds data, a verified backup of it is taken, and nothing is migrated without one
//! (`backup.before_migrating`). The retention policy keeps the newest backup of an earlier schema
//! until the next upgrade, and `rollback` restores it: the data as it was just before the upgrade,
//! which the previous version runs on again.

use anyhow::{Context, bail};
use sqlx::migrate::MigrateError;

use crate::{
    config::Config,
    db::{self, Database},
    ops::backup::{Backup, Backups, RestoredBy, Trigger},
};

/// What [`migrate`] did.
#[derive(Debug)]
pub struct Migrated {
    /// The migrations applied, oldest first.
    pub applied: Vec<i64>,
    /// The backup taken before them, when the database held data.
    pub backup: Option<Backup>,
}

/// Applies pending migrations, after a verified backup when they change a database that has been
/// migrated before.
pub async fn migrate(config: &Config, db: &Database) -> anyhow::Result<Migrated> {
    let mut pending = db::pending_migrations(&db.pool).await?;
    pending.sort_unstable();
    let upgrading = !pending.is_empty() && db::schema_version(&db.pool).await?.is_some();
    let backup = match upgrading && config.backup.before_migrating {
        true => {
            tracing::info!(
                ?pending,
                "taking a backup before the migrations change the database"
            );
            let backup = Backups::new(config, db)?.create(Trigger::Safety).await?;
            if backup.status != "ok" || backup.verify_ok != Some(true) {
                bail!(
                    "the backup before migrating failed, so nothing was migrated: {}; fix that, or set \
                     backup.before_migrating = false to migrate without a way back",
                    backup
                        .error
                        .as_deref()
                        .or(backup.verify_detail.as_deref())
                        .unwrap_or("not verified")
                );
            }
            tracing::info!(file = %backup.file_name, "backup before migrating taken and verified");
            Some(backup)
        }
        false => None,
    };
    db::migrate(&db.pool).await.map_err(explain)?;
    Ok(Migrated {
        applied: pending,
        backup,
    })
}

/// A migration error, with what to do when the database is newer than this binary.
fn explain(e: MigrateError) -> anyhow::Error {
    match e {
        MigrateError::VersionMissing(version) => anyhow::anyhow!(
            "the database has migration {version}, which this version does not know: a newer version \
             upgraded it. Run that version again, or undo its upgrade with `sports-nutrition rollback` \
             (every node stopped first; see docs/operations.md)"
        ),
        e => anyhow::Error::new(e).context("applying database migrations"),
    }
}

/// The backup `rollback` restores: the newest good one taken at a schema older than `current`
/// that a binary knowing migrations up to `known` can run on.
pub fn way_back(backups: &[Backup], current: i64, known: i64) -> Option<&Backup> {
    backups
        .iter()
        .filter(|b| b.status == "ok" && b.deleted_at.is_none())
        .filter(|b| b.schema_version.is_some_and(|v| v < current && v <= known))
        .max_by_key(|b| (b.started_at, b.id))
}

/// The rollback `plan` would do, for the operator to confirm.
pub struct Rollback {
    pub backup: Backup,
    /// The database's schema version now.
    pub current: i64,
    backups: Backups,
}

/// What rolling back would restore, or why there is nothing to roll back to.
pub async fn plan(config: &Config, db: &Database) -> anyhow::Result<Rollback> {
    let current = db::schema_version(&db.pool)
        .await?
        .context("the database has never been migrated: there is nothing to roll back")?;
    let backups = Backups::new(config, db)?;
    let all = backups.list().await?;
    let backup = way_back(&all, current, db::newest_known_migration())
        .cloned()
        .with_context(|| {
            format!(
                "no good backup of a schema older than the database's ({current}): nothing to roll back to"
            )
        })?;
    Ok(Rollback {
        backup,
        current,
        backups,
    })
}

impl Rollback {
    /// Verifies the backup again (checksum, `pg_restore --list`), then restores it; see
    /// [`Backups::restore`] (a safety backup of the current data comes first).
    pub async fn run(self) -> anyhow::Result<crate::ops::backup::Restored> {
        let verified = self.backups.verify(self.backup.id).await?;
        if verified.verify_ok != Some(true) {
            bail!(
                "the backup {} did not verify, so nothing was restored: {}",
                verified.file_name,
                verified.verify_detail.unwrap_or_default()
            );
        }
        let by = RestoredBy {
            via: "rollback",
            ..Default::default()
        };
        self.backups.restore(self.backup.id, &by).await
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, OffsetDateTime};
    use uuid::Uuid;

    use super::*;

    fn backup(minutes_ago: i64, schema: i64, status: &str) -> Backup {
        let at = OffsetDateTime::now_utc() - Duration::minutes(minutes_ago);
        Backup {
            id: Uuid::new_v4(),
            file_name: format!("sn-{minutes_ago}.dump"),
            node: "n".into(),
            trigger: "safety".into(),
            status: status.into(),
            error: None,
            started_at: at,
            finished_at: Some(at),
            duration_ms: None,
            size_bytes: None,
            sha256: None,
            schema_version: Some(schema),
            pg_dump_version: None,
            verified_at: None,
            verify_ok: None,
            verify_detail: None,
            deep_verified_at: None,
            deep_verify_ok: None,
            deep_verify_detail: None,
            deleted_at: None,
            uploaded_at: None,
            upload_key: None,
            upload_error: None,
        }
    }

    #[test]
    fn the_way_back_is_the_newest_good_backup_of_an_earlier_schema_this_binary_knows() {
        let older = backup(300, 20, "ok");
        let before_upgrade = backup(60, 22, "ok");
        let failed = backup(50, 22, "failed");
        let after_upgrade = backup(10, 23, "ok");
        let all = [
            older.clone(),
            before_upgrade.clone(),
            failed,
            after_upgrade.clone(),
        ];
        let id = |b: Option<&Backup>| b.map(|b| b.id);
        assert_eq!(id(way_back(&all, 23, 23)), Some(before_upgrade.id));
        // The previous version's binary, which knows migrations up to 22, picks the same one.
        assert_eq!(id(way_back(&all, 23, 22)), Some(before_upgrade.id));
        // A binary that knows only up to 21 cannot run on that data: the one before.
        assert_eq!(id(way_back(&all, 23, 21)), Some(older.id));
        // Nothing older than the database's schema: nothing to roll back to.
        assert_eq!(id(way_back(&all, 20, 23)), None);
        let mut deleted = before_upgrade;
        deleted.deleted_at = Some(OffsetDateTime::now_utc());
        assert_eq!(
            id(way_back(&[older.clone(), deleted, after_upgrade], 23, 23)),
            Some(older.id)
        );
    }
}
