//! The catalogue as admins edit it: brands, stores, substances, products, packages and prices,
//! each change validated, audited and all-or-nothing, and seen by the public catalogue.

use reqwest::Method;
use rust_decimal::{Decimal, dec};
use serde_json::{Value, json};
use sports_nutrition::db::seed;
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, problem_fields};

/// `method path` as `token` with `body`; asserts the status and returns the body (null when empty).
async fn call(
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
async fn fields_of(
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
fn decimal(value: &Value) -> Decimal {
    value.as_str().expect("a decimal string").parse().unwrap()
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn brand(slug: &str) -> Value {
    json!({ "slug": slug, "name": "Srpski Sport Lab", "origin_country": "RS", "is_local": true })
}

fn substance(code: &str) -> Value {
    json!({
        "code": code, "unit": "g", "evidence": "A",
        "names": { "en": "Whey protein", "sr-Latn": "Protein surutke", "sr-Cyrl": "Протеин сурутке" }
    })
}

fn store(slug: &str) -> Value {
    json!({
        "slug": slug, "name": "Fit Shop Niš", "website": "https://fitshop.example.rs", "city": "Niš",
        "delivery_fee": "350.00", "free_delivery_from": "5000", "min_order": "0",
        "delivery_days_min": 1, "delivery_days_max": 3,
        "feed_url": "https://ana:tajna@feeds.example.rs/cjenik.csv?token=s3cr3t",
        "is_active": true,
        "description_en": "Supplements in Niš.", "description_sr_latn": "Suplementi u Nišu."
    })
}

fn product(slug: &str, brand_id: &str, substance_code: &str) -> Value {
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

async fn audit_actions(app: &TestApp) -> Vec<(String, Value)> {
    sqlx::query_as("SELECT action, details FROM audit_log WHERE action LIKE 'admin.%' ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

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

#[tokio::test]
async fn every_invalid_field_is_named() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let t = token.as_str();
    let brand_id = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/brands",
        &brand("ssl"),
        201,
    )
    .await);
    call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/substances",
        &substance("whey_protein"),
        201,
    )
    .await;
    let store_id = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/stores",
        &store("fit-shop"),
        201,
    )
    .await);
    let product_id = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products",
        &product("whey", &brand_id, "whey_protein"),
        201,
    )
    .await);
    let package_id = id(&call(
        &app,
        t,
        Method::POST,
        &format!("/api/v1/admin/products/{product_id}/packages"),
        &json!({ "size": "1000", "size_unit": "g", "servings": "33" }),
        201,
    )
    .await);
    let price_path = format!("/api/v1/admin/stores/{store_id}/prices/{package_id}");

    let cases: Vec<(Method, String, Value, Vec<&str>)> = vec![
        (
            Method::POST,
            "/api/v1/admin/brands".into(),
            json!({ "slug": "Bad Slug", "name": "  ", "origin_country": "SRB", "is_local": false }),
            vec!["slug", "name", "origin_country"],
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/brands/{brand_id}"),
            json!({ "slug": "a".repeat(81), "name": "x".repeat(121), "is_local": false }),
            vec!["slug", "name"],
        ),
        (
            Method::POST,
            "/api/v1/admin/stores".into(),
            json!({
                "slug": "fit--shop", "name": "", "website": "ftp://fitshop.rs", "city": "c".repeat(101),
                "delivery_fee": "-1", "free_delivery_from": "1.234", "min_order": "10000000000",
                "delivery_days_min": 61, "delivery_days_max": 60, "feed_url": "feeds.example.rs/cjenik.csv",
                "is_active": true, "description_en": "d".repeat(2001), "description_sr_latn": "ok"
            }),
            vec![
                "slug",
                "name",
                "website",
                "city",
                "delivery_fee",
                "free_delivery_from",
                "min_order",
                "delivery_days_min",
                "feed_url",
                "description_en",
            ],
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{store_id}"),
            json!({ "slug": "fit-shop", "name": "Fit", "delivery_fee": 0, "min_order": 0,
                    "delivery_days_min": 5, "delivery_days_max": 2, "is_active": true }),
            vec!["delivery_days_max"],
        ),
        (
            Method::POST,
            "/api/v1/admin/substances".into(),
            json!({ "code": "Vitamin-D", "unit": "ug", "names": { "de": "Vitamin D", "sr-Latn": "" } }),
            vec!["code", "names.de", "names.sr-Latn", "names"],
        ),
        (
            Method::POST,
            "/api/v1/admin/products".into(),
            json!({
                "slug": "-whey", "brand_id": Uuid::now_v7(), "product_type": "protein",
                "serving_size": "0", "serving_unit": "g", "energy_kcal_per_100g": "901",
                "protein_g_per_100g": "78.55", "carbohydrate_g_per_100g": "-1", "fat_g_per_100g": "100",
                "is_available": true, "names": {},
                "substances": [
                    { "code": "unicorn_dust", "amount_per_serving": "1" },
                    { "code": "whey_protein", "amount_per_serving": "0" },
                    { "code": "whey_protein", "amount_per_serving": "1.0005" }
                ],
                "allergens": ["milk", "gluten_free"]
            }),
            vec![
                "slug",
                "serving_size",
                "energy_kcal_per_100g",
                "protein_g_per_100g",
                "carbohydrate_g_per_100g",
                "names",
                "brand_id",
                "substances[0].code",
                "substances[1].amount_per_serving",
                "substances[2].code",
                "substances[2].amount_per_serving",
                "allergens[1]",
            ],
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/products/{product_id}"),
            json!({
                "slug": "whey", "brand_id": brand_id, "product_type": "protein", "serving_size": "30",
                "serving_unit": "g", "is_available": true,
                "names": { "xx": { "name": "Whey" }, "en": { "name": "", "description": "d".repeat(5001) } }
            }),
            vec!["names.en.name", "names.en.description", "names.xx"],
        ),
        (
            Method::POST,
            format!("/api/v1/admin/products/{product_id}/packages"),
            json!({ "size": "0", "size_unit": "g", "servings": "-1", "gtin": "4006381333932" }),
            vec!["size", "servings", "gtin"],
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/packages/{package_id}"),
            json!({ "size": "1.005", "size_unit": "unit", "servings": "1000000", "gtin": "123" }),
            vec!["size", "servings", "gtin"],
        ),
        (
            Method::PUT,
            price_path.clone(),
            json!({ "price": "0", "in_stock": true }),
            vec!["price"],
        ),
        (
            Method::PUT,
            price_path.clone(),
            json!({ "price": "1000", "discount_price": "1000", "in_stock": true }),
            vec!["discount_price"],
        ),
        (
            Method::PUT,
            price_path.clone(),
            json!({ "price": "1000", "discount_starts_at": "2030-01-02T00:00:00Z",
                    "discount_ends_at": "2030-01-01T00:00:00Z", "in_stock": true }),
            vec!["discount_starts_at", "discount_ends_at", "discount_ends_at"],
        ),
        (
            Method::PUT,
            price_path.clone(),
            json!({ "price": "1000.001", "discount_price": "900", "discount_starts_at": "2030-01-02T00:00:00Z",
                    "discount_ends_at": "2030-01-02T00:00:00Z", "in_stock": true }),
            vec!["price", "discount_ends_at"],
        ),
    ];
    for (method, path, body, expected) in cases {
        let fields = fields_of(&app, t, method.clone(), &path, &body, 422).await;
        let mut fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let mut expected = expected;
        fields.sort();
        expected.sort();
        assert_eq!(fields, expected, "{method} {path}");
    }

    // Values of the wrong type are malformed requests naming the property.
    let mut wrong_product = product("whey-2", &brand_id, "whey_protein");
    wrong_product["substances"][0]["amount_per_serving"] = json!("a lot");
    let wrong_types: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/admin/brands".into(),
            json!({ "slug": "x", "name": "X", "is_local": "yes" }),
            "is_local",
        ),
        (
            Method::POST,
            "/api/v1/admin/brands".into(),
            json!({ "name": "X", "is_local": true }),
            "slug",
        ),
        (
            Method::POST,
            "/api/v1/admin/stores".into(),
            {
                let mut s = store("y");
                s["delivery_fee"] = json!("lots");
                s
            },
            "delivery_fee",
        ),
        (
            Method::POST,
            "/api/v1/admin/stores".into(),
            {
                let mut s = store("y");
                s["delivery_days_max"] = json!(-2);
                s
            },
            "delivery_days_max",
        ),
        (
            Method::POST,
            "/api/v1/admin/substances".into(),
            {
                let mut s = substance("zinc");
                s["unit"] = json!("kg");
                s
            },
            "unit",
        ),
        (
            Method::POST,
            "/api/v1/admin/substances".into(),
            {
                let mut s = substance("zinc");
                s["evidence"] = json!("E");
                s
            },
            "evidence",
        ),
        (
            Method::POST,
            "/api/v1/admin/products".into(),
            {
                let mut p = product("w", &brand_id, "whey_protein");
                p["product_type"] = json!("steroid");
                p
            },
            "product_type",
        ),
        (
            Method::POST,
            "/api/v1/admin/products".into(),
            {
                let mut p = product("w", &brand_id, "whey_protein");
                p["brand_id"] = json!("nope");
                p
            },
            "brand_id",
        ),
        (
            Method::POST,
            "/api/v1/admin/products".into(),
            wrong_product,
            "substances[0].amount_per_serving",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/packages/{package_id}"),
            json!({ "size": 1, "size_unit": "lb", "servings": 1 }),
            "size_unit",
        ),
        (
            Method::PUT,
            price_path.clone(),
            json!({ "price": "100", "in_stock": "maybe" }),
            "in_stock",
        ),
        (
            Method::PUT,
            price_path.clone(),
            json!({ "price": "100", "in_stock": true, "discount_ends_at": "soon" }),
            "discount_ends_at",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/not-a-uuid/prices/{package_id}"),
            json!({ "price": "100", "in_stock": true }),
            "store_id",
        ),
    ];
    for (method, path, body, field) in wrong_types {
        let fields = fields_of(&app, t, method.clone(), &path, &body, 400).await;
        assert_eq!(fields, [field], "{method} {path} {body}");
    }
    let lang = fields_of(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products?lang=xx",
        &product("w", &brand_id, "whey_protein"),
        422,
    )
    .await;
    assert_eq!(lang, ["lang"]);

    // Only the setup was written.
    assert_eq!(audit_actions(&app).await.len(), 5);
}

