//! Backups: `pg_dump` in custom format, written atomically (a temporary file, fsync, rename, fsync of
//! the directory) with a manifest entry (in the database and mirrored to `manifest.json`), verified
//! (checksum re-read and `pg_restore --list`), deep-verified (restored into a scratch database and
//! compared table by table with the live one), pruned by the retention policy after a good backup,
//! and restored through a new database that is checked before it takes the live one's name.

use std::{
    collections::BTreeMap,
    io::Read,
    path::{Path, PathBuf},
    process::Output,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    config::{BackupConfig, Config},
    db::{self, Database, ToolTarget, backups::Outcome},
    domain::retention,
    ops::{jobs, leader, maintenance::Maintenance, offsite::Offsite},
};

pub use db::backups::Backup;

/// Who restores, for the audit entry the restore writes into the restored database.
#[derive(Debug, Clone, Default)]
pub struct RestoredBy {
    pub actor: Option<Uuid>,
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    /// `api`, `cli` or `rollback`.
    pub via: &'static str,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// Taken of the data just before the restore.
    pub safety: Backup,
    /// Sessions of the restored data that were ended.
    pub sessions_ended: u64,
    /// Audit entries written since the backup, carried over into the restored data.
    pub audit_carried_over: u64,
}

/// Backups of this node's database.
#[derive(Clone)]
pub struct Backups {
    pool: PgPool,
    target: ToolTarget,
    dir: PathBuf,
    config: BackupConfig,
    maintenance: Maintenance,
    /// Where good backups are copied, when `backup.s3.bucket` is set.
    offsite: Option<Offsite>,
}

/// What started a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
    Cli,
    /// Taken before a restore.
    Safety,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Cli => "cli",
            Trigger::Safety => "safety",
        }
    }
}

