//! The seeded stores: their price history and feed credentials kept across edits.

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::db::seed;
use uuid::Uuid;

use super::{call, id};
use crate::helpers::{TestApp, assert_problem, problem_fields};

#[tokio::test]
async fn seeded_stores_keep_their_history_and_feed_credentials() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let token = app.admin().await;
    let t = token.as_str();

    let stores = call(
        &app,
        t,
        Method::GET,
        "/api/v1/admin/stores",
        &Value::Null,
        200,
    )
    .await;
    let stores = stores.as_array().unwrap();
    assert_eq!(stores.len(), 7);
    let muscle = stores.iter().find(|s| s["slug"] == "muscle-shop").unwrap();
    assert_eq!(muscle["feed_configured"], false);
    assert_eq!(
        muscle["description_en"],
        "Online shop for sports supplements in Serbia."
    );
    let store_id = id(muscle);

    // A store with prices cannot be deleted; a brand with products neither.
    let problem = assert_problem(
        app.send(
            Method::DELETE,
            &format!("/api/v1/admin/stores/{store_id}"),
            t,
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("is_active"),
        "{problem}"
    );
    let brands: Value = app.get("/api/v1/brands").await.json().await.unwrap();
    let on = brands
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "optimum-nutrition")
        .unwrap();
    let problem = assert_problem(
        app.send(
            Method::DELETE,
            &format!("/api/v1/admin/brands/{}", id(on)),
            t,
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["id"]);

    // A feed URL with credentials is stored in full, shown redacted, and kept when the redacted
    // form comes back with the rest of the store.
    let mut body = json!({
        "slug": "muscle-shop", "name": "Muscle Shop", "delivery_fee": "350.00", "free_delivery_from": "4000.00",
        "min_order": "0.00", "delivery_days_min": 1, "delivery_days_max": 2, "is_active": true,
        "feed_url": "https://shop:pa55@muscle.example.rs:8443/feed.json?key=k3y",
        "description_en": "Online shop for sports supplements in Serbia."
    });
    let shown = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/stores/{store_id}"),
        &body,
        200,
    )
    .await;
    assert_eq!(
        shown["feed_url"],
        "https://muscle.example.rs:8443/feed.json"
    );
    assert!(shown.get("description_sr_latn").is_none());
    body["feed_url"] = shown["feed_url"].clone();
    body["is_active"] = json!(false);
    let again = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/stores/{store_id}"),
        &body,
        200,
    )
    .await;
    assert_eq!(again["feed_configured"], true);
    let stored: String =
        sqlx::query_scalar("SELECT feed_url FROM stores WHERE slug = 'muscle-shop'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        "https://shop:pa55@muscle.example.rs:8443/feed.json?key=k3y"
    );
    body["feed_url"] = Value::Null;
    let cleared = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/stores/{store_id}"),
        &body,
        200,
    )
    .await;
    assert_eq!(cleared["feed_configured"], false);

    // Inactive: gone from the public list and from offers, still listed for admins.
    let public: Value = app.get("/api/v1/stores").await.json().await.unwrap();
    assert!(
        public
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["slug"] != "muscle-shop")
    );
    let listed = call(
        &app,
        t,
        Method::GET,
        "/api/v1/admin/stores",
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 7);

    // An admin's price replaces a demo price and is history after it.
    let offers: (Uuid, Uuid) = sqlx::query_as(
        "SELECT pr.store_id, pr.package_id FROM prices pr JOIN stores s ON s.id = pr.store_id
         WHERE s.slug = 'strong-shop' AND pr.source = 'demo' ORDER BY pr.package_id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (store, package) = offers;
    let replaced = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/stores/{store}/prices/{package}"),
        &json!({ "price": "1999.99", "in_stock": false }),
        200,
    )
    .await;
    assert_eq!(replaced["source"], "manual");
    let history: Vec<(String, bool)> = sqlx::query_as(
        "SELECT source, in_stock FROM price_history WHERE store_id = $1 AND package_id = $2 ORDER BY id",
    )
    .bind(store)
    .bind(package)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(history.last().unwrap(), &("manual".to_owned(), false));
    assert_eq!(history.first().unwrap().0, "demo");
}
