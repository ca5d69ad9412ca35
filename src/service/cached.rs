//! Reads that many endpoints share, through the cache: the contraindication rules and the
//! vocabularies, a user's account and health profile, the products the screen and the planners
//! weigh, and the dishes the meal planner chooses from. Writes invalidate their namespace
//! (`Ns::Rules`, `Ns::User`, `Ns::Catalogue`, `Ns::Dishes`).

use uuid::Uuid;

use super::{AppState, Result};
use crate::{
    cache::{Kind, Ns},
    db::{self, profiles::HealthProfile},
    domain::safety::RuleBook,
};

/// Every contraindication rule and the life stages each substance has safety data for.
pub async fn rules(state: &AppState) -> Result<RuleBook> {
    Ok(state
        .cache
        .get_or_load(Kind::Rules, &[Ns::Rules], "rule_book", || {
            db::safety::rule_book(&state.pool)
        })
        .await?)
}

/// The user's health profile, if any.
pub async fn profile(state: &AppState, user: Uuid) -> Result<Option<HealthProfile>> {
    Ok(state
        .cache
        .get_or_load(
            Kind::User,
            &[Ns::User(user)],
            &format!("profile:{user}"),
            || db::profiles::get(&state.pool, user),
        )
        .await?)
}

/// The user's account, if it still exists.
pub async fn account(state: &AppState, user: Uuid) -> Result<Option<db::users::User>> {
    Ok(state
        .cache
        .get_or_load(
            Kind::User,
            &[Ns::User(user)],
            &format!("account:{user}"),
            || db::users::by_id(&state.pool, user),
        )
        .await?)
}

/// A controlled vocabulary's terms named in `locale`. Only migrations and the seed write
/// vocabularies, as they write the contraindication rules: they share the rules' namespace and
/// lifetime.
pub async fn vocabulary(
    state: &AppState,
    vocabulary: &str,
    locale: &str,
) -> Result<Vec<db::profiles::Term>> {
    Ok(state
        .cache
        .get_or_load(
            Kind::Rules,
            &[Ns::Rules],
            &format!("vocabulary:{vocabulary}:{locale}"),
            || db::profiles::vocabulary(&state.pool, vocabulary, locale),
        )
        .await?)
}

/// The available products in `locale` (of `product_type`, or all), with what the safety screen,
/// the dosage and the ranking need.
pub async fn products(
    state: &AppState,
    locale: &str,
    product_type: Option<&str>,
) -> Result<Vec<db::supplements::ProductFacts>> {
    Ok(state
        .cache
        .get_or_load(
            Kind::Catalogue,
            &[Ns::Catalogue],
            &format!("product-facts:{locale}:{product_type:?}"),
            || db::supplements::products(&state.pool, locale, product_type, None),
        )
        .await?)
}

/// The dishes free of `allergens` in `locale`, every one, for the meal planner.
pub async fn plannable_dishes(
    state: &AppState,
    locale: &str,
    allergens: &[String],
) -> Result<Vec<db::dishes::Dish>> {
    let filter = db::dishes::DishFilter {
        free_of: allergens.to_vec(),
        limit: 10_000,
        ..Default::default()
    };
    Ok(state
        .cache
        .get_or_load(
            Kind::Dishes,
            &[Ns::Dishes],
            &format!("plannable:{locale}:{filter:?}"),
            || db::dishes::dishes(&state.pool, locale, &filter),
        )
        .await?)
}
