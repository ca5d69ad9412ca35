//! The runbook's load test, as a goose scenario: each virtual athlete registers, signs in, enters
//! a health profile, then keeps reading their profile, targets, recommendations, products and
//! dishes, generating a meal plan and a shopping plan and logging progress, with a think time of
//! 0.5–1.5 s between steps (like the runbook's k6 script).
//!
//! Run it with `bench/run`, which starts the appliance and passes goose's options (`--host`,
//! `--users`, `--run-time`, ...). Environment: `SN_LOAD_PID` (the appliance's process, sampled
//! for memory and CPU) and `SN_LOAD_OUT` (where the JSON summary goes).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use goose::prelude::*;
use serde_json::{Value, json};

/// What one virtual athlete keeps between steps.
#[derive(Clone)]
struct Athlete {
    token: String,
    /// A made-up client address, so limits per address apply per athlete as behind a balancer.
    address: String,
    /// Progress is logged for a new day each time.
    next_day: i64,
    products: Vec<String>,
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

const PASSWORD: &str = "sarma i podvarak 1987";

async fn call(
    user: &mut GooseUser,
    method: GooseMethod,
    path: &str,
    name: &str,
    body: Option<&Value>,
    expect: u16,
) -> Result<Option<Value>, Box<TransactionError>> {
    let mut builder = user.get_request_builder(&method, path)?;
    if let Some(athlete) = user.get_session_data::<Athlete>() {
        builder = builder
            .header("x-forwarded-for", &athlete.address)
            .bearer_auth(&athlete.token);
    }
    if let Some(body) = body {
        builder = builder.json(body);
    }
    let request = GooseRequest::builder()
        .method(method)
        .name(name)
        .set_request_builder(builder)
        .expect_status_code(expect)
        .build();
    // A status other than `expect` is counted as an error by goose itself.
    let response = user.request(request).await?;
    match response.response {
        Ok(r) if r.status().as_u16() == expect => Ok(r.json::<Value>().await.ok()),
        _ => Ok(None),
    }
}

async fn sign_up(user: &mut GooseUser) -> TransactionResult {
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let email = format!("atleta{n}.{}@load.klub.rs", std::process::id());
    let address = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    // Until signed in, only the client address is sent.
    let register = user
        .get_request_builder(&GooseMethod::Post, "/api/v1/auth/register")?
        .header("x-forwarded-for", &address)
        .json(&json!({ "email": email, "password": PASSWORD }));
    user.request(
        GooseRequest::builder()
            .method(GooseMethod::Post)
            .name("POST /api/v1/auth/register")
            .set_request_builder(register)
            .expect_status_code(201)
            .build(),
    )
    .await?;
    let login = user
        .get_request_builder(&GooseMethod::Post, "/api/auth/login")?
        .header("x-forwarded-for", &address)
        .json(&json!({ "email": email, "password": PASSWORD }));
    let response = user
        .request(
            GooseRequest::builder()
                .method(GooseMethod::Post)
                .name("POST /api/auth/login")
                .set_request_builder(login)
                .expect_status_code(200)
                .build(),
        )
        .await?;
    let token = match response.response {
        Ok(r) => r
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| Some(v["token"].as_str()?.to_owned())),
        Err(_) => None,
    };
    let Some(token) = token else {
        return Err(Box::new(TransactionError::Custom("no token".into())));
    };
    user.set_session_data(Athlete {
        token,
        address,
        next_day: 0,
        products: Vec::new(),
    });
    let profile = json!({
        "birth_date": "1996-04-12", "sex": if n.is_multiple_of(2) { "female" } else { "male" },
        "weight_kg": 58 + (n % 30), "height_cm": 165 + (n % 25), "activity_level": "very_active",
        "sport": "team_sport", "training_hours_per_week": 8, "goal": "maintain"
    });
    call(
        user,
        GooseMethod::Put,
        "/api/v1/health-profile",
        "PUT /api/v1/health-profile",
        Some(&profile),
        200,
    )
    .await?;
    Ok(())
}

async fn profile(user: &mut GooseUser) -> TransactionResult {
    call(
        user,
        GooseMethod::Get,
        "/api/profile",
        "GET /api/profile",
        None,
        200,
    )
    .await?;
    Ok(())
}

async fn targets(user: &mut GooseUser) -> TransactionResult {
    let path = "/api/v1/nutrition/targets";
    call(
        user,
        GooseMethod::Get,
        path,
        "GET /api/v1/nutrition/targets",
        None,
        200,
    )
    .await?;
    Ok(())
}

