//! What OpenTelemetry costs a request, in one run: the release binary serving `GET /api/v1/health`
//! (a request span, two database queries) to 50 kept-alive clients with telemetry off, with OTLP
//! export on at sampling 1.0, and at 0.1. Telemetry is process-wide, so each configuration is its
//! own `sports-nutrition serve` process on a fresh database; the OTLP receiver is a gRPC sink in
//! this process (opentelemetry-proto's collector services) that counts what arrives.
//!
//! Run: `cargo bench --bench telemetry_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/telemetry_load.json.

use std::{
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use common::{now_rfc3339, summary, write_result};
use opentelemetry_proto::tonic::collector::{
    metrics::v1::{
        ExportMetricsServiceRequest, ExportMetricsServiceResponse,
        metrics_service_server::{MetricsService, MetricsServiceServer},
    },
    trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
};
use serde_json::json;

mod common;

const CLIENTS: usize = 50;
const SECONDS: u64 = 10;

/// Counts the spans and metric exports it receives.
#[derive(Clone, Default)]
struct Sink {
    spans: Arc<AtomicU64>,
    metric_exports: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans: usize = request
            .into_inner()
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Sink {
    async fn export(
        &self,
        _request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metric_exports.fetch_add(1, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18_080)
}

/// One configuration: a fresh database, the binary with `env`, 50 clients for `SECONDS`.
async fn scenario(
    name: &str,
    env: &[(&str, String)],
    sink: &Sink,
) -> anyhow::Result<serde_json::Value> {
    let (mut admin, db, url) = common::fresh_database().await?;
    let port = free_port();
    let data = tempfile::tempdir()?;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .arg("serve")
        .env("SN_DATABASE__URL", url)
        .env("SN_DATABASE__SEED_ON_START", "false")
        .env("SN_SERVER__PORT", port.to_string())
        .env("SN_STORAGE__DATA_DIR", data.path())
        .env(
            "SN_AUTH__JWT_SECRET",
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
        )
        .env("SN_RATE_LIMIT__ENABLED", "false")
        .env("SN_SELF_CHECK__ENABLED", "false")
        .env("SN_BACKUP__ENABLED", "false")
        .env("SN_FEEDS__ENABLED", "false")
        .env("SN_LOG__FORMAT", "json")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}/api/v1/health");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("http://127.0.0.1:{port}/ready"))
        .send()
        .await
        .map(|r| !r.status().is_success())
        .unwrap_or(true)
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name}: the node did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let spans_before = sink.spans.load(Ordering::Relaxed);
    let started = Instant::now();
    let until = started + Duration::from_secs(SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let (mut ms, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < until {
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => errors += 1,
                }
            }
            (ms, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (ms, e) = t.await?;
        all.extend(ms);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = all.len() as f64 / elapsed;
    // Let the batch processor deliver what it holds (5 s schedule).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let spans = sink.spans.load(Ordering::Relaxed) - spans_before;
    let pid = child.id().unwrap_or(0) as i32;
    let rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = tokio::time::timeout(Duration::from_secs(15), child.wait()).await;
    sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{db}" WITH (FORCE)"#))
        .execute(&mut admin)
        .await?;
    Ok(json!({
        "requests_per_s": (rate * 10.0).round() / 10.0,
        "errors": errors,
        "latency": summary(all.clone()),
        "spans_received": spans,
        "spans_per_request": if all.is_empty() { 0.0 } else { ((spans as f64 / all.len() as f64) * 100.0).round() / 100.0 },
        "server_peak_rss_mib": rss_kib / 1024,
    }))
}

async fn run() -> anyhow::Result<()> {
    let sink = Sink::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let collector = listener.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(sink.clone()))
            .add_service(MetricsServiceServer::new(sink.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let otlp = |ratio: &str| {
        vec![
            ("SN_TELEMETRY__OTLP_ENABLED", "true".to_string()),
            ("SN_TELEMETRY__OTLP_ENDPOINT", format!("http://{collector}")),
            ("SN_TELEMETRY__OTLP_PROTOCOL", "grpc".to_string()),
            ("SN_TELEMETRY__SAMPLING_RATIO", ratio.to_string()),
            ("SN_TELEMETRY__METRICS_INTERVAL_SECS", "5".to_string()),
        ]
    };
    let off = scenario("off", &[], &sink).await?;
    let full = scenario("otlp_1.0", &otlp("1.0"), &sink).await?;
    let tenth = scenario("otlp_0.1", &otlp("0.1"), &sink).await?;
    write_result(
        "telemetry_load.json",
        &json!({
            "command": "cargo bench --bench telemetry_load",
            "date": now_rfc3339(),
            "endpoint": "GET /api/v1/health (two PostgreSQL queries)",
            "clients": CLIENTS,
            "duration_s_each": SECONDS,
            "server": "target/release/sports-nutrition serve, one process per configuration, JSON logs to /dev/null",
            "machine": { "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
            "telemetry_off": off,
            "otlp_sampling_1_0": full,
            "otlp_sampling_0_1": tenth,
            "metric_exports_received": sink.metric_exports.load(Ordering::Relaxed),
        }),
    )
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}
