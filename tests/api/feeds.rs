//! Price-feed imports through the API, over the seeded catalogue: matching, the review queue,
//! malformed and hostile files, dry runs, size limits, and fetching on demand and on the schedule.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::{config::PrivateNetworks, db::seed};
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, problem_fields};

const MUSCLE_SHOP_CSV: &str = include_str!("../../seeds/feeds/muscle-shop.csv");
const STRONG_SHOP_JSON: &str = include_str!("../../seeds/feeds/strong-shop.json");

async fn seeded(
    customise: impl FnOnce(&mut sports_nutrition::config::Config),
) -> (TestApp, String) {
    let app = TestApp::spawn_with(customise).await;
    seed::run(&app.pool, false).await.unwrap();
    let admin = app.user_with_role("admin@example.rs", "admin").await;
    let token = admin["token"].as_str().unwrap().to_owned();
    (app, token)
}

async fn store_id(app: &TestApp, slug: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM stores WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The store's current price for the package with `gtin`: (price, discount, source).
async fn price(app: &TestApp, store: &str, gtin: &str) -> Option<(String, Option<String>, String)> {
    sqlx::query_as(
        "SELECT p.price::text, p.discount_price::text, p.source FROM prices p
         JOIN stores s ON s.id = p.store_id JOIN product_packages pk ON pk.id = p.package_id
         WHERE s.slug = $1 AND pk.gtin = $2",
    )
    .bind(store)
    .bind(gtin)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

async fn upload(
    app: &TestApp,
    token: &str,
    store: Uuid,
    content_type: &str,
    body: impl Into<reqwest::Body>,
    query: &str,
) -> reqwest::Response {
    app.authed(
        Method::POST,
        &format!("/api/v1/admin/stores/{store}/price-feed{query}"),
        token,
    )
    .header("content-type", content_type)
    .body(body)
    .send()
    .await
    .unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_csv_feed_applies_matches_queues_the_rest_and_learns_from_review() {
    let (app, token) = seeded(|_| {}).await;
    let muscle = store_id(&app, "muscle-shop").await;

    let response = upload(&app, &token, muscle, "text/csv", MUSCLE_SHOP_CSV, "").await;
    assert_eq!(response.status(), 200);
    let run: Value = response.json().await.unwrap();
    assert_eq!(run["status"], "applied");
    assert_eq!(run["format"], "csv");
    assert_eq!(run["trigger"], "upload");
    // GTIN (2 rows), fuzzy by name and size (creatine; whey "5 lb" = 2268 g ≈ 2270 g), one unknown.
    assert_eq!(
        (
            &run["rows_read"],
            &run["rows_applied"],
            &run["rows_queued"],
            &run["rows_rejected"]
        ),
        (&json!(5), &json!(4), &json!(1), &json!(0)),
        "{run}"
    );
    assert_eq!(
        price(&app, "muscle-shop", "2001000000012").await,
        Some(("5899.00".into(), Some("5299.00".into()), "feed".into()))
    );
    assert_eq!(
        price(&app, "muscle-shop", "2001000000050").await.unwrap().0,
        "2799.00"
    );
    // The change is history, shown to users as the discount price.
    let whey: String = sqlx::query_scalar(
        "SELECT product_id::text FROM product_packages WHERE gtin = '2001000000012'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let history: Value = app
        .get(&format!(
            "/api/v1/products/{whey}/price-history?store=muscle-shop"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["source"] == "feed"),
        "{history}"
    );

    // The unknown product waits for review with the row as sent.
    let queue: Value = app
        .get_authed("/api/v1/admin/price-review", &token)
        .await
        .json()
        .await
        .unwrap();
    let items = queue.as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    assert_eq!(items[0]["sku"], "MS-2001");
    assert_eq!(items[0]["line"], 6);
    assert_eq!(items[0]["status"], "pending");

    // Importing the same file again changes nothing and does not queue the row twice.
    let again: Value = upload(&app, &token, muscle, "text/csv", MUSCLE_SHOP_CSV, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &again["rows_applied"],
            &again["rows_unchanged"],
            &again["rows_queued"]
        ),
        (&json!(0), &json!(4), &json!(1))
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM price_review_items WHERE status = 'pending'"
        )
        .await,
        1
    );

    // Approving names the package: the price applies and the SKU is learned.
    let item = items[0]["id"].as_str().unwrap();
    let package: Uuid =
        sqlx::query_scalar("SELECT id FROM product_packages WHERE gtin = '2001000000135'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let approved = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/price-review/{item}/approve"),
            &token,
            &json!({ "package_id": package }),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    assert_eq!(
        price(&app, "muscle-shop", "2001000000135").await.unwrap().0,
        "6990.00"
    );
    let twice = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/price-review/{item}/reject"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(twice, 409).await),
        ["status"]
    );
    let third: Value = upload(&app, &token, muscle, "text/csv", MUSCLE_SHOP_CSV, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(third["rows_queued"], 0, "{third}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'admin.price_review_approve'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'admin.price_feed_import'"
        )
        .await,
        3
    );

    let runs: Value = app
        .get_authed(
            &format!("/api/v1/admin/price-feed-runs?store={muscle}"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 3);

    // Only admins.
    let athlete = app
        .register("sportista@example.rs", crate::helpers::PASSWORD)
        .await;
    let athlete = athlete["token"].as_str().unwrap();
    assert_problem(
        upload(&app, athlete, muscle, "text/csv", MUSCLE_SHOP_CSV, "").await,
        403,
    )
    .await;
    assert_problem(
        app.get_authed("/api/v1/admin/price-review", athlete).await,
        403,
    )
    .await;
    assert_problem(app.get("/api/v1/admin/price-feed-runs").await, 401).await;
}

#[tokio::test]
async fn a_json_feed_and_price_jumps() {
    let (app, token) = seeded(|_| {}).await;
    let strong = store_id(&app, "strong-shop").await;
    let run: Value = upload(
        &app,
        &token,
        strong,
        "application/json",
        STRONG_SHOP_JSON,
        "",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(run["format"], "json");
    assert_eq!(run["rows_read"], 3);
    assert_eq!(run["rows_rejected"], 0);
    assert_eq!(
        price(&app, "strong-shop", "2001000000036").await.unwrap().0,
        "6299.00"
    );
    // "90 caps" picks the 90-capsule package of Opti-Men, not the 150.
    assert_eq!(
        price(&app, "strong-shop", "2001000000098").await,
        Some(("3290.00".into(), Some("2990.00".into()), "feed".into()))
    );

    // Ten times the last price is a typo until an admin says otherwise.
    let jump = r#"[{"gtin": "2001000000036", "name": "Casein", "price": 62990}]"#;
    let run: Value = upload(&app, &token, strong, "application/json", jump, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&run["rows_applied"], &run["rows_queued"]),
        (&json!(0), &json!(1))
    );
    assert_eq!(
        price(&app, "strong-shop", "2001000000036").await.unwrap().0,
        "6299.00"
    );
    let queue: Value = app
        .get_authed(
            &format!("/api/v1/admin/price-review?store={strong}"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    let jumped = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reason"] == "price_jump")
        .expect("queued as a jump");
    let reject = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/admin/price-review/{}/reject",
                jumped["id"].as_str().unwrap()
            ),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(reject.status(), 200);
    assert_eq!(
        price(&app, "strong-shop", "2001000000036").await.unwrap().0,
        "6299.00"
    );
}

#[tokio::test]
async fn malformed_and_hostile_files_are_refused_by_line_and_never_half_applied() {
    let (app, token) = seeded(|c| c.feeds.max_bytes = 64 * 1024).await;
    let muscle = store_id(&app, "muscle-shop").await;
    let prices_before = count(&app, "SELECT count(*) FROM price_history").await;

    // Not UTF-8 (a Windows-1250 export): refused whole, nothing written, the run recorded.
    let cp1250 = b"naziv;cena\nKreatin \x9a\xe8;1000\n".to_vec();
    let problem = assert_problem(
        upload(&app, &token, muscle, "text/csv", cp1250, "").await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["file"]);
    assert!(problem["detail"].as_str().unwrap().contains("rejected"));
    // No price column.
    let problem = assert_problem(
        upload(
            &app,
            &token,
            muscle,
            "text/csv",
            "naziv;kolicina\nx;1\n",
            "",
        )
        .await,
        422,
    )
    .await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("price"),
        "{problem}"
    );
    // Mostly invalid rows: the file is not what it claims, nothing applies.
    let bad = "ean;naziv;cena\n2001000000012;Whey;-5\n2001000000029;Whey;abc\n2001000000050;Creatine;2500\n";
    let problem =
        assert_problem(upload(&app, &token, muscle, "text/csv", bad, "").await, 422).await;
    let fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["field"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        fields.iter().any(|f| f.starts_with("price: line 2:")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("price: line 3:")),
        "{fields:?}"
    );
    assert_ne!(
        price(&app, "muscle-shop", "2001000000050").await.unwrap().0,
        "2500.00"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM price_history").await,
        prices_before
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM price_feed_runs WHERE status = 'rejected'"
        )
        .await,
        3
    );

    // One bad row among good ones: the good ones apply, the bad one is reported by line.
    let mixed = "ean,name,price\n2001000000012,Whey,5999\n2001000000029,Whey,\"12.999,00\"\n2001000000050,\"=cmd|'/c calc'!A1\",-1\n2001000000067,\"<script>alert(1)</script>\",4999\n";
    let run: Value = upload(&app, &token, muscle, "text/csv", mixed, "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&run["rows_applied"], &run["rows_rejected"]),
        (&json!(3), &json!(1)),
        "{run}"
    );
    assert_eq!(run["problems"][0]["line"], 4);
    assert_eq!(run["problems"][0]["field"], "price");
    assert_eq!(
        price(&app, "muscle-shop", "2001000000067").await.unwrap().0,
        "4999.00"
    );

    // A dry run reports and writes nothing.
    let dry: Value = upload(
        &app,
        &token,
        muscle,
        "text/csv",
        "ean,name,price\n2001000000012,Whey,4444\n",
        "?dry_run=true",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (&dry["status"], &dry["rows_applied"]),
        (&json!("dry_run"), &json!(1))
    );
    assert_eq!(
        price(&app, "muscle-shop", "2001000000012").await.unwrap().0,
        "5999.00"
    );

    // Larger than feeds.max_bytes: 413 before anything is read.
    let big = format!(
        "ean,name,price\n{}",
        "2001000000012,Whey,5999\n".repeat(4000)
    );
    assert_problem(upload(&app, &token, muscle, "text/csv", big, "").await, 413).await;
    // An unknown store.
    assert_problem(
        upload(
            &app,
            &token,
            Uuid::now_v7(),
            "text/csv",
            MUSCLE_SHOP_CSV,
            "",
        )
        .await,
        404,
    )
    .await;
}

/// Serves `body` at `/feed.csv` on a loopback port until the test ends.
async fn serve_feed(body: &'static str) -> String {
    use poem::{Route, Server, get, handler, listener::TcpAcceptor};
    #[handler]
    fn feed(body: poem::web::Data<&&'static str>) -> String {
        body.0.to_string()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = poem::EndpointExt::data(Route::new().at("/feed.csv", get(feed)), body);
    tokio::spawn(Server::new_with_acceptor(TcpAcceptor::from_tokio(listener).unwrap()).run(app));
    format!("http://{addr}/feed.csv?token=s3cret")
}

#[tokio::test]
async fn feeds_are_fetched_on_demand_and_on_the_schedule() {
    // The test's feed server is on loopback, which feeds may reach only when allowed.
    let (app, token) = seeded(|c| {
        c.feeds.schedule = "*/1 * * * * *".into();
        c.feeds.allow_private_networks =
            PrivateNetworks::Only(vec!["127.0.0.1/32".parse().unwrap()]);
    })
    .await;
    let url = serve_feed(MUSCLE_SHOP_CSV).await;
    let muscle = store_id(&app, "muscle-shop").await;
    let idea = store_id(&app, "idea").await;

    // Without a feed URL there is nothing to fetch.
    let problem = assert_problem(
        app.send(
            Method::POST,
            &format!("/api/v1/admin/stores/{idea}/price-feed/fetch"),
            &token,
            &json!({}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["feed_url"]);

    // A server that is not there: a failed run whose message does not leak the URL's token.
    sqlx::query(
        "UPDATE stores SET feed_url = 'http://127.0.0.1:9/feed.csv?token=s3cret' WHERE id = $1",
    )
    .bind(idea)
    .execute(&app.pool)
    .await
    .unwrap();
    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/stores/{idea}/price-feed/fetch"),
            &token,
            &json!({}),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    assert!(!problem.to_string().contains("s3cret"), "{problem}");
    sqlx::query("UPDATE stores SET feed_url = NULL WHERE id = $1")
        .bind(idea)
        .execute(&app.pool)
        .await
        .unwrap();

    sqlx::query("UPDATE stores SET feed_url = $2 WHERE id = $1")
        .bind(muscle)
        .bind(&url)
        .execute(&app.pool)
        .await
        .unwrap();
    let run: Value = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/stores/{muscle}/price-feed/fetch"),
            &token,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&run["trigger"], &run["status"], &run["rows_applied"]),
        (&json!("fetch"), &json!("applied"), &json!(4)),
        "{run}"
    );

    // The schedule (every second here) fetches it again by itself.
    let mut scheduled = 0;
    for _ in 0..100 {
        scheduled = count(&app, "SELECT count(*) FROM price_feed_runs WHERE trigger = 'schedule' AND status = 'applied'").await;
        if scheduled > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(scheduled > 0, "no scheduled run within 10 s");
    app.stop().await.unwrap();
}
