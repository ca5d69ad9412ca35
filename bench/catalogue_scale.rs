//! The catalogue at a country's size, uncached: what every search a user types costs.
//!
//! 1. 10 000 generated products (50 brands, five types, names in English and Serbian Latin, a third
//!    with milk, the creatine ones with creatine), one package each with a GTIN, and 30 stores (the 7
//!    seeded and 23 generated). Every store's 10 000-row CSV price list goes through the real
//!    price-feed import (`POST /admin/stores/{id}/price-feed`, matched by GTIN): 300 000 price rows.
//! 2. With the cache off: each catalogue query one at a time (p50/p99 at c1), then all of them mixed
//!    from 50 concurrent clients (requests/s at c50); a product card at c1; a 10-product shopping plan
//!    over the 30 stores at c1. The plan of each catalogue query (`EXPLAIN ANALYZE`) is kept in the
//!    result.
//!
//! Run: `cargo bench --bench catalogue_scale` (needs the PostgreSQL of TEST_DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Writes bench/results/catalogue_scale.json.

use std::time::{Duration, Instant};

use common::{
    Node, gtin13, hammer, import_price_feed, now_rfc3339, proc_status, summary, write_result,
};
use serde_json::{Value, json};
use sports_nutrition::{db::catalogue, domain::account::Locale};

mod common;

const PRODUCTS: usize = 10_000;
const GENERATED_STORES: usize = 23;
const C1_REQUESTS: usize = 200;
const CLIENTS: usize = 50;
const C50_DURATION: Duration = Duration::from_secs(15);

