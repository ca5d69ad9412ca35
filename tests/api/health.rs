use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, within};

#[tokio::test]
async fn liveness_answers_get_and_head() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/health").await.status(), 200);
    let head = app.client.head(app.url("/health")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn ready_when_database_answers_and_migrations_are_current() {
    let app = TestApp::spawn().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ready");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn not_ready_and_degraded_while_migrations_are_pending() {
    let app = TestApp::spawn_with(|c| c.database.migrate_on_start = false).await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("migrations pending"),
        "{body}"
    );

    let health: Value = app.get("/api/v1/health").await.json().await.unwrap();
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["database"], "connected");
    assert_eq!(
        health["pending_migrations"].as_array().unwrap().len(),
        sports_nutrition::db::MIGRATOR.iter().count()
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn runbook_health_alias_reports_the_database_and_cache() {
    let app = TestApp::spawn().await;
    for path in ["/api/health", "/api/v1/health"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "healthy", "{path}: {body}");
        assert_eq!(body["database"], "connected");
        assert_eq!(body["redis"], "disabled", "no Redis is configured");
        assert_eq!(body["database_mode"], "external");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert!(body["uptime_s"].is_u64());
        assert!(body["database_latency_ms"].as_f64().unwrap() >= 0.0);
        assert!(body["pool"]["max"].as_u64().unwrap() == 5);
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn unhealthy_and_not_ready_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&crate::helpers::admin_url())
        .await
        .unwrap();
    sqlx::query(&format!(
        r#"DROP DATABASE "{}" WITH (FORCE)"#,
        app.db.as_ref().unwrap().name
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    // Within the second a probe is shared for (and its two-second timeout).
    let noticed = within(Duration::from_secs(4), async || {
        app.get("/api/health").await.status() == 503
    })
    .await;
    assert!(noticed.is_some(), "the lost database was never reported");
    let body: Value = app.get("/api/health").await.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"], "disconnected");
    assert_eq!(app.get("/ready").await.status(), 503);
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn request_ids_are_generated_or_echoed() {
    let app = TestApp::spawn().await;
    let generated = app.get("/health").await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);

    let echoed = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "lb-1234_abc")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "lb-1234_abc");

    // A hostile id (log injection) is replaced, not echoed.
    let hostile = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "x\" injected=1")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "x\" injected=1");

    let problem = app.get("/nope").await;
    assert!(
        problem.headers().contains_key("x-request-id"),
        "errors carry the id too"
    );
    assert_problem(problem, 404).await;
    app.stop().await.unwrap();
}
