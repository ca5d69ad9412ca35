//! Reads that many endpoints share, through the cache: the contraindication rules and a user's
//! health profile. Writes to either invalidate their namespace (`Ns::Rules`, `Ns::User`).

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
