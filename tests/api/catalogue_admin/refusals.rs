//! Refused changes: every invalid field named, taken slugs, codes and GTINs as conflicts, and
//! nothing written.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{audit_actions, brand, call, fields_of, id, product, store, substance};
use crate::helpers::TestApp;

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
