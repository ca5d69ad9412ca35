//! The catalogue under load with caching off, with the in-process cache and with Redis, in one run:
//! `GET /api/v1/products` (four kinds of list) and `GET /api/v1/products/{id}` from 50 concurrent
//! clients for 10 s each, over the seeded catalogue plus 1 000 generated products.
//!
//! Run: `cargo bench --bench cache_load` (needs the PostgreSQL of TEST_DATABASE_URL and the Redis of
//! TEST_REDIS_URL, defaults postgres://postgres@127.0.0.1:5432/postgres and redis://127.0.0.1:6379/).
//! Writes bench/results/cache_load.json.

use std::time::{Duration, Instant};

use common::{Node, now_rfc3339, proc_status, summary, write_result};
use serde_json::json;
use uuid::Uuid;

mod common;

const CLIENTS: usize = 50;
const DURATION: Duration = Duration::from_secs(10);
const PRODUCTS: i32 = 1000;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

/// Requests per second and latency of `paths` (taken in turn) from [`CLIENTS`] clients.
async fn load(url: &str, paths: &[String]) -> anyhow::Result<serde_json::Value> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS + 2)
        .build()?;
    let started = Instant::now();
    let deadline = started + DURATION;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, url, paths) = (client.clone(), url.to_owned(), paths.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            let mut i = c;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = client
                    .get(format!("{url}{}", paths[i % paths.len()]))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                i += 1;
            }
            ms
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let rps = all.len() as f64 / started.elapsed().as_secs_f64();
    Ok(json!({ "requests_per_s": (rps * 10.0).round() / 10.0, "latency": summary(all) }))
}

async fn run() -> anyhow::Result<()> {
    let redis_url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    let mut results = serde_json::Map::new();
    for mode in ["off", "memory", "redis"] {
        let prefix = format!("bench{}:", Uuid::new_v4().simple());
        let node = Node::start(|c| {
            c.database.seed_on_start = true;
            c.rate_limit.enabled = false;
            c.feeds.enabled = false;
            c.database.max_connections = 16;
            match mode {
                "off" => c.cache.enabled = false,
                "redis" => {
                    c.cache.backend = sports_nutrition::config::CacheBackend::Redis;
                    c.cache.redis_url = Some(redis_url.clone().into());
                    c.cache.redis_prefix = prefix.clone();
                }
                _ => {}
            }
        })
        .await?;
        sqlx::query("INSERT INTO brands (slug, name) SELECT 'bench-brand-' || b, 'Bench Brand ' || b FROM generate_series(0, 9) b")
            .execute(&node.pool)
            .await?;
        sqlx::query(
            "WITH p AS (
                 INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit, protein_g_per_100g)
                 SELECT 'bench-product-' || n, (SELECT id FROM brands WHERE slug = 'bench-brand-' || (n % 10)),
                        'protein', 30, 'g', 75
                 FROM generate_series(0, $1 - 1) n RETURNING id, slug
             ), t AS (
                 INSERT INTO product_translations (product_id, locale, name)
                 SELECT id, 'en', 'Bench Whey ' || split_part(slug, '-', 3) || ' Vanilla' FROM p
             ), pk AS (
                 INSERT INTO product_packages (product_id, size, size_unit, servings)
                 SELECT p.id, 1000, 'g', 33.33 FROM p RETURNING id
             )
             INSERT INTO prices (store_id, package_id, price)
             SELECT s.id, pk.id, 4000 + (abs(hashtext(pk.id::text || s.slug)) % 700)
             FROM pk CROSS JOIN stores s WHERE s.slug IN ('muscle-shop', 'strong-shop')",
        )
        .bind(PRODUCTS)
        .execute(&node.pool)
        .await?;
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM products ORDER BY slug LIMIT 200")
            .fetch_all(&node.pool)
            .await?;
        let lists: Vec<String> = [
            "/api/v1/products",
            "/api/v1/products?q=whey%20vanilla&per_page=20",
            "/api/v1/products?type=protein&sort=price_per_serving&in_stock=true",
            "/api/v1/products?allergen_free=milk,soy&sort=price_per_100g_protein&page=2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let cards: Vec<String> = ids
            .iter()
            .map(|id| format!("/api/v1/products/{id}"))
            .collect();
        let list = load(&node.url, &lists).await?;
        let card = load(&node.url, &cards).await?;
        results.insert(
            mode.into(),
            json!({ "products_list": list, "product_card": card }),
        );
        node.stop().await?;
    }
    let rps = |mode: &str, what: &str| {
        results[mode][what]["requests_per_s"]
            .as_f64()
            .unwrap_or(0.0)
    };
    let result = json!({
        "command": "cargo bench --bench cache_load",
        "date": now_rfc3339(),
        "machine": { "cpus": std::thread::available_parallelism()?.get() },
        "concurrent_clients": CLIENTS,
        "duration_s_each": DURATION.as_secs(),
        "catalogue_products": PRODUCTS + 47,
        "results": results,
        "throughput_vs_off": {
            "products_list": { "memory": rps("memory", "products_list") / rps("off", "products_list"),
                               "redis": rps("redis", "products_list") / rps("off", "products_list") },
            "product_card": { "memory": rps("memory", "product_card") / rps("off", "product_card"),
                              "redis": rps("redis", "product_card") / rps("off", "product_card") },
        },
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
    });
    write_result("cache_load.json", &result)?;
    Ok(())
}