/// What the catalogue's users ask: a plain page and a deep one, searches in both scripts (with and
/// without diacritics; one word matching a fifth of the catalogue), filters, and each price sort.
const QUERIES: &[&str] = &[
    "/api/v1/products?lang=en",
    "/api/v1/products?lang=en&page=250",
    "/api/v1/products?q=whey%204217&lang=en",
    "/api/v1/products?q=whey&lang=en",
    "/api/v1/products?q=cokolada%20731&lang=sr-Latn",
    "/api/v1/products?q=%D1%87%D0%BE%D0%BA%D0%BE%D0%BB%D0%B0%D0%B4%D0%B0%20731&lang=sr-Cyrl",
    "/api/v1/products?type=protein&in_stock=true&sort=price_per_serving",
    "/api/v1/products?allergen_free=milk,soy&sort=price_per_100g_protein&page=2",
    "/api/v1/products?brand=scale-brand-7&sort=price",
    "/api/v1/products?substance=creatine&min_price=3000&max_price=3500",
];

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let node = Node::start(|config| {
        config.database.seed_on_start = true;
        config.rate_limit.enabled = false;
        config.feeds.enabled = false;
        config.cache.enabled = false;
    })
    .await?;
    let (url, pool) = (node.url.clone(), node.pool.clone());

    let gtins: Vec<String> = (0..PRODUCTS).map(|n| gtin13("208", n)).collect();
    let t = Instant::now();
    for sql in [
        "INSERT INTO brands (slug, name) SELECT 'scale-brand-' || b, 'Scale Brand ' || b FROM generate_series(0, 49) b",
        "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit, protein_g_per_100g)
         SELECT 'scale-product-' || n, (SELECT id FROM brands WHERE slug = 'scale-brand-' || (n % 50)),
                (ARRAY['protein', 'creatine', 'amino', 'vitamin_mineral', 'pre_workout'])[n % 5 + 1], 30, 'g',
                CASE WHEN n % 5 = 0 THEN 75 END
         FROM generate_series(0, {PRODUCTS} - 1) n",
        "INSERT INTO product_translations (product_id, locale, name)
         SELECT p.id, l.locale, CASE l.locale
                WHEN 'en' THEN (ARRAY['Whey', 'Creatine', 'Amino', 'Vitamin', 'Pump'])[n % 5 + 1] || ' ' || n || ' Chocolate'
                ELSE (ARRAY['Protein', 'Kreatin', 'Amino', 'Vitamin', 'Pumpa'])[n % 5 + 1] || ' ' || n || ' čokolada' END
         FROM (SELECT id, split_part(slug, '-', 3)::int AS n FROM products WHERE slug LIKE 'scale-product-%') p
         CROSS JOIN (VALUES ('en'), ('sr-Latn')) AS l (locale)",
        "INSERT INTO product_allergens (product_id, code)
         SELECT id, 'milk' FROM products WHERE slug LIKE 'scale-product-%' AND split_part(slug, '-', 3)::int % 3 = 0",
        "INSERT INTO product_substances (product_id, substance_id, amount_per_serving)
         SELECT p.id, s.id, 5 FROM products p, substances s
         WHERE p.slug LIKE 'scale-product-%' AND p.product_type = 'creatine' AND s.code = 'creatine'",
        "INSERT INTO product_packages (product_id, size, size_unit, servings, gtin)
         SELECT id, 1000, 'g', 33.33, ($1::text[])[split_part(slug, '-', 3)::int + 1]
         FROM products WHERE slug LIKE 'scale-product-%'",
        "INSERT INTO stores (slug, name, delivery_fee, free_delivery_from)
         SELECT 'scale-store-' || s, 'Scale Store ' || s, 250 + 10 * s, 5000 FROM generate_series(0, {GENERATED_STORES} - 1) s",
    ] {
        let sql = sql
            .replace("{PRODUCTS}", &PRODUCTS.to_string())
            .replace("{GENERATED_STORES}", &GENERATED_STORES.to_string());
        let query = sqlx::query(&sql);
        let query = if sql.contains("$1") {
            query.bind(&gtins)
        } else {
            query
        };
        query.execute(&pool).await?;
    }
    let catalogue_ms = t.elapsed().as_millis();

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS + 2)
        .build()?;
    let token = admin_token(&client, &url, &pool).await?;
    let stores: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, slug FROM stores WHERE is_active ORDER BY slug")
            .fetch_all(&pool)
            .await?;
    let mut imports = Vec::new();
    let t = Instant::now();
    for (n, (store, slug)) in stores.iter().enumerate() {
        let mut feed = String::from("sku,ean,name,size,price,in_stock\n");
        for (i, gtin) in gtins.iter().enumerate() {
            // A price per store and product, and one product in ten out of stock somewhere.
            let price = 3000 + (i * 37 + n * 101) % 2000;
            let in_stock = u8::from((i + n) % 10 != 0);
            feed.push_str(&format!(
                "S{n}-{i},{gtin},Scale {i},1 kg,{price},{in_stock}\n"
            ));
        }
        let (run, ms) = import_price_feed(&client, &url, &token, *store, feed).await?;
        imports.push(json!({ "store": slug, "wall_ms": ms.round(),
            "rows_applied": run["rows_applied"], "rows_queued": run["rows_queued"] }));
    }
    let import_s = t.elapsed().as_secs_f64();
    let prices: i64 = sqlx::query_scalar("SELECT count(*) FROM prices")
        .fetch_one(&pool)
        .await?;
    let products: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&pool)
        .await?;
    // What autovacuum does within a minute of writes this size (the name rows rewritten when the
    // translations arrived, the statistics); the bench does not wait for it.
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;

    // ---- c1: each query alone ----
    let mut c1 = serde_json::Map::new();
    for query in QUERIES {
        let ms = one_at_a_time(&client, &format!("{url}{query}"), C1_REQUESTS).await?;
        c1.insert((*query).to_owned(), summary(ms));
    }
    let card: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM products WHERE slug = 'scale-product-4217'")
            .fetch_one(&pool)
            .await?;
    let card_ms = one_at_a_time(
        &client,
        &format!("{url}/api/v1/products/{card}?lang=en"),
        C1_REQUESTS,
    )
    .await?;

    // ---- c50: every query, mixed ----
    let urls: Vec<String> = QUERIES.iter().map(|q| format!("{url}{q}")).collect();
    let (c50_ms, c50_rate) = hammer(&client, &urls, CLIENTS, C50_DURATION).await?;

    // ---- a shopping plan: 10 products over the 30 stores ----
    let athlete = register(&client, &url, "scale-athlete@bench.example.rs").await?;
    let r = client
        .put(format!("{url}/api/v1/health-profile"))
        .bearer_auth(&athlete)
        .json(&json!({ "birth_date": "1992-05-05", "sex": "male", "weight_kg": 82, "height_cm": 181,
            "activity_level": "active", "sport": "strength_power", "training_hours_per_week": 6, "goal": "mass" }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 200, "health profile: {}", r.status());
    let planned: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT p.id FROM products p WHERE p.slug LIKE 'scale-product-%' AND p.product_type = 'protein'
         ORDER BY p.slug LIMIT 10",
    )
    .fetch_all(&pool)
    .await?;
    let plan_body = json!({
        "items": planned.iter().map(|p| json!({ "product_id": p, "servings_per_day": 1 })).collect::<Vec<_>>(),
        "days": 30,
    });
    let mut plan_ms = Vec::new();
    for _ in 0..C1_REQUESTS {
        let t = Instant::now();
        let r = client
            .post(format!("{url}/api/v1/shopping-plan"))
            .bearer_auth(&athlete)
            .json(&plan_body)
            .send()
            .await?;
        anyhow::ensure!(
            r.status() == 200,
            "shopping plan: {} {}",
            r.status(),
            r.text().await?
        );
        let _ = r.bytes().await;
        plan_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    let plans = explain_each(&pool).await?;
    let result = json!({
        "command": "cargo bench --bench catalogue_scale",
        "date": now_rfc3339(),
        "machine": { "cpus": std::thread::available_parallelism()?.get() },
        "catalogue": {
            "products": products,
            "stores": stores.len(),
            "price_rows": prices,
            "generated_in_ms": catalogue_ms,
            "feed_imports": { "count": imports.len(), "rows_each": PRODUCTS, "total_s": (import_s * 10.0).round() / 10.0,
                "runs": imports },
        },
        "cache": "off",
        "products_list_c1": c1,
        "products_list_c50": {
            "clients": CLIENTS,
            "duration_s": C50_DURATION.as_secs(),
            "latency": summary(c50_ms),
            "requests_per_s": (c50_rate * 10.0).round() / 10.0,
        },
        "product_card_c1": summary(card_ms),
        "shopping_plan_10_products_30_stores_c1": summary(plan_ms),
        "explain_analyze": plans,
        "peak_rss_mib_incl_client": proc_status("VmHWM") / 1024,
    });
    write_result("catalogue_scale.json", &result)?;
    node.stop().await
}

