//! The node's look at itself: database, pool, cache, disks, CPU and memory, backups, and the latency
//! and errors of the requests it served. Each node runs it on `self_check.schedule`, stores the
//! report, and moves the alert rules one step (`domain::alerting`); `sports-nutrition check` runs the
//! checks that make sense from outside the service, plus the nodes' newest reports.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::{
    cache::Cache,
    config::{AlertsConfig, Config, SelfCheckConfig, TlsConfig, TlsMode},
    db::{
        self,
        alerts::{Alert, Condition},
    },
    domain::alerting::Policy,
    ops::{
        alerts::Notifier,
        jobs, leader,
        metrics::{RequestWindow, WindowSummary},
        tls::{self, CertResolver},
    },
};

/// How long the database may take to answer `SELECT 1`.
const DB_TIMEOUT: Duration = Duration::from_secs(2);
/// `check` counts a node as serving when it reported within this many seconds.
const NODE_FRESH_SECS: i64 = 300;

/// One measurement and whether it is within its threshold.
#[derive(Object, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Check {
    /// Also the name of its alert rule: `database`, `db_pool`, `cache`, `cache_evictions`,
    /// `redis_evictions` (with Redis),
    /// `disk_data`, `disk_backup`, `cpu`, `memory`, `tls_cert` (with TLS), `backup_age`,
    /// `backup_failed`, `backup_upload` (with `backup.s3`), `latency_p95`, `error_rate` (and `nodes`
    /// from the command line).
    pub name: String,
    pub ok: bool,
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The alert fires above this (below it for `tls_cert`, in days left).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `ms`, `%`, `per_s`, `h`, `d` or empty.
    pub unit: String,
    pub detail: String,
}

/// What one self-check found.
#[derive(Object, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Report {
    pub node: String,
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// Every check is ok.
    pub ok: bool,
    pub checks: Vec<Check>,
    /// The requests of the last `self_check.window_secs` (not from the command line).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<WindowSummary>,
}

