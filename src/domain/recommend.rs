//! Supplement recommendations in three tiers: every product through the safety screen, dosed for the
//! athlete, and
//! - **recommended** when nothing in the athlete's profile speaks against it (or their doctor agreed
//!   and they confirmed it), scored by how well it fits their sport and goal, how strong the evidence
//!   is, how much they need it and what a day of it costs — and only while everything recommended
//!   together stays within the day's limits (caffeine per kg and per day, each substance's upper
//!   limit and the person's thresholds, one stimulant);
//! - **ask your doctor first** when a `caution` applies: listed apart, never ranked;
//! - **not for you** when an `avoid` applies, or for any other reason it is left out.
//!
//! Each decision comes with the reasons that made it.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::{Decimal, prelude::ToPrimitive};
use uuid::Uuid;

use super::{
    dosage::{self, Dose, Needs, NoDose, PROTEIN, ServingKind},
    nutrition::{Athlete, Goal, Sport},
    safety::{self, Hit, LifeStage, Person, RuleBook, Severity},
};

/// AIS Sports Supplement Framework groups: A strong evidence, B emerging, C little, D banned or at
/// high risk of contamination (never recommended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    A,
    B,
    C,
    D,
}

impl Evidence {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "A" => Some(Self::A),
            "B" => Some(Self::B),
            "C" => Some(Self::C),
            "D" => Some(Self::D),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    fn weight(self) -> f64 {
        match self {
            Self::A => 1.0,
            Self::B => 0.6,
            Self::C => 0.25,
            Self::D => 0.0,
        }
    }
}

/// A substance of a candidate product.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingredient {
    pub code: String,
    pub amount_per_serving: Decimal,
    /// Unknown evidence counts as C.
    pub evidence: Option<Evidence>,
}

/// A product that could be recommended.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub ingredients: Vec<Ingredient>,
    pub allergens: Vec<String>,
    pub serving_kind: ServingKind,
    /// The lowest price per serving in stock anywhere, if any.
    pub price_per_serving: Option<Decimal>,
}

impl Candidate {
    fn substances(&self) -> Vec<(String, Decimal)> {
        self.ingredients
            .iter()
            .map(|i| (i.code.clone(), i.amount_per_serving))
            .collect()
    }

    /// The purpose the product is judged by: the driver of its dose, else its best-fitting
    /// substance.
    fn purpose(&self, dose: &Dose, sport: Sport) -> (String, Option<Evidence>) {
        let evidence_of = |code: &str| {
            if code == PROTEIN {
                return self
                    .ingredients
                    .iter()
                    .filter(|i| dosage::PROTEIN_SUBSTANCES.contains(&i.code.as_str()))
                    .map(|i| i.evidence.unwrap_or(Evidence::C))
                    .min();
            }
            self.ingredients
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.evidence.unwrap_or(Evidence::C))
        };
        if let Some(driver) = &dose.driver {
            return (driver.clone(), evidence_of(driver));
        }
        let best = self
            .ingredients
            .iter()
            .max_by(|a, b| {
                dosage::sport_fit(&a.code, sport)
                    .total_cmp(&dosage::sport_fit(&b.code, sport))
                    .then(b.evidence.cmp(&a.evidence))
            })
            .map(|i| i.code.clone())
            .unwrap_or_default();
        let evidence = evidence_of(&best);
        (best, evidence)
    }
}

/// Why a product ranks where it does; the API words each in the user's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Covers this share of the athlete's protein gap (g/day).
    ProteinGap { percent: u32, gap_g: f64 },
    /// Nothing logged: one post-training feeding of this many grams.
    ProteinPerMeal { grams: f64 },
    /// The daily amount of the substance that sets the dose, and what it is for.
    Dose { substance: String, amount: f64 },
    /// The substance's AIS evidence group.
    Evidence { substance: String, group: Evidence },
    /// Particularly suited to the athlete's sport.
    Sport { sport: Sport },
    /// Suited to the athlete's goal.
    Goal { goal: Goal },
    /// A day of it at the cheapest in-stock offer.
    PricePerDay { price: Decimal },
    /// On sale nowhere in stock at the moment.
    NotInStock,
}

/// A ranked product.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub id: Uuid,
    /// 0–100.
    pub score: f64,
    pub purpose: String,
    pub evidence: Option<Evidence>,
    pub dose: Dose,
    pub price_per_day: Option<Decimal>,
    pub reasons: Vec<Reason>,
    /// `caution` and `info` hits of the safety screen; a recommended product has cautions only when
    /// the athlete confirmed it after asking their doctor.
    pub warnings: Vec<Hit>,
    /// Recommended because the athlete confirmed it, despite its cautions.
    pub confirmed: bool,
}

/// Why a product is not recommended.
#[derive(Debug, Clone, PartialEq)]
pub enum Exclusion {
    /// The safety screen: these hits (at least one `avoid`).
    Unsafe(Vec<Hit>),
    /// Even the smallest serving crosses a cap.
    TooStrong(dosage::Cap),
    /// Its purpose is already covered.
    NotNeeded,
    /// A substance in AIS group D; `hits`: what the screen found besides (cautions and notes), so
    /// that every reason is named.
    EvidenceD { substance: String, hits: Vec<Hit> },
    /// With the products ranked above it (`with`), the day's total of a substance would pass a limit.
    OverTotal {
        substance: String,
        total: Decimal,
        limit: Decimal,
        why: TotalLimit,
        with: Vec<Uuid>,
    },
    /// A stimulant on top of the stimulant of a product ranked above it.
    StimulantStack { substance: String, with: Uuid },
}

