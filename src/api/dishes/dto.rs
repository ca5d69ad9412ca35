//! Ingredients and dishes as readers and admins see and write them, and the athlete's meal
//! preferences.

use std::collections::BTreeMap;

use poem_openapi::Object;
use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    api::{
        enums::api_enum,
        error::ApiError,
        validate::{Check, text},
    },
    db::dishes as store,
    domain::catalogue::Slug,
};

api_enum!(
    /// When a dish is eaten.
    #[derive(PartialOrd, Ord)]
    MealTypeName {
        Breakfast = "breakfast",
        Lunch = "lunch",
        Dinner = "dinner",
        Snack = "snack",
    }
);

api_enum!(
    Difficulty {
        Easy = "easy",
        Medium = "medium",
        Hard = "hard",
    }
);

/// Nutrients per 100 g (ingredients) or per serving (dishes). Absent: unknown, never zero.
#[derive(Object, Debug, Clone, PartialEq, Default)]
#[oai(skip_serializing_if_is_none)]
pub struct Nutrients {
    #[oai(skip_serializing_if_is_none)]
    pub energy_kcal: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub protein_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub carbohydrate_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub fat_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub saturated_fat_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub fiber_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub sugars_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub sodium_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub potassium_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub calcium_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub iron_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub magnesium_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub zinc_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub vitamin_c_mg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub vitamin_d_ug: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub vitamin_b12_ug: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub vitamin_k_ug: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub caffeine_mg: Option<f64>,
}

fn r(v: Option<f64>, places: i32) -> Option<f64> {
    let f = 10f64.powi(places);
    v.map(|v| (v * f).round() / f)
}

impl From<store::Nutrients> for Nutrients {
    fn from(n: store::Nutrients) -> Self {
        Self {
            energy_kcal: r(n.energy_kcal, 0),
            protein_g: r(n.protein_g, 1),
            carbohydrate_g: r(n.carbohydrate_g, 1),
            fat_g: r(n.fat_g, 1),
            saturated_fat_g: r(n.saturated_fat_g, 1),
            fiber_g: r(n.fiber_g, 1),
            sugars_g: r(n.sugars_g, 1),
            sodium_mg: r(n.sodium_mg, 0),
            potassium_mg: r(n.potassium_mg, 0),
            calcium_mg: r(n.calcium_mg, 0),
            iron_mg: r(n.iron_mg, 2),
            magnesium_mg: r(n.magnesium_mg, 0),
            zinc_mg: r(n.zinc_mg, 2),
            vitamin_c_mg: r(n.vitamin_c_mg, 1),
            vitamin_d_ug: r(n.vitamin_d_ug, 2),
            vitamin_b12_ug: r(n.vitamin_b12_ug, 2),
            vitamin_k_ug: r(n.vitamin_k_ug, 1),
            caffeine_mg: r(n.caffeine_mg, 0),
        }
    }
}

/// An ingredient (a USDA SR28 food, or an admin's own).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct Ingredient {
    pub id: Uuid,
    /// `usda_sr28` or `custom`.
    pub source: String,
    /// The USDA NDB number, which FoodData Central keeps for every SR Legacy food.
    #[oai(skip_serializing_if_is_none)]
    pub usda_ndb_no: Option<String>,
    pub food_group: String,
    pub name: String,
    pub allergens: Vec<String>,
    /// Per 100 g of edible portion.
    pub per_100g: Nutrients,
    /// RSD per kg, where known.
    #[oai(skip_serializing_if_is_none)]
    pub price_per_kg: Option<Decimal>,
}

impl From<store::Ingredient> for Ingredient {
    fn from(i: store::Ingredient) -> Self {
        Self {
            id: i.id,
            source: i.source,
            usda_ndb_no: i.usda_ndb_no,
            food_group: i.food_group,
            name: i.name.unwrap_or_default(),
            allergens: i.allergens,
            per_100g: i.nutrients.into(),
            price_per_kg: i.price_per_kg,
        }
    }
}

