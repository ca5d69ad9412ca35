//! A product from its brand to its price and back, in every language the catalogue keeps.

use reqwest::Method;
use rust_decimal::dec;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{audit_actions, brand, call, decimal, id, product, store, substance};
use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn a_product_from_brand_to_price_and_back() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let t = token.as_str();

    // Create: brand, substance, store, product, package, price.
    let b = call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/brands",
        &brand("srpski-sport-lab"),
        201,
    )
    .await;
    assert_eq!(b["slug"], "srpski-sport-lab");
    assert_eq!(b["products"], 0);
    let brand_id = id(&b);
    let s = call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/substances",
        &substance("whey_protein"),
        201,
    )
    .await;
    assert_eq!(s["names"]["sr-Cyrl"], "Протеин сурутке");
    assert_eq!(s["evidence"], "A");
    let substance_id = id(&s);
    let st = call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/stores",
        &store("fit-shop-nis"),
        201,
    )
    .await;
    // The feed URL is shown without credentials, never in full.
    assert_eq!(st["feed_url"], "https://feeds.example.rs/cjenik.csv");
    assert_eq!(st["feed_configured"], true);
    assert!(!st.to_string().contains("s3cr3t") && !st.to_string().contains("tajna"));
    assert_eq!(decimal(&st["delivery_fee"]), dec!(350));
    assert_eq!(st["description_sr_latn"], "Suplementi u Nišu.");
    let store_id = id(&st);

    let card = call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products?lang=en",
        &product("ssl-whey-gold", &brand_id, "whey_protein"),
        201,
    )
    .await;
    let product_id = id(&card);
    assert_eq!(card["name"], "Whey Gold Vanilla");
    assert_eq!(card["brand"]["slug"], "srpski-sport-lab");
    assert_eq!(card["allergens"], json!(["milk"]));
    assert_eq!(card["substances"][0]["code"], "whey_protein");
    assert_eq!(card["substances"][0]["amount_per_serving"], "24");
    assert_eq!(card["packages"], json!([]));

    let package = call(
        &app,
        t,
        Method::POST,
        &format!("/api/v1/admin/products/{product_id}/packages"),
        &json!({ "size": "2270", "size_unit": "g", "servings": "75", "gtin": "400-6381 333931" }),
        201,
    )
    .await;
    assert_eq!(package["gtin"], "4006381333931");
    assert_eq!(package["product_id"], product_id.as_str());
    let package_id = id(&package);

    let price_path = format!("/api/v1/admin/stores/{store_id}/prices/{package_id}");
    let price = call(
        &app,
        t,
        Method::PUT,
        &price_path,
        &json!({ "price": "8990.00", "in_stock": true }),
        201,
    )
    .await;
    assert_eq!(price["source"], "manual");
    assert_eq!(decimal(&price["price"]), dec!(8990));

    // The public card shows it all.
    let public = app
        .get(&format!("/api/v1/products/{product_id}?lang=en"))
        .await;
    assert_eq!(public.status(), 200);
    let public: Value = public.json().await.unwrap();
    assert_eq!(public["description"], "Whey protein concentrate.");
    assert_eq!(public["packages"][0]["id"], package_id.as_str());
    let offer = &public["packages"][0]["offers"][0];
    assert_eq!(offer["store"]["slug"], "fit-shop-nis");
    assert_eq!(decimal(&offer["price"]), dec!(8990));
    assert_eq!(offer["source"], "manual");
    // Above the store's free-delivery threshold.
    assert_eq!(decimal(&offer["total_with_delivery"]), dec!(8990));

    // A price change (a discount) replaces the price and lands in the history.
    let discounted = call(
        &app, t, Method::PUT, &price_path,
        &json!({ "price": "8990", "discount_price": "7990.5", "discount_ends_at": "2099-01-01T00:00:00Z", "in_stock": true }),
        200,
    )
    .await;
    assert_eq!(decimal(&discounted["discount_price"]), dec!(7990.5));
    let history: Value = app
        .get(&format!("/api/v1/products/{product_id}/price-history"))
        .await
        .json()
        .await
        .unwrap();
    let points = history.as_array().unwrap();
    assert_eq!(points.len(), 2, "{history}");
    assert_eq!(decimal(&points[1]["discount_price"]), dec!(7990.5));
    assert!(
        points
            .iter()
            .all(|p| p["source"] == "manual" && p["store"] == "fit-shop-nis")
    );
    let prices: Value = app
        .get(&format!("/api/v1/products/{product_id}/prices"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        decimal(&prices["offers"][0]["effective_price"]),
        dec!(7990.5)
    );

    // Updates replace everything they cover.
    let renamed = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/brands/{brand_id}"),
        &json!({ "slug": "ssl", "name": "SSL", "is_local": true }),
        200,
    )
    .await;
    assert_eq!(renamed["products"], 1);
    assert!(renamed.get("origin_country").is_none());
    let mut changed = product("ssl-whey-gold-2", &brand_id, "whey_protein");
    changed["names"] = json!({ "en": { "name": "Whey Gold Chocolate" } });
    changed["substances"][0]["amount_per_serving"] = json!("25.5");
    changed["allergens"] = json!(["soy", "milk", "soy"]);
    changed["is_available"] = json!(false);
    let card = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/products/{product_id}?lang=sr-Latn"),
        &changed,
        200,
    )
    .await;
    assert_eq!(card["slug"], "ssl-whey-gold-2");
    assert_eq!(card["name"], "Whey Gold Chocolate");
    assert_eq!(card["name_locale"], "en");
    assert!(card.get("description").is_none(), "{card}");
    assert_eq!(card["allergens"], json!(["milk", "soy"]));
    assert_eq!(
        decimal(&card["substances"][0]["amount_per_serving"]),
        dec!(25.5)
    );
    assert_eq!(card["brand"]["slug"], "ssl");
    assert_eq!(
        card["packages"][0]["offers"].as_array().unwrap().len(),
        1,
        "packages stay"
    );
    let mut whey = substance("whey_protein");
    whey["names"] = json!({ "en": "Whey protein concentrate" });
    whey["evidence"] = Value::Null;
    let s = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/substances/{substance_id}"),
        &whey,
        200,
    )
    .await;
    assert_eq!(s["names"], json!({ "en": "Whey protein concentrate" }));
    assert!(s.get("evidence").is_none());
    let p = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/packages/{package_id}"),
        &json!({ "size": "2.27", "size_unit": "ml", "servings": "75.50" }),
        200,
    )
    .await;
    assert_eq!(
        (
            p["size"].as_str(),
            p["size_unit"].as_str(),
            p["servings"].as_str()
        ),
        (Some("2.27"), Some("ml"), Some("75.5"))
    );
    assert!(p.get("gtin").is_none());
    let mut quiet = store("fit-shop-nis");
    quiet["is_active"] = json!(false);
    quiet["city"] = Value::Null;
    quiet["description_en"] = Value::Null;
    let st = call(
        &app,
        t,
        Method::PUT,
        &format!("/api/v1/admin/stores/{store_id}"),
        &quiet,
        200,
    )
    .await;
    assert_eq!(st["is_active"], false);
    assert!(st.get("city").is_none() && st.get("description_en").is_none());
    let listed = call(
        &app,
        t,
        Method::GET,
        "/api/v1/admin/stores",
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "inactive stores are listed for admins"
    );
    let public: Value = app.get("/api/v1/stores").await.json().await.unwrap();
    assert_eq!(public, json!([]), "but not publicly");

    // Deletes refuse while something depends on the row, naming why.
    for (path, what) in [
        (format!("/api/v1/admin/brands/{brand_id}"), "products"),
        (
            format!("/api/v1/admin/substances/{substance_id}"),
            "products",
        ),
        (format!("/api/v1/admin/products/{product_id}"), "price"),
        (format!("/api/v1/admin/packages/{package_id}"), "price"),
        (format!("/api/v1/admin/stores/{store_id}"), "is_active"),
    ] {
        let problem =
            assert_problem(app.send(Method::DELETE, &path, t, &json!({})).await, 409).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(what),
            "{path}: {problem}"
        );
    }
    // Removing the price keeps its history, so the package still cannot go.
    call(&app, t, Method::DELETE, &price_path, &json!({}), 204).await;
    assert_problem(
        app.send(Method::DELETE, &price_path, t, &json!({})).await,
        404,
    )
    .await;
    let history: Value = app
        .get(&format!("/api/v1/products/{product_id}/price-history"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_problem(
        app.send(
            Method::DELETE,
            &format!("/api/v1/admin/packages/{package_id}"),
            t,
            &json!({}),
        )
        .await,
        409,
    )
    .await;

    // What nothing depends on can go: an unpriced package, product, substance, brand and store.
    let spare = call(
        &app,
        t,
        Method::POST,
        &format!("/api/v1/admin/products/{product_id}/packages"),
        &json!({ "size": "908", "size_unit": "g", "servings": "30" }),
        201,
    )
    .await;
    call(
        &app,
        t,
        Method::DELETE,
        &format!("/api/v1/admin/packages/{}", id(&spare)),
        &json!({}),
        204,
    )
    .await;
    let b2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/brands",
        &brand("other-brand"),
        201,
    )
    .await);
    let s2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/substances",
        &substance("casein"),
        201,
    )
    .await);
    let p2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products",
        &product("other-casein", &b2, "casein"),
        201,
    )
    .await);
    call(
        &app,
        t,
        Method::POST,
        &format!("/api/v1/admin/products/{p2}/packages"),
        &json!({ "size": "908", "size_unit": "g", "servings": "30", "gtin": "96385074" }),
        201,
    )
    .await;
    let st2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/stores",
        &store("empty-shop"),
        201,
    )
    .await);
    for path in [
        format!("/api/v1/admin/products/{p2}"),
        format!("/api/v1/admin/substances/{s2}"),
        format!("/api/v1/admin/brands/{b2}"),
        format!("/api/v1/admin/stores/{st2}"),
    ] {
        call(&app, t, Method::DELETE, &path, &json!({}), 204).await;
        assert_problem(app.send(Method::DELETE, &path, t, &json!({})).await, 404).await;
    }
    assert_problem(app.get(&format!("/api/v1/products/{p2}")).await, 404).await;
    let packages: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_packages WHERE product_id = $1::uuid")
            .bind(&p2)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(packages, 0);

    // Unknown ids are 404 for every write.
    let nobody = Uuid::now_v7();
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/api/v1/admin/brands/{nobody}"),
            brand("x"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{nobody}"),
            store("x"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/substances/{nobody}"),
            substance("xx"),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/products/{nobody}"),
            product("x", &brand_id, "whey_protein"),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/products/{nobody}/packages"),
            json!({ "size": 1, "size_unit": "g", "servings": 1 }),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/packages/{nobody}"),
            json!({ "size": 1, "size_unit": "g", "servings": 1 }),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{nobody}/prices/{package_id}"),
            json!({ "price": 1, "in_stock": true }),
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{store_id}/prices/{nobody}"),
            json!({ "price": 1, "in_stock": true }),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/stores/{store_id}/prices/{nobody}"),
            json!({}),
        ),
    ] {
        assert_problem(app.send(method, &path, t, &body).await, 404).await;
    }

    // One audit entry per change, with the id and slug (or code), never the feed's credentials.
    let entries = audit_actions(&app).await;
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    for expected in [
        "admin.brand_create",
        "admin.substance_create",
        "admin.store_create",
        "admin.product_create",
        "admin.package_create",
        "admin.price_set",
        "admin.brand_update",
        "admin.product_update",
        "admin.substance_update",
        "admin.package_update",
        "admin.store_update",
        "admin.price_delete",
        "admin.package_delete",
        "admin.product_delete",
        "admin.substance_delete",
        "admin.brand_delete",
        "admin.store_delete",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert_eq!(
        actions.iter().filter(|a| **a == "admin.price_set").count(),
        2
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "admin.brand_create")
            .count(),
        2
    );
    assert_eq!(entries.len(), 24, "{actions:?}");
    let (_, created) = entries
        .iter()
        .find(|(a, _)| a == "admin.product_create")
        .unwrap();
    assert_eq!(created["id"], product_id.as_str());
    assert_eq!(created["slug"], "ssl-whey-gold");
    let (_, set) = entries
        .iter()
        .find(|(a, _)| a == "admin.price_set")
        .unwrap();
    assert_eq!(
        (set["store_slug"].as_str(), set["created"].as_bool()),
        (Some("fit-shop-nis"), Some(true))
    );
    let everything =
        serde_json::to_string(&entries.iter().map(|(_, d)| d).collect::<Vec<_>>()).unwrap();
    assert!(
        !everything.contains("s3cr3t") && !everything.contains("tajna"),
        "{everything}"
    );
    let actor_is_admin: bool = sqlx::query_scalar(
        "SELECT bool_and(u.email = 'admin@example.rs') FROM audit_log a JOIN users u ON u.id = a.actor_id
         WHERE a.action LIKE 'admin.%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(actor_is_admin);
}

