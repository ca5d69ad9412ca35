//! Ingredients and dishes: searched and filtered in any script, each dish with the nutrition and
//! allergens its ingredients give it (the `dish_nutrition` and `dish_allergens` views), admin writes,
//! and the athlete's dish preferences.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

/// Nutrients per 100 g of an ingredient; `None` is unknown (not analysed), never zero.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Nutrients {
    pub energy_kcal: Option<f64>,
    pub protein_g: Option<f64>,
    pub carbohydrate_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub saturated_fat_g: Option<f64>,
    pub fiber_g: Option<f64>,
    pub sugars_g: Option<f64>,
    pub sodium_mg: Option<f64>,
    pub potassium_mg: Option<f64>,
    pub calcium_mg: Option<f64>,
    pub iron_mg: Option<f64>,
    pub magnesium_mg: Option<f64>,
    pub zinc_mg: Option<f64>,
    pub vitamin_c_mg: Option<f64>,
    pub vitamin_d_ug: Option<f64>,
    pub vitamin_b12_ug: Option<f64>,
    pub vitamin_k_ug: Option<f64>,
    pub caffeine_mg: Option<f64>,
}

const NUTRIENTS: &str = "energy_kcal, protein_g, carbohydrate_g, fat_g, saturated_fat_g, fiber_g, sugars_g, sodium_mg,
    potassium_mg, calcium_mg, iron_mg, magnesium_mg, zinc_mg, vitamin_c_mg, vitamin_d_ug, vitamin_b12_ug,
    vitamin_k_ug, caffeine_mg";

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Ingredient {
    pub id: Uuid,
    pub source: String,
    pub usda_ndb_no: Option<String>,
    pub food_group: String,
    pub name: Option<String>,
    pub allergens: Vec<String>,
    pub price_per_kg: Option<Decimal>,
    #[sqlx(flatten)]
    pub nutrients: Nutrients,
    pub total: i64,
}

/// What ingredients to list.
#[derive(Debug, Clone, Default)]
pub struct IngredientFilter {
    pub q: Option<String>,
    pub food_group: Option<String>,
    pub free_of: Vec<String>,
    pub only_in_dishes: bool,
    pub id: Option<Uuid>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of ingredients (by name), each row with the total.
pub async fn ingredients(
    db: impl PgExecutor<'_>,
    locale: &str,
    f: &IngredientFilter,
) -> sqlx::Result<Vec<Ingredient>> {
    sqlx::query_as(&format!(
        "WITH chain AS (SELECT code, depth FROM locale_chain($1)),
         terms AS (SELECT array_agg(w) AS words FROM unnest(string_to_array(search_key($2), ' ')) w WHERE w <> '')
         SELECT i.id, i.source, i.usda_ndb_no, i.food_group, n.name,
                array(SELECT a.code FROM ingredient_allergens a WHERE a.ingredient_id = i.id ORDER BY a.code) AS allergens,
                p.price_per_kg, {NUTRIENTS}, count(*) OVER () AS total
         FROM ingredients i
         CROSS JOIN terms
         LEFT JOIN ingredient_prices p ON p.ingredient_id = i.id
         LEFT JOIN LATERAL (
             SELECT localized(t.name, t.locale, $1) AS name, t.name_key FROM ingredient_translations t
             LEFT JOIN chain c ON c.code = t.locale
             WHERE t.ingredient_id = i.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1
         ) n ON true
         WHERE ($3::text IS NULL OR i.food_group = $3)
           AND NOT EXISTS (SELECT 1 FROM ingredient_allergens a WHERE a.ingredient_id = i.id AND a.code = ANY($4))
           AND (NOT $5 OR EXISTS (SELECT 1 FROM dish_ingredients di WHERE di.ingredient_id = i.id))
           AND ($6::uuid IS NULL OR i.id = $6)
           AND (terms.words IS NULL OR NOT EXISTS (
                 SELECT 1 FROM unnest(terms.words) w
                 WHERE NOT EXISTS (SELECT 1 FROM ingredient_translations t
                                   WHERE t.ingredient_id = i.id AND (strpos(t.name_key, w) > 0 OR w <% t.name_key))))
         ORDER BY search_key(n.name), i.id
         LIMIT $7 OFFSET $8"
    ))
    .bind(locale)
    .bind(f.q.as_deref().unwrap_or(""))
    .bind(&f.food_group)
    .bind(&f.free_of)
    .bind(f.only_in_dishes)
    .bind(f.id)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(db)
    .await
}

/// A household measure of an ingredient.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Portion {
    pub amount: Decimal,
    pub unit: String,
    pub grams: Decimal,
}

