//! Progress through the API: one entry per day, date ranges and pages, trends, a coach's view.

use reqwest::Method;
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime};

use crate::helpers::{PASSWORD, TestApp, assert_problem, problem_fields};

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

async fn athlete(app: &TestApp, email: &str) -> String {
    app.register(email, PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn one_entry_per_day_created_replaced_and_deleted() {
    let app = TestApp::spawn().await;
    let token = athlete(&app, "milica@example.rs").await;

    let entry = json!({
        "date": "2026-03-02", "weight_kg": 61.234, "body_fat_pct": 21.5, "waist_cm": 68,
        "sleep_hours": 7.5, "training_minutes": 90, "training_load": "hard",
        "energy_kcal": 2400, "protein_g": 110.25, "carbohydrate_g": 300, "fat_g": 70,
        "notes": "  intervali 6×800 m\n"
    });
    let created = app
        .send(Method::POST, "/api/v1/progress", &token, &entry)
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["location"].to_str().unwrap(),
        "/api/v1/progress/2026-03-02"
    );
    let created: Value = created.json().await.unwrap();
    // Stored at the columns' precision, returned as stored; notes trimmed.
    assert_eq!(created["weight_kg"], 61.23);
    assert_eq!(created["protein_g"], 110.3);
    assert_eq!(created["training_load"], "hard");
    assert_eq!(created["notes"], "intervali 6×800 m");

    // A second create for the day is a conflict naming the date; the first entry is untouched.
    let again = app
        .send(
            Method::POST,
            "/api/v1/progress",
            &token,
            &json!({ "date": "2026-03-02", "weight_kg": 70 }),
        )
        .await;
    let problem = assert_problem(again, 409).await;
    assert_eq!(problem_fields(&problem), ["date"]);
    let got: Value = app
        .get_authed("/api/v1/progress/2026-03-02", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["weight_kg"], 61.23);

    // PUT replaces the whole day: values left out are cleared.
    let replaced = app
        .send(
            Method::PUT,
            "/api/v1/progress/2026-03-02",
            &token,
            &json!({ "weight_kg": 61.0 }),
        )
        .await;
    assert_eq!(replaced.status(), 200);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["weight_kg"], 61.0);
    assert!(replaced.get("energy_kcal").is_none(), "{replaced}");
    assert!(replaced.get("notes").is_none(), "{replaced}");
    assert_eq!(replaced["created_at"], created["created_at"]);

    // PUT on a new day creates it.
    let put_new = app
        .send(
            Method::PUT,
            "/api/v1/progress/2026-03-03",
            &token,
            &json!({ "sleep_hours": 8 }),
        )
        .await;
    assert_eq!(put_new.status(), 201);
    assert_eq!(
        put_new.headers()["location"].to_str().unwrap(),
        "/api/v1/progress/2026-03-03"
    );

    // Another athlete sees none of it and cannot touch it.
    let other = athlete(&app, "jovan@example.rs").await;
    assert_problem(
        app.get_authed("/api/v1/progress/2026-03-02", &other).await,
        404,
    )
    .await;
    let deleted = app
        .authed(Method::DELETE, "/api/v1/progress/2026-03-02", &other)
        .send()
        .await
        .unwrap();
    assert_problem(deleted, 404).await;

    let deleted = app
        .authed(Method::DELETE, "/api/v1/progress/2026-03-02", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_problem(
        app.get_authed("/api/v1/progress/2026-03-02", &token).await,
        404,
    )
    .await;
    let deleted = app
        .authed(Method::DELETE, "/api/v1/progress/2026-03-02", &token)
        .send()
        .await
        .unwrap();
    assert_problem(deleted, 404).await;

    // Progress is personal data: in the export, gone with the account.
    let export: Value = app
        .get_authed("/api/v1/account/export", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        export["data"]["progress_entries"].as_array().unwrap().len(),
        1
    );
    assert_eq!(export["data"]["progress_entries"][0]["sleep_hours"], 8.0);
}

#[tokio::test]
async fn invalid_entries_name_every_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let token = athlete(&app, "luka@example.rs").await;
    let tomorrow_but_one = today() + Duration::days(2);

    let cases = [
        (
            json!({ "date": tomorrow_but_one.to_string(), "weight_kg": 20, "sleep_hours": 25, "energy_kcal": 25000 }),
            422,
            vec!["date", "weight_kg", "sleep_hours", "energy_kcal"],
        ),
        (json!({ "date": "2026-01-01" }), 422, vec!["entry"]),
        (
            json!({ "date": "2026-01-01", "notes": "   " }),
            422,
            vec!["entry"],
        ),
        (
            json!({ "date": "1899-12-31", "weight_kg": 80 }),
            422,
            vec!["date"],
        ),
        (
            json!({ "date": "2026-01-01", "notes": "x\u{0007}y" }),
            422,
            vec!["notes"],
        ),
        (
            json!({ "date": "2026-01-01", "notes": "n".repeat(2001) }),
            422,
            vec!["notes"],
        ),
        (
            json!({ "date": "2026-01-01", "waist_cm": 10 }),
            422,
            vec!["waist_cm"],
        ),
        // Wrong types and unknown values are malformed requests naming the property.
        (
            json!({ "date": "2026-02-30", "weight_kg": 80 }),
            400,
            vec!["date"],
        ),
        (
            json!({ "date": "2026-01-01", "weight_kg": "80" }),
            400,
            vec!["weight_kg"],
        ),
        (
            json!({ "date": "2026-01-01", "training_minutes": -5 }),
            400,
            vec!["training_minutes"],
        ),
        (
            json!({ "date": "2026-01-01", "training_load": "extreme" }),
            400,
            vec!["training_load"],
        ),
        (json!({ "weight_kg": 80 }), 400, vec!["date"]),
    ];
    for (body, status, fields) in cases {
        let response = app
            .send(Method::POST, "/api/v1/progress", &token, &body)
            .await;
        let problem = assert_problem(response, status).await;
        assert_eq!(problem_fields(&problem), fields, "{body}");
    }
    // A date in the path that is not a date names the path parameter.
    let problem = assert_problem(
        app.send(
            Method::PUT,
            "/api/v1/progress/yesterday",
            &token,
            &json!({ "weight_kg": 80 }),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["date"]);

    // Tomorrow (UTC) is today somewhere east of here.
    let tomorrow = today() + Duration::days(1);
    let ok = app
        .send(
            Method::POST,
            "/api/v1/progress",
            &token,
            &json!({ "date": tomorrow.to_string(), "weight_kg": 80 }),
        )
        .await;
    assert_eq!(ok.status(), 201);

    let page: Value = app
        .get_authed("/api/v1/progress", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 1, "{page}");

    // Coaches and admins have no diary of their own.
    let coach = app.user_with_role("trener@example.rs", "coach").await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/progress",
            coach["token"].as_str().unwrap(),
            &json!({ "date": "2026-01-01", "weight_kg": 80 }),
        )
        .await;
    assert_problem(response, 403).await;
    assert_problem(app.get("/api/v1/progress").await, 401).await;
}

