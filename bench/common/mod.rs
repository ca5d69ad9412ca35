//! What the load benchmarks share: a throw-away database and node, latency summaries, process stats.

#![allow(dead_code)]

use secrecy::SecretString;
use serde_json::json;
use sports_nutrition::{config::Config, startup::Application};
use sqlx::{Connection, PgConnection};

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn summary(mut ms: Vec<f64>) -> serde_json::Value {
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
pub fn proc_status(field: &str) -> u64 {
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

/// A new database on the server at TEST_DATABASE_URL: a connection to the server (to drop it
/// later), its name and its URL.
pub async fn fresh_database() -> anyhow::Result<(PgConnection, String, String)> {
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("sn_bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
        .execute(&mut admin)
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin_url);
    let url = format!("{base}/{name}");
    Ok((admin, name, url))
}

/// A node on a fresh database of the server at TEST_DATABASE_URL; drop it with [`Node::stop`].
pub struct Node {
    pub url: String,
    pub pool: sqlx::PgPool,
    admin: PgConnection,
    name: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Node {
    pub async fn start(customise: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let (admin, name, url) = fresh_database().await?;
        let mut config = Config::default();
        config.database.url = Some(SecretString::from(url));
        config.database.seed_on_start = false;
        config.server.port = 0;
        config.auth.jwt_secret = Some(SecretString::from(format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )));
        customise(&mut config);
        let app = Application::build(config).await?;
        let url = app.base_url();
        let pool = app.pool().clone();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stop_rx.await;
        }));
        Ok(Self {
            url,
            pool,
            admin,
            name,
            stop,
            server,
        })
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        sqlx::query(&format!(
            r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
            self.name
        ))
        .execute(&mut self.admin)
        .await?;
        Ok(())
    }
}

/// Writes a result as pretty JSON to bench/results/`file` and prints it.
pub fn write_result(file: &str, result: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(result)?;
    println!("{text}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bench/results")
        .join(file);
    std::fs::write(out, text + "\n")?;
    Ok(())
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `clients` concurrent clients, each sending GETs to `urls` in turn (starting at its own offset)
/// for `duration`, every answer a 200: each request's latency in ms, and the requests per second.
pub async fn hammer(
    client: &reqwest::Client,
    urls: &[String],
    clients: usize,
    duration: std::time::Duration,
) -> anyhow::Result<(Vec<f64>, f64)> {
    let started = std::time::Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, urls) = (client.clone(), urls.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = c;
            while std::time::Instant::now() < deadline {
                let t = std::time::Instant::now();
                let url = &urls[i % urls.len()];
                let r = client.get(url).send().await?;
                anyhow::ensure!(r.status() == 200, "GET {url} under load: {}", r.status());
                let _ = r.bytes().await;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                i += 1;
            }
            Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    Ok((all, rate))
}

/// A GTIN-13 in the restricted-circulation range `prefix` (three digits, 200–299) with its check
/// digit: a distinct, valid code per `n`.
pub fn gtin13(prefix: &str, n: usize) -> String {
    let body = format!("{prefix}{n:09}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Uploads a CSV price list to `store` as an admin: the import's run (as the API answers it) and
/// how long the upload took, in ms.
pub async fn import_price_feed(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    store: uuid::Uuid,
    csv: String,
) -> anyhow::Result<(serde_json::Value, f64)> {
    let t = std::time::Instant::now();
    let response = client
        .post(format!("{url}/api/v1/admin/stores/{store}/price-feed"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == 200,
        "import into {store}: {} {}",
        response.status(),
        response.text().await?
    );
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok((response.json().await?, ms))
}
