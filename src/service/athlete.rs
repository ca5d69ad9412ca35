//! What every supplement use case knows about the signed-in athlete: their profile today, the
//! person the safety screen judges, their protein gap from logged food and the products they
//! confirmed after asking their doctor.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{AppState, Error, Result, cached};
use crate::{
    api::health_profile::{HealthProfile, today},
    db::{self, supplements::ProductFacts},
    domain::{
        dosage::{Needs, ServingKind},
        nutrition::{self, Athlete},
        recommend::{Candidate, Evidence, Ingredient, Tier},
        safety::{Hit, Person},
    },
};

/// Days of logged food the protein gap is averaged over, and how many of them must have protein.
pub const PROTEIN_LOG_WINDOW_DAYS: i64 = 14;
pub const PROTEIN_LOG_MIN_DAYS: i64 = 3;

/// The signed-in athlete, as the screen, the dosage and the ranking see them.
pub struct AthleteContext {
    pub profile: HealthProfile,
    pub athlete: Athlete,
    pub person: Person,
    pub needs: Needs,
    pub protein_logged_days: i64,
    /// Products the athlete confirmed after asking their doctor.
    pub confirmed: BTreeSet<Uuid>,
}

impl AthleteContext {
    /// Whether a product with these hits of the screen may be planned for the athlete: nothing
    /// cautions against it, or they confirmed it (an `avoid` never).
    pub fn may_plan(&self, product: Uuid, hits: &[Hit]) -> bool {
        match Tier::of(hits) {
            Tier::Recommended => true,
            Tier::AskDoctor => self.confirmed.contains(&product),
            Tier::NotForYou => false,
        }
    }
}

/// The athlete's profile, today; not found without a health profile (the safety screen needs it).
pub async fn athlete_context(state: &AppState, user: Uuid) -> Result<AthleteContext> {
    let row = cached::profile(state, user).await?.ok_or(Error::NotFound(
        "health profile (create it with PUT /health-profile: the safety screen needs it)",
    ))?;
    let profile = HealthProfile::from_row(row)?;
    let date = today();
    let athlete = profile.athlete_on(date).map_err(Error::Invalid)?;
    let person = Person::new(
        athlete.age_years(),
        &profile.allergies,
        &profile.conditions,
        &profile.medications,
    );
    let from = date - time::Duration::days(PROTEIN_LOG_WINDOW_DAYS - 1);
    // Two reads at once: neither needs the other.
    let ((logged, average), confirmed) = tokio::try_join!(
        db::supplements::logged_protein(&state.pool, user, from, date),
        db::confirmations::active_products(&state.pool, user)
    )?;
    let target = nutrition::targets(&athlete, None).protein_g;
    let protein_gap_g = match average {
        Some(avg) if logged >= PROTEIN_LOG_MIN_DAYS => Some((target - avg).max(0.0)),
        _ => None,
    };
    let confirmed = confirmed.into_iter().collect();
    Ok(AthleteContext {
        profile,
        athlete,
        person,
        needs: Needs { protein_gap_g },
        protein_logged_days: logged,
        confirmed,
    })
}

/// A product as the recommendation engine judges it.
pub fn candidate(p: &ProductFacts) -> Candidate {
    Candidate {
        id: p.id,
        ingredients: p
            .substance_codes
            .iter()
            .zip(&p.substance_amounts)
            .zip(&p.substance_evidence)
            .map(|((code, amount), evidence)| Ingredient {
                code: code.clone(),
                amount_per_serving: *amount,
                evidence: evidence.as_deref().and_then(Evidence::parse),
            })
            .collect(),
        allergens: p.allergens.clone(),
        serving_kind: ServingKind::of_unit(&p.serving_unit),
        price_per_serving: p.best_price_per_serving,
    }
}