/// What sets a limit on a day's total of a substance across products.
#[derive(Debug, Clone, PartialEq)]
pub enum TotalLimit {
    /// Caffeine for performance: ISSN 3–6 mg/kg (adults up to 6, within EFSA's 400 mg a day); EFSA's
    /// 3 mg/kg a day for adolescents.
    CaffeinePerKg { mg_per_kg: Decimal },
    /// The substance's tolerable upper intake level ([`dosage::upper_limit`]).
    UpperLimit,
    /// A threshold of one of the person's rules.
    Rule(Uuid),
}

/// The three tiers; see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Recommended,
    AskDoctor,
    NotForYou,
}

impl Tier {
    /// The tier of a product with these hits of the screen.
    pub fn of(hits: &[Hit]) -> Self {
        match hits.iter().map(Hit::severity).max() {
            Some(Severity::Avoid) => Tier::NotForYou,
            Some(Severity::Caution) => Tier::AskDoctor,
            Some(Severity::Info) | None => Tier::Recommended,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Recommended => "recommended",
            Tier::AskDoctor => "ask_doctor",
            Tier::NotForYou => "not_for_you",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub id: Uuid,
    pub why: Exclusion,
}

/// The answer: the ranked recommendations, the products to ask a doctor about first, and the rest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tiers {
    pub recommended: Vec<Recommendation>,
    /// Not ranked: in candidate order.
    pub ask_doctor: Vec<Recommendation>,
    pub not_for_you: Vec<Excluded>,
}

/// Score weights (sum 1): fit to sport and goal, evidence, need, price.
pub const WEIGHTS: (f64, f64, f64, f64) = (0.35, 0.30, 0.15, 0.20);
/// ISSN position stand on caffeine (Guest et al. 2021): 3–6 mg/kg improves performance; adults stay
/// within EFSA's 400 mg a day as well.
pub const CAFFEINE_MG_PER_KG_ADULT: Decimal = Decimal::from_parts(6, 0, 0, false, 0);
/// EFSA 2015: 3 mg/kg a day raises no concern for adolescents.
pub const CAFFEINE_MG_PER_KG_ADOLESCENT: Decimal = Decimal::from_parts(3, 0, 0, false, 0);
/// A protein gap this large (g/day) is a full need.
pub const FULL_PROTEIN_NEED_G: f64 = 20.0;

/// How well the purpose serves the goal, 0–1.
fn goal_fit(purpose: &str, goal: Goal) -> f64 {
    match (purpose, goal) {
        (PROTEIN, Goal::Mass | Goal::Cut) => 1.0,
        (PROTEIN, _) => 0.7,
        ("creatine_monohydrate", Goal::Mass | Goal::Performance) => 1.0,
        ("creatine_monohydrate", _) => 0.5,
        (
            "caffeine" | "beetroot_nitrate" | "carbohydrate_maltodextrin" | "sodium",
            Goal::Endurance,
        ) => 1.0,
        (
            "caffeine" | "beta_alanine" | "sodium_bicarbonate" | "beetroot_nitrate",
            Goal::Performance,
        ) => 0.9,
        _ => 0.4,
    }
}

/// The safety screen and the dose for one product: the dose, or why there is none. A dose below every
/// threshold of the athlete's cautions comes first, when there is one: it needs the doctor's word
/// for fewer reasons, often none.
fn screen_and_dose(
    c: &Candidate,
    athlete: &Athlete,
    person: &Person,
    needs: &Needs,
    book: &RuleBook,
) -> Verdict {
    let substances = c.substances();
    let product = safety::Product {
        substances: &substances,
        allergens: &c.allergens,
    };
    let dose_within = |from: Severity| {
        let safe_max = safety::max_safe_servings(person, product, book, from);
        dosage::product_dose(&substances, c.serving_kind, athlete, needs, safe_max)
    };
    let dose = dose_within(Severity::Avoid).map_err(|e| match e {
        NoDose::NotNeeded => Exclusion::NotNeeded,
        // Below every threshold there is no serving left: the screen says why.
        NoDose::TooStrong(dosage::Cap::SafetyRule) => {
            Exclusion::Unsafe(safety::assess(person, product, book, c.serving_kind.step()).hits)
        }
        NoDose::TooStrong(cap) => Exclusion::TooStrong(cap),
    })?;
    let assessment = safety::assess(person, product, book, dose.servings_per_day);
    if assessment.excluded() {
        return Err(Exclusion::Unsafe(assessment.hits));
    }
    // Below the cautions' thresholds, those cautions fall away (others, without one, may stay).
    if !assessment.clear()
        && let Ok(lower) = dose_within(Severity::Caution)
    {
        let at_lower = safety::assess(person, product, book, lower.servings_per_day);
        if !at_lower.excluded() {
            return Ok((lower, at_lower.hits));
        }
    }
    Ok((dose, assessment.hits))
}

/// A product's dose and the screen's hits (`caution` and `info` at most), or why it is left out.
pub type Verdict = Result<(Dose, Vec<Hit>), Exclusion>;

/// Whether a product may be suggested to this person, and its dose: the safety screen, the dosage,
/// and no AIS group D substance. The screen's verdict comes first: it says most about the person.
/// [`Tier::of`] the hits says whether it needs a doctor's word first.
pub fn judge(
    c: &Candidate,
    athlete: &Athlete,
    person: &Person,
    needs: &Needs,
    book: &RuleBook,
) -> Verdict {
    let screened = screen_and_dose(c, athlete, person, needs, book);
    match (
        screened,
        c.ingredients
            .iter()
            .find(|i| i.evidence == Some(Evidence::D)),
    ) {
        (Err(Exclusion::Unsafe(hits)), _) => Err(Exclusion::Unsafe(hits)),
        (screened, Some(d)) => Err(Exclusion::EvidenceD {
            substance: d.code.clone(),
            hits: screened.map(|(_, hits)| hits).unwrap_or_default(),
        }),
        (other, None) => other,
    }
}

/// The limits on a day's total of `substance` for this person, tightest first. A product `alone` is
/// held to the thresholds of its `avoid` rules only: its cautions are the athlete's to confirm.
pub fn total_limits(
    athlete: &Athlete,
    person: &Person,
    book: &RuleBook,
    substance: &str,
    alone: bool,
) -> Vec<(Decimal, TotalLimit)> {
    let mut limits: Vec<(Decimal, TotalLimit)> = Vec::new();
    if let Some(ul) = dosage::upper_limit(substance).and_then(|ul| Decimal::try_from(ul).ok()) {
        limits.push((ul, TotalLimit::UpperLimit));
    }
    if substance == "caffeine" {
        let mg_per_kg = if person.is_in(LifeStage::Minor) {
            CAFFEINE_MG_PER_KG_ADOLESCENT
        } else {
            CAFFEINE_MG_PER_KG_ADULT
        };
        if let Ok(weight) = Decimal::try_from(athlete.weight_kg()) {
            limits.push((
                (mg_per_kg * weight).round_dp(0),
                TotalLimit::CaffeinePerKg { mg_per_kg },
            ));
        }
    }
    limits.extend(
        book.thresholds(
            person,
            substance,
            if alone {
                Severity::Avoid
            } else {
                Severity::Caution
            },
        )
        .map(|(rule, limit)| (limit, TotalLimit::Rule(rule.id))),
    );
    limits.sort_by_key(|(limit, _)| *limit);
    limits
}

/// Keeps the ranked products, best first, while everything kept together stays within the day's
/// limits; the others are left out with the limit they would pass.
fn within_totals(
    ranked: Vec<(Recommendation, Vec<(String, Decimal)>)>,
    athlete: &Athlete,
    person: &Person,
    book: &RuleBook,
) -> (Vec<Recommendation>, Vec<Excluded>) {
    let mut kept: Vec<Recommendation> = Vec::new();
    let mut left_out = Vec::new();
    // Substance → (daily total, the kept products holding it).
    let mut totals: BTreeMap<String, (Decimal, Vec<Uuid>)> = BTreeMap::new();
    let mut stimulant: Option<Uuid> = None;
    'products: for (r, daily) in ranked {
        for (substance, amount) in daily.iter().filter(|(_, a)| *a > Decimal::ZERO) {
            if book.is_stimulant(substance)
                && let Some(with) = stimulant
            {
                left_out.push(Excluded {
                    id: r.id,
                    why: Exclusion::StimulantStack {
                        substance: substance.clone(),
                        with,
                    },
                });
                continue 'products;
            }
            let (so_far, with) = totals.get(substance).cloned().unwrap_or_default();
            let total = so_far + amount;
            if let Some((limit, why)) =
                total_limits(athlete, person, book, substance, with.is_empty())
                    .into_iter()
                    .find(|(limit, _)| total > *limit)
            {
                left_out.push(Excluded {
                    id: r.id,
                    why: Exclusion::OverTotal {
                        substance: substance.clone(),
                        total: total.normalize(),
                        limit: limit.normalize(),
                        why,
                        with,
                    },
                });
                continue 'products;
            }
        }
        for (substance, amount) in daily.iter().filter(|(_, a)| *a > Decimal::ZERO) {
            let entry = totals.entry(substance.clone()).or_default();
            entry.0 += amount;
            entry.1.push(r.id);
            if book.is_stimulant(substance) {
                stimulant = Some(r.id);
            }
        }
        kept.push(r);
    }
    (kept, left_out)
}

