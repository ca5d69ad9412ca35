//! Recommendations, doses and shopping plans through the API: the safety screen on the seeded rules and
//! catalogue, hand-computed plans on a small catalogue of our own, and every way a request can be wrong.

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::db::seed;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, assert_problem, ok, problem_fields};

fn profile(allergies: &[&str], conditions: &[&str], medications: &[&str]) -> Value {
    json!({
        "birth_date": "1994-03-10", "sex": "male", "weight_kg": 80, "height_cm": 182,
        "activity_level": "active", "sport": "strength_power", "training_hours_per_week": 6, "goal": "mass",
        "allergies": allergies, "conditions": conditions, "medications": medications
    })
}

/// Products that an `avoid` rule (any amount) or a declared allergen rules out for these terms,
/// computed straight from the tables: the API's answer is checked against it.
async fn forbidden(
    app: &TestApp,
    allergies: &[&str],
    conditions: &[&str],
    medications: &[&str],
) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT DISTINCT p.id FROM products p
         WHERE EXISTS (SELECT 1 FROM product_allergens a WHERE a.product_id = p.id AND a.code = ANY($1))
            OR EXISTS (SELECT 1 FROM product_substances ps
                       JOIN contraindication_rules r ON r.substance_id = ps.substance_id
                       WHERE ps.product_id = p.id AND r.severity = 'avoid' AND r.min_daily_amount IS NULL
                         AND ((r.vocabulary = 'allergen' AND r.code = ANY($1))
                           OR (r.vocabulary = 'condition' AND r.code = ANY($2))
                           OR (r.vocabulary = 'medication_class' AND r.code = ANY($3))))",
    )
    .bind(allergies)
    .bind(conditions)
    .bind(medications)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// The product ids of a list of recommendations, in order.
