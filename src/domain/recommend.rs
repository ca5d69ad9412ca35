//! Ranked supplement recommendations: every product through the safety screen, dosed for the
//! athlete, and scored by how well it fits their sport and goal, how strong the evidence is, how much
//! they need it and what a day of it costs. Each score comes with the reasons that made it.

use rust_decimal::{Decimal, prelude::ToPrimitive};
use uuid::Uuid;

use super::{
    dosage::{self, Dose, Needs, NoDose, PROTEIN, ServingKind},
    nutrition::{Athlete, Goal, Sport},
    safety::{self, Hit, Person, Rule},
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
    /// `caution` and `info` hits of the safety screen.
    pub warnings: Vec<Hit>,
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
    /// A substance in AIS group D.
    EvidenceD { substance: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub id: Uuid,
    pub why: Exclusion,
}

/// Score weights (sum 1): fit to sport and goal, evidence, need, price.
pub const WEIGHTS: (f64, f64, f64, f64) = (0.35, 0.30, 0.15, 0.20);
/// Points taken off per `caution` warning.
pub const CAUTION_PENALTY: f64 = 5.0;
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

/// The safety screen and the dose for one product: the dose, or why there is none.
fn screen_and_dose(
    c: &Candidate,
    athlete: &Athlete,
    person: &Person,
    needs: &Needs,
    rules: &[Rule],
) -> Verdict {
    let substances = c.substances();
    let product = safety::Product {
        substances: &substances,
        allergens: &c.allergens,
    };
    let safe_max = safety::max_safe_servings(person, product, rules);
    let dose = dosage::product_dose(&substances, c.serving_kind, athlete, needs, safe_max)
        .map_err(|e| match e {
            NoDose::NotNeeded => Exclusion::NotNeeded,
            // Below every threshold there is no serving left: the screen says why.
            NoDose::TooStrong(dosage::Cap::SafetyRule) => Exclusion::Unsafe(
                safety::assess(person, product, rules, c.serving_kind.step()).hits,
            ),
            NoDose::TooStrong(cap) => Exclusion::TooStrong(cap),
        })?;
    let assessment = safety::assess(person, product, rules, dose.servings_per_day);
    if assessment.excluded() {
        return Err(Exclusion::Unsafe(assessment.hits));
    }
    Ok((dose, assessment.hits))
}

/// A product's dose and the screen's warnings, or why it is left out.
pub type Verdict = Result<(Dose, Vec<Hit>), Exclusion>;

/// Whether a product may be suggested to this person, and its dose: the safety screen, the dosage,
/// and no AIS group D substance. The screen's verdict comes first: it says most about the person.
pub fn judge(
    c: &Candidate,
    athlete: &Athlete,
    person: &Person,
    needs: &Needs,
    rules: &[Rule],
) -> Verdict {
    let screened = screen_and_dose(c, athlete, person, needs, rules);
    match (
        screened,
        c.ingredients
            .iter()
            .find(|i| i.evidence == Some(Evidence::D)),
    ) {
        (Err(Exclusion::Unsafe(hits)), _) => Err(Exclusion::Unsafe(hits)),
        (_, Some(d)) => Err(Exclusion::EvidenceD {
            substance: d.code.clone(),
        }),
        (other, None) => other,
    }
}

/// Recommendations, best first, and what was left out and why.
pub fn recommend(
    athlete: &Athlete,
    person: &Person,
    needs: &Needs,
    rules: &[Rule],
    candidates: &[Candidate],
) -> (Vec<Recommendation>, Vec<Excluded>) {
    let sport = athlete.sport();
    let goal = athlete.goal();
    let mut kept = Vec::new();
    let mut excluded = Vec::new();
    for c in candidates {
        match judge(c, athlete, person, needs, rules) {
            Ok((dose, hits)) => {
                let price_per_day = c
                    .price_per_serving
                    .map(|p| (p * dose.servings_per_day).round_dp(2));
                kept.push((c, dose, hits, price_per_day));
            }
            Err(why) => excluded.push(Excluded { id: c.id, why }),
        }
    }

    // Price is judged against the cheapest day of the same purpose.
    let purposes: Vec<(String, Option<Evidence>)> = kept
        .iter()
        .map(|(c, dose, _, _)| c.purpose(dose, sport))
        .collect();
    let cheapest = |purpose: &str| {
        kept.iter()
            .zip(&purposes)
            .filter(|(_, (p, _))| p == purpose)
            .filter_map(|((_, _, _, price), _)| *price)
            .min()
    };

    let mut out: Vec<Recommendation> = kept
        .iter()
        .zip(&purposes)
        .map(|((c, dose, hits, price_per_day), (purpose, evidence))| {
            let fit = 0.5 * dosage::sport_fit(purpose, sport) + 0.5 * goal_fit(purpose, goal);
            let evidence_score = evidence.unwrap_or(Evidence::C).weight();
            let need = match (purpose.as_str(), needs.protein_gap_g) {
                (PROTEIN, Some(gap)) => (gap / FULL_PROTEIN_NEED_G).min(1.0),
                (PROTEIN, None) => 0.5,
                _ => 1.0,
            };
            let price_score = match (price_per_day, cheapest(purpose)) {
                (Some(p), Some(min)) if *p > Decimal::ZERO => (min / *p).to_f64().unwrap_or(0.0),
                _ => 0.0,
            };
            let (wf, we, wn, wp) = WEIGHTS;
            let cautions = hits
                .iter()
                .filter(|h| h.severity() == safety::Severity::Caution)
                .count();
            let score = (100.0 * (wf * fit + we * evidence_score + wn * need + wp * price_score)
                - CAUTION_PENALTY * cautions as f64)
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
            Recommendation {
                id: c.id,
                score: (score * 10.0).round() / 10.0,
                purpose: purpose.clone(),
                evidence: *evidence,
                dose: dose.clone(),
                price_per_day: *price_per_day,
                reasons,
                warnings: hits.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.price_per_day.is_none().cmp(&b.price_per_day.is_none()))
            .then(a.price_per_day.cmp(&b.price_per_day))
            .then(a.id.cmp(&b.id))
    });
    (out, excluded)
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

    use super::*;
    use crate::domain::{
        nutrition::{ActivityLevel, Sex},
        safety::{Severity, Vocabulary},
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
        }
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
        let (recs, excluded) = recommend(
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
                substance: "yohimbine".into()
            })
        );
        assert_eq!(recs.len() + excluded.len(), catalogue().len());
    }

    #[test]
    fn strength_athletes_get_creatine_before_glutamine_and_in_stock_before_out() {
        let (recs, _) = recommend(
            &athlete(Sport::StrengthPower, Goal::Mass),
            &Person::new(28, &[], &[], &[]),
            &Needs::default(),
            &[],
            &catalogue(),
        );
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
        let (recs, _) = recommend(
            &a,
            &person,
            &Needs {
                protein_gap_g: Some(42.0),
            },
            &[],
            &catalogue(),
        );
        let pea = recs.iter().find(|r| r.id.as_u128() == 6).unwrap();
        // 42 / 21 = 2 servings: 100 % of the gap.
        assert_eq!(pea.dose.servings_per_day, dec!(2));
        assert!(pea.reasons.contains(&Reason::ProteinGap {
            percent: 100,
            gap_g: 42.0
        }));
        assert_eq!(pea.price_per_day, Some(dec!(420)));

        let (recs, excluded) = recommend(
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
    fn caution_keeps_the_product_with_its_warning_and_lowers_its_score() {
        let rules = [rule(
            "creatine_monohydrate",
            Vocabulary::Population,
            "minor",
            Severity::Caution,
        )];
        let a = athlete(Sport::StrengthPower, Goal::Mass);
        let adult = recommend(
            &a,
            &Person::new(28, &[], &[], &[]),
            &Needs::default(),
            &rules,
            &catalogue(),
        )
        .0;
        let minor = recommend(
            &a,
            &Person::new(16, &[], &[], &[]),
            &Needs::default(),
            &rules,
            &catalogue(),
        )
        .0;
        let find =
            |recs: &[Recommendation]| recs.iter().find(|r| r.id.as_u128() == 2).cloned().unwrap();
        assert!(find(&adult).warnings.is_empty());
        assert_eq!(find(&minor).warnings.len(), 1);
        assert_eq!(find(&adult).score - find(&minor).score, CAUTION_PENALTY);
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
        let (recs, excluded) = recommend(&a, &person, &Needs::default(), &[r], &[caffeine, strong]);
        // 195 mg wanted, 150 mg allowed: 1.5 servings of 100 mg powder; a 200 mg capsule cannot be split.
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].dose.servings_per_day, dec!(1.5));
        assert_eq!(recs[0].dose.capped_by, Some(dosage::Cap::SafetyRule));
        assert!(matches!(&excluded[0].why, Exclusion::Unsafe(hits) if !hits.is_empty()));
    }
}
