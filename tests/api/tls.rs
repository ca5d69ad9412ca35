//! HTTPS from PEM files: served with TLS 1.2/1.3 and ALPN h2, HSTS, the plain listener's probes and
//! redirect, a renewed certificate swapped in while a request is in flight, unusable files refused
//! at start with the setting named, and the expiry check.

use std::{path::Path, sync::Arc, time::Duration};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use serde_json::{Value, json};
use sports_nutrition::{
    config::{Config, TlsMode},
    startup::Application,
};
use time::OffsetDateTime;

use crate::helpers::{TestApp, TestDatabase, test_config};

/// A test certificate authority and the leaf certificates it signs.
pub struct Ca {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Sports Nutrition test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A leaf for localhost and 127.0.0.1, valid between the two times: (chain PEM, key PEM).
    pub fn leaf(&self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> (String, String) {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (format!("{}{}", cert.pem(), self.pem()), key.serialize_pem())
    }

    pub fn valid_leaf(&self, days: i64) -> (String, String) {
        let now = OffsetDateTime::now_utc();
        self.leaf(
            now - time::Duration::hours(1),
            now + time::Duration::days(days),
        )
    }

    /// A client that trusts only this CA, and opens a new connection for every request.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem().as_bytes()).unwrap())
            .tls_built_in_root_certs(false)
            .tls_info(true)
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// A raw TLS client over TCP offering `alpn` and only `versions`.
    async fn handshake(
        &self,
        addr: std::net::SocketAddr,
        alpn: &[&[u8]],
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(self.pem().as_bytes()).unwrap())
            .unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
    }
}

fn write_pair(dir: &Path, (cert, key): &(String, String)) {
    // Written beside, then renamed: the watcher never reads half a file.
    std::fs::write(dir.join("cert.pem.new"), cert).unwrap();
    std::fs::write(dir.join("key.pem.new"), key).unwrap();
    std::fs::rename(dir.join("key.pem.new"), dir.join("key.pem")).unwrap();
    std::fs::rename(dir.join("cert.pem.new"), dir.join("cert.pem")).unwrap();
}

fn with_tls(dir: &Path) -> impl FnOnce(&mut Config) + '_ {
    move |c: &mut Config| {
        c.tls.mode = TlsMode::Files;
        c.tls.cert_path = Some(dir.join("cert.pem"));
        c.tls.key_path = Some(dir.join("key.pem"));
        c.tls.reload_interval_secs = 1;
        c.tls.http_port = Some(0);
    }
}

/// The DER of the certificate a new connection is served (a new client: no TLS session to resume).
pub async fn served_certificate(ca: &Ca, url: &str) -> Vec<u8> {
    let response = ca.client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("the TLS peer certificate")
        .to_vec()
}

