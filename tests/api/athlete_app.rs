//! The athletes' app at `/`: its page, worker and manifest as served, `app.enabled`, its cookie-kept
//! session (`/app/session`), and the whole of it in a real browser — `tests/browser/app.mjs`
//! (playwright-core and Debian's Chromium), screenshots under `test-artifacts/app/`.

use std::path::Path;

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem};

/// The header every session call needs, as the app's page sends it.
const APP: (&str, &str) = ("x-app", "1");

#[tokio::test]
async fn the_app_is_served_at_the_root_with_its_worker_its_manifest_and_a_strict_csp() {
    let app = TestApp::spawn().await;
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self' 'sha256-",
        "worker-src 'self'",
        "manifest-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("{{"),
        "{html}"
    );

    // The worker keeps the app's module, whose hashed name the page names too.
    let worker = app.get("/sw.js").await;
    assert_eq!(worker.status(), 200);
    assert_eq!(worker.headers()["cache-control"], "no-cache");
    assert!(
        worker.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let worker = worker.text().await.unwrap();
    let module = html
        .split('"')
        .find(|s| s.starts_with("/app/assets/app-app.") && s.ends_with(".js"))
        .expect("the app module")
        .to_owned();
    assert!(worker.contains(&module), "the worker keeps {module}");
    assert!(!worker.contains("{{"), "{worker}");

    // What installing shows: a manifest whose icons are served.
    let manifest = app.get("/manifest.webmanifest").await;
    assert_eq!(
        manifest.headers()["content-type"],
        "application/manifest+json"
    );
    let manifest: Value = manifest.json().await.unwrap();
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["display"], "standalone");
    for icon in manifest["icons"].as_array().unwrap() {
        let icon = app.get(icon["src"].as_str().unwrap()).await;
        assert_eq!(icon.status(), 200);
        assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    }
    let module = app
        .client
        .get(app.url(&module))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        module.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(module.headers()["content-encoding"], "gzip");
    // The dashboard is where it was.
    assert_eq!(app.get("/admin/").await.status(), 200);
}

#[tokio::test]
async fn with_the_app_turned_off_the_root_the_worker_and_the_session_calls_are_not_found() {
    let app = TestApp::spawn_with(|c| c.app.enabled = false).await;
    for path in ["/", "/sw.js", "/manifest.webmanifest"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let session = app
        .client
        .post(app.url("/app/session"))
        .header(APP.0, APP.1)
        .json(&json!({ "email": "a@b.rs", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 404);
    assert_eq!(app.get("/admin/").await.status(), 200);
    assert_eq!(app.get("/api/v1/health").await.status(), 200);
}

/// The refresh token a response set, and the cookie's attributes.
fn set_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let value = header
        .strip_prefix("sn_app_refresh=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("{header}"))
        .to_owned();
    (value, header)
}

impl TestApp {
    /// `method /app/session{path}` as the app's page sends it, with `cookie` if any.
    async fn app_call(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(&format!("/app/session{path}")))
            .header(APP.0, APP.1);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, format!("sn_app_refresh={cookie}"));
        }
        request.send().await.expect("request sent")
    }
}

#[tokio::test]
async fn the_app_keeps_the_session_registration_opened_in_a_cookie_scripts_cannot_read() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let registered = app.register("ana@klub.rs", PASSWORD).await;
    let refresh_token = registered["refresh_token"].as_str().unwrap();

    // Without the app's header a page on another site could send it: refused.
    let bare = app
        .client
        .post(app.url("/app/session/adopt"))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap();
    assert_problem(bare, 403).await;

    let adopted = app
        .app_call(
            Method::POST,
            "/adopt",
            None,
            Some(json!({ "refresh_token": refresh_token })),
        )
        .await;
    assert_eq!(adopted.status(), 200);
    let (_, attributes) = set_cookie(&adopted);
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/app/session",
        "Max-Age=",
    ] {
        assert!(attributes.contains(attribute), "{attributes}");
    }
    let body: Value = adopted.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["user"]["role"], "athlete");
    let token = body["token"].as_str().unwrap();
    assert_eq!(app.get_authed("/api/v1/profile", token).await.status(), 200);
    // The adopted token is used up: the page holds no working refresh token.
    let again = app
        .app_call(
            Method::POST,
            "/adopt",
            None,
            Some(json!({ "refresh_token": refresh_token })),
        )
        .await;
    assert_problem(again, 401).await;

    // An athlete signs in here (the dashboard's calls are for admins only), and the cookie renews.
    let signed_in = app
        .app_call(
            Method::POST,
            "",
            None,
            Some(json!({ "email": "ana@klub.rs", "password": PASSWORD })),
        )
        .await;
    assert_eq!(signed_in.status(), 200);
    let (cookie, _) = set_cookie(&signed_in);
    let renewed = app
        .app_call(Method::POST, "/refresh", Some(&cookie), None)
        .await;
    assert_eq!(renewed.status(), 200);
    let (renewed_cookie, _) = set_cookie(&renewed);
    assert_ne!(renewed_cookie, cookie);
    // The dashboard's cookie name and path are not the app's: this cookie is nothing there.
    let dashboard = app
        .client
        .post(app.url("/admin/session/refresh"))
        .header("x-dashboard", "1")
        .header(COOKIE, format!("sn_app_refresh={renewed_cookie}"))
        .send()
        .await
        .unwrap();
    assert_problem(dashboard, 401).await;

    // A made-up token longer than any this API issues is refused by its length, naming the field.
    let long = app
        .app_call(
            Method::POST,
            "/adopt",
            None,
            Some(json!({ "refresh_token": "x".repeat(129) })),
        )
        .await;
    let problem = assert_problem(long, 422).await;
    assert_eq!(problem["errors"][0]["field"], "refresh_token", "{problem}");

    // An anonymous caller's most expensive body is refused before it is parsed.
    let huge = "x".repeat(64 * 1024);
    for path in ["", "/adopt"] {
        let oversized = app
            .app_call(
                Method::POST,
                path,
                None,
                Some(json!({ "refresh_token": huge, "email": huge, "password": huge })),
            )
            .await;
        assert_problem(oversized, 413).await;
    }

    // Signing out ends the session and clears the cookie.
    let out = app
        .app_call(Method::DELETE, "", Some(&renewed_cookie), None)
        .await;
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app
        .app_call(Method::POST, "/refresh", Some(&renewed_cookie), None)
        .await;
    assert_problem(after, 401).await;
}

