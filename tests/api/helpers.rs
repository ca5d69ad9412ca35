//! Starts the real application (the same `Application::build` as `main`) on port 0 against the real
//! PostgreSQL, with a database of its own per test, dropped when the test ends.

use std::time::Duration;

use secrecy::SecretString;
use sports_nutrition::{config::Config, startup::Application};
use sqlx::{Connection, PgConnection, PgPool};

/// Server for test databases; `TEST_DATABASE_URL` overrides it (a superuser, or a role with CREATEDB).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A uniquely named, empty database that is dropped when this value is.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// A directory of this test's own for `storage.data_dir` (backups land there), removed with
    /// the database.
    pub fn data_dir(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("sn-data-{}", self.name))
    }

    pub async fn create() -> Self {
        let name = format!("sn_test_{}", uuid::Uuid::new_v4().simple());
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.data_dir());
        let name = self.name.clone();
        // Drop runs outside any runtime we could borrow; a short-lived one does the cleanup.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
                    let _ =
                        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

/// A loopback port for a process the test starts (Pebble, s3s-fs, Redis, the binary). Chosen at
/// random below the kernel's ephemeral range (32768 and up, where every `bind(:0)` of the parallel
/// tests lands), never twice in this process, and free for TCP and UDP when chosen.
pub fn free_port() -> u16 {
    use std::sync::Mutex;
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    loop {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        let mut given = GIVEN.lock().unwrap();
        if given.contains(&port) {
            continue;
        }
        let free = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok();
        if free {
            given.push(port);
            return port;
        }
    }
}

/// The real binary's `serve` in a clean environment (no configuration file, no inherited `SN_*`):
/// on `db_url`, `port` and `data_dir`, without seeding, with the test argon2 cost and quiet logs.
/// Tests that need the process itself (signals, its environment, several of them) add their settings.
pub fn serve_binary(
    db_url: &str,
    port: u16,
    data_dir: &std::path::Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sports-nutrition"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", db_url)
        .env("SN_DATABASE__SEED_ON_START", "false")
        .env("SN_SERVER__PORT", port.to_string())
        .env("SN_STORAGE__DATA_DIR", data_dir)
        .env("SN_AUTH__ARGON2__MEMORY_KIB", "1024")
        .env("SN_AUTH__ARGON2__ITERATIONS", "1")
        .env("SN_LOG__LEVEL", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    command
}

/// Waits up to a minute for the node at `base` to answer `/ready` with 200; fails the test if it
/// exits (showing what `log` returns) or does not get ready.
pub async fn wait_ready(
    client: &reqwest::Client,
    base: &str,
    child: &mut tokio::process::Child,
    log: impl Fn() -> String,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("{base}/ready"))
        .send()
        .await
        .map_or(true, |r| r.status() != 200)
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the node exited ({status}):\n{}", log());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the node did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A password that passes the rules, used by tests that do not care which.
pub const PASSWORD: &str = "sarma i podvarak 1987";

/// A running application and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`, or `https://…` with TLS.
    pub address: String,
    /// The plain-HTTP listener beside HTTPS (`tls.http_port`).
    pub plain_addr: Option<std::net::SocketAddr>,
    pub client: reqwest::Client,
    pub pool: PgPool,
    /// The database this app created (the first node of a test owns it).
    pub db: Option<TestDatabase>,
    config: Config,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A signing key made up for one test run (never a fixed value in the repository).
pub fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The configuration every test starts from: external database, free port, no seeding, a fresh
/// signing key, and a cheap argon2 cost (the production cost is measured in bench/).
pub fn test_config(db: &TestDatabase) -> Config {
    config_for(&db.url, &db.data_dir())
}

