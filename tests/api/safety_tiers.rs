//! Recommendations in three tiers on the seeded rules and catalogue: recommended, ask your doctor
//! first, not for you. The athletes the tiers were built for, every seeded rule through the API,
//! cautions that add up, totals across products, and a confirmation reaching the shopping plan and
//! leaving it again.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sports_nutrition::db::{self, seed};
use uuid::Uuid;

use crate::{
    helpers::{TestApp, TestDatabase, assert_problem, ok, problem_fields},
    supplements::ids,
};

/// A birth date `years` ago, on the 1st of January, so the age is `years` all year.
fn born(years: i32) -> String {
    let year = time::OffsetDateTime::now_utc().year() - years;
    format!("{year}-01-01")
}

fn profile(age: i32, sex: &str, sport: &str, conditions: &[&str], medications: &[&str]) -> Value {
    json!({
        "birth_date": born(age), "sex": sex, "weight_kg": 60, "height_cm": 168,
        "activity_level": "active", "sport": sport, "training_hours_per_week": 8, "goal": "performance",
        "conditions": conditions, "medications": medications
    })
}

async fn recommendations(app: &TestApp, token: &str) -> Value {
    ok(app
        .get_authed("/api/v1/recommendations?limit=100&lang=en", token)
        .await)
    .await
}

/// Substance codes by product id, of the products on offer.
async fn substances(app: &TestApp) -> BTreeMap<Uuid, BTreeSet<String>> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT ps.product_id, s.code FROM product_substances ps
         JOIN substances s ON s.id = ps.substance_id JOIN products p ON p.id = ps.product_id
         WHERE p.is_available",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut out: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
    for (product, code) in rows {
        out.entry(product).or_default().insert(code);
    }
    out
}

async fn product_id(app: &TestApp, slug: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM products WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn entry(list: &Value, id: Uuid) -> Option<&Value> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["product"]["id"] == id.to_string())
}