pub(crate) fn ids(list: &Value) -> Vec<Uuid> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["product"]["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn recommendations_never_include_a_contraindicated_product() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let (allergies, conditions, medications) =
        (["milk"], ["hypertension", "heart_arrhythmia"], ["ssri"]);
    let token = app
        .athlete_with_profile(
            "milan@example.rs",
            profile(&allergies, &conditions, &medications),
        )
        .await;

    let body = ok(app
        .get_authed("/api/v1/recommendations?limit=100&lang=en", &token)
        .await)
    .await;
    let items = &body["items"];
    let recommended = ids(items);
    assert!(!recommended.is_empty());
    let forbidden = forbidden(&app, &allergies, &conditions, &medications).await;
    assert!(
        forbidden.len() > 5,
        "the seeded catalogue has products this athlete must not take"
    );
    for id in &recommended {
        assert!(
            !forbidden.contains(id),
            "recommended a contraindicated product {id}"
        );
    }
    // Every product is recommended, to ask the doctor about, or listed as left out, with the reason.
    let excluded = &body["excluded"];
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM products WHERE is_available")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        recommended.len()
            + body["ask_doctor"].as_array().unwrap().len()
            + excluded.as_array().unwrap().len(),
        total as usize
    );
    for id in &forbidden {
        let left = excluded
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["product"]["id"] == id.to_string());
        let left = left.unwrap_or_else(|| panic!("{id} is neither recommended nor excluded"));
        assert_eq!(left["reason"], "unsafe", "{left}");
        assert!(!left["explanation"].as_array().unwrap().is_empty());
        assert!(
            left["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["severity"] == "avoid")
        );
    }
    // A whey product is out for the milk allergy, naming the allergen in words.
    let whey = excluded
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["product"]["slug"] == "on-gold-standard-100-whey")
        .unwrap();
    assert!(
        whey["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["vocabulary"] == "allergen" && w["code"] == "milk"),
        "{whey}"
    );

    // Ranked, with reasons, a dose and the best offer.
    let scores: Vec<f64> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let top = &items[0];
    assert!(top["reasons"].as_array().unwrap().len() >= 2, "{top}");
    assert!(
        top["dose"]["servings_per_day"].is_string() || top["dose"]["servings_per_day"].is_number()
    );
    let creatine = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["purpose"] == "creatine_monohydrate")
        .expect("creatine suits a strength athlete");
    assert_eq!(creatine["evidence"], "A");
    // 80 kg × 0.03 = 2.4 g → 3 g; a 5 g scoop.
    assert_eq!(creatine["dose"]["amounts"][0]["amount"], "5");
    assert!(
        creatine["best_offer"]["price_per_day"].is_string(),
        "{creatine}"
    );

    // Caution rules keep a product, with the warning and its source: caffeine with hypertension is
    // caution, but the arrhythmia rule is avoid, so caffeine is out altogether here.
    assert!(items.as_array().unwrap().iter().all(|i| {
        i["dose"]["amounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["substance"] != "caffeine")
    }));

    // Texts in the language asked for, never raw keys.
    let sr = ok(app
        .get_authed("/api/v1/recommendations?limit=100&lang=sr-Latn", &token)
        .await)
    .await;
    assert_eq!(sr["locale"], "sr-Latn");
    let text = |b: &Value| {
        b["items"][0]["reasons"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(text(&body), text(&sr));
    for b in [&body, &sr] {
        let all = b.to_string();
        assert!(
            !all.contains("reason-") && !all.contains("exclusion-") && !all.contains("timing-"),
            "a raw message key"
        );
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn cautions_ask_the_doctor_first_and_thresholds_cap_the_dose() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    // Hypertension: caffeine is `caution`, so pre-workouts with caffeine are for the doctor to decide,
    // listed apart with the rule's reason, source and question.
    let token = app
        .athlete_with_profile("ana@example.rs", profile(&[], &["hypertension"], &[]))
        .await;
    let body = ok(app
        .get_authed(
            "/api/v1/recommendations?type=pre_workout&limit=100&lang=en",
            &token,
        )
        .await)
    .await;
    let has_caffeine = |i: &&Value| {
        i["dose"]["amounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["substance"] == "caffeine")
    };
    assert!(
        !body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| has_caffeine(&i)),
        "{body}"
    );
    let asked: Vec<&Value> = body["ask_doctor"]
        .as_array()
        .unwrap()
        .iter()
        .filter(has_caffeine)
        .collect();
    assert!(!asked.is_empty(), "{body}");
    for item in asked {
        let w = item["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["code"] == "hypertension")
            .unwrap();
        assert_eq!(w["severity"], "caution");
        assert_eq!(w["substance"], "caffeine");
        assert_eq!(w["effect"], "blood_pressure");
        assert!(w["source"].as_str().unwrap().len() > 10);
        assert!(w["source_url"].as_str().unwrap().starts_with("https://"));
        assert!(!w["explanation"].as_str().unwrap().is_empty());
        assert!(
            w["question"]
                .as_str()
                .unwrap()
                .starts_with("Ask your doctor")
        );
        assert_eq!(item["product"]["type"], "pre_workout");
    }

    // Breastfeeding: caffeine above 200 mg a day is a caution, so the dose stays at 200 mg and needs
    // no doctor.
    let woman = json!({
        "birth_date": "1996-01-01", "sex": "female", "weight_kg": 75, "height_cm": 170,
        "activity_level": "active", "sport": "endurance", "training_hours_per_week": 8, "goal": "endurance",
        "conditions": ["breastfeeding"]
    });
    let token = app.athlete_with_profile("jelena@example.rs", woman).await;
    let body = ok(app
        .get_authed("/api/v1/recommendations?limit=100", &token)
        .await)
    .await;
    for tier in ["items", "ask_doctor"] {
        for item in body[tier].as_array().unwrap() {
            for a in item["dose"]["amounts"].as_array().unwrap() {
                if a["substance"] == "caffeine" {
                    let mg: f64 = a["amount"].as_str().unwrap().parse().unwrap();
                    assert!(mg <= 200.0, "{item}");
                }
            }
        }
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn doses_for_a_period_and_refusals() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let id = |slug: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM products WHERE slug = $1")
                .bind(slug)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let creatine = id("on-micronized-creatine-powder").await;
    let whey = id("on-gold-standard-100-whey").await;
    let token = app
        .athlete_with_profile("stefan@example.rs", profile(&["milk"], &[], &[]))
        .await;

    assert_problem(
        app.get_authed(
            &format!("/api/v1/dosage?product_ids={creatine}"),
            "not a token",
        )
        .await,
        401,
    )
    .await;
    let body = ok(app
        .get_authed(
            &format!("/api/v1/dosage?product_ids={creatine},{whey}&days=30&lang=en"),
            &token,
        )
        .await)
    .await;
    let c = &body["items"][0];
    assert_eq!(c["status"], "dosed");
    assert_eq!(c["dose"]["servings_per_day"], "1");
    assert_eq!(c["dose"]["quantity_per_day"], "5");
    assert_eq!(c["dose"]["basis"], "body_weight");
    assert_eq!(c["total_servings"], "30");
    assert_eq!(c["total_amounts"][0]["amount"], "150");
    assert!(!c["dose"]["timing_text"].as_str().unwrap().is_empty());
    for p in c["packages_needed"].as_array().unwrap() {
        let servings: f64 = p["servings"].as_str().unwrap().parse().unwrap();
        let count = p["count"].as_u64().unwrap() as f64;
        assert!(
            count * servings >= 30.0 && (count - 1.0) * servings < 30.0,
            "{p}"
        );
    }
    let w = &body["items"][1];
    assert_eq!(w["status"], "excluded");
    assert_eq!(w["reason"], "unsafe");
    assert!(w["dose"].is_null());

    let p = assert_problem(
        app.get_authed("/api/v1/dosage?product_ids=nope", &token)
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["product_ids"]);
    let p = assert_problem(
        app.get_authed(
            &format!("/api/v1/dosage?product_ids={}", Uuid::new_v4()),
            &token,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["product_ids"]);
    let p = assert_problem(
        app.get_authed(
            &format!("/api/v1/dosage?product_ids={creatine}&days=0"),
            &token,
        )
        .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&p), ["days"]);
    // Without a health profile there is nothing to screen against.
    let stranger = app.register("bez.profila@example.rs", PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.get_authed(&format!("/api/v1/dosage?product_ids={creatine}"), &stranger)
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get_authed("/api/v1/recommendations", &stranger).await,
        404,
    )
    .await;
    app.stop().await.unwrap();
}

/// Two stores, creatine and whey, priced so that splitting the order beats either store alone.
async fn small_catalogue(app: &TestApp) -> (Uuid, Uuid) {
    let mut tx = app.pool.begin().await.unwrap();
    for sql in [
        "INSERT INTO substances (code, unit, evidence) VALUES ('creatine_monohydrate', 'g', 'A'), ('whey_protein', 'g', 'A')",
        "INSERT INTO brands (slug, name) VALUES ('test-brand', 'Test Brand')",
        "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit)
         SELECT s, (SELECT id FROM brands), t, z, 'g' FROM (VALUES ('kreatin', 'creatine', 5), ('surutka', 'protein', 30)) v (s, t, z)",
        "INSERT INTO product_translations (product_id, locale, name) SELECT id, 'en', initcap(slug) FROM products",
        "INSERT INTO product_substances (product_id, substance_id, amount_per_serving)
         SELECT p.id, s.id, a FROM (VALUES ('kreatin', 'creatine_monohydrate', 5), ('surutka', 'whey_protein', 24)) v (p, s, a)
         JOIN products p ON p.slug = v.p JOIN substances s ON s.code = v.s",
        "INSERT INTO product_allergens (product_id, code) SELECT id, 'milk' FROM products WHERE slug = 'surutka'",
        "INSERT INTO product_packages (product_id, size, size_unit, servings, gtin)
         SELECT p.id, v.size, 'g', v.servings, v.gtin FROM (VALUES ('kreatin', 300, 60, '20000001'), ('kreatin', 500, 100, '20000002'),
                ('surutka', 900, 30, '20000003')) v (p, size, servings, gtin) JOIN products p ON p.slug = v.p",
        "INSERT INTO stores (slug, name, delivery_fee, free_delivery_from, min_order)
         VALUES ('store-a', 'Store A', 300, 7000, 0), ('store-b', 'Store B', 350, NULL, 0), ('store-c', 'Store C', 100, NULL, 0)",
        "INSERT INTO prices (store_id, package_id, price)
         SELECT s.id, pk.id, v.price FROM (VALUES ('store-a', '20000001', 2000), ('store-a', '20000002', 3000),
                ('store-a', '20000003', 4500), ('store-b', '20000001', 1500), ('store-b', '20000003', 4900)) v (store, gtin, price)
         JOIN stores s ON s.slug = v.store JOIN product_packages pk ON pk.gtin = v.gtin",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let id = |slug: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM products WHERE slug = $1")
                .bind(slug)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    (id("kreatin").await, id("surutka").await)
}

#[tokio::test]
async fn the_cheapest_plan_splits_stores_when_that_costs_less_and_is_saved() {
    let app = TestApp::spawn().await;
    let (creatine, whey) = small_catalogue(&app).await;
    let token = app
        .athlete_with_profile("marko@example.rs", profile(&[], &[], &[]))
        .await;
    let request = json!({
        "items": [ { "product_id": creatine, "servings_per_day": 1 }, { "product_id": whey, "servings_per_day": 1 } ],
        "days": 30
    });
    // A alone: 2000 + 4500 + 300 = 6800 (below its 7000 free delivery); B alone: 1500 + 4900 + 350 =
    // 6750; creatine at B (1850) and whey at A (4800): 6650.
    let plan = ok(app
        .send(Method::POST, "/api/v1/shopping-plan", &token, &request)
        .await)
    .await;
    assert_eq!(plan["total"], "6650");
    assert_eq!(plan["packages_total"], "6000");
    assert_eq!(plan["delivery_total"], "650");
    assert_eq!(plan["best_single_store"]["store_slug"], "store-b");
    assert_eq!(plan["best_single_store"]["total"], "6750");
    assert_eq!(plan["saving"], "100");
    let stores = plan["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 2);
    let b = stores.iter().find(|s| s["slug"] == "store-b").unwrap();
    assert_eq!(b["lines"][0]["product_id"], creatine.to_string());
    assert_eq!(b["lines"][0]["count"], 1);
    assert_eq!(b["total"], "1850");
    // 30 servings of each: the 60-serving creatine tub and the 30-serving whey bag.
    let items = plan["items"].as_array().unwrap();
    assert_eq!(
        (items[0]["needed"].as_str(), items[0]["bought"].as_str()),
        (Some("30"), Some("60"))
    );
    assert_eq!(
        (items[1]["needed"].as_str(), items[1]["bought"].as_str()),
        (Some("30"), Some("30"))
    );
    assert!(items.iter().all(|i| i["unit"] == "servings"));
    assert!(plan["id"].is_null(), "not saved unless asked");

    // One store at most: B.
    let mut one = request.clone();
    one["max_stores"] = json!(1);
    let plan = ok(app
        .send(Method::POST, "/api/v1/shopping-plan", &token, &one)
        .await)
    .await;
    assert_eq!(plan["total"], "6750");
    // Only A: 6800.
    let mut only_a = request.clone();
    only_a["stores"] = json!(["store-a"]);
    let plan = ok(app
        .send(Method::POST, "/api/v1/shopping-plan", &token, &only_a)
        .await)
    .await;
    assert_eq!(plan["total"], "6800");

    // A substance: 5 g of creatine a day for 30 days is 150 g; the 60-serving tub holds 300 g.
    let by_substance = json!({ "items": [ { "substance": "creatine_monohydrate", "amount_per_day": 5 } ], "days": 30 });
    let plan = ok(app
        .send(Method::POST, "/api/v1/shopping-plan", &token, &by_substance)
        .await)
    .await;
    assert_eq!(plan["total"], "1850");
    assert_eq!(plan["items"][0]["needed"], "150");
    assert_eq!(plan["items"][0]["bought"], "300");
    assert_eq!(plan["items"][0]["unit"], "g");

    // Saved, listed, read back and deleted; nobody else sees it.
    let mut save = request.clone();
    save["save"] = json!(true);
    save["name"] = json!("Mesečna kupovina");
    let r = app
        .send(Method::POST, "/api/v1/shopping-plan", &token, &save)
        .await;
    assert_eq!(r.status(), 201);
    let saved: Value = r.json().await.unwrap();
    let id = saved["id"].as_str().unwrap().to_owned();
    let lists = ok(app.get_authed("/api/v1/shopping-lists", &token).await).await;
    assert_eq!(lists[0]["id"], id.as_str());
    assert_eq!(lists[0]["total"], "6650");
    assert_eq!(lists[0]["stores"], json!(["store-a", "store-b"]));
    let again = ok(app
        .get_authed(&format!("/api/v1/shopping-lists/{id}"), &token)
        .await)
    .await;
    assert_eq!(again, saved);
    let other = app
        .athlete_with_profile("neko.drugi@example.rs", profile(&[], &[], &[]))
        .await;
    assert_problem(
        app.get_authed(&format!("/api/v1/shopping-lists/{id}"), &other)
            .await,
        404,
    )
    .await;
    assert_eq!(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/shopping-lists/{id}"),
            &other
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
    assert_eq!(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/shopping-lists/{id}"),
            &token
        )
        .send()
        .await
        .unwrap()
        .status(),
        204
    );
    assert_problem(
        app.get_authed(&format!("/api/v1/shopping-lists/{id}"), &token)
            .await,
        404,
    )
    .await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn impossible_and_unsafe_plans_are_explained() {
    let app = TestApp::spawn().await;
    let (creatine, whey) = small_catalogue(&app).await;
    let token = app
        .athlete_with_profile("ivana@example.rs", profile(&["milk"], &[], &[]))
        .await;
    let post = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.send(Method::POST, "/api/v1/shopping-plan", &token, &body)
                .await
        }
    };

    // Whey declares milk: refused for this athlete, naming the item.
    let p = assert_problem(
        post(json!({ "items": [ { "product_id": creatine, "servings_per_day": 1 }, { "product_id": whey, "servings_per_day": 1 } ] })).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["items[1].product_id"]);
    // Store C sells nothing of it.
    let p = assert_problem(post(json!({ "items": [ { "product_id": creatine, "servings_per_day": 1 } ], "stores": ["store-c"] })).await, 422).await;
    assert_eq!(problem_fields(&p), ["items[0].product_id"]);
    // Every malformed field at once.
    let p = assert_problem(
        post(json!({
            "items": [
                { "product_id": creatine, "substance": "caffeine" },
                { "product_id": creatine, "servings_per_day": 1, "grams_per_day": 5 },
                { "substance": "creatine_monohydrate", "amount_per_day": -5 }
            ],
            "days": 400, "max_stores": 0, "stores": ["no-such-store"]
        }))
        .await,
        422,
    )
    .await;
    let fields = problem_fields(&p);
    for f in [
        "items[0]",
        "items[1].grams_per_day",
        "items[2].amount_per_day",
        "days",
        "max_stores",
        "stores",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let p = assert_problem(post(json!({ "items": [] })).await, 422).await;
    assert_eq!(problem_fields(&p), ["items"]);
    let p = assert_problem(
        post(json!({ "items": [ { "product_id": Uuid::new_v4() } ] })).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["items[0].product_id"]);
    let p = assert_problem(
        post(json!({ "items": [ { "substance": "unobtainium", "amount_per_day": 1 } ] })).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["items[0].substance"]);
    let p = assert_problem(post(json!({ "items": "creatine" })).await, 400).await;
    assert_eq!(problem_fields(&p), ["items"]);
    // Nothing was saved on any of these.
    let saved: i64 = sqlx::query_scalar("SELECT count(*) FROM shopping_lists")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(saved, 0);

    // Coaches and admins do not shop as athletes.
    let coach = app.user_with_role("trener@example.rs", "coach").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.send(
            Method::POST,
            "/api/v1/shopping-plan",
            &coach,
            &json!({ "items": [] }),
        )
        .await,
        403,
    )
    .await;
    app.stop().await.unwrap();
}
