//! Accounts and sessions: the runbook flow, token attacks, refresh-token reuse, roles and
//! cross-user access, rate limits, weak secrets, export and erasure.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sports_nutrition::{
    config::{Config, RunMode},
    startup::Application,
};

use crate::helpers::{
    PASSWORD, TestApp, TestDatabase, assert_problem, problem_fields, random_secret, test_config,
};

fn www_authenticate(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn register_login_profile_refresh_reuse_and_logout() {
    let app = TestApp::spawn().await;

    let registered = app.register("  Jovana.Ilic@Example.RS ", PASSWORD).await;
    assert_eq!(registered["user"]["email"], "jovana.ilic@example.rs");
    assert_eq!(registered["user"]["role"], "athlete");
    assert_eq!(registered["user"]["language"], "sr-Latn");
    assert_eq!(registered["token_type"], "Bearer");
    assert_eq!(registered["expires_in"], 900);

    // The runbook: login through the unversioned alias, read `.token`, GET /api/profile.
    let login = app
        .post(
            "/api/auth/login",
            &json!({ "email": "jovana.ilic@example.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(login.status(), 200);
    let login: Value = login.json().await.unwrap();
    let token = login["token"].as_str().unwrap();
    let profile = app.get_authed("/api/profile", token).await;
    assert_eq!(profile.status(), 200);
    let profile: Value = profile.json().await.unwrap();
    assert_eq!(profile["account"]["email"], "jovana.ilic@example.rs");
    assert!(profile["health_profile"].is_null());
    assert!(profile["account"].get("password_hash").is_none());

    // Refresh: a new pair; the old refresh token is spent.
    let first_refresh = login["refresh_token"].as_str().unwrap();
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let second_refresh = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    let new_token = refreshed["token"].as_str().unwrap();
    assert_eq!(
        app.get_authed("/api/v1/profile", new_token).await.status(),
        200
    );

    // Reuse of the spent token: refused, and the whole session (family) is revoked.
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": first_refresh }),
        )
        .await;
    assert_problem(reuse, 401).await;
    let after = app
        .post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": second_refresh }),
        )
        .await;
    assert_problem(after, 401).await;
    let revoked = app.get_authed("/api/v1/profile", new_token).await;
    assert!(www_authenticate(&revoked).contains("invalid_token"));
    assert_problem(revoked, 401).await;
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT revoked_reason FROM sessions WHERE revoked_at IS NOT NULL")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(reasons, ["reuse_detected"]);

    // The registration session is unaffected; logout ends it at once.
    let token = registered["token"].as_str().unwrap();
    assert_eq!(app.get_authed("/api/v1/profile", token).await.status(), 200);
    let logout = app
        .authed(Method::POST, "/api/v1/auth/logout", token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_problem(app.get_authed("/api/v1/profile", token).await, 401).await;
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": registered["refresh_token"] }),
        )
        .await;
    assert_problem(refresh, 401).await;

    // Every sign-in was audited, the password never.
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT action, outcome FROM audit_log ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        audited,
        [
            ("auth.register", "success"),
            ("auth.login", "success"),
            ("auth.refresh_reuse", "failure")
        ]
        .map(|(a, o)| (a.to_string(), o.to_string()))
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn wrong_credentials_and_bad_input() {
    let app = TestApp::spawn().await;
    app.register("marko@example.rs", PASSWORD).await;

    for (email, password) in [
        ("marko@example.rs", "wrong password 123"),
        ("nobody@example.rs", PASSWORD),
    ] {
        let response = app
            .post(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
            )
            .await;
        let body = assert_problem(response, 401).await;
        assert_eq!(
            body["detail"], "wrong e-mail address or password",
            "no hint which one"
        );
    }
    let failures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND outcome = 'failure' AND ip IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(failures, 2);

    // Every invalid field is named at once.
    let response = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "not-an-address", "password": "short", "language": "de" }),
        )
        .await;
    let body = assert_problem(response, 422).await;
    let fields = problem_fields(&body);
    assert_eq!(fields, ["email", "password", "language"]);

    let common = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "a@example.rs", "password": "Password123" }),
        )
        .await;
    let body = assert_problem(common, 422).await;
    assert_eq!(body["errors"][0]["field"], "password");

    let duplicate = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "MARKO@example.rs", "password": PASSWORD }),
        )
        .await;
    let body = assert_problem(duplicate, 409).await;
    assert_eq!(body["errors"][0]["field"], "email");

    let wrong_type = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "marko@example.rs", "password": ["12345"] }),
        )
        .await;
    let body = assert_problem(wrong_type, 400).await;
    assert_eq!(body["errors"][0]["field"], "password", "{body}");

    let hostile = "'; DROP TABLE users; --<script>\u{0}";
    let response = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": hostile, "password": hostile }),
        )
        .await;
    // The NUL character is refused before anything reads the body, naming the first field with it.
    let body = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&body), ["email"], "{body}");
    let response = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": &hostile[..hostile.len() - 1], "password": hostile }),
        )
        .await;
    let body = assert_problem(response, 400).await;
    assert_eq!(problem_fields(&body), ["password"], "{body}");
    let response = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "'; DROP TABLE users; --", "password": "<script>" }),
        )
        .await;
    assert_problem(response, 422).await;
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
    app.stop().await.unwrap();
}

