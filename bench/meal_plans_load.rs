//! Meal-plan generation through the API over the full seeded dish set, one request at a time:
//! 100 × `POST /meal-plans/daily` (different days and loads) and 20 × `POST /meal-plans/weekly`.
//!
//! Run: `cargo bench --bench meal_plans_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/meal_plans_load.json.

use std::time::Instant;

use common::{Node, now_rfc3339, proc_status, summary, write_result};
use serde_json::{Value, json};

mod common;

const DAILY: usize = 100;
const WEEKLY: usize = 20;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let node = Node::start(|config| {
        config.database.seed_on_start = true;
        config.rate_limit.enabled = false;
        config.feeds.enabled = false;
    })
    .await?;
    let client = reqwest::Client::new();
    let r: Value = client
        .post(format!("{}/api/v1/auth/register", node.url))
        .json(&json!({ "email": "plan@bench.example.rs", "password": "kajmak i ajvar za doručak" }))
        .send()
        .await?
        .json()
        .await?;
    let token = r["token"].as_str().unwrap_or_default().to_owned();
    let profile = json!({ "birth_date": "1993-09-09", "sex": "male", "weight_kg": 78, "height_cm": 180,
        "activity_level": "active", "sport": "team_sport", "training_hours_per_week": 8, "goal": "maintain",
        "allergies": ["peanut"] });
    let put = client
        .put(format!("{}/api/v1/health-profile", node.url))
        .bearer_auth(&token)
        .json(&profile)
        .send()
        .await?;
    anyhow::ensure!(put.status() == 200, "profile: {}", put.text().await?);
    let dishes: i64 = sqlx::query_scalar("SELECT count(*) FROM dishes WHERE is_active")
        .fetch_one(&node.pool)
        .await?;

    let loads = ["rest", "light", "moderate", "hard", "very_hard"];
    let (mut daily_ms, mut within) = (Vec::new(), 0);
    let start = time::Date::from_calendar_date(2027, time::Month::January, 1)?;
    for i in 0..DAILY {
        let date = start + time::Duration::days(i as i64);
        let t = Instant::now();
        let r = client
            .post(format!("{}/api/v1/meal-plans/daily", node.url))
            .bearer_auth(&token)
            .json(&json!({ "date": date.to_string(), "training_load": loads[i % loads.len()] }))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "daily: {}", r.text().await?);
        let plan: Value = r.json().await?;
        daily_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        within += usize::from(plan["within_targets"] == true);
    }
    let (mut weekly_ms, mut week_days_within) = (Vec::new(), 0);
    for i in 0..WEEKLY {
        let date = start + time::Duration::days(200 + 7 * i as i64);
        let t = Instant::now();
        let r = client
            .post(format!("{}/api/v1/meal-plans/weekly", node.url))
            .bearer_auth(&token)
            .json(&json!({ "start_date": date.to_string() }))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "weekly: {}", r.text().await?);
        let week: Value = r.json().await?;
        weekly_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        week_days_within += week["days_within_targets"].as_u64().unwrap_or(0);
    }
    let result = json!({
        "command": "cargo bench --bench meal_plans_load",
        "date": now_rfc3339(),
        "machine": { "cpus": std::thread::available_parallelism()?.get() },
        "dishes": dishes,
        "daily": { "requests": DAILY, "latency": summary(daily_ms), "days_within_targets": within },
        "weekly": { "requests": WEEKLY, "latency": summary(weekly_ms), "days_within_targets": week_days_within, "days": WEEKLY * 7 },
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
    });
    write_result("meal_plans_load.json", &result)?;
    node.stop().await
}