fn leaf_der(chain_pem: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn https_is_served_from_the_files_with_h2_hsts_and_a_redirecting_plain_port() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    write_pair(dir.path(), &ca.valid_leaf(90));
    let app = TestApp::spawn_with(with_tls(dir.path())).await;
    assert!(app.address.starts_with("https://"), "{}", app.address);
    let client = ca.client();

    // The runbook's checks over HTTPS, with the chain checked against the test CA only.
    let response = client.head(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let health: Value = response.json().await.unwrap();
    assert_eq!(
        (&health["status"], &health["database"]),
        (&json!("healthy"), &json!("connected"))
    );
    // A client that does not trust the CA is refused.
    let stranger = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    assert!(stranger.get(app.url("/health")).send().await.is_err());

    // ALPN: h2 first, http/1.1 for clients without it; TLS 1.2 still accepted, 1.3 preferred.
    let addr: std::net::SocketAddr = app.address.trim_start_matches("https://").parse().unwrap();
    let all = rustls::ALL_VERSIONS;
    let tls = ca
        .handshake(addr, &[b"h2", b"http/1.1"], all)
        .await
        .unwrap();
    let (_, session) = tls.get_ref();
    assert_eq!(session.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(
        session.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let tls = ca.handshake(addr, &[b"http/1.1"], all).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let tls = ca
        .handshake(addr, &[b"http/1.1"], &[&rustls::version::TLS12])
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );

    // Plain HTTP: probes answer, everything else is sent to HTTPS with its path and query.
    let plain = app.plain_addr.expect("the plain listener");
    let response = client
        .get(format!("http://{plain}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client
        .get(format!("http://{plain}/api/v1/products?q=whey"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers()["location"],
        format!("https://127.0.0.1:{}/api/v1/products?q=whey", addr.port())
    );
    assert!(!response.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_renewed_certificate_is_swapped_in_while_a_request_is_in_flight() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let first = ca.valid_leaf(90);
    write_pair(dir.path(), &first);
    let app = TestApp::spawn_with(with_tls(dir.path())).await;
    let client = ca.client();
    assert_eq!(
        served_certificate(&ca, &app.url("/health")).await,
        leaf_der(&first.0)
    );

    // A sign-in whose body arrives slowly: the connection stays open across the swap.
    let slow = SlowSignIn::start(&client, app.url("/api/v1/auth/login")).await;

    let renewed = ca.valid_leaf(90);
    write_pair(dir.path(), &renewed);
    let mut swapped = false;
    for _ in 0..50 {
        if served_certificate(&ca, &app.url("/health")).await == leaf_der(&renewed.0) {
            swapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(swapped, "the renewed certificate was not served within 5 s");

    // The request that started before the swap finishes on its connection.
    slow.finish().await;

    // Broken files are not loaded: the renewed certificate keeps serving.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        served_certificate(&ca, &app.url("/health")).await,
        leaf_der(&renewed.0)
    );
}

/// A sign-in whose body arrives in two pieces: its connection (and certificate) stays open until
/// [`SlowSignIn::finish`] sends the rest.
pub struct SlowSignIn {
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    response: tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
}

impl SlowSignIn {
    pub async fn start(client: &reqwest::Client, url: String) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let response = tokio::spawn(
            client
                .post(url)
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(body))
                .send(),
        );
        tx.send(Ok(br#"{"email": "slow@example.rs", "#.to_vec()))
            .await
            .unwrap();
        Self { tx, response }
    }

    /// Sends the rest: the request completes on its connection (401: no such user).
    pub async fn finish(self) {
        self.tx
            .send(Ok(br#""password": "not the password"}"#.to_vec()))
            .await
            .unwrap();
        drop(self.tx);
        let response = self
            .response
            .await
            .unwrap()
            .expect("the in-flight request completes");
        assert_eq!(response.status(), 401);
    }
}

#[tokio::test]
async fn unusable_certificate_files_stop_the_start_naming_the_setting() {
    let ca = Ca::new();
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let start = |config: Config| async move {
        match Application::build(config).await {
            Ok(_) => panic!("started with an unusable certificate"),
            Err(e) => format!("{e:#}"),
        }
    };
    let mut config = test_config(&db);
    with_tls(dir.path())(&mut config);

    let now = OffsetDateTime::now_utc();
    write_pair(
        dir.path(),
        &ca.leaf(
            now - time::Duration::days(100),
            now - time::Duration::days(10),
        ),
    );
    let error = start(config.clone()).await;
    assert!(
        error.contains("tls.cert_path") && error.contains("expired"),
        "{error}"
    );

    let (cert, _) = ca.valid_leaf(90);
    let (_, other_key) = ca.valid_leaf(90);
    write_pair(dir.path(), &(cert, other_key));
    let error = start(config.clone()).await;
    assert!(
        error.contains("tls.key_path") && error.contains("does not match"),
        "{error}"
    );

    std::fs::remove_file(dir.path().join("key.pem")).unwrap();
    let error = start(config.clone()).await;
    assert!(
        error.contains("tls.key_path") && error.contains("cannot read"),
        "{error}"
    );

    std::fs::write(dir.path().join("cert.pem"), "-----BEGIN NOTHING-----\n").unwrap();
    std::fs::write(dir.path().join("key.pem"), "").unwrap();
    let error = start(config).await;
    assert!(
        error.contains("tls.cert_path") && error.contains("no CERTIFICATE"),
        "{error}"
    );
}

#[tokio::test]
async fn a_certificate_close_to_expiry_raises_an_alert() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    write_pair(dir.path(), &ca.valid_leaf(10));
    let app = TestApp::spawn_with(|c| {
        crate::alerts::calm(c);
        with_tls(dir.path())(c);
        c.alerts.for_secs = 0;
    })
    .await;
    let token = crate::alerts::admin(&app).await;
    let alert = crate::alerts::fired(
        &app,
        &token,
        "tls_cert",
        &sports_nutrition::ops::leader::node_name(),
    )
    .await;
    let days = alert["value"].as_f64().unwrap();
    assert!((9.9..=10.0).contains(&days), "{alert}");
    assert_eq!(alert["threshold"], 14.0);
    assert!(
        alert["message"].as_str().unwrap().contains("CN=localhost"),
        "{alert}"
    );
    let response = app.get_authed("/api/v1/admin/self-check", &token).await;
    assert_eq!(response.status(), 200);
}
