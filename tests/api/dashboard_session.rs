//! `/admin/session`: the dashboard's cookie-kept session, and the first admin from a setup link.

use reqwest::{
    StatusCode,
    header::{COOKIE, SET_COOKIE},
};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, problem_fields};

/// The header every call here needs, as the dashboard's page sends it.
const DASHBOARD: (&str, &str) = ("x-dashboard", "1");

impl TestApp {
    /// `POST /admin/session{path}` as the dashboard's page sends it, with `cookie` if any.
    async fn session_call(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: Value,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(&format!("/admin/session{path}")))
            .header(DASHBOARD.0, DASHBOARD.1)
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, format!("sn_dashboard_refresh={cookie}"));
        }
        request.send().await.expect("request sent")
    }

    /// A new admin `email`, signed in to the dashboard: the response.
    async fn dashboard_admin(&self, email: &str) -> reqwest::Response {
        self.user_with_role(email, "admin").await;
        self.session_call("", None, json!({ "email": email, "password": PASSWORD }))
            .await
    }

    /// The setup link this node offered at start.
    fn setup_token(&self) -> String {
        let file = self.db.as_ref().unwrap().data_dir().join("setup-link");
        let link = std::fs::read_to_string(&file).expect("the node wrote its setup link");
        let (base, token) = link.trim().split_once("/admin/#/setup/").unwrap();
        assert_eq!(base, self.address);
        token.to_owned()
    }

    async fn users(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The refresh token a response set, and the cookie's attributes.
fn set_cookie(response: &reqwest::Response) -> (String, String) {
    let header = response
        .headers()
        .get(SET_COOKIE)
        .expect("a cookie is set")
        .to_str()
        .unwrap()
        .to_owned();
    let value = header
        .strip_prefix("sn_dashboard_refresh=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    (value, header)
}

#[tokio::test]
async fn the_dashboard_keeps_its_session_in_a_cookie_scripts_cannot_read() {
    let app = TestApp::spawn().await;
    let signed_in = app.dashboard_admin("admin@club.rs").await;
    assert_eq!(signed_in.status(), 200);
    let (refresh, attributes) = set_cookie(&signed_in);
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin/session",
        "Max-Age=",
    ] {
        assert!(attributes.contains(attribute), "{attributes}");
    }
    assert!(!attributes.contains("Secure"), "plain HTTP: {attributes}");
    assert_eq!(signed_in.headers()["cache-control"], "no-store");
    let body: Value = signed_in.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["user"]["role"], "admin");
    let token = body["token"].as_str().unwrap();
    assert_eq!(app.get_authed("/api/v1/profile", token).await.status(), 200);

    // A page on another site: no header, a cross-site fetch, a foreign origin.
    let bare = app
        .client
        .post(app.url("/admin/session/refresh"))
        .header(COOKIE, format!("sn_dashboard_refresh={refresh}"))
        .send()
        .await
        .unwrap();
    assert_problem(bare, 403).await;
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let forged = app
            .client
            .post(app.url("/admin/session/refresh"))
            .header(DASHBOARD.0, DASHBOARD.1)
            .header(name, value)
            .header(COOKIE, format!("sn_dashboard_refresh={refresh}"))
            .send()
            .await
            .unwrap();
        assert_problem(forged, 403).await;
    }
    // The page's own origin is welcome.
    let own_origin = app
        .client
        .post(app.url("/admin/session/refresh"))
        .header(DASHBOARD.0, DASHBOARD.1)
        .header("origin", &app.address)
        .header("sec-fetch-site", "same-origin")
        .header(COOKIE, format!("sn_dashboard_refresh={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(own_origin.status(), 200);
    let (proxied, _) = set_cookie(&own_origin);
    // Behind a proxy that rewrites `Host`, the page's origin is the host the proxy forwards.
    let behind_proxy = app
        .client
        .post(app.url("/admin/session/refresh"))
        .header(DASHBOARD.0, DASHBOARD.1)
        .header("origin", "https://club.example.rs")
        .header("x-forwarded-host", "club.example.rs")
        .header(COOKIE, format!("sn_dashboard_refresh={proxied}"))
        .send()
        .await
        .unwrap();
    assert_eq!(behind_proxy.status(), 200);
    let (next, _) = set_cookie(&behind_proxy);
    assert_ne!(next, refresh, "the refresh token is replaced");
    let body: Value = own_origin.json().await.unwrap();
    assert_eq!(
        app.get_authed("/api/v1/profile", body["token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // The replaced token again: somebody copied it; the session ends and the cookie is cleared.
    let reused = app
        .session_call("/refresh", Some(&refresh), json!({}))
        .await;
    assert_eq!(reused.status(), 401);
    assert!(set_cookie(&reused).1.contains("Max-Age=0"));
    let after = app.session_call("/refresh", Some(&next), json!({})).await;
    assert_problem(after, 401).await;
    assert_eq!(app.get_authed("/api/v1/profile", token).await.status(), 401);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let app = TestApp::spawn().await;
    let signed_in = app.dashboard_admin("admin@club.rs").await;
    let (refresh, _) = set_cookie(&signed_in);
    let token = signed_in.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let signed_out = app
        .client
        .delete(app.url("/admin/session"))
        .header(DASHBOARD.0, DASHBOARD.1)
        .header(COOKIE, format!("sn_dashboard_refresh={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 204);
    assert!(set_cookie(&signed_out).1.contains("Max-Age=0"));
    assert_eq!(
        app.get_authed("/api/v1/profile", &token).await.status(),
        401
    );
    let refreshed = app
        .session_call("/refresh", Some(&refresh), json!({}))
        .await;
    assert_problem(refreshed, 401).await;
    // Without a cookie there is nothing to refresh, and signing out again is harmless.
    let none = app.session_call("/refresh", None, json!({})).await;
    assert_problem(none, 401).await;
    let again = app
        .client
        .delete(app.url("/admin/session"))
        .header(DASHBOARD.0, DASHBOARD.1)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn only_admins_sign_in_to_the_dashboard_and_the_api_answers_as_before() {
    let app = TestApp::spawn().await;
    app.register("athlete@club.rs", PASSWORD).await;
    let refused = app
        .session_call(
            "",
            None,
            json!({ "email": "athlete@club.rs", "password": PASSWORD }),
        )
        .await;
    assert!(refused.headers().get(SET_COOKIE).is_none());
    assert_problem(refused, 403).await;
    let wrong = app
        .session_call(
            "",
            None,
            json!({ "email": "athlete@club.rs", "password": "not the password" }),
        )
        .await;
    assert_problem(wrong, 401).await;
    // Other clients sign in through the API, with both tokens in the body.
    let api = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "athlete@club.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(api.status(), 200);
    assert!(api.headers().get(SET_COOKIE).is_none());
    let body: Value = api.json().await.unwrap();
    assert!(body["refresh_token"].as_str().unwrap().starts_with("snr_"));

    // An admin who is no longer one loses the dashboard at the next refresh.
    let signed_in = app.dashboard_admin("admin@club.rs").await;
    let (refresh, _) = set_cookie(&signed_in);
    sqlx::query("UPDATE users SET role = 'coach' WHERE email = 'admin@club.rs'")
        .execute(&app.pool)
        .await
        .unwrap();
    let demoted = app
        .session_call("/refresh", Some(&refresh), json!({}))
        .await;
    assert!(set_cookie(&demoted).1.contains("Max-Age=0"));
    assert_problem(demoted, 403).await;
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = TestApp::spawn().await;
    let token = app.setup_token();
    assert!(token.starts_with("sns_"), "{token}");
    let mode = std::fs::metadata(app.db.as_ref().unwrap().data_dir().join("setup-link"))
        .unwrap()
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    // A wrong token is refused before anything else is looked at.
    let forged = app
        .session_call(
            "/setup",
            None,
            json!({ "token": "sns_guess", "email": "admin@club.rs", "password": PASSWORD }),
        )
        .await;
    let problem = assert_problem(forged, 422).await;
    assert_eq!(problem_fields(&problem), ["token"]);
    // A weak password names the field and leaves the link usable.
    let weak = app
        .session_call(
            "/setup",
            None,
            json!({ "token": token, "email": "admin@club.rs", "password": "short", "language": "xx" }),
        )
        .await;
    let problem = assert_problem(weak, 422).await;
    assert_eq!(problem_fields(&problem), ["password", "language"]);
    assert_eq!(app.users().await, 0);
    // An address already taken by an athlete: another one, and the link still works.
    app.register("taken@club.rs", PASSWORD).await;
    let taken = app
        .session_call(
            "/setup",
            None,
            json!({ "token": token, "email": "taken@club.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(problem_fields(&assert_problem(taken, 409).await), ["email"]);

    let created = app
        .session_call(
            "/setup",
            None,
            json!({ "token": token, "email": "Admin@Club.rs", "password": PASSWORD, "language": "sr-Cyrl" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let (refresh, _) = set_cookie(&created);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["email"], "admin@club.rs");
    assert_eq!(body["user"]["language"], "sr-Cyrl");
    assert!(
        !app.db
            .as_ref()
            .unwrap()
            .data_dir()
            .join("setup-link")
            .exists(),
        "the used link's file is gone"
    );
    let refreshed = app
        .session_call("/refresh", Some(&refresh), json!({}))
        .await;
    assert_eq!(refreshed.status(), 200);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'admin.user_create' AND details->>'via' = 'setup_link'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Used: the same link, or any other, creates nobody now that an admin exists.
    let again = app
        .session_call(
            "/setup",
            None,
            json!({ "token": token, "email": "second@club.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(problem_fields(&assert_problem(again, 422).await), ["token"]);
    assert!(
        sports_nutrition::service::setup::offer(&app.pool, std::time::Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.users().await, 2, "the athlete and the admin");
}

#[tokio::test]
async fn an_expired_setup_link_creates_nobody() {
    let app = TestApp::spawn().await;
    let token = app.setup_token();
    sqlx::query("UPDATE setup_links SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let expired = app
        .session_call(
            "/setup",
            None,
            json!({ "token": token, "email": "admin@club.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(expired, 422).await),
        ["token"]
    );
    assert_eq!(app.users().await, 0);
}

#[tokio::test]
async fn no_setup_link_is_offered_when_an_admin_exists_or_it_is_turned_off() {
    let app = TestApp::spawn_with(|c| c.auth.setup_link_ttl_secs = 0).await;
    let file = app.db.as_ref().unwrap().data_dir().join("setup-link");
    assert!(!file.exists());
    let links: i64 = sqlx::query_scalar("SELECT count(*) FROM setup_links")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(links, 0);
    // A link file left from before the first admin is removed at the next start.
    app.user_with_role("admin@club.rs", "admin").await;
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "stale").unwrap();
    let next = app
        .another_node(|c| c.auth.setup_link_ttl_secs = 3600)
        .await;
    assert!(!file.exists());
    next.stop().await.unwrap();
}

#[tokio::test]
async fn the_session_calls_take_small_bodies_and_count_attempts_per_address() {
    let app = TestApp::spawn_with(|c| c.rate_limit.auth_attempts_per_ip = 3).await;
    // An anonymous caller's body is bounded before any of it is parsed or hashed.
    let huge = "x".repeat(64 * 1024);
    for path in ["", "/setup"] {
        let oversized = app
            .session_call(
                path,
                None,
                json!({ "token": huge, "email": "a@club.rs", "password": huge }),
            )
            .await;
        assert_problem(oversized, 413).await;
    }
    // Guessing setup tokens or passwords: a few tries per address, then 429 with Retry-After.
    let mut statuses = Vec::new();
    for attempt in 0..4 {
        let (path, body) = match attempt % 2 {
            0 => (
                "/setup",
                json!({ "token": "sns_guess", "email": "a@club.rs", "password": PASSWORD }),
            ),
            _ => ("", json!({ "email": "a@club.rs", "password": PASSWORD })),
        };
        let response = app.session_call(path, None, body).await;
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [422, 401, 422, 429]);
}
