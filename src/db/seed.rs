//! Loads the reference data in `seeds/` (compiled into the binary) idempotently, in one transaction.
//!
//! USDA foods and portions are upserted (the source is authoritative; rows change only when the data
//! does). Dishes are inserted when missing and never overwritten, so an admin's edits survive a re-seed.

mod catalogue;

use anyhow::Context;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};

const FOODS_CSV: &str = include_str!("../../seeds/usda_sr28/foods.csv");
const PORTIONS_CSV: &str = include_str!("../../seeds/usda_sr28/food_portions.csv");
const DISHES_CSV: &str = include_str!("../../seeds/dishes/dishes.csv");
const DISH_INGREDIENTS_CSV: &str = include_str!("../../seeds/dishes/dish_ingredients.csv");
const DISH_NAMES_CSV: &str = include_str!("../../seeds/dishes/dish_names.csv");
const INGREDIENT_ALLERGENS_CSV: &str = include_str!("../../seeds/dishes/ingredient_allergens.csv");
const INGREDIENT_NAMES_CSV: &str = include_str!("../../seeds/dishes/ingredient_names.csv");
const INGREDIENT_PRICES_CSV: &str = include_str!("../../seeds/dishes/ingredient_prices.csv");

/// Bumped when the loader's behaviour changes, so start-up re-applies an unchanged data set.
const LOADER_VERSION: &str = "2";
const SEED_NAME: &str = "reference";
/// Rows per `UNNEST` batch: keeps each statement's parameters small.
const BATCH: usize = 1000;

/// What a seed run changed.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    /// False when start-up found the same data set already applied and skipped it.
    pub applied: bool,
    pub foods_written: u64,
    pub portions_written: u64,
    pub dishes_inserted: u64,
    pub products_inserted: u64,
    pub demo_prices_inserted: u64,
}

