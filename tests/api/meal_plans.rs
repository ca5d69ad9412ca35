//! Dishes, meal plans and their shopping list through the API on the seeded dishes, and the planner's
//! quality over 200 generated athletes.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};
use sports_nutrition::{
    db::dishes,
    domain::{
        mealplan::{self, Dish, Macros, MealType, Targets},
        nutrition::{self, ActivityLevel, Athlete, Goal, Sex, Sport, TrainingLoad},
    },
};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, assert_problem, ok, problem_fields};

async fn athlete(app: &TestApp, email: &str, allergies: &[&str]) -> String {
    let token = app.register(email, PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let profile = json!({
        "birth_date": "1995-04-20", "sex": "female", "weight_kg": 64, "height_cm": 170,
        "activity_level": "active", "sport": "team_sport", "training_hours_per_week": 7, "goal": "maintain",
        "allergies": allergies
    });
    assert_eq!(
        app.send(Method::PUT, "/api/v1/health-profile", &token, &profile)
            .await
            .status(),
        200
    );
    token
}

async fn dish_id(app: &TestApp, slug: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM dishes WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn dishes_are_searched_in_any_script_and_filtered() {
    let app = TestApp::seeded().await;
    for q in ["cevapi", "ćevapi", "ћевапи", "CEVAPI"] {
        let page = ok(app.get(&format!("/api/v1/dishes?q={q}&lang=sr-Latn")).await).await;
        assert_eq!(page["total"], 1, "{q}: {page}");
        assert_eq!(page["items"][0]["name"], "Ćevapi");
    }
    let cyrillic = ok(app.get("/api/v1/dishes?q=cevapi&lang=sr-Cyrl").await).await;
    assert_eq!(cyrillic["items"][0]["name"], "Ћевапи");

    let all = ok(app.get("/api/v1/dishes?per_page=100").await).await;
    assert!(all["total"].as_u64().unwrap() >= 50);
    let without_milk = ok(app
        .get("/api/v1/dishes?allergen_free=milk&per_page=100")
        .await)
    .await;
    assert!(without_milk["total"].as_u64() < all["total"].as_u64());
    for d in without_milk["items"].as_array().unwrap() {
        assert!(
            !d["allergens"].as_array().unwrap().contains(&json!("milk")),
            "{d}"
        );
    }
    let breakfast = ok(app
        .get("/api/v1/dishes?meal_type=breakfast&min_protein=25&per_page=100")
        .await)
    .await;
    for d in breakfast["items"].as_array().unwrap() {
        assert!(
            d["meal_types"]
                .as_array()
                .unwrap()
                .contains(&json!("breakfast"))
        );
        assert!(d["per_serving"]["protein_g"].as_f64().unwrap() >= 25.0);
    }
    let light = ok(app.get("/api/v1/dishes?max_kcal=300&per_page=100").await).await;
    assert!(
        light["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["per_serving"]["energy_kcal"].as_f64().unwrap() <= 300.0)
    );

    // A dish card: nutrition is the sum of its ingredients per serving.
    let id = dish_id(&app, "pasulj").await;
    let card = ok(app.get(&format!("/api/v1/dishes/{id}?lang=en")).await).await;
    assert_eq!(card["servings_per_recipe"], 6);
    assert!(card["ingredients"].as_array().unwrap().len() >= 4);
    assert!(
        card["cost_per_serving"].is_string(),
        "every ingredient has a demo price: {card}"
    );
    assert_problem(
        app.get(&format!("/api/v1/dishes/{}", Uuid::new_v4())).await,
        404,
    )
    .await;
    let p = assert_problem(
        app.get("/api/v1/dishes?min_kcal=500&max_kcal=100").await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["min_kcal"]);
    let p = assert_problem(app.get("/api/v1/dishes?allergen_free=plutonium").await, 422).await;
    assert_eq!(problem_fields(&p), ["allergen_free"]);

    // Ingredients: USDA numbers kept, unknown nutrients absent (never 0), names in Serbian.
    let eggs = ok(app
        .get("/api/v1/ingredients?q=jaja&in_dishes=true&lang=sr-Latn")
        .await)
    .await;
    assert!(eggs["total"].as_u64().unwrap() >= 1, "{eggs}");
    let all = ok(app.get("/api/v1/ingredients?per_page=1").await).await;
    assert_eq!(all["total"], 8789);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn admins_edit_dishes_and_nutrition_follows_the_recipe() {
    let app = TestApp::seeded().await;
    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let athlete = athlete(&app, "a@example.rs", &[]).await;
    let ingredient = |ndb: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM ingredients WHERE usda_ndb_no = $1")
                .bind(ndb)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let chicken = ingredient("05062").await; // chicken breast, raw
    let rice = ingredient("20044").await; // rice, white, long-grain, raw
    let body = json!({
        "slug": "piletina-sa-pirincem-test", "meal_types": ["lunch", "dinner"], "servings": 2,
        "cooking_time_min": 30, "difficulty": "easy",
        "names": { "en": "Chicken with rice", "sr-Latn": "Piletina sa pirinčem" },
        "ingredients": [ { "ingredient_id": chicken, "grams": 300 }, { "ingredient_id": rice, "grams": 150 } ]
    });
    assert_problem(
        app.send(Method::POST, "/api/v1/admin/dishes", &athlete, &body)
            .await,
        403,
    )
    .await;
    let r = app
        .send(Method::POST, "/api/v1/admin/dishes", &admin, &body)
        .await;
    assert_eq!(r.status(), 201);
    let dish: Value = r.json().await.unwrap();
    let id = dish["id"].as_str().unwrap().to_owned();
    let expected: f64 = sqlx::query_scalar(
        "SELECT (300 * (SELECT protein_g FROM ingredients WHERE usda_ndb_no = '05062')
               + 150 * (SELECT protein_g FROM ingredients WHERE usda_ndb_no = '20044')) / 100 / 2",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        (dish["per_serving"]["protein_g"].as_f64().unwrap() - expected).abs() < 0.06,
        "{dish}"
    );

    let mut more = body.clone();
    more["ingredients"][0]["grams"] = json!(600);
    let updated = ok(app
        .send(
            Method::PUT,
            &format!("/api/v1/admin/dishes/{id}"),
            &admin,
            &more,
        )
        .await)
    .await;
    assert!(
        updated["per_serving"]["protein_g"].as_f64() > dish["per_serving"]["protein_g"].as_f64()
    );

    let bad = json!({
        "slug": "Not A Slug", "meal_types": [], "servings": 0, "cooking_time_min": 9999,
        "names": { "xx": "?" }, "ingredients": [ { "ingredient_id": Uuid::new_v4(), "grams": -1 } ]
    });
    let p = assert_problem(
        app.send(Method::POST, "/api/v1/admin/dishes", &admin, &bad)
            .await,
        422,
    )
    .await;
    let fields = problem_fields(&p);
    for f in [
        "slug",
        "meal_types",
        "servings",
        "cooking_time_min",
        "names.xx",
        "names",
        "ingredients[0].grams",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let mut unknown = body.clone();
    unknown["slug"] = json!("another-one");
    unknown["ingredients"][1]["ingredient_id"] = json!(Uuid::new_v4());
    let p = assert_problem(
        app.send(Method::POST, "/api/v1/admin/dishes", &admin, &unknown)
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["ingredients[1].ingredient_id"]);
    let p = assert_problem(
        app.send(Method::POST, "/api/v1/admin/dishes", &admin, &body)
            .await,
        409,
    )
    .await;
    assert_eq!(problem_fields(&p), ["slug"]);

    let r = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/admin/dishes/{id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'admin.dish%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "admin.dish_create",
            "admin.dish_update",
            "admin.dish_delete"
        ]
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_day_is_planned_stored_regenerated_and_swapped() {
    let app = TestApp::seeded().await;
    let token = athlete(&app, "jovana@example.rs", &["milk"]).await;
    let excluded = dish_id(&app, "pasulj").await;
    let prefs =
        json!({ "excluded_dishes": [excluded], "favourite_dishes": [], "cuisines": ["serbian"] });
    ok(app
        .send(Method::PUT, "/api/v1/meal-preferences", &token, &prefs)
        .await)
    .await;
    let p = assert_problem(
        app.send(
            Method::PUT,
            "/api/v1/meal-preferences",
            &token,
            &json!({ "favourite_dishes": [excluded], "excluded_dishes": [excluded] }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["excluded_dishes"]);

    let plan = ok(app
        .send(
            Method::POST,
            "/api/v1/meal-plans/daily?lang=en",
            &token,
            &json!({ "date": "2026-12-01", "training_load": "moderate" }),
        )
        .await)
    .await;
    let dishes = plan["dishes"].as_array().unwrap();
    assert!(dishes.len() >= 3, "{plan}");
    for meal in ["breakfast", "lunch", "dinner"] {
        assert!(
            dishes.iter().any(|d| d["meal_type"] == meal),
            "{meal} in {plan}"
        );
    }
    let milk: Vec<Uuid> =
        sqlx::query_scalar("SELECT dish_id FROM dish_allergens WHERE code = 'milk'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for d in dishes {
        let id: Uuid = d["dish_id"].as_str().unwrap().parse().unwrap();
        assert!(!milk.contains(&id), "a dish with milk: {d}");
        assert_ne!(id, excluded);
        let servings = d["servings"].as_f64().unwrap();
        assert!(
            (0.5..=2.5).contains(&servings) && (servings * 4.0).fract() == 0.0,
            "{d}"
        );
    }
    // The totals are the dishes' sum, and within every tolerance or the misses say otherwise.
    let sum: f64 = dishes
        .iter()
        .map(|d| d["energy_kcal"].as_f64().unwrap())
        .sum::<f64>()
        + plan["supplement"]["energy_kcal"].as_f64().unwrap_or(0.0);
    assert!(
        (sum - plan["totals"]["energy_kcal"].as_f64().unwrap()).abs() <= dishes.len() as f64,
        "{plan}"
    );
    let (t, total) = (&plan["targets"], &plan["totals"]);
    let within = |k: &str, lo: f64, hi: f64| {
        let (v, target) = (total[k].as_f64().unwrap(), t[k].as_f64().unwrap());
        v >= lo * target - 0.5 && v <= hi * target + 0.5
    };
    let all_within = within("energy_kcal", 0.95, 1.05)
        && within("protein_g", 1.0, 1.3)
        && within("carbohydrate_g", 0.9, 1.1)
        && within("fat_g", 0.9, 1.1);
    assert_eq!(
        plan["within_targets"].as_bool().unwrap(),
        all_within,
        "{plan}"
    );
    assert_eq!(plan["misses"].as_array().unwrap().is_empty(), all_within);

    let stored = ok(app
        .get_authed("/api/v1/meal-plans/2026-12-01?lang=en", &token)
        .await)
    .await;
    assert_eq!(stored, plan);
    let listed = ok(app
        .get_authed("/api/v1/meal-plans?from=2026-11-30&to=2026-12-02", &token)
        .await)
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_problem(
        app.get_authed("/api/v1/meal-plans/2026-12-02", &token)
            .await,
        404,
    )
    .await;

    // Regenerated: a different day.
    let again = ok(app
        .send(
            Method::POST,
            "/api/v1/meal-plans/daily",
            &token,
            &json!({ "date": "2026-12-01", "training_load": "moderate" }),
        )
        .await)
    .await;
    let ids = |p: &Value| {
        p["dishes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["dish_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_ne!(ids(&again), ids(&plan));

    // Swapped: the dish at position 1 is replaced, the other meals keep theirs.
    let first = again["dishes"][0].clone();
    let swapped = ok(app
        .send(
            Method::POST,
            "/api/v1/meal-plans/2026-12-01/swap",
            &token,
            &json!({ "position": 1 }),
        )
        .await)
    .await;
    assert!(!ids(&swapped).contains(&first["dish_id"].as_str().unwrap().to_owned()));
    for d in again["dishes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["meal_type"] != first["meal_type"])
    {
        assert!(
            ids(&swapped).contains(&d["dish_id"].as_str().unwrap().to_owned()),
            "{d} kept"
        );
    }
    let p = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/meal-plans/2026-12-01/swap",
            &token,
            &json!({ "position": 99 }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["position"]);
    let p = assert_problem(
        app.send(
            Method::POST,
            "/api/v1/meal-plans/2026-12-01/swap",
            &token,
            &json!({ "position": 1, "dish_id": excluded }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["dish_id"]);

    // What to buy for it.
    let list = ok(app
        .get_authed(
            "/api/v1/meal-plans/shopping-list?from=2026-12-01&to=2026-12-01&lang=sr-Latn",
            &token,
        )
        .await)
    .await;
    assert_eq!(list["days_planned"], 1);
    assert!(!list["items"].as_array().unwrap().is_empty());
    for item in list["items"].as_array().unwrap() {
        assert!(item["grams"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    }
    assert!(
        list["estimated_cost"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 0.0
    );
    let p = assert_problem(
        app.get_authed("/api/v1/meal-plans?from=2026-12-10&to=2026-12-01", &token)
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["to"]);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_week_has_variety() {
    let app = TestApp::seeded().await;
    let token = athlete(&app, "luka@example.rs", &[]).await;
    let week = ok(app
        .send(
            Method::POST,
            "/api/v1/meal-plans/weekly",
            &token,
            &json!({ "start_date": "2026-11-30" }),
        )
        .await)
    .await;
    let days = week["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let mut uses: HashMap<String, u32> = HashMap::new();
    for d in days {
        for dish in d["dishes"].as_array().unwrap() {
            *uses
                .entry(dish["slug"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    assert!(
        uses.values().all(|&n| n <= mealplan::MAX_USES_PER_WEEK),
        "{uses:?}"
    );
    assert_eq!(
        week["days_within_targets"].as_u64().unwrap() as usize,
        days.iter().filter(|d| d["within_targets"] == true).count()
    );
    app.stop().await.unwrap();
}

/// 200 generated athletes (both sexes, 45–130 kg, every goal and load, every sport): the share of
/// days the planner gets within every tolerance over the seeded dishes, and the worst miss.
#[tokio::test]
async fn the_planner_meets_the_targets_for_generated_athletes() {
    let app = TestApp::seeded().await;
    let rows = dishes::dishes(
        &app.pool,
        "en",
        &dishes::DishFilter {
            limit: 10_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let menu: Vec<Dish> = rows
        .iter()
        .map(|d| Dish {
            id: d.id,
            meals: d
                .meal_types
                .iter()
                .filter_map(|m| MealType::parse(m))
                .collect(),
            per_serving: Macros {
                energy_kcal: d.nutrients.energy_kcal.unwrap(),
                protein_g: d.nutrients.protein_g.unwrap(),
                carbohydrate_g: d.nutrients.carbohydrate_g.unwrap(),
                fat_g: d.nutrients.fat_g.unwrap(),
            },
            cost_per_serving: None,
            favourite: false,
            uses_this_week: 0,
            pinned: false,
        })
        .collect();
    let goals = [
        Goal::Mass,
        Goal::Cut,
        Goal::Maintain,
        Goal::Endurance,
        Goal::Performance,
    ];
    let loads = [
        TrainingLoad::Rest,
        TrainingLoad::Light,
        TrainingLoad::Moderate,
        TrainingLoad::Hard,
        TrainingLoad::VeryHard,
    ];
    let sports = [
        Sport::Endurance,
        Sport::StrengthPower,
        Sport::TeamSport,
        Sport::WeightClassCombat,
        Sport::Aesthetic,
        Sport::GeneralFitness,
    ];
    let activities = [
        ActivityLevel::Sedentary,
        ActivityLevel::Light,
        ActivityLevel::Moderate,
        ActivityLevel::Active,
        ActivityLevel::VeryActive,
    ];
    let (mut within, mut worst) = (0, (0.0f64, String::new()));
    let n = 200;
    for i in 0..n {
        let weight = 45.0 + (i * 37 % 86) as f64;
        let athlete = Athlete::new(
            18 + (i * 7 % 45) as u32,
            if i % 2 == 0 { Sex::Male } else { Sex::Female },
            weight,
            150.0 + (weight - 45.0) * 0.5 + (i % 10) as f64,
            None,
            activities[i * 3 % 5],
            sports[i % 6],
            goals[i % 5],
            (i % 16) as f64,
        )
        .unwrap();
        let t = nutrition::targets(&athlete, Some(loads[i / 5 % 5]));
        let targets = Targets {
            macros: Macros {
                energy_kcal: t.energy_kcal,
                protein_g: t.protein_g,
                carbohydrate_g: t.carbohydrate_g,
                fat_g: t.fat_g,
            },
            budget: None,
        };
        let plan = mealplan::plan_day(
            &menu,
            &targets,
            None,
            &HashMap::new(),
            &mealplan::open_day(),
            i as u64,
            &sports_nutrition::domain::budget::Budget::unlimited(),
        )
        .unwrap();
        if plan.misses.is_empty() {
            within += 1;
        }
        for m in &plan.misses {
            if m.share.abs() > worst.0 {
                worst = (
                    m.share.abs(),
                    format!(
                        "{} {:+} ({:+.1} %) for {:?}",
                        m.target,
                        m.amount,
                        100.0 * m.share,
                        targets.macros
                    ),
                );
            }
        }
    }
    let share = within as f64 / n as f64;
    println!(
        "meal planner: {within}/{n} days within every tolerance ({:.1} %); worst miss: {}",
        100.0 * share,
        worst.1
    );
    assert!(
        share >= 0.95,
        "{within}/{n} within every tolerance; worst miss: {}",
        worst.1
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_dish_reads_back_in_every_language_exactly_as_it_is_replaced() {
    let app = TestApp::seeded().await;
    let admin = app.user_with_role("admin@example.rs", "admin").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id: Uuid = sqlx::query_scalar("SELECT id FROM dishes WHERE slug = 'sarma'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let path = format!("/api/v1/admin/dishes/{id}");
    let before: Value = app.get_authed(&path, &admin).await.json().await.unwrap();
    assert_eq!(before["slug"], "sarma");
    assert_eq!(before["servings"], 8);
    for locale in ["en", "sr-Latn", "sr-Cyrl"] {
        assert!(before["names"][locale].is_string(), "{locale}: {before}");
    }
    let parts = before["ingredients"].as_array().unwrap();
    assert!(
        parts
            .iter()
            .any(|p| p["grams"] == json!("1200.0") || p["grams"] == json!("1200")),
        "{before}"
    );
    let response = app.send(Method::PUT, &path, &admin, &before).await;
    assert_eq!(response.status(), 200);
    let after: Value = app.get_authed(&path, &admin).await.json().await.unwrap();
    assert_eq!(before, after);
    let unknown = format!("/api/v1/admin/dishes/{}", Uuid::new_v4());
    assert_eq!(app.get_authed(&unknown, &admin).await.status(), 404);
    let athlete = athlete(&app, "a@example.rs", &[]).await;
    assert_eq!(app.get_authed(&path, &athlete).await.status(), 403);
}
