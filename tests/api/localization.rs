//! Languages through the API: how a response's locale is chosen and labelled, errors worded in it,
//! Cyrillic Serbian derived from Latin where none is stored, and the database's transliteration
//! agreeing with the code's.

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::{db::seed, domain::script::latin_to_cyrillic};

use crate::helpers::{PASSWORD, TestApp, assert_problem};

fn content_language(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn lang_then_saved_language_then_accept_language_then_the_default() {
    let app = TestApp::spawn().await;
    let get = |path: &str, accept: Option<&str>, token: Option<&str>| {
        let mut r = app.client.get(app.url(path));
        if let Some(a) = accept {
            r = r.header("accept-language", a);
        }
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    // Public: ?lang=, else Accept-Language by q-value, else the default (sr-Latn).
    let r = get("/api/v1/vocabularies/allergens", None, None)
        .await
        .unwrap();
    assert_eq!(content_language(&r), "sr-Latn");
    let r = get(
        "/api/v1/vocabularies/allergens",
        Some("de, ru;q=0.9, en;q=0.8"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(content_language(&r), "ru");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body.as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "milk")
            .unwrap()["name"],
        "Молоко"
    );
    let r = get("/api/v1/vocabularies/allergens?lang=hu", Some("ru"), None)
        .await
        .unwrap();
    assert_eq!(content_language(&r), "hu");

    // Signed in: the saved language beats the header; ?lang= beats both.
    let registered = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "olena@example.rs", "password": PASSWORD, "language": "uk" }),
        )
        .await;
    assert_eq!(registered.status(), 201);
    let token = registered.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = get(
        "/api/v1/meal-plans?from=2026-12-01&to=2026-12-02",
        Some("ru"),
        Some(&token),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status().as_u16(), content_language(&r)),
        (200, "uk".to_owned())
    );
    let r = get(
        "/api/v1/meal-plans?from=2026-12-01&to=2026-12-02&lang=en",
        Some("ru"),
        Some(&token),
    )
    .await
    .unwrap();
    assert_eq!(content_language(&r), "en");
    let r = app
        .send(
            Method::PUT,
            "/api/v1/account/language",
            &token,
            &json!({ "language": "ro" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = get(
        "/api/v1/meal-plans?from=2026-12-01&to=2026-12-02",
        None,
        Some(&token),
    )
    .await
    .unwrap();
    assert_eq!(content_language(&r), "ro");
    let p = assert_problem(
        app.send(
            Method::PUT,
            "/api/v1/account/language",
            &token,
            &json!({ "language": "klingon" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "language");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_configured_default_and_errors_in_the_response_language() {
    let app = TestApp::spawn_with(|c| c.i18n.default_locale = "en".into()).await;
    let r = app.get("/api/v1/vocabularies/conditions").await;
    assert_eq!(content_language(&r), "en");

    // A problem is worded in the request's language: its title, its generic detail, and coded fields.
    let r = app
        .client
        .get(app.url("/api/v1/dishes?min_kcal=500&max_kcal=100"))
        .header("accept-language", "sr-Latn")
        .send()
        .await
        .unwrap();
    assert_eq!(content_language(&r), "sr-Latn");
    let p = assert_problem(r, 422).await;
    assert_eq!(p["title"], "Neispravan unos");
    assert_eq!(p["detail"], "neka polja nisu ispravna");

    let token = app.register("mira@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let profile = json!({ "birth_date": "1990-01-01", "sex": "female", "weight_kg": 400, "height_cm": 170,
        "activity_level": "moderate", "sport": "endurance", "training_hours_per_week": 5, "goal": "maintain" });
    for (lang, expected) in [
        ("hu", "25 és 300 kg között kell lennie"),
        ("sr-Cyrl", "мора бити између 25 и 300 кг"),
        ("en", "must be between 25 and 300 kg"),
    ] {
        let r = app
            .send(
                Method::PUT,
                &format!("/api/v1/health-profile?lang={lang}"),
                &token,
                &profile,
            )
            .await;
        let p = assert_problem(r, 422).await;
        let weight = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "weight_kg")
            .unwrap()
            .clone();
        assert_eq!(weight["message"], expected, "{lang}: {p}");
        assert_eq!(weight["code"], "range");
        assert_eq!(
            weight["params"],
            json!({ "min": "25", "max": "300", "unit": "kg" })
        );
    }
    // Unreadable JSON too, naming the field.
    let r = app
        .client
        .put(app.url("/api/v1/health-profile?lang=ru"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(
            r#"{"birth_date": "1990-01-01", "sex": "male", "weight_kg": "heavy", "height_cm": 180,
                "activity_level": "moderate", "sport": "endurance", "goal": "maintain"}"#,
        )
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400).await;
    assert_eq!(p["title"], "Некорректный запрос");
    assert_eq!(p["errors"][0]["field"], "weight_kg", "{p}");
    assert_eq!(p["errors"][0]["message"], "должно быть типа number", "{p}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn cyrillic_is_derived_from_latin_when_none_is_stored() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    // Store descriptions are seeded in English and Latin Serbian only.
    let latin: Value = app
        .get("/api/v1/stores?lang=sr-Latn")
        .await
        .json()
        .await
        .unwrap();
    let cyrillic: Value = app
        .get("/api/v1/stores?lang=sr-Cyrl")
        .await
        .json()
        .await
        .unwrap();
    for (l, c) in latin
        .as_array()
        .unwrap()
        .iter()
        .zip(cyrillic.as_array().unwrap())
    {
        let (l, c) = (
            l["description"].as_str().unwrap(),
            c["description"].as_str().unwrap(),
        );
        assert_eq!(c, latin_to_cyrillic(l));
        assert!(
            c.chars().any(|ch| ('\u{0400}'..='\u{04FF}').contains(&ch)),
            "{c}"
        );
    }
    // Other languages fall back along their chain (Hungarian to English) and never show a key.
    let hu: Value = app
        .get("/api/v1/stores?lang=hu")
        .await
        .json()
        .await
        .unwrap();
    let en: Value = app
        .get("/api/v1/stores?lang=en")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hu[0]["description"], en[0]["description"]);
    // Product types and dish names are translated in every language.
    for lang in ["sr-Latn", "sr-Cyrl", "en", "hu", "ro", "ru", "uk"] {
        let products: Value = app
            .get(&format!(
                "/api/v1/products?type=creatine&per_page=1&lang={lang}"
            ))
            .await
            .json()
            .await
            .unwrap();
        let type_name = products["items"][0]["type_name"].as_str().unwrap();
        assert!(
            !type_name.is_empty() && !type_name.contains("product-type"),
            "{lang}: {type_name}"
        );
        let names: i64 =
            sqlx::query_scalar("SELECT count(*) FROM dish_translations WHERE locale = $1")
                .bind(lang)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(names, 59, "{lang}");
    }
    // A dish named only in Latin (an admin's) reads in Cyrillic too.
    sqlx::query("DELETE FROM dish_translations WHERE locale = 'sr-Cyrl' AND dish_id = (SELECT id FROM dishes WHERE slug = 'karadjordjeva-snicla')")
        .execute(&app.pool)
        .await
        .unwrap();
    let page: Value = app
        .get("/api/v1/dishes?q=karadjordjeva&lang=sr-Cyrl")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["name"], "Карађорђева шницла");
    app.stop().await.unwrap();
}

/// The database's `sr_cyrillic()` and the code's `latin_to_cyrillic` agree on every Latin Serbian text
/// the seeds hold.
#[tokio::test]
async fn the_database_transliterates_as_the_code_does() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT v, sr_cyrillic(v) FROM (
             SELECT name AS v FROM dish_translations WHERE locale = 'sr-Latn'
             UNION SELECT name FROM ingredient_translations WHERE locale = 'sr-Latn'
             UNION SELECT name FROM product_translations WHERE locale = 'sr-Latn'
             UNION SELECT description FROM store_translations WHERE locale = 'sr-Latn'
             UNION SELECT explanation FROM contraindication_rule_translations WHERE locale = 'sr-Latn'
             UNION SELECT name FROM vocabulary_term_translations WHERE locale = 'sr-Latn'
             UNION SELECT 'LJUBAV Ljubav ljubav NJIVA Njiva njiva DŽEM Džem džem đak Đak') x",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(rows.len() > 200);
    for (latin, cyrillic) in rows {
        assert_eq!(cyrillic, latin_to_cyrillic(&latin), "{latin}");
    }
    app.stop().await.unwrap();
}