#[derive(Debug, Deserialize)]
struct FoodRow {
    usda_ndb_no: String,
    food_group: String,
    description: String,
    energy_kcal: Option<f64>,
    protein_g: Option<f64>,
    fat_g: Option<f64>,
    saturated_fat_g: Option<f64>,
    carbohydrate_g: Option<f64>,
    fiber_g: Option<f64>,
    sugars_g: Option<f64>,
    water_g: Option<f64>,
    sodium_mg: Option<f64>,
    potassium_mg: Option<f64>,
    calcium_mg: Option<f64>,
    iron_mg: Option<f64>,
    magnesium_mg: Option<f64>,
    zinc_mg: Option<f64>,
    vitamin_c_mg: Option<f64>,
    vitamin_d_ug: Option<f64>,
    vitamin_b12_ug: Option<f64>,
    vitamin_k_ug: Option<f64>,
    caffeine_mg: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct PortionRow {
    usda_ndb_no: String,
    amount: f64,
    unit: String,
    grams: f64,
}

#[derive(Debug, Deserialize)]
struct DishRow {
    slug: String,
    name_sr_latn: String,
    name_sr_cyrl: String,
    name_en: String,
    meal_types: String,
    servings: i16,
    cooked_weight_g: Option<f64>,
    notes: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DishNameRow {
    slug: String,
    name_hu: String,
    name_ro: String,
    name_ru: String,
    name_uk: String,
}

#[derive(Debug, Deserialize)]
struct IngredientAllergenRow {
    usda_ndb_no: String,
    allergens: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IngredientNameRow {
    usda_ndb_no: String,
    name_sr_latn: String,
    name_sr_cyrl: String,
    name_hu: Option<String>,
    name_ro: Option<String>,
    name_ru: Option<String>,
    name_uk: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IngredientPriceRow {
    usda_ndb_no: String,
    price_rsd_per_kg: f64,
}

#[derive(Debug, Deserialize)]
struct DishIngredientRow {
    dish_slug: String,
    usda_ndb_no: String,
    grams: f64,
    ingredient_note: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.with_context(|| format!("seeds/{name}: row {}", i + 2)))
        .collect()
}

/// SHA-256 over the loader version and every seed file.
pub fn checksum() -> String {
    let mut hash = Sha256::new();
    for part in [
        LOADER_VERSION,
        FOODS_CSV,
        PORTIONS_CSV,
        DISHES_CSV,
        DISH_INGREDIENTS_CSV,
        DISH_NAMES_CSV,
        INGREDIENT_ALLERGENS_CSV,
        INGREDIENT_NAMES_CSV,
        INGREDIENT_PRICES_CSV,
    ]
    .into_iter()
    .chain(catalogue::FILES.iter().map(|(_, text)| *text))
    {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    format!("{:x}", hash.finalize())
}

/// Loads the seeds. With `only_if_changed`, a data set already applied (same checksum) is skipped.
/// Concurrent callers (several nodes starting at once) queue on an advisory lock.
pub async fn run(pool: &PgPool, only_if_changed: bool) -> anyhow::Result<SeedReport> {
    let checksum = checksum();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('sports-nutrition:seed'))")
        .execute(&mut *tx)
        .await?;
    let applied: Option<String> =
        sqlx::query_scalar("SELECT checksum FROM seed_runs WHERE name = $1")
            .bind(SEED_NAME)
            .fetch_optional(&mut *tx)
            .await?;
    if only_if_changed && applied.as_deref() == Some(checksum.as_str()) {
        tx.commit().await?;
        return Ok(SeedReport::default());
    }

    let mut report = SeedReport {
        applied: true,
        ..Default::default()
    };
    report.foods_written = load_foods(
        &mut tx,
        &parse::<FoodRow>("usda_sr28/foods.csv", FOODS_CSV)?,
    )
    .await?;
    report.portions_written = load_portions(
        &mut tx,
        &parse::<PortionRow>("usda_sr28/food_portions.csv", PORTIONS_CSV)?,
    )
    .await?;
    report.dishes_inserted = load_dishes(
        &mut tx,
        &parse::<DishRow>("dishes/dishes.csv", DISHES_CSV)?,
        &parse::<DishIngredientRow>("dishes/dish_ingredients.csv", DISH_INGREDIENTS_CSV)?,
    )
    .await?;
    load_dish_names(&mut tx).await?;
    load_ingredient_facts(&mut tx).await?;
    let inserted = catalogue::load(&mut tx).await?;
    report.products_inserted = inserted.products;
    report.demo_prices_inserted = inserted.prices;
    sqlx::query(
        "INSERT INTO seed_runs (name, checksum) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()
         WHERE seed_runs.checksum IS DISTINCT FROM EXCLUDED.checksum",
    )
    .bind(SEED_NAME)
    .bind(&checksum)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(report)
}

async fn load_foods(tx: &mut Transaction<'_, Postgres>, rows: &[FoodRow]) -> anyhow::Result<u64> {
    let mut written = 0;
    for chunk in rows.chunks(BATCH) {
        let col = |f: fn(&FoodRow) -> Option<f64>| chunk.iter().map(f).collect::<Vec<_>>();
        written += sqlx::query(
            "INSERT INTO ingredients (source, usda_ndb_no, food_group, energy_kcal, protein_g, fat_g, saturated_fat_g,
                 carbohydrate_g, fiber_g, sugars_g, water_g, sodium_mg, potassium_mg, calcium_mg, iron_mg, magnesium_mg,
                 zinc_mg, vitamin_c_mg, vitamin_d_ug, vitamin_b12_ug, vitamin_k_ug, caffeine_mg)
             SELECT 'usda_sr28', * FROM UNNEST($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::float8[],
                 $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[],
                 $14::float8[], $15::float8[], $16::float8[], $17::float8[], $18::float8[], $19::float8[], $20::float8[], $21::float8[])
             ON CONFLICT (usda_ndb_no) DO UPDATE SET
                 food_group = EXCLUDED.food_group, energy_kcal = EXCLUDED.energy_kcal, protein_g = EXCLUDED.protein_g,
                 fat_g = EXCLUDED.fat_g, saturated_fat_g = EXCLUDED.saturated_fat_g, carbohydrate_g = EXCLUDED.carbohydrate_g,
                 fiber_g = EXCLUDED.fiber_g, sugars_g = EXCLUDED.sugars_g, water_g = EXCLUDED.water_g,
                 sodium_mg = EXCLUDED.sodium_mg, potassium_mg = EXCLUDED.potassium_mg, calcium_mg = EXCLUDED.calcium_mg,
                 iron_mg = EXCLUDED.iron_mg, magnesium_mg = EXCLUDED.magnesium_mg, zinc_mg = EXCLUDED.zinc_mg,
                 vitamin_c_mg = EXCLUDED.vitamin_c_mg, vitamin_d_ug = EXCLUDED.vitamin_d_ug,
                 vitamin_b12_ug = EXCLUDED.vitamin_b12_ug, vitamin_k_ug = EXCLUDED.vitamin_k_ug, caffeine_mg = EXCLUDED.caffeine_mg
             WHERE (ingredients.food_group, ingredients.energy_kcal, ingredients.protein_g, ingredients.fat_g,
                    ingredients.saturated_fat_g, ingredients.carbohydrate_g, ingredients.fiber_g, ingredients.sugars_g,
                    ingredients.water_g, ingredients.sodium_mg, ingredients.potassium_mg, ingredients.calcium_mg,
                    ingredients.iron_mg, ingredients.magnesium_mg, ingredients.zinc_mg, ingredients.vitamin_c_mg,
                    ingredients.vitamin_d_ug, ingredients.vitamin_b12_ug, ingredients.vitamin_k_ug, ingredients.caffeine_mg)
                 IS DISTINCT FROM
                   (EXCLUDED.food_group, EXCLUDED.energy_kcal, EXCLUDED.protein_g, EXCLUDED.fat_g, EXCLUDED.saturated_fat_g,
                    EXCLUDED.carbohydrate_g, EXCLUDED.fiber_g, EXCLUDED.sugars_g, EXCLUDED.water_g, EXCLUDED.sodium_mg,
                    EXCLUDED.potassium_mg, EXCLUDED.calcium_mg, EXCLUDED.iron_mg, EXCLUDED.magnesium_mg, EXCLUDED.zinc_mg,
                    EXCLUDED.vitamin_c_mg, EXCLUDED.vitamin_d_ug, EXCLUDED.vitamin_b12_ug, EXCLUDED.vitamin_k_ug,
                    EXCLUDED.caffeine_mg)",
        )
        .bind(chunk.iter().map(|r| r.usda_ndb_no.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.food_group.as_str()).collect::<Vec<_>>())
        .bind(col(|r| r.energy_kcal))
        .bind(col(|r| r.protein_g))
        .bind(col(|r| r.fat_g))
        .bind(col(|r| r.saturated_fat_g))
        .bind(col(|r| r.carbohydrate_g))
        .bind(col(|r| r.fiber_g))
        .bind(col(|r| r.sugars_g))
        .bind(col(|r| r.water_g))
        .bind(col(|r| r.sodium_mg))
        .bind(col(|r| r.potassium_mg))
        .bind(col(|r| r.calcium_mg))
        .bind(col(|r| r.iron_mg))
        .bind(col(|r| r.magnesium_mg))
        .bind(col(|r| r.zinc_mg))
        .bind(col(|r| r.vitamin_c_mg))
        .bind(col(|r| r.vitamin_d_ug))
        .bind(col(|r| r.vitamin_b12_ug))
        .bind(col(|r| r.vitamin_k_ug))
        .bind(col(|r| r.caffeine_mg))
        .execute(&mut **tx)
        .await
        .context("loading foods")?
        .rows_affected();

        written += sqlx::query(
            "INSERT INTO ingredient_translations (ingredient_id, locale, name)
             SELECT i.id, 'en', t.name FROM UNNEST($1::text[], $2::text[]) AS t (ndb, name)
             JOIN ingredients i ON i.usda_ndb_no = t.ndb
             ON CONFLICT (ingredient_id, locale) DO UPDATE SET name = EXCLUDED.name
             WHERE ingredient_translations.name IS DISTINCT FROM EXCLUDED.name",
        )
        .bind(
            chunk
                .iter()
                .map(|r| r.usda_ndb_no.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|r| r.description.as_str())
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await
        .context("loading food names")?
        .rows_affected();
    }
    Ok(written)
}

async fn load_portions(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[PortionRow],
) -> anyhow::Result<u64> {
    // Position within each food, in file order: SR28 repeats some (amount, unit) pairs.
    let mut seq = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let previous = (i > 0 && rows[i - 1].usda_ndb_no == row.usda_ndb_no).then(|| seq[i - 1]);
        seq.push(previous.map_or(1i16, |s| s + 1));
    }
    let mut written = 0;
    for (chunk, seq) in rows.chunks(BATCH).zip(seq.chunks(BATCH)) {
        written += sqlx::query(
            "INSERT INTO food_portions (ingredient_id, seq, amount, unit, grams)
             SELECT i.id, p.seq, p.amount::numeric, p.unit, p.grams::numeric
             FROM UNNEST($1::text[], $2::int2[], $3::float8[], $4::text[], $5::float8[]) AS p (ndb, seq, amount, unit, grams)
             JOIN ingredients i ON i.usda_ndb_no = p.ndb
             ON CONFLICT (ingredient_id, seq) DO UPDATE SET amount = EXCLUDED.amount, unit = EXCLUDED.unit, grams = EXCLUDED.grams
             WHERE (food_portions.amount, food_portions.unit, food_portions.grams)
                   IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.unit, EXCLUDED.grams)",
        )
        .bind(chunk.iter().map(|r| r.usda_ndb_no.as_str()).collect::<Vec<_>>())
        .bind(seq)
        .bind(chunk.iter().map(|r| r.amount).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.unit.as_str()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.grams).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("loading food portions")?
        .rows_affected();
    }
    Ok(written)
}

/// The dishes' names in Hungarian, Romanian, Russian and Ukrainian, where a dish has none yet (an
/// admin's name is kept).
async fn load_dish_names(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let rows: Vec<DishNameRow> = parse("dishes/dish_names.csv", DISH_NAMES_CSV)?;
    let (mut slugs, mut locales, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        for (locale, name) in [
            ("hu", &r.name_hu),
            ("ro", &r.name_ro),
            ("ru", &r.name_ru),
            ("uk", &r.name_uk),
        ] {
            slugs.push(r.slug.as_str());
            locales.push(locale);
            names.push(name.as_str());
        }
    }
    sqlx::query(
        "INSERT INTO dish_translations (dish_id, locale, name)
         SELECT d.id, r.locale, r.name FROM UNNEST($1::text[], $2::text[], $3::text[]) AS r (slug, locale, name)
         JOIN dishes d ON d.slug = r.slug
         ON CONFLICT (dish_id, locale) DO NOTHING",
    )
    .bind(&slugs)
    .bind(&locales)
    .bind(&names)
    .execute(&mut **tx)
    .await
    .context("seeds/dishes/dish_names.csv")?;
    Ok(())
}

/// Allergens, names in the interface languages and demo prices of the foods the dishes use. Allergens
/// and names follow the seed files; a price an admin set (`manual`) is never overwritten.
async fn load_ingredient_facts(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let allergens: Vec<IngredientAllergenRow> =
        parse("dishes/ingredient_allergens.csv", INGREDIENT_ALLERGENS_CSV)?;
    let (mut ndbs, mut codes) = (Vec::new(), Vec::new());
    for row in &allergens {
        for code in row
            .allergens
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            ndbs.push(row.usda_ndb_no.as_str());
            codes.push(code);
        }
    }
    let listed: Vec<&str> = allergens.iter().map(|r| r.usda_ndb_no.as_str()).collect();
    sqlx::query(
        "DELETE FROM ingredient_allergens a USING ingredients i
         WHERE i.id = a.ingredient_id AND i.usda_ndb_no = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM UNNEST($2::text[], $3::text[]) AS r (ndb, code)
                           WHERE r.ndb = i.usda_ndb_no AND r.code = a.code)",
    )
    .bind(&listed)
    .bind(&ndbs)
    .bind(&codes)
    .execute(&mut **tx)
    .await?;
    let added = sqlx::query(
        "INSERT INTO ingredient_allergens (ingredient_id, code)
         SELECT i.id, r.code FROM UNNEST($1::text[], $2::text[]) AS r (ndb, code)
         JOIN ingredients i ON i.usda_ndb_no = r.ndb
         ON CONFLICT DO NOTHING",
    )
    .bind(&ndbs)
    .bind(&codes)
    .execute(&mut **tx)
    .await
    .context("seeds/dishes/ingredient_allergens.csv")?;
    tracing::debug!(rows = added.rows_affected(), "ingredient allergens");

    let names: Vec<IngredientNameRow> = parse("dishes/ingredient_names.csv", INGREDIENT_NAMES_CSV)?;
    let (mut ndbs, mut locales, mut texts) = (Vec::new(), Vec::new(), Vec::new());
    for row in &names {
        for (locale, name) in [
            ("sr-Latn", Some(&row.name_sr_latn)),
            ("sr-Cyrl", Some(&row.name_sr_cyrl)),
            ("hu", row.name_hu.as_ref()),
            ("ro", row.name_ro.as_ref()),
            ("ru", row.name_ru.as_ref()),
            ("uk", row.name_uk.as_ref()),
        ] {
            if let Some(name) = name {
                ndbs.push(row.usda_ndb_no.as_str());
                locales.push(locale);
                texts.push(name.as_str());
            }
        }
    }
    sqlx::query(
        "INSERT INTO ingredient_translations (ingredient_id, locale, name)
         SELECT i.id, r.locale, r.name FROM UNNEST($1::text[], $2::text[], $3::text[]) AS r (ndb, locale, name)
         JOIN ingredients i ON i.usda_ndb_no = r.ndb
         ON CONFLICT (ingredient_id, locale) DO UPDATE SET name = EXCLUDED.name
         WHERE ingredient_translations.name IS DISTINCT FROM EXCLUDED.name",
    )
    .bind(&ndbs)
    .bind(&locales)
    .bind(&texts)
    .execute(&mut **tx)
    .await
    .context("seeds/dishes/ingredient_names.csv")?;

    let prices: Vec<IngredientPriceRow> =
        parse("dishes/ingredient_prices.csv", INGREDIENT_PRICES_CSV)?;
    sqlx::query(
        "INSERT INTO ingredient_prices (ingredient_id, price_per_kg, source)
         SELECT i.id, round(r.price::numeric, 2), 'demo' FROM UNNEST($1::text[], $2::float8[]) AS r (ndb, price)
         JOIN ingredients i ON i.usda_ndb_no = r.ndb
         ON CONFLICT (ingredient_id) DO UPDATE SET price_per_kg = EXCLUDED.price_per_kg
         WHERE ingredient_prices.source = 'demo' AND ingredient_prices.price_per_kg IS DISTINCT FROM EXCLUDED.price_per_kg",
    )
    .bind(prices.iter().map(|p| p.usda_ndb_no.as_str()).collect::<Vec<_>>())
    .bind(prices.iter().map(|p| p.price_rsd_per_kg).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await
    .context("seeds/dishes/ingredient_prices.csv")?;
    Ok(())
}

