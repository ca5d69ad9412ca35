//! The cache tier with real Redis servers of the tests' own: two nodes on one Redis and one
//! database see each other's writes within the staleness bound, share their rate limits, and keep
//! serving when Redis dies — replaying what they missed when it returns.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::{config::Config, db::seed};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, TestRedis, within};

fn with_redis(redis: &TestRedis, prefix: &str) -> impl Fn(&mut Config) {
    let (url, prefix) = (redis.url(), prefix.to_owned());
    move |c: &mut Config| {
        c.cache.backend = sports_nutrition::config::CacheBackend::Redis;
        c.cache.redis_url = Some(url.clone().into());
        c.cache.redis_prefix = prefix.clone();
    }
}

/// The price of the product's first offer in `store`.
async fn price_at(app: &TestApp, product: Uuid, store: &str) -> Option<String> {
    let card = app.json(&format!("/api/v1/products/{product}")).await;
    card["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["offers"].as_array().unwrap().iter())
        .find(|o| o["store"]["slug"] == store)
        .map(|o| o["price"].as_str().unwrap().to_owned())
}

async fn health(app: &TestApp) -> Value {
    app.get("/api/v1/health").await.json().await.unwrap()
}

#[tokio::test]
async fn a_write_on_one_node_is_read_on_the_other_within_the_bound() {
    let redis = TestRedis::start().await;
    let prefix = format!("t{}:", Uuid::new_v4().simple());
    let a = TestApp::spawn_with(with_redis(&redis, &prefix)).await;
    seed::run(&a.pool, false).await.unwrap();
    let b = a.another_node(|_| {}).await;
    assert_eq!(health(&a).await["redis"], "connected");
    assert_eq!(health(&b).await["redis"], "connected");

    let (product, package): (Uuid, Uuid) = sqlx::query_as(
        "SELECT pk.product_id, pk.id FROM product_packages pk JOIN prices pr ON pr.package_id = pk.id
         JOIN stores s ON s.id = pr.store_id WHERE s.slug = 'strong-shop' ORDER BY pk.gtin LIMIT 1",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    let store: Uuid = sqlx::query_scalar("SELECT id FROM stores WHERE slug = 'strong-shop'")
        .fetch_one(&a.pool)
        .await
        .unwrap();
    // Both nodes have the card cached.
    let before = price_at(&b, product, "strong-shop").await.unwrap();
    assert_eq!(price_at(&a, product, "strong-shop").await.unwrap(), before);
    assert_eq!(price_at(&b, product, "strong-shop").await.unwrap(), before);

    let admin = a.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = a
        .send(
            Method::PUT,
            &format!("/api/v1/admin/stores/{store}/prices/{package}"),
            &admin,
            &json!({ "price": "1234.50", "in_stock": true }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let took = within(Duration::from_millis(1500), async || {
        price_at(&b, product, "strong-shop").await.as_deref() == Some("1234.5")
    })
    .await;
    let took = took.expect("node B serves the new price within the 1 s bound (and a poll)");
    println!("node B saw node A's price after {took:?}");
    // And node A at once.
    assert_eq!(
        price_at(&a, product, "strong-shop").await.as_deref(),
        Some("1234.5")
    );

    // Reads are served from the cache: node B answered the card from Redis or its own tier.
    let stats = health(&b).await["cache_stats"]["kinds"].clone();
    let catalogue = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "catalogue")
        .unwrap()
        .clone();
    assert!(
        catalogue["hits"].as_u64().unwrap() + catalogue["redis_hits"].as_u64().unwrap() > 0,
        "{catalogue}"
    );
    b.stop().await.unwrap();
    a.stop().await.unwrap();
}

#[tokio::test]
async fn two_nodes_share_one_rate_limit() {
    let redis = TestRedis::start().await;
    let prefix = format!("t{}:", Uuid::new_v4().simple());
    let limited = |c: &mut Config| {
        c.rate_limit.public_requests = 6;
        c.rate_limit.window_secs = 600;
    };
    let a = TestApp::spawn_with(|c| {
        with_redis(&redis, &prefix)(c);
        limited(c);
    })
    .await;
    let b = a.another_node(|_| {}).await;
    assert_eq!(health(&a).await["rate_limits"], "shared");
    let mut statuses = Vec::new();
    for i in 0..8 {
        let node = if i % 2 == 0 { &a } else { &b };
        statuses.push(
            node.get("/api/v1/vocabularies/allergens")
                .await
                .status()
                .as_u16(),
        );
    }
    // Six between them, not six each.
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
    b.stop().await.unwrap();
    a.stop().await.unwrap();
}

#[tokio::test]
async fn redis_going_away_degrades_and_its_return_heals() {
    let mut redis = TestRedis::start().await;
    let prefix = format!("t{}:", Uuid::new_v4().simple());
    let a = TestApp::spawn_with(with_redis(&redis, &prefix)).await;
    seed::run(&a.pool, false).await.unwrap();
    let b = a.another_node(|_| {}).await;
    let token = a.register("atleta@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let product: Uuid =
        sqlx::query_scalar("SELECT id FROM products WHERE slug = 'on-micronized-creatine-powder'")
            .fetch_one(&a.pool)
            .await
            .unwrap();
    let name = |v: &Value| v["name"].as_str().unwrap().to_owned();
    let _ = b.json(&format!("/api/v1/products/{product}?lang=en")).await;

    redis.kill();
    // Requests keep succeeding from PostgreSQL; health says degraded, limits are per node.
    for app in [&a, &b] {
        assert_eq!(app.get("/api/v1/products?per_page=5").await.status(), 200);
        assert_eq!(
            app.get_authed("/api/v1/profile", &token).await.status(),
            200
        );
    }
    let degraded = within(Duration::from_secs(5), async || {
        health(&a).await["status"] == "degraded"
    })
    .await;
    assert!(degraded.is_some(), "{}", health(&a).await);
    let h = health(&a).await;
    assert_eq!(
        (h["redis"].as_str(), h["rate_limits"].as_str()),
        (Some("disconnected"), Some("local"))
    );
    assert_eq!(a.get("/health").await.status(), 200);

    // A write while Redis is away: node A knows at once; node B hears of it when Redis returns.
    sqlx::query("UPDATE product_translations SET name = 'Kreatin bez Redisa' WHERE locale = 'en' AND product_id = $1")
        .bind(product)
        .execute(&a.pool)
        .await
        .unwrap();
    let admin = a.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Any catalogue write invalidates: rename a brand through the API.
    let brand: Value = a.json("/api/v1/brands").await[0].clone();
    let r = a
        .send(
            Method::PUT,
            &format!("/api/v1/admin/brands/{}", brand["id"].as_str().unwrap()),
            &admin,
            &json!({ "slug": brand["slug"], "name": brand["name"], "origin_country": brand["origin_country"], "is_local": brand["is_local"] }),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        name(&a.json(&format!("/api/v1/products/{product}?lang=en")).await),
        "Kreatin bez Redisa"
    );
    assert!(
        health(&a).await["cache_stats"]["pending_invalidations"]
            .as_u64()
            .unwrap()
            >= 1
    );

    redis.restart().await;
    let healed = within(Duration::from_secs(10), async || {
        health(&a).await["status"] == "healthy" && health(&b).await["status"] == "healthy"
    })
    .await;
    assert!(
        healed.is_some(),
        "both nodes reconnect: {} / {}",
        health(&a).await,
        health(&b).await
    );
    assert_eq!(health(&a).await["rate_limits"], "shared");
    let seen = within(Duration::from_secs(3), async || {
        name(&b.json(&format!("/api/v1/products/{product}?lang=en")).await) == "Kreatin bez Redisa"
    })
    .await;
    assert!(
        seen.is_some(),
        "node B hears the invalidation node A made while Redis was away"
    );
    assert_eq!(health(&a).await["cache_stats"]["pending_invalidations"], 0);
    b.stop().await.unwrap();
    a.stop().await.unwrap();
}

#[tokio::test]
async fn sessions_and_profiles_are_cached_but_never_outlive_a_logout_or_an_edit() {
    let app = TestApp::spawn().await;
    let token = app.register("milica@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        assert_eq!(
            app.get_authed("/api/v1/profile", &token).await.status(),
            200
        );
    }
    let profile = json!({ "birth_date": "1995-05-05", "sex": "female", "weight_kg": 60, "height_cm": 168,
        "activity_level": "active", "sport": "endurance", "training_hours_per_week": 8, "goal": "maintain" });
    assert_eq!(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &profile)
            .await
            .status(),
        200
    );
    let t: Value = app
        .get_authed("/api/v1/nutrition/targets?date=2026-01-01", &token)
        .await
        .json()
        .await
        .unwrap();
    let mut heavier = profile.clone();
    heavier["weight_kg"] = json!(70);
    assert_eq!(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &heavier)
            .await
            .status(),
        200
    );
    let t2: Value = app
        .get_authed("/api/v1/nutrition/targets?date=2026-01-01", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        t2["bmr_kcal"].as_f64() > t["bmr_kcal"].as_f64(),
        "the cached profile was replaced"
    );
    let profile = app.get_authed("/api/v1/profile", &token).await;
    let profile: Value = profile.json().await.unwrap();
    assert_eq!(profile["health_profile"]["weight_kg"], 70.0, "{profile}");
    let health_profile: Value = app
        .get_authed("/api/v1/health-profile", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(health_profile["weight_kg"], 70.0, "{health_profile}");
    // The cached account follows a language change.
    let r = app
        .send(
            Method::PUT,
            "/api/v1/account/language",
            &token,
            &json!({ "language": "hu" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let profile: Value = app
        .get_authed("/api/v1/profile", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["account"]["language"], "hu", "{profile}");
    let r = app
        .authed(Method::POST, "/api/v1/auth/logout", &token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        app.get_authed("/api/v1/profile", &token).await.status(),
        401,
        "the cached session is gone"
    );
    let stats: Value = app.get("/api/v1/health").await.json().await.unwrap();
    let session = stats["cache_stats"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "session")
        .unwrap()
        .clone();
    assert!(session["hits"].as_u64().unwrap() >= 2, "{session}");
    let user = stats["cache_stats"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "user")
        .unwrap()
        .clone();
    assert!(
        user["hits"].as_u64().unwrap() >= 2,
        "the profile reads come from the cache: {user}"
    );
    app.stop().await.unwrap();
}
