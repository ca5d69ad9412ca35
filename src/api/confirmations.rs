//! Confirmations: an athlete (or their coach) confirms a product the screen cautions against, after
//! talking to their doctor; from then on it is recommended and planned, with its cautions in view,
//! until the confirmation is revoked. An `avoid` can never be confirmed. The athlete's endpoints live
//! under `/supplement-confirmations`, the coach's under `/coach/athletes/{id}/`.

use poem_openapi::{ApiResponse, Object, payload::Json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AppState, error::ApiError};
use crate::{
    cache::Ns,
    db,
    domain::{
        account::Locale,
        recommend::{self, Tier},
        safety::{Hit, Severity},
    },
    i18n::Messages,
    service::athlete::{athlete_context, candidate},
};

/// A product confirmed after asking the doctor.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct SupplementConfirmation {
    pub id: Uuid,
    pub product_id: Uuid,
    /// `athlete` (themselves) or `coach`.
    pub confirmed_by: String,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    pub confirmed_at: OffsetDateTime,
}

impl From<db::confirmations::Confirmation> for SupplementConfirmation {
    fn from(c: db::confirmations::Confirmation) -> Self {
        Self {
            id: c.id,
            product_id: c.product_id,
            confirmed_by: c.confirmed_by_role,
            note: c.note,
            confirmed_at: c.confirmed_at,
        }
    }
}

/// A product to confirm.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct NewConfirmation {
    pub product_id: Uuid,
    /// What the doctor said, for the record (at most 500 characters).
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
}

#[derive(ApiResponse)]
pub enum Confirmed {
    /// Confirmed.
    #[oai(status = 201)]
    Created(Json<SupplementConfirmation>),
    /// Already confirmed: the confirmation in force.
    #[oai(status = 200)]
    Existing(Json<SupplementConfirmation>),
}

/// The athlete's confirmations in force.
pub async fn list(
    state: &AppState,
    athlete: Uuid,
) -> Result<Vec<SupplementConfirmation>, ApiError> {
    Ok(db::confirmations::active(&state.pool, athlete)
        .await?
        .into_iter()
        .map(SupplementConfirmation::from)
        .collect())
}

/// Confirms `req.product_id` for `athlete`, by `by`: only a product in the athlete's "ask your
/// doctor first" tier (422 naming `product_id` otherwise).
pub async fn confirm(
    state: &AppState,
    locale: &Locale,
    athlete: Uuid,
    by: Uuid,
    req: NewConfirmation,
) -> Result<Confirmed, ApiError> {
    let ctx = athlete_context(state, athlete).await?;
    let products =
        db::supplements::products(&state.pool, locale.as_str(), None, Some(&[req.product_id]))
            .await?;
    let Some(p) = products.first() else {
        return Err(ApiError::invalid(
            "product_id",
            format!("no product {}", req.product_id),
        ));
    };
    let rules = crate::service::cached::rules(state).await?;
    let messages = Messages::global();
    match recommend::judge(&candidate(p), &ctx.athlete, &ctx.person, &ctx.needs, &rules) {
        Ok((_, hits)) if Tier::of(&hits) == Tier::AskDoctor => {}
        Ok(_) => {
            return Err(ApiError::invalid(
                "product_id",
                messages.get(locale, "confirmation-not-needed", &[]),
            ));
        }
        Err(why) => {
            let why = match why {
                recommend::Exclusion::Unsafe(hits) => {
                    let named: std::collections::BTreeSet<String> = hits
                        .iter()
                        .filter(|h| h.severity() == Severity::Avoid)
                        .map(|h| hit_name(p, h))
                        .collect();
                    named.into_iter().collect::<Vec<_>>().join(", ")
                }
                _ => String::new(),
            };
            return Err(ApiError::invalid(
                "product_id",
                messages.get(locale, "confirmation-not-allowed", &[("why", why.into())]),
            ));
        }
    }
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let created =
        db::confirmations::confirm(&state.pool, athlete, req.product_id, by, note).await?;
    state.cache.invalidate(&[Ns::User(athlete)]).await;
    match created {
        Some(c) => Ok(Confirmed::Created(Json(c.into()))),
        None => {
            let existing = db::confirmations::active(&state.pool, athlete)
                .await?
                .into_iter()
                .find(|c| c.product_id == req.product_id)
                .ok_or_else(|| ApiError::conflict("product_id", "revoked meanwhile; try again"))?;
            Ok(Confirmed::Existing(Json(existing.into())))
        }
    }
}

/// What an `avoid` hit is about: the substance's name in the product's language, or the allergen.
fn hit_name(p: &db::supplements::ProductFacts, h: &Hit) -> String {
    match h {
        Hit::Rule { substance, .. } | Hit::NoLifeStageData { substance, .. } => p
            .substance_codes
            .iter()
            .position(|c| c == substance)
            .and_then(|i| p.substance_names[i].clone())
            .unwrap_or_else(|| substance.clone()),
        Hit::DeclaredAllergen { allergen } => allergen.clone(),
    }
}

/// Revokes the athlete's confirmation of a product; 404 when none is in force.
pub async fn revoke(
    state: &AppState,
    athlete: Uuid,
    product: Uuid,
    by: Uuid,
) -> Result<(), ApiError> {
    if !db::confirmations::revoke(&state.pool, athlete, product, by).await? {
        return Err(ApiError::not_found("confirmation"));
    }
    state.cache.invalidate(&[Ns::User(athlete)]).await;
    Ok(())
}