/// The three tiers for this athlete. `confirmed`: products the athlete confirmed after asking their
/// doctor; one with only cautions is then recommended (an `avoid` is never lifted).
pub fn recommend(
    athlete: &Athlete,
    person: &Person,
    needs: &Needs,
    book: &RuleBook,
    candidates: &[Candidate],
    confirmed: &BTreeSet<Uuid>,
) -> Tiers {
    let sport = athlete.sport();
    let goal = athlete.goal();
    let mut kept = Vec::new();
    let mut asks = Vec::new();
    let mut excluded = Vec::new();
    for c in candidates {
        match judge(c, athlete, person, needs, book) {
            Ok((dose, hits)) => {
                let price_per_day = c
                    .price_per_serving
                    .map(|p| (p * dose.servings_per_day).round_dp(2));
                let confirm = Tier::of(&hits) == Tier::AskDoctor;
                if confirm && !confirmed.contains(&c.id) {
                    asks.push((c, dose, hits, price_per_day, false));
                } else {
                    kept.push((c, dose, hits, price_per_day, confirm));
                }
            }
            Err(why) => excluded.push(Excluded { id: c.id, why }),
        }
    }

    // Price is judged against the cheapest day of the same purpose.
    let n_kept = kept.len();
    kept.extend(asks);
    let purposes: Vec<(String, Option<Evidence>)> = kept
        .iter()
        .map(|(c, dose, ..)| c.purpose(dose, sport))
        .collect();
    let cheapest = |purpose: &str| {
        kept.iter()
            .take(n_kept)
            .zip(&purposes)
            .filter(|(_, (p, _))| p == purpose)
            .filter_map(|((_, _, _, price, _), _)| *price)
            .min()
    };

    let mut out: Vec<(Recommendation, Vec<(String, Decimal)>)> = kept
        .iter()
        .zip(&purposes)
        .map(
            |((c, dose, hits, price_per_day, confirmed), (purpose, evidence))| {
                let fit = 0.5 * dosage::sport_fit(purpose, sport) + 0.5 * goal_fit(purpose, goal);
                let evidence_score = evidence.unwrap_or(Evidence::C).weight();
                let need = match (purpose.as_str(), needs.protein_gap_g) {
                    (PROTEIN, Some(gap)) => (gap / FULL_PROTEIN_NEED_G).min(1.0),
                    (PROTEIN, None) => 0.5,
                    _ => 1.0,
                };
                let price_score = match (price_per_day, cheapest(purpose)) {
                    (Some(p), Some(min)) if *p > Decimal::ZERO => {
                        (min / *p).to_f64().unwrap_or(0.0)
                    }
                    _ => 0.0,
                };
                let (wf, we, wn, wp) = WEIGHTS;
                let score = (100.0
                    * (wf * fit + we * evidence_score + wn * need + wp * price_score))
                    .clamp(0.0, 100.0);

                let mut reasons = Vec::new();
                let daily = |code: &str| -> f64 {
                    c.ingredients
                        .iter()
                        .filter(|i| {
                            i.code == code
                                || (code == PROTEIN
                                    && dosage::PROTEIN_SUBSTANCES.contains(&i.code.as_str()))
                        })
                        .map(|i| {
                            (i.amount_per_serving * dose.servings_per_day)
                                .to_f64()
                                .unwrap_or(0.0)
                        })
                        .sum()
                };
                match (purpose.as_str(), dose.basis) {
                    (PROTEIN, dosage::Basis::ProteinGap) => {
                        let gap = needs.protein_gap_g.unwrap_or(0.0);
                        let percent = if gap > 0.0 {
                            (100.0 * daily(PROTEIN) / gap).round().min(999.0) as u32
                        } else {
                            0
                        };
                        reasons.push(Reason::ProteinGap {
                            percent,
                            gap_g: gap.round(),
                        });
                    }
                    (PROTEIN, _) => reasons.push(Reason::ProteinPerMeal {
                        grams: daily(PROTEIN).round(),
                    }),
                    (code, _) if dose.driver.is_some() => reasons.push(Reason::Dose {
                        substance: code.to_owned(),
                        amount: daily(code),
                    }),
                    _ => {}
                }
                if let Some(group) = evidence {
                    reasons.push(Reason::Evidence {
                        substance: purpose.clone(),
                        group: *group,
                    });
                }
                if dosage::sport_fit(purpose, sport) >= 0.8 {
                    reasons.push(Reason::Sport { sport });
                }
                if goal_fit(purpose, goal) >= 0.9 {
                    reasons.push(Reason::Goal { goal });
                }
                reasons.push(match price_per_day {
                    Some(price) => Reason::PricePerDay { price: *price },
                    None => Reason::NotInStock,
                });
                let daily = c
                    .ingredients
                    .iter()
                    .map(|i| (i.code.clone(), i.amount_per_serving * dose.servings_per_day))
                    .collect();
                (
                    Recommendation {
                        id: c.id,
                        score: (score * 10.0).round() / 10.0,
                        purpose: purpose.clone(),
                        evidence: *evidence,
                        dose: dose.clone(),
                        price_per_day: *price_per_day,
                        reasons,
                        warnings: hits.clone(),
                        confirmed: *confirmed,
                    },
                    daily,
                )
            },
        )
        .collect();
    let ask_doctor = out.split_off(n_kept).into_iter().map(|(r, _)| r).collect();
    out.sort_by(|(a, _), (b, _)| {
        b.score
            .total_cmp(&a.score)
            .then(a.price_per_day.is_none().cmp(&b.price_per_day.is_none()))
            .then(a.price_per_day.cmp(&b.price_per_day))
            .then(a.id.cmp(&b.id))
    });
    let (recommended, over) = within_totals(out, athlete, person, book);
    excluded.extend(over);
    Tiers {
        recommended,
        ask_doctor,
        not_for_you: excluded,
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

    use super::*;
    use crate::domain::{
        nutrition::{ActivityLevel, Sex},
        safety::{Effect, Rule, Severity, Vocabulary},
    };

    fn athlete(sport: Sport, goal: Goal) -> Athlete {
        Athlete::new(
            28,
            Sex::Female,
            65.0,
            170.0,
            None,
            ActivityLevel::Active,
            sport,
            goal,
            8.0,
        )
        .unwrap()
    }

    fn candidate(
        n: u128,
        ingredients: &[(&str, Decimal, Evidence)],
        allergens: &[&str],
        price: Option<Decimal>,
    ) -> Candidate {
        Candidate {
            id: Uuid::from_u128(n),
            ingredients: ingredients
                .iter()
                .map(|(c, a, e)| Ingredient {
                    code: c.to_string(),
                    amount_per_serving: *a,
                    evidence: Some(*e),
                })
                .collect(),
            allergens: allergens.iter().map(|a| a.to_string()).collect(),
            serving_kind: ServingKind::Measured,
            price_per_serving: price,
        }
    }

    fn catalogue() -> Vec<Candidate> {
        vec![
            candidate(
                1,
                &[("whey_protein", dec!(24), Evidence::A)],
                &["milk"],
                Some(dec!(190)),
            ),
            candidate(
                2,
                &[("creatine_monohydrate", dec!(5), Evidence::A)],
                &[],
                Some(dec!(40)),
            ),
            candidate(
                3,
                &[
                    ("caffeine", dec!(200), Evidence::A),
                    ("beta_alanine", dec!(3.2), Evidence::A),
                ],
                &[],
                Some(dec!(120)),
            ),
            candidate(
                4,
                &[("yohimbine", dec!(5), Evidence::D)],
                &[],
                Some(dec!(30)),
            ),
            candidate(
                5,
                &[("l_glutamine", dec!(5), Evidence::C)],
                &[],
                Some(dec!(60)),
            ),
            candidate(
                6,
                &[("pea_protein", dec!(21), Evidence::A)],
                &[],
                Some(dec!(210)),
            ),
            candidate(
                7,
                &[("creatine_monohydrate", dec!(5), Evidence::A)],
                &[],
                None,
            ),
        ]
    }

    fn rule(substance: &str, vocabulary: Vocabulary, code: &str, severity: Severity) -> Rule {
        Rule {
            id: Uuid::new_v4(),
            substance: substance.into(),
            vocabulary,
            code: code.into(),
            severity,
            above_daily: None,
            effect: None,
        }
    }

    /// The rules, with safety data on record for every substance in every life stage, so that only
    /// the rules decide.
    fn book(rules: &[Rule]) -> RuleBook {
        const SUBSTANCES: [&str; 8] = [
            "whey_protein",
            "creatine_monohydrate",
            "caffeine",
            "beta_alanine",
            "yohimbine",
            "l_glutamine",
            "pea_protein",
            "synephrine",
        ];
        RuleBook {
            rules: rules.to_vec(),
            life_stage_data: SUBSTANCES
                .iter()
                .flat_map(|s| LifeStage::ALL.map(|stage| (s.to_string(), stage)))
                .collect(),
        }
    }

    fn tiers(
        a: &Athlete,
        person: &Person,
        needs: &Needs,
        rules: &[Rule],
        c: &[Candidate],
    ) -> Tiers {
        recommend(a, person, needs, &book(rules), c, &BTreeSet::new())
    }

    #[test]
    fn nothing_unsafe_or_group_d_is_ever_recommended() {
        let rules = [rule(
            "caffeine",
            Vocabulary::Condition,
            "heart_arrhythmia",
            Severity::Avoid,
        )];
        let person = Person::new(28, &["milk".into()], &["heart_arrhythmia".into()], &[]);
        let Tiers {
            recommended: recs,
            not_for_you: excluded,
            ..
        } = tiers(
            &athlete(Sport::StrengthPower, Goal::Mass),
            &person,
            &Needs::default(),
            &rules,
            &catalogue(),
        );
        let ids: Vec<u128> = recs.iter().map(|r| r.id.as_u128()).collect();
        assert!(!ids.contains(&1), "whey declares milk");
        assert!(!ids.contains(&3), "caffeine with an arrhythmia");
        assert!(!ids.contains(&4), "yohimbine is group D");
        let why = |n: u128| {
            excluded
                .iter()
                .find(|e| e.id.as_u128() == n)
                .map(|e| e.why.clone())
        };
        assert!(matches!(why(1), Some(Exclusion::Unsafe(_))));
        assert!(matches!(why(3), Some(Exclusion::Unsafe(_))));
        assert_eq!(
            why(4),
            Some(Exclusion::EvidenceD {
                substance: "yohimbine".into(),
                hits: Vec::new(),
            })
        );
        assert_eq!(recs.len() + excluded.len(), catalogue().len());
    }

    #[test]
    fn strength_athletes_get_creatine_before_glutamine_and_in_stock_before_out() {
        let recs = tiers(
            &athlete(Sport::StrengthPower, Goal::Mass),
            &Person::new(28, &[], &[], &[]),
            &Needs::default(),
            &[],
            &catalogue(),
        )
        .recommended;
        let rank = |n: u128| recs.iter().position(|r| r.id.as_u128() == n).unwrap();
        assert!(
            rank(2) < rank(5),
            "creatine (A, fits strength) above glutamine (C)"
        );
        assert!(
            rank(2) < rank(7),
            "the same creatine in stock above out of stock"
        );
        let creatine = &recs[rank(2)];
        assert!(creatine.reasons.contains(&Reason::Evidence {
            substance: "creatine_monohydrate".into(),
            group: Evidence::A
        }));
        assert!(creatine.reasons.contains(&Reason::Sport {
            sport: Sport::StrengthPower
        }));
        assert!(creatine.reasons.iter().any(
            |r| matches!(r, Reason::Dose { substance, .. } if substance == "creatine_monohydrate")
        ));
        assert!(recs[rank(7)].reasons.contains(&Reason::NotInStock));
        assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn protein_is_sized_to_the_gap_and_left_out_when_food_covers_it() {
        let a = athlete(Sport::TeamSport, Goal::Maintain);
        let person = Person::new(28, &[], &[], &[]);
        let recs = tiers(
            &a,
            &person,
            &Needs {
                protein_gap_g: Some(42.0),
            },
            &[],
            &catalogue(),
        )
        .recommended;
        let pea = recs.iter().find(|r| r.id.as_u128() == 6).unwrap();
        // 42 / 21 = 2 servings: 100 % of the gap.
        assert_eq!(pea.dose.servings_per_day, dec!(2));
        assert!(pea.reasons.contains(&Reason::ProteinGap {
            percent: 100,
            gap_g: 42.0
        }));
        assert_eq!(pea.price_per_day, Some(dec!(420)));

        let Tiers {
            recommended: recs,
            not_for_you: excluded,
            ..
        } = tiers(
            &a,
            &person,
            &Needs {
                protein_gap_g: Some(3.0),
            },
            &[],
            &catalogue(),
        );
        assert!(recs.iter().all(|r| r.purpose != PROTEIN));
        assert!(
            excluded
                .iter()
                .any(|e| e.id.as_u128() == 6 && e.why == Exclusion::NotNeeded)
        );
    }

    #[test]
    fn a_caution_asks_the_doctor_first_until_the_athlete_confirms() {
        let rules = [rule(
            "creatine_monohydrate",
            Vocabulary::Condition,
            "chronic_kidney_disease",
            Severity::Caution,
        )];
        let a = athlete(Sport::StrengthPower, Goal::Mass);
        let healthy = tiers(
            &a,
            &Person::new(28, &[], &[], &[]),
            &Needs::default(),
            &rules,
            &catalogue(),
        );
        let ill = Person::new(28, &[], &["chronic_kidney_disease".into()], &[]);
        let asked = tiers(&a, &ill, &Needs::default(), &rules, &catalogue());
        let ids = |recs: &[Recommendation]| -> Vec<u128> {
            recs.iter().map(|r| r.id.as_u128()).collect()
        };
        assert!(ids(&healthy.recommended).contains(&2));
        assert!(healthy.ask_doctor.is_empty());
        assert!(!ids(&asked.recommended).contains(&2), "never ranked");
        assert_eq!(ids(&asked.ask_doctor), vec![2, 7]);
        assert!(
            asked
                .ask_doctor
                .iter()
                .all(|r| r.warnings.len() == 1 && !r.confirmed)
        );

        let confirmed: BTreeSet<Uuid> = [Uuid::from_u128(2)].into_iter().collect();
        let after = recommend(
            &a,
            &ill,
            &Needs::default(),
            &book(&rules),
            &catalogue(),
            &confirmed,
        );
        let creatine = after
            .recommended
            .iter()
            .find(|r| r.id.as_u128() == 2)
            .unwrap();
        assert!(creatine.confirmed);
        assert_eq!(creatine.warnings.len(), 1, "the caution stays in view");
        assert_eq!(ids(&after.ask_doctor), vec![7]);
    }

    #[test]
    fn a_confirmation_never_lifts_an_avoid() {
        let rules = [rule(
            "caffeine",
            Vocabulary::Condition,
            "heart_arrhythmia",
            Severity::Avoid,
        )];
        let ill = Person::new(28, &[], &["heart_arrhythmia".into()], &[]);
        let confirmed: BTreeSet<Uuid> = [Uuid::from_u128(3)].into_iter().collect();
        let t = recommend(
            &athlete(Sport::StrengthPower, Goal::Mass),
            &ill,
            &Needs::default(),
            &book(&rules),
            &catalogue(),
            &confirmed,
        );
        assert!(t.not_for_you.iter().any(|e| e.id.as_u128() == 3));
    }

    #[test]
    fn everything_recommended_together_stays_within_the_day_s_limits() {
        let a = athlete(Sport::Endurance, Goal::Endurance);
        let caffeine = |n, mg| {
            candidate(
                n,
                &[("caffeine", Decimal::from(mg), Evidence::A)],
                &[],
                Some(dec!(20)),
            )
        };
        let stimulant = Rule {
            effect: Some(Effect::Stimulant),
            ..rule(
                "synephrine",
                Vocabulary::Condition,
                "heart_arrhythmia",
                Severity::Avoid,
            )
        };
        let caffeine_stimulant = Rule {
            effect: Some(Effect::Stimulant),
            ..rule(
                "caffeine",
                Vocabulary::Condition,
                "heart_arrhythmia",
                Severity::Avoid,
            )
        };
        let burner = candidate(
            30,
            &[("synephrine", dec!(20), Evidence::C)],
            &[],
            Some(dec!(25)),
        );
        let t = tiers(
            &a,
            &Person::new(28, &[], &[], &[]),
            &Needs::default(),
            &[stimulant, caffeine_stimulant],
            &[caffeine(20, 200), caffeine(21, 200), burner],
        );
        // 65 kg: 3 mg/kg is 195 mg, one 200 mg capsule; two of them would be 400 mg, above 6 mg/kg.
        assert_eq!(t.recommended.len(), 1, "{t:?}");
        let first = t.recommended[0].id;
        assert_eq!(t.not_for_you.len(), 2);
        for e in &t.not_for_you {
            match &e.why {
                Exclusion::StimulantStack { with, .. } => assert_eq!(*with, first),
                other => panic!("{other:?}"),
            }
        }

        // Without the stimulant rule, caffeine is not a stimulant by rule: the totals still hold.
        let t = tiers(
            &a,
            &Person::new(28, &[], &[], &[]),
            &Needs::default(),
            &[],
            &[caffeine(20, 200), caffeine(21, 200)],
        );
        assert_eq!(t.recommended.len(), 1);
        assert!(matches!(
            &t.not_for_you[0].why,
            Exclusion::OverTotal { substance, total, limit, why: TotalLimit::CaffeinePerKg { .. }, with }
                if substance == "caffeine" && *total == dec!(400) && *limit == dec!(390) && with == &vec![t.recommended[0].id]
        ));
    }

    #[test]
    fn a_threshold_caps_the_dose_instead_of_excluding() {
        let mut r = rule(
            "caffeine",
            Vocabulary::Condition,
            "pregnancy",
            Severity::Avoid,
        );
        r.above_daily = Some(dec!(150));
        let person = Person::new(28, &[], &["pregnancy".into()], &[]);
        let a = athlete(Sport::Endurance, Goal::Endurance);
        let caffeine = candidate(
            9,
            &[("caffeine", dec!(100), Evidence::A)],
            &[],
            Some(dec!(20)),
        );
        let strong = Candidate {
            serving_kind: ServingKind::Counted,
            ..candidate(
                10,
                &[("caffeine", dec!(200), Evidence::A)],
                &[],
                Some(dec!(20)),
            )
        };
        let Tiers {
            recommended: recs,
            not_for_you: excluded,
            ..
        } = tiers(&a, &person, &Needs::default(), &[r], &[caffeine, strong]);
        // 195 mg wanted, 150 mg allowed: 1.5 servings of 100 mg powder; a 200 mg capsule cannot be split.
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].dose.servings_per_day, dec!(1.5));
        assert_eq!(recs[0].dose.capped_by, Some(dosage::Cap::SafetyRule));
        assert!(matches!(&excluded[0].why, Exclusion::Unsafe(hits) if !hits.is_empty()));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const SUBSTANCES: [&str; 6] = [
            "caffeine",
            "creatine_monohydrate",
            "synephrine",
            "magnesium",
            "whey_protein",
            "sodium_bicarbonate",
        ];
        const TERMS: [(Vocabulary, &str); 6] = [
            (Vocabulary::Condition, "hypertension"),
            (Vocabulary::Condition, "pregnancy"),
            (Vocabulary::Condition, "breastfeeding"),
            (Vocabulary::MedicationClass, "antihypertensive"),
            (Vocabulary::MedicationClass, "stimulant"),
            (Vocabulary::Allergen, "milk"),
        ];

        fn a_rule() -> impl Strategy<Value = Rule> {
            (
                0..SUBSTANCES.len(),
                0..TERMS.len(),
                prop_oneof![
                    Just(Severity::Info),
                    Just(Severity::Caution),
                    Just(Severity::Avoid)
                ],
                proptest::option::of(1u32..500),
                proptest::option::of(0..Effect::ALL.len()),
            )
                .prop_map(|(s, t, severity, above, effect)| Rule {
                    id: Uuid::new_v4(),
                    substance: SUBSTANCES[s].into(),
                    vocabulary: TERMS[t].0,
                    code: TERMS[t].1.into(),
                    severity,
                    above_daily: above.map(Decimal::from),
                    effect: effect.map(|e| Effect::ALL[e]),
                })
        }

        fn a_candidate(n: u128) -> impl Strategy<Value = Candidate> {
            (
                proptest::collection::btree_map(0..SUBSTANCES.len(), 1u32..400, 1..3),
                proptest::bool::ANY,
                proptest::bool::ANY,
                proptest::option::of(5u32..300),
            )
                .prop_map(move |(substances, milk, counted, price)| Candidate {
                    id: Uuid::from_u128(n),
                    ingredients: substances
                        .into_iter()
                        .map(|(s, amount)| Ingredient {
                            code: SUBSTANCES[s].into(),
                            amount_per_serving: Decimal::from(amount),
                            evidence: Some(Evidence::B),
                        })
                        .collect(),
                    allergens: if milk {
                        vec!["milk".into()]
                    } else {
                        Vec::new()
                    },
                    serving_kind: if counted {
                        ServingKind::Counted
                    } else {
                        ServingKind::Measured
                    },
                    price_per_serving: price.map(Decimal::from),
                })
        }

        fn a_case() -> impl Strategy<Value = (Person, RuleBook, Vec<Candidate>, f64)> {
            (
                proptest::collection::vec(a_rule(), 0..12),
                proptest::collection::btree_set(0..TERMS.len(), 0..4),
                14u32..70,
                proptest::collection::btree_set(
                    (0..SUBSTANCES.len(), 0..LifeStage::ALL.len()),
                    0..18,
                ),
                (1u128..9).prop_flat_map(|n| (1..=n).map(a_candidate).collect::<Vec<_>>()),
                45.0f64..110.0,
            )
                .prop_map(|(mut rules, terms, age, data, candidates, weight)| {
                    // One rule per substance and term, as the database keeps them.
                    let mut seen = BTreeSet::new();
                    rules.retain(|r| {
                        seen.insert((r.substance.clone(), r.vocabulary, r.code.clone()))
                    });
                    let codes = |v: Vocabulary| -> Vec<String> {
                        terms
                            .iter()
                            .map(|t| TERMS[*t])
                            .filter(|(vocabulary, _)| *vocabulary == v)
                            .map(|(_, c)| c.to_string())
                            .collect()
                    };
                    let person = Person::new(
                        age,
                        &codes(Vocabulary::Allergen),
                        &codes(Vocabulary::Condition),
                        &codes(Vocabulary::MedicationClass),
                    );
                    let book = RuleBook {
                        rules,
                        life_stage_data: data
                            .into_iter()
                            .map(|(s, l)| (SUBSTANCES[s].to_string(), LifeStage::ALL[l]))
                            .collect(),
                    };
                    (person, book, candidates, weight)
                })
        }

        fn screen_of(
            c: &Candidate,
            r: &Recommendation,
            person: &Person,
            book: &RuleBook,
        ) -> safety::Assessment {
            let substances = c.substances();
            safety::assess(
                person,
                safety::Product {
                    substances: &substances,
                    allergens: &c.allergens,
                },
                book,
                r.dose.servings_per_day,
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            #[test]
            fn every_product_lands_in_one_tier_and_the_recommended_one_is_clear(
                (person, book, candidates, weight) in a_case(),
                confirm in proptest::collection::btree_set(1u128..9, 0..3),
            ) {
                let a = Athlete::new(
                    30, Sex::Female, weight, 170.0, None, ActivityLevel::Active,
                    Sport::Endurance, Goal::Performance, 8.0,
                ).unwrap();
                let confirmed: BTreeSet<Uuid> = confirm.into_iter().map(Uuid::from_u128).collect();
                let t = recommend(&a, &person, &Needs::default(), &book, &candidates, &confirmed);

                // Exactly one tier each.
                let mut seen: Vec<Uuid> = t.recommended.iter().map(|r| r.id)
                    .chain(t.ask_doctor.iter().map(|r| r.id))
                    .chain(t.not_for_you.iter().map(|e| e.id))
                    .collect();
                seen.sort();
                let mut all: Vec<Uuid> = candidates.iter().map(|c| c.id).collect();
                all.sort();
                prop_assert_eq!(seen, all);

                let by_id = |id: Uuid| candidates.iter().find(|c| c.id == id).unwrap();
                for r in &t.recommended {
                    let a = screen_of(by_id(r.id), r, &person, &book);
                    prop_assert!(!a.excluded(), "an avoid in the recommended tier: {:?}", a);
                    // A caution only when the athlete confirmed it.
                    prop_assert!(a.clear() || (r.confirmed && confirmed.contains(&r.id)), "{:?}", a);
                }
                for r in &t.ask_doctor {
                    let a = screen_of(by_id(r.id), r, &person, &book);
                    prop_assert_eq!(a.worst(), Some(Severity::Caution));
                    prop_assert!(!confirmed.contains(&r.id));
                }
                for e in &t.not_for_you {
                    if let Exclusion::Unsafe(hits) = &e.why {
                        prop_assert!(hits.iter().any(|h| h.severity() == Severity::Avoid));
                    }
                }

                // The recommended set within every total limit, one stimulant at most.
                let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
                for r in &t.recommended {
                    for i in &by_id(r.id).ingredients {
                        *totals.entry(i.code.clone()).or_default() += i.amount_per_serving * r.dose.servings_per_day;
                    }
                }
                let stimulants = t.recommended.iter()
                    .filter(|r| by_id(r.id).ingredients.iter().any(|i| book.is_stimulant(&i.code)))
                    .count();
                prop_assert!(stimulants <= 1);
                for (substance, total) in &totals {
                    let holders = t.recommended.iter()
                        .filter(|r| by_id(r.id).ingredients.iter().any(|i| &i.code == substance))
                        .count();
                    for (limit, why) in total_limits(&a, &person, &book, substance, holders <= 1) {
                        prop_assert!(*total <= limit, "{} {} above {} ({:?})", substance, total, limit, why);
                    }
                }
            }
        }
    }
}