/// A token signed by `key`, with `claims`.
fn forge(header: &Value, claims: &Value, key: &[u8]) -> String {
    let header = jsonwebtoken::Header {
        alg: serde_json::from_value(header["alg"].clone()).unwrap(),
        ..Default::default()
    };
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(key),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_expired_and_tampered_tokens_get_401_with_a_challenge() {
    let secret = random_secret();
    let key = secret.clone();
    let app = TestApp::spawn_with(move |c| c.auth.jwt_secret = Some(SecretString::from(key))).await;
    let session = app.register("ana@example.rs", PASSWORD).await;
    let token = session["token"].as_str().unwrap();
    let valid: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let hs256 = json!({ "alg": "HS256" });
    let with = |patch: Value| {
        let mut claims = valid.clone();
        for (k, v) in patch.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };

    // Sanity: a token we forge with the right key and claims is accepted, so refusals below are real.
    let genuine = forge(&hs256, &with(json!({ "iat": now })), secret.as_bytes());
    assert_eq!(
        app.get_authed("/api/v1/profile", &genuine).await.status(),
        200
    );

    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(valid.to_string())
    );
    let mut tampered_parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    tampered_parts[1] = URL_SAFE_NO_PAD.encode(with(json!({ "role": "admin" })).to_string());
    let cases = [
        ("alg none", none),
        (
            "wrong key",
            forge(
                &hs256,
                &valid,
                b"an entirely different key of enough length",
            ),
        ),
        (
            "expired",
            forge(
                &hs256,
                &with(json!({ "iat": now - 7200, "exp": now - 3600 })),
                secret.as_bytes(),
            ),
        ),
        (
            "wrong audience",
            forge(
                &hs256,
                &with(json!({ "aud": "someone-else" })),
                secret.as_bytes(),
            ),
        ),
        (
            "wrong issuer",
            forge(&hs256, &with(json!({ "iss": "evil" })), secret.as_bytes()),
        ),
        (
            "HS512",
            forge(&json!({ "alg": "HS512" }), &valid, secret.as_bytes()),
        ),
        ("tampered payload", tampered_parts.join(".")),
        ("garbage", "not.a.token".to_string()),
    ];
    for (name, forged) in cases {
        let response = app.get_authed("/api/v1/profile", &forged).await;
        assert_eq!(response.status(), 401, "{name}");
        assert!(www_authenticate(&response).starts_with("Bearer"), "{name}");
        assert_problem(response, 401).await;
    }

    let missing = app.get("/api/v1/profile").await;
    assert_eq!(
        www_authenticate(&missing),
        r#"Bearer realm="sports-nutrition""#
    );
    assert_problem(missing, 401).await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn nobody_reaches_another_users_data() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@example.rs", PASSWORD).await;
    let ivan = app.register("ivan@example.rs", PASSWORD).await;
    let coach = app.user_with_role("trener@example.rs", "coach").await;
    let other_coach = app.user_with_role("drugi.trener@example.rs", "coach").await;
    let (ana_token, ivan_token) = (
        ana["token"].as_str().unwrap(),
        ivan["token"].as_str().unwrap(),
    );
    let coach_token = coach["token"].as_str().unwrap();
    let ana_id = ana["user"]["id"].as_str().unwrap();
    let ivan_id = ivan["user"]["id"].as_str().unwrap();

    // Ivan cannot end Ana's session: it is not his (404, same as a session that does not exist).
    let ana_sessions: Value = app
        .get_authed("/api/v1/account/sessions", ana_token)
        .await
        .json()
        .await
        .unwrap();
    let ana_session = ana_sessions[0]["id"].as_str().unwrap();
    assert_eq!(ana_sessions[0]["current"], true);
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/account/sessions/{ana_session}"),
            ivan_token,
        )
        .send()
        .await
        .unwrap();
    assert_problem(response, 404).await;
    assert_eq!(
        app.get_authed("/api/v1/profile", ana_token).await.status(),
        200
    );

    // Athletes do not reach coach or admin endpoints.
    assert_problem(
        app.get_authed("/api/v1/coach/athletes", ana_token).await,
        403,
    )
    .await;
    assert_problem(
        app.get_authed(
            &format!("/api/v1/coach/athletes/{ivan_id}/profile"),
            ana_token,
        )
        .await,
        403,
    )
    .await;
    assert_problem(app.get_authed("/api/v1/admin/audit", ana_token).await, 403).await;
    let promote = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/users/{ana_id}/role"),
            ana_token,
            &json!({ "role": "admin" }),
        )
        .await;
    assert_problem(promote, 403).await;

    // A coach reads only athletes who granted access.
    let path = format!("/api/v1/coach/athletes/{ana_id}/profile");
    assert_problem(app.get_authed(&path, coach_token).await, 404).await;
    let grant = app
        .send(
            Method::POST,
            "/api/v1/account/coaches",
            ana_token,
            &json!({ "email": "trener@example.rs" }),
        )
        .await;
    assert_eq!(grant.status(), 204);
    let response = app.get_authed(&path, coach_token).await;
    assert_eq!(response.status(), 200);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["account"]["email"], "ana@example.rs");
    let athletes: Value = app
        .get_authed("/api/v1/coach/athletes", coach_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(athletes.as_array().unwrap().len(), 1);
    assert_problem(
        app.get_authed(&path, other_coach["token"].as_str().unwrap())
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get_authed(
            &format!("/api/v1/coach/athletes/{ivan_id}/profile"),
            coach_token,
        )
        .await,
        404,
    )
    .await;
    // Granting to a non-coach is refused without saying whether the address exists.
    let response = app
        .send(
            Method::POST,
            "/api/v1/account/coaches",
            ivan_token,
            &json!({ "email": "ana@example.rs" }),
        )
        .await;
    assert_problem(response, 422).await;

    // Withdrawn access ends at once.
    let coach_id = coach["user"]["id"].as_str().unwrap();
    let withdraw = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/account/coaches/{coach_id}"),
            ana_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(withdraw.status(), 204);
    assert_problem(app.get_authed(&path, coach_token).await, 404).await;

    // Malformed ids are a 400 naming the parameter, not a 500.
    let response = app
        .get_authed("/api/v1/coach/athletes/not-a-uuid/profile", coach_token)
        .await;
    let body = assert_problem(response, 400).await;
    assert_eq!(body["errors"][0]["field"], "id");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn admins_change_roles_and_read_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_role("admin@example.rs", "admin").await;
    let athlete = app.register("petar@example.rs", PASSWORD).await;
    let admin_token = admin["token"].as_str().unwrap();
    let admin_id = admin["user"]["id"].as_str().unwrap();
    let petar_id = athlete["user"]["id"].as_str().unwrap();
    app.post(
        "/api/v1/auth/login",
        &json!({ "email": "petar@example.rs", "password": "not his password!" }),
    )
    .await;

    let found: Value = app
        .get_authed("/api/v1/admin/users?email=PETAR@example.rs", admin_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["id"], petar_id);
    // A role change needs the admin's password entered again.
    let refused = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/users/{petar_id}/role"),
            admin_token,
            &json!({ "role": "coach" }),
        )
        .await;
    let problem = assert_problem(refused, 403).await;
    assert_eq!(problem["detail_code"], "reauthentication_required");
    app.reauthenticate(admin_token).await;
    let response = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/users/{petar_id}/role"),
            admin_token,
            &json!({ "role": "coach" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    // The new role applies to the existing session at once.
    assert_eq!(
        app.get_authed("/api/v1/coach/athletes", athlete["token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    let demote_self = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/users/{admin_id}/role"),
            admin_token,
            &json!({ "role": "athlete" }),
        )
        .await;
    assert_problem(demote_self, 422).await;
    let bad_role = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/users/{petar_id}/role"),
            admin_token,
            &json!({ "role": "root" }),
        )
        .await;
    assert_problem(bad_role, 400).await;

    let page: Value = app
        .get_authed("/api/v1/admin/audit?action=admin.user_role", admin_token)
        .await
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actor_id"], admin_id);
    assert_eq!(
        entries[0]["details"],
        json!({ "from": "athlete", "to": "coach" })
    );

    let failures: Value = app
        .get_authed(
            "/api/v1/admin/audit?action=auth.&outcome=failure",
            admin_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let failure = &failures["entries"][0];
    assert_eq!(failure["action"], "auth.login");
    assert_eq!(failure["email"], "petar@example.rs");
    assert_eq!(failure["ip"], "127.0.0.1");
    assert_eq!(failure["subject_id"], petar_id);

    // Paging: newest first, `next_before` continues.
    let first: Value = app
        .get_authed("/api/v1/admin/audit?limit=2", admin_token)
        .await
        .json()
        .await
        .unwrap();
    let before = first["next_before"].as_i64().unwrap();
    let second: Value = app
        .get_authed(
            &format!("/api/v1/admin/audit?limit=2&before={before}"),
            admin_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(second["entries"][0]["id"].as_i64().unwrap() < before);
    let body = assert_problem(
        app.get_authed("/api/v1/admin/audit?limit=100000", admin_token)
            .await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "limit");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_then_recover() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.window_secs = 3;
        c.rate_limit.public_requests = 50;
        c.rate_limit.auth_attempts_per_ip = 50;
        c.rate_limit.login_attempts_per_account = 3;
    })
    .await;
    app.register("mila@example.rs", PASSWORD).await;
    let guess = json!({ "email": "mila@example.rs", "password": "guess guess guess" });
    for _ in 0..3 {
        assert_eq!(app.post("/api/v1/auth/login", &guess).await.status(), 401);
    }
    let limited = app.post("/api/v1/auth/login", &guess).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry_after), "{retry_after}");
    assert_problem(limited, 429).await;
    // Even the right password waits at the address that guessed (another address still signs
    // in: hostile::a_sign_in_lockout_cannot_be_aimed_at_the_owner).
    let right = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "mila@example.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(right.status(), 429);
    // Another account is not affected.
    let other = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "other@example.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(other.status(), 401);

    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let right = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "mila@example.rs", "password": PASSWORD }),
        )
        .await;
    assert_eq!(right.status(), 200, "allowed again after Retry-After");
    app.stop().await.unwrap();

    // The public limit per address, on endpoints that need no sign-in; health probes are exempt.
    let app = TestApp::spawn_with(|c| {
        c.rate_limit.window_secs = 900;
        c.rate_limit.public_requests = 3;
    })
    .await;
    for _ in 0..3 {
        app.post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": "snr_nothing" }),
        )
        .await;
    }
    let limited = app
        .post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": "snr_nothing" }),
        )
        .await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, 429).await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/health").await.status(), 200);
        assert_eq!(app.get("/health").await.status(), 200);
    }
    app.stop().await.unwrap();
}

