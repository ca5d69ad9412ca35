//! Scheduled `pg_dump` backups and their copies in S3-compatible storage.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{cron_problem, redact};

/// Scheduled `pg_dump` backups, their verification and retention.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Take backups on `schedule` (the leader node only).
    pub enabled: bool,
    /// Cron with seconds, UTC.
    pub schedule: String,
    /// Where backups are written; default `<storage.data_dir>/backups`.
    pub dir: Option<PathBuf>,
    /// Keep every good backup this many days…
    pub keep_days: u32,
    /// …and at least the newest this many…
    pub keep_last: u32,
    /// …and the newest of each week for this many weeks.
    pub keep_weekly_weeks: u32,
    /// Before migrations change a database that holds data (an upgrade), take a verified backup of
    /// it and migrate only when it is good: the way back (`sports-nutrition rollback`).
    pub before_migrating: bool,
    /// Restore the newest backup into a scratch database and compare it with the live one, on this
    /// cron (default weekly, Sunday 04:30 UTC); empty: never.
    pub deep_verify_schedule: String,
    /// Where `pg_dump` and `pg_restore` are, for an external database; default: PATH, then the
    /// newest `/usr/lib/postgresql/*/bin`. The managed cluster uses its own.
    pub pg_bin_dir: Option<PathBuf>,
    /// The longest a dump or restore may run.
    pub timeout_secs: u64,
    /// A copy of each good backup in S3-compatible storage.
    pub s3: S3Config,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            schedule: "0 0 3 * * *".into(),
            dir: None,
            keep_days: 30,
            keep_last: 7,
            keep_weekly_weeks: 8,
            before_migrating: true,
            deep_verify_schedule: "0 30 4 * * 0".into(),
            pg_bin_dir: None,
            timeout_secs: 3600,
            s3: S3Config::default(),
        }
    }
}

impl BackupConfig {
    /// What is wrong with `[backup]` and `[backup.s3]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        errors.extend(cron_problem("backup.schedule", &self.schedule));
        // An empty deep verify schedule is "never".
        if !self.deep_verify_schedule.is_empty() {
            errors.extend(cron_problem(
                "backup.deep_verify_schedule",
                &self.deep_verify_schedule,
            ));
        }
        if self.keep_last == 0 {
            errors.push(
                "backup.keep_last: must be at least 1 (the newest good backup is always kept)"
                    .into(),
            );
        }
        if !(60..=86_400).contains(&self.timeout_secs) {
            errors.push("backup.timeout_secs: must be between 60 and 86400".into());
        }
        let s3 = &self.s3;
        if let Some(bucket) = &s3.bucket {
            if bucket.is_empty() || bucket.len() > 63 || bucket.contains('/') {
                errors.push(format!("backup.s3.bucket: {bucket:?} is not a bucket name"));
            }
            if let Some(endpoint) = &s3.endpoint {
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    errors.push("backup.s3.endpoint: must be an http:// or https:// URL".into());
                }
            }
            if s3.access_key_id.is_some() != s3.secret_access_key.is_some() {
                errors.push(
                    "backup.s3.secret_access_key: give both access_key_id and secret_access_key, or neither"
                        .into(),
                );
            }
        }
        if s3.prefix.starts_with('/') {
            errors.push("backup.s3.prefix: must not start with /".into());
        }
        if !(5 * 1024 * 1024..=5 * 1024 * 1024 * 1024).contains(&s3.part_size_bytes) {
            errors.push(
                "backup.s3.part_size_bytes: must be between 5 MiB and 5 GiB (S3's part sizes)"
                    .into(),
            );
        }
        errors
    }
}

/// Where good backups are uploaded: AWS S3 or any S3-compatible server (MinIO, Garage, Ceph…).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Unset: no upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Unset: AWS. An `http://` endpoint is allowed (a server on a private network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub region: String,
    /// Object keys are `<prefix><file name>`.
    pub prefix: String,
    /// Unset: the AWS_* environment, then the instance's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(serialize_with = "redact", skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<SecretString>,
    /// Bucket in the host name (AWS) rather than the path (most S3-compatible servers).
    pub virtual_hosted_style: bool,
    /// Files larger than this are uploaded in parts of this size.
    pub part_size_bytes: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            bucket: None,
            endpoint: None,
            region: "us-east-1".into(),
            prefix: "sports-nutrition/".into(),
            access_key_id: None,
            secret_access_key: None,
            virtual_hosted_style: false,
            part_size_bytes: 16 * 1024 * 1024,
        }
    }
}
