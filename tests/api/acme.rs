//! Certificates from a real ACME CA: Debian's Pebble, started per test on loopback with a mock DNS
//! (pebble-challtestsrv) that points every name at 127.0.0.1, and real validation (no always-valid
//! switch; no authorization reuse, so every order is validated). Its own HTTPS is signed by a test
//! CA the appliance trusts through `tls.acme.ca_root`; the certificates it issues are checked
//! against its issuing root only.

use std::{
    net::SocketAddr,
    os::unix::fs::PermissionsExt,
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use sports_nutrition::config::{AcmeChallenge, Config, TlsMode};

use crate::{
    alerts::admin,
    helpers::{TestApp, free_port, random_secret},
    tls::{Ca, SlowSignIn},
};

const DOMAIN: &str = "club.sports.test";

/// How Pebble is set up for a test.
struct Settings {
    /// Where Pebble's ACME API listens.
    listen_port: u16,
    /// Where its validation connects for http-01 and tls-alpn-01: the node's ports.
    http_port: u16,
    tls_port: u16,
    /// Lifetime of the certificates it issues (Pebble's default: five years).
    validity_secs: Option<u64>,
    /// External Account Binding required, with this key id and base64url HMAC key.
    eab: Option<(String, String)>,
}

impl Settings {
    /// Validating against `ports`, with Pebble's own certificate lifetime and no EAB.
    fn for_node(ports: &Ports) -> Self {
        Self {
            listen_port: free_port(),
            http_port: ports.http,
            tls_port: ports.https,
            validity_secs: None,
            eab: None,
        }
    }
}

/// A running Pebble and its mock DNS, stopped when dropped.
struct Pebble {
    dir: tempfile::TempDir,
    _processes: Vec<tokio::process::Child>,
    directory_url: String,
    management_url: String,
    ca: Ca,
}

impl Pebble {
    async fn start(settings: Settings) -> Self {
        Self::start_with_ca(settings, Ca::new()).await
    }

    /// With its own HTTPS signed by `ca`.
    async fn start_with_ca(settings: Settings, ca: Ca) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = ca.valid_leaf(2);
        std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
        std::fs::write(dir.path().join("key.pem"), key).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let management_port = free_port();
        let dns_port = free_port();
        let mut pebble = json!({
            "listenAddress": format!("127.0.0.1:{}", settings.listen_port),
            "managementListenAddress": format!("127.0.0.1:{management_port}"),
            "certificate": dir.path().join("cert.pem"),
            "privateKey": dir.path().join("key.pem"),
            "httpPort": settings.http_port,
            "tlsPort": settings.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": settings.eab.is_some(),
        });
        if let Some(validity) = settings.validity_secs {
            pebble["certificateValidityPeriod"] = json!(validity);
        }
        if let Some((id, key)) = &settings.eab {
            pebble["externalAccountMACKeys"] = json!({ id: key });
        }
        let config = dir.path().join("pebble.json");
        std::fs::write(&config, json!({ "pebble": pebble }).to_string()).unwrap();

        let log = |name: &str| std::fs::File::create(dir.path().join(name)).unwrap();
        let dns = tokio::process::Command::new("pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{}", free_port())])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(log("dns.log"))
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("pebble-challtestsrv (Debian package pebble) is installed");
        let ca_server = tokio::process::Command::new("pebble")
            .arg("-config")
            .arg(&config)
            .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(log("pebble.log"))
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("pebble (Debian package pebble) is installed");
        let this = Self {
            directory_url: format!("https://127.0.0.1:{}/dir", settings.listen_port),
            management_url: format!("https://127.0.0.1:{management_port}"),
            dir,
            _processes: vec![dns, ca_server],
            ca,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match this.client().get(&this.directory_url).send().await {
                Ok(r) if r.status() == 200 => break,
                _ if Instant::now() > deadline => panic!("Pebble did not start: {}", this.log()),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        this
    }

    /// The root of Pebble's own HTTPS (the test CA), for `tls.acme.ca_root`.
    fn api_root(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }

    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca.pem().as_bytes()).unwrap())
            .tls_built_in_root_certs(false)
            .build()
            .unwrap()
    }

    /// The root that signs the certificates Pebble issues (random per run).
    async fn issuing_root(&self) -> String {
        self.client()
            .get(format!("{}/roots/0", self.management_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// A node's ports, chosen before Pebble starts so that its validation can connect to them.
struct Ports {
    https: u16,
    http: u16,
}

impl Ports {
    fn new() -> Self {
        Self {
            https: free_port(),
            http: free_port(),
        }
    }
}

/// `tls.mode = "acme"` against `directory_url`, fast retries, a shared storage key.
fn acme(
    directory_url: String,
    api_root: PathBuf,
    ports: &Ports,
    challenge: AcmeChallenge,
    storage_key: &str,
) -> impl FnOnce(&mut Config) {
    let storage_key = storage_key.to_owned();
    let (https, http) = (ports.https, ports.http);
    move |c: &mut Config| {
        c.server.port = https;
        c.tls.mode = TlsMode::Acme;
        c.tls.http_port = Some(http);
        c.tls.acme.domains = vec![DOMAIN.into()];
        c.tls.acme.contact = vec!["ops@sports.test".into()];
        c.tls.acme.directory_url = directory_url;
        c.tls.acme.ca_root = Some(api_root);
        c.tls.acme.challenge = challenge;
        c.tls.acme.storage_key = Some(SecretString::from(storage_key));
        c.tls.acme.check_interval_secs = 1;
        c.tls.acme.retry_initial_secs = 1;
        c.tls.acme.retry_max_secs = 2;
        c.tls.acme.order_timeout_secs = 30;
    }
}

/// A client that trusts only `root`, resolves the domain to the node, and opens a new connection
/// for every request.
fn trusting(root: &str, https: u16) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(root.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .resolve(DOMAIN, SocketAddr::from(([127, 0, 0, 1], https)))
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The serial (hex) of the certificate a new connection to the node is served: a new client each
/// time, so that no TLS session is resumed.
async fn served_serial(root: &str, https: u16) -> Option<String> {
    let response = trusting(root, https)
        .get(format!("https://{DOMAIN}:{https}/health"))
        .send()
        .await
        .ok()?;
    let der = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()?
        .peer_certificate()?
        .to_vec();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    Some(cert.raw_serial_as_string().replace(':', ""))
}

/// Waits until the node serves a certificate other than `not`; returns its serial.
async fn wait_for_certificate(
    root: &str,
    https: u16,
    not: Option<&str>,
    pebble: &Pebble,
    pool: &sqlx::PgPool,
) -> String {
    let within = Duration::from_secs(30);
    let deadline = Instant::now() + within;
    loop {
        if let Some(serial) = served_serial(root, https).await {
            if Some(serial.as_str()) != not {
                return serial;
            }
        }
        if Instant::now() > deadline {
            let attempts: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT outcome, error FROM acme_attempts ORDER BY id DESC LIMIT 3")
                    .fetch_all(pool)
                    .await
                    .unwrap_or_default();
            panic!(
                "no new certificate within {within:?}; the newest attempts: {attempts:#?}\nPebble said:\n{}",
                pebble.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Pebble validating against a node of its own, the node, and a client trusting Pebble's root.
struct Scene {
    pebble: Pebble,
    app: TestApp,
    ports: Ports,
    root: String,
    client: reqwest::Client,
}

impl Scene {
    async fn start(
        pebble_settings: impl FnOnce(&mut Settings),
        challenge: AcmeChallenge,
        customise: impl FnOnce(&mut Config),
    ) -> Self {
        let ports = Ports::new();
        let mut settings = Settings::for_node(&ports);
        pebble_settings(&mut settings);
        let pebble = Pebble::start(settings).await;
        let app = TestApp::spawn_with(|c| {
            acme(
                pebble.directory_url.clone(),
                pebble.api_root(),
                &ports,
                challenge,
                &random_secret(),
            )(c);
            customise(c);
        })
        .await;
        let root = pebble.issuing_root().await;
        let client = trusting(&root, ports.https);
        Self {
            pebble,
            app,
            ports,
            root,
            client,
        }
    }
}

async fn tls_status(app: &TestApp, token: &str) -> Value {
    let response = app
        .authed(Method::GET, "/api/v1/admin/tls", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_certificate_is_obtained_with_tls_alpn_01_served_and_shown_to_admins() {
    let Scene {
        pebble,
        app,
        ports,
        root,
        client,
    } = Scene::start(|_| {}, AcmeChallenge::TlsAlpn01, |_| {}).await;
    let serial = wait_for_certificate(&root, ports.https, None, &pebble, &app.pool).await;

    // The runbook's checks over HTTPS, the chain checked against Pebble's root only.
    let base = format!("https://{DOMAIN}:{}", ports.https);
    let response = client.head(format!("{base}/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("strict-transport-security"));
    let plain = app.plain_addr.unwrap();
    let response = client
        .get(format!("http://{plain}/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "ready once the certificate is in hand"
    );

    // Admins see the certificate, its renewal time and the attempt.
    let token = admin(&app).await;
    let status = tls_status(&app, &token).await;
    assert_eq!(status["mode"], "acme");
    assert_eq!(status["certificate"]["serial"], json!(serial));
    assert!(
        status["certificate"]["days_left"].as_f64().unwrap() > 300.0,
        "{status}"
    );
    let acme = &status["acme"];
    assert_eq!(acme["domains"], json!([DOMAIN]));
    assert_eq!(acme["challenge"], "tls-alpn-01");
    assert_eq!(acme["failures_in_a_row"], 0);
    assert!(acme["renew_at"].is_string());
    let attempt = &acme["attempts"][0];
    assert_eq!(
        (
            &attempt["outcome"],
            &attempt["reason"],
            &attempt["challenge"]
        ),
        (&json!("issued"), &json!("first"), &json!("tls-alpn-01")),
        "{status}"
    );
    // Athletes do not see it.
    let athlete = app
        .register("athlete@example.rs", crate::helpers::PASSWORD)
        .await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/admin/tls",
            athlete["token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // The key is sealed in PostgreSQL; the copies in the data directory are 0600.
    let (sealed, chain): (Vec<u8>, String) =
        sqlx::query_as("SELECT key_sealed, chain_pem FROM tls_certificates")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        !sealed.windows(7).any(|w| w == b"PRIVATE"),
        "the key is not stored in the clear"
    );
    assert!(chain.contains("BEGIN CERTIFICATE"));
    let (account,): (Vec<u8>,) = sqlx::query_as("SELECT credentials_sealed FROM acme_accounts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !account.windows(4).any(|w| w == b"key_"),
        "the account is sealed"
    );
    let data = app.db.as_ref().unwrap().data_dir().join("acme");
    for file in [
        data.join("account.json"),
        data.join(DOMAIN).join("fullchain.pem"),
        data.join(DOMAIN).join("privkey.pem"),
    ] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    // No challenge is left behind.
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM acme_challenges")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // An admin can renew on demand; a new certificate replaces the old one.
    let response = app
        .authed(Method::POST, "/api/v1/admin/tls/renew", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let renewed = wait_for_certificate(&root, ports.https, Some(&serial), &pebble, &app.pool).await;
    let status = tls_status(&app, &token).await;
    assert_eq!(status["certificate"]["serial"], json!(renewed));
    assert_eq!(status["acme"]["attempts"][0]["reason"], "forced");
}

#[tokio::test]
async fn http_01_with_external_account_binding_obtains_a_certificate() {
    use base64::Engine as _;
    let hmac = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_secret());
    let eab = ("kid-club".to_string(), hmac.clone());
    let Scene {
        pebble,
        app,
        ports,
        root,
        client,
    } = Scene::start(
        |s| s.eab = Some(eab),
        AcmeChallenge::Http01,
        |c| {
            c.tls.acme.eab_key_id = Some("kid-club".into());
            c.tls.acme.eab_hmac_key = Some(SecretString::from(hmac));
        },
    )
    .await;
    wait_for_certificate(&root, ports.https, None, &pebble, &app.pool).await;
    let token = admin(&app).await;
    let status = tls_status(&app, &token).await;
    assert_eq!(status["acme"]["attempts"][0]["challenge"], "http-01");
    assert_eq!(status["acme"]["attempts"][0]["outcome"], "issued");
    // Unknown tokens are not found; the rest of the plain port still redirects.
    let plain = app.plain_addr.unwrap();
    let response = client
        .get(format!(
            "http://{plain}/.well-known/acme-challenge/no-such-token"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_short_lived_certificate_is_renewed_and_swapped_while_a_request_is_in_flight() {
    // 15 s certificates: renewal is due after 10 s.
    let Scene {
        pebble,
        app,
        ports,
        root,
        client,
    } = Scene::start(
        |s| s.validity_secs = Some(15),
        AcmeChallenge::TlsAlpn01,
        |_| {},
    )
    .await;
    let first = wait_for_certificate(&root, ports.https, None, &pebble, &app.pool).await;

    // A sign-in whose body arrives slowly holds its connection (and certificate) across the swap.
    let slow = SlowSignIn::start(
        &client,
        format!("https://{DOMAIN}:{}/api/v1/auth/login", ports.https),
    )
    .await;

    let second = wait_for_certificate(&root, ports.https, Some(&first), &pebble, &app.pool).await;
    assert_ne!(first, second);
    slow.finish().await;
    let reasons: Vec<(String, String)> =
        sqlx::query_as("SELECT reason, outcome FROM acme_attempts ORDER BY id LIMIT 2")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        reasons,
        [
            ("first".into(), "issued".into()),
            ("renewal".into(), "issued".into())
        ]
    );
}

#[tokio::test]
async fn with_the_ca_down_at_start_health_is_served_and_attempts_back_off_until_it_is_up() {
    let ports = Ports::new();
    let ca_port = free_port();
    // The directory URL and root are known before the CA runs: Pebble comes up later on this port.
    let api_ca = Ca::new();
    let api_dir = tempfile::tempdir().unwrap();
    let api_root = api_dir.path().join("ca.pem");
    std::fs::write(&api_root, api_ca.pem()).unwrap();
    let app = TestApp::spawn_with(acme(
        format!("https://127.0.0.1:{ca_port}/dir"),
        api_root.clone(),
        &ports,
        AcmeChallenge::TlsAlpn01,
        &random_secret(),
    ))
    .await;
    let plain = app.plain_addr.unwrap();
    let http = reqwest::Client::new();
    let response = http
        .head(format!("http://{plain}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "liveness without a certificate");
    let response = http
        .get(format!("http://{plain}/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["reason"].as_str().unwrap().contains("certificate"),
        "{body}"
    );

    // Failed attempts are recorded, each with a later retry time.
    let deadline = Instant::now() + Duration::from_secs(20);
    let failed = loop {
        let failed: Vec<(String, time::OffsetDateTime, time::OffsetDateTime)> = sqlx::query_as(
            "SELECT error, finished_at, retry_at FROM acme_attempts WHERE outcome = 'failed' ORDER BY id",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();
        if failed.len() >= 2 {
            break failed;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than two failed attempts: {failed:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (error, finished_at, retry_at) in &failed {
        assert!(
            error.contains("registering an account with the CA"),
            "{error}"
        );
        assert!(retry_at > finished_at);
    }
    assert!(
        failed[1].1 >= failed[0].2,
        "the second attempt waited for the first's retry time"
    );

    // The CA comes up (its HTTPS signed by the root configured above): the next try succeeds.
    let settings = Settings {
        listen_port: ca_port,
        ..Settings::for_node(&ports)
    };
    let pebble = Pebble::start_with_ca(settings, api_ca).await;
    let root = pebble.issuing_root().await;
    wait_for_certificate(&root, ports.https, None, &pebble, &app.pool).await;
    let response = http
        .get(format!("http://{plain}/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn two_nodes_share_one_order_and_one_certificate() {
    let a = Ports::new();
    let b = Ports::new();
    // The CA validates against node A; whichever node orders, A answers from the shared store.
    let pebble = Pebble::start(Settings::for_node(&a)).await;
    let key = random_secret();
    let node_a = TestApp::spawn_with(acme(
        pebble.directory_url.clone(),
        pebble.api_root(),
        &a,
        AcmeChallenge::TlsAlpn01,
        &key,
    ))
    .await;
    let _node_b = node_a
        .another_node(|c| {
            c.server.port = b.https;
            c.tls.http_port = Some(b.http);
        })
        .await;
    let root = pebble.issuing_root().await;
    let serial_a = wait_for_certificate(&root, a.https, None, &pebble, &node_a.pool).await;
    let serial_b = wait_for_certificate(&root, b.https, None, &pebble, &node_a.pool).await;
    assert_eq!(serial_a, serial_b, "both nodes serve the one certificate");
    let outcomes: Vec<(String,)> = sqlx::query_as("SELECT outcome FROM acme_attempts")
        .fetch_all(&node_a.pool)
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![("issued".to_string(),)],
        "one order for the cluster"
    );
}
