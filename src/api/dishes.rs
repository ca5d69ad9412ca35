//! `/ingredients`, `/dishes` and `/meal-preferences`: the food database and the Serbian dishes built
//! from it (public to read; admins edit dishes and ingredient prices), and the athlete's favourite
//! and excluded dishes, cuisines and daily food budget.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::AdminWrite;
use super::enums::api_enum;
use super::security::AdminAuth;
use super::{
    ApiTags, AppState,
    catalogue::{allergen_codes, default_page, default_per_page},
    error::{ApiError, on_constraint},
    language::{LanguageTag, Negotiation},
    responses::Created,
    responses::Done,
    security::{BearerAuth, ClientInfo},
    validate::{Check, text},
};
use crate::{
    cache::{Kind, Ns},
    db::dishes as store,
    domain::{account::Role, catalogue::Slug},
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

const DISHES: &[(&str, &str, &str)] = &[
    ("dishes_slug_key", "slug", "another dish has this slug"),
    (
        "meal_plan_items_dish_id_fkey",
        "id",
        "meal plans hold this dish; deactivate it instead (is_active: false)",
    ),
    (
        "dish_ingredients_ingredient_id_fkey",
        "ingredients",
        "an ingredient was deleted meanwhile",
    ),
];

impl DishInput {
    fn parse(self) -> Result<store::DishFields, ApiError> {
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

#[derive(Default)]
pub struct DishesApi;

#[OpenApi(tag = "ApiTags::Food")]
impl DishesApi {
    /// Ingredients
    ///
    /// The USDA SR28 foods (all 8,789) and admins' own, with nutrients per 100 g (absent: not analysed,
    /// never zero), allergens and price where known. Search names in any language and script with
    /// `q`; `in_dishes=true` lists only those the dishes use. Public.
    #[oai(
        path = "/ingredients",
        method = "get",
        operation_id = "listIngredients"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn ingredients(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        #[oai(validator(max_length = 100))] q: Query<Option<String>>,
        #[oai(validator(max_length = 100))] food_group: Query<Option<String>>,
        #[oai(validator(max_length = 300))] allergen_free: Query<Option<String>>,
        #[oai(default)] in_dishes: Query<bool>,
        lang: Query<Option<LanguageTag>>,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "10000"))
        )]
        page: Query<u32>,
        #[oai(
            default = "default_per_page",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<u32>,
    ) -> Result<Json<IngredientPage>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        let free_of = allergen_codes(&state, allergen_free.0.as_deref()).await?;
        let rows = store::ingredients(
            &state.pool,
            locale.as_str(),
            &store::IngredientFilter {
                q: q.0.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
                food_group: food_group.0,
                free_of,
                only_in_dishes: in_dishes.0,
                id: None,
                limit: i64::from(per_page.0),
                offset: i64::from(page.0 - 1) * i64::from(per_page.0),
            },
        )
        .await?;
        let total = rows.first().map_or(0, |r| r.total);
        Ok(Json(IngredientPage {
            items: rows.into_iter().map(Ingredient::from).collect(),
            total: total as u64,
            page: page.0,
            per_page: per_page.0,
        }))
    }

    /// An ingredient
    ///
    /// With its household measures (`1 large` egg = 50 g). Public.
    #[oai(
        path = "/ingredients/:id",
        method = "get",
        operation_id = "getIngredient"
    )]
    async fn ingredient(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        id: Path<Uuid>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<IngredientCard>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        let row = store::ingredients(
            &state.pool,
            locale.as_str(),
            &store::IngredientFilter {
                id: Some(id.0),
                limit: 1,
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("ingredient"))?;
        let measures = store::portions(&state.pool, id.0).await?;
        Ok(Json(IngredientCard {
            ingredient: row.into(),
            measures: measures
                .into_iter()
                .map(|m| Measure {
                    amount: m.amount,
                    unit: m.unit,
                    grams: m.grams,
                })
                .collect(),
        }))
    }

    /// Dishes
    ///
    /// Filter by `meal_type`, `cuisine`, `allergen_free` (comma-separated codes), `max_cooking_time`
    /// (minutes), `min_protein` (g per serving), `min_kcal`/`max_kcal` (per serving); search names in
    /// any script without diacritics (`cevapi`, `ћевапи` and `ćevapi` find the same dish). Nutrition per
    /// serving is computed from the ingredients. Public.
    #[oai(path = "/dishes", method = "get", operation_id = "listDishes")]
    #[allow(clippy::too_many_arguments)]
    async fn dishes(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        meal_type: Query<Option<MealTypeName>>,
        #[oai(validator(max_length = 40))] cuisine: Query<Option<String>>,
        #[oai(validator(max_length = 300))] allergen_free: Query<Option<String>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1440")))] max_cooking_time: Query<
            Option<i32>,
        >,
        #[oai(validator(minimum(value = "0"), maximum(value = "500")))] min_protein: Query<
            Option<f64>,
        >,
        #[oai(validator(minimum(value = "0"), maximum(value = "10000")))] min_kcal: Query<
            Option<f64>,
        >,
        #[oai(validator(minimum(value = "0"), maximum(value = "10000")))] max_kcal: Query<
            Option<f64>,
        >,
        #[oai(validator(max_length = 100))] q: Query<Option<String>>,
        lang: Query<Option<LanguageTag>>,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "10000"))
        )]
        page: Query<u32>,
        #[oai(
            default = "default_per_page",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<u32>,
    ) -> Result<Json<DishPage>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        if let (Some(lo), Some(hi)) = (min_kcal.0, max_kcal.0) {
            if lo > hi {
                return Err(ApiError::invalid("min_kcal", "must not be above max_kcal"));
            }
        }
        let free_of = allergen_codes(&state, allergen_free.0.as_deref()).await?;
        let filter = store::DishFilter {
            meal_type: meal_type.0.map(|v| v.as_str().to_owned()),
            cuisine: cuisine.0,
            free_of,
            max_cooking_time: max_cooking_time.0,
            min_protein: min_protein.0,
            min_kcal: min_kcal.0,
            max_kcal: max_kcal.0,
            q: q.0.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
            ids: None,
            all: false,
            limit: i64::from(per_page.0),
            offset: i64::from(page.0 - 1) * i64::from(per_page.0),
        };
        let rows = state
            .cache
            .get_or_load(
                Kind::Dishes,
                &[Ns::Dishes],
                &format!("dishes:{}:{filter:?}", locale.as_str()),
                || store::dishes(&state.pool, locale.as_str(), &filter),
            )
            .await?;
        let total = rows.first().map_or(0, |r| r.total);
        Ok(Json(DishPage {
            items: rows.into_iter().map(DishSummary::from).collect(),
            total: total as u64,
            page: page.0,
            per_page: per_page.0,
        }))
    }

    /// A dish
    ///
    /// With its recipe (grams per serving), instructions and nutrition. Public.
    #[oai(path = "/dishes/:id", method = "get", operation_id = "getDish")]
    async fn dish(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        id: Path<Uuid>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<DishCard>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        Ok(Json(dish_card(&state, id.0, locale.as_str(), false).await?))
    }

    /// Create a dish
    ///
    /// With its names, instructions and recipe; nutrition and allergens follow from the ingredients.
    /// 409 when the slug is taken. Audited. Admins.
    #[oai(path = "/admin/dishes", method = "post", operation_id = "createDish")]
    async fn create_dish(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<DishInput>,
    ) -> Result<Created<DishCard>, ApiError> {
        let fields = body.0.parse()?;
        check_ingredients(&state, &fields).await?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let id = store::insert_dish(&mut tx, &fields)
            .await
            .map_err(|e| on_constraint(e, DISHES))?;
        tx.commit(
            "admin.dish_create",
            json!({ "id": id, "slug": fields.slug }),
            &[Ns::Dishes],
        )
        .await?;
        Ok(Created::Created(Json(
            dish_card(&state, id, "en", true).await?,
        )))
    }

    /// A dish to edit
    ///
    /// The dish as `PUT /admin/dishes/{id}` takes it: names and instructions in every language,
    /// and the recipe in grams for the whole recipe. Admins.
    #[oai(
        path = "/admin/dishes/:id",
        method = "get",
        operation_id = "getEditableDish"
    )]
    async fn editable_dish(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<DishInput>, ApiError> {
        let row = store::dish_row(&state.pool, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("dish"))?;
        let stored =
            |what: &str| ApiError::from(anyhow::anyhow!("a stored dish has an unknown {what}"));
        let meal_types = row
            .meal_types
            .iter()
            .map(|m| MealTypeName::parse(m).ok_or_else(|| stored("meal type")))
            .collect::<Result<_, _>>()?;
        let difficulty = match &row.difficulty {
            Some(d) => Some(Difficulty::parse(d).ok_or_else(|| stored("difficulty"))?),
            None => None,
        };
        let translations = store::dish_translations(&state.pool, id.0).await?;
        let ingredients = store::dish_ingredients(&state.pool, id.0, "en").await?;
        Ok(Json(DishInput {
            slug: row.slug,
            cuisine: Some(row.cuisine),
            meal_types,
            servings: row.servings,
            cooking_time_min: row.cooking_time_min,
            difficulty,
            notes: row.notes,
            is_active: row.is_active,
            names: translations
                .iter()
                .map(|(locale, name, _)| (locale.clone(), name.clone()))
                .collect(),
            instructions: translations
                .into_iter()
                .filter_map(|(locale, _, instructions)| Some((locale, instructions?)))
                .collect(),
            ingredients: ingredients
                .into_iter()
                .map(|i| DishPartInput {
                    ingredient_id: i.ingredient_id,
                    grams: i.grams,
                    note: i.note,
                })
                .collect(),
        }))
    }

    /// Replace a dish
    ///
    /// The whole dish, recipe included; its nutrition changes with it. Audited. Admins.
    #[oai(
        path = "/admin/dishes/:id",
        method = "put",
        operation_id = "updateDish"
    )]
    async fn update_dish(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<DishInput>,
    ) -> Result<Json<DishCard>, ApiError> {
        let fields = body.0.parse()?;
        check_ingredients(&state, &fields).await?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        if !store::update_dish(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, DISHES))?
        {
            return Err(ApiError::not_found("dish"));
        }
        tx.commit(
            "admin.dish_update",
            json!({ "id": id.0, "slug": fields.slug }),
            &[Ns::Dishes],
        )
        .await?;
        Ok(Json(dish_card(&state, id.0, "en", true).await?))
    }

    /// Delete a dish
    ///
    /// 409 while a meal plan holds it (deactivate it instead). Audited. Admins.
    #[oai(
        path = "/admin/dishes/:id",
        method = "delete",
        operation_id = "deleteDish"
    )]
    async fn delete_dish(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let slug = store::delete_dish(&mut tx, id.0)
            .await
            .map_err(|e| on_constraint(e, DISHES))?
            .ok_or_else(|| ApiError::not_found("dish"))?;
        tx.commit(
            "admin.dish_delete",
            json!({ "id": id.0, "slug": slug }),
            &[Ns::Dishes],
        )
        .await?;
        Ok(Done::NoContent)
    }

    /// Set an ingredient's price
    ///
    /// RSD per kg, used for dish costs, daily budgets and shopping lists; no price removes it.
    /// Audited. Admins.
    #[oai(
        path = "/admin/ingredients/:id/price",
        method = "put",
        operation_id = "setIngredientPrice"
    )]
    async fn set_price(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<IngredientPrice>,
    ) -> Result<Done, ApiError> {
        let price = match body.0.price_per_kg {
            Some(p) if p <= Decimal::ZERO || p > Decimal::from(10_000_000) || p.scale() > 2 => {
                return Err(ApiError::invalid(
                    "price_per_kg",
                    "must be above 0 and at most 10000000, two decimals",
                ));
            }
            p => p,
        };
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        if !store::set_ingredient_price(&mut tx, id.0, price).await? {
            return Err(ApiError::not_found("ingredient"));
        }
        tx.commit(
            "admin.ingredient_price",
            json!({ "id": id.0, "price_per_kg": price }),
            &[Ns::Dishes],
        )
        .await?;
        Ok(Done::NoContent)
    }

    /// The athlete's meal preferences
    ///
    /// Favourite and excluded dishes, preferred cuisines and a daily food budget. Athletes.
    #[oai(
        path = "/meal-preferences",
        method = "get",
        operation_id = "getMealPreferences"
    )]
    async fn preferences(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<MealPreferences>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let p = store::preferences(&state.pool, auth.0.user).await?;
        Ok(Json(MealPreferences {
            favourite_dishes: p.favourites,
            excluded_dishes: p.excluded,
            cuisines: p.cuisines,
            daily_budget: p.daily_budget,
        }))
    }

    /// Replace the athlete's meal preferences
    ///
    /// A dish is either a favourite or excluded, not both. Athletes.
    #[oai(
        path = "/meal-preferences",
        method = "put",
        operation_id = "putMealPreferences"
    )]
    async fn put_preferences(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<MealPreferences>,
    ) -> Result<Json<MealPreferences>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let mut p = body.0;
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
            if let Some(id) = store::unknown_dishes(&state.pool, ids).await?.first() {
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
        if !check.is_clean() {
            return Err(check.into_error());
        }
        store::set_preferences(
            &state.pool,
            auth.0.user,
            &store::Preferences {
                favourites: p.favourite_dishes.clone(),
                excluded: p.excluded_dishes.clone(),
                cuisines: p.cuisines.clone(),
                daily_budget: p.daily_budget,
            },
        )
        .await?;
        Ok(Json(p))
    }
}

