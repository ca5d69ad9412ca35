//! Shopping plans and recommendations, end to end through the API, one request at a time.
//!
//! 1. A generated catalogue of 20 products with 3 package sizes each, sold in 15 stores with random
//!    prices, delivery fees, free-delivery thresholds and minimum orders (a fixed seed). 200 plans for
//!    10 products × 8 stores and 200 for 20 products × 15 stores: latency of `POST /shopping-plan`
//!    (the exact plan and the best single-store plan, both solved per request).
//! 2. 500 generated products over the seeded substances, and an athlete with six conditions and two
//!    medication classes: 200 × `GET /recommendations`.
//!
//! Run: `cargo bench --bench supplements_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/supplements_load.json.

use std::time::Instant;

use common::{Node, now_rfc3339, proc_status, summary, write_result};
use serde_json::{Value, json};
use uuid::Uuid;

mod common;

const REQUESTS: usize = 200;
const PRODUCTS: usize = 20;
const STORES: usize = 15;
const PACKAGES: usize = 3;
const CATALOGUE: usize = 500;

/// A small deterministic generator (SplitMix64), so every run prices the same catalogue.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let node = Node::start(|config| {
        config.database.seed_on_start = true;
        config.rate_limit.enabled = false;
        config.feeds.enabled = false;
    })
    .await?;
    let mut rng = Rng(0x5eed);

    // ---- 1. Shopping plans over a generated catalogue ----
    sqlx::query("INSERT INTO brands (slug, name) VALUES ('bench-plan', 'Bench Plan')")
        .execute(&node.pool)
        .await?;
    let mut products = Vec::new();
    for p in 0..PRODUCTS {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit)
             VALUES ($1, (SELECT id FROM brands WHERE slug = 'bench-plan'), 'creatine', 5, 'g') RETURNING id",
        )
        .bind(format!("bench-plan-{p}"))
        .fetch_one(&node.pool)
        .await?;
        sqlx::query(
            "INSERT INTO product_substances (product_id, substance_id, amount_per_serving)
             SELECT $1, id, 5 FROM substances WHERE code = 'creatine_monohydrate'",
        )
        .bind(id)
        .execute(&node.pool)
        .await?;
        products.push(id);
    }
    let mut stores = Vec::new();
    for s in 0..STORES {
        let slug = format!("bench-store-{s}");
        sqlx::query(
            "INSERT INTO stores (slug, name, delivery_fee, free_delivery_from, min_order) VALUES ($1, $1, $2, $3, $4)",
        )
        .bind(&slug)
        .bind(rust_decimal::Decimal::from(200 + rng.below(300)))
        .bind((rng.below(4) > 0).then(|| rust_decimal::Decimal::from(3000 + 1000 * rng.below(5))))
        .bind(rust_decimal::Decimal::from(if rng.below(3) == 0 { 1500 } else { 0 }))
        .execute(&node.pool)
        .await?;
        stores.push(slug);
    }
    for &product in &products {
        let per_serving = 40 + rng.below(80);
        for k in 0..PACKAGES as u64 {
            let servings = 30 * (k + 1);
            let package: Uuid = sqlx::query_scalar(
                "INSERT INTO product_packages (product_id, size, size_unit, servings) VALUES ($1, $2, 'g', $3) RETURNING id",
            )
            .bind(product)
            .bind(rust_decimal::Decimal::from(5 * servings))
            .bind(rust_decimal::Decimal::from(servings))
            .fetch_one(&node.pool)
            .await?;
            for store in &stores {
                if rng.below(10) < 8 {
                    // Bigger packages are cheaper per serving; each store prices within ±20 %.
                    let price =
                        per_serving * servings * (100 - 5 * k) / 100 * (80 + rng.below(41)) / 100;
                    sqlx::query(
                        "INSERT INTO prices (store_id, package_id, price) SELECT id, $2, $3 FROM stores WHERE slug = $1",
                    )
                    .bind(store)
                    .bind(package)
                    .bind(rust_decimal::Decimal::from(price))
                    .execute(&node.pool)
                    .await?;
                }
            }
        }
    }

    let client = reqwest::Client::new();
    let register = |email: &str, profile: Value| {
        let (client, url, email) = (client.clone(), node.url.clone(), email.to_owned());
        async move {
            let r: Value = client
                .post(format!("{url}/api/v1/auth/register"))
                .json(&json!({ "email": email, "password": "kajmak i ajvar za doručak" }))
                .send()
                .await?
                .json()
                .await?;
            let token = r["token"].as_str().unwrap_or_default().to_owned();
            let put = client
                .put(format!("{url}/api/v1/health-profile"))
                .bearer_auth(&token)
                .json(&profile)
                .send()
                .await?;
            anyhow::ensure!(put.status() == 200, "profile: {}", put.text().await?);
            anyhow::Ok(token)
        }
    };
    let healthy = register(
        "plan@bench.example.rs",
        json!({ "birth_date": "1992-05-05", "sex": "male", "weight_kg": 82, "height_cm": 181,
                "activity_level": "active", "sport": "strength_power", "training_hours_per_week": 6, "goal": "mass" }),
    )
    .await?;

    let mut plans = serde_json::Map::new();
    for (n_products, n_stores) in [(10usize, 8usize), (20, 15)] {
        let body = json!({
            "items": products[..n_products].iter().map(|p| json!({ "product_id": p, "servings_per_day": 1 })).collect::<Vec<_>>(),
            "days": 90,
            "stores": stores[..n_stores],
        });
        let mut ms = Vec::new();
        let mut total = Value::Null;
        for _ in 0..REQUESTS {
            let t = Instant::now();
            let r = client
                .post(format!("{}/api/v1/shopping-plan", node.url))
                .bearer_auth(&healthy)
                .json(&body)
                .send()
                .await?;
            anyhow::ensure!(r.status() == 200, "plan: {}", r.text().await?);
            let plan: Value = r.json().await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            total = json!({ "total": plan["total"], "stores_used": plan["stores"].as_array().map_or(0, Vec::len),
                            "best_single_store": plan["best_single_store"]["total"], "saving": plan["saving"] });
        }
        plans.insert(
            format!("{n_products}_products_x_{n_stores}_stores_x_{PACKAGES}_packages"),
            json!({ "latency": summary(ms), "days": 90, "plan": total }),
        );
    }

    // ---- 2. Recommendations over 500 products ----
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM substances ORDER BY code")
        .fetch_all(&node.pool)
        .await?;
    sqlx::query("INSERT INTO brands (slug, name) VALUES ('bench-rec', 'Bench Rec')")
        .execute(&node.pool)
        .await?;
    let types = [
        "protein",
        "creatine",
        "amino",
        "vitamin_mineral",
        "pre_workout",
        "carbohydrate",
        "electrolyte",
        "other",
    ];
    let seeded: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&node.pool)
        .await?;
    for p in 0..(CATALOGUE as i64 - seeded).max(0) {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit)
             VALUES ($1, (SELECT id FROM brands WHERE slug = 'bench-rec'), $2, 10, 'g') RETURNING id",
        )
        .bind(format!("bench-rec-{p}"))
        .bind(types[rng.below(types.len() as u64) as usize])
        .fetch_one(&node.pool)
        .await?;
        sqlx::query(
            "INSERT INTO product_translations (product_id, locale, name) VALUES ($1, 'en', $2)",
        )
        .bind(id)
        .bind(format!("Bench product {p}"))
        .execute(&node.pool)
        .await?;
        let picked: Vec<&String> = (0..1 + rng.below(3))
            .map(|_| &codes[rng.below(codes.len() as u64) as usize])
            .collect();
        for code in picked {
            sqlx::query(
                "INSERT INTO product_substances (product_id, substance_id, amount_per_serving)
                 SELECT $1, id, $3 FROM substances WHERE code = $2 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(code)
            .bind(rust_decimal::Decimal::from(1 + rng.below(20)))
            .execute(&node.pool)
            .await?;
        }
        let package: Uuid = sqlx::query_scalar(
            "INSERT INTO product_packages (product_id, size, size_unit, servings) VALUES ($1, 300, 'g', 30) RETURNING id",
        )
        .bind(id)
        .fetch_one(&node.pool)
        .await?;
        sqlx::query("INSERT INTO prices (store_id, package_id, price) SELECT id, $1, $2 FROM stores WHERE slug = 'muscle-shop'")
            .bind(package)
            .bind(rust_decimal::Decimal::from(1000 + rng.below(4000)))
            .execute(&node.pool)
            .await?;
    }
    let catalogue: i64 = sqlx::query_scalar("SELECT count(*) FROM products WHERE is_available")
        .fetch_one(&node.pool)
        .await?;
    let ill = register(
        "rec@bench.example.rs",
        json!({ "birth_date": "1980-02-02", "sex": "female", "weight_kg": 68, "height_cm": 168,
                "activity_level": "moderate", "sport": "endurance", "training_hours_per_week": 8, "goal": "endurance",
                "allergies": ["milk", "soy"],
                "conditions": ["hypertension", "chronic_kidney_disease", "diabetes_type_2", "anxiety_disorder", "liver_disease", "gout"],
                "medications": ["ssri", "anticoagulant_warfarin"] }),
    )
    .await?;
    let mut ms = Vec::new();
    let (mut items, mut excluded) = (0, 0);
    for _ in 0..REQUESTS {
        let t = Instant::now();
        let r = client
            .get(format!(
                "{}/api/v1/recommendations?limit=20&lang=sr-Latn",
                node.url
            ))
            .bearer_auth(&ill)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "recommendations: {}", r.text().await?);
        let body: Value = r.json().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        items = body["items"].as_array().map_or(0, Vec::len);
        excluded = body["excluded"].as_array().map_or(0, Vec::len);
    }

    let result = json!({
        "command": "cargo bench --bench supplements_load",
        "date": now_rfc3339(),
        "machine": { "cpus": std::thread::available_parallelism()?.get() },
        "sequential_requests_each": REQUESTS,
        "shopping_plan": plans,
        "recommendations": {
            "catalogue_products": catalogue,
            "conditions": 6, "medication_classes": 2, "allergies": 2,
            "latency": summary(ms),
            "items_returned": items,
            "products_excluded": excluded,
        },
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
    });
    write_result("supplements_load.json", &result)?;
    node.stop().await
}