#[tokio::test]
async fn taken_slugs_codes_and_gtins_are_conflicts() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let t = token.as_str();
    let b1 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/brands",
        &brand("ssl"),
        201,
    )
    .await);
    let b2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/brands",
        &brand("other"),
        201,
    )
    .await);
    let s1 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/substances",
        &substance("whey_protein"),
        201,
    )
    .await);
    call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/substances",
        &substance("casein"),
        201,
    )
    .await;
    call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/stores",
        &store("fit-shop"),
        201,
    )
    .await;
    let st2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/stores",
        &store("other-shop"),
        201,
    )
    .await);
    let p1 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products",
        &product("whey", &b1, "whey_protein"),
        201,
    )
    .await);
    let p2 = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products",
        &product("casein", &b1, "casein"),
        201,
    )
    .await);
    let packages = format!("/api/v1/admin/products/{p1}/packages");
    call(
        &app,
        t,
        Method::POST,
        &packages,
        &json!({ "size": "1000", "size_unit": "g", "servings": "33", "gtin": "4006381333931" }),
        201,
    )
    .await;
    let pk2 = id(&call(
        &app,
        t,
        Method::POST,
        &format!("/api/v1/admin/products/{p2}/packages"),
        &json!({ "size": "1000", "size_unit": "g", "servings": "33" }),
        201,
    )
    .await);
    let before = audit_actions(&app).await.len();

    for (method, path, body, field) in [
        (
            Method::POST,
            "/api/v1/admin/brands".to_owned(),
            brand("ssl"),
            "slug",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/brands/{b2}"),
            brand("ssl"),
            "slug",
        ),
        (
            Method::POST,
            "/api/v1/admin/substances".to_owned(),
            substance("whey_protein"),
            "code",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/substances/{s1}"),
            substance("casein"),
            "code",
        ),
        (
            Method::POST,
            "/api/v1/admin/stores".to_owned(),
            store("fit-shop"),
            "slug",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/stores/{st2}"),
            store("fit-shop"),
            "slug",
        ),
        (
            Method::POST,
            "/api/v1/admin/products".to_owned(),
            product("whey", &b2, "casein"),
            "slug",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/products/{p2}"),
            product("whey", &b1, "casein"),
            "slug",
        ),
        (
            Method::POST,
            packages.clone(),
            json!({ "size": "500", "size_unit": "g", "servings": "16", "gtin": "4006381333931" }),
            "gtin",
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/packages/{pk2}"),
            json!({ "size": "500", "size_unit": "g", "servings": "16", "gtin": "4006-381-333931" }),
            "gtin",
        ),
    ] {
        assert_eq!(
            fields_of(&app, t, method.clone(), &path, &body, 409).await,
            [field],
            "{method} {path}"
        );
    }
    // Nothing was written or audited, and the rows kept their values.
    assert_eq!(audit_actions(&app).await.len(), before);
    let slugs: Vec<String> = sqlx::query_scalar("SELECT slug FROM brands ORDER BY slug")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(slugs, ["other", "ssl"]);
}