#[tokio::test]
async fn date_ranges_and_pages() {
    let app = TestApp::spawn().await;
    let token = athlete(&app, "sara@example.rs").await;
    // 40 days, 2026-01-01 .. 2026-02-09, every day but 2026-01-15.
    let start = time::macros::date!(2026 - 01 - 01);
    for i in 0..40 {
        let date = start + Duration::days(i);
        if i == 14 {
            continue;
        }
        let response = app
            .send(
                Method::PUT,
                &format!("/api/v1/progress/{date}"),
                &token,
                &json!({ "weight_kg": 70.0 + i as f64 / 10.0 }),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let list = |query: String| {
        let app = &app;
        let token = &token;
        async move {
            let response = app
                .get_authed(&format!("/api/v1/progress{query}"), token)
                .await;
            assert_eq!(response.status(), 200, "{query}");
            response.json::<Value>().await.unwrap()
        }
    };
    let dates = |page: &Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["date"].as_str().unwrap().to_owned())
            .collect()
    };

    // Default page: a month, oldest first, with where to continue.
    let first = list(String::new()).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 31);
    assert_eq!(dates(&first)[0], "2026-01-01");
    assert_eq!(first["next_from"], "2026-02-02");
    let rest = list(format!("?from={}", first["next_from"].as_str().unwrap())).await;
    assert_eq!(dates(&rest).len(), 8);
    assert!(rest.get("next_from").is_none(), "{rest}");

    // Inclusive bounds; the gap is skipped; a page exactly as long as what is left has no next.
    let range = list("?from=2026-01-14&to=2026-01-16".into()).await;
    assert_eq!(dates(&range), ["2026-01-14", "2026-01-16"]);
    let exact = list("?from=2026-01-01&to=2026-01-05&limit=5".into()).await;
    assert_eq!(dates(&exact).len(), 5);
    assert!(exact.get("next_from").is_none());
    let short = list("?from=2026-01-01&to=2026-01-05&limit=4".into()).await;
    assert_eq!(short["next_from"], "2026-01-05");
    let one_day = list("?from=2026-01-20&to=2026-01-20".into()).await;
    assert_eq!(dates(&one_day), ["2026-01-20"]);
    let empty = list("?from=2025-01-01&to=2025-12-31".into()).await;
    assert!(dates(&empty).is_empty());
    let upto = list("?to=2026-01-03".into()).await;
    assert_eq!(dates(&upto), ["2026-01-01", "2026-01-02", "2026-01-03"]);

    for (query, field) in [
        ("?from=2026-02-01&to=2026-01-01", "from"),
        ("?limit=0", "limit"),
        ("?limit=367", "limit"),
        ("?from=01.01.2026", "from"),
    ] {
        let response = app
            .get_authed(&format!("/api/v1/progress{query}"), &token)
            .await;
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{query}: {status}");
        let problem = assert_problem(response, status).await;
        assert_eq!(problem_fields(&problem), [field], "{query}");
    }
}

