//! The worst requests the caps still allow, fired by eight signed-in clients at once for 20 s at the
//! release binary: what one request costs the server at most, whether probes stay fast meanwhile,
//! and whether the server is idle again once the clients stop.
//!
//! The requests, in turn from each client:
//! - a shopping plan of as many products as the athlete may buy (up to the 30-item cap) at 20
//!   servings a day (the cap, or the most the safety screen allows) for 366 days over every store;
//! - a year of 20 servings a day of one whey in three sizes at a store whose minimum order is so high
//!   that every mix of sizes is a way to buy (the search runs into its budget);
//! - a week of meal plans, the widest meal plan one request makes;
//! - supplement recommendations over the whole catalogue.
//!
//! Each request is first sent alone three times (its cost without contention). The node runs on its
//! own database with the seed data and the default limits, rate limits off (they
//! would refuse most of these requests; the point here is what each one costs). A ninth client
//! probes `GET /health` every 10 ms. CPU is the server process's (user + system, from /proc).
//!
//! Run: `cargo bench --bench hostile_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/hostile_load.json.

use std::time::{Duration, Instant};

use common::{fresh_database, now_rfc3339, percentile, summary, write_result};
use serde_json::{Value, json};

mod common;

const CLIENTS: usize = 8;
const RUN: Duration = Duration::from_secs(20);
const PROBE_EVERY: Duration = Duration::from_millis(10);