/// Every product lands in exactly one tier, and the recommended ones hold none of `banned`.
fn check_tiers(body: &Value, all: &BTreeMap<Uuid, BTreeSet<String>>, banned: &[&str]) {
    let mut seen: Vec<Uuid> = ids(&body["items"])
        .into_iter()
        .chain(ids(&body["ask_doctor"]))
        .chain(ids(&body["excluded"]))
        .collect();
    seen.sort();
    let expected: Vec<Uuid> = all.keys().copied().collect();
    assert_eq!(seen, expected, "each product in exactly one tier");
    for id in ids(&body["items"]) {
        for b in banned {
            assert!(!all[&id].contains(*b), "{b} recommended: {id}");
        }
    }
    for item in body["items"].as_array().unwrap() {
        assert!(
            item["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["severity"] == "info"),
            "no caution among the recommended: {item}"
        );
    }
    // Every product asked about or left out says why, with a source.
    for item in body["ask_doctor"].as_array().unwrap() {
        let warnings = item["warnings"].as_array().unwrap();
        assert!(
            warnings.iter().any(|w| w["severity"] == "caution"),
            "{item}"
        );
        for w in warnings.iter().filter(|w| w["severity"] == "caution") {
            assert!(w["source"].as_str().unwrap().len() > 10, "{w}");
            assert!(!w["explanation"].as_str().unwrap().is_empty(), "{w}");
            assert!(w["question"].as_str().unwrap().contains('?'), "{w}");
        }
    }
    for item in body["excluded"].as_array().unwrap() {
        assert!(
            !item["explanation"].as_array().unwrap().is_empty(),
            "{item}"
        );
        if item["reason"] == "unsafe" {
            assert!(
                item["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|w| w["severity"] == "avoid" && w["source"].as_str().is_some()),
                "{item}"
            );
        }
    }
}

fn warning<'a>(item: &'a Value, code: &str) -> &'a Value {
    item["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == code)
        .unwrap_or_else(|| panic!("no {code} warning: {item}"))
}

#[tokio::test]
async fn every_vocabulary_term_has_rules_or_a_stated_reason() {
    let database = TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    seed::run(&pool, false).await.unwrap();
    let terms: Vec<(String, String)> =
        sqlx::query_as("SELECT vocabulary, code FROM vocabulary_terms ORDER BY 1, 2")
            .fetch_all(&pool)
            .await
            .unwrap();
    let ruled: BTreeSet<(String, String)> =
        sqlx::query_as("SELECT DISTINCT vocabulary, code FROM contraindication_rules")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    #[derive(serde::Deserialize)]
    struct Exemption {
        vocabulary: String,
        code: String,
        reason: String,
    }
    let exempt: Vec<Exemption> = csv::Reader::from_reader(
        include_str!("../../seeds/catalogue/vocabulary_coverage.csv").as_bytes(),
    )
    .deserialize()
    .collect::<Result<_, _>>()
    .unwrap();
    let exempt_terms: BTreeSet<(String, String)> = exempt
        .iter()
        .map(|e| (e.vocabulary.clone(), e.code.clone()))
        .collect();
    for (vocabulary, code) in &terms {
        let key = (vocabulary.clone(), code.clone());
        assert!(
            ruled.contains(&key) || exempt_terms.contains(&key),
            "{vocabulary}:{code} has no rule and no stated reason in seeds/catalogue/vocabulary_coverage.csv"
        );
    }
    for e in &exempt {
        let key = (e.vocabulary.clone(), e.code.clone());
        assert!(
            terms.contains(&key),
            "{}:{} is not a term",
            e.vocabulary,
            e.code
        );
        assert!(
            !ruled.contains(&key),
            "{}:{} has rules now: drop its exemption",
            e.vocabulary,
            e.code
        );
        assert!(e.reason.len() > 20);
    }
    // The terms the tiers were built around each have rules with a source.
    for (vocabulary, code) in [
        ("condition", "pregnancy"),
        ("condition", "breastfeeding"),
        ("population", "minor"),
        ("condition", "hypertension"),
        ("condition", "chronic_kidney_disease"),
        ("condition", "liver_disease"),
        ("condition", "heart_arrhythmia"),
        ("condition", "diabetes_type_1"),
        ("condition", "diabetes_type_2"),
        ("medication_class", "anticoagulant_warfarin"),
        ("medication_class", "maoi"),
        ("medication_class", "ssri"),
        ("medication_class", "stimulant"),
        ("medication_class", "levothyroxine"),
        ("medication_class", "diuretic"),
        ("medication_class", "ace_inhibitor"),
        ("medication_class", "antihypertensive"),
        ("medication_class", "insulin"),
    ] {
        assert!(
            ruled.contains(&(vocabulary.to_owned(), code.to_owned())),
            "{vocabulary}:{code}"
        );
    }
    let unsourced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contraindication_rules WHERE length(source) < 10 OR source_url IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unsourced, 0);
}

