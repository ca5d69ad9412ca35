//! Stored meal plans: one per athlete and day, with its dishes, and what a period's plans need from
//! the shop.

use rust_decimal::Decimal;
use sqlx::{PgExecutor, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A day's plan as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Plan {
    pub id: Uuid,
    pub plan_date: Date,
    pub training_load: Option<String>,
    pub targets: serde_json::Value,
    pub totals: serde_json::Value,
    pub misses: serde_json::Value,
    pub supplement: Option<serde_json::Value>,
    pub cost: Option<Decimal>,
    pub updated_at: OffsetDateTime,
}

/// A dish in a stored plan, with its name and per-serving macros now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub meal_plan_id: Uuid,
    pub position: i16,
    pub meal_type: String,
    pub meal_time: String,
    pub dish_id: Uuid,
    pub servings: Decimal,
    pub slug: String,
    pub name: Option<String>,
    pub energy_kcal: Option<f64>,
    pub protein_g: Option<f64>,
    pub carbohydrate_g: Option<f64>,
    pub fat_g: Option<f64>,
}

/// What to store for a day.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub date: Date,
    pub training_load: String,
    pub targets: serde_json::Value,
    pub totals: serde_json::Value,
    pub misses: serde_json::Value,
    pub supplement: Option<serde_json::Value>,
    pub cost: Option<Decimal>,
    /// (meal type, time, dish, servings), in order.
    pub items: Vec<(&'static str, &'static str, Uuid, Decimal)>,
}

/// Stores the day's plan, replacing any earlier one, in the caller's transaction.
pub async fn save(conn: &mut sqlx::PgConnection, user: Uuid, p: &NewPlan) -> sqlx::Result<Uuid> {
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO meal_plans (user_id, plan_date, training_load, targets, totals, misses, supplement, cost)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id, plan_date) DO UPDATE SET training_load = EXCLUDED.training_load,
             targets = EXCLUDED.targets, totals = EXCLUDED.totals, misses = EXCLUDED.misses,
             supplement = EXCLUDED.supplement, cost = EXCLUDED.cost, created_at = now()
         RETURNING id",
    )
    .bind(user)
    .bind(p.date)
    .bind(&p.training_load)
    .bind(&p.targets)
    .bind(&p.totals)
    .bind(&p.misses)
    .bind(&p.supplement)
    .bind(p.cost)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM meal_plan_items WHERE meal_plan_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO meal_plan_items (meal_plan_id, position, meal_type, meal_time, dish_id, servings)
         SELECT $1, n, m, t, d, s FROM UNNEST($2::smallint[], $3::text[], $4::text[], $5::uuid[], $6::numeric[])
              AS x (n, m, t, d, s)",
    )
    .bind(id)
    .bind((1..=p.items.len() as i16).collect::<Vec<_>>())
    .bind(p.items.iter().map(|i| i.0).collect::<Vec<_>>())
    .bind(p.items.iter().map(|i| i.1).collect::<Vec<_>>())
    .bind(p.items.iter().map(|i| i.2).collect::<Vec<_>>())
    .bind(p.items.iter().map(|i| i.3).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// The athlete's plans between two dates (inclusive), oldest first, with their dishes.
pub async fn between(
    db: &PgPool,
    user: Uuid,
    from: Date,
    to: Date,
    locale: &str,
) -> sqlx::Result<(Vec<Plan>, Vec<Item>)> {
    let plans: Vec<Plan> = sqlx::query_as(
        "SELECT id, plan_date, training_load, targets, totals, misses, supplement, cost, updated_at
         FROM meal_plans WHERE user_id = $1 AND plan_date BETWEEN $2 AND $3 ORDER BY plan_date",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    let ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let items = items(db, &ids, locale).await?;
    Ok((plans, items))
}

/// How many days between `from` and `to` have a plan.
pub async fn days_planned(db: &PgPool, user: Uuid, from: Date, to: Date) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM meal_plans WHERE user_id = $1 AND plan_date BETWEEN $2 AND $3",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .fetch_one(db)
    .await
}

async fn items(db: impl PgExecutor<'_>, plans: &[Uuid], locale: &str) -> sqlx::Result<Vec<Item>> {
    sqlx::query_as(
        "SELECT i.meal_plan_id, i.position, i.meal_type, i.meal_time, i.dish_id, i.servings, d.slug,
                (SELECT localized(t.name, t.locale, $2) FROM dish_translations t LEFT JOIN locale_chain($2) c ON c.code = t.locale
                 WHERE t.dish_id = d.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS name,
                dn.energy_kcal, dn.protein_g, dn.carbohydrate_g, dn.fat_g
         FROM meal_plan_items i JOIN dishes d ON d.id = i.dish_id LEFT JOIN dish_nutrition dn ON dn.dish_id = d.id
         WHERE i.meal_plan_id = ANY($1) ORDER BY i.meal_plan_id, i.position",
    )
    .bind(plans)
    .bind(locale)
    .fetch_all(db)
    .await
}

/// How often each dish is planned between two dates, leaving out one day (the one being planned).
pub async fn dish_uses(
    db: impl PgExecutor<'_>,
    user: Uuid,
    from: Date,
    to: Date,
    except: Date,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(
        "SELECT i.dish_id, count(*) FROM meal_plan_items i JOIN meal_plans p ON p.id = i.meal_plan_id
         WHERE p.user_id = $1 AND p.plan_date BETWEEN $2 AND $3 AND p.plan_date <> $4 GROUP BY i.dish_id",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .bind(except)
    .fetch_all(db)
    .await
}

/// An ingredient the period's plans need, summed over every planned serving.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Needed {
    pub ingredient_id: Uuid,
    pub name: Option<String>,
    pub food_group: String,
    pub grams: Decimal,
    pub price_per_kg: Option<Decimal>,
    pub cost: Option<Decimal>,
}

pub async fn shopping_list(
    db: impl PgExecutor<'_>,
    user: Uuid,
    from: Date,
    to: Date,
    locale: &str,
) -> sqlx::Result<Vec<Needed>> {
    sqlx::query_as(
        "WITH needed AS (
             SELECT di.ingredient_id, sum(di.grams * i.servings / d.servings) AS grams
             FROM meal_plans p
             JOIN meal_plan_items i ON i.meal_plan_id = p.id
             JOIN dishes d ON d.id = i.dish_id
             JOIN dish_ingredients di ON di.dish_id = d.id
             WHERE p.user_id = $1 AND p.plan_date BETWEEN $2 AND $3
             GROUP BY di.ingredient_id
         )
         SELECT n.ingredient_id, g.food_group, round(n.grams, 1) AS grams, pr.price_per_kg,
                round(n.grams / 1000 * pr.price_per_kg, 2) AS cost,
                (SELECT localized(t.name, t.locale, $4) FROM ingredient_translations t LEFT JOIN locale_chain($4) c ON c.code = t.locale
                 WHERE t.ingredient_id = n.ingredient_id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS name
         FROM needed n JOIN ingredients g ON g.id = n.ingredient_id
         LEFT JOIN ingredient_prices pr ON pr.ingredient_id = n.ingredient_id
         ORDER BY g.food_group, n.grams DESC, n.ingredient_id",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .bind(locale)
    .fetch_all(db)
    .await
}