/// CPU seconds the process `pid` has used (user + system, all threads).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(end) = stat.rfind(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = stat[end + 2..].split(' ').collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf reads a constant.
    (ticks(11) + ticks(12)) / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let (mut admin, name, db_url) = fresh_database().await?;
    let data = std::env::temp_dir().join(format!("{name}-data"));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut node = tokio::process::Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", &db_url)
        .env("SN_STORAGE__DATA_DIR", &data)
        .env("SN_SERVER__PORT", port.to_string())
        .env("SN_AUTH__JWT_SECRET", &secret)
        .env("SN_RATE_LIMIT__ENABLED", "false")
        .env("SN_BACKUP__ENABLED", "false")
        .env("SN_FEEDS__ENABLED", "false")
        .env("SN_LOG__LEVEL", "warn")
        .kill_on_drop(true)
        .spawn()?;
    let pid = node.id().expect("running");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let ready = Instant::now();
    while client
        .get(format!("{base}/ready"))
        .send()
        .await
        .map_or(true, |r| r.status() != 200)
    {
        anyhow::ensure!(ready.elapsed() < Duration::from_secs(120), "not ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pool = sqlx::PgPool::connect(&db_url).await?;

    // A store where every mix of the whey's three sizes up to its minimum order is a way to buy.
    sqlx::query(
        "INSERT INTO stores (slug, name, delivery_fee, free_delivery_from, min_order)
         VALUES ('bench-hard', 'Bench Hard', 300, 5000, 100000000)",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO product_packages (product_id, size, size_unit, servings)
         SELECT id, 4540, 'g', 151.33 FROM products WHERE slug = 'on-gold-standard-100-whey'",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO prices (store_id, package_id, price)
         SELECT s.id, p.id, CASE p.size WHEN 908 THEN 5849 WHEN 2270 THEN 12199 ELSE 24999 END
         FROM stores s, product_packages p JOIN products pr ON pr.id = p.product_id
         WHERE s.slug = 'bench-hard' AND pr.slug = 'on-gold-standard-100-whey'",
    )
    .execute(&pool)
    .await?;
    let whey: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM products WHERE slug = 'on-gold-standard-100-whey'")
            .fetch_one(&pool)
            .await?;

    // Eight athletes with a health profile.
    let mut tokens = Vec::new();
    for n in 0..CLIENTS {
        let signed_in: Value = client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({ "email": format!("hostile{n}@bench.example.rs"), "password": "sarma i podvarak 1987" }))
            .send()
            .await?
            .json()
            .await?;
        let token = signed_in["token"].as_str().unwrap_or_default().to_owned();
        let put = client
            .put(format!("{base}/api/v1/health-profile"))
            .bearer_auth(&token)
            .json(&json!({ "birth_date": "1992-05-05", "sex": "male", "weight_kg": 82, "height_cm": 181,
                           "activity_level": "active", "sport": "strength_power",
                           "training_hours_per_week": 10, "goal": "mass" }))
            .send()
            .await?;
        anyhow::ensure!(put.status().is_success(), "profile: {}", put.text().await?);
        tokens.push(token);
    }

    // The largest basket the athlete may buy: each recommended product at the most servings a day
    // the cap and the safety screen allow.
    let recommended: Value = client
        .get(format!("{base}/api/v1/recommendations?limit=100"))
        .bearer_auth(&tokens[0])
        .send()
        .await?
        .json()
        .await?;
    let mut items = Vec::new();
    for product in recommended["items"].as_array().into_iter().flatten() {
        let id = &product["product"]["id"];
        for servings in [20, 10, 5, 3, 2, 1] {
            let item = json!({ "product_id": id, "servings_per_day": servings });
            let tried = client
                .post(format!("{base}/api/v1/shopping-plan"))
                .bearer_auth(&tokens[0])
                .json(&json!({ "items": [item], "days": 366 }))
                .send()
                .await?;
            if tried.status() == 200 {
                items.push(item);
                break;
            }
        }
        if items.len() == 30 {
            break;
        }
    }
    let requests: Vec<(&str, reqwest::Method, String, Value)> = vec![
        (
            "POST /shopping-plan, largest basket",
            reqwest::Method::POST,
            "/api/v1/shopping-plan".into(),
            json!({ "items": items, "days": 366 }),
        ),
        (
            "POST /shopping-plan, adversarial store",
            reqwest::Method::POST,
            "/api/v1/shopping-plan".into(),
            json!({ "items": [{ "product_id": whey, "servings_per_day": 20 }], "days": 366, "stores": ["bench-hard"] }),
        ),
        (
            "POST /meal-plans/weekly",
            reqwest::Method::POST,
            "/api/v1/meal-plans/weekly".into(),
            json!({ "start_date": "2026-12-07" }),
        ),
        (
            "GET /recommendations?limit=100",
            reqwest::Method::GET,
            "/api/v1/recommendations?limit=100".into(),
            Value::Null,
        ),
    ];

    // Each request alone first: what it costs without contention.
    let mut alone = serde_json::Map::new();
    for (label, method, path, body) in &requests {
        let mut ms = Vec::new();
        let mut outcome = Value::Null;
        for _ in 0..3 {
            let mut request = client
                .request(method.clone(), format!("{base}{path}"))
                .bearer_auth(&tokens[0]);
            if !body.is_null() {
                request = request.json(body);
            }
            let cpu = cpu_seconds(pid);
            let t = Instant::now();
            let r = request.send().await?;
            let status = r.status().as_u16();
            let answer: Value = r.json().await.unwrap_or_default();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            outcome = json!({ "status": status, "optimal": answer["optimal"],
                              "server_cpu_s": ((cpu_seconds(pid) - cpu) * 1000.0).round() / 1000.0 });
        }
        alone.insert(
            (*label).into(),
            json!({ "latency": summary(ms), "last": outcome }),
        );
    }

    // Health probes throughout, and the load.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
        tokio::spawn(async move {
            let mut ms = Vec::new();
            let mut failed = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                match client.get(format!("{base}/health")).send().await {
                    Ok(r) if r.status() == 200 => ms.push(t.elapsed().as_secs_f64() * 1000.0),
                    _ => failed += 1,
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            (ms, failed)
        })
    };
    let cpu_before = cpu_seconds(pid);
    let started = Instant::now();
    let mut workers = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let (client, base, token, requests) = (
            client.clone(),
            base.clone(),
            token.clone(),
            requests.clone(),
        );
        workers.push(tokio::spawn(async move {
            // (request, status, ms, whether a plan was proven optimal)
            let mut done: Vec<(usize, u16, f64, Option<bool>)> = Vec::new();
            let mut k = n;
            while started.elapsed() < RUN {
                let (_, method, path, body) = &requests[k % requests.len()];
                let mut request = client.request(method.clone(), format!("{base}{path}"));
                request = request.bearer_auth(&token);
                if !body.is_null() {
                    request = request.json(body);
                }
                let t = Instant::now();
                let (status, optimal) = match request.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body: Value = r.json().await.unwrap_or_default();
                        (status, body["optimal"].as_bool())
                    }
                    Err(_) => (0, None),
                };
                done.push((
                    k % requests.len(),
                    status,
                    t.elapsed().as_secs_f64() * 1000.0,
                    optimal,
                ));
                k += 1;
            }
            done
        }));
    }
    let mut done = Vec::new();
    for worker in workers {
        done.extend(worker.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_during = cpu_seconds(pid) - cpu_before;
    // The clients have stopped: how soon is the server idle (under 5 % of a core per 100 ms)?
    let stopped = Instant::now();
    let mut last = cpu_seconds(pid);
    let mut idle_after_ms = None;
    while stopped.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = cpu_seconds(pid);
        if idle_after_ms.is_none() && now - last < 0.005 {
            idle_after_ms = Some(stopped.elapsed().as_millis() as u64 - 100);
        }
        last = now;
    }
    let cpu_second_after = {
        let before = cpu_seconds(pid);
        tokio::time::sleep(Duration::from_secs(1)).await;
        cpu_seconds(pid) - before
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut health_ms, health_failed) = probe.await?;
    health_ms.sort_by(f64::total_cmp);

    let mut per_request = serde_json::Map::new();
    for (k, (label, ..)) in requests.iter().enumerate() {
        let mine: Vec<&(usize, u16, f64, Option<bool>)> =
            done.iter().filter(|d| d.0 == k).collect();
        let mut statuses = std::collections::BTreeMap::<String, usize>::new();
        for d in &mine {
            *statuses.entry(d.1.to_string()).or_default() += 1;
        }
        let plans = mine.iter().filter(|d| d.3.is_some()).count();
        let proven = mine.iter().filter(|d| d.3 == Some(true)).count();
        per_request.insert(
            (*label).into(),
            json!({
                "latency": summary(mine.iter().map(|d| d.2).collect()),
                "statuses": statuses,
                "plans": plans,
                "plans_proven_optimal": proven,
            }),
        );
    }
    let cpu_per_request = cpu_during / done.len().max(1) as f64;
    let health_p99 = percentile(&health_ms, 99.0);
    let result = json!({
        "bench": "hostile_load",
        "command": "cargo bench --bench hostile_load",
        "at": now_rfc3339(),
        "clients": CLIENTS,
        "duration_s": (elapsed * 10.0).round() / 10.0,
        "basket_items": items.len(),
        "requests": done.len(),
        "alone": alone,
        "per_request": per_request,
        "server_cpu_s": (cpu_during * 100.0).round() / 100.0,
        "server_cpu_per_request_s": (cpu_per_request * 1000.0).round() / 1000.0,
        "health": { "latency": summary(health_ms), "failed": health_failed },
        "idle_after_stop_ms": idle_after_ms,
        "server_cpu_in_the_second_after_s": (cpu_second_after * 1000.0).round() / 1000.0,
        "goals": {
            "server_cpu_per_request_le_1s": cpu_per_request <= 1.0,
            "health_p99_le_10ms": health_p99 <= 10.0,
            "idle_within_1s": idle_after_ms.is_some_and(|ms| ms <= 1000),
        },
    });
    write_result("hostile_load.json", &result)?;

    let _ = node.kill().await;
    pool.close().await;
    sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
        .execute(&mut admin)
        .await?;
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
