//! Sign-in under load: 50 clients logging in back to back (argon2id at the production cost), while
//! a probe calls `GET /health` and `GET /api/health` every 10 ms. Hashing runs on a bounded pool of
//! blocking threads, so the probes must stay in milliseconds.
//!
//! Run: `cargo bench --bench auth_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/auth_load.json.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::json;
use sports_nutrition::{config::Config, startup::Application};
use sqlx::{Connection, PgConnection};

const CLIENTS: usize = 50;
const DURATION: Duration = Duration::from_secs(20);
const PASSWORD: &str = "bench password for logins";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    json!({
        "count": ms.len(),
        "p50_ms": round(percentile(&ms, 50.0)),
        "p90_ms": round(percentile(&ms, 90.0)),
        "p99_ms": round(percentile(&ms, 99.0)),
        "max_ms": round(ms.last().copied().unwrap_or(f64::NAN)),
    })
}

/// A numeric field of /proc/self/status (e.g. `VmHWM`, `VmRSS`, `Threads`).
fn proc_status(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(&format!("{field}:")))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    // As the binary's main does.
    sports_nutrition::ops::memory::tune_allocator();
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("sn_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin).await?;
    sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);

    let mut config = Config::default();
    config.database.url = Some(SecretString::from(format!("{base}/{name}")));
    config.database.seed_on_start = false;
    config.server.port = 0;
    config.auth.jwt_secret = Some(SecretString::from(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )));
    config.rate_limit.enabled = false; // measuring the sign-in path, not the limiter
    let argon2 = config.auth.argon2.clone();
    let app = Application::build(config).await?;
    let url = format!("http://{}", app.local_addr());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stop_rx.await;
    }));

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS + 2)
        .build()?;
    for i in 0..CLIENTS {
        let response = client
            .post(format!("{url}/api/v1/auth/register"))
            .json(&json!({ "email": format!("athlete{i}@bench.example.rs"), "password": PASSWORD }))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 201, "register: {}", response.status());
    }

    let started = Instant::now();
    let deadline = started + DURATION;
    let mut logins = Vec::new();
    for i in 0..CLIENTS {
        let (client, url) = (client.clone(), url.clone());
        logins.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let body =
                json!({ "email": format!("athlete{i}@bench.example.rs"), "password": PASSWORD });
            while Instant::now() < deadline {
                let t = Instant::now();
                let response = client
                    .post(format!("{url}/api/v1/auth/login"))
                    .json(&body)
                    .send()
                    .await;
                let ok = matches!(&response, Ok(r) if r.status() == 200);
                if let Ok(r) = response {
                    let _ = r.bytes().await;
                }
                assert!(ok, "login failed under load");
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let probe = {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let (mut live, mut detailed) = (Vec::new(), Vec::new());
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            while Instant::now() < deadline {
                tick.tick().await;
                for (path, out) in [("/health", &mut live), ("/api/health", &mut detailed)] {
                    let t = Instant::now();
                    let r = client
                        .get(format!("{url}{path}"))
                        .send()
                        .await
                        .expect("probe");
                    assert_eq!(r.status(), 200);
                    let _ = r.bytes().await;
                    out.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            (live, detailed, proc_status("Threads"))
        })
    };
    let mut login_ms = Vec::new();
    for task in logins {
        login_ms.extend(task.await?);
    }
    let (live_ms, detailed_ms, threads) = probe.await?;
    let elapsed = started.elapsed().as_secs_f64();
    let total = login_ms.len();

    let result = json!({
        "command": "cargo bench --bench auth_load",
        "date": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?,
        "machine": { "cpus": std::thread::available_parallelism()?.get() },
        "setup": {
            "concurrent_clients": CLIENTS,
            "duration_s": DURATION.as_secs(),
            "argon2id": { "memory_kib": argon2.memory_kib, "iterations": argon2.iterations, "parallelism": argon2.parallelism },
            "hash_concurrency": "one per CPU (default)",
        },
        "login": summary(login_ms),
        "logins_per_s": ((total as f64 / elapsed) * 10.0).round() / 10.0,
        "health_during_load": summary(live_ms),
        "api_health_during_load": summary(detailed_ms),
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
        "rss_mib_at_end": proc_status("VmRSS") / 1024,
        "threads_at_end": threads,
    });
    let text = serde_json::to_string_pretty(&result)?;
    println!("{text}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results/auth_load.json");
    std::fs::write(out, text + "\n")?;

    let _ = stop_tx.send(());
    server.await??;
    sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .execute(&mut conn)
        .await?;
    Ok(())
}
