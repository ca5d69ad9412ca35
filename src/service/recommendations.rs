//! The supplements for an athlete, in three tiers: recommended, ask your doctor first, not for you.

use std::collections::HashMap;

use uuid::Uuid;

use super::{
    AppState, Result,
    athlete::{athlete_context, candidate},
    cached,
    words::{Words, exclusion_rules, hit_rules},
};
use crate::{
    api::{
        catalogue::ProductType,
        health_profile::today,
        supplements::dto::{
            AskDoctor, BestOffer, LeftOut, Note, ProductRef, Recommendations, Recommended,
        },
    },
    cache::{Kind, Ns},
    db::{self, supplements::ProductFacts},
    domain::{
        account::Locale,
        dosage,
        recommend::{self, Candidate},
    },
};

/// The recommendations as [`for_athlete`] answers them, through the cache until the catalogue, the
/// rules or the athlete's data change, or the day does.
pub async fn cached(
    state: &AppState,
    user: Uuid,
    locale: Locale,
    product_type: Option<ProductType>,
    limit: u32,
) -> Result<Recommendations> {
    let key = format!(
        "recommendations:{user}:{}:{:?}:{limit}:{}",
        locale.as_str(),
        product_type,
        today()
    );
    Ok(state
        .cache
        .get_or_load(
            Kind::User,
            &[Ns::Catalogue, Ns::Rules, Ns::User(user)],
            &key,
            || for_athlete(state, user, locale, product_type, limit),
        )
        .await?)
}

/// The recommendations for a user, computed now.
pub async fn for_athlete(
    state: &AppState,
    user: Uuid,
    locale: Locale,
    product_type: Option<ProductType>,
    limit: u32,
) -> Result<Recommendations> {
    let ctx = athlete_context(state, user).await?;
    let type_name = product_type.map(ProductType::as_str);
    let products = cached::products(state, locale.as_str(), type_name).await?;
    let rules = cached::rules(state).await?;
    let candidates: Vec<Candidate> = products.iter().map(candidate).collect();
    let tiers = recommend::recommend(
        &ctx.athlete,
        &ctx.person,
        &ctx.needs,
        &rules,
        &candidates,
        &ctx.confirmed,
    );

    let by_id: HashMap<Uuid, &ProductFacts> = products.iter().map(|p| (p.id, p)).collect();
    let words = Words::load(state, &locale, &products).await?;
    let shown: Vec<&recommend::Recommendation> =
        tiers.recommended.iter().take(limit as usize).collect();
    let rule_ids: Vec<Uuid> = hit_rules(
        shown
            .iter()
            .flat_map(|r| &r.warnings)
            .chain(tiers.ask_doctor.iter().flat_map(|r| &r.warnings)),
    )
    .into_iter()
    .chain(
        tiers
            .not_for_you
            .iter()
            .flat_map(|e| exclusion_rules(&e.why)),
    )
    .collect();
    let rule_views = db::safety::views_by_id(&state.pool, locale.as_str(), &rule_ids).await?;
    let reasons = |r: &recommend::Recommendation| -> Vec<Note> {
        r.reasons
            .iter()
            .map(|reason| words.reason(reason))
            .collect()
    };
    let items = shown
        .into_iter()
        .map(|r| {
            let p = by_id[&r.id];
            Recommended {
                product: ProductRef::of(p),
                score: r.score,
                purpose: r.purpose.clone(),
                evidence: r.evidence.map(|e| e.as_str().to_owned()),
                dose: words.dose(p, &r.dose),
                reasons: reasons(r),
                warnings: words.warnings(&r.warnings, &rule_views),
                confirmed: r.confirmed,
                best_offer: match (
                    &p.best_store_slug,
                    p.best_package_id,
                    p.best_price,
                    p.best_price_per_serving,
                    r.price_per_day,
                ) {
                    (
                        Some(slug),
                        Some(package_id),
                        Some(price),
                        Some(per_serving),
                        Some(per_day),
                    ) => Some(BestOffer {
                        store_slug: slug.clone(),
                        store_name: p.best_store_name.clone().unwrap_or_default(),
                        package_id,
                        package_price: price,
                        price_per_serving: per_serving,
                        price_per_day: per_day,
                        currency: "RSD".into(),
                    }),
                    _ => None,
                },
            }
        })
        .collect();
    let mut ask_doctor: Vec<AskDoctor> = tiers
        .ask_doctor
        .iter()
        .map(|r| {
            let p = by_id[&r.id];
            AskDoctor {
                product: ProductRef::of(p),
                purpose: r.purpose.clone(),
                evidence: r.evidence.map(|e| e.as_str().to_owned()),
                dose: words.dose(p, &r.dose),
                reasons: reasons(r),
                warnings: words.warnings(&r.warnings, &rule_views),
            }
        })
        .collect();
    ask_doctor.sort_by(|a, b| a.product.name.cmp(&b.product.name));
    let excluded = tiers
        .not_for_you
        .iter()
        .map(|e| {
            let (reason, explanation, warnings) = words.exclusion(&e.why, &rule_views);
            LeftOut {
                product: ProductRef::of(by_id[&e.id]),
                reason,
                explanation,
                warnings,
            }
        })
        .collect();
    Ok(Recommendations {
        items,
        ask_doctor,
        excluded,
        protein_gap_g: ctx.needs.protein_gap_g.map(f64::round),
        protein_logged_days: ctx.protein_logged_days as u32,
        locale: locale.as_str().into(),
        sources: dosage::SOURCES.iter().map(|s| s.to_string()).collect(),
    })
}
