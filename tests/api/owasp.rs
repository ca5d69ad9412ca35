//! The OWASP API Security Top 10 (2023), tried by hand where this API could be weak. Broken
//! object-level authorization is also tried resource by resource in auth.rs
//! (`nobody_reaches_another_users_data`) and supplements.rs (another user's shopping list).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, problem_fields};

/// API1 broken object-level authorization: every per-user resource answers 404 to another user,
/// whether they guess a date, an id, or pass the owner's id in the body.
#[tokio::test]
async fn another_users_objects_are_invisible_however_they_are_named() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@klub.rs", PASSWORD).await;
    let ivan = app.register("ivan@klub.rs", PASSWORD).await;
    let (ana_token, ivan_token) = (
        ana["token"].as_str().unwrap(),
        ivan["token"].as_str().unwrap(),
    );
    let ana_id = ana["user"]["id"].as_str().unwrap();
    let created = app
        .send(
            Method::POST,
            "/api/v1/progress",
            ana_token,
            &json!({ "date": "2026-11-02", "weight_kg": 61.5, "notes": "tajno" }),
        )
        .await;
    assert_eq!(created.status(), 201);

    assert_problem(
        app.get_authed("/api/v1/progress/2026-11-02", ivan_token)
            .await,
        404,
    )
    .await;
    for path in [
        format!("/api/v1/progress?user_id={ana_id}"),
        format!("/api/v1/progress/2026-11-02?user_id={ana_id}"),
        format!("/api/v1/profile?user_id={ana_id}"),
    ] {
        let response = app.get_authed(&path, ivan_token).await;
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("tajno") && !body.contains("ana@klub.rs"),
            "{path}: {body}"
        );
    }
    // An owner's id in a write's body changes nothing about whose entry it is.
    let planted = app
        .send(
            Method::POST,
            "/api/v1/progress",
            ivan_token,
            &json!({ "date": "2026-11-03", "weight_kg": 80, "user_id": ana_id }),
        )
        .await;
    assert!(
        planted.status() == 201 || planted.status() == 400,
        "{}",
        planted.status()
    );
    assert_problem(
        app.get_authed("/api/v1/progress/2026-11-03", ana_token)
            .await,
        404,
    )
    .await;
}

