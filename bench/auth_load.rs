//! Sign-in under load: 50 clients logging in back to back (argon2id at the production cost), while
//! a probe calls `GET /health` and `GET /api/health` every 10 ms. Hashing runs on a bounded pool of
//! blocking threads, so the probes must stay in milliseconds.
//!
//! Run: `cargo bench --bench auth_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/auth_load.json.

use std::time::{Duration, Instant};

use common::{Node, now_rfc3339, proc_status, summary, write_result};
use serde_json::json;

mod common;

const CLIENTS: usize = 50;
const DURATION: Duration = Duration::from_secs(20);
const PASSWORD: &str = "bench password for logins";

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let mut argon2 = None;
    let node = Node::start(|config| {
        config.rate_limit.enabled = false; // measuring the sign-in path, not the limiter
        argon2 = Some(config.auth.argon2.clone());
    })
    .await?;
    let argon2 = argon2.expect("configured");
    let url = node.url.clone();

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
        "date": now_rfc3339(),
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
    write_result("auth_load.json", &result)?;
    node.stop().await
}
