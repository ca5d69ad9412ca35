//! `/recommendations`, `/dosage`, `/shopping-plan`, `/shopping-lists` and
//! `/supplement-confirmations`: the supplements an athlete should take, how much, and the cheapest way
//! to buy them. Every product passes the safety screen ([`crate::domain::safety`]) for the signed-in
//! athlete first, and lands in one tier: recommended, ask your doctor first, or not for you. Only the
//! recommended ones, and those the athlete confirmed after asking their doctor, are planned.

pub mod dto;

use poem::web::Data;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::ParseFromJSON,
};
use uuid::Uuid;

pub use self::dto::*;
use super::{
    ApiTags, AppState,
    catalogue::ProductType,
    confirmations,
    error::ApiError,
    language::{LanguageTag, Negotiation},
    responses::Done,
    security::BearerAuth,
};
use crate::{
    db,
    domain::account::Role,
    service::{
        self,
        shopping_plan::{MAX_ITEMS, Planned},
    },
};

#[derive(ApiResponse)]
pub enum PlanCreated {
    /// The plan (not saved).
    #[oai(status = 200)]
    Computed(Json<ShoppingPlan>),
    /// The plan, saved under `/shopping-lists/{id}`.
    #[oai(status = 201)]
    Saved(Json<ShoppingPlan>),
}

#[derive(Default)]
pub struct SupplementsApi;