async fn load_dishes(
    tx: &mut Transaction<'_, Postgres>,
    dishes: &[DishRow],
    ingredients: &[DishIngredientRow],
) -> anyhow::Result<u64> {
    let mut inserted = 0;
    for dish in dishes {
        let meal_types: Vec<&str> = dish.meal_types.split(';').map(str::trim).collect();
        let id: Option<uuid::Uuid> = sqlx::query_scalar(
            "INSERT INTO dishes (slug, cuisine, meal_types, servings, cooked_weight_g, notes)
             VALUES ($1, 'serbian', $2, $3, $4::numeric, $5)
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .bind(&dish.slug)
        .bind(&meal_types)
        .bind(dish.servings)
        .bind(dish.cooked_weight_g)
        .bind(&dish.notes)
        .fetch_optional(&mut **tx)
        .await
        .with_context(|| format!("loading dish {}", dish.slug))?;
        let Some(id) = id else { continue };
        inserted += 1;
        sqlx::query(
            "INSERT INTO dish_translations (dish_id, locale, name)
             SELECT $1, * FROM UNNEST(ARRAY['sr-Latn', 'sr-Cyrl', 'en'], ARRAY[$2, $3, $4])",
        )
        .bind(id)
        .bind(&dish.name_sr_latn)
        .bind(&dish.name_sr_cyrl)
        .bind(&dish.name_en)
        .execute(&mut **tx)
        .await?;
        let recipe: Vec<&DishIngredientRow> = ingredients
            .iter()
            .filter(|r| r.dish_slug == dish.slug)
            .collect();
        let added = sqlx::query(
            "INSERT INTO dish_ingredients (dish_id, ingredient_id, grams, note)
             SELECT $1, i.id, r.grams::numeric, r.note
             FROM UNNEST($2::text[], $3::float8[], $4::text[]) AS r (ndb, grams, note)
             JOIN ingredients i ON i.usda_ndb_no = r.ndb",
        )
        .bind(id)
        .bind(
            recipe
                .iter()
                .map(|r| r.usda_ndb_no.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(recipe.iter().map(|r| r.grams).collect::<Vec<_>>())
        .bind(
            recipe
                .iter()
                .map(|r| r.ingredient_note.as_deref())
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
        anyhow::ensure!(
            added as usize == recipe.len(),
            "seeds/dishes: dish {} names a food that is not in foods.csv",
            dish.slug
        );
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_files_parse_and_keep_unknown_nutrients_unknown() {
        let foods = parse::<FoodRow>("foods", FOODS_CSV).unwrap();
        assert_eq!(foods.len(), 8789);
        assert!(
            foods.iter().all(|f| f.usda_ndb_no.len() == 5),
            "NDB numbers keep their leading zero"
        );
        assert!(
            foods.iter().any(|f| f.vitamin_k_ug.is_none()),
            "empty cells stay None, not 0"
        );
        assert_eq!(
            parse::<PortionRow>("portions", PORTIONS_CSV).unwrap().len(),
            15438
        );
        let dishes = parse::<DishRow>("dishes", DISHES_CSV).unwrap();
        assert_eq!(dishes.len(), 59);
        let recipes = parse::<DishIngredientRow>("dish_ingredients", DISH_INGREDIENTS_CSV).unwrap();
        for dish in &dishes {
            assert!(
                recipes.iter().filter(|r| r.dish_slug == dish.slug).count() >= 2,
                "{}",
                dish.slug
            );
        }
        for r in &recipes {
            assert!(
                foods.iter().any(|f| f.usda_ndb_no == r.usda_ndb_no),
                "{} {}",
                r.dish_slug,
                r.usda_ndb_no
            );
        }
    }

    #[test]
    fn checksum_is_stable() {
        assert_eq!(checksum(), checksum());
        assert_eq!(checksum().len(), 64);
    }

    /// Every dish has its name in all seven languages.
    #[test]
    fn every_dish_is_named_in_every_language() {
        let dishes = parse::<DishRow>("dishes", DISHES_CSV).unwrap();
        let names = parse::<DishNameRow>("dish_names", DISH_NAMES_CSV).unwrap();
        assert_eq!(
            dishes.iter().map(|d| &d.slug).collect::<Vec<_>>(),
            names.iter().map(|n| &n.slug).collect::<Vec<_>>()
        );
        for n in &names {
            for name in [&n.name_hu, &n.name_ro, &n.name_ru, &n.name_uk] {
                assert!(!name.trim().is_empty(), "{}", n.slug);
            }
        }
    }

    /// Every food a dish uses is listed in the allergen and name files, so a dish's allergens are
    /// never silently incomplete.
    #[test]
    fn every_dish_food_has_its_allergens_and_names_listed() {
        let recipes = parse::<DishIngredientRow>("dish_ingredients", DISH_INGREDIENTS_CSV).unwrap();
        let allergens =
            parse::<IngredientAllergenRow>("allergens", INGREDIENT_ALLERGENS_CSV).unwrap();
        let names = parse::<IngredientNameRow>("names", INGREDIENT_NAMES_CSV).unwrap();
        let prices = parse::<IngredientPriceRow>("prices", INGREDIENT_PRICES_CSV).unwrap();
        for r in &recipes {
            assert!(
                allergens.iter().any(|a| a.usda_ndb_no == r.usda_ndb_no),
                "allergens of {}",
                r.usda_ndb_no
            );
            assert!(
                names.iter().any(|n| n.usda_ndb_no == r.usda_ndb_no),
                "names of {}",
                r.usda_ndb_no
            );
        }
        let codes = [
            "gluten",
            "shellfish",
            "egg",
            "fish",
            "peanut",
            "soy",
            "milk",
            "tree_nuts",
            "celery",
            "mustard",
            "sesame",
            "sulphites",
            "lupin",
            "molluscs",
        ];
        for a in &allergens {
            for code in a
                .allergens
                .as_deref()
                .unwrap_or("")
                .split(';')
                .filter(|c| !c.is_empty())
            {
                assert!(codes.contains(&code), "{} lists {code}", a.usda_ndb_no);
            }
        }
        assert!(prices.iter().all(|p| p.price_rsd_per_kg > 0.0));
    }
}
