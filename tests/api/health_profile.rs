//! The health profile: create, read, patch, validation naming each field, vocabularies by locale.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, problem_fields};

fn profile() -> Value {
    json!({
        "birth_date": "1996-03-14",
        "sex": "male",
        "weight_kg": 80,
        "height_cm": 180,
        "activity_level": "moderate",
        "sport": "team_sport",
        "training_hours_per_week": 6,
        "goal": "maintain",
        "allergies": ["milk", " Peanut ", "milk"],
        "medications": ["ssri"]
    })
}

#[tokio::test]
async fn athletes_create_read_and_patch_their_profile() {
    let app = TestApp::spawn().await;
    let session = app.register("luka@example.rs", PASSWORD).await;
    let token = session["token"].as_str().unwrap();
    assert_problem(app.get_authed("/api/v1/health-profile", token).await, 404).await;

    let response = app
        .send(Method::PUT, "/api/v1/health-profile", token, &profile())
        .await;
    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.unwrap();
    assert_eq!(
        saved["allergies"],
        json!(["milk", "peanut"]),
        "normalised and deduplicated"
    );
    assert_eq!(saved["conditions"], json!([]));
    assert_eq!(saved["weight_kg"], 80.0);
    assert!(saved["age_years"].as_u64().unwrap() >= 30);
    assert!(saved.get("body_fat_pct").is_none());

    let patched: Value = app
        .send(
            Method::PATCH,
            "/api/v1/health-profile",
            token,
            &json!({ "weight_kg": 78.456, "body_fat_pct": 14.0 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["weight_kg"], 78.46, "stored to 0.01 kg");
    assert_eq!(patched["body_fat_pct"], 14.0);
    assert_eq!(patched["sport"], "team_sport", "untouched fields kept");
    let cleared: Value = app
        .send(
            Method::PATCH,
            "/api/v1/health-profile",
            token,
            &json!({ "body_fat_pct": null }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(cleared.get("body_fat_pct").is_none());

    let overview: Value = app
        .get_authed("/api/v1/profile", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["health_profile"]["medications"], json!(["ssri"]));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn every_invalid_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let token = app.register("sara@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut bad = profile();
    bad["birth_date"] = json!("2020-01-01");
    bad["weight_kg"] = json!(301);
    bad["height_cm"] = json!(99.9);
    bad["body_fat_pct"] = json!(1);
    bad["training_hours_per_week"] = json!(61);
    bad["allergies"] = json!(["milk", "kryptonite"]);
    let body = assert_problem(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &bad)
            .await,
        422,
    )
    .await;
    let fields = problem_fields(&body);
    assert_eq!(
        fields,
        [
            "birth_date",
            "weight_kg",
            "height_cm",
            "body_fat_pct",
            "training_hours_per_week",
            "allergies"
        ]
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM health_profiles")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);

    let mut wrong_enum = profile();
    wrong_enum["sport"] = json!("chess");
    let body = assert_problem(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &wrong_enum)
            .await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "sport");
    let mut missing = profile();
    missing.as_object_mut().unwrap().remove("goal");
    let body = assert_problem(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &missing)
            .await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "goal");

    // Only athletes have a health profile.
    let coach = app.user_with_role("coach@example.rs", "coach").await;
    let response = app
        .send(
            Method::PUT,
            "/api/v1/health-profile",
            coach["token"].as_str().unwrap(),
            &profile(),
        )
        .await;
    assert_problem(response, 403).await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn vocabularies_are_served_in_every_language() {
    let app = TestApp::spawn().await;
    let allergens: Value = app
        .get("/api/v1/vocabularies/allergens?lang=sr-Cyrl")
        .await
        .json()
        .await
        .unwrap();
    let milk = allergens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "milk")
        .unwrap();
    assert_eq!(milk["name"], "Млеко");
    assert_eq!(
        allergens.as_array().unwrap().len(),
        14,
        "the EU's 14 declarable allergens"
    );
    let conditions: Value = app
        .get("/api/v1/vocabularies/conditions?lang=hu")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        conditions
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "gout" && t["name"] == "Köszvény")
    );
    let medications: Value = app
        .get("/api/v1/vocabularies/medications")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        medications
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "maoi" && t["locale"] == "sr-Latn")
    );
    // Every term has a name in every language.
    let missing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM vocabulary_terms v CROSS JOIN locales l WHERE NOT EXISTS (
             SELECT 1 FROM vocabulary_term_translations t WHERE (t.vocabulary, t.code, t.locale) = (v.vocabulary, v.code, l.code))",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(missing, 0);
    assert_problem(app.get("/api/v1/vocabularies/allergens?lang=de").await, 422).await;
    assert_problem(app.get("/api/v1/vocabularies/planets").await, 400).await;
    app.stop().await.unwrap();
}
