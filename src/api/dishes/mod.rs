//! `/ingredients`, `/dishes` and `/meal-preferences`: the food database and the Serbian dishes built
//! from it (public to read; admins edit dishes and ingredient prices), and the athlete's favourite
//! and excluded dishes, cuisines and daily food budget.

pub mod dto;

use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::security::AdminAuth;
use super::{
    ApiTags, AppState,
    catalogue::{allergen_codes, default_page, default_per_page},
    error::{ApiError, on_constraint},
    language::{LanguageTag, Negotiation},
    rendered::{self, Cached},
    responses::Created,
    responses::Done,
    security::{BearerAuth, ClientInfo},
};
use crate::service::admin::AdminWrite;
use crate::{
    cache::{Kind, Ns},
    db::dishes as store,
    domain::account::Role,
};
use dto::*;

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
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
        req: &Request,
    ) -> Result<Cached<DishPage>, ApiError> {
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
        let dishes = rendered::cached(
            &state,
            Kind::Dishes,
            &[Ns::Dishes],
            &format!("dishes:{}:{filter:?}", locale.as_str()),
            || async {
                let rows = store::dishes(&state.pool, locale.as_str(), &filter).await?;
                let total = rows.first().map_or(0, |r| r.total);
                Ok(DishPage {
                    items: rows.into_iter().map(DishSummary::from).collect(),
                    total: total as u64,
                    page: page.0,
                    per_page: per_page.0,
                })
            },
        )
        .await?;
        Ok(dishes.respond(req, if_none_match.0.as_deref()))
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
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
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
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
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
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
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
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
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
        let p = body.0.parse(&state.pool).await?;
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