/// Why `Application::build` refused `config`.
async fn refusal(config: Config) -> String {
    Application::build(config)
        .await
        .err()
        .expect("refused")
        .to_string()
}

#[tokio::test]
async fn weak_secrets_stop_production_and_warn_in_development() {
    let db = TestDatabase::create().await;
    let mut config = test_config(&db);
    config.auth.jwt_secret = Some(SecretString::from("too-short".to_string()));
    let err = refusal(config.clone()).await;
    assert!(err.contains("auth.jwt_secret"), "{err}");

    config.auth.jwt_secret = Some(SecretString::from(
        "change-me-change-me-change-me-change-me".to_string(),
    ));
    let err = refusal(config.clone()).await;
    assert!(
        err.contains("auth.jwt_secret") && err.contains("example"),
        "{err}"
    );

    let mut weak_db = config.clone();
    weak_db.auth.jwt_secret = Some(SecretString::from(random_secret()));
    let url = weak_db
        .database
        .url
        .as_ref()
        .unwrap()
        .expose_secret()
        .replace("postgres@", "postgres:short@");
    weak_db.database.url = Some(SecretString::from(url));
    let err = refusal(weak_db).await;
    assert!(
        err.contains("database.url") && !err.contains("short@"),
        "{err}"
    );
    let mut weak_redis = config.clone();
    weak_redis.auth.jwt_secret = Some(SecretString::from(random_secret()));
    weak_redis.cache.redis_url = Some(SecretString::from(
        "redis://:guessable@127.0.0.1:6379".to_string(),
    ));
    let err = refusal(weak_redis).await;
    assert!(
        err.contains("cache.redis_url: the password is shorter than 16")
            && !err.contains("guessable"),
        "{err}"
    );

    // With database.url set and no key, production refuses: the nodes would not share a key.
    config.auth.jwt_secret = None;
    let err = refusal(config.clone()).await;
    assert!(err.contains("auth.jwt_secret"), "{err}");

    // Development mode starts anyway.
    let dir = tempfile::tempdir().unwrap();
    config.security.mode = RunMode::Development;
    config.auth.jwt_secret = Some(SecretString::from("too-short".to_string()));
    config.storage.data_dir = dir.path().to_path_buf();
    let app = Application::build(config)
        .await
        .expect("development mode starts");
    drop(app);
}

