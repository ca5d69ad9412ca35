//! HTTPS against plain HTTP on the same endpoint (`GET /health`), in one run: full TLS handshakes
//! per second (no session resumption), requests per second with a new connection for each, and
//! requests per second and latency over kept-alive connections from 50 clients.
//!
//! Run: `cargo bench --bench tls_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/tls_load.json.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{Node, hammer, now_rfc3339, proc_status, summary, write_result};
use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use serde_json::json;
use sports_nutrition::config::TlsMode;

mod common;

const CLIENTS: usize = 50;
/// Concurrent connectors in the new-connection runs (twice the cores: the client shares them).
const CONNECTORS: usize = 4;
const DURATION: Duration = Duration::from_secs(8);

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

/// Requests per second and latency from `clients` clients sharing `client` for [`DURATION`].
async fn load(
    client: &reqwest::Client,
    url: &str,
    clients: usize,
) -> anyhow::Result<serde_json::Value> {
    let (all, rps) = hammer(client, &[url.to_owned()], clients, DURATION).await?;
    Ok(json!({ "requests_per_s": (rps * 10.0).round() / 10.0, "latency": summary(all) }))
}

/// Full TLS 1.3 handshakes per second (resumption off), [`CONNECTORS`] at a time.
async fn handshakes(addr: std::net::SocketAddr, ca_pem: &str) -> anyhow::Result<serde_json::Value> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes())?)?;
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let started = Instant::now();
    let deadline = started + DURATION;
    let mut tasks = Vec::new();
    for _ in 0..CONNECTORS {
        let connector = connector.clone();
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
                let tls = connector
                    .connect(ServerName::try_from("localhost").unwrap(), tcp)
                    .await
                    .expect("handshake");
                drop(tls);
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            ms
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    Ok(json!({ "handshakes_per_s": (rate * 10.0).round() / 10.0, "latency": summary(all) }))
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
    std::fs::write(dir.path().join("cert.pem"), cert.pem())?;
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem())?;
    let quiet = |c: &mut sports_nutrition::config::Config| {
        c.rate_limit.enabled = false;
        c.feeds.enabled = false;
        c.backup.enabled = false;
        c.self_check.enabled = false;
    };
    let plain = Node::start(quiet).await?;
    let tls = Node::start(|c| {
        quiet(c);
        c.tls.mode = TlsMode::Files;
        c.tls.cert_path = Some(dir.path().join("cert.pem"));
        c.tls.key_path = Some(dir.path().join("key.pem"));
    })
    .await?;
    let https_addr: std::net::SocketAddr = tls.url.trim_start_matches("https://").parse()?;
    let https_url = format!("https://localhost:{}/health", https_addr.port());
    let trusting = |fresh_connections: bool| {
        let builder = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
            .resolve("localhost", https_addr);
        let builder = if fresh_connections {
            builder.pool_max_idle_per_host(0)
        } else {
            builder.pool_max_idle_per_host(CLIENTS + 2)
        };
        builder.build().unwrap()
    };
    let plain_client = |fresh_connections: bool| {
        let builder = reqwest::Client::builder();
        let builder = if fresh_connections {
            builder.pool_max_idle_per_host(0)
        } else {
            builder.pool_max_idle_per_host(CLIENTS + 2)
        };
        builder.build().unwrap()
    };
    let plain_url = format!("{}/health", plain.url);

    let result = json!({
        "command": "cargo bench --bench tls_load",
        "date": now_rfc3339(),
        "machine": { "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()) },
        "endpoint": "GET /health",
        "duration_s_each": DURATION.as_secs(),
        "tls": "TLS 1.3, ECDSA P-256 certificate, ring",
        "full_tls_handshakes": handshakes(https_addr, &cert.pem()).await?,
        "new_connection_per_request": {
            "note": "reqwest resumes TLS sessions, as browsers do",
            "clients": CONNECTORS,
            "http": load(&plain_client(true), &plain_url, CONNECTORS).await?,
            "https": load(&trusting(true), &https_url, CONNECTORS).await?,
        },
        "kept_alive": {
            "clients": CLIENTS,
            "http": load(&plain_client(false), &plain_url, CLIENTS).await?,
            "https": load(&trusting(false), &https_url, CLIENTS).await?,
        },
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
    });
    write_result("tls_load.json", &result)?;
    plain.stop().await?;
    tls.stop().await?;
    Ok(())
}
