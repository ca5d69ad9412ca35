//! The admin dashboard: its files as served (hashed names, caching, gzip, CSP), and the whole of it
//! in a real browser — `tests/browser/dashboard.mjs` (playwright-core and Debian's Chromium) against
//! the real binary, screenshots under `test-artifacts/dashboard/`.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, TestDatabase, random_secret};

#[tokio::test]
async fn the_page_and_its_files_are_served_with_hashes_long_caching_gzip_and_a_strict_csp() {
    let app = TestApp::spawn().await;
    let page = app.get("/admin").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self' 'sha256-"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    // No file from elsewhere: every reference is a hashed path under /admin/assets/.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let app_js = html
        .split('"')
        .find(|s| s.starts_with("/admin/assets/app-app.") && s.ends_with(".js"))
        .expect("the app module")
        .to_owned();
    let response = app
        .client
        .get(app.url(&app_js))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // reqwest here has no gzip decoding: the body arrives compressed.
    assert_eq!(response.headers()["content-encoding"], "gzip");
    // The same name with another hash is not found.
    let stale = app_js.replace("app-app.", "app-app.0");
    assert_eq!(app.get(&stale).await.status(), 404);
}

/// The binary serving on a free port with its own database; stopped when dropped.
struct Served {
    child: std::process::Child,
    url: String,
    jwt_secret: String,
    data: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

async fn serve(db: &TestDatabase, webhook: &str) -> Served {
    let port = crate::helpers::free_port();
    let data = tempfile::tempdir().unwrap();
    let jwt_secret = random_secret();
    let child = Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", &db.url)
        .env("SN_DATABASE__SEED_ON_START", "true")
        .env("SN_SERVER__PORT", port.to_string())
        .env("SN_STORAGE__DATA_DIR", data.path())
        .env("SN_AUTH__JWT_SECRET", &jwt_secret)
        .env("SN_AUTH__ARGON2__MEMORY_KIB", "1024")
        .env("SN_AUTH__ARGON2__ITERATIONS", "1")
        .env("SN_LOG__LEVEL", "warn")
        .env("SN_ALERTS__WEBHOOK__URL", webhook)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let served = Served {
        child,
        url: format!("http://127.0.0.1:{port}"),
        jwt_secret,
        data,
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{}/ready", served.url)).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the binary did not get ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    served
}

#[tokio::test]
async fn an_admin_runs_the_dashboard_in_a_real_browser() {
    let db = TestDatabase::create().await;
    let hook = crate::alerts::Webhook::start(0).await;
    let served = serve(&db, &hook.url).await;
    // No admin yet: the node offers a one-time link, and the browser creates the first admin with it.
    let setup_link = std::fs::read_to_string(served.data.path().join("setup-link"))
        .expect("the node wrote its setup link");
    let setup_link = setup_link.trim();
    assert!(
        setup_link.starts_with(&format!("{}/admin/#/setup/sns_", served.url)),
        "{setup_link}"
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/register", served.url))
        .json(&json!({ "email": "athlete@club.rs", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // A store whose price list (sent by the browser test once it has an admin) has one row the
    // catalogue cannot match: it waits for review.
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let store: uuid::Uuid = sqlx::query_scalar("SELECT id FROM stores WHERE slug = 'muscle-shop'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser = root.join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "run `npm ci` in tests/browser (bash .ci/test does)"
    );
    let output = tokio::process::Command::new("node")
        .arg(browser.join("dashboard.mjs"))
        .env("BASE_URL", &served.url)
        .env("SETUP_LINK", setup_link)
        .env("STORE_ID", store.to_string())
        .env("ADMIN_EMAIL", "admin@club.rs")
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("ATHLETE_EMAIL", "athlete@club.rs")
        .env("ATHLETE_PASSWORD", PASSWORD)
        .env("ARTIFACTS", root.join("test-artifacts/dashboard"))
        .env("JWT_SECRET", &served.jwt_secret)
        .output()
        .await
        .expect("node runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(output.status.success(), "the browser run failed:\n{report}");
    assert!(root.join("test-artifacts/dashboard/backups.png").exists());
    let bodies = hook.wait_for(1).await;
    assert_eq!(bodies[0]["event"], "test", "{bodies:?}");
    // The rule edited in the browser changed severity and kept its explanations in every language.
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (severity, languages): (String, i64) = sqlx::query_as(
        "SELECT r.severity, (SELECT count(*) FROM contraindication_rule_translations t WHERE t.rule_id = r.id)
         FROM contraindication_rules r JOIN substances s ON s.id = r.substance_id
         WHERE s.code = 'caffeine' AND r.vocabulary = 'condition' AND r.code = 'hypertension'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // The product edited in the browser: the new serving size, and its names in every language kept.
    let (serving, names): (rust_decimal::Decimal, i64) = sqlx::query_as(
        "SELECT p.serving_size, (SELECT count(*) FROM product_translations t WHERE t.product_id = p.id)
         FROM products p WHERE p.slug = 'bsn-syntha-6'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // The dish added in the browser, with its two ingredients.
    let (parts, grams, servings): (i64, rust_decimal::Decimal, i16) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(di.grams), 0), min(d.servings) FROM dish_ingredients di
         JOIN dishes d ON d.id = di.dish_id WHERE d.slug = 'ajvar-toast'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(
        (parts, grams, servings),
        (2, rust_decimal::Decimal::from(200), 3),
        "the dish as added, then edited to 3 servings with its recipe kept"
    );
    assert_eq!(
        (severity.as_str(), languages),
        ("info", 7),
        "all seven languages kept"
    );
    assert_eq!(serving, rust_decimal::Decimal::from(46));
    assert_eq!(
        names, 7,
        "the product's names in all seven languages are kept"
    );
}
