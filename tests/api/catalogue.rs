//! The catalogue through the API, over the seeded demo data: filters, search in any script, stable
//! pages, a product's card, the price comparison and the price history.

use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, problem_fields};

fn slugs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_filters_sorting_and_stable_pages() {
    let app = TestApp::seeded().await;

    // Search ignores diacritics and script: `cokoladica`, `čokoladica` and `чоколадица` find the bars.
    let latin = slugs(&app.json("/api/v1/products?q=cokoladica&per_page=100").await);
    assert!(
        latin.contains(&"myprotein-layered-protein-bar".to_string()),
        "{latin:?}"
    );
    assert_eq!(
        slugs(
            &app.json("/api/v1/products?q=%C4%8Dokoladica&per_page=100")
                .await
        ),
        latin
    );
    assert_eq!(
        slugs(&app.json("/api/v1/products?q=%D1%87%D0%BE%D0%BA%D0%BE%D0%BB%D0%B0%D0%B4%D0%B8%D1%86%D0%B0&per_page=100").await),
        latin
    );
    // Every word must match (brand or name, any language); a typo still finds it.
    let gold = slugs(&app.json("/api/v1/products?q=optimum%20whey").await);
    assert_eq!(gold[0], "on-gold-standard-100-whey", "{gold:?}");
    assert!(
        slugs(&app.json("/api/v1/products?q=kazein%20optimum").await)
            .contains(&"on-gold-standard-100-casein".to_string())
    );
    assert!(
        slugs(&app.json("/api/v1/products?q=creatne").await)
            .contains(&"on-micronized-creatine-powder".to_string())
    );
    assert!(slugs(&app.json("/api/v1/products?q=zzzxq").await).is_empty());
    // Hostile input is only text.
    let hostile = app
        .json("/api/v1/products?q=%25%27%3B%20DROP%20TABLE%20products%3B--")
        .await;
    assert_eq!(hostile["total"], 0);

    // Filters.
    let proteins = app.json("/api/v1/products?type=protein&per_page=100").await;
    assert!(proteins["total"].as_u64().unwrap() >= 10);
    assert!(
        proteins["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["product_type"] == "protein")
    );
    let milk_free = app
        .json("/api/v1/products?type=protein&allergen_free=milk,soy&per_page=100")
        .await;
    assert!(milk_free["total"].as_u64().unwrap() >= 1);
    for p in milk_free["items"].as_array().unwrap() {
        let allergens = p["allergens"].as_array().unwrap();
        assert!(
            !allergens.contains(&"milk".into()) && !allergens.contains(&"soy".into()),
            "{p}"
        );
    }
    let local = app.json("/api/v1/products?brand=srpski-sport-lab").await;
    assert!(
        local["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["brand"]["is_local"] == true)
    );
    let caffeine = slugs(
        &app.json("/api/v1/products?substance=caffeine&per_page=100")
            .await,
    );
    assert!(
        caffeine.contains(&"bsn-no-xplode".to_string()),
        "{caffeine:?}"
    );
    let in_range = app
        .json("/api/v1/products?in_stock=true&min_price=1000&max_price=3000&per_page=100")
        .await;
    for p in in_range["items"].as_array().unwrap() {
        let price: f64 = p["best_price"].as_str().unwrap().parse().unwrap();
        assert!((1000.0..=3000.0).contains(&price), "{p}");
        assert!(p["stores_in_stock"].as_u64().unwrap() > 0);
    }

    // Sorting by price per 100 g protein: ascending, products without one last.
    let by_protein = app
        .json("/api/v1/products?type=protein&sort=price_per_100g_protein&per_page=100")
        .await;
    let values: Vec<Option<f64>> = by_protein["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["price_per_100g_protein"]
                .as_str()
                .map(|v| v.parse().unwrap())
        })
        .collect();
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    assert!(known.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
    let first_none = values
        .iter()
        .position(Option::is_none)
        .unwrap_or(values.len());
    assert!(
        values[first_none..].iter().all(Option::is_none),
        "{values:?}"
    );

    // Pages: disjoint, in the same order as one big page, with the same total.
    let all = app
        .json("/api/v1/products?sort=price_per_serving&per_page=100")
        .await;
    let total = all["total"].as_u64().unwrap();
    assert_eq!(total as usize, all["items"].as_array().unwrap().len());
    let mut paged = Vec::new();
    for page in 1..=total.div_ceil(7) {
        let p = app
            .json(&format!(
                "/api/v1/products?sort=price_per_serving&per_page=7&page={page}"
            ))
            .await;
        assert_eq!(p["total"], total);
        paged.extend(slugs(&p));
    }
    assert_eq!(paged, slugs(&all));
    let beyond = app
        .json(&format!(
            "/api/v1/products?per_page=7&page={}",
            total / 7 + 5
        ))
        .await;
    assert!(slugs(&beyond).is_empty());
    assert_eq!(beyond["total"], total);

    // Names in the requested language, with a fallback.
    let cyr = app
        .json("/api/v1/products?brand=optimum-nutrition&lang=sr-Cyrl&per_page=1")
        .await;
    assert_eq!(cyr["items"][0]["name_locale"], "sr-Cyrl");
    let hu = app
        .json("/api/v1/products?brand=optimum-nutrition&lang=hu&per_page=1")
        .await;
    assert_eq!(hu["items"][0]["name_locale"], "hu");
    sqlx::query(
        "DELETE FROM product_translations t USING products p, brands b
         WHERE t.product_id = p.id AND p.brand_id = b.id AND b.slug = 'optimum-nutrition' AND t.locale = 'ro'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let ro = app
        .json("/api/v1/products?brand=optimum-nutrition&lang=ro&per_page=1")
        .await;
    assert_eq!(ro["items"][0]["name_locale"], "en", "{ro}");

    for (query, field) in [
        ("type=steroids", "type"),
        ("allergen_free=milk,unicorn", "allergen_free"),
        ("min_price=-1", "min_price"),
        ("min_price=5000&max_price=100", "min_price"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("sort=random", "sort"),
        ("lang=xx", "lang"),
    ] {
        let response = app.get(&format!("/api/v1/products?{query}")).await;
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{query}: {status}");
        let problem = assert_problem(response, status).await;
        assert_eq!(problem_fields(&problem), [field], "{query}");
    }
}

#[tokio::test]
async fn a_product_card_its_price_comparison_and_history() {
    let app = TestApp::seeded().await;
    let page = app.json("/api/v1/products?q=gold%20standard%20whey").await;
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();

    let card = app.json(&format!("/api/v1/products/{id}?lang=en")).await;
    assert_eq!(card["slug"], "on-gold-standard-100-whey");
    assert_eq!(card["brand"]["slug"], "optimum-nutrition");
    assert!(card["description"].is_string());
    assert!(
        card["allergens"]
            .as_array()
            .unwrap()
            .contains(&"milk".into())
    );
    let whey = card["substances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "whey_protein")
        .expect("whey protein listed");
    assert_eq!(whey["unit"], "g");
    assert_eq!(whey["evidence"], "A");
    let packages = card["packages"].as_array().unwrap();
    assert!(!packages.is_empty());
    let offers: Vec<&Value> = packages
        .iter()
        .flat_map(|p| p["offers"].as_array().unwrap())
        .collect();
    assert!(!offers.is_empty());
    for o in &offers {
        assert_eq!(o["source"], "demo");
        let effective: f64 = o["effective_price"].as_str().unwrap().parse().unwrap();
        let price: f64 = o["price"].as_str().unwrap().parse().unwrap();
        assert!(effective <= price);
        let total: f64 = o["total_with_delivery"].as_str().unwrap().parse().unwrap();
        let fee: f64 = o["delivery_fee"].as_str().unwrap().parse().unwrap();
        assert!((total - effective - fee).abs() < 0.001, "{o}");
    }

    let comparison = app.json(&format!("/api/v1/products/{id}/prices")).await;
    let compared = comparison["offers"].as_array().unwrap();
    assert_eq!(compared.len(), offers.len());
    // In stock first, then cheapest per serving.
    let keys: Vec<(bool, f64)> = compared
        .iter()
        .map(|o| {
            (
                !o["in_stock"].as_bool().unwrap(),
                o["price_per_serving"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");

    // A price change is history: the seeded price, then the new one.
    let store = compared[0]["store"]["slug"].as_str().unwrap().to_owned();
    let package: uuid::Uuid = compared[0]["package_id"].as_str().unwrap().parse().unwrap();
    sqlx::query(
        "UPDATE prices SET price = price + 100, source = 'manual', observed_at = now()
         WHERE package_id = $1 AND store_id = (SELECT id FROM stores WHERE slug = $2)",
    )
    .bind(package)
    .bind(&store)
    .execute(&app.pool)
    .await
    .unwrap();
    let history = app
        .json(&format!(
            "/api/v1/products/{id}/price-history?store={store}"
        ))
        .await;
    let points: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["package_id"] == package.to_string())
        .collect();
    assert_eq!(points.len(), 2, "{history}");
    assert_eq!(points[0]["source"], "demo");
    assert_eq!(points[1]["source"], "manual");

    let unknown = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/products/{unknown}"),
        format!("/api/v1/products/{unknown}/prices"),
        format!("/api/v1/products/{unknown}/price-history"),
    ] {
        assert_problem(app.get(&path).await, 404).await;
    }
    let problem = assert_problem(app.get("/api/v1/products/not-a-uuid").await, 400).await;
    assert_eq!(problem_fields(&problem), ["id"]);
}

#[tokio::test]
async fn a_card_shows_each_product_as_the_list_does() {
    let app = TestApp::seeded().await;
    // 78 requests: within the public limit of the tests' configuration.
    for lang in ["en", "sr-Cyrl", "hu"] {
        let page = app
            .json(&format!(
                "/api/v1/products?per_page=25&sort=price&lang={lang}"
            ))
            .await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 25);
        for item in items {
            let card = app
                .json(&format!(
                    "/api/v1/products/{}?lang={lang}",
                    item["id"].as_str().unwrap()
                ))
                .await;
            for (key, value) in item.as_object().unwrap() {
                assert_eq!(&card[key], value, "{lang} {} {key}", item["slug"]);
            }
        }
    }
}

#[tokio::test]
async fn brands_and_stores() {
    let app = TestApp::seeded().await;
    let brands = app.json("/api/v1/brands").await;
    let brands = brands.as_array().unwrap();
    assert_eq!(brands.len(), 12);
    assert!(brands.iter().any(|b| b["is_local"] == true));
    assert!(brands.iter().all(|b| b["products"].as_u64().unwrap() > 0));
    let stores = app.json("/api/v1/stores?lang=en").await;
    let stores = stores.as_array().unwrap();
    assert_eq!(stores.len(), 7);
    let muscle = stores.iter().find(|s| s["slug"] == "muscle-shop").unwrap();
    assert_eq!(muscle["currency"], "RSD");
    assert!(muscle["delivery_fee"].is_string());
    // A feed URL may carry a token: never public.
    assert!(stores.iter().all(|s| s.get("feed_url").is_none()));
}

#[tokio::test]
async fn a_cached_page_answers_304_until_it_changes() {
    let app = TestApp::seeded().await;
    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = async |path: &str, if_none_match: Option<&str>| {
        let mut request = app.client.get(app.url(path));
        if let Some(tag) = if_none_match {
            request = request.header("If-None-Match", tag);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (status, etag, response.text().await.unwrap())
    };
    for path in [
        "/api/v1/products?per_page=5&lang=en",
        "/api/v1/dishes?per_page=5",
    ] {
        let (status, etag, body) = get(path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            etag.starts_with('"') && etag.len() == 34,
            "a strong tag: {etag}"
        );
        serde_json::from_str::<Value>(&body).unwrap();
        let (status, again, body) = get(path, Some(&etag)).await;
        assert_eq!((status, again, body.as_str()), (304, etag.clone(), ""));
        let weak = format!("W/{etag}, \"other\"");
        assert_eq!(get(path, Some(&weak)).await.0, 304, "{path}");
        assert_eq!(get(path, Some("\"other\"")).await.0, 200, "{path}");

        // A client that takes gzip gets the same page compressed, under its own tag.
        let zipped = app
            .client
            .get(app.url(path))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(zipped.headers()["vary"], "accept-encoding", "{path}");
        let zipped_tag = zipped.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(zipped_tag, etag);
        let bytes = zipped.bytes().await.unwrap();
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unzipped)
            .unwrap();
        assert_eq!(unzipped, get(path, None).await.2, "{path}");
        let not_modified = app
            .client
            .get(app.url(path))
            .header("Accept-Encoding", "gzip")
            .header("If-None-Match", &zipped_tag)
            .send()
            .await
            .unwrap();
        assert_eq!(not_modified.status().as_u16(), 304, "{path}");
    }

    // A change to what the page shows gives it a new tag; the old one gets the new page.
    let path = "/api/v1/products?per_page=5&lang=en";
    let (_, before, page) = get(path, None).await;
    let page: Value = serde_json::from_str(&page).unwrap();
    let brand = page["items"][0]["brand"].clone();
    let brands = app.json("/api/v1/brands").await;
    let brand = brands
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == brand["id"])
        .unwrap();
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/brands/{}", brand["id"].as_str().unwrap()),
            &admin,
            &serde_json::json!({ "slug": brand["slug"], "name": "Renamed Brand",
                "origin_country": brand["origin_country"], "is_local": brand["is_local"] }),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (status, after, page) = get(path, Some(&before)).await;
    assert_eq!(status, 200);
    assert_ne!(after, before);
    assert!(page.contains("Renamed Brand"), "{page}");
}

/// Products whose kept figures differ from what their current offers say now.
async fn figures_off(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "WITH expected AS (
             SELECT p.id, coalesce(b.stores, 0) AS stores, b.best_price, b.pps, b.ppp
             FROM products p CROSS JOIN LATERAL (
                 SELECT count(DISTINCT o.store_id)::int AS stores, min(o.effective_price) AS best_price,
                        min(o.price_per_serving) AS pps, min(o.price_per_100g_protein) AS ppp
                 FROM current_offers o WHERE o.product_id = p.id AND o.in_stock) b
         ),
         kept AS (
             SELECT product_id AS id, stores_in_stock AS stores, best_price, price_per_serving AS pps,
                    price_per_100g_protein AS ppp
             FROM product_figures
         )
         SELECT p.slug FROM products p
         JOIN ((SELECT * FROM expected EXCEPT SELECT * FROM kept)
               UNION (SELECT * FROM kept EXCEPT SELECT * FROM expected)) d ON d.id = p.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_kept_price_figures_follow_every_write_and_the_clock() {
    let app = TestApp::seeded().await;
    let pool = &app.pool;
    let exec = async |sql: &str| {
        sqlx::query(sql).execute(pool).await.unwrap();
    };
    assert_eq!(
        figures_off(pool).await,
        Vec::<String>::new(),
        "after the seed"
    );

    exec("UPDATE prices SET price = price * 2 WHERE store_id = (SELECT id FROM stores ORDER BY slug LIMIT 1)").await;
    exec("UPDATE prices SET in_stock = NOT in_stock WHERE package_id IN (SELECT id FROM product_packages ORDER BY id LIMIT 5)").await;
    exec("UPDATE stores SET is_active = false WHERE slug = (SELECT slug FROM stores ORDER BY slug DESC LIMIT 1)").await;
    exec("UPDATE product_packages SET servings = servings + 1 WHERE id IN (SELECT id FROM product_packages ORDER BY id DESC LIMIT 5)").await;
    exec("UPDATE products SET protein_g_per_100g = 50 WHERE protein_g_per_100g > 0").await;
    exec("DELETE FROM prices WHERE package_id IN (SELECT id FROM product_packages ORDER BY id LIMIT 3 OFFSET 10)").await;
    assert_eq!(
        figures_off(pool).await,
        Vec::<String>::new(),
        "after the writes"
    );

    // A discount that ends in a moment: the figures show it now, and the full price once it ended
    // and the refresher ran.
    exec(
        "UPDATE prices SET discount_price = round(price / 2, 2), discount_ends_at = now() + interval '1 second'
         WHERE in_stock AND package_id IN (SELECT id FROM product_packages ORDER BY id LIMIT 20)",
    )
    .await;
    assert_eq!(
        figures_off(pool).await,
        Vec::<String>::new(),
        "with the discount"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // The node's own refresher may have been first; either way one refresh puts them right.
    sports_nutrition::ops::price_figures::refresh_due(pool)
        .await
        .unwrap();
    assert_eq!(
        figures_off(pool).await,
        Vec::<String>::new(),
        "after the refresh"
    );
    assert_eq!(
        sports_nutrition::ops::price_figures::refresh_due(pool)
            .await
            .unwrap(),
        0,
        "nothing more is due"
    );
}

/// A list page read through the data layer (no page cache in between), as slugs and names.
async fn listed(
    pool: &sqlx::PgPool,
    locale: &'static str,
    q: Option<&str>,
    sort: sports_nutrition::db::catalogue::Sort,
) -> Vec<(String, Option<String>)> {
    use sports_nutrition::db::catalogue::{Filter, list_products};
    let filter = Filter {
        q: q.map(str::to_owned),
        sort,
        ..Filter::all(locale)
    };
    let (rows, total) = list_products(pool, &filter).await.unwrap();
    assert_eq!(
        usize::try_from(total).unwrap(),
        rows.len(),
        "one page holds them all"
    );
    rows.into_iter().map(|r| (r.slug, r.name)).collect()
}

#[tokio::test]
async fn names_and_search_documents_follow_every_write() {
    use sports_nutrition::db::catalogue::Sort;
    let app = TestApp::seeded().await;
    let pool = &app.pool;
    let exec = async |sql: &str| {
        sqlx::query(sql).execute(pool).await.unwrap();
    };
    let found = async |q: &str| -> Vec<String> {
        listed(pool, "en", Some(q), Sort::Relevance)
            .await
            .into_iter()
            .map(|(slug, _)| slug)
            .collect()
    };
    let bare = "bare-bar";

    // A product without any translation is listed, unnamed and last by name, and found by its brand.
    exec(
        "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit)
         SELECT 'bare-bar', id, 'protein', 30, 'g' FROM brands WHERE slug = 'optimum-nutrition'",
    )
    .await;
    let by_name = listed(pool, "en", None, Sort::Name).await;
    assert_eq!(
        by_name.last(),
        Some(&(bare.to_owned(), None)),
        "{by_name:?}"
    );
    assert!(found("optimum nutrition").await.iter().any(|s| s == bare));

    // Its first translation names it in every locale (Cyrillic transliterated) and is searchable.
    exec(
        "INSERT INTO product_translations (product_id, locale, name)
         SELECT id, 'sr-Latn', 'Zlatna čokoladica' FROM products WHERE slug = 'bare-bar'",
    )
    .await;
    let name_of =
        async |locale: &'static str| listed(pool, locale, Some("zlatna"), Sort::Name).await;
    assert_eq!(
        name_of("hu").await,
        [(bare.to_owned(), Some("Zlatna čokoladica".to_owned()))]
    );
    assert_eq!(
        name_of("sr-Cyrl").await,
        [(bare.to_owned(), Some("Златна чоколадица".to_owned()))]
    );
    // Every word, in the brand or a name, in either script, with a typo.
    assert_eq!(found("optimum zlatna").await, [bare]);
    assert_eq!(found("златна cokoladica").await, [bare]);
    assert_eq!(found("zlatnaa").await, [bare]);

    // A brand renamed, and a product moved to another brand, are found under their new names.
    exec("UPDATE brands SET name = 'Zvezda Lab' WHERE slug = 'optimum-nutrition'").await;
    assert!(found("zvezda zlatna").await.iter().any(|s| s == bare));
    assert!(found("optimum zlatna").await.is_empty());
    exec(
        "UPDATE products SET brand_id = (SELECT id FROM brands WHERE slug = 'scitec-nutrition')
         WHERE slug = 'bare-bar'",
    )
    .await;
    assert_eq!(found("scitec zlatna").await, [bare]);
    assert!(found("zvezda zlatna").await.is_empty());

    // A translation removed takes its words with it; a product deleted leaves nothing behind.
    exec("DELETE FROM product_translations WHERE name = 'Zlatna čokoladica'").await;
    assert!(found("zlatna").await.is_empty());
    exec("DELETE FROM products WHERE slug = 'bare-bar'").await;
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM product_names WHERE product_id NOT IN (SELECT id FROM products))
              + (SELECT count(*) FROM product_search WHERE product_id NOT IN (SELECT id FROM products))",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn the_costliest_search_anyone_can_send_is_answered_and_a_longer_one_refused() {
    let app = TestApp::seeded().await;
    // The most words `q` holds (100 characters): one-letter words, which no trigram narrows, on
    // the largest page, ranked and then sorted by price.
    let letters: Vec<String> = "abcdefghijklmnopqrstuvwxyz"
        .chars()
        .cycle()
        .take(50)
        .map(String::from)
        .collect();
    let q = letters.join("%20");
    for sort in ["relevance", "price_per_serving"] {
        let page = app
            .json(&format!("/api/v1/products?q={q}&per_page=100&sort={sort}"))
            .await;
        assert_eq!(
            page["total"].as_u64().unwrap() as usize,
            page["items"].as_array().unwrap().len(),
            "{sort}: {page}"
        );
    }
    // Two words that every seeded product's brand or name holds in some form find them all.
    let all = app.json("/api/v1/products?per_page=100").await["total"].clone();
    let broad = app.json("/api/v1/products?q=a%20e&per_page=100").await;
    assert!(broad["total"].as_u64().unwrap() > 0, "{broad}");
    assert!(broad["total"].as_u64() <= all.as_u64());

    let response = app
        .get(&format!("/api/v1/products?q={}", "a".repeat(101)))
        .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_eq!(
        problem_fields(&assert_problem(response, status).await),
        ["q"]
    );
}