#[tokio::test]
async fn export_then_change_password_then_erase() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@example.rs", PASSWORD).await;
    let other = app.register("ivan@example.rs", PASSWORD).await;
    let token = ana["token"].as_str().unwrap();
    let id: uuid::Uuid = ana["user"]["id"].as_str().unwrap().parse().unwrap();
    sqlx::query(
        "INSERT INTO progress_entries (user_id, entry_date, weight_kg, note) VALUES ($1, '2026-11-20', 61.5, 'posle treninga')",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();

    let response = app.get_authed("/api/v1/account/export", token).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let export: Value = response.json().await.unwrap();
    let data = &export["data"];
    assert_eq!(data["users"][0]["email"], "ana@example.rs");
    assert!(data["users"][0].get("password_hash").is_none());
    assert_eq!(data["progress_entries"][0]["note"], "posle treninga");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert!(
        !export.to_string().contains("ivan@example.rs"),
        "nobody else's data"
    );
    assert!(!export.to_string().contains("argon2"), "no password hash");

    // Password change: needs the current one, signs out other sessions, keeps this one.
    let second: Value = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "ana@example.rs", "password": PASSWORD }),
        )
        .await
        .json()
        .await
        .unwrap();
    let wrong = app
        .authed(Method::PUT, "/api/v1/account/password", token)
        .json(
            &json!({ "current_password": "not it at all", "new_password": "nova lozinka za anu" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_problem(wrong, 422).await["errors"][0]["field"],
        "current_password"
    );
    let changed = app
        .send(
            Method::PUT,
            "/api/v1/account/password",
            token,
            &json!({ "current_password": PASSWORD, "new_password": "nova lozinka za anu" }),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(app.get_authed("/api/v1/profile", token).await.status(), 200);
    assert_problem(
        app.get_authed("/api/v1/profile", second["token"].as_str().unwrap())
            .await,
        401,
    )
    .await;
    let old = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "ana@example.rs", "password": PASSWORD }),
        )
        .await;
    assert_problem(old, 401).await;

    // Erasure: needs the password; then nothing personal is left, and the token is dead.
    let erase = app
        .send(
            Method::DELETE,
            "/api/v1/account",
            token,
            &json!({ "password": "nova lozinka za anu" }),
        )
        .await;
    assert_eq!(erase.status(), 204);
    assert_problem(app.get_authed("/api/v1/profile", token).await, 401).await;
    for table in [
        "users WHERE id = $1",
        "progress_entries WHERE user_id = $1",
        "sessions WHERE user_id = $1",
    ] {
        let left: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    let traces: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE email = 'ana@example.rs' OR subject_id = $1 OR actor_id = $1 OR ip IS NOT NULL AND action <> 'auth.register' AND actor_id IS NULL AND subject_id IS NULL",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        traces, 0,
        "the audit log keeps no personal data of an erased account"
    );
    // Ivan is untouched.
    assert_eq!(
        app.get_authed("/api/v1/profile", other["token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_export_covers_every_table_that_holds_personal_data() {
    let app = TestApp::spawn().await;
    // Every column referencing users(id) must be listed for export (and so erased by cascade).
    let referencing: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, a.attname
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let listed = sports_nutrition::db::users::PERSONAL_TABLES;
    for (table, column) in &referencing {
        assert!(
            listed.iter().any(|(t, c)| t == table && c == column),
            "{table}.{column} references users but is not in PERSONAL_TABLES"
        );
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn admins_search_users_by_email_and_role_with_wildcards_taken_literally() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_role("boss@club.rs", "admin").await;
    let token = admin["token"].as_str().unwrap();
    for email in ["ana@club.rs", "ana_b@club.rs", "marko@club.rs"] {
        app.register(email, PASSWORD).await;
    }
    let search = |query: &'static str| {
        let app = &app;
        async move {
            let response = app
                .authed(
                    reqwest::Method::GET,
                    &format!("/api/v1/admin/users/search{query}"),
                    token,
                )
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, page) = search("?q=ANA").await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 2);
    // `_` is not a wildcard: only the address that has one.
    let (_, page) = search("?q=ana_").await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["users"][0]["email"], "ana_b@club.rs");
    let (_, page) = search("?q=%25").await;
    assert_eq!(page["total"], 0, "{page}");
    let (_, page) = search("?role=admin").await;
    assert_eq!(page["users"][0]["email"], "boss@club.rs");
    assert_eq!(page["total"], 1);
    let (_, page) = search("?limit=2&offset=2").await;
    assert_eq!(page["total"], 4);
    assert_eq!(page["users"].as_array().unwrap().len(), 2);
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?role=owner", "role"),
        ("?offset=-1", "offset"),
    ] {
        let (status, problem) = search(query).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(
            crate::helpers::problem_fields(&problem),
            [field],
            "{problem}"
        );
    }
    let athlete = app.register("runner@club.rs", PASSWORD).await;
    let response = app
        .authed(
            reqwest::Method::GET,
            "/api/v1/admin/users/search",
            athlete["token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn admins_read_the_effective_settings_with_secrets_redacted() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_role("boss@club.rs", "admin").await;
    let response = app
        .authed(
            reqwest::Method::GET,
            "/api/v1/admin/settings",
            admin["token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let settings: Value = serde_json::from_str(&text).unwrap();
    let find = |key: &str| {
        settings["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} in {settings}"))
    };
    assert_eq!(find("server.host")["value"], "\"127.0.0.1\"");
    assert_eq!(find("server.host")["applies"], "restart");
    let jwt = find("auth.jwt_secret");
    assert_eq!(jwt["secret"], true);
    assert_eq!(jwt["value"], "\"[redacted]\"");
    assert_eq!(find("database.url")["secret"], true);
    // Neither the database URL nor the signing key appears anywhere.
    assert!(!text.contains("postgres://"), "the database URL leaked");
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_at_once_and_cannot_sign_in_until_enabled() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_role("boss@club.rs", "admin").await;
    let admin_token = admin["token"].as_str().unwrap().to_owned();
    let athlete = app.register("runner@club.rs", PASSWORD).await;
    let athlete_id = athlete["user"]["id"].as_str().unwrap().to_owned();
    let athlete_token = athlete["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get_authed("/api/v1/profile", &athlete_token)
            .await
            .status(),
        200
    );

    // The admin sees the athlete's session, and can end it.
    let sessions: Value = app
        .get_authed(
            &format!("/api/v1/admin/users/{athlete_id}/sessions"),
            &admin_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");

    let disable = |disabled: bool| {
        let app = &app;
        let (id, token) = (athlete_id.clone(), admin_token.clone());
        async move {
            app.send(
                Method::PUT,
                &format!("/api/v1/admin/users/{id}/disabled"),
                &token,
                &json!({ "disabled": disabled }),
            )
            .await
        }
    };
    app.reauthenticate(&admin_token).await;
    let response = disable(true).await;
    assert_eq!(response.status(), 200);
    let listed: Value = response.json().await.unwrap();
    assert!(listed["disabled_at"].is_string(), "{listed}");
    // The token stops working at once, and sign-in is refused with a reason.
    assert_eq!(
        app.get_authed("/api/v1/profile", &athlete_token)
            .await
            .status(),
        401
    );
    let login = json!({ "email": "runner@club.rs", "password": PASSWORD });
    let problem = assert_problem(app.post("/api/v1/auth/login", &login).await, 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("disabled"),
        "{problem}"
    );
    let page: Value = app
        .get_authed("/api/v1/admin/users/search?q=runner", &admin_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(page["users"][0]["disabled_at"].is_string(), "{page}");

    assert_eq!(disable(false).await.status(), 200);
    let response = app.post("/api/v1/auth/login", &login).await;
    assert_eq!(response.status(), 200);
    let fresh: Value = response.json().await.unwrap();

    // Ending the sessions signs the user out everywhere; they can sign in again.
    let end_sessions = |id: String| {
        let (app, token) = (&app, admin_token.clone());
        async move {
            let response = app
                .send(
                    Method::DELETE,
                    &format!("/api/v1/admin/users/{id}/sessions"),
                    &token,
                    &json!({}),
                )
                .await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["ended"].clone()
        }
    };
    let profile_status = |token: String| {
        let app = &app;
        async move { app.get_authed("/api/v1/profile", &token).await.status() }
    };
    assert_eq!(end_sessions(athlete_id.clone()).await, 1);
    assert_eq!(
        profile_status(fresh["token"].as_str().unwrap().into()).await,
        401
    );

    // An admin cannot lock themselves out; unknown users are 404.
    let own = admin["user"]["id"].as_str().unwrap();
    let problem = assert_problem(
        app.send(
            Method::PUT,
            &format!("/api/v1/admin/users/{own}/disabled"),
            &admin_token,
            &json!({ "disabled": true }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["disabled"]);
    // Ending their own sessions signs them out elsewhere, never from the request making it.
    let elsewhere: Value = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": "boss@club.rs", "password": PASSWORD }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(end_sessions(own.to_owned()).await, 1);
    assert_eq!(
        profile_status(elsewhere["token"].as_str().unwrap().into()).await,
        401
    );
    assert_eq!(profile_status(admin_token.clone()).await, 200);
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.send(
            Method::PUT,
            &format!("/api/v1/admin/users/{unknown}/disabled"),
            &admin_token,
            &json!({ "disabled": true }),
        )
        .await
        .status(),
        404
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('admin.user_disable', 'admin.user_enable', 'admin.user_sessions_end')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 4);
}