async fn recommendations(user: &mut GooseUser) -> TransactionResult {
    let path = "/api/v1/recommendations";
    let body = call(
        user,
        GooseMethod::Get,
        path,
        "GET /api/v1/recommendations",
        None,
        200,
    )
    .await?;
    let products: Vec<String> = body
        .as_ref()
        .and_then(|b| b["items"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|i| Some(i["product"]["id"].as_str()?.to_owned()))
        .take(3)
        .collect();
    if let Some(athlete) = user.get_session_data_mut::<Athlete>() {
        athlete.products = products;
    }
    Ok(())
}

async fn products(user: &mut GooseUser) -> TransactionResult {
    let search = ["protein", "kreatin", "whey", "magnezijum", "vitamin"];
    let q = search[(SEQUENCE.fetch_add(1, Ordering::Relaxed) % 5) as usize];
    let path = format!("/api/v1/products?q={q}");
    call(
        user,
        GooseMethod::Get,
        &path,
        "GET /api/v1/products?q=",
        None,
        200,
    )
    .await?;
    Ok(())
}

async fn dishes(user: &mut GooseUser) -> TransactionResult {
    let path = "/api/v1/dishes?meal_type=lunch";
    call(
        user,
        GooseMethod::Get,
        path,
        "GET /api/v1/dishes",
        None,
        200,
    )
    .await?;
    Ok(())
}

async fn meal_plan(user: &mut GooseUser) -> TransactionResult {
    let body = json!({ "date": "2026-12-01", "training_load": "moderate" });
    let path = "/api/v1/meal-plans/daily";
    call(
        user,
        GooseMethod::Post,
        path,
        "POST /api/v1/meal-plans/daily",
        Some(&body),
        200,
    )
    .await?;
    Ok(())
}

async fn shopping_plan(user: &mut GooseUser) -> TransactionResult {
    let products = user
        .get_session_data::<Athlete>()
        .map(|a| a.products.clone())
        .unwrap_or_default();
    if products.is_empty() {
        return recommendations(user).await;
    }
    let items: Vec<Value> = products
        .iter()
        .map(|id| json!({ "product_id": id, "servings_per_day": 1 }))
        .collect();
    let body = json!({ "items": items, "days": 30 });
    let path = "/api/v1/shopping-plan";
    call(
        user,
        GooseMethod::Post,
        path,
        "POST /api/v1/shopping-plan",
        Some(&body),
        200,
    )
    .await?;
    Ok(())
}

async fn log_progress(user: &mut GooseUser) -> TransactionResult {
    let day = match user.get_session_data_mut::<Athlete>() {
        Some(athlete) => {
            athlete.next_day += 1;
            athlete.next_day
        }
        None => return Ok(()),
    };
    let date = time::macros::date!(2020 - 01 - 01) + time::Duration::days(day);
    let body = json!({ "date": date.to_string(), "weight_kg": 70.5, "sleep_hours": 7.5 });
    call(
        user,
        GooseMethod::Post,
        "/api/v1/progress",
        "POST /api/v1/progress",
        Some(&body),
        201,
    )
    .await?;
    Ok(())
}

/// Peak memory of the appliance (resident) and of its PostgreSQL processes (proportional: shared
/// memory divided among them), sampled every second.
#[derive(Default)]
struct Usage {
    peak_rss_kib: u64,
    peak_database_pss_kib: u64,
}

/// A `Field:   123 kB` line of a /proc file of `pid` (`status`, `smaps_rollup`), in KiB.
fn proc_kib(pid: u32, file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// User plus system CPU seconds of `pid` (clock ticks of 1/100 s, as on Linux).
fn cpu_secs(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let fields: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
            Some(
                (fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
                    / 100.0,
            )
        })
        .unwrap_or(0.0)
}

/// Every process below `pid`: the managed PostgreSQL postmaster and its backends.
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|p| {
                    let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
                    let parent = stat
                        .rsplit_once(')')?
                        .1
                        .split_whitespace()
                        .nth(1)?
                        .parse()
                        .ok()?;
                    Some((p, parent))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// Nearest-rank percentile over goose's microsecond buckets.
fn percentile_ms(buckets: &[(u64, usize)], total: usize, p: f64) -> f64 {
    let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as usize;
    let mut seen = 0;
    for (us, count) in buckets {
        seen += count;
        if seen >= rank {
            return (*us as f64 / 10.0).round() / 100.0;
        }
    }
    f64::NAN
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let pid: Option<u32> = std::env::var("SN_LOAD_PID")
        .ok()
        .and_then(|p| p.parse().ok());
    let out = std::env::var("SN_LOAD_OUT").unwrap_or_else(|_| "bench/results/load.json".into());
    let usage = Arc::new(std::sync::Mutex::new(Usage::default()));
    let cpu_before = pid.map(cpu_secs);
    let db_cpu_before: std::collections::HashMap<u32, f64> = pid
        .map(descendants)
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p, cpu_secs(p)))
        .collect();
    let sampler = pid.map(|pid| {
        let usage = usage.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let rss = proc_kib(pid, "status", "VmRSS:");
                let database: u64 = descendants(pid)
                    .iter()
                    .map(|&c| proc_kib(c, "smaps_rollup", "Pss:"))
                    .sum();
                let mut u = usage.lock().unwrap();
                u.peak_rss_kib = u.peak_rss_kib.max(rss);
                u.peak_database_pss_kib = u.peak_database_pss_kib.max(database);
            }
        })
    });

    let started = std::time::Instant::now();
    let metrics = GooseAttack::initialize()?
        .register_scenario(
            scenario!("Athlete")
                .set_wait_time(Duration::from_millis(500), Duration::from_millis(1500))?
                .register_transaction(transaction!(sign_up).set_on_start())
                .register_transaction(transaction!(profile).set_weight(3)?)
                .register_transaction(transaction!(targets).set_weight(2)?)
                .register_transaction(transaction!(recommendations).set_weight(2)?)
                .register_transaction(transaction!(products).set_weight(3)?)
                .register_transaction(transaction!(dishes).set_weight(2)?)
                .register_transaction(transaction!(meal_plan))
                .register_transaction(transaction!(shopping_plan))
                .register_transaction(transaction!(log_progress).set_weight(2)?),
        )
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoWebSocket, true)?
        .set_default(GooseDefault::NoAutoStart, false)?
        .execute()
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(s) = sampler {
        s.abort();
    }

    let duration = metrics.duration.max(1) as f64;
    let mut endpoints = serde_json::Map::new();
    let (mut total_requests, mut total_errors) = (0usize, 0usize);
    let mut names: Vec<&String> = metrics.requests.keys().collect();
    names.sort();
    for key in names {
        let agg = &metrics.requests[key];
        let buckets: Vec<(u64, usize)> = agg
            .raw_data
            .times_us
            .iter()
            .map(|(b, c)| (*b, *c))
            .collect();
        let count = agg.raw_data.counter;
        total_requests += count;
        total_errors += agg.fail_count;
        endpoints.insert(
            agg.path.clone(),
            json!({
                "requests": count,
                "requests_per_sec": (count as f64 / duration * 100.0).round() / 100.0,
                "p50_ms": percentile_ms(&buckets, count, 50.0),
                "p95_ms": percentile_ms(&buckets, count, 95.0),
                "p99_ms": percentile_ms(&buckets, count, 99.0),
                "max_ms": (agg.raw_data.maximum_time_us as f64 / 10.0).round() / 100.0,
                "errors": agg.fail_count,
                "status_codes": agg.status_code_counts,
            }),
        );
    }
    let usage = usage.lock().unwrap();
    let process = pid.map(|pid| {
        let cpu = cpu_secs(pid) - cpu_before.unwrap_or(0.0);
        // Backends started during the run count from zero.
        let db_cpu: f64 = descendants(pid)
            .iter()
            .map(|p| cpu_secs(*p) - db_cpu_before.get(p).copied().unwrap_or(0.0))
            .sum();
        json!({
            "peak_rss_mib": (usage.peak_rss_kib as f64 / 1024.0 * 10.0).round() / 10.0,
            "cpu_secs": (cpu * 100.0).round() / 100.0,
            "cpu_pct_of_one_core": (cpu / elapsed * 1000.0).round() / 10.0,
            "database_processes_peak_pss_mib":
                (usage.peak_database_pss_kib as f64 / 1024.0 * 10.0).round() / 10.0,
            "database_processes_cpu_secs": (db_cpu * 100.0).round() / 100.0,
        })
    });
    let result = json!({
        "benchmark": "load",
        "command": std::env::var("SN_LOAD_COMMAND").unwrap_or_default(),
        "users": metrics.maximum_users,
        "duration_secs": metrics.duration,
        "requests": total_requests,
        "requests_per_sec": (total_requests as f64 / duration * 100.0).round() / 100.0,
        "errors": total_errors,
        "error_rate_pct": if total_requests == 0 { 0.0 } else {
            (total_errors as f64 / total_requests as f64 * 10000.0).round() / 100.0
        },
        "endpoints": endpoints,
        "appliance": process,
        "machine": std::env::var("SN_LOAD_MACHINE").unwrap_or_default(),
    });
    std::fs::write(&out, serde_json::to_string_pretty(&result).unwrap() + "\n")
        .expect("write the result");
    println!("{}", serde_json::to_string_pretty(&result).unwrap());
    Ok(())
}