/// Every ingredient of a dish must exist.
async fn check_ingredients(state: &AppState, f: &store::DishFields) -> Result<(), ApiError> {
    let ids: Vec<Uuid> = f.ingredients.iter().map(|i| i.0).collect();
    let unknown = store::unknown_ingredients(&state.pool, &ids).await?;
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(
        f.ingredients
            .iter()
            .enumerate()
            .filter(|(_, i)| unknown.contains(&i.0))
            .map(|(n, _)| {
                super::error::FieldError::new(
                    format!("ingredients[{n}].ingredient_id"),
                    "no such ingredient",
                )
            })
            .collect(),
    ))
}

async fn dish_card(
    state: &AppState,
    id: Uuid,
    locale: &str,
    all: bool,
) -> Result<DishCard, ApiError> {
    let (row, parts) = state
        .cache
        .get_or_load(
            Kind::Dishes,
            &[Ns::Dishes],
            &format!("dish:{id}:{locale}:{all}"),
            || async {
                let filter = store::DishFilter {
                    ids: Some(vec![id]),
                    all,
                    limit: 1,
                    ..Default::default()
                };
                let Some(row) = store::dishes(&state.pool, locale, &filter)
                    .await?
                    .into_iter()
                    .next()
                else {
                    return Ok(None);
                };
                let parts = store::dish_ingredients(&state.pool, id, locale).await?;
                Ok::<_, sqlx::Error>(Some((row, parts)))
            },
        )
        .await?
        .ok_or_else(|| ApiError::not_found("dish"))?;
    let servings = Decimal::from(row.servings);
    Ok(DishCard {
        servings_per_recipe: row.servings,
        instructions: row.instructions.clone(),
        notes: row.notes.clone(),
        updated_at: row.updated_at,
        ingredients: parts
            .into_iter()
            .map(|p| DishPart {
                ingredient_id: p.ingredient_id,
                usda_ndb_no: p.usda_ndb_no,
                name: p.name.unwrap_or_default(),
                grams_per_serving: (p.grams / servings).round_dp(1),
                note: p.note,
                allergens: p.allergens,
            })
            .collect(),
        dish: row.into(),
    })
}
