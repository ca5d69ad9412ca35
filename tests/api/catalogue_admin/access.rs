//! Who may edit the catalogue: admins only.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{audit_actions, brand, product, store, substance};
use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn only_admins_may_edit_the_catalogue() {
    let app = TestApp::spawn().await;
    let athlete = app
        .register("sportista@example.rs", crate::helpers::PASSWORD)
        .await;
    let athlete = athlete["token"].as_str().unwrap().to_owned();
    let coach = app.user_with_role("trener@example.rs", "coach").await;
    let coach = coach["token"].as_str().unwrap().to_owned();
    let x = Uuid::now_v7();
    let package = json!({ "size": "1", "size_unit": "g", "servings": "1" });
    let price = json!({ "price": "100", "in_stock": true });
    let endpoints = [
        (
            Method::POST,
            "/api/v1/admin/brands".to_owned(),
            brand("a-brand"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/brands/{x}"),
            brand("a-brand"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/brands/{x}"),
            json!({}),
        ),
        (Method::GET, "/api/v1/admin/stores".to_owned(), Value::Null),
        (
            Method::POST,
            "/api/v1/admin/stores".to_owned(),
            store("a-store"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{x}"),
            store("a-store"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/stores/{x}"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/admin/substances".to_owned(),
            substance("zinc"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/substances/{x}"),
            substance("zinc"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/substances/{x}"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/admin/products".to_owned(),
            product("a-product", &x.to_string(), "zinc"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/products/{x}"),
            product("a-product", &x.to_string(), "zinc"),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/products/{x}"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/products/{x}/packages"),
            package.clone(),
        ),
        (Method::PUT, format!("/api/v1/admin/packages/{x}"), package),
        (
            Method::DELETE,
            format!("/api/v1/admin/packages/{x}"),
            json!({}),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{x}/prices/{x}"),
            price,
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/stores/{x}/prices/{x}"),
            json!({}),
        ),
    ];
    for (method, path, body) in &endpoints {
        for token in [&athlete, &coach] {
            assert_problem(app.send(method.clone(), path, token, body).await, 403).await;
        }
        let anonymous = app
            .client
            .request(method.clone(), app.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        assert_problem(anonymous, 401).await;
    }
    assert!(audit_actions(&app).await.is_empty());
    let brands: i64 = sqlx::query_scalar("SELECT count(*) FROM brands")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(brands, 0);
}
