//! The catalogue under load and a large price-feed import.
//!
//! 1. Import a 10 000-row CSV price list through the API into a catalogue of the seeded products plus
//!    1 000 generated packages: 40 % of rows match by GTIN, 30 % only by brand, name and size, 30 %
//!    match nothing (they go to the review queue).
//! 2. `GET /api/v1/products` from 50 concurrent clients for 20 s, mixing an unfiltered page, a
//!    search, a filtered and price-sorted list and an allergen filter.
//!
//! Run: `cargo bench --bench catalogue_load` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/catalogue_load.json.

use std::time::Duration;

use common::{
    Node, gtin13, hammer, import_price_feed, now_rfc3339, proc_status, summary, write_result,
};
use serde_json::json;

mod common;

const CLIENTS: usize = 50;
const DURATION: Duration = Duration::from_secs(20);
const FEED_ROWS: usize = 10_000;
const GENERATED_PACKAGES: usize = 1_000;

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
    let url = node.url.clone();

    // A bigger catalogue: 1 000 generated products of 10 brands, one 1 kg package each.
    sqlx::query(
        "INSERT INTO brands (slug, name) SELECT 'bench-brand-' || b, 'Bench Brand ' || b FROM generate_series(0, 9) b",
    )
    .execute(&node.pool)
    .await?;
    let gtins: Vec<String> = (0..GENERATED_PACKAGES).map(|n| gtin13("209", n)).collect();
    sqlx::query(
        "WITH p AS (
             INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit, protein_g_per_100g)
             SELECT 'bench-product-' || n, (SELECT id FROM brands WHERE slug = 'bench-brand-' || (n % 10)),
                    'protein', 30, 'g', 75
             FROM generate_series(0, $1 - 1) n
             RETURNING id, slug
         ), t AS (
             INSERT INTO product_translations (product_id, locale, name)
             SELECT id, 'en', 'Bench Whey ' || split_part(slug, '-', 3) || ' Vanilla' FROM p
         )
         INSERT INTO product_packages (product_id, size, size_unit, servings, gtin)
         SELECT p.id, 1000, 'g', 33.33, ($2::text[])[split_part(p.slug, '-', 3)::int + 1] FROM p",
    )
    .bind(GENERATED_PACKAGES as i32)
    .bind(&gtins)
    .execute(&node.pool)
    .await?;

    let mut feed = String::from("sku,ean,brand,name,size,price,in_stock\n");
    for i in 0..FEED_ROWS {
        let n = i % GENERATED_PACKAGES;
        let price = 4000 + (i % 700);
        match i % 10 {
            0..=3 => feed.push_str(&format!("B{i},{},,Whey,1 kg,{price},1\n", gtins[n])),
            4..=6 => feed.push_str(&format!(
                "B{i},,Bench Brand {},Bench Whey {n} Vanilla,1000 g,{price},1\n",
                n % 10
            )),
            _ => feed.push_str(&format!(
                "B{i},,Unknown Maker {i},Mystery Mass {i},2 kg,{price},1\n"
            )),
        }
    }
    let store: uuid::Uuid = sqlx::query_scalar("SELECT id FROM stores WHERE slug = 'muscle-shop'")
        .fetch_one(&node.pool)
        .await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS + 2)
        .build()?;
    let registered = client
        .post(format!("{url}/api/v1/auth/register"))
        .json(
            &json!({ "email": "admin@bench.example.rs", "password": "kajmak i ajvar za doručak" }),
        )
        .send()
        .await?;
    anyhow::ensure!(
        registered.status() == 201,
        "register: {}",
        registered.status()
    );
    let admin: serde_json::Value = registered.json().await?;
    sqlx::query("UPDATE users SET role = 'admin'")
        .execute(&node.pool)
        .await?;
    let token = admin["token"].as_str().unwrap_or_default().to_owned();
    let feed_bytes = feed.len();
    let (run, import_ms) = import_price_feed(&client, &url, &token, store, feed).await?;

    let queries = [
        "/api/v1/products",
        "/api/v1/products?q=whey%20vanilla&per_page=20",
        "/api/v1/products?type=protein&sort=price_per_serving&in_stock=true",
        "/api/v1/products?allergen_free=milk,soy&sort=price_per_100g_protein&page=2",
    ];
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&node.pool)
        .await?;
    let urls: Vec<String> = queries.iter().map(|q| format!("{url}{q}")).collect();
    let (list_ms, rate) = hammer(&client, &urls, CLIENTS, DURATION).await?;

    let result = json!({
        "command": "cargo bench --bench catalogue_load",
        "date": now_rfc3339(),
        "machine": { "cpus": std::thread::available_parallelism()?.get() },
        "feed_import": {
            "rows": FEED_ROWS,
            "bytes": feed_bytes,
            "catalogue_packages": GENERATED_PACKAGES + 84,
            "wall_ms": import_ms.round(),
            "server_duration_ms": run["duration_ms"],
            "rows_applied": run["rows_applied"],
            "rows_queued": run["rows_queued"],
            "rows_rejected": run["rows_rejected"],
        },
        "products_list": {
            "concurrent_clients": CLIENTS,
            "duration_s": DURATION.as_secs(),
            "catalogue_products": products,
            "queries": queries,
            "latency": summary(list_ms),
            "requests_per_s": (rate * 10.0).round() / 10.0,
        },
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
    });
    write_result("catalogue_load.json", &result)?;
    node.stop().await
}
