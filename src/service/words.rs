//! The use cases' outcomes in the athlete's language, in one place: substance, unit and term names,
//! reasons, safety warnings with their sources, doses and exclusions, and a meal plan's misses.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::{Decimal, prelude::ToPrimitive};
use uuid::Uuid;

use super::{AppState, Result, cached};
use crate::{
    api::supplements::dto::{Amount, DoseOut, Note, ProductRef, Warning},
    db::{self, supplements::ProductFacts},
    domain::{
        account::Locale,
        dosage::{self, Cap, Dose, PROTEIN},
        nutrition,
        recommend::{Exclusion, Reason, TotalLimit},
        safety::{self, Hit, LifeStage},
    },
    i18n::{self, Arg, Messages},
};

/// Substance names and units, and term names, in one locale.
pub struct Words<'a> {
    locale: &'a Locale,
    messages: &'static Messages,
    substances: HashMap<String, (String, String)>,
    terms: HashMap<(String, String), String>,
    products: HashMap<Uuid, String>,
}

impl<'a> Words<'a> {
    pub async fn load(
        state: &AppState,
        locale: &'a Locale,
        products: &[ProductFacts],
    ) -> Result<Words<'a>> {
        let mut substances = HashMap::new();
        for p in products {
            for ((code, name), unit) in p
                .substance_codes
                .iter()
                .zip(&p.substance_names)
                .zip(&p.substance_units)
            {
                substances.insert(
                    code.clone(),
                    (name.clone().unwrap_or_else(|| code.clone()), unit.clone()),
                );
            }
        }
        let mut terms = HashMap::new();
        for vocabulary in safety::Vocabulary::ALL {
            for t in cached::vocabulary(state, vocabulary.as_str(), locale.as_str()).await? {
                terms.insert((vocabulary.as_str().to_owned(), t.code), t.name);
            }
        }
        Ok(Words {
            locale,
            messages: Messages::global(),
            substances,
            terms,
            products: products
                .iter()
                .map(|p| (p.id, ProductRef::of(p).name))
                .collect(),
        })
    }

    pub fn msg(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.messages.get(self.locale, id, args)
    }

    pub fn substance(&self, code: &str) -> String {
        if code == PROTEIN {
            return self.msg("substance-protein", &[]);
        }
        self.substances
            .get(code)
            .map_or_else(|| code.to_owned(), |(name, _)| name.clone())
    }

    pub fn unit(&self, code: &str) -> String {
        let unit = if code == PROTEIN {
            "g"
        } else {
            self.substances.get(code).map_or("g", |(_, u)| u.as_str())
        };
        self.msg(&format!("unit-{unit}"), &[])
    }

    pub fn number(&self, v: f64) -> String {
        i18n::number(self.locale, v, if v < 10.0 { 1 } else { 0 })
    }

    pub fn money(&self, v: Decimal) -> String {
        i18n::money(self.locale, v, "RSD")
    }

    pub fn reason(&self, r: &Reason) -> Note {
        let (code, text) = match r {
            Reason::ProteinGap { percent, gap_g } => (
                "protein_gap",
                self.msg(
                    "reason-protein-gap",
                    &[
                        ("percent", percent.to_string().into()),
                        ("gap", self.number(*gap_g).into()),
                    ],
                ),
            ),
            Reason::ProteinPerMeal { grams } => (
                "protein_per_meal",
                self.msg(
                    "reason-protein-per-meal",
                    &[("grams", self.number(*grams).into())],
                ),
            ),
            Reason::Dose { substance, amount } => (
                "dose",
                self.msg(
                    "reason-dose",
                    &[
                        ("amount", self.number(*amount).into()),
                        ("unit", self.unit(substance).into()),
                        ("substance", self.substance(substance).into()),
                    ],
                ),
            ),
            Reason::Evidence { substance, group } => (
                "evidence",
                self.msg(
                    &format!("reason-evidence-{}", group.as_str().to_ascii_lowercase()),
                    &[("substance", self.substance(substance).into())],
                ),
            ),
            Reason::Sport { sport } => {
                let sport = self.msg(&format!("sport-{}", sport_code(*sport)), &[]);
                (
                    "sport",
                    self.msg("reason-sport", &[("sport", sport.into())]),
                )
            }
            Reason::Goal { goal } => {
                let goal = self.msg(&format!("goal-{}", goal_code(*goal)), &[]);
                ("goal", self.msg("reason-goal", &[("goal", goal.into())]))
            }
            Reason::PricePerDay { price } => (
                "price_per_day",
                self.msg(
                    "reason-price-per-day",
                    &[("price", self.money(*price).into())],
                ),
            ),
            Reason::NotInStock => ("not_in_stock", self.msg("reason-not-in-stock", &[])),
        };
        Note {
            code: code.into(),
            text,
        }
    }

    pub fn term(&self, vocabulary: &str, code: &str) -> String {
        self.terms
            .get(&(vocabulary.to_owned(), code.to_owned()))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    pub fn warnings(
        &self,
        hits: &[Hit],
        rules: &HashMap<Uuid, db::safety::RuleView>,
    ) -> Vec<Warning> {
        hits.iter().map(|h| self.warning(h, rules)).collect()
    }

    pub fn warning(&self, hit: &Hit, rules: &HashMap<Uuid, db::safety::RuleView>) -> Warning {
        let severity = hit.severity();
        match hit {
            Hit::Rule {
                rule,
                substance,
                daily_amount,
                combined_with,
                ..
            } => {
                let view = rules.get(rule);
                let (vocabulary, code) = view.map_or_else(
                    || (String::new(), String::new()),
                    |v| (v.vocabulary.clone(), v.code.clone()),
                );
                let term = self.term(&vocabulary, &code);
                let mut explanation = view.and_then(|v| v.explanation.clone()).unwrap_or_default();
                if !combined_with.is_empty() {
                    let others: BTreeSet<String> = combined_with
                        .iter()
                        .filter_map(|id| rules.get(id))
                        .map(|v| self.term(&v.vocabulary, &v.code))
                        .collect();
                    let others: Vec<String> = others.into_iter().collect();
                    explanation = format!(
                        "{explanation} {}",
                        self.msg("combined-cautions", &[("terms", others.join(", ").into())])
                    );
                }
                let question = (severity == safety::Severity::Caution).then(|| {
                    self.msg(
                        "ask-doctor-question",
                        &[
                            ("substance", self.substance(substance).into()),
                            (
                                "amount",
                                self.number(daily_amount.to_f64().unwrap_or(0.0)).into(),
                            ),
                            ("unit", self.unit(substance).into()),
                            ("term", term.clone().into()),
                        ],
                    )
                });
                Warning {
                    severity: severity.as_str().into(),
                    rule_id: Some(*rule),
                    substance: Some(substance.clone()),
                    term,
                    vocabulary,
                    code,
                    daily_amount: Some(daily_amount.normalize()),
                    above_daily: view.and_then(|v| v.min_daily_amount),
                    effect: view.and_then(|v| v.effect.clone()),
                    combined_with: combined_with.clone(),
                    explanation,
                    question,
                    source: view.map(|v| v.source.clone()),
                    source_url: view.and_then(|v| v.source_url.clone()),
                }
            }
            Hit::DeclaredAllergen { allergen } => {
                let term = self.term("allergen", allergen);
                Warning {
                    severity: severity.as_str().into(),
                    rule_id: None,
                    substance: None,
                    vocabulary: "allergen".into(),
                    code: allergen.clone(),
                    explanation: self
                        .msg("exclusion-allergen", &[("allergen", term.clone().into())]),
                    term,
                    daily_amount: None,
                    above_daily: None,
                    effect: None,
                    combined_with: Vec::new(),
                    question: None,
                    source: Some(
                        "Regulation (EU) No 1169/2011, Annex II: the product's declared allergens"
                            .into(),
                    ),
                    source_url: None,
                }
            }
            Hit::NoLifeStageData {
                substance,
                stage,
                daily_amount,
            } => {
                let (vocabulary, code) = stage.term();
                let term = self.term(vocabulary.as_str(), code);
                let name = self.substance(substance);
                let (source, source_url) = life_stage_source(*stage);
                Warning {
                    severity: severity.as_str().into(),
                    rule_id: None,
                    substance: Some(substance.clone()),
                    vocabulary: vocabulary.as_str().into(),
                    code: code.into(),
                    explanation: self.msg(
                        &format!("life-stage-{}", stage.as_str()),
                        &[("substance", name.clone().into())],
                    ),
                    question: (severity == safety::Severity::Caution).then(|| {
                        self.msg(
                            "ask-doctor-question",
                            &[
                                ("substance", name.into()),
                                (
                                    "amount",
                                    self.number(daily_amount.to_f64().unwrap_or(0.0)).into(),
                                ),
                                ("unit", self.unit(substance).into()),
                                ("term", term.clone().into()),
                            ],
                        )
                    }),
                    term,
                    daily_amount: Some(daily_amount.normalize()),
                    above_daily: None,
                    effect: None,
                    combined_with: Vec::new(),
                    source: Some(source.into()),
                    source_url: Some(source_url.into()),
                }
            }
        }
    }

    pub fn dose(&self, p: &ProductFacts, d: &Dose) -> DoseOut {
        let timing = self.msg(&format!("timing-{}", d.timing.as_str()), &[]);
        let timing_text = if d.doses > 1 {
            format!(
                "{timing}, {}",
                self.msg("timing-doses", &[("doses", Arg::Count(i64::from(d.doses)))])
            )
        } else {
            timing
        };
        DoseOut {
            servings_per_day: d.servings_per_day,
            serving_size: p.serving_size.normalize(),
            serving_unit: p.serving_unit.clone(),
            quantity_per_day: (d.servings_per_day * p.serving_size).normalize(),
            amounts: self.amounts(p, d.servings_per_day),
            driver: d.driver.clone(),
            basis: d.basis.as_str().into(),
            timing: d.timing.as_str().into(),
            timing_text,
            doses_per_day: d.doses,
            capped_by: d.capped_by.as_ref().map(cap_code),
        }
    }

    pub fn amounts(&self, p: &ProductFacts, servings: Decimal) -> Vec<Amount> {
        p.substance_codes
            .iter()
            .zip(&p.substance_amounts)
            .zip(&p.substance_units)
            .map(|((code, amount), unit)| Amount {
                substance: code.clone(),
                name: self.substance(code),
                amount: (amount * servings).normalize(),
                unit: unit.clone(),
            })
            .collect()
    }

    /// Why a product is left out, in words, with the screen's hits.
    pub fn exclusion(
        &self,
        why: &Exclusion,
        rules: &HashMap<Uuid, db::safety::RuleView>,
    ) -> (String, Vec<String>, Vec<Warning>) {
        match why {
            Exclusion::Unsafe(hits) => {
                let warnings = self.warnings(hits, rules);
                let texts = warnings
                    .iter()
                    .filter(|w| w.severity == "avoid")
                    .map(|w| w.explanation.clone())
                    .collect();
                ("unsafe".into(), texts, warnings)
            }
            Exclusion::TooStrong(cap) => {
                let text = match cap {
                    Cap::UpperLimit(code) => self.msg(
                        "exclusion-too-strong",
                        &[("substance", self.substance(code).into())],
                    ),
                    _ => self.msg("exclusion-max-servings", &[]),
                };
                ("too_strong".into(), vec![text], Vec::new())
            }
            Exclusion::NotNeeded => (
                "not_needed".into(),
                vec![self.msg("exclusion-not-needed", &[])],
                Vec::new(),
            ),
            Exclusion::EvidenceD { substance, hits } => (
                "evidence_d".into(),
                vec![self.msg(
                    "exclusion-evidence-d",
                    &[("substance", self.substance(substance).into())],
                )],
                self.warnings(hits, rules),
            ),
            Exclusion::OverTotal {
                substance,
                total,
                limit,
                why,
                with,
            } => {
                let products: Vec<String> = with.iter().map(|id| self.product(*id)).collect();
                let number = |d: &Decimal| self.number(d.to_f64().unwrap_or(0.0));
                // The second line names what the limit rests on.
                let source = match why {
                    TotalLimit::CaffeinePerKg { .. } => dosage::CAFFEINE_SOURCE.to_owned(),
                    TotalLimit::UpperLimit => dosage::UPPER_LIMITS_SOURCE.to_owned(),
                    TotalLimit::Rule(id) => {
                        rules.get(id).map(|v| v.source.clone()).unwrap_or_default()
                    }
                };
                (
                    "over_total".into(),
                    vec![
                        self.msg(
                            "exclusion-over-total",
                            &[
                                ("products", products.join(", ").into()),
                                ("total", number(total).into()),
                                ("limit", number(limit).into()),
                                ("unit", self.unit(substance).into()),
                                ("substance", self.substance(substance).into()),
                            ],
                        ),
                        source,
                    ],
                    Vec::new(),
                )
            }
            Exclusion::StimulantStack { substance, with } => (
                "stimulant_stack".into(),
                vec![self.msg(
                    "exclusion-stimulant-stack",
                    &[
                        ("substance", self.substance(substance).into()),
                        ("product", self.product(*with).into()),
                    ],
                )],
                Vec::new(),
            ),
        }
    }

    pub fn product(&self, id: Uuid) -> String {
        self.products
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// What a life stage's "no safety data" rests on.
fn life_stage_source(stage: LifeStage) -> (&'static str, &'static str) {
    match stage {
        LifeStage::Minor => (
            "Australian Institute of Sport. AIS Sports Supplement Framework: athletes under 18 use sports foods and medical supplements only, under the guidance of a sports dietitian; performance supplements are kept for adults.",
            "https://www.ausport.gov.au/ais/nutrition/supplements",
        ),
        LifeStage::Pregnancy | LifeStage::Breastfeeding => (
            "EFSA (European Food Safety Authority). Dietary Reference Values for nutrients: Summary report, 2017 — intakes in pregnancy and lactation are set for nutrients only; for other supplements safety in pregnancy and lactation is not established.",
            "https://doi.org/10.2903/sp.efsa.2017.e15121",
        ),
    }
}

/// The rules an exclusion names: the screen's, or the threshold a total would pass.
pub fn exclusion_rules(why: &Exclusion) -> Vec<Uuid> {
    match why {
        Exclusion::Unsafe(hits) | Exclusion::EvidenceD { hits, .. } => hit_rules(hits),
        Exclusion::OverTotal {
            why: TotalLimit::Rule(id),
            ..
        } => vec![*id],
        _ => Vec::new(),
    }
}

fn cap_code(c: &Cap) -> String {
    match c {
        Cap::UpperLimit(_) => "upper_limit",
        Cap::SafetyRule => "safety_rule",
        Cap::MaxServings => "max_servings",
    }
    .into()
}

fn sport_code(s: nutrition::Sport) -> &'static str {
    use nutrition::Sport::*;
    match s {
        Endurance => "endurance",
        StrengthPower => "strength_power",
        TeamSport => "team_sport",
        WeightClassCombat => "weight_class_combat",
        Aesthetic => "aesthetic",
        GeneralFitness => "general_fitness",
    }
}

fn goal_code(g: nutrition::Goal) -> &'static str {
    use nutrition::Goal::*;
    match g {
        Mass => "mass",
        Cut => "cut",
        Maintain => "maintain",
        Endurance => "endurance",
        Performance => "performance",
    }
}

