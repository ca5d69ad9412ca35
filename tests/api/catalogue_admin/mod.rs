//! The catalogue as admins edit it: brands, stores, substances, products, packages and prices,
//! each change validated, audited and all-or-nothing, and seen by the public catalogue. One file per
//! concern; the requests and bodies they share are here.

mod access;
mod lifecycle;
mod refusals;
mod seeded_stores;

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, problem_fields};

/// `method path` as `token` with `body`; asserts the status and returns the body (null when empty).
pub(super) async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: &Value,
    status: u16,
) -> Value {
    let response = app.send(method.clone(), path, token, body).await;
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{method} {path}: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// A problem's field names for `method path` with `body`, asserting its status.
pub(super) async fn fields_of(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: &Value,
    status: u16,
) -> Vec<String> {
    let problem = assert_problem(app.send(method, path, token, body).await, status).await;
    problem_fields(&problem)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A decimal sent as a string (money, amounts), compared by value.
pub(super) fn decimal(value: &Value) -> Decimal {
    value.as_str().expect("a decimal string").parse().unwrap()
}

pub(super) fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

pub(super) fn brand(slug: &str) -> Value {
    json!({ "slug": slug, "name": "Srpski Sport Lab", "origin_country": "RS", "is_local": true })
}

pub(super) fn substance(code: &str) -> Value {
    json!({
        "code": code, "unit": "g", "evidence": "A",
        "names": { "en": "Whey protein", "sr-Latn": "Protein surutke", "sr-Cyrl": "Протеин сурутке" }
    })
}

pub(super) fn store(slug: &str) -> Value {
    json!({
        "slug": slug, "name": "Fit Shop Niš", "website": "https://fitshop.example.rs", "city": "Niš",
        "delivery_fee": "350.00", "free_delivery_from": "5000", "min_order": "0",
        "delivery_days_min": 1, "delivery_days_max": 3,
        "feed_url": "https://ana:tajna@feeds.example.rs/cjenik.csv?token=s3cr3t",
        "is_active": true,
        "description_en": "Supplements in Niš.", "description_sr_latn": "Suplementi u Nišu."
    })
}

pub(super) fn product(slug: &str, brand_id: &str, substance_code: &str) -> Value {
    json!({
        "slug": slug, "brand_id": brand_id, "product_type": "protein",
        "serving_size": "30", "serving_unit": "g",
        "energy_kcal_per_100g": "380", "protein_g_per_100g": "78.5",
        "carbohydrate_g_per_100g": "8", "fat_g_per_100g": "6.5",
        "is_available": true,
        "names": {
            "en": { "name": "Whey Gold Vanilla", "description": "Whey protein concentrate." },
            "sr-Latn": { "name": "Whey Gold vanila" }
        },
        "substances": [{ "code": substance_code, "amount_per_serving": "24" }],
        "allergens": ["milk"]
    })
}

pub(super) async fn audit_actions(app: &TestApp) -> Vec<(String, Value)> {
    sqlx::query_as("SELECT action, details FROM audit_log WHERE action LIKE 'admin.%' ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}