/// A backup file name: `sn-<UTC time>-<8 hex>.dump`. Files are only ever opened by names of this
/// shape, joined to the backup directory, so no request can name another path.
pub fn is_backup_file_name(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("sn-")
        .and_then(|r| r.strip_suffix(".dump"))
    else {
        return false;
    };
    let bytes = rest.as_bytes();
    bytes.len() == 25
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'T'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'Z'
        && bytes[16] == b'-'
        && bytes[17..]
            .iter()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Backups {
    /// Backups of `db` as `config` has them (`backup.*`, `backup_dir()`).
    pub fn new(config: &Config, db: &Database) -> anyhow::Result<Self> {
        let dir = config.backup_dir();
        let config = config.backup.clone();
        let maintenance = Maintenance::new(&dir);
        let offsite = Offsite::new(&config.s3, Duration::from_secs(config.timeout_secs))?;
        Ok(Self {
            pool: db.pool.clone(),
            target: db.target().clone(),
            dir,
            config,
            maintenance,
            offsite,
        })
    }

    /// Whether good backups are copied to S3-compatible storage.
    pub fn uploads(&self) -> bool {
        self.offsite.is_some()
    }

    /// On while a restore runs, here or in another process on this machine.
    pub fn maintenance(&self) -> &Maintenance {
        &self.maintenance
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &BackupConfig {
        &self.config
    }

    /// The path of a backup's file; `None` for a name that is not a backup file's.
    pub fn path_of(&self, backup: &Backup) -> Option<PathBuf> {
        is_backup_file_name(&backup.file_name).then(|| self.dir.join(&backup.file_name))
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_secs)
    }

    /// The version `pg_dump` reports, e.g. `pg_dump (PostgreSQL) 15.19`.
    async fn tool_version(&self, tool: &str) -> anyhow::Result<String> {
        let out = self
            .target
            .command(tool, None)
            .arg("--version")
            .output()
            .await
            .with_context(|| {
                format!(
                    "{tool} not found in {} (install postgresql-client, or set backup.pg_bin_dir)",
                    self.target.bin_dir.display()
                )
            })?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// `pg_dump` must be at least the server's major version; a clear error otherwise.
    async fn check_versions(&self, dump_version: &str) -> anyhow::Result<()> {
        let server: i64 =
            sqlx::query_scalar("SELECT current_setting('server_version_num')::bigint")
                .fetch_one(&self.pool)
                .await?;
        let server_major = server / 10_000;
        let dump_major: i64 = dump_version
            .rsplit(' ')
            .next()
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if dump_major < server_major {
            bail!(
                "{dump_version} cannot dump a PostgreSQL {server_major} server: install the PostgreSQL {server_major} \
                 client tools and set backup.pg_bin_dir to their directory"
            );
        }
        Ok(())
    }

    /// Takes a backup now.
    pub async fn create(&self, trigger: Trigger) -> anyhow::Result<Backup> {
        let id = Uuid::new_v4();
        let now = OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            now.year(),
            now.month() as u8,
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let file_name = format!("sn-{stamp}-{}.dump", &id.simple().to_string()[..8]);
        db::backups::start(
            &self.pool,
            id,
            &file_name,
            &leader::node_name(),
            trigger.as_str(),
        )
        .await?;
        // Held until the entry is finished: an entry left `running` whose lock is free belongs to a
        // process that died.
        // (a connection of its own, not the pool's: the lock must end with it, whatever happens).
        let mut running = self.pool.acquire().await?.detach();
        sqlx::query(db::backups::RUNNING_LOCK)
            .bind(id)
            .execute(&mut running)
            .await?;
        let started = Instant::now();
        let result = self.dump(&file_name).await;
        let duration_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
        let outcome = match result {
            Ok((size, sha256, pg_dump_version, schema_version)) => {
                let (verify_ok, verify_detail) =
                    match self.verify_file(&self.dir.join(&file_name), &sha256).await {
                        Ok(detail) => (true, detail),
                        Err(e) => (false, format!("{e:#}")),
                    };
                Outcome {
                    ok: verify_ok,
                    error: (!verify_ok).then(|| verify_detail.clone()),
                    duration_ms,
                    size_bytes: Some(size as i64),
                    sha256: Some(sha256),
                    schema_version,
                    pg_dump_version: Some(pg_dump_version),
                    verify_ok: Some(verify_ok),
                    verify_detail: Some(verify_detail),
                }
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), file = %file_name, "backup failed");
                Outcome {
                    ok: false,
                    error: Some(format!("{e:#}")),
                    duration_ms,
                    ..Default::default()
                }
            }
        };
        let mut backup = db::backups::finish(&mut running, id, &outcome).await?;
        if let (Some(offsite), "ok") = (&self.offsite, backup.status.as_str()) {
            let result = offsite.upload(&self.dir.join(&file_name), &file_name).await;
            let result = match &result {
                Ok(location) => {
                    tracing::info!(file = %file_name, %location, "backup uploaded");
                    Ok(location.as_str())
                }
                Err(e) => {
                    tracing::error!(file = %file_name, error = %format!("{e:#}"), "uploading the backup failed");
                    Err(format!("{e:#}"))
                }
            };
            backup = db::backups::record_upload(
                &mut running,
                id,
                result.as_ref().map_err(String::as_str).copied(),
            )
            .await?;
        }
        // Closing the connection ends the lock with it.
        let _ = running.close().await;
        self.mirror_manifest().await;
        if backup.status == "ok" {
            tracing::info!(file = %backup.file_name, bytes = ?backup.size_bytes, ms = duration_ms, "backup taken");
            if let Err(e) = self.apply_retention(OffsetDateTime::now_utc()).await {
                tracing::warn!(error = %format!("{e:#}"), "applying the backup retention policy");
            }
        }
        Ok(backup)
    }

    /// `pg_dump` to a temporary file, fsync, checksum, rename, fsync the directory.
    async fn dump(&self, file_name: &str) -> anyhow::Result<(u64, String, String, Option<i64>)> {
        private_dir(&self.dir)
            .await
            .with_context(|| format!("creating backup.dir {}", self.dir.display()))?;
        let version = self.tool_version("pg_dump").await?;
        self.check_versions(&version).await?;
        let schema_version = db::schema_version(&self.pool).await?;
        let partial = self.dir.join(format!(".{file_name}.partial"));
        // Password hashes and health data: the file is the owner's alone before pg_dump writes a
        // byte (it keeps the mode of a file it truncates), whatever the umask.
        private_file(&partial)
            .await
            .with_context(|| format!("creating {}", partial.display()))?;
        let out = run(
            self.target
                .command("pg_dump", None)
                .arg("--format=custom")
                .arg("--file")
                .arg(&partial),
            self.timeout(),
        )
        .await;
        let out = match out {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                let _ = tokio::fs::remove_file(&partial).await;
                bail!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(e);
            }
        };
        drop(out);
        let path = partial.clone();
        let final_path = self.dir.join(file_name);
        let dir = self.dir.clone();
        let (size, sha256) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(u64, String)> {
                let file = std::fs::File::open(&path)?;
                file.sync_all().context("fsync of the backup file")?;
                let (size, sha) = sha256_of(&path)?;
                std::fs::rename(&path, &final_path).context("renaming the backup into place")?;
                std::fs::File::open(&dir)?
                    .sync_all()
                    .context("fsync of backup.dir")?;
                Ok((size, sha))
            })
            .await?
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&partial);
            })?;
        Ok((size, sha256, version, schema_version))
    }

    /// The file's checksum is re-read and `pg_restore --list` reads its table of contents.
    async fn verify_file(&self, path: &Path, expected_sha256: &str) -> anyhow::Result<String> {
        let p = path.to_path_buf();
        let (_, sha) = tokio::task::spawn_blocking(move || sha256_of(&p)).await??;
        if sha != expected_sha256 {
            bail!("checksum mismatch: the file is {sha}, the manifest says {expected_sha256}");
        }
        let out = run(
            self.target
                .command("pg_restore", None)
                .arg("--list")
                .arg(path),
            self.timeout(),
        )
        .await?;
        if !out.status.success() {
            bail!(
                "pg_restore --list failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let entries = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with(';') && !l.is_empty())
            .count();
        Ok(format!(
            "checksum matches; pg_restore lists {entries} entries"
        ))
    }

    /// Verifies a backup again (checksum and `pg_restore --list`), recording the result.
    pub async fn verify(&self, id: Uuid) -> anyhow::Result<Backup> {
        let backup = self.good(id).await?;
        let path = self.path_of(&backup).context("not a backup file name")?;
        let (ok, detail) = match self
            .verify_file(&path, backup.sha256.as_deref().unwrap_or_default())
            .await
        {
            Ok(d) => (true, d),
            Err(e) => (false, format!("{e:#}")),
        };
        db::backups::record_verify(&self.pool, id, ok, &detail).await?;
        self.reread(id).await
    }

    /// The entry as recorded now, after the manifest file is brought up to date.
    async fn reread(&self, id: Uuid) -> anyhow::Result<Backup> {
        self.mirror_manifest().await;
        db::backups::get(&self.pool, id)
            .await?
            .context("the backup vanished")
    }

    /// Mirrors the manifest to `manifest.json`; a failure is logged (the table is the record).
    async fn mirror_manifest(&self) {
        if let Err(e) = self.write_manifest().await {
            tracing::warn!(error = %format!("{e:#}"), "writing manifest.json");
        }
    }

    async fn good(&self, id: Uuid) -> anyhow::Result<Backup> {
        let backup = db::backups::get(&self.pool, id)
            .await?
            .with_context(|| format!("no backup {id}"))?;
        if backup.status != "ok" || backup.deleted_at.is_some() {
            bail!(
                "backup {id} is {} and has no file",
                if backup.deleted_at.is_some() {
                    "deleted"
                } else {
                    backup.status.as_str()
                }
            );
        }
        Ok(backup)
    }

    /// A connection to the server's maintenance database, for creating, renaming and dropping
    /// databases.
    async fn server_admin(&self) -> anyhow::Result<PgConnection> {
        PgConnection::connect_with(&self.target.connect_options("postgres"))
            .await
            .context("connecting to the server's `postgres` database (creating and renaming databases needs it)")
    }

    /// Restores `file` into a new database `name`, dropping it again on failure.
    async fn restore_into(&self, file: &Path, name: &str) -> anyhow::Result<()> {
        let mut admin = self.server_admin().await?;
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating the database {name}"))?;
        let out = run(
            self.target
                .command("pg_restore", None)
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                ])
                .arg(name)
                .arg(file),
            self.timeout(),
        )
        .await;
        let failed = match out {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(format!(
                "pg_restore failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Some(format!("{e:#}")),
        };
        if let Some(error) = failed {
            drop_database(&mut admin, name).await;
            bail!(error);
        }
        Ok(())
    }

    /// Row counts of every table of the public schema in `database`.
    async fn row_counts(&self, database: &str) -> anyhow::Result<BTreeMap<String, i64>> {
        let mut conn = PgConnection::connect_with(&self.target.connect_options(database)).await?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
        .fetch_all(&mut conn)
        .await?;
        let mut counts = BTreeMap::new();
        for t in tables {
            // Table names come from the catalogue, quoted.
            let n: i64 = sqlx::query_scalar(&format!(
                r#"SELECT count(*) FROM public."{}""#,
                t.replace('"', "\"\"")
            ))
            .fetch_one(&mut conn)
            .await?;
            counts.insert(t, n);
        }
        conn.close().await?;
        Ok(counts)
    }

    /// Restores a backup into a scratch database and compares its tables with the live database's;
    /// the scratch database is dropped after.
    pub async fn deep_verify(&self, id: Uuid) -> anyhow::Result<Backup> {
        let backup = self.good(id).await?;
        let path = self.path_of(&backup).context("not a backup file name")?;
        let scratch = format!("sn_verify_{}", &id.simple().to_string()[..12]);
        let result: anyhow::Result<(bool, serde_json::Value)> = async {
            self.restore_into(&path, &scratch).await?;
            let restored = self.row_counts(&scratch).await;
            drop_database(&mut self.server_admin().await?, &scratch).await;
            let restored = restored?;
            let live = self.row_counts(&self.target.database).await?;
            // Every live table must be in the backup (the live one may have moved on since).
            let missing: Vec<&String> =
                live.keys().filter(|t| !restored.contains_key(*t)).collect();
            let tables: serde_json::Map<String, serde_json::Value> = live
                .iter()
                .map(|(t, n)| (t.clone(), serde_json::json!([restored.get(t), n])))
                .collect();
            let identical = live.iter().all(|(t, n)| restored.get(t) == Some(n));
            Ok((
                missing.is_empty(),
                serde_json::json!({ "tables": tables, "missing": missing, "identical": identical }),
            ))
        }
        .await;
        let (ok, detail) = match result {
            Ok(r) => r,
            Err(e) => (false, serde_json::json!({ "error": format!("{e:#}") })),
        };
        db::backups::record_deep_verify(&self.pool, id, ok, &detail).await?;
        self.reread(id).await
    }

    /// Restores a backup: a safety backup of the current data first, then the backup into a new
    /// database, which is checked and then takes the live database's name (the old one is kept as
    /// `<name>_before_<time>`). Before the swap, every session in the restored data is ended (so
    /// that nothing revoked since the backup works again: everyone signs in again), and the audit
    /// entries written since the backup are carried over, with the restore itself by `by`. Every
    /// connection to the live database is ended: the application's pools reconnect to the restored
    /// one.
    pub async fn restore(&self, id: Uuid, by: &RestoredBy) -> anyhow::Result<Restored> {
        let backup = self.good(id).await?;
        let path = self.path_of(&backup).context("not a backup file name")?;
        let _maintenance = self
            .maintenance
            .begin()
            .context("another restore is running")?;
        let safety = self.create(Trigger::Safety).await?;
        if safety.status != "ok" {
            bail!(
                "the safety backup failed, so nothing was restored: {}",
                safety.error.unwrap_or_default()
            );
        }
        let live = self.target.database.clone();
        let stamp = OffsetDateTime::now_utc().unix_timestamp();
        let incoming = format!("{live}_restore_{stamp}");
        let previous = format!("{live}_before_{stamp}");
        self.restore_into(&path, &incoming).await?;
        let restored = self.row_counts(&incoming).await?;
        if !restored.contains_key("_sqlx_migrations") || !restored.contains_key("users") {
            drop_database(&mut self.server_admin().await?, &incoming).await;
            bail!(
                "the restored database lacks the application's tables; the live database is unchanged"
            );
        }
        let prepared = async {
            let mut conn =
                PgConnection::connect_with(&self.target.connect_options(&incoming)).await?;
            let sessions_ended =
                db::sessions::revoke_all(&mut conn, db::sessions::Revocation::Restore)
                    .await?
                    .len() as u64;
            let audit_carried_over = db::audit::carry_over(&self.pool, &mut conn).await?;
            let actor: Option<Uuid> = match by.actor {
                Some(actor) => {
                    sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                        .bind(actor)
                        .fetch_optional(&mut conn)
                        .await?
                }
                None => None,
            };
            db::audit::record(
                &mut conn,
                &db::audit::Event {
                    action: "admin.backup_restore",
                    success: true,
                    actor,
                    ip: by.ip,
                    user_agent: by.user_agent.as_deref(),
                    details: Some(serde_json::json!({
                        "id": backup.id,
                        "file": backup.file_name,
                        "by": by.actor,
                        "via": by.via,
                        "safety_backup": safety.file_name,
                        "sessions_ended": sessions_ended,
                        "audit_entries_carried_over": audit_carried_over,
                    })),
                    ..Default::default()
                },
            )
            .await?;
            conn.close().await?;
            anyhow::Ok((sessions_ended, audit_carried_over))
        }
        .await;
        let (sessions_ended, audit_carried_over) = match prepared {
            Ok(counts) => counts,
            Err(e) => {
                drop_database(&mut self.server_admin().await?, &incoming).await;
                return Err(
                    e.context("preparing the restored database; the live database is unchanged")
                );
            }
        };
        let manifest = db::backups::all(&self.pool).await?;
        let mut admin = self.server_admin().await?;
        let swap = async {
            for sql in [
                format!(r#"ALTER DATABASE "{live}" ALLOW_CONNECTIONS false"#),
                format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()", live.replace('\'', "''")),
                format!(r#"ALTER DATABASE "{live}" RENAME TO "{previous}""#),
                format!(r#"ALTER DATABASE "{incoming}" RENAME TO "{live}""#),
                format!(r#"ALTER DATABASE "{previous}" ALLOW_CONNECTIONS true"#),
            ] {
                sqlx::query(&sql).execute(&mut admin).await.with_context(|| sql.clone())?;
            }
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = swap {
            // Undo what can be undone: the live database must stay reachable.
            let _ = sqlx::query(&format!(
                r#"ALTER DATABASE "{previous}" RENAME TO "{live}""#
            ))
            .execute(&mut admin)
            .await;
            let _ = sqlx::query(&format!(
                r#"ALTER DATABASE "{live}" ALLOW_CONNECTIONS true"#
            ))
            .execute(&mut admin)
            .await;
            return Err(e.context("swapping in the restored database"));
        }
        // The restored manifest is the backup's; the files are today's.
        let mut conn = PgConnection::connect_with(&self.target.connect_options(&live)).await?;
        db::backups::put_all(&mut conn, &manifest).await?;
        conn.close().await?;
        tracing::warn!(
            backup = %backup.file_name,
            kept = %previous,
            sessions_ended,
            audit_carried_over,
            "database restored; every session ended"
        );
        Ok(Restored {
            safety,
            sessions_ended,
            audit_carried_over,
        })
    }

    /// Deletes what the retention policy lets go (files and manifest entries), never the way back
    /// from the latest upgrade (the newest good backup of an earlier schema).
    pub async fn apply_retention(&self, now: OffsetDateTime) -> anyhow::Result<Vec<Uuid>> {
        let all = db::backups::list(&self.pool).await?;
        let way_back = match db::schema_version(&self.pool).await? {
            Some(current) => super::upgrade::way_back(&all, current, i64::MAX).map(|b| b.id),
            None => None,
        };
        let policy = retention::Policy {
            keep_days: self.config.keep_days,
            keep_last: self.config.keep_last,
            keep_weekly_weeks: self.config.keep_weekly_weeks,
        };
        let view: Vec<retention::Backup> = all
            .iter()
            .filter(|b| b.status != "running")
            .map(|b| retention::Backup {
                id: b.id,
                taken_at: b.started_at,
                good: b.status == "ok",
            })
            .collect();
        let mut expired = retention::expired(&view, policy, now);
        expired.retain(|id| Some(*id) != way_back);
        for b in all.iter().filter(|b| expired.contains(&b.id)) {
            if let Some(path) = self.path_of(b) {
                match tokio::fs::remove_file(&path).await {
                    Ok(()) => {
                        tracing::info!(file = %b.file_name, "backup deleted by the retention policy")
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        tracing::warn!(file = %b.file_name, error = %e, "deleting an expired backup")
                    }
                }
            }
        }
        db::backups::mark_deleted(&self.pool, &expired).await?;
        if !expired.is_empty() {
            self.write_manifest().await?;
        }
        Ok(expired)
    }

    pub async fn list(&self) -> anyhow::Result<Vec<Backup>> {
        Ok(db::backups::list(&self.pool).await?)
    }

    pub async fn get(&self, id: Uuid) -> anyhow::Result<Option<Backup>> {
        Ok(db::backups::get(&self.pool, id).await?)
    }

    /// The manifest beside the files (atomically replaced), so backups can be read without the
    /// database.
    async fn write_manifest(&self) -> anyhow::Result<()> {
        let entries = db::backups::list(&self.pool).await?;
        let text = serde_json::to_vec_pretty(&serde_json::json!({ "backups": entries }))?;
        let dir = self.dir.clone();
        private_dir(&dir).await?;
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            use std::{io::Write, os::unix::fs::OpenOptionsExt};
            let tmp = dir.join(".manifest.json.partial");
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?
                .write_all(&text)?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, dir.join("manifest.json"))?;
            Ok(())
        })
        .await?
    }
}

/// Creates `dir` (and its parents) if needed and makes it the owner's alone (0700), also when an
/// earlier version or another umask made it wider.
async fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::create_dir_all(dir).await?;
    tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).await
}

/// Creates (or empties) `path` readable and writable by its owner only (0600).
async fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .await?;
    // An existing file keeps its mode through open(2): set it.
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).await
}