/// [`test_config`] on a database and data directory of the caller's choosing.
pub fn config_for(url: &str, data_dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database.url = Some(SecretString::from(url.to_owned()));
    config.auth.jwt_secret = Some(SecretString::from(random_secret()));
    config.auth.argon2.memory_kib = 1024;
    config.auth.argon2.iterations = 1;
    config.database.seed_on_start = false;
    config.database.max_connections = 5;
    config.server.port = 0;
    config.server.shutdown_timeout_secs = 5;
    // Self-checks run when a test asks for one.
    config.self_check.enabled = false;
    config.storage.data_dir = data_dir.to_path_buf();
    config
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app with the test configuration adjusted by `customise`.
    pub async fn spawn_with(customise: impl FnOnce(&mut Config)) -> Self {
        let db = TestDatabase::create().await;
        let mut config = test_config(&db);
        customise(&mut config);
        Self::start(config, Some(db)).await
    }

    /// A node on its own database with the seed data loaded.
    pub async fn seeded() -> Self {
        let app = Self::spawn().await;
        sports_nutrition::db::seed::run(&app.pool, false)
            .await
            .expect("seed data loads");
        app
    }

    /// A second node on this app's database (and signing key), configured by `customise`: what a
    /// load balancer would send requests to.
    pub async fn another_node(&self, customise: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.config.clone();
        config.server.port = 0;
        customise(&mut config);
        Self::start(config, None).await
    }

    /// Starts the app with exactly this configuration (a test that installs telemetry first).
    pub async fn start_on(config: Config, db: Option<TestDatabase>) -> Self {
        Self::start(config, db).await
    }

    async fn start(config: Config, db: Option<TestDatabase>) -> Self {
        let kept = config.clone();
        let tls = config.tls.mode != sports_nutrition::config::TlsMode::Off;
        let app = Application::build(config)
            .await
            .expect("application builds");
        let address = app.base_url();
        let plain_addr = app.plain_addr();
        let pool = app.pool().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Self {
            address,
            plain_addr,
            // With TLS, the helpers' client takes any certificate: the TLS tests check the chain
            // with clients of their own that trust only the test CA.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .danger_accept_invalid_certs(tls)
                .build()
                .unwrap(),
            pool,
            db,
            config: kept,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// The token of a signed-in admin (admin@example.rs, created on first use).
    pub async fn admin(&self) -> String {
        let signed_in = self.user_with_role("admin@example.rs", "admin").await;
        signed_in["token"].as_str().unwrap().to_owned()
    }

    /// A registered athlete with this health profile: their token.
    pub async fn athlete_with_profile(&self, email: &str, profile: serde_json::Value) -> String {
        let token = self.register(email, PASSWORD).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = self
            .send(
                reqwest::Method::PUT,
                "/api/v1/health-profile",
                &token,
                &profile,
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        token
    }

    /// `GET path` anonymously: asserts 200 and returns the body.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A request with `Authorization: Bearer <token>`.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// `method path` with a JSON body and a Bearer token.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.authed(method, path, token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.authed(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("request sent")
    }

    /// Registers an athlete and returns the sign-in response (`token`, `refresh_token`, `user`).
    pub async fn register(&self, email: &str, password: &str) -> serde_json::Value {
        self.credentials("register", email, password, 201).await
    }

    /// `POST /api/v1/auth/{operation}` with these credentials, expecting `status`: the body.
    async fn credentials(
        &self,
        operation: &str,
        email: &str,
        password: &str,
        status: u16,
    ) -> serde_json::Value {
        let response = self
            .post(
                &format!("/api/v1/auth/{operation}"),
                &serde_json::json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(response.status(), status, "{operation} {email}");
        response.json().await.unwrap()
    }

    /// Registers a user and gives them `role` directly in the database (as an admin would).
    pub async fn user_with_role(&self, email: &str, role: &str) -> serde_json::Value {
        let registered = self.register(email, PASSWORD).await;
        sqlx::query("UPDATE users SET role = $2 WHERE email = $1")
            .bind(email)
            .bind(role)
            .execute(&self.pool)
            .await
            .unwrap();
        registered
    }

    /// Enters the password again for the session of `token` ([`PASSWORD`]), as destructive admin
    /// operations need.
    pub async fn reauthenticate(&self, token: &str) {
        let response = self
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/reauthenticate",
                token,
                &serde_json::json!({ "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status(), 204, "reauthenticate");
    }

    /// Signs in with [`PASSWORD`]; the access token.
    pub async fn sign_in(&self, email: &str) -> String {
        let body = self.credentials("login", email, PASSWORD, 200).await;
        body["token"].as_str().unwrap().to_owned()
    }

    /// Graceful shutdown, as on SIGTERM; returns what `run_until` returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.take().unwrap().send(());
        self.server.take().unwrap().await.unwrap()
    }
}

/// Asserts an RFC 9457 problem response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "content type"
    );
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")),
        "{body}"
    );
    assert!(body["title"].is_string(), "{body}");
    body
}

/// The fields a problem's `errors` name, in order.
pub fn problem_fields(problem: &serde_json::Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

/// A Redis server of the test's own, on a free port, that the test may stop and start again.
pub struct TestRedis {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl TestRedis {
    pub async fn start() -> Self {
        let port = free_port();
        let mut redis = Self { port, child: None };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server (again) on its port and waits until it answers.
    pub async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (.ci/test installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// Kills the server, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The real binary serving on a database of its own (migrated at start) and a data directory of its
/// own, with [`serve_binary`]'s settings, a fresh signing key, no scheduled backups or self-checks,
/// and `env` on top; its log is kept for the test to read. Killed when dropped.
pub struct Node {
    pub base: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
    pub data: tempfile::TempDir,
    pub child: tokio::process::Child,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    pub db: TestDatabase,
}

impl Node {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        use tokio::io::AsyncBufReadExt;
        let db = TestDatabase::create().await;
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut command = serve_binary(&db.url, port, data.path());
        command
            .env("SN_AUTH__JWT_SECRET", random_secret())
            .env("SN_BACKUP__ENABLED", "false")
            .env("SN_SELF_CHECK__ENABLED", "false")
            .stderr(std::process::Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the binary starts");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        wait_ready(&client, &base, &mut child, || log.lock().unwrap().clone()).await;
        let pool = PgPool::connect(&db.url).await.unwrap();
        Self {
            base,
            client,
            pool,
            data,
            child,
            log,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the node has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// CPU time the node's process has used, in seconds (user and system, every thread).
    pub fn cpu_seconds(&self) -> f64 {
        let pid = self.child.id().expect("running");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // Fields after the command name (which may hold spaces), from its closing parenthesis.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        // SAFETY: sysconf only reads a constant.
        ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
    }

    /// Registers an athlete; the sign-in response.
    pub async fn register(&self, email: &str) -> serde_json::Value {
        let response = self
            .client
            .post(self.url("/api/v1/auth/register"))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "register {email}");
        response.json().await.unwrap()
    }

    /// Registers a user, gives them `role` in the database, and signs them in again (the token
    /// carries the role): the sign-in response.
    pub async fn user_with_role(&self, email: &str, role: &str) -> serde_json::Value {
        self.register(email).await;
        sqlx::query("UPDATE users SET role = $2 WHERE email = $1")
            .bind(email)
            .bind(role)
            .execute(&self.pool)
            .await
            .unwrap();
        self.login(email, PASSWORD, None)
            .await
            .json()
            .await
            .unwrap()
    }

    /// `method path` with a JSON body (none when `body` is null), as `token` when given.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if !body.is_null() {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// Enters [`PASSWORD`] again for the session of `token`: the status.
    pub async fn reauthenticate(&self, token: &str) -> reqwest::StatusCode {
        self.send(
            reqwest::Method::POST,
            "/api/v1/auth/reauthenticate",
            Some(token),
            &serde_json::json!({ "password": PASSWORD }),
        )
        .await
        .status()
    }

    /// `POST /api/v1/auth/login`, from `from` (an `X-Forwarded-For` address) when given.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        from: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }));
        if let Some(from) = from {
            request = request.header("x-forwarded-for", from);
        }
        request.send().await.unwrap()
    }
}

/// The body of a successful answer (any 2xx).
pub async fn ok(r: reqwest::Response) -> serde_json::Value {
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Polls `check` until it is true, for at most `bound`; how long it took.
pub async fn within(bound: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() <= bound {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}