/// A household measure: `1 large` egg = 50 g.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct Measure {
    pub amount: Decimal,
    pub unit: String,
    pub grams: Decimal,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct IngredientCard {
    #[oai(flatten)]
    pub ingredient: Ingredient,
    pub measures: Vec<Measure>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct IngredientPage {
    pub items: Vec<Ingredient>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// A dish in a list.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct DishSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub meal_types: Vec<String>,
    pub cuisine: String,
    #[oai(skip_serializing_if_is_none)]
    pub cooking_time_min: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub difficulty: Option<String>,
    pub allergens: Vec<String>,
    /// Grams of a serving (raw ingredients).
    #[oai(skip_serializing_if_is_none)]
    pub serving_grams: Option<f64>,
    /// Per serving, from the ingredients.
    pub per_serving: Nutrients,
    /// Nutrients at least one ingredient has no value for: their totals are lower bounds.
    pub unknown_nutrients: Vec<String>,
    /// Estimated cost of a serving (RSD), from ingredient prices; absent unless every ingredient
    /// has a price.
    #[oai(skip_serializing_if_is_none)]
    pub cost_per_serving: Option<Decimal>,
    pub is_active: bool,
}

impl From<store::Dish> for DishSummary {
    fn from(d: store::Dish) -> Self {
        Self {
            id: d.id,
            name: d.name.unwrap_or_else(|| d.slug.clone()),
            slug: d.slug,
            meal_types: d.meal_types,
            cuisine: d.cuisine,
            cooking_time_min: d.cooking_time_min,
            difficulty: d.difficulty,
            allergens: d.allergens,
            serving_grams: r(d.grams, 0),
            per_serving: d.nutrients.into(),
            unknown_nutrients: d.unknown,
            cost_per_serving: match (d.cost, d.cost_complete) {
                (Some(c), Some(true)) => Decimal::try_from(c).ok().map(|c| c.round_dp(2)),
                _ => None,
            },
            is_active: d.is_active,
        }
    }
}

/// An ingredient of a dish.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct DishPart {
    pub ingredient_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub usda_ndb_no: Option<String>,
    pub name: String,
    /// For one serving.
    pub grams_per_serving: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    pub allergens: Vec<String>,
}

#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct DishCard {
    #[oai(flatten)]
    pub dish: DishSummary,
    pub servings_per_recipe: i16,
    #[oai(skip_serializing_if_is_none)]
    pub instructions: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub notes: Option<String>,
    pub ingredients: Vec<DishPart>,
    pub updated_at: OffsetDateTime,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct DishPage {
    pub items: Vec<DishSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// An ingredient line of a dish, as an admin writes it.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct DishPartInput {
    pub ingredient_id: Uuid,
    /// For the whole recipe.
    pub grams: Decimal,
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
}

/// A dish as an admin writes it.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct DishInput {
    #[oai(validator(max_length = 80))]
    pub slug: String,
    /// Lower case letters and `_`; default `serbian`.
    #[oai(validator(max_length = 40))]
    pub cuisine: Option<String>,
    pub meal_types: Vec<MealTypeName>,
    /// Portions the recipe makes, 1–100.
    pub servings: i16,
    pub cooking_time_min: Option<i32>,
    pub difficulty: Option<Difficulty>,
    #[oai(validator(max_length = 2000))]
    pub notes: Option<String>,
    #[oai(default = "yes")]
    pub is_active: bool,
    /// Name by locale (`en` and `sr-Latn` required).
    pub names: BTreeMap<String, String>,
    /// Instructions by locale.
    #[oai(default)]
    pub instructions: BTreeMap<String, String>,
    pub ingredients: Vec<DishPartInput>,
}

fn yes() -> bool {
    true
}