#[tokio::test]
async fn a_failing_request_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let t = token.as_str();
    let brand_id = id(&call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/brands",
        &brand("ssl"),
        201,
    )
    .await);
    call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/substances",
        &substance("whey_protein"),
        201,
    )
    .await;

    // One unknown substance among good ones: no product, no translations, no audit entry.
    let mut body = product("whey", &brand_id, "whey_protein");
    body["substances"] = json!([
        { "code": "whey_protein", "amount_per_serving": "24" },
        { "code": "unicorn_dust", "amount_per_serving": "1" }
    ]);
    let fields = fields_of(&app, t, Method::POST, "/api/v1/admin/products", &body, 422).await;
    assert_eq!(fields, ["substances[1].code"]);
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM product_translations),
                (SELECT count(*) FROM audit_log WHERE action = 'admin.product_create')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(counts, (0, 0, 0));

    // A replace the database refuses (the new slug is taken) leaves the product as it was.
    let card = call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products?lang=en",
        &product("whey", &brand_id, "whey_protein"),
        201,
    )
    .await;
    call(
        &app,
        t,
        Method::POST,
        "/api/v1/admin/products",
        &product("casein", &brand_id, "whey_protein"),
        201,
    )
    .await;
    let mut replaced = product("casein", &brand_id, "whey_protein");
    replaced["names"] = json!({ "hu": { "name": "Tejsavó" } });
    replaced["allergens"] = json!([]);
    assert_eq!(
        fields_of(
            &app,
            t,
            Method::PUT,
            &format!("/api/v1/admin/products/{}", id(&card)),
            &replaced,
            409
        )
        .await,
        ["slug"]
    );
    let after: Value = app
        .get(&format!("/api/v1/products/{}?lang=en", id(&card)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["slug"], "whey");
    assert_eq!(after["name"], "Whey Gold Vanilla");
    assert_eq!(after["allergens"], json!(["milk"]));
    assert_eq!(audit_actions(&app).await.len(), 4);
}

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