#[tokio::test]
async fn stats_show_the_trend_adherence_and_energy_balance() {
    let app = TestApp::spawn().await;
    let token = athlete(&app, "petar@example.rs").await;
    let profile = json!({
        "birth_date": "1996-01-01", "sex": "male", "weight_kg": 80, "height_cm": 180,
        "activity_level": "moderate", "sport": "general_fitness", "training_hours_per_week": 3, "goal": "maintain"
    });
    assert_eq!(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &profile)
            .await
            .status(),
        200
    );
    let target: Value = app
        .get_authed(
            "/api/v1/nutrition/targets?date=2026-04-15&training=rest",
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let target_kcal = target["energy_kcal"].as_f64().unwrap();

    // 28 days ending 2026-04-28, losing exactly 0.1 kg a day; on target (rest days) every day but
    // the last 7, which are 30 % over.
    let end = time::macros::date!(2026 - 04 - 28);
    for i in 0..28 {
        let date = end - Duration::days(27 - i);
        let over = if i >= 21 { 1.3 } else { 1.0 };
        let response = app
            .send(
                Method::POST,
                "/api/v1/progress",
                &token,
                &json!({
                    "date": date.to_string(), "weight_kg": 82.0 - 0.1 * i as f64,
                    "training_load": "rest", "energy_kcal": (target_kcal * over).round() as u32
                }),
            )
            .await;
        assert_eq!(response.status(), 201);
    }

    let stats: Value = app
        .get_authed("/api/v1/progress/stats?period=4w&to=2026-04-28", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["from"], "2026-04-01");
    assert_eq!(stats["to"], "2026-04-28");
    assert_eq!(stats["period_days"], 28);
    assert_eq!(stats["entries"], 28);
    let weight = &stats["weight"];
    assert_eq!(weight["weigh_ins"], 28);
    assert_eq!(weight["weekly_change_kg"], -0.7);
    assert_eq!(weight["latest_kg"], 79.3);
    // The average of the last 7 weigh-ins: 79.9 .. 79.3.
    assert_eq!(weight["latest_average_kg"], 79.6);
    assert_eq!(weight["weekly_change_pct"], -0.88);
    assert_eq!(weight["series"].as_array().unwrap().len(), 28);
    assert_eq!(weight["series"][0]["average_kg"], 82.0);
    assert_eq!(stats["adherence"]["days_logged"], 28);
    assert_eq!(stats["adherence"]["days_on_target"], 21);
    assert_eq!(stats["adherence"]["percent"], 75.0);
    // -0.7 kg/week × 7700 kcal/kg ÷ 7 = -770 kcal/day.
    assert_eq!(
        stats["energy_balance"]["from_weight_trend_kcal_per_day"],
        -770.0
    );
    let from_intake = stats["energy_balance"]["from_intake_kcal_per_day"]
        .as_f64()
        .unwrap();
    let intake = stats["energy_balance"]["mean_intake_kcal"]
        .as_f64()
        .unwrap();
    let expenditure = stats["energy_balance"]["mean_expenditure_kcal"]
        .as_f64()
        .unwrap();
    assert!(
        (from_intake - (intake - expenditure)).abs() <= 1.0,
        "{stats}"
    );

    // A shorter window sees only the last week: the moving average uses the days before it.
    let week: Value = app
        .get_authed("/api/v1/progress/stats?period=7d&to=2026-04-28", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(week["entries"], 7);
    assert_eq!(week["weight"]["series"][0]["date"], "2026-04-22");
    // 2026-04-16 .. 2026-04-22: 80.5 .. 79.9 kg.
    assert_eq!(week["weight"]["series"][0]["average_kg"], 80.2);
    assert_eq!(week["adherence"]["percent"], 0.0);
    // Six days between the first and last weigh-in: too short for a weekly rate.
    assert!(week["weight"]["weekly_change_kg"].is_null(), "{week}");

    // An empty period has no trends, and no errors.
    let empty: Value = app
        .get_authed("/api/v1/progress/stats?period=30d&to=2025-01-31", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["entries"], 0);
    assert!(empty["weight"]["latest_kg"].is_null());
    assert_eq!(empty["adherence"]["days_logged"], 0);
    assert!(empty["adherence"]["percent"].is_null());

    for (query, field) in [
        ("?period=2y", "period"),
        ("?period=abc", "period"),
        ("?to=tomorrow", "to"),
    ] {
        let response = app
            .get_authed(&format!("/api/v1/progress/stats{query}"), &token)
            .await;
        let status = response.status().as_u16();
        let problem = assert_problem(response, status).await;
        assert!(status == 400 || status == 422, "{query}");
        assert_eq!(problem_fields(&problem), [field], "{query}");
    }

    // A coach the athlete granted access reads the same; others get 404.
    let coach = app.user_with_role("trener@example.rs", "coach").await;
    let coach_token = coach["token"].as_str().unwrap();
    let me: Value = app
        .get_authed("/api/v1/profile", &token)
        .await
        .json()
        .await
        .unwrap();
    let id = me["account"]["id"].as_str().unwrap();
    let path = format!("/api/v1/coach/athletes/{id}/progress/stats?period=4w&to=2026-04-28");
    assert_problem(app.get_authed(&path, coach_token).await, 404).await;
    let grant = app
        .send(
            Method::POST,
            "/api/v1/account/coaches",
            &token,
            &json!({ "email": "trener@example.rs" }),
        )
        .await;
    assert_eq!(grant.status(), 204);
    let seen: Value = app
        .get_authed(&path, coach_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["weight"], stats["weight"]);
    let page: Value = app
        .get_authed(
            &format!("/api/v1/coach/athletes/{id}/progress?limit=2"),
            coach_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_from"], "2026-04-03");
    // The athlete's own endpoints stay the athlete's.
    assert_problem(app.get_authed("/api/v1/progress", coach_token).await, 403).await;
}

#[tokio::test]
async fn stats_without_a_profile_have_no_adherence() {
    let app = TestApp::spawn().await;
    let token = athlete(&app, "bez.profila@example.rs").await;
    let day = today();
    let response = app
        .send(
            Method::POST,
            "/api/v1/progress",
            &token,
            &json!({ "date": day.to_string(), "weight_kg": 70, "energy_kcal": 2000 }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let stats: Value = app
        .get_authed("/api/v1/progress/stats", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["period_days"], 30);
    assert_eq!(stats["to"], day.to_string());
    assert_eq!(stats["weight"]["latest_kg"], 70.0);
    assert!(stats["adherence"].is_null(), "{stats}");
    assert!(stats["energy_balance"]["mean_expenditure_kcal"].is_null());
}
