//! Daily doses of chosen products for an athlete, with the totals for a period and the packages
//! that takes.

use rust_decimal::{Decimal, prelude::ToPrimitive};
use uuid::Uuid;

use super::{
    AppState, Error, Result,
    athlete::{athlete_context, candidate},
    cached,
    words::{Words, exclusion_rules, hit_rules},
};
use crate::{
    api::supplements::dto::{Dosage, PackagesNeeded, ProductDosage, ProductRef},
    db::{self, supplements::ProductFacts},
    domain::{account::Locale, dosage, recommend},
};

/// The dose of each product in `ids` (checked: 1–30 distinct) for `days`, in the order given; a
/// product not for the athlete has its reason instead.
pub async fn for_products(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    ids: &[Uuid],
    days: u32,
) -> Result<Dosage> {
    let ctx = athlete_context(state, user).await?;
    let products = db::supplements::products(&state.pool, locale.as_str(), None, Some(ids)).await?;
    if let Some(missing) = ids.iter().find(|id| !products.iter().any(|p| p.id == **id)) {
        return Err(Error::invalid(
            "product_ids",
            format!("no product {missing}"),
        ));
    }
    let rules = cached::rules(state).await?;
    let packages = db::supplements::packages(&state.pool, ids).await?;
    let words = Words::load(state, locale, &products).await?;

    let outcomes: Vec<(&ProductFacts, recommend::Verdict)> = ids
        .iter()
        .map(|id| {
            let p = products
                .iter()
                .find(|p| p.id == *id)
                .expect("checked above");
            let outcome =
                recommend::judge(&candidate(p), &ctx.athlete, &ctx.person, &ctx.needs, &rules);
            (p, outcome)
        })
        .collect();
    let rule_ids: Vec<Uuid> = outcomes
        .iter()
        .flat_map(|(_, o)| match o {
            Ok((_, hits)) => hit_rules(hits),
            Err(why) => exclusion_rules(why),
        })
        .collect();
    let rule_views = db::safety::views_by_id(&state.pool, locale.as_str(), &rule_ids).await?;
    let days_d = Decimal::from(days);
    let items = outcomes
        .into_iter()
        .map(|(p, outcome)| match outcome {
            Ok((dose, hits)) => {
                let total = dose.servings_per_day * days_d;
                let status = if ctx.may_plan(p.id, &hits) {
                    "dosed"
                } else {
                    "ask_doctor"
                };
                ProductDosage {
                    product: ProductRef::of(p),
                    status: status.into(),
                    reason: None,
                    explanation: Vec::new(),
                    dose: Some(words.dose(p, &dose)),
                    days,
                    total_servings: Some(total.normalize()),
                    total_amounts: words.amounts(p, total),
                    packages_needed: packages
                        .iter()
                        .filter(|pk| pk.product_id == p.id && pk.servings > Decimal::ZERO)
                        .map(|pk| PackagesNeeded {
                            package_id: pk.id,
                            size: pk.size.normalize(),
                            size_unit: pk.size_unit.clone(),
                            servings: pk.servings.normalize(),
                            count: (total / pk.servings).ceil().to_u32().unwrap_or(u32::MAX),
                        })
                        .collect(),
                    warnings: words.warnings(&hits, &rule_views),
                }
            }
            Err(why) => {
                let (reason, explanation, warnings) = words.exclusion(&why, &rule_views);
                ProductDosage {
                    product: ProductRef::of(p),
                    status: "excluded".into(),
                    reason: Some(reason),
                    explanation,
                    dose: None,
                    days,
                    total_servings: None,
                    total_amounts: Vec::new(),
                    packages_needed: Vec::new(),
                    warnings,
                }
            }
        })
        .collect();
    Ok(Dosage {
        items,
        locale: locale.as_str().into(),
        sources: dosage::SOURCES.iter().map(|s| s.to_string()).collect(),
    })
}
