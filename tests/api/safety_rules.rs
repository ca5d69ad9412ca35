//! Contraindication rules through the API: public with their sources, edited only by admins, each
//! change validated and audited, and applied to recommendations at once.

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::db::seed;

use crate::helpers::{PASSWORD, TestApp, assert_problem, problem_fields};

fn rule(substance: &str, code: &str) -> Value {
    json!({
        "substance": substance, "vocabulary": "condition", "code": code, "severity": "avoid",
        "source": "Test source, 2026", "source_url": "https://example.org/rule",
        "explanations": { "en": "Not with this condition.", "sr-Latn": "Ne uz ovo stanje." }
    })
}

#[tokio::test]
async fn rules_are_public_and_only_admins_edit_them_with_an_audit_trail() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();

    let rules: Value = app
        .get("/api/v1/safety-rules?lang=sr-Cyrl")
        .await
        .json()
        .await
        .unwrap();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 67);
    for r in rules {
        assert!(r["source"].as_str().unwrap().len() >= 3, "{r}");
        assert_eq!(
            r["explanation_locale"], "sr-Cyrl",
            "every seeded rule is explained in Cyrillic: {r}"
        );
    }
    let kidney: Value = app
        .get("/api/v1/safety-rules?substance=creatine_monohydrate&lang=en")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        kidney
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "chronic_kidney_disease" && r["severity"] == "avoid")
    );

    let athlete = app.register("atleta@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &athlete,
            &rule("creatine_monohydrate", "gout"),
        )
        .await,
        403,
    )
    .await;

    let r = app
        .send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &admin,
            &rule("creatine_monohydrate", "gout"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["explanations"]["sr-Latn"], "Ne uz ovo stanje.");
    // The same substance and term again: a conflict.
    let p = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &admin,
            &rule("creatine_monohydrate", "gout"),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(problem_fields(&p), ["code"]);

    let mut changed = rule("creatine_monohydrate", "gout");
    changed["severity"] = json!("caution");
    changed["above_daily"] = json!(3);
    let r = app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/safety-rules/{id}"),
            &admin,
            &changed,
        )
        .await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        (
            updated["severity"].as_str(),
            updated["above_daily"].as_str()
        ),
        (Some("caution"), Some("3"))
    );

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'admin.safety_rule%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["admin.safety_rule_create", "admin.safety_rule_update"]
    );
    assert_eq!(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/admin/safety-rules/{id}"),
            &admin
        )
        .send()
        .await
        .unwrap()
        .status(),
        204
    );
    assert_problem(
        app.get_authed(&format!("/api/v1/admin/safety-rules/{id}"), &admin)
            .await,
        404,
    )
    .await;
    assert_problem(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/admin/safety-rules/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap(),
        404,
    )
    .await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn invalid_rules_name_every_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM contraindication_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let bad = json!({
        "substance": "Not A Code", "vocabulary": "condition", "code": "gout", "severity": "avoid",
        "above_daily": -1, "source": "x", "source_url": "ftp://example.org",
        "explanations": { "xx": "?", "sr-Latn": "" }
    });
    let p = assert_problem(
        app.send(Method::POST, "/api/v1/admin/safety-rules", &admin, &bad)
            .await,
        422,
    )
    .await;
    let fields = problem_fields(&p);
    for f in [
        "substance",
        "above_daily",
        "source",
        "source_url",
        "explanations.xx",
        "explanations",
        "explanations.sr-Latn",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let p = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &admin,
            &rule("unobtainium", "gout"),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["substance"]);
    let p = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &admin,
            &rule("caffeine", "not_a_condition"),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["code"]);
    let mut wrong_kind = rule("caffeine", "gout");
    wrong_kind["severity"] = json!("deadly");
    let p = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &admin,
            &wrong_kind,
        )
        .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&p), ["severity"]);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM contraindication_rules")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_new_rule_applies_to_recommendations_at_once() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.register("gout@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let profile = json!({
        "birth_date": "1990-01-01", "sex": "male", "weight_kg": 90, "height_cm": 185, "activity_level": "active",
        "sport": "strength_power", "training_hours_per_week": 6, "goal": "mass", "conditions": ["gout"]
    });
    assert_eq!(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &profile)
            .await
            .status(),
        200
    );
    let creatine_recommended = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["purpose"] == "creatine_monohydrate")
    };
    let body: Value = app
        .get_authed("/api/v1/recommendations?limit=100", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(creatine_recommended(&body));
    let r = app
        .send(
            Method::POST,
            "/api/v1/admin/safety-rules",
            &admin,
            &rule("creatine_monohydrate", "gout"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = app
        .get_authed("/api/v1/recommendations?limit=100&lang=sr-Latn", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!creatine_recommended(&body), "{body}");
    let left = body["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["product"]["type"] == "creatine")
        .unwrap();
    assert_eq!(left["explanation"][0], "Ne uz ovo stanje.");
    app.stop().await.unwrap();
}