async fn one_at_a_time(client: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let r = client.get(url).send().await?;
        anyhow::ensure!(r.status() == 200, "{url}: {}", r.status());
        let _ = r.bytes().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(ms)
}

async fn register(client: &reqwest::Client, url: &str, email: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{url}/api/v1/auth/register"))
        .json(&json!({ "email": email, "password": "kajmak i ajvar za doručak" }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 201, "register: {}", r.status());
    let body: Value = r.json().await?;
    Ok(body["token"].as_str().unwrap_or_default().to_owned())
}

async fn admin_token(
    client: &reqwest::Client,
    url: &str,
    pool: &sqlx::PgPool,
) -> anyhow::Result<String> {
    let email = "scale-admin@bench.example.rs";
    let token = register(client, url, email).await?;
    // The role is read with the session on every request (the cache is off).
    sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1")
        .bind(email)
        .execute(pool)
        .await?;
    Ok(token)
}

/// `EXPLAIN ANALYZE` of the list query behind each of [`QUERIES`], through the same code path.
async fn explain_each(pool: &sqlx::PgPool) -> anyhow::Result<Value> {
    let mut out = serde_json::Map::new();
    for query in QUERIES {
        let plan = catalogue::explain_list(pool, &filter_of(query)?).await?;
        out.insert((*query).to_owned(), json!(plan));
    }
    Ok(Value::Object(out))
}

/// The filter `GET /products` makes of one of [`QUERIES`].
fn filter_of(query: &str) -> anyhow::Result<catalogue::Filter> {
    let url = reqwest::Url::parse(&format!("http://bench{query}"))?;
    let mut f = catalogue::Filter {
        limit: 20,
        sort: catalogue::Sort::Relevance,
        ..catalogue::Filter::all("en")
    };
    let mut page = 1;
    for (key, value) in url.query_pairs() {
        let value = value.into_owned();
        match key.as_ref() {
            "lang" => {
                f.locale = Locale::parse(&value)
                    .map_err(|e| anyhow::anyhow!("{value}: {e:?}"))?
                    .as_str()
            }
            "q" => f.q = Some(value),
            "type" => f.product_type = Some(value),
            "brand" => f.brand = Some(value),
            "substance" => f.substance = Some(value),
            "allergen_free" => f.free_of = value.split(',').map(str::to_owned).collect(),
            "in_stock" => f.in_stock = value == "true",
            "min_price" => f.min_price = Some(value.parse()?),
            "max_price" => f.max_price = Some(value.parse()?),
            "page" => page = value.parse()?,
            "sort" => {
                f.sort = match value.as_str() {
                    "price" => catalogue::Sort::Price,
                    "price_per_serving" => catalogue::Sort::PricePerServing,
                    "price_per_100g_protein" => catalogue::Sort::PricePer100gProtein,
                    "name" => catalogue::Sort::Name,
                    _ => catalogue::Sort::Relevance,
                }
            }
            other => anyhow::bail!("{other}: not a list parameter"),
        }
    }
    f.offset = (page - 1) * f.limit;
    Ok(f)
}