/// The scheduled backup (and the weekly deep verify of the newest backup), on the leader node.
pub fn jobs(backups: Backups, running: &jobs::Running) -> anyhow::Result<Vec<jobs::Cron>> {
    let mut scheduled = Vec::new();
    if !backups.config.enabled {
        return Ok(scheduled);
    }
    let b = backups.clone();
    scheduled.push(jobs::cron("backup.schedule", &backups.config.schedule, running, move |tick| {
        let b = b.clone();
        async move {
            let job = async {
                db::backups::fail_abandoned(&b.pool).await?;
                b.create(Trigger::Schedule).await
            };
            match leader::as_leader(&b.pool, "backup", tick, job).await {
                Ok(Some(backup)) if backup.status != "ok" => {
                    tracing::error!(file = %backup.file_name, error = ?backup.error, "scheduled backup failed")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %format!("{e:#}"), "scheduled backup failed"),
            }
        }
    })?);
    if !backups.config.deep_verify_schedule.is_empty() {
        let b = backups.clone();
        let expr = &backups.config.deep_verify_schedule;
        scheduled.push(jobs::cron("backup.deep_verify_schedule", expr, running, move |tick| {
            let b = b.clone();
            async move {
                let job = async {
                    let newest = b.list().await?.into_iter().find(|x| x.status == "ok");
                    match newest {
                        Some(x) => b.deep_verify(x.id).await.map(Some),
                        None => Ok(None),
                    }
                };
                match leader::as_leader(&b.pool, "backup-deep-verify", tick, job).await {
                    Ok(Some(Some(x))) if x.deep_verify_ok == Some(false) => {
                        tracing::error!(file = %x.file_name, detail = ?x.deep_verify_detail, "deep verify failed")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "deep verify failed"),
                }
            }
        })?);
    }
    Ok(scheduled)
}