impl Report {
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Where the checks run: in the service (everything; with the certificate it serves, if any) or
/// from `sports-nutrition check` (which reads the certificate files).
#[derive(Debug, Clone)]
pub enum Vantage {
    Service(Option<Arc<CertResolver>>),
    CommandLine,
}

/// The self-check of this node; cheap to clone.
#[derive(Clone)]
pub struct SelfCheck(Arc<Inner>);

struct Inner {
    pool: PgPool,
    max_connections: u32,
    cache: Cache,
    requests: RequestWindow,
    dirs: [(&'static str, PathBuf); 2],
    backups_enabled: bool,
    uploads: bool,
    tls: TlsConfig,
    config: SelfCheckConfig,
    alerts: AlertsConfig,
    node: String,
    notifier: Notifier,
    vantage: Vantage,
    sampler: Mutex<Sampler>,
    /// The newest report, for the metrics.
    last: Mutex<Option<Report>>,
}

/// Readings kept between runs, to turn counters into rates.
struct Sampler {
    system: sysinfo::System,
    pid: Option<sysinfo::Pid>,
    evictions: Option<(u64, Instant)>,
    /// Redis's own `evicted_keys`, when Redis is the cache and answered.
    redis_evictions: Option<(u64, Instant)>,
}

/// A counter's rate per second since the `last` reading, which this one replaces; `None` for the
/// first reading.
fn per_second(last: &mut Option<(u64, Instant)>, count: u64, now: Instant) -> Option<f64> {
    let rate = last.and_then(|(before, at)| {
        let secs = now.duration_since(at).as_secs_f64();
        (secs > 0.0).then(|| count.saturating_sub(before) as f64 / secs)
    });
    *last = Some((count, now));
    rate
}

/// A check of evictions per second against `threshold`; `unmeasured` says why there is no rate.
fn evictions_check(
    name: &str,
    rate: Option<f64>,
    threshold: f64,
    detail: &str,
    unmeasured: &str,
) -> Check {
    match rate {
        Some(rate) => Check::above(name, rate, threshold, "per_s", detail.into()),
        None => Check::new(name, true, None, None, "per_s", unmeasured),
    }
}

impl SelfCheck {
    pub fn new(
        config: &Config,
        pool: PgPool,
        cache: Cache,
        requests: RequestWindow,
        vantage: Vantage,
    ) -> anyhow::Result<Self> {
        let node = leader::node_name();
        let notifier = Notifier::new(pool.clone(), node.clone(), &config.alerts)?;
        let mut sampler = Sampler {
            system: sysinfo::System::new(),
            pid: sysinfo::get_current_pid().ok(),
            evictions: Some((cache.stats().evictions, Instant::now())),
            redis_evictions: None,
        };
        // The first CPU reading is measured from here.
        sampler.refresh();
        Ok(Self(Arc::new(Inner {
            pool,
            max_connections: config.database.max_connections,
            cache,
            requests,
            dirs: [
                ("disk_data", config.storage.data_dir.clone()),
                ("disk_backup", config.backup_dir()),
            ],
            backups_enabled: config.backup.enabled,
            uploads: config.backup.s3.bucket.is_some(),
            tls: config.tls.clone(),
            config: config.self_check.clone(),
            alerts: config.alerts.clone(),
            node,
            notifier,
            vantage,
            sampler: Mutex::new(sampler),
            last: Mutex::new(None),
        })))
    }

    pub fn config(&self) -> &SelfCheckConfig {
        &self.0.config
    }

    /// The alert rules' thresholds and timing.
    pub fn alerts(&self) -> &AlertsConfig {
        &self.0.alerts
    }

    /// Where alerts are sent.
    pub fn notifier(&self) -> &Notifier {
        &self.0.notifier
    }

    /// Measures everything once.
    pub async fn run(&self) -> Report {
        let inner = &*self.0;
        let thresholds = &inner.alerts;
        let service = matches!(inner.vantage, Vantage::Service(_));
        let mut checks = Vec::new();

        // Pool use first: the checks below hold a connection of their own.
        let in_use = inner
            .pool
            .size()
            .saturating_sub(inner.pool.num_idle() as u32);
        let database = database_round_trip(&inner.pool).await;
        checks.push(match &database {
            Ok(rtt) => Check::new("database", true, Some(ms(*rtt)), None, "ms", "answers"),
            Err(e) => Check::new("database", false, None, None, "ms", e),
        });
        if service {
            let pct = 100.0 * in_use as f64 / inner.max_connections.max(1) as f64;
            checks.push(Check::above(
                "db_pool",
                pct,
                thresholds.db_pool_pct,
                "%",
                format!("{in_use} of {} connections in use", inner.max_connections),
            ));
        }

        let stats = inner.cache.stats();
        checks.push(match stats.redis {
            Some(r) if r.connected => Check::new(
                "cache",
                true,
                r.round_trip_ms,
                None,
                "ms",
                "redis: connected",
            ),
            Some(_) => Check::new(
                "cache",
                false,
                None,
                None,
                "ms",
                "redis: disconnected; this node caches and rate-limits on its own until it returns",
            ),
            None => Check::new(
                "cache",
                true,
                None,
                None,
                "",
                &format!("{}: in process", stats.backend),
            ),
        });

        if service {
            let (evictions_per_s, cpu, memory) = {
                let mut sampler = inner.sampler.lock().unwrap_or_else(|p| p.into_inner());
                let rate = per_second(&mut sampler.evictions, stats.evictions, Instant::now());
                let (cpu, memory) = sampler.refresh();
                (rate, cpu, memory)
            };
            checks.push(evictions_check(
                "cache_evictions",
                evictions_per_s,
                thresholds.cache_evictions_per_sec,
                "entries dropped to stay within cache.max_bytes",
                "no interval yet",
            ));
            if let Some(redis) = inner.cache.redis() {
                // Redis drops shared entries (rate-limit windows among them) at its maxmemory,
                // which this node's own tier never sees.
                let evicted = redis.evicted_keys().await;
                let rate = evicted.and_then(|count| {
                    let mut sampler = inner.sampler.lock().unwrap_or_else(|p| p.into_inner());
                    per_second(&mut sampler.redis_evictions, count, Instant::now())
                });
                checks.push(evictions_check(
                    "redis_evictions",
                    rate,
                    thresholds.cache_evictions_per_sec,
                    "keys Redis dropped to stay within its maxmemory (evicted_keys)",
                    if evicted.is_some() {
                        "no interval yet"
                    } else {
                        "redis: not answering"
                    },
                ));
            }
            checks.push(match cpu {
                Some(pct) => Check::above(
                    "cpu",
                    pct,
                    thresholds.cpu_pct,
                    "%",
                    "of the CPUs this process may use".into(),
                ),
                None => Check::new("cpu", true, None, None, "%", "not measurable here"),
            });
            checks.push(match memory {
                Some((pct, rss)) => Check::above(
                    "memory",
                    pct,
                    thresholds.memory_pct,
                    "%",
                    format!("{} MiB resident", rss / (1024 * 1024)),
                ),
                None => Check::new("memory", true, None, None, "%", "not measurable here"),
            });
        }

        for (name, dir) in &inner.dirs {
            let dir = dir.clone();
            let usage = tokio::task::spawn_blocking(move || disk_usage(&dir)).await;
            checks.push(match usage {
                Ok(Ok((pct, path))) => Check::above(
                    name,
                    pct,
                    thresholds.disk_pct,
                    "%",
                    format!("{} used", path.display()),
                ),
                Ok(Err(e)) => Check::new(name, false, None, Some(thresholds.disk_pct), "%", &e),
                Err(e) => Check::new(
                    name,
                    false,
                    None,
                    Some(thresholds.disk_pct),
                    "%",
                    &e.to_string(),
                ),
            });
        }

        if let Some(check) = self.certificate_check().await {
            checks.push(check);
        }

        if inner.backups_enabled && database.is_ok() {
            checks.extend(self.backup_checks().await);
        }

        let mut requests = None;
        if service {
            let window = inner.requests.summary();
            checks.push(match window.p95_ms {
                Some(p95) => Check::above(
                    "latency_p95",
                    p95,
                    thresholds.p95_ms,
                    "ms",
                    format!("{} requests in {} s", window.requests, window.window_secs),
                ),
                None => Check::new(
                    "latency_p95",
                    true,
                    None,
                    Some(thresholds.p95_ms),
                    "ms",
                    "no requests",
                ),
            });
            checks.push(Check::above(
                "error_rate",
                window.error_rate_pct,
                thresholds.error_rate_pct,
                "%",
                format!(
                    "{} of {} requests answered 5xx",
                    window.errors, window.requests
                ),
            ));
            requests = Some(window);
        } else if inner.config.enabled && database.is_ok() {
            checks.push(self.nodes_check().await);
        }

        let report = Report {
            node: inner.node.clone(),
            checked_at: OffsetDateTime::now_utc(),
            ok: checks.iter().all(|c| c.ok),
            checks,
            requests,
        };
        *inner.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(report.clone());
        report
    }

    /// The newest report this node made, if any.
    pub fn last(&self) -> Option<Report> {
        self.0
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Days until the served certificate (or, from the command line, the configured file) expires.
    async fn certificate_check(&self) -> Option<Check> {
        let inner = &*self.0;
        let min_days = inner.alerts.cert_expiry_days;
        let loaded = match (&inner.vantage, inner.tls.mode) {
            (_, TlsMode::Off) => return None,
            (Vantage::Service(Some(resolver)), _) => resolver
                .current()
                .map(|c| (c.subject, c.not_after))
                .ok_or_else(|| {
                    "no certificate yet (the first ACME order has not succeeded)".to_string()
                }),
            (Vantage::Service(None), _) => return None,
            (Vantage::CommandLine, TlsMode::Files) => {
                match (&inner.tls.cert_path, &inner.tls.key_path) {
                    (Some(cert), Some(key)) => tls::load(cert, key)
                        .map(|c| (c.subject, c.not_after))
                        .map_err(|e| e.to_string()),
                    _ => Err("tls.cert_path and tls.key_path are required".to_string()),
                }
            }
            (Vantage::CommandLine, TlsMode::Acme) => {
                let acme = &inner.tls.acme;
                match db::acme::newest(&inner.pool, &acme.certificate_name(), &acme.directory_url)
                    .await
                {
                    Ok(Some(stored)) => Ok((
                        format!("{} (serial {})", acme.certificate_name(), stored.serial),
                        stored.not_after,
                    )),
                    Ok(None) => Err("no ACME certificate stored yet".to_string()),
                    Err(e) => Err(format!("reading the stored certificate: {e}")),
                }
            }
        };
        Some(match loaded {
            Ok((subject, not_after)) => {
                let days = (not_after - OffsetDateTime::now_utc()).as_seconds_f64() / 86_400.0;
                Check::new(
                    "tls_cert",
                    days >= min_days,
                    Some(days),
                    Some(min_days),
                    "d",
                    &format!("{subject} expires {not_after}"),
                )
            }
            Err(e) => Check::new("tls_cert", false, None, Some(min_days), "d", &e),
        })
    }

    async fn backup_checks(&self) -> Vec<Check> {
        let inner = &*self.0;
        let mut checks = Vec::new();
        let good = db::backups::newest_good(&inner.pool).await;
        // Before the first backup, the age counts from the installation (the first migration).
        let since = match &good {
            Ok(Some(b)) => Ok((b.finished_at.unwrap_or(b.started_at), true)),
            Ok(None) => sqlx::query_scalar::<_, Option<OffsetDateTime>>(
                "SELECT min(installed_on) FROM _sqlx_migrations",
            )
            .fetch_one(&inner.pool)
            .await
            .map(|t| (t.unwrap_or_else(OffsetDateTime::now_utc), false))
            .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        checks.push(match since {
            Ok((since, backed_up)) => {
                let hours = (OffsetDateTime::now_utc() - since)
                    .as_seconds_f64()
                    .max(0.0)
                    / 3600.0;
                let detail = if backed_up {
                    format!("newest good backup finished {since}")
                } else {
                    format!("no good backup since the installation at {since}")
                };
                Check::above(
                    "backup_age",
                    round(hours),
                    inner.alerts.backup_max_age_hours,
                    "h",
                    detail,
                )
            }
            Err(e) => Check::new(
                "backup_age",
                false,
                None,
                Some(inner.alerts.backup_max_age_hours),
                "h",
                &e,
            ),
        });
        let last: sqlx::Result<Option<(String, String, Option<String>)>> = sqlx::query_as(
            "SELECT file_name, status, error FROM backups WHERE status IN ('ok', 'failed')
             ORDER BY started_at DESC LIMIT 1",
        )
        .fetch_optional(&inner.pool)
        .await;
        if inner.uploads {
            checks.push(match &good {
                Ok(Some(b)) => match (&b.upload_key, &b.upload_error) {
                    (Some(key), _) => Check::new(
                        "backup_upload",
                        true,
                        None,
                        None,
                        "",
                        &format!("{} is at {key}", b.file_name),
                    ),
                    (None, error) => Check::new(
                        "backup_upload",
                        false,
                        None,
                        None,
                        "",
                        &format!(
                            "the newest good backup {} is not in S3: {}",
                            b.file_name,
                            error.as_deref().unwrap_or("not uploaded")
                        ),
                    ),
                },
                Ok(None) => Check::new("backup_upload", true, None, None, "", "no good backup yet"),
                Err(e) => Check::new("backup_upload", false, None, None, "", &e.to_string()),
            });
        }
        checks.push(match last {
            Ok(Some((file, status, error))) if status == "failed" => Check::new(
                "backup_failed",
                false,
                None,
                None,
                "",
                &format!(
                    "the newest backup {file} failed: {}",
                    error.unwrap_or_default()
                ),
            ),
            Ok(Some((file, _, _))) => Check::new(
                "backup_failed",
                true,
                None,
                None,
                "",
                &format!("the newest backup {file} is good"),
            ),
            Ok(None) => Check::new("backup_failed", true, None, None, "", "no backup yet"),
            Err(e) => Check::new("backup_failed", false, None, None, "", &e.to_string()),
        });
        checks
    }

    /// From the command line: the newest report of every node that reported lately.
    async fn nodes_check(&self) -> Check {
        match db::alerts::latest_reports(&self.0.pool, NODE_FRESH_SECS).await {
            Ok(reports) if reports.is_empty() => Check::new(
                "nodes",
                false,
                Some(0.0),
                None,
                "",
                &format!(
                    "no node has reported a self-check in {NODE_FRESH_SECS} s: is the service running?"
                ),
            ),
            Ok(reports) => {
                let failing: Vec<String> = reports
                    .iter()
                    .filter(|(_, _, ok, _)| !ok)
                    .map(|(node, _, _, report)| {
                        let names: Vec<String> = serde_json::from_value::<Report>(report.clone())
                            .map(|r| {
                                r.checks
                                    .into_iter()
                                    .filter(|c| !c.ok)
                                    .map(|c| c.name)
                                    .collect()
                            })
                            .unwrap_or_default();
                        format!("{node}: {}", names.join(", "))
                    })
                    .collect();
                let detail = if failing.is_empty() {
                    format!("{} node(s) report every check ok", reports.len())
                } else {
                    format!("failing on {}", failing.join("; "))
                };
                Check::new(
                    "nodes",
                    failing.is_empty(),
                    Some(reports.len() as f64),
                    None,
                    "",
                    &detail,
                )
            }
            Err(e) => Check::new("nodes", false, None, None, "", &e.to_string()),
        }
    }

    /// Runs the checks, stores the report, moves every alert rule one step and sends the
    /// notifications (in the background); returns the report and the alerts notified.
    pub async fn run_and_record(&self) -> (Report, Vec<Alert>) {
        let inner = &*self.0;
        let report = self.run().await;
        if report.check("database").is_some_and(|c| !c.ok) {
            tracing::error!(node = %report.node, "self-check: the database does not answer");
            return (report, Vec::new());
        }
        let json = serde_json::to_value(&report).unwrap_or_default();
        if let Err(e) = db::alerts::save_report(&inner.pool, &report.node, report.ok, &json).await {
            tracing::warn!(error = %e, "storing the self-check report");
        }
        if let Err(e) = db::alerts::prune(&inner.pool, inner.config.keep_days).await {
            tracing::warn!(error = %e, "pruning self-check reports");
        }
        for check in report.checks.iter().filter(|c| !c.ok) {
            tracing::warn!(check = %check.name, value = ?check.value, threshold = ?check.threshold, detail = %check.detail, "self-check failed");
        }
        let mut notified = Vec::new();
        if !inner.alerts.enabled {
            return (report, notified);
        }
        for check in &report.checks {
            let Some(scope) = rule_scope(&check.name) else {
                continue;
            };
            let scope = match scope {
                Scope::Node => inner.node.as_str(),
                Scope::Cluster => "cluster",
            };
            let policy = Policy {
                // A failed backup (or upload) is an event, not a level: it alerts at once.
                hold: if check.name == "backup_failed" || check.name == "backup_upload" {
                    Duration::ZERO
                } else {
                    Duration::from_secs(inner.alerts.for_secs)
                },
                repeat: Duration::from_secs(inner.alerts.repeat_interval_secs),
            };
            let condition = Condition {
                rule: &check.name,
                scope,
                holds: !check.ok,
                value: check.value,
                threshold: check.threshold,
                message: &check.detail,
            };
            match db::alerts::evaluate(&inner.pool, &condition, policy).await {
                Ok(Some((alert, step))) => {
                    tracing::warn!(rule = %alert.rule, scope = %alert.scope, state = %alert.state, "alert {}", alert.state);
                    inner.notifier.notify(alert.clone(), step);
                    notified.push(alert);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(rule = %check.name, error = %e, "evaluating an alert rule")
                }
            }
        }
        (report, notified)
    }

    /// The job on `self_check.schedule` (every node runs its own); `None` when disabled.
    pub fn job(&self, running: &jobs::Running) -> anyhow::Result<Option<jobs::Cron>> {
        if !self.0.config.enabled {
            return Ok(None);
        }
        let this = self.clone();
        let job = jobs::cron(
            "self_check.schedule",
            &self.0.config.schedule,
            running,
            move |_tick| {
                let this = this.clone();
                async move {
                    this.run_and_record().await;
                }
            },
        )?;
        Ok(Some(job))
    }
}

/// Which alert rule a check feeds, and whose it is.
enum Scope {
    /// About this node.
    Node,
    /// About what all nodes share (the backups).
    Cluster,
}

fn rule_scope(check: &str) -> Option<Scope> {
    match check {
        // Without the database there is nowhere to keep an alert; `nodes` is the command line's.
        "database" | "nodes" => None,
        "backup_age" | "backup_failed" | "backup_upload" => Some(Scope::Cluster),
        _ => Some(Scope::Node),
    }
}

impl Check {
    fn new(
        name: &str,
        ok: bool,
        value: Option<f64>,
        threshold: Option<f64>,
        unit: &str,
        detail: &str,
    ) -> Self {
        Self {
            name: name.into(),
            ok,
            value: value.map(round),
            threshold,
            unit: unit.into(),
            detail: detail.into(),
        }
    }

    /// Ok while `value` is at most `threshold`.
    fn above(name: &str, value: f64, threshold: f64, unit: &str, detail: String) -> Self {
        Self::new(
            name,
            value <= threshold,
            Some(value),
            Some(threshold),
            unit,
            &detail,
        )
    }
}

impl Sampler {
    /// This process's CPU use since the last refresh (percent of the CPUs it may use) and its
    /// resident memory (percent of the cgroup's limit, or of the machine, and bytes).
    fn refresh(&mut self) -> (Option<f64>, Option<(f64, u64)>) {
        let Some(pid) = self.pid else {
            return (None, None);
        };
        self.system.refresh_processes_specifics(
            sysinfo::ProcessesToUpdate::Some(&[pid]),
            true,
            sysinfo::ProcessRefreshKind::nothing()
                .with_cpu()
                .with_memory(),
        );
        self.system.refresh_memory();
        let Some(process) = self.system.process(pid) else {
            return (None, None);
        };
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let cpu = f64::from(process.cpu_usage()) / cpus;
        let rss = process.memory();
        let total = self
            .system
            .cgroup_limits()
            .map(|c| c.total_memory)
            .filter(|t| *t > 0)
            .unwrap_or_else(|| self.system.total_memory());
        let memory = (total > 0).then(|| (100.0 * rss as f64 / total as f64, rss));
        (Some(cpu), memory)
    }
}

async fn database_round_trip(pool: &PgPool) -> Result<Duration, String> {
    let started = Instant::now();
    match tokio::time::timeout(DB_TIMEOUT, sqlx::query("SELECT 1").execute(pool)).await {
        Ok(Ok(_)) => Ok(started.elapsed()),
        Ok(Err(e)) => Err(format!("the database does not answer: {e}")),
        Err(_) => Err(format!(
            "the database did not answer within {} s",
            DB_TIMEOUT.as_secs()
        )),
    }
}

/// Percent used of the file system holding `dir` (as `df` counts it), and the directory measured:
/// `dir`, or its nearest existing ancestor before it is created.
fn disk_usage(dir: &Path) -> Result<(f64, PathBuf), String> {
    let existing = dir
        .ancestors()
        .find(|d| d.exists())
        .ok_or_else(|| format!("{}: no such directory", dir.display()))?;
    let s =
        nix::sys::statvfs::statvfs(existing).map_err(|e| format!("{}: {e}", existing.display()))?;
    let used = s.blocks().saturating_sub(s.blocks_free()) as f64;
    let usable = used + s.blocks_available() as f64;
    let pct = if usable > 0.0 {
        100.0 * used / usable
    } else {
        0.0
    };
    Ok((pct, existing.to_path_buf()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_fails_only_above_its_threshold() {
        assert!(Check::above("cpu", 80.0, 80.0, "%", String::new()).ok);
        assert!(!Check::above("cpu", 80.01, 80.0, "%", String::new()).ok);
        assert!(!Check::above("cache_evictions", 0.1, 0.0, "per_s", String::new()).ok);
        assert!(Check::above("cache_evictions", 0.0, 0.0, "per_s", String::new()).ok);
    }

    #[test]
    fn disk_usage_measures_the_nearest_existing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (pct, measured) = disk_usage(&dir.path().join("backups/not/yet")).unwrap();
        assert_eq!(measured, dir.path());
        assert!((0.0..=100.0).contains(&pct), "{pct}");
    }

    #[test]
    fn the_process_is_sampled() {
        let mut sampler = Sampler {
            system: sysinfo::System::new(),
            pid: sysinfo::get_current_pid().ok(),
            evictions: Some((0, Instant::now())),
            redis_evictions: None,
        };
        let work = || {
            let started = Instant::now();
            let mut x = 0u64;
            while started.elapsed() < Duration::from_millis(100) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        };
        // sysinfo measures from the second reading of a process that has used some CPU.
        work();
        sampler.refresh();
        work();
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let (cpu, memory) = sampler.refresh();
        let cpu = cpu.unwrap();
        let (pct, rss) = memory.unwrap();
        assert!(cpu > 0.0 && cpu <= 100.0, "{cpu}");
        assert!(rss > 1024 * 1024 && pct > 0.0 && pct < 100.0, "{rss} {pct}");
    }
}
