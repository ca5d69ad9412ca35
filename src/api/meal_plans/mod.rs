//! `/meal-plans`: days and weeks of Serbian dishes that hit the athlete's targets, stored, swappable,
//! and turned into a shopping list; the planning is [`crate::service::meal_plans`].

pub mod dto;

use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use time::Date;

use super::{
    ApiTags, AppState,
    error::ApiError,
    language::{LanguageTag, Negotiation},
    security::BearerAuth,
};
use crate::{domain::account::Role, service::meal_plans as service};
use dto::{DailyRequest, MealPlan, MealShoppingList, SwapRequest, WeekPlan, WeeklyRequest};

#[derive(Default)]
pub struct MealPlansApi;

#[OpenApi(prefix_path = "/meal-plans", tag = "ApiTags::Food")]
impl MealPlansApi {
    /// Plan a day
    ///
    /// Dishes in quarter servings (0.5–2.5) for breakfast (07:30), two snacks (10:30, 17:00), lunch
    /// as the main meal (14:00) and dinner (20:00), so that the day is within energy ±5 %, protein
    /// 100–130 %, carbohydrate and fat ±10 % of the targets for `date` and `training_load` — never a
    /// dish with the athlete's allergens or on their excluded list, no dish more than twice a week
    /// unless pinned, the daily budget if set. When the dishes cannot meet a target, the closest plan,
    /// with `misses` saying which and by how much. A protein powder the safety screen allows may fill
    /// the protein gap (at most two servings). Replaces the day's plan (a regenerated plan avoids the
    /// previous dishes). Athletes with a health profile.
    #[oai(path = "/daily", method = "post", operation_id = "planDay")]
    async fn daily(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<DailyRequest>,
    ) -> Result<Json<MealPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            service::plan_day(&state, auth.0.user, &locale, body.0).await?,
        ))
    }

    /// Plan a week
    ///
    /// Seven days from `start_date`, each as `POST /meal-plans/daily` at the athlete's usual load,
    /// with variety across the week (no dish more than twice unless pinned). Athletes with a health
    /// profile.
    #[oai(path = "/weekly", method = "post", operation_id = "planWeek")]
    async fn weekly(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<WeeklyRequest>,
    ) -> Result<Json<WeekPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            service::plan_week(&state, auth.0.user, &locale, body.0).await?,
        ))
    }

    /// Stored plans
    ///
    /// The athlete's plans from `from` (default today) to `to` (default a week on; at most 93 days).
    /// Athletes.
    #[oai(path = "/", method = "get", operation_id = "listMealPlans")]
    async fn list(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Vec<MealPlan>>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            service::between(&state, auth.0.user, &locale, from.0, to.0).await?,
        ))
    }

    /// What the plans need from the shop
    ///
    /// Every ingredient of the plans from `from` to `to` (default: this week), summed in grams over
    /// the planned servings, with an estimated cost where the ingredient's price is known. Athletes.
    #[oai(
        path = "/shopping-list",
        method = "get",
        operation_id = "mealPlanShoppingList"
    )]
    async fn shopping_list(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<MealShoppingList>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            service::shopping_list(&state, auth.0.user, &locale, from.0, to.0).await?,
        ))
    }

    /// A day's plan
    ///
    /// Athletes; 404 when the day has no plan.
    #[oai(path = "/:date", method = "get", operation_id = "getMealPlan")]
    async fn get(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        date: Path<Date>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<MealPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            service::day(&state, auth.0.user, &locale, date.0).await?,
        ))
    }

    /// Swap a dish
    ///
    /// Replaces the dish at `position` with `dish_id` (or, without one, the dish that keeps the day
    /// closest to its targets), keeping the other meals' dishes and re-portioning the day; `misses`
    /// says if the day leaves its targets. Athletes.
    #[oai(
        path = "/:date/swap",
        method = "post",
        operation_id = "swapMealPlanDish"
    )]
    async fn swap(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        date: Path<Date>,
        lang: Query<Option<LanguageTag>>,
        body: Json<SwapRequest>,
    ) -> Result<Json<MealPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            service::swap(&state, auth.0.user, &locale, date.0, body.0).await?,
        ))
    }
}
