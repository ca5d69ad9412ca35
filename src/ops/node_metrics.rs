//! The node's gauges, observed when metrics are read (a scrape of `/metrics` or an OTLP push):
//! database pool, cache, TLS certificate, newest backup, self-check results and the process.
//! Nothing here queries on the read path: the backup facts are refreshed in the background.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry::{KeyValue, global};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::{
    cache::Cache,
    db,
    ops::{selfcheck::SelfCheck, telemetry, tls::CertResolver},
};

/// What the gauges read.
pub struct Node {
    pub pool: PgPool,
    pub max_connections: u32,
    pub cache: Cache,
    pub tls: Option<Arc<CertResolver>>,
    pub self_check: SelfCheck,
}

#[derive(Clone, Copy, Default)]
struct BackupFacts {
    /// The newest good backup's end, or the installation time before the first.
    since: Option<OffsetDateTime>,
    size_bytes: Option<i64>,
    duration_ms: Option<i32>,
}

/// Registers the gauges; the returned task refreshes the backup facts every 15 s.
pub fn observe(node: Node) -> tokio::task::JoinHandle<()> {
    let meter = global::meter("sports-nutrition");
    let Node {
        pool,
        max_connections,
        cache,
        tls,
        self_check,
    } = node;

    let p = pool.clone();
    meter
        .i64_observable_gauge("db.client.connection.count")
        .with_unit("{connection}")
        .with_description("Database connections in the pool, by state")
        .with_callback(move |o| {
            let idle = p.num_idle() as i64;
            let size = i64::from(p.size());
            o.observe(idle, &[KeyValue::new("db.client.connection.state", "idle")]);
            o.observe(
                (size - idle).max(0),
                &[KeyValue::new("db.client.connection.state", "used")],
            );
        })
        .build();
    meter
        .i64_observable_gauge("db.client.connection.max")
        .with_unit("{connection}")
        .with_description("The pool's largest size (database.max_connections)")
        .with_callback(move |o| o.observe(i64::from(max_connections), &[]))
        .build();

    let c = cache.clone();
    meter
        .u64_observable_counter("sn.cache.operations")
        .with_description(
            "Cache reads by kind and result (hit: this node, redis_hit, miss: loaded)",
        )
        .with_callback(move |o| {
            for (kind, stats) in c.stats().kinds {
                let kind = KeyValue::new("kind", kind.as_str());
                for (result, count) in [
                    ("hit", stats.hits),
                    ("redis_hit", stats.redis_hits),
                    ("miss", stats.misses),
                ] {
                    o.observe(count, &[kind.clone(), KeyValue::new("result", result)]);
                }
            }
        })
        .build();
    let c = cache.clone();
    meter
        .u64_observable_counter("sn.cache.evictions")
        .with_description("Entries evicted from this node's cache tier")
        .with_callback(move |o| o.observe(c.stats().evictions, &[]))
        .build();
    meter
        .u64_observable_gauge("sn.cache.entries")
        .with_description("Entries in this node's cache tier")
        .with_callback(move |o| o.observe(cache.stats().entries, &[]))
        .build();

    if let Some(resolver) = tls {
        meter
            .f64_observable_gauge("sn.tls.certificate.days_left")
            .with_description("Days until the served certificate expires")
            .with_callback(move |o| {
                if let Some(c) = resolver.current() {
                    let days =
                        (c.not_after - OffsetDateTime::now_utc()).as_seconds_f64() / 86_400.0;
                    o.observe(days, &[]);
                }
            })
            .build();
    }

    let facts = Arc::new(Mutex::new(BackupFacts::default()));
    let f = facts.clone();
    meter
        .f64_observable_gauge("sn.backup.age")
        .with_unit("s")
        .with_description("Age of the newest good backup (before the first: since installation)")
        .with_callback(move |o| {
            if let Some(since) = read(&f).since {
                o.observe((OffsetDateTime::now_utc() - since).as_seconds_f64(), &[]);
            }
        })
        .build();
    let f = facts.clone();
    meter
        .i64_observable_gauge("sn.backup.size")
        .with_unit("By")
        .with_description("Size of the newest good backup")
        .with_callback(move |o| {
            if let Some(size) = read(&f).size_bytes {
                o.observe(size, &[]);
            }
        })
        .build();
    let f = facts.clone();
    meter
        .f64_observable_gauge("sn.backup.duration")
        .with_unit("s")
        .with_description("How long the newest good backup took")
        .with_callback(move |o| {
            if let Some(ms) = read(&f).duration_ms {
                o.observe(f64::from(ms) / 1000.0, &[]);
            }
        })
        .build();

    let s = self_check.clone();
    meter
        .i64_observable_gauge("sn.self_check.ok")
        .with_description("1 when the self-check passed, 0 when it failed, by check")
        .with_callback(move |o| {
            for check in s.last().map(|r| r.checks).unwrap_or_default() {
                o.observe(i64::from(check.ok), &[KeyValue::new("check", check.name)]);
            }
        })
        .build();
    meter
        .f64_observable_gauge("sn.self_check.value")
        .with_description("The self-check's reading, by check (unit in the check's report)")
        .with_callback(move |o| {
            for check in self_check.last().map(|r| r.checks).unwrap_or_default() {
                if let Some(value) = check.value {
                    o.observe(value, &[KeyValue::new("check", check.name)]);
                }
            }
        })
        .build();

    let process = telemetry::ProcessSampler::new();
    let cpu = process.clone();
    meter
        .f64_observable_gauge("process.cpu.utilization")
        .with_unit("1")
        .with_description(
            "CPU used by the process since the last reading, as a share of the CPUs it may use",
        )
        .with_callback(move |o| o.observe(cpu.cpu(), &[]))
        .build();
    meter
        .i64_observable_gauge("process.memory.usage")
        .with_unit("By")
        .with_description("Resident memory of the process")
        .with_callback(move |o| o.observe(process.rss() as i64, &[]))
        .build();
    meter
        .i64_observable_gauge("process.unix.file_descriptor.count")
        .with_unit("{file_descriptor}")
        .with_description("Open file descriptors of the process")
        .with_callback(|o| o.observe(telemetry::open_fds() as i64, &[]))
        .build();

    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            match backup_facts(&pool).await {
                Ok(next) => *facts.lock().unwrap_or_else(|p| p.into_inner()) = next,
                Err(e) => tracing::debug!(error = %e, "reading the newest backup for the metrics"),
            }
        }
    })
}

fn read(facts: &Mutex<BackupFacts>) -> BackupFacts {
    *facts.lock().unwrap_or_else(|p| p.into_inner())
}

async fn backup_facts(pool: &PgPool) -> sqlx::Result<BackupFacts> {
    if let Some(b) = db::backups::newest_good(pool).await? {
        return Ok(BackupFacts {
            since: b.finished_at,
            size_bytes: b.size_bytes,
            duration_ms: b.duration_ms,
        });
    }
    let installed: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT min(installed_on) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await?;
    Ok(BackupFacts {
        since: installed,
        ..BackupFacts::default()
    })
}