/// The rule ids named by hits, and the rules they add up with.
pub fn hit_rules<'h>(hits: impl IntoIterator<Item = &'h Hit>) -> Vec<Uuid> {
    let ids: BTreeSet<Uuid> = hits
        .into_iter()
        .flat_map(|h| match h {
            Hit::Rule {
                rule,
                combined_with,
                ..
            } => std::iter::once(*rule)
                .chain(combined_with.iter().copied())
                .collect(),
            Hit::DeclaredAllergen { .. } | Hit::NoLifeStageData { .. } => Vec::new(),
        })
        .collect();
    ids.into_iter().collect()
}

/// A meal plan's miss of a target in words: which target, by how much, and what share of it the
/// day reaches.
pub fn plan_miss(locale: &Locale, target: &str, amount: f64, share: f64) -> String {
    let m = Messages::global();
    let unit = match target {
        "energy_kcal" => m.get(locale, "unit-kcal", &[]),
        "budget" => m.get(locale, "unit-rsd", &[]),
        _ => m.get(locale, "unit-g", &[]),
    };
    let percent = i18n::number(locale, (100.0 * (1.0 + share)).max(0.0), 0);
    let key = if amount < 0.0 {
        "plan-under"
    } else {
        "plan-over"
    };
    m.get(
        locale,
        key,
        &[
            (
                "target",
                Arg::from(m.get(locale, &format!("target-{target}"), &[])),
            ),
            ("amount", i18n::number(locale, amount.abs(), 1).into()),
            ("unit", unit.into()),
            ("percent", percent.into()),
        ],
    )
}
