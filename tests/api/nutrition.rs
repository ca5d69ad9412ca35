//! Targets through the API: the hand-computed example, the day's load, and the public calculator.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, problem_fields};

#[tokio::test]
async fn targets_from_the_profile_and_from_the_calculator() {
    let app = TestApp::spawn().await;
    let token = app.register("nikola@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.get_authed("/api/v1/nutrition/targets", &token).await,
        404,
    )
    .await;
    let profile = json!({
        "birth_date": "1990-06-01", "sex": "male", "weight_kg": 80, "height_cm": 180,
        "activity_level": "moderate", "sport": "team_sport", "training_hours_per_week": 6, "goal": "maintain"
    });
    assert_eq!(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &profile)
            .await
            .status(),
        200
    );

    // 30 years old on 2020-06-01: BMR 1780 kcal, TDEE 2759 kcal (the example).
    let t: Value = app
        .get_authed(
            "/api/v1/nutrition/targets?date=2020-06-01&training=moderate",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["method"], "mifflin_st_jeor");
    assert_eq!(t["bmr_kcal"], 1780.0);
    assert_eq!(t["tdee_kcal"], 2759.0);
    assert_eq!(t["energy_kcal"], 2759.0);
    assert_eq!(t["protein_g"], 128.0);
    assert_eq!(t["protein_g_per_kg"], 1.6);
    assert_eq!(t["training"], "moderate");
    let macro_kcal = 4.0 * t["protein_g"].as_f64().unwrap()
        + 4.0 * t["carbohydrate_g"].as_f64().unwrap()
        + 9.0 * t["fat_g"].as_f64().unwrap();
    assert!((macro_kcal - 2759.0).abs() <= 27.59, "{macro_kcal}");
    assert!(!t["sources"].as_array().unwrap().is_empty());

    let hard: Value = app
        .get_authed(
            "/api/v1/nutrition/targets?date=2020-06-01&training=hard",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(hard["carbohydrate_g"].as_f64() > t["carbohydrate_g"].as_f64());
    let body = assert_problem(
        app.get_authed("/api/v1/nutrition/targets?training=extreme", &token)
            .await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "training");

    // The public calculator gives the same numbers for the same person, without an account.
    let calc = app
        .post(
            "/api/v1/nutrition/calculate",
            &json!({
                "age": 30, "sex": "male", "weight_kg": 80, "height_cm": 180, "activity_level": "moderate",
                "sport": "team_sport", "training_hours_per_week": 6, "goal": "maintain", "training": "moderate"
            }),
        )
        .await;
    assert_eq!(calc.status(), 200);
    let calc: Value = calc.json().await.unwrap();
    assert_eq!(calc["energy_kcal"], t["energy_kcal"]);
    assert_eq!(calc["carbohydrate_g"], t["carbohydrate_g"]);

    let invalid = app
        .post(
            "/api/v1/nutrition/calculate",
            &json!({
                "age": 12, "sex": "female", "weight_kg": 20, "height_cm": 180, "activity_level": "light",
                "sport": "aesthetic", "goal": "cut"
            }),
        )
        .await;
    let body = assert_problem(invalid, 422).await;
    let fields = problem_fields(&body);
    assert_eq!(fields, ["age", "weight_kg"]);
    app.stop().await.unwrap();
}