pub async fn portions(db: impl PgExecutor<'_>, ingredient: Uuid) -> sqlx::Result<Vec<Portion>> {
    sqlx::query_as(
        "SELECT amount, unit, grams FROM food_portions WHERE ingredient_id = $1 ORDER BY seq",
    )
    .bind(ingredient)
    .fetch_all(db)
    .await
}

/// A dish with its per-serving nutrition.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Dish {
    pub id: Uuid,
    pub slug: String,
    pub cuisine: String,
    pub meal_types: Vec<String>,
    pub servings: i16,
    pub cooking_time_min: Option<i32>,
    pub difficulty: Option<String>,
    pub notes: Option<String>,
    pub is_active: bool,
    pub name: Option<String>,
    pub instructions: Option<String>,
    pub allergens: Vec<String>,
    pub grams: Option<f64>,
    #[sqlx(flatten)]
    pub nutrients: Nutrients,
    pub unknown: Vec<String>,
    pub cost: Option<f64>,
    pub cost_complete: Option<bool>,
    pub updated_at: OffsetDateTime,
    pub total: i64,
}

/// What dishes to list.
#[derive(Debug, Clone, Default)]
pub struct DishFilter {
    pub meal_type: Option<String>,
    pub cuisine: Option<String>,
    pub free_of: Vec<String>,
    pub max_cooking_time: Option<i32>,
    pub min_protein: Option<f64>,
    pub min_kcal: Option<f64>,
    pub max_kcal: Option<f64>,
    pub q: Option<String>,
    pub ids: Option<Vec<Uuid>>,
    /// Inactive dishes too (admins).
    pub all: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A page of dishes (by name), each row with the total.
pub async fn dishes(
    db: impl PgExecutor<'_>,
    locale: &str,
    f: &DishFilter,
) -> sqlx::Result<Vec<Dish>> {
    let nutrients = NUTRIENTS
        .split(',')
        .map(|n| format!("dn.{}", n.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(&format!(
        "WITH chain AS (SELECT code, depth FROM locale_chain($1)),
         terms AS (SELECT array_agg(w) AS words FROM unnest(string_to_array(search_key($2), ' ')) w WHERE w <> '')
         SELECT d.id, d.slug, d.cuisine, d.meal_types, d.servings, d.cooking_time_min, d.difficulty, d.notes,
                d.is_active, d.updated_at, n.name, n.instructions,
                array(SELECT a.code FROM dish_allergens a WHERE a.dish_id = d.id ORDER BY a.code) AS allergens,
                dn.grams, {nutrients}, coalesce(dn.unknown, '{{}}') AS unknown,
                dn.cost, dn.cost_complete, count(*) OVER () AS total
         FROM dishes d
         CROSS JOIN terms
         LEFT JOIN dish_nutrition dn ON dn.dish_id = d.id
         LEFT JOIN LATERAL (
             SELECT localized(t.name, t.locale, $1) AS name, localized(t.instructions, t.locale, $1) AS instructions
             FROM dish_translations t LEFT JOIN chain c ON c.code = t.locale
             WHERE t.dish_id = d.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1
         ) n ON true
         WHERE ($3 OR d.is_active)
           AND ($4::text IS NULL OR $4 = ANY(d.meal_types))
           AND ($5::text IS NULL OR d.cuisine = $5)
           AND NOT EXISTS (SELECT 1 FROM dish_allergens a WHERE a.dish_id = d.id AND a.code = ANY($6))
           AND ($7::int IS NULL OR d.cooking_time_min <= $7)
           AND ($8::float8 IS NULL OR dn.protein_g >= $8)
           AND ($9::float8 IS NULL OR dn.energy_kcal >= $9)
           AND ($10::float8 IS NULL OR dn.energy_kcal <= $10)
           AND ($11::uuid[] IS NULL OR d.id = ANY($11))
           AND (terms.words IS NULL OR NOT EXISTS (
                 SELECT 1 FROM unnest(terms.words) w
                 WHERE NOT EXISTS (SELECT 1 FROM dish_translations t
                                   WHERE t.dish_id = d.id AND (strpos(t.name_key, w) > 0 OR w <% t.name_key))))
         ORDER BY search_key(n.name), d.id
         LIMIT $12 OFFSET $13"
    ))
    .bind(locale)
    .bind(f.q.as_deref().unwrap_or(""))
    .bind(f.all)
    .bind(&f.meal_type)
    .bind(&f.cuisine)
    .bind(&f.free_of)
    .bind(f.max_cooking_time)
    .bind(f.min_protein)
    .bind(f.min_kcal)
    .bind(f.max_kcal)
    .bind(&f.ids)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(db)
    .await
}

/// An ingredient of a dish, per serving.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct DishIngredient {
    pub ingredient_id: Uuid,
    pub usda_ndb_no: Option<String>,
    pub name: Option<String>,
    /// For the whole recipe.
    pub grams: Decimal,
    pub note: Option<String>,
    pub allergens: Vec<String>,
}

pub async fn dish_ingredients(
    db: impl PgExecutor<'_>,
    dish: Uuid,
    locale: &str,
) -> sqlx::Result<Vec<DishIngredient>> {
    sqlx::query_as(
        "SELECT di.ingredient_id, i.usda_ndb_no, di.grams, di.note,
                (SELECT localized(t.name, t.locale, $2) FROM ingredient_translations t LEFT JOIN locale_chain($2) c ON c.code = t.locale
                 WHERE t.ingredient_id = i.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS name,
                array(SELECT a.code FROM ingredient_allergens a WHERE a.ingredient_id = i.id ORDER BY a.code) AS allergens
         FROM dish_ingredients di JOIN ingredients i ON i.id = di.ingredient_id
         WHERE di.dish_id = $1 ORDER BY di.grams DESC, i.id",
    )
    .bind(dish)
    .bind(locale)
    .fetch_all(db)
    .await
}

/// Every translation of a dish, for admins: (locale, name, instructions).
pub async fn dish_translations(
    db: impl PgExecutor<'_>,
    dish: Uuid,
) -> sqlx::Result<Vec<(String, String, Option<String>)>> {
    sqlx::query_as("SELECT locale, name, instructions FROM dish_translations WHERE dish_id = $1 ORDER BY locale")
        .bind(dish)
        .fetch_all(db)
        .await
}

/// A dish as an admin writes it.
#[derive(Debug, Clone)]
pub struct DishFields {
    pub slug: String,
    pub cuisine: String,
    pub meal_types: Vec<String>,
    pub servings: i16,
    pub cooking_time_min: Option<i32>,
    pub difficulty: Option<String>,
    pub notes: Option<String>,
    pub is_active: bool,
    /// (locale, name, instructions)
    pub translations: Vec<(&'static str, String, Option<String>)>,
    /// (ingredient, grams for the whole recipe, note)
    pub ingredients: Vec<(Uuid, Decimal, Option<String>)>,
}

/// Inserts a dish with its names and recipe.
pub async fn insert_dish(conn: &mut PgConnection, f: &DishFields) -> sqlx::Result<Uuid> {
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO dishes (slug, cuisine, meal_types, servings, cooking_time_min, difficulty, notes, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&f.slug)
    .bind(&f.cuisine)
    .bind(&f.meal_types)
    .bind(f.servings)
    .bind(f.cooking_time_min)
    .bind(&f.difficulty)
    .bind(&f.notes)
    .bind(f.is_active)
    .fetch_one(&mut *conn)
    .await?;
    write_dish_parts(conn, id, f).await?;
    Ok(id)
}

/// Replaces a dish; `false` when there is no such dish.
pub async fn update_dish(conn: &mut PgConnection, id: Uuid, f: &DishFields) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE dishes SET slug = $2, cuisine = $3, meal_types = $4, servings = $5, cooking_time_min = $6,
                difficulty = $7, notes = $8, is_active = $9 WHERE id = $1",
    )
    .bind(id)
    .bind(&f.slug)
    .bind(&f.cuisine)
    .bind(&f.meal_types)
    .bind(f.servings)
    .bind(f.cooking_time_min)
    .bind(&f.difficulty)
    .bind(&f.notes)
    .bind(f.is_active)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    for table in ["dish_translations", "dish_ingredients"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE dish_id = $1"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    write_dish_parts(conn, id, f).await?;
    Ok(true)
}

async fn write_dish_parts(conn: &mut PgConnection, id: Uuid, f: &DishFields) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO dish_translations (dish_id, locale, name, instructions)
         SELECT $1, l, n, i FROM UNNEST($2::text[], $3::text[], $4::text[]) AS x (l, n, i)",
    )
    .bind(id)
    .bind(f.translations.iter().map(|t| t.0).collect::<Vec<_>>())
    .bind(
        f.translations
            .iter()
            .map(|t| t.1.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        f.translations
            .iter()
            .map(|t| t.2.as_deref())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dish_ingredients (dish_id, ingredient_id, grams, note)
         SELECT $1, i, g, n FROM UNNEST($2::uuid[], $3::numeric[], $4::text[]) AS x (i, g, n)",
    )
    .bind(id)
    .bind(f.ingredients.iter().map(|i| i.0).collect::<Vec<_>>())
    .bind(f.ingredients.iter().map(|i| i.1).collect::<Vec<_>>())
    .bind(
        f.ingredients
            .iter()
            .map(|i| i.2.as_deref())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes a dish; its slug when it existed. Meal plans holding it make this fail
/// (`meal_plan_items_dish_id_fkey`): deactivate it instead.
pub async fn delete_dish(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM dishes WHERE id = $1 RETURNING slug")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The ids among `ids` that are not ingredients.
pub async fn unknown_ingredients(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT u.id FROM unnest($1::uuid[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM ingredients i WHERE i.id = u.id)",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// Sets (or with `None` removes) an ingredient's price; `false` when there is no such ingredient.
pub async fn set_ingredient_price(
    conn: &mut PgConnection,
    id: Uuid,
    price: Option<Decimal>,
) -> sqlx::Result<bool> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ingredients WHERE id = $1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Ok(false);
    }
    match price {
        Some(p) => {
            sqlx::query(
                "INSERT INTO ingredient_prices (ingredient_id, price_per_kg, source) VALUES ($1, $2, 'manual')
                 ON CONFLICT (ingredient_id) DO UPDATE SET price_per_kg = EXCLUDED.price_per_kg, source = 'manual'",
            )
            .bind(id)
            .bind(p)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM ingredient_prices WHERE ingredient_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(true)
}

/// The athlete's meal preferences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preferences {
    pub favourites: Vec<Uuid>,
    pub excluded: Vec<Uuid>,
    pub cuisines: Vec<String>,
    pub daily_budget: Option<Decimal>,
}

pub async fn preferences(db: &sqlx::PgPool, user: Uuid) -> sqlx::Result<Preferences> {
    let dishes: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT dish_id, kind FROM dish_preferences WHERE user_id = $1 ORDER BY created_at, dish_id")
            .bind(user)
            .fetch_all(db)
            .await?;
    let row: Option<(Vec<String>, Option<Decimal>)> =
        sqlx::query_as("SELECT cuisines, daily_budget FROM meal_preferences WHERE user_id = $1")
            .bind(user)
            .fetch_optional(db)
            .await?;
    let (cuisines, daily_budget) = row.unwrap_or_default();
    Ok(Preferences {
        favourites: dishes
            .iter()
            .filter(|(_, k)| k == "favourite")
            .map(|(d, _)| *d)
            .collect(),
        excluded: dishes
            .iter()
            .filter(|(_, k)| k == "excluded")
            .map(|(d, _)| *d)
            .collect(),
        cuisines,
        daily_budget,
    })
}

/// Replaces the athlete's meal preferences in one transaction.
pub async fn set_preferences(db: &sqlx::PgPool, user: Uuid, p: &Preferences) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM dish_preferences WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    for (kind, ids) in [("favourite", &p.favourites), ("excluded", &p.excluded)] {
        sqlx::query("INSERT INTO dish_preferences (user_id, dish_id, kind) SELECT $1, unnest($2::uuid[]), $3")
            .bind(user)
            .bind(ids)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO meal_preferences (user_id, cuisines, daily_budget) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET cuisines = EXCLUDED.cuisines, daily_budget = EXCLUDED.daily_budget",
    )
    .bind(user)
    .bind(&p.cuisines)
    .bind(p.daily_budget)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The ids among `ids` that are not active dishes.
pub async fn unknown_dishes(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT u.id FROM unnest($1::uuid[]) AS u(id)
         WHERE NOT EXISTS (SELECT 1 FROM dishes d WHERE d.id = u.id AND d.is_active)",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// A dish's own columns, as an admin edits them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DishRow {
    pub slug: String,
    pub cuisine: String,
    pub meal_types: Vec<String>,
    pub servings: i16,
    pub cooking_time_min: Option<i32>,
    pub difficulty: Option<String>,
    pub notes: Option<String>,
    pub is_active: bool,
}

pub async fn dish_row(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<DishRow>> {
    sqlx::query_as(
        "SELECT slug, cuisine, meal_types, servings, cooking_time_min, difficulty, notes, is_active
         FROM dishes WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}