#[tokio::test]
async fn pregnancy_under_18_and_high_blood_pressure_keep_cautioned_products_out_of_the_ranking() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let all = substances(&app).await;
    let with_pregnancy_data: BTreeSet<String> = sqlx::query_scalar(
        "SELECT s.code FROM substance_life_stages l JOIN substances s ON s.id = l.substance_id
         WHERE l.life_stage = 'pregnancy'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let creatine = product_id(&app, "on-micronized-creatine-powder").await;
    let bicarbonate = product_id(&app, "ssl-natrijum-bikarbonat").await;
    let no_xplode = product_id(&app, "bsn-no-xplode").await;
    let amino_energy = product_id(&app, "on-essential-amino-energy").await;

    // Pregnant, 30, endurance: no caffeine at all, and nothing without pregnancy safety data.
    let token = app
        .athlete_with_profile(
            "mara@example.rs",
            profile(30, "female", "endurance", &["pregnancy"], &[]),
        )
        .await;
    let body = recommendations(&app, &token).await;
    check_tiers(
        &body,
        &all,
        &["caffeine", "creatine_monohydrate", "sodium_bicarbonate"],
    );
    assert!(!body["items"].as_array().unwrap().is_empty(), "{body}");
    for id in ids(&body["items"]) {
        assert!(
            all[&id].is_subset(&with_pregnancy_data),
            "{id}: {:?}",
            all[&id]
        );
    }
    let caffeine = warning(entry(&body["excluded"], amino_energy).unwrap(), "pregnancy");
    assert_eq!(caffeine["severity"], "avoid");
    assert!(caffeine["source"].as_str().unwrap().contains("Obstetric"));
    let asked = entry(&body["ask_doctor"], creatine).expect("creatine: ask the doctor");
    assert_eq!(warning(asked, "pregnancy")["severity"], "caution");

    // 16, team sport: food first; creatine and bicarbonate are kept for adults.
    let token = app
        .athlete_with_profile(
            "luka@example.rs",
            profile(16, "male", "team_sport", &[], &[]),
        )
        .await;
    let body = recommendations(&app, &token).await;
    check_tiers(
        &body,
        &all,
        &["caffeine", "creatine_monohydrate", "sodium_bicarbonate"],
    );
    for id in [creatine, bicarbonate] {
        let left_out = entry(&body["excluded"], id).expect("not for you");
        assert_eq!(left_out["reason"], "unsafe");
        let w = warning(left_out, "minor");
        assert_eq!(w["severity"], "avoid");
        assert!(w["source"].as_str().unwrap().contains("AIS"), "{w}");
    }

    // 45, high blood pressure, on blood-pressure medication: the cautions add up.
    let token = app
        .athlete_with_profile(
            "dragan@example.rs",
            profile(
                45,
                "male",
                "general_fitness",
                &["hypertension"],
                &["antihypertensive"],
            ),
        )
        .await;
    let body = recommendations(&app, &token).await;
    check_tiers(&body, &all, &["caffeine", "sodium_bicarbonate"]);
    for id in [bicarbonate, no_xplode] {
        let left_out = entry(&body["excluded"], id).expect("not for you");
        assert_eq!(left_out["reason"], "unsafe", "{left_out}");
        let combined = left_out["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| !w["combined_with"].as_array().unwrap().is_empty())
            .unwrap_or_else(|| panic!("cautions that add up: {left_out}"));
        assert_eq!(combined["severity"], "avoid");
        assert!(
            combined["explanation"].as_str().unwrap().contains("add up"),
            "{combined}"
        );
    }
    // One caution alone (caffeine with high blood pressure): a question for the doctor.
    let asked = entry(&body["ask_doctor"], amino_energy).expect("ask the doctor");
    assert_eq!(warning(asked, "hypertension")["severity"], "caution");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn everything_recommended_together_stays_within_the_day_s_limits() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let all = substances(&app).await;
    let token = app
        .athlete_with_profile(
            "nina@example.rs",
            profile(28, "female", "endurance", &[], &[]),
        )
        .await;
    let body = recommendations(&app, &token).await;
    check_tiers(&body, &all, &[]);
    let stimulants = ["caffeine", "synephrine", "yohimbine", "green_tea_extract"];
    let mut caffeine = Decimal::ZERO;
    let mut with_stimulant = 0;
    for item in body["items"].as_array().unwrap() {
        let amounts = item["dose"]["amounts"].as_array().unwrap();
        if amounts
            .iter()
            .any(|a| stimulants.contains(&a["substance"].as_str().unwrap()))
        {
            with_stimulant += 1;
        }
        for a in amounts.iter().filter(|a| a["substance"] == "caffeine") {
            caffeine += a["amount"].as_str().unwrap().parse::<Decimal>().unwrap();
        }
    }
    assert_eq!(with_stimulant, 1, "one stimulant product: {body}");
    // 60 kg: 6 mg/kg is 360 mg, within EFSA's 400 mg.
    assert!(caffeine <= Decimal::from(360), "{caffeine} mg");
    let stacked: Vec<&Value> = body["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "stimulant_stack")
        .collect();
    assert!(!stacked.is_empty(), "{body}");
    for e in stacked {
        assert!(
            e["explanation"][0]
                .as_str()
                .unwrap()
                .contains("never two stimulants"),
            "{e}"
        );
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn every_seeded_rule_reaches_the_api() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    #[derive(sqlx::FromRow)]
    struct Rule {
        id: Uuid,
        substance: String,
        vocabulary: String,
        code: String,
        min_daily_amount: Option<Decimal>,
    }
    let rules: Vec<Rule> = sqlx::query_as(
        "SELECT r.id, s.code AS substance, r.vocabulary, r.code, r.min_daily_amount
         FROM contraindication_rules r JOIN substances s ON s.id = r.substance_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(rules.len() >= 60, "{} rules", rules.len());
    let all = substances(&app).await;
    let mut by_term: BTreeMap<(String, String), Vec<&Rule>> = BTreeMap::new();
    for r in &rules {
        by_term
            .entry((r.vocabulary.clone(), r.code.clone()))
            .or_default()
            .push(r);
    }
    for (n, ((vocabulary, code), term_rules)) in by_term.iter().enumerate() {
        let (age, conditions, medications, allergies): (i32, Vec<&str>, Vec<&str>, Vec<&str>) =
            match vocabulary.as_str() {
                "condition" => (30, vec![code], vec![], vec![]),
                "medication_class" => (30, vec![], vec![code], vec![]),
                "allergen" => (30, vec![], vec![], vec![code]),
                _ => (16, vec![], vec![], vec![]),
            };
        let mut p = profile(age, "female", "endurance", &conditions, &medications);
        p["allergies"] = json!(allergies);
        let token = app
            .athlete_with_profile(&format!("term{n}@example.rs"), p)
            .await;
        let wanted: BTreeSet<&str> = term_rules.iter().map(|r| r.substance.as_str()).collect();
        let products: Vec<Uuid> = all
            .iter()
            .filter(|(_, s)| s.iter().any(|c| wanted.contains(c.as_str())))
            .map(|(id, _)| *id)
            .take(30)
            .collect();
        let list: Vec<String> = products.iter().map(Uuid::to_string).collect();
        let body = ok(app
            .get_authed(
                &format!(
                    "/api/v1/dosage?product_ids={}&days=1&lang=en",
                    list.join(",")
                ),
                &token,
            )
            .await)
        .await;
        for rule in term_rules {
            let holding: Vec<&Value> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| {
                    all[&i["product"]["id"]
                        .as_str()
                        .unwrap()
                        .parse::<Uuid>()
                        .unwrap()]
                        .contains(&rule.substance)
                })
                .collect();
            assert!(!holding.is_empty(), "a product holds {}", rule.substance);
            let fired = holding.iter().any(|i| {
                i["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|w| w["rule_id"] == rule.id.to_string())
            });
            let within = |i: &&Value| {
                i["total_amounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["substance"] == rule.substance.as_str())
                    .all(|a| {
                        let amount: Decimal = a["amount"].as_str().unwrap().parse().unwrap();
                        rule.min_daily_amount.is_some_and(|t| amount <= t)
                    })
            };
            // A threshold rule either fires or the dose stays at or below its threshold.
            assert!(
                fired || (rule.min_daily_amount.is_some() && holding.iter().all(within)),
                "{} × {vocabulary}:{code} shows in no answer: {body}",
                rule.substance
            );
        }
    }
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_confirmation_after_asking_the_doctor_reaches_the_shopping_plan_until_revoked() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let amino_energy = product_id(&app, "on-essential-amino-energy").await;
    let synephrine: Uuid = sqlx::query_scalar(
        "SELECT ps.product_id FROM product_substances ps JOIN substances s ON s.id = ps.substance_id
         WHERE s.code = 'synephrine' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let creatine = product_id(&app, "on-micronized-creatine-powder").await;
    let token = app
        .athlete_with_profile(
            "vesna@example.rs",
            profile(34, "female", "endurance", &["hypertension"], &[]),
        )
        .await;
    let body = recommendations(&app, &token).await;
    assert!(entry(&body["ask_doctor"], amino_energy).is_some(), "{body}");

    let plan = |product: Uuid| json!({ "items": [{ "product_id": product }], "days": 30 });
    let refused = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/shopping-plan?lang=en",
            &token,
            &plan(amino_energy),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&refused), ["items[0].product_id"]);
    assert!(
        refused.to_string().contains("Ask your doctor first"),
        "{refused}"
    );
    // Nor is it the one a substance is bought as.
    let by_substance = json!({ "items": [{ "substance": "caffeine", "amount_per_day": 100 }] });
    let refused = assert_problem(
        app.send(Method::POST, "/api/v1/shopping-plan", &token, &by_substance)
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&refused), ["items[0].substance"]);

    // Only a product to ask the doctor about can be confirmed.
    for (product, status) in [(synephrine, 422), (creatine, 422)] {
        let r = app
            .send(
                Method::POST,
                "/api/v1/supplement-confirmations",
                &token,
                &json!({ "product_id": product }),
            )
            .await;
        let problem = assert_problem(r, status).await;
        assert_eq!(problem_fields(&problem), ["product_id"]);
    }
    let confirm = json!({ "product_id": amino_energy, "note": "Dr. Petrović: one serving on race days is fine." });
    let r = app
        .send(
            Method::POST,
            "/api/v1/supplement-confirmations",
            &token,
            &confirm,
        )
        .await;
    assert_eq!(r.status(), 201);
    let confirmation: Value = r.json().await.unwrap();
    assert_eq!(confirmation["confirmed_by"], "athlete");
    let again = app
        .send(
            Method::POST,
            "/api/v1/supplement-confirmations",
            &token,
            &confirm,
        )
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.unwrap()["id"],
        confirmation["id"]
    );

    let body = recommendations(&app, &token).await;
    let item = entry(&body["items"], amino_energy).expect("recommended once confirmed");
    assert_eq!(item["confirmed"], true);
    assert_eq!(warning(item, "hypertension")["severity"], "caution");
    let r = app
        .send(
            Method::POST,
            "/api/v1/shopping-plan",
            &token,
            &plan(amino_energy),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let listed = ok(app
        .get_authed("/api/v1/supplement-confirmations", &token)
        .await)
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Revoked: back to the doctor's question, out of plans; the record stays, dated.
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/supplement-confirmations/{amino_energy}"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_problem(
        app.send(
            Method::POST,
            "/api/v1/shopping-plan",
            &token,
            &plan(amino_energy),
        )
        .await,
        422,
    )
    .await;
    let body = recommendations(&app, &token).await;
    assert!(entry(&body["ask_doctor"], amino_energy).is_some());
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/supplement-confirmations/{amino_energy}"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
    let revoked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM supplement_confirmations WHERE product_id = $1 AND revoked_at IS NOT NULL",
    )
    .bind(amino_energy)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(revoked, 1);

    // A coach the athlete granted access confirms for them, and sees the tiers.
    app.user_with_role("trener@example.rs", "coach").await;
    let coach_token = app.sign_in("trener@example.rs").await;
    let r = app
        .send(
            Method::POST,
            "/api/v1/account/coaches",
            &token,
            &json!({ "email": "trener@example.rs" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let athlete_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'vesna@example.rs'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/coach/athletes/{athlete_id}/supplement-confirmations"),
            &coach_token,
            &json!({ "product_id": amino_energy }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["confirmed_by"], "coach");
    let seen = ok(app
        .get_authed(
            &format!("/api/v1/coach/athletes/{athlete_id}/recommendations?limit=100"),
            &coach_token,
        )
        .await)
    .await;
    assert_eq!(
        entry(&seen["items"], amino_energy).unwrap()["confirmed"],
        true
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_meal_plan_s_protein_powder_is_recommended_or_confirmed() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    // A heavy athlete building mass who eats none of the protein-rich dishes: the dishes leave a
    // protein gap that a powder fills.
    let heavy = |conditions: &[&str]| {
        json!({
            "birth_date": born(25), "sex": "male", "weight_kg": 110, "height_cm": 190,
            "activity_level": "very_active", "sport": "strength_power", "training_hours_per_week": 12,
            "goal": "mass", "conditions": conditions
        })
    };
    let rich = ok(app.get("/api/v1/dishes?min_protein=15&per_page=100").await).await;
    let rich: Vec<&Value> = rich["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["id"])
        .collect();
    assert!(rich.len() >= 5, "{rich:?}");
    let prefs = json!({ "excluded_dishes": rich, "favourite_dishes": [] });
    let day = json!({ "date": "2026-12-01", "training_load": "hard" });
    let supplement = |token: String| {
        let app = &app;
        let (day, prefs) = (day.clone(), prefs.clone());
        async move {
            let r = app
                .send(Method::PUT, "/api/v1/meal-preferences", &token, &prefs)
                .await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
            let plan = ok(app
                .send(Method::POST, "/api/v1/meal-plans/daily", &token, &day)
                .await)
            .await;
            plan["supplement"]["product_id"]
                .as_str()
                .map(|id| id.parse::<Uuid>().unwrap())
        }
    };
    let healthy = app
        .athlete_with_profile("milos@example.rs", heavy(&[]))
        .await;
    let powder = supplement(healthy)
        .await
        .expect("a protein powder fills the gap");

    // With kidney disease every protein powder is a question for the doctor: none is planned.
    let ill = app
        .athlete_with_profile("goran@example.rs", heavy(&["chronic_kidney_disease"]))
        .await;
    assert_eq!(supplement(ill.clone()).await, None);

    // Confirmed after asking the doctor, it is.
    let r = app
        .send(
            Method::POST,
            "/api/v1/supplement-confirmations",
            &ill,
            &json!({ "product_id": powder }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(supplement(ill).await, Some(powder));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn admins_keep_life_stage_data_with_its_source_and_the_tiers_follow() {
    let app = TestApp::spawn().await;
    seed::run(&app.pool, false).await.unwrap();
    let data = ok(app
        .get("/api/v1/safety-life-stages?substance=whey_protein&lang=sr-Cyrl")
        .await)
    .await;
    let stages: Vec<&str> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["life_stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["breastfeeding", "minor", "pregnancy"]);
    for d in data.as_array().unwrap() {
        assert!(d["source"].as_str().unwrap().len() > 10, "{d}");
        assert_ne!(
            d["substance_name"], "whey_protein",
            "named in Cyrillic: {d}"
        );
    }

    let all = substances(&app).await;
    let whey = *all
        .iter()
        .find(|(_, s)| s.len() == 1 && s.contains("whey_protein"))
        .expect("a product of whey protein alone")
        .0;
    let pregnant = app
        .athlete_with_profile(
            "ana@example.rs",
            profile(30, "female", "endurance", &["pregnancy"], &[]),
        )
        .await;
    assert!(ids(&recommendations(&app, &pregnant).await["items"]).contains(&whey));

    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = "/api/v1/admin/safety-life-stages/whey_protein/pregnancy";
    let r = app
        .send(Method::DELETE, path, &pregnant, &json!(null))
        .await;
    assert_eq!(r.status(), 403);

    // Without pregnancy data on record, whey is a question for the doctor.
    let r = app.send(Method::DELETE, path, &admin, &json!(null)).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let body = recommendations(&app, &pregnant).await;
    check_tiers(&body, &all, &[]);
    let asked = entry(&body["ask_doctor"], whey).expect("whey is asked about");
    assert_eq!(warning(asked, "pregnancy")["severity"], "caution");
    let r = app.send(Method::DELETE, path, &admin, &json!(null)).await;
    assert_eq!(r.status(), 404);

    let p = assert_problem(
        app.send(Method::PUT, path, &admin, &json!({ "source": " ab " }))
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["source"]);
    let cited = json!({ "source": "EFSA NDA Panel, protein DRVs, 2012", "source_url": "https://doi.org/10.2903/j.efsa.2012.2557" });
    let r = app
        .send(
            Method::PUT,
            "/api/v1/admin/safety-life-stages/no_such_substance/pregnancy",
            &admin,
            &cited,
        )
        .await;
    assert_eq!(r.status(), 404);

    let r = app.send(Method::PUT, path, &admin, &cited).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let saved: Value = r.json().await.unwrap();
    assert_eq!(saved["source"], cited["source"]);
    assert!(ids(&recommendations(&app, &pregnant).await["items"]).contains(&whey));
    let recited = json!({ "source": "EFSA, Dietary Reference Values for protein (2012)" });
    let r = app.send(Method::PUT, path, &admin, &recited).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let listed = ok(app
        .get("/api/v1/safety-life-stages?substance=whey_protein")
        .await)
    .await;
    let pregnancy = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["life_stage"] == "pregnancy")
        .unwrap();
    assert_eq!(pregnancy["source"], recited["source"]);
    assert!(pregnancy.get("source_url").is_none(), "{pregnancy}");

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'admin.life_stage%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "admin.life_stage_data_delete",
            "admin.life_stage_data_put",
            "admin.life_stage_data_put"
        ]
    );
    app.stop().await.unwrap();
}