/// Drops a scratch or half-restored database (best effort: it has no data anyone needs).
async fn drop_database(admin: &mut PgConnection, name: &str) {
    if let Err(e) = sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .execute(admin)
        .await
    {
        tracing::warn!(database = name, error = %e, "dropping a scratch database");
    }
}

/// SHA-256 and size of a file.
fn sha256_of(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hash.update(&buf[..n]);
    }
    Ok((size, format!("{:x}", hash.finalize())))
}

/// Runs a tool to completion within `timeout` (killed after).
async fn run(cmd: &mut tokio::process::Command, timeout: Duration) -> anyhow::Result<Output> {
    let program = cmd.as_std().get_program().to_string_lossy().into_owned();
    match tokio::time::timeout(timeout, cmd.output()).await {
        Ok(out) => out.with_context(|| format!("running {program}")),
        Err(_) => bail!("{program} took longer than backup.timeout_secs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_backup_file_names_are_opened() {
        assert!(is_backup_file_name("sn-20261126T030000Z-0a1b2c3d.dump"));
        for bad in [
            "../etc/passwd",
            "sn-20261126T030000Z-0a1b2c3d.dump/../../x",
            "sn-20261126T030000Z-0A1B2C3D.dump",
            "sn-2026112T030000Z-0a1b2c3d.dump",
            "/sn-20261126T030000Z-0a1b2c3d.dump",
            "sn-20261126T030000Z-0a1b2c3d.dump.tmp",
            "",
        ] {
            assert!(!is_backup_file_name(bad), "{bad}");
        }
    }
}