#[tokio::test]
async fn an_athlete_walks_the_app_on_a_phone_in_a_real_browser() {
    let app = TestApp::spawn_with(|c| c.database.seed_on_start = true).await;
    // A coach the athlete gives access to, who reads English.
    let coach = "trener@klub.rs";
    app.user_with_role(coach, "coach").await;
    sqlx::query("UPDATE users SET language = 'en' WHERE email = $1")
        .bind(coach)
        .execute(&app.pool)
        .await
        .unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser = root.join("tests/browser");
    assert!(
        browser.join("node_modules/axe-core").exists(),
        "run `npm ci` in tests/browser (bash .ci/test does)"
    );
    let output = tokio::process::Command::new("node")
        .arg(browser.join("app.mjs"))
        .env("BASE_URL", &app.address)
        .env("COACH_EMAIL", coach)
        .env("PASSWORD", PASSWORD)
        .env("ARTIFACTS", root.join("test-artifacts/app"))
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
    for screen in [
        "en-today",
        "en-meals-day",
        "sr-Cyrl-offline-meals",
        "en-coach",
    ] {
        assert!(
            root.join(format!("test-artifacts/app/{screen}.png"))
                .exists(),
            "{screen}"
        );
    }
    // The athlete erased the account in the browser: nothing of it is left.
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'jelena@klub.rs'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