#[OpenApi(tag = "ApiTags::Supplements")]
impl SupplementsApi {
    /// Recommended supplements
    ///
    /// Every product in one of three tiers for the signed-in athlete. `items`, recommended: nothing
    /// in their profile cautions against it (or they confirmed it after asking their doctor), dosed
    /// for their body and training, ranked by fit to sport and goal, AIS evidence group, need (the
    /// protein gap from logged food) and the price of a day's dose, and together within the day's
    /// limits (caffeine per kg and per day, upper limits, one stimulant). `ask_doctor`: a caution
    /// applies; by name, never ranked, each caution with its reason, source and the question to
    /// ask. `excluded`, not for you: an `avoid` rule, a declared allergen, cautions that add up,
    /// under 18 a product kept for adults, or a total limit — with the reason and its source. Texts
    /// in `lang`. Athletes with a health profile.
    #[oai(
        path = "/recommendations",
        method = "get",
        operation_id = "getRecommendations"
    )]
    async fn recommendations(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<u32>,
        #[oai(name = "type")] product_type: Query<Option<ProductType>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Recommendations>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        let answer =
            service::recommendations::cached(&state, auth.0.user, locale, product_type.0, limit.0)
                .await?;
        Ok(Json(answer))
    }

    /// Daily doses
    ///
    /// For each product in `product_ids` (comma separated, at most 30): the daily amount from the
    /// athlete's data (creatine 3–5 g or 0.03 g/kg, caffeine 3 mg/kg within the EFSA limit and every
    /// safety threshold, protein from the protein gap …), when to take it, the total for `days`, and
    /// how many packages of each size that takes. `status` `ask_doctor`: a caution applies, and the
    /// dose is what it would be once confirmed. A product not for the athlete has no dose, only the
    /// reason. Athletes with a health profile.
    #[oai(path = "/dosage", method = "get", operation_id = "getDosage")]
    async fn dosage(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        #[oai(validator(max_length = 1200))] product_ids: Query<String>,
        #[oai(
            default = "default_days",
            validator(minimum(value = "1"), maximum(value = "366"))
        )]
        days: Query<u32>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Dosage>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        let ids = parse_ids(&product_ids.0)?;
        Ok(Json(
            service::dosage::for_products(&state, auth.0.user, &locale, &ids, days.0).await?,
        ))
    }

    /// The cheapest shopping plan
    ///
    /// Which packages to buy in which stores so that every item is covered for `days` at the lowest
    /// total — discounts, delivery fees (waived from a store's free-delivery threshold) and every
    /// store's minimum order included, in at most `max_stores` stores. Solved exactly; compared with
    /// the best single-store plan. Items name a product (with servings or grams a day, default the
    /// athlete's dose) or a substance (with its daily amount, default the athlete's target; the plan
    /// picks the product). Products not for the athlete, or to ask their doctor about and not
    /// confirmed, are refused (422, naming the item); a substance is only bought as a recommended
    /// or confirmed product. `save` keeps the plan in
    /// `/shopping-lists` (201). Athletes with a health profile.
    #[oai(
        path = "/shopping-plan",
        method = "post",
        operation_id = "createShoppingPlan"
    )]
    async fn shopping_plan(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<ShoppingRequest>,
    ) -> Result<PlanCreated, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(
            match service::shopping_plan::plan(&state, auth.0.user, &locale, body.0).await? {
                Planned::Computed(plan) => PlanCreated::Computed(Json(plan)),
                Planned::Saved(plan) => PlanCreated::Saved(Json(plan)),
            },
        )
    }

    /// Saved shopping lists
    ///
    /// The signed-in athlete's saved plans, newest first (at most 100). Athletes.
    #[oai(
        path = "/shopping-lists",
        method = "get",
        operation_id = "listShoppingLists"
    )]
    async fn shopping_lists(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Vec<ShoppingListSummary>>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let lists = db::supplements::lists(&state.pool, auth.0.user, 100).await?;
        Ok(Json(
            lists
                .into_iter()
                .map(|l| ShoppingListSummary {
                    id: l.id,
                    name: l.name,
                    days: l.days as u32,
                    total: l.total,
                    currency: l.currency,
                    stores: l.stores,
                    created_at: l.created_at,
                })
                .collect(),
        ))
    }

    /// A saved shopping list
    ///
    /// The plan as it was computed (prices of that moment). Athletes; another user's id is 404.
    #[oai(
        path = "/shopping-lists/:id",
        method = "get",
        operation_id = "getShoppingList"
    )]
    async fn shopping_list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Json<ShoppingPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let list = db::supplements::list(&state.pool, auth.0.user, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("shopping list"))?;
        let mut plan = ShoppingPlan::parse_from_json(Some(list.plan)).map_err(|e| {
            ApiError::from(anyhow::anyhow!(
                "a saved shopping list does not parse: {}",
                e.into_message()
            ))
        })?;
        plan.id = Some(list.id);
        plan.created_at = list.created_at;
        Ok(Json(plan))
    }

    /// Delete a saved shopping list
    ///
    /// Athletes; another user's id is 404.
    #[oai(
        path = "/shopping-lists/:id",
        method = "delete",
        operation_id = "deleteShoppingList"
    )]
    async fn delete_shopping_list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        if db::supplements::delete_list(&state.pool, auth.0.user, id.0).await? {
            Ok(Done::NoContent)
        } else {
            Err(ApiError::not_found("shopping list"))
        }
    }

    /// Products confirmed after asking the doctor
    ///
    /// The signed-in athlete's confirmations in force: products from the "ask your doctor first"
    /// tier that are recommended and planned because the athlete (or their coach) confirmed them.
    /// Athletes.
    #[oai(
        path = "/supplement-confirmations",
        method = "get",
        operation_id = "listSupplementConfirmations"
    )]
    async fn confirmations(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<Vec<confirmations::SupplementConfirmation>>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        Ok(Json(confirmations::list(&state, auth.0.user).await?))
    }

    /// Confirm a product after asking the doctor
    ///
    /// Only a product in the athlete's "ask your doctor first" tier (`ask_doctor` of
    /// `/recommendations`); from now on it is recommended and planned, with its cautions shown. A
    /// product not for the athlete (an `avoid`) cannot be confirmed (422). Confirming again returns
    /// the confirmation in force (200). Athletes with a health profile.
    #[oai(
        path = "/supplement-confirmations",
        method = "post",
        operation_id = "confirmSupplement"
    )]
    async fn confirm(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<confirmations::NewConfirmation>,
    ) -> Result<confirmations::Confirmed, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        confirmations::confirm(&state, &locale, auth.0.user, auth.0.user, body.0).await
    }

    /// Revoke a confirmation
    ///
    /// The product goes back to "ask your doctor first" and out of plans; the confirmation stays on
    /// record, dated. 404 when none is in force. Athletes.
    #[oai(
        path = "/supplement-confirmations/:product_id",
        method = "delete",
        operation_id = "revokeSupplementConfirmation"
    )]
    async fn revoke_confirmation(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        product_id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        confirmations::revoke(&state, auth.0.user, product_id.0, auth.0.user).await?;
        Ok(Done::NoContent)
    }
}

fn default_limit() -> u32 {
    10
}

/// The comma-separated ids of `product_ids`: 1–30 distinct UUIDs.
fn parse_ids(raw: &str) -> Result<Vec<Uuid>, ApiError> {
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = Uuid::parse_str(part).map_err(|_| {
            let shown: String = part.chars().take(40).collect();
            ApiError::invalid(
                "product_ids",
                format!("{shown:?} is not a product id (UUID)"),
            )
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_ITEMS {
        return Err(ApiError::invalid(
            "product_ids",
            format!("give 1 to {MAX_ITEMS} product ids, comma separated"),
        ));
    }
    Ok(ids)
}