impl DishInput {
    pub(super) fn parse(self) -> Result<store::DishFields, ApiError> {
        let mut check = Check::default();
        let slug = check.ok("slug", Slug::parse(&self.slug, 80));
        let cuisine = self.cuisine.unwrap_or_else(|| "serbian".into());
        let cuisine_ok = (2..=40).contains(&cuisine.len())
            && cuisine.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if !cuisine_ok {
            check.add("cuisine", "2–40 lower-case letters or _");
        }
        let mut meal_types: Vec<MealTypeName> = self.meal_types;
        meal_types.sort();
        meal_types.dedup();
        if meal_types.is_empty() {
            check.add("meal_types", "give at least one meal type");
        }
        if !(1..=100).contains(&self.servings) {
            check.add("servings", "must be between 1 and 100");
        }
        if self
            .cooking_time_min
            .is_some_and(|t| !(0..=1440).contains(&t))
        {
            check.add("cooking_time_min", "must be between 0 and 1440 minutes");
        }
        let notes = self
            .notes
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let names = check.locales("names", self.names);
        for required in ["en", "sr-Latn"] {
            if !names.iter().any(|(l, ..)| *l == required) {
                check.add("names", format!("needs the {required} name"));
            }
        }
        let instructions = check.locales("instructions", self.instructions);
        let mut translations = Vec::new();
        for (locale, at, name) in names {
            let Some(name) = check.ok(&at, text(&name, 200)) else {
                continue;
            };
            let how = instructions
                .iter()
                .find(|(l, ..)| *l == locale)
                .and_then(|(_, at, t)| check.ok(at, text(t, 10_000)));
            translations.push((locale, name, how));
        }
        for (locale, at, _) in &instructions {
            if !translations.iter().any(|(l, ..)| l == locale) {
                check.add(at.clone(), "instructions need a name in the same language");
            }
        }
        if self.ingredients.is_empty() || self.ingredients.len() > 60 {
            check.add("ingredients", "give 1 to 60 ingredients");
        }
        let mut seen = std::collections::HashSet::new();
        let mut parts = Vec::new();
        for (n, part) in self.ingredients.into_iter().enumerate() {
            if !seen.insert(part.ingredient_id) {
                check.add(format!("ingredients[{n}].ingredient_id"), "listed twice");
            }
            if part.grams <= Decimal::ZERO
                || part.grams > Decimal::from(50_000)
                || part.grams.scale() > 1
            {
                check.add(
                    format!("ingredients[{n}].grams"),
                    "must be above 0 and at most 50000, one decimal",
                );
            }
            parts.push((
                part.ingredient_id,
                part.grams,
                part.note.filter(|n| !n.trim().is_empty()),
            ));
        }
        match slug {
            Some(slug) if check.is_clean() => Ok(store::DishFields {
                slug: slug.as_str().to_owned(),
                cuisine,
                meal_types: meal_types
                    .into_iter()
                    .map(|v| v.as_str().to_owned())
                    .collect(),
                servings: self.servings,
                cooking_time_min: self.cooking_time_min,
                difficulty: self.difficulty.map(|v| v.as_str().to_owned()),
                notes,
                is_active: self.is_active,
                translations,
                ingredients: parts,
            }),
            _ => Err(check.into_error()),
        }
    }
}

/// An ingredient's price.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct IngredientPrice {
    /// RSD per kg as used; absent to remove the price.
    pub price_per_kg: Option<Decimal>,
}

/// The athlete's meal preferences.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct MealPreferences {
    /// Dishes the planner prefers.
    #[oai(default)]
    pub favourite_dishes: Vec<Uuid>,
    /// Dishes never planned.
    #[oai(default)]
    pub excluded_dishes: Vec<Uuid>,
    /// Preferred cuisines (e.g. `serbian`); empty: any.
    #[oai(default)]
    pub cuisines: Vec<String>,
    /// A daily food budget (RSD) the planner tries to stay under.
    pub daily_budget: Option<Decimal>,
}

impl MealPreferences {
    /// Sorted, deduplicated and lower-cased, every field checked (the dishes against the database).
    pub(super) async fn parse(self, pool: &sqlx::PgPool) -> Result<Self, ApiError> {
        let mut p = self;
        let mut check = Check::default();
        for list in [&mut p.favourite_dishes, &mut p.excluded_dishes] {
            list.sort();
            list.dedup();
        }
        p.cuisines = p
            .cuisines
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        p.cuisines.dedup();
        if p.favourite_dishes.len() > 200 || p.excluded_dishes.len() > 200 {
            check.add("favourite_dishes", "at most 200 dishes in each list");
        }
        if let Some(both) = p
            .favourite_dishes
            .iter()
            .find(|d| p.excluded_dishes.contains(d))
        {
            check.add("excluded_dishes", format!("{both} is also a favourite"));
        }
        for (field, ids) in [
            ("favourite_dishes", &p.favourite_dishes),
            ("excluded_dishes", &p.excluded_dishes),
        ] {
            if let Some(id) = store::unknown_dishes(pool, ids).await?.first() {
                check.add(field, format!("no dish {id}"));
            }
        }
        if p.cuisines.len() > 20
            || p.cuisines.iter().any(|c| {
                !(2..=40).contains(&c.len())
                    || !c.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
        {
            check.add(
                "cuisines",
                "up to 20 cuisines, each 2–40 lower-case letters or _",
            );
        }
        if p.daily_budget
            .is_some_and(|b| b <= Decimal::ZERO || b > Decimal::from(10_000_000) || b.scale() > 2)
        {
            check.add(
                "daily_budget",
                "must be above 0 and at most 10000000, two decimals",
            );
        }
        if check.is_clean() {
            Ok(p)
        } else {
            Err(check.into_error())
        }
    }
}