#[tokio::test]
async fn a_product_reads_back_in_every_language_exactly_as_it_is_replaced() {
    let app = TestApp::spawn_with(|c| c.database.seed_on_start = true).await;
    let token = app.admin().await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE slug = 'bsn-syntha-6'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let path = format!("/api/v1/admin/products/{id}");
    let before = call(&app, &token, Method::GET, &path, &Value::Null, 200).await;
    assert_eq!(before["slug"], "bsn-syntha-6");
    assert_eq!(before["product_type"], "protein");
    assert!(before["names"]["en"]["name"].is_string(), "{before}");
    assert!(before["names"]["sr-Latn"]["name"].is_string(), "{before}");
    assert!(
        !before["substances"].as_array().unwrap().is_empty(),
        "{before}"
    );
    assert_eq!(before["allergens"], json!(["egg", "milk", "soy"]));
    // What it reads is what the replacement takes: sent back unchanged, it reads the same.
    call(&app, &token, Method::PUT, &path, &before, 200).await;
    let after = call(&app, &token, Method::GET, &path, &Value::Null, 200).await;
    assert_eq!(before, after);

    let unknown = format!("/api/v1/admin/products/{}", uuid::Uuid::new_v4());
    call(&app, &token, Method::GET, &unknown, &Value::Null, 404).await;
    let athlete = app
        .register("runner@example.rs", crate::helpers::PASSWORD)
        .await;
    let response = app
        .get_authed(&path, athlete["token"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn admins_list_the_substances_with_their_names_in_every_language() {
    let app = TestApp::spawn_with(|c| c.database.seed_on_start = true).await;
    let token = app.admin().await;
    let list = call(
        &app,
        &token,
        Method::GET,
        "/api/v1/admin/substances",
        &Value::Null,
        200,
    )
    .await;
    let list = list.as_array().unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM substances")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(list.len() as i64, count);
    let caffeine = list
        .iter()
        .find(|s| s["code"] == "caffeine")
        .expect("caffeine");
    assert_eq!(caffeine["unit"], "mg");
    assert!(
        caffeine["names"]["en"].is_string() && caffeine["names"]["sr-Latn"].is_string(),
        "{caffeine}"
    );
    let athlete = app
        .register("runner@example.rs", crate::helpers::PASSWORD)
        .await;
    let response = app
        .get_authed(
            "/api/v1/admin/substances",
            athlete["token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(response.status(), 403);
}