/// API3 broken object property level authorization (mass assignment and excessive exposure): a
/// user cannot give themselves a role or another id, and no response carries a hash or a secret.
#[tokio::test]
async fn nobody_assigns_themselves_a_role_and_no_response_carries_a_secret() {
    let app = TestApp::spawn().await;
    let registered = app
        .post(
            "/api/v1/auth/register",
            &json!({
                "email": "mila@klub.rs", "password": PASSWORD, "role": "admin",
                "id": "00000000-0000-0000-0000-000000000001", "disabled": false,
                "email_verified": true
            }),
        )
        .await;
    assert_eq!(registered.status(), 201);
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(registered["user"]["role"], "athlete");
    assert_ne!(
        registered["user"]["id"],
        "00000000-0000-0000-0000-000000000001"
    );
    let token = registered["token"].as_str().unwrap();
    assert_problem(
        app.get_authed("/api/v1/admin/users?email=mila@klub.rs", token)
            .await,
        403,
    )
    .await;
    let role: String =
        sqlx::query_scalar("SELECT role::text FROM users WHERE email = 'mila@klub.rs'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(role, "athlete");

    // Every response an athlete and an admin see: no password hash, refresh-token hash or key.
    let admin = app.user_with_role("admin@klub.rs", "admin").await;
    let admin_token = admin["token"].as_str().unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'mila@klub.rs'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let mut seen = vec![serde_json::to_string(&registered).unwrap()];
    for (path, token) in [
        ("/api/v1/profile", token),
        ("/api/v1/account/sessions", token),
        ("/api/v1/admin/users?email=mila@klub.rs", admin_token),
        ("/api/v1/admin/users/search?q=mila", admin_token),
        ("/api/v1/admin/audit", admin_token),
        ("/api/v1/admin/settings", admin_token),
    ] {
        let response = app.get_authed(path, token).await;
        assert_eq!(response.status(), 200, "{path}");
        seen.push(response.text().await.unwrap());
    }
    let refresh = registered["refresh_token"].as_str().unwrap();
    for body in &seen {
        assert!(!body.contains(&hash), "a password hash in {body}");
        assert!(!body.contains("$argon2"), "a password hash in {body}");
        assert!(!body.contains("password_hash"), "{body}");
        assert!(!body.contains("token_hash"), "{body}");
    }
    // The refresh token is shown once, when issued, and never again.
    for body in &seen[1..] {
        assert!(!body.contains(refresh), "the refresh token in {body}");
    }
}

/// API8 injection: search and sort parameters are data, never SQL.
#[tokio::test]
async fn sql_in_search_and_sort_parameters_is_only_text() {
    let app = TestApp::spawn_with(|c| c.database.seed_on_start = true).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let hostile = [
        "' OR '1'='1",
        "'; DROP TABLE users; --",
        "\" OR 1=1 --",
        "%' UNION SELECT password_hash FROM users --",
        "1) OR pg_sleep(5) IS NULL --",
        "\\",
        "%",
        "_",
    ];
    for q in hostile {
        let encoded = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
        for path in [
            format!("/api/v1/products?q={encoded}"),
            format!("/api/v1/dishes?q={encoded}"),
            format!("/api/v1/ingredients?q={encoded}"),
        ] {
            let started = std::time::Instant::now();
            let response = app.get(&path).await;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert!(status == 200 || status == 404, "{path}: {status} {body}");
            assert!(started.elapsed().as_secs() < 3, "{path} ran pg_sleep");
            if status == 200 {
                // Matching text only: an injected OR would return the whole catalogue.
                let total = body["total"].as_u64().unwrap_or(0);
                let all = app
                    .get(path.split('?').next().unwrap())
                    .await
                    .json::<Value>()
                    .await
                    .unwrap()["total"]
                    .as_u64()
                    .unwrap_or(0);
                assert!(total < all || all == 0, "{path}: {total} of {all}");
            }
        }
    }
    for sort in [
        "name; DROP TABLE users",
        "price DESC, (SELECT 1)",
        "1",
        "id--",
    ] {
        let encoded =
            percent_encoding::utf8_percent_encode(sort, percent_encoding::NON_ALPHANUMERIC);
        let response = app.get(&format!("/api/v1/products?sort={encoded}")).await;
        let problem = assert_problem(response, 400).await;
        assert!(
            problem.to_string().contains("sort"),
            "the problem names the parameter: {problem}"
        );
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
}

/// API4 unrestricted resource consumption: oversized and deeply nested bodies are refused with a
/// problem, the service stays up, and nothing is written.
#[tokio::test]
async fn oversized_and_deeply_nested_bodies_are_refused_cleanly() {
    let app = TestApp::spawn_with(|c| c.server.body_limit_bytes = 64 * 1024).await;
    let token = app.register("ana@klub.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let big = json!({ "date": "2026-11-02", "weight_kg": 61, "notes": "x".repeat(100_000) });
    let response = app
        .send(Method::POST, "/api/v1/progress", &token, &big)
        .await;
    assert_problem(response, 413).await;

    for depth in [200, 10_000, 60_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!(r#"{{"date":"2026-11-02","weight_kg":61,"notes":{nested}}}"#);
        let response = app
            .authed(Method::POST, "/api/v1/progress", &token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            status == 400 || status == 413,
            "depth {depth}: {status} {}",
            response.text().await.unwrap()
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM progress_entries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    assert_eq!(app.get("/health").await.status(), 200);
}

/// Hostile strings: the NUL character, which PostgreSQL's text cannot hold, is a 400 naming where it
/// was (query parameter, JSON property, JSON key), never a 500; an escaped backslash before `u0000`
/// is ordinary text.
#[tokio::test]
async fn the_nul_character_is_refused_naming_where_it_was() {
    let app = TestApp::spawn_with(|c| c.database.seed_on_start = true).await;
    let token = app.register("ana@klub.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/api/v1/products?q=%00",
        "/api/v1/dishes?q=sarma%00",
        "/api/v1/ingredients?per_page=5&q=%00",
    ] {
        let problem = assert_problem(app.get(path).await, 400).await;
        assert_eq!(problem_fields(&problem), ["q"], "{path}: {problem}");
        assert_eq!(problem["errors"][0]["code"], "nul_character", "{problem}");
    }
    let profile = json!({
        "birth_date": "1996-04-12", "sex": "female", "weight_kg": 60, "height_cm": 170,
        "activity_level": "moderate", "sport": "endurance", "goal": "maintain",
        "allergies": ["milk", "t\u{0}x"],
    });
    let problem = assert_problem(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &profile)
            .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["allergies[1]"], "{problem}");
    assert_eq!(
        app.get_authed("/api/v1/health-profile", &token)
            .await
            .status(),
        404,
        "nothing was written"
    );
    for (entry, field) in [
        (
            json!({ "date": "2026-11-02", "notes": "dobro\u{0}" }),
            "notes",
        ),
        (
            json!({ "date": "2026-11-02", "no\u{0}tes": "dobro" }),
            "no\\u0000tes",
        ),
    ] {
        let problem = assert_problem(
            app.send(Method::POST, "/api/v1/progress", &token, &entry)
                .await,
            400,
        )
        .await;
        assert_eq!(problem_fields(&problem), [field], "{problem}");
    }
    let literal = json!({ "date": "2026-11-02", "weight_kg": 61, "notes": "C:\\u0000" });
    let response = app
        .send(Method::POST, "/api/v1/progress", &token, &literal)
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let note: String = sqlx::query_scalar("SELECT note FROM progress_entries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(note, "C:\\u0000");
}
