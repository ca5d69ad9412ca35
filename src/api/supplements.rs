//! `/recommendations`, `/dosage`, `/shopping-plan`, `/shopping-lists` and
//! `/supplement-confirmations`: the supplements an athlete should take, how much, and the cheapest way
//! to buy them. Every product passes the safety screen ([`crate::domain::safety`]) for the signed-in
//! athlete first, and lands in one tier: recommended, ask your doctor first, or not for you. Only the
//! recommended ones, and those the athlete confirmed after asking their doctor, are planned.

use std::collections::{BTreeSet, HashMap};

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::{ParseFromJSON, ToJSON},
};
use rust_decimal::{Decimal, prelude::ToPrimitive};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    account::Done,
    catalogue::ProductType,
    confirmations,
    error::{ApiError, FieldError},
    health_profile::{HealthProfile, today},
    language::{LanguageTag, Negotiation},
    security::BearerAuth,
};
use crate::{
    cache::{Kind, Ns},
    db::{self, profiles, supplements::ProductFacts},
    domain::{
        account::{Locale, Role},
        dosage::{self, Cap, Dose, Needs, PROTEIN, ServingKind},
        nutrition::{self, Athlete},
        recommend::{self, Candidate, Evidence, Exclusion, Ingredient, Reason, Tier, TotalLimit},
        safety::{self, Hit, LifeStage, Person},
        shopping,
    },
    i18n::{self, Arg, Messages},
};

/// Days of logged food the protein gap is averaged over, and how many of them must have protein.
pub const PROTEIN_LOG_WINDOW_DAYS: i64 = 14;
pub const PROTEIN_LOG_MIN_DAYS: i64 = 3;
/// The most items one shopping plan may hold.
pub const MAX_ITEMS: usize = 30;
/// The longest period a dose or plan covers.
pub const MAX_DAYS: u32 = 366;
/// The most servings a day of one product a shopping plan buys for (given as servings, grams or a
/// substance's amount): more than any label's directions, and it keeps a year's need within
/// a few thousand packages.
pub const MAX_SERVINGS_PER_DAY: u32 = 20;

// ---- What every endpoint here knows about the athlete ------------------------------------------------

/// The signed-in athlete, as the screen, the dosage and the ranking see them.
pub(super) struct AthleteContext {
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

/// The athlete's profile, today; 404 without a health profile (the safety screen needs it).
pub(super) async fn athlete_context(
    state: &AppState,
    user: Uuid,
) -> Result<AthleteContext, ApiError> {
    let row = super::cached::profile(state, user).await?.ok_or_else(|| {
        ApiError::not_found(
            "health profile (create it with PUT /health-profile: the safety screen needs it)",
        )
    })?;
    let profile = HealthProfile::from_row(row)?;
    let date = today();
    let athlete = profile.athlete_on(date).map_err(ApiError::validation)?;
    let person = Person::new(
        athlete.age_years(),
        &profile.allergies,
        &profile.conditions,
        &profile.medications,
    );
    let from = date - time::Duration::days(PROTEIN_LOG_WINDOW_DAYS - 1);
    let (logged, average) = db::supplements::logged_protein(&state.pool, user, from, date).await?;
    let target = nutrition::targets(&athlete, None).protein_g;
    let protein_gap_g = match average {
        Some(avg) if logged >= PROTEIN_LOG_MIN_DAYS => Some((target - avg).max(0.0)),
        _ => None,
    };
    let confirmed = db::confirmations::active_products(&state.pool, user)
        .await?
        .into_iter()
        .collect();
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
pub(super) fn candidate(p: &ProductFacts) -> Candidate {
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

// ---- Shared response pieces -------------------------------------------------------------------------

/// The product a result is about.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProductRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub brand: String,
    #[oai(rename = "type")]
    pub product_type: String,
}

impl ProductRef {
    fn of(p: &ProductFacts) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
            brand: p.brand_name.clone(),
            product_type: p.product_type.clone(),
        }
    }
}

/// A reason, in words and as a stable code.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    pub code: String,
    pub text: String,
}

/// A hit of the safety screen: the rule (or the declared allergen) and why it matters.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Warning {
    /// `avoid` (the product is left out), `caution` or `info`.
    pub severity: String,
    /// The contraindication rule; absent for an allergen the label declares.
    #[oai(skip_serializing_if_is_none)]
    pub rule_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub substance: Option<String>,
    /// `allergen`, `condition`, `medication_class` or `population`.
    pub vocabulary: String,
    pub code: String,
    /// The term's name in the response's language.
    pub term: String,
    /// The daily amount the rule was checked at, in the substance's unit.
    #[oai(skip_serializing_if_is_none)]
    pub daily_amount: Option<Decimal>,
    /// The rule applies above this daily amount.
    #[oai(skip_serializing_if_is_none)]
    pub above_daily: Option<Decimal>,
    /// What makes the substance matter for the term (`blood_pressure`, `sodium_load`, …).
    #[oai(skip_serializing_if_is_none)]
    pub effect: Option<String>,
    /// Other rules of the athlete's profile this caution adds up with, making it `avoid`.
    pub combined_with: Vec<Uuid>,
    pub explanation: String,
    /// For a `caution`: what to ask the doctor.
    #[oai(skip_serializing_if_is_none)]
    pub question: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub source: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub source_url: Option<String>,
}

/// The amount of one substance.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Amount {
    pub substance: String,
    pub name: String,
    pub amount: Decimal,
    /// `g`, `mg`, `ug` or `iu`.
    pub unit: String,
}

/// A daily dose.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DoseOut {
    pub servings_per_day: Decimal,
    pub serving_size: Decimal,
    /// `g`, `ml` or `unit`.
    pub serving_unit: String,
    /// `servings_per_day × serving_size`.
    pub quantity_per_day: Decimal,
    /// What the servings hold a day, per substance.
    pub amounts: Vec<Amount>,
    /// The substance whose target set the dose (`protein` for a product's summed protein); absent
    /// when the product is taken as labelled.
    #[oai(skip_serializing_if_is_none)]
    pub driver: Option<String>,
    /// `protein_gap`, `protein_per_meal`, `body_weight`, `training_hours`, `fixed` or `label`.
    pub basis: String,
    /// `pre_workout`, `well_before_training`, `post_workout`, `during_training`, `with_meal` or `daily`.
    pub timing: String,
    pub timing_text: String,
    pub doses_per_day: u8,
    /// What held the dose below its target: `upper_limit`, `safety_rule` or `max_servings`.
    #[oai(skip_serializing_if_is_none)]
    pub capped_by: Option<String>,
}

/// Substance names and units, and term names, in one locale.
struct Words<'a> {
    locale: &'a Locale,
    messages: &'static Messages,
    substances: HashMap<String, (String, String)>,
    terms: HashMap<(String, String), String>,
    products: HashMap<Uuid, String>,
}

impl<'a> Words<'a> {
    async fn load(
        state: &AppState,
        locale: &'a Locale,
        products: &[ProductFacts],
    ) -> Result<Words<'a>, ApiError> {
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
            for t in profiles::vocabulary(&state.pool, vocabulary.as_str(), locale.as_str()).await?
            {
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

    fn msg(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.messages.get(self.locale, id, args)
    }

    fn substance(&self, code: &str) -> String {
        if code == PROTEIN {
            return self.msg("substance-protein", &[]);
        }
        self.substances
            .get(code)
            .map_or_else(|| code.to_owned(), |(name, _)| name.clone())
    }

    fn unit(&self, code: &str) -> String {
        let unit = if code == PROTEIN {
            "g"
        } else {
            self.substances.get(code).map_or("g", |(_, u)| u.as_str())
        };
        self.msg(&format!("unit-{unit}"), &[])
    }

    fn number(&self, v: f64) -> String {
        i18n::number(self.locale, v, if v < 10.0 { 1 } else { 0 })
    }

    fn money(&self, v: Decimal) -> String {
        i18n::money(self.locale, v, "RSD")
    }

    fn reason(&self, r: &Reason) -> Note {
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

    fn term(&self, vocabulary: &str, code: &str) -> String {
        self.terms
            .get(&(vocabulary.to_owned(), code.to_owned()))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    fn warnings(&self, hits: &[Hit], rules: &HashMap<Uuid, db::safety::RuleView>) -> Vec<Warning> {
        hits.iter().map(|h| self.warning(h, rules)).collect()
    }

    fn warning(&self, hit: &Hit, rules: &HashMap<Uuid, db::safety::RuleView>) -> Warning {
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

    fn dose(&self, p: &ProductFacts, d: &Dose) -> DoseOut {
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

    fn amounts(&self, p: &ProductFacts, servings: Decimal) -> Vec<Amount> {
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
    fn exclusion(
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

    fn product(&self, id: Uuid) -> String {
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
fn exclusion_rules(why: &Exclusion) -> Vec<Uuid> {
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
fn hit_rules<'h>(hits: impl IntoIterator<Item = &'h Hit>) -> Vec<Uuid> {
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

// ---- Recommendations --------------------------------------------------------------------------------

/// The cheapest in-stock offer and what a day of the dose costs there.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BestOffer {
    pub store_slug: String,
    pub store_name: String,
    pub package_id: Uuid,
    pub package_price: Decimal,
    pub price_per_serving: Decimal,
    pub price_per_day: Decimal,
    pub currency: String,
}

/// A recommended product.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Recommended {
    pub product: ProductRef,
    /// 0–100: fit to sport and goal 35 %, evidence 30 %, need 15 %, price per day 20 %.
    pub score: f64,
    /// The substance the product is judged by (`protein` for protein powders).
    pub purpose: String,
    /// Its AIS evidence group.
    #[oai(skip_serializing_if_is_none)]
    pub evidence: Option<String>,
    pub dose: DoseOut,
    pub reasons: Vec<Note>,
    /// `info` notes; `caution`s only on a product the athlete confirmed after asking their doctor.
    pub warnings: Vec<Warning>,
    /// Recommended because the athlete (or their coach) confirmed it after asking the doctor.
    pub confirmed: bool,
    #[oai(skip_serializing_if_is_none)]
    pub best_offer: Option<BestOffer>,
}

/// A product to ask the doctor about first: not ranked, not planned until the athlete confirms it
/// (`POST /supplement-confirmations`).
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct AskDoctor {
    pub product: ProductRef,
    pub purpose: String,
    #[oai(skip_serializing_if_is_none)]
    pub evidence: Option<String>,
    /// The dose it would have.
    pub dose: DoseOut,
    pub reasons: Vec<Note>,
    /// The cautions, each with its reason, source and the question to ask.
    pub warnings: Vec<Warning>,
}

/// A product not for this athlete, and why.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    pub product: ProductRef,
    /// `unsafe` (an avoid rule, an allergen, cautions that add up, under 18 a product kept for
    /// adults), `too_strong`, `not_needed`, `evidence_d`, `over_total` (with the products ranked
    /// above it, a day's total would pass a limit) or `stimulant_stack`.
    pub reason: String,
    /// In words; for `over_total`, the second line is the limit's source.
    pub explanation: Vec<String>,
    /// The screen's hits: for `unsafe`, and the cautions and notes of an `evidence_d` product.
    pub warnings: Vec<Warning>,
}

#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Recommendations {
    /// Recommended: nothing in the profile cautions against them (or the athlete confirmed them),
    /// best first, and together within the day's limits.
    pub items: Vec<Recommended>,
    /// Ask your doctor first: a caution applies. By name; never ranked.
    pub ask_doctor: Vec<AskDoctor>,
    /// Not for you: every other product, with the reason and its source.
    pub excluded: Vec<LeftOut>,
    /// The protein target minus the average logged protein (g/day); absent with fewer than three
    /// days of protein logged in the last fourteen.
    #[oai(skip_serializing_if_is_none)]
    pub protein_gap_g: Option<f64>,
    pub protein_logged_days: u32,
    /// The locale of the texts.
    pub locale: String,
    pub sources: Vec<String>,
}

// ---- Dosage -----------------------------------------------------------------------------------------

/// How many of a package the period needs.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct PackagesNeeded {
    pub package_id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    /// Packages of this size alone that cover the period.
    pub count: u32,
}

/// A product's dose for a period, or why it has none.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ProductDosage {
    pub product: ProductRef,
    /// `dosed`; `ask_doctor` (a caution applies: the dose it would have, once the athlete confirmed
    /// it after asking their doctor); or `excluded`, not for this athlete (see `reason`).
    pub status: String,
    /// For `excluded`: `unsafe`, `too_strong`, `not_needed` or `evidence_d`.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    pub explanation: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    pub dose: Option<DoseOut>,
    pub days: u32,
    #[oai(skip_serializing_if_is_none)]
    pub total_servings: Option<Decimal>,
    pub total_amounts: Vec<Amount>,
    pub packages_needed: Vec<PackagesNeeded>,
    pub warnings: Vec<Warning>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct Dosage {
    pub items: Vec<ProductDosage>,
    pub locale: String,
    pub sources: Vec<String>,
}

// ---- Shopping plans ---------------------------------------------------------------------------------

/// One thing to buy: a product, or any safe product with a substance.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingItem {
    /// A product; or give `substance`.
    pub product_id: Option<Uuid>,
    /// A substance code (e.g. `creatine_monohydrate`): the plan picks the product.
    #[oai(validator(max_length = 63))]
    pub substance: Option<String>,
    /// For a product: servings a day (default: the athlete's dose).
    pub servings_per_day: Option<Decimal>,
    /// For a product measured in grams: grams a day, instead of servings.
    pub grams_per_day: Option<Decimal>,
    /// For a substance: the daily amount in its unit (default: the athlete's target).
    pub amount_per_day: Option<Decimal>,
}

#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingRequest {
    pub items: Vec<ShoppingItem>,
    /// 1–366 days.
    #[oai(default = "default_days")]
    pub days: u32,
    /// Only these stores (slugs); default: every active store.
    pub stores: Option<Vec<String>>,
    /// Buy in at most this many stores.
    pub max_stores: Option<u32>,
    /// Keep the plan in `/shopping-lists`.
    #[oai(default)]
    pub save: bool,
    /// A name for the saved list.
    #[oai(validator(max_length = 120))]
    pub name: Option<String>,
}

fn default_days() -> u32 {
    30
}

/// A saved plan without the field was solved exactly.
fn proven() -> bool {
    true
}

/// Packages of one item in one store.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct PlanLine {
    /// Index of the item in the request.
    pub item: u32,
    pub product_id: Uuid,
    pub product_name: String,
    pub package_id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub count: u32,
    /// What one package costs now (the discounted price when a promotion runs).
    pub unit_price: Decimal,
    /// The price without a promotion.
    pub regular_price: Decimal,
    pub line_total: Decimal,
}

/// What to buy in one store.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanStore {
    pub store_id: Uuid,
    pub slug: String,
    pub name: String,
    pub lines: Vec<PlanLine>,
    pub subtotal: Decimal,
    pub delivery_fee: Decimal,
    pub total: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
}

/// How an item's need is covered.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanItem {
    pub item: u32,
    pub product_id: Uuid,
    pub product_name: String,
    #[oai(skip_serializing_if_is_none)]
    pub substance: Option<String>,
    /// For the whole period, in `unit`.
    pub needed: Decimal,
    pub bought: Decimal,
    /// `servings`, or the substance's unit.
    pub unit: String,
    pub servings_per_day: Decimal,
    pub warnings: Vec<Warning>,
}

/// The best plan that buys everything in one store.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct SingleStore {
    pub store_slug: String,
    pub store_name: String,
    pub total: Decimal,
}

#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingPlan {
    /// Set when the plan was saved.
    #[oai(skip_serializing_if_is_none)]
    pub id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    pub days: u32,
    pub currency: String,
    /// Packages plus delivery: the least any valid plan costs, unless `optimal` is false.
    pub total: Decimal,
    /// False when the work limit (`limits.solve_time_ms`, `limits.solve_steps`) ended the search
    /// before this plan was proven the cheapest; it is still a valid plan.
    #[oai(default = "proven")]
    pub optimal: bool,
    pub packages_total: Decimal,
    pub delivery_total: Decimal,
    pub stores: Vec<PlanStore>,
    pub items: Vec<PlanItem>,
    /// The cheapest plan from one store, when one store sells everything.
    #[oai(skip_serializing_if_is_none)]
    pub best_single_store: Option<SingleStore>,
    /// What this plan saves against `best_single_store`.
    #[oai(skip_serializing_if_is_none)]
    pub saving: Option<Decimal>,
    pub created_at: OffsetDateTime,
}

/// A saved plan in a list.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingListSummary {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    pub days: u32,
    pub total: Decimal,
    pub currency: String,
    pub stores: Vec<String>,
    pub created_at: OffsetDateTime,
}

#[derive(ApiResponse)]
pub enum PlanCreated {
    /// The plan (not saved).
    #[oai(status = 200)]
    Computed(Json<ShoppingPlan>),
    /// The plan, saved under `/shopping-lists/{id}`.
    #[oai(status = 201)]
    Saved(Json<ShoppingPlan>),
}

/// A resolved item: what it is and the products that may fill it.
struct Resolved {
    substance: Option<String>,
    /// Need per day: servings for a product, the substance's unit for a substance.
    per_day: Decimal,
    unit: String,
    candidates: Vec<usize>,
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
        let user = auth.0.user;
        let key = format!(
            "recommendations:{user}:{}:{:?}:{}:{}",
            locale.as_str(),
            product_type.0,
            limit.0,
            today()
        );
        let answer = state
            .cache
            .get_or_load(
                Kind::User,
                &[Ns::Catalogue, Ns::Rules, Ns::User(user)],
                &key,
                || recommendations(&state, user, locale, product_type.0, limit.0),
            )
            .await
            .map_err(shared_error)?;
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
        let ctx = athlete_context(&state, auth.0.user).await?;
        let products =
            db::supplements::products(&state.pool, locale.as_str(), None, Some(&ids)).await?;
        if let Some(missing) = ids.iter().find(|id| !products.iter().any(|p| p.id == **id)) {
            return Err(ApiError::invalid(
                "product_ids",
                format!("no product {missing}"),
            ));
        }
        let rules = super::cached::rules(&state).await?;
        let packages = db::supplements::packages(&state.pool, &ids).await?;
        let words = Words::load(&state, &locale, &products).await?;

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
        let days_d = Decimal::from(days.0);
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
                        days: days.0,
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
                        days: days.0,
                        total_servings: None,
                        total_amounts: Vec::new(),
                        packages_needed: Vec::new(),
                        warnings,
                    }
                }
            })
            .collect();
        Ok(Json(Dosage {
            items,
            locale: locale.as_str().into(),
            sources: dosage::SOURCES.iter().map(|s| s.to_string()).collect(),
        }))
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
        let req = body.0;
        check_request(&state, &req).await?;
        let ctx = athlete_context(&state, auth.0.user).await?;
        let rules = super::cached::rules(&state).await?;

        // The products each item may be filled with.
        let mut product_ids: BTreeSet<Uuid> =
            req.items.iter().filter_map(|i| i.product_id).collect();
        let mut by_substance: HashMap<String, Vec<Uuid>> = HashMap::new();
        for code in req.items.iter().filter_map(|i| i.substance.clone()) {
            let ids = db::supplements::products_with_substance(&state.pool, &code).await?;
            product_ids.extend(ids.iter().copied());
            by_substance.insert(code, ids);
        }
        let ids: Vec<Uuid> = product_ids.into_iter().collect();
        let products =
            db::supplements::products(&state.pool, locale.as_str(), None, Some(&ids)).await?;
        let index: HashMap<Uuid, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        let words = Words::load(&state, &locale, &products).await?;

        let mut errors = Vec::new();
        let mut resolved = Vec::new();
        for (n, item) in req.items.iter().enumerate() {
            match resolve(n, item, &products, &index, &by_substance, &ctx, &rules) {
                Ok(r) => resolved.push(r),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            let rule_ids = hit_rules(errors.iter().flat_map(|(_, e)| match e {
                ItemError::AskDoctor(hits) => hits.as_slice(),
                _ => &[],
            }));
            let rule_views =
                db::safety::views_by_id(&state.pool, locale.as_str(), &rule_ids).await?;
            return Err(ApiError::validation(
                errors
                    .into_iter()
                    .map(|(field, e)| FieldError::new(field, e.render(&words, &rule_views)))
                    .collect(),
            ));
        }

        let offers = db::supplements::offers(&state.pool, &ids, req.stores.as_deref()).await?;
        let mut stores: Vec<&db::supplements::StoreOffer> = Vec::new();
        for o in &offers {
            if !stores.iter().any(|s| s.store_id == o.store_id) {
                stores.push(o);
            }
        }
        let problem = shopping::Problem {
            stores: stores
                .iter()
                .map(|s| shopping::Store {
                    delivery_fee: s.delivery_fee,
                    free_delivery_from: s.free_delivery_from,
                    min_order: s.min_order,
                })
                .collect(),
            items: resolved
                .iter()
                .map(|r| shopping::Item {
                    need: r.per_day * Decimal::from(req.days),
                    offers: offers
                        .iter()
                        .filter(|o| r.candidates.contains(&index[&o.product_id]))
                        .map(|o| shopping::Offer {
                            store: stores
                                .iter()
                                .position(|s| s.store_id == o.store_id)
                                .expect("listed"),
                            product: index[&o.product_id],
                            quantity: match &r.substance {
                                Some(code) => {
                                    o.servings * amount_of(&products[index[&o.product_id]], code)
                                }
                                None => o.servings,
                            },
                            price: o.effective_price,
                        })
                        .collect(),
                })
                .collect(),
            max_stores: req.max_stores.map(|k| k as usize),
        };
        // Both solves share the request's work budget, on the solver threads.
        let (plan, single) = state
            .compute
            .request()
            .run(move |budget| {
                (
                    shopping::solve(&problem, budget),
                    shopping::best_single_store(&problem, budget),
                )
            })
            .await
            .map_err(|_| ApiError::planners_busy())?;
        let single =
            single.map_err(|e| ApiError::from(anyhow::anyhow!("single-store plan: {e:?}")))?;
        let plan = match plan {
            Ok(plan) => plan,
            Err(shopping::Infeasible::NotSold(items)) => {
                return Err(ApiError::validation(
                    items
                        .into_iter()
                        .map(|i| {
                            FieldError::new(
                                item_field(i, &req.items[i]),
                                words.msg("shopping-not-sold", &[]),
                            )
                        })
                        .collect(),
                ));
            }
            Err(shopping::Infeasible::Constraints) => {
                let (field, text) = match req.max_stores {
                    Some(k) => (
                        "max_stores",
                        words.msg(
                            "shopping-max-stores",
                            &[("count", Arg::Count(i64::from(k)))],
                        ),
                    ),
                    None => ("stores", words.msg("shopping-constraints", &[])),
                };
                return Err(ApiError::invalid(field, text));
            }
            Err(shopping::Infeasible::OutOfBudget(_)) => {
                let ms = state.compute.time_limit().as_millis();
                return Err(ApiError::invalid(
                    "items",
                    words.msg("shopping-out-of-budget", &[("ms", Arg::Count(ms as i64))]),
                ));
            }
            Err(shopping::Infeasible::Solver(e)) => {
                return Err(ApiError::from(anyhow::anyhow!("shopping-plan solver: {e}")));
            }
        };
        let mut out_stores: Vec<PlanStore> = plan
            .baskets
            .iter()
            .map(|b| {
                let s = stores[b.store];
                PlanStore {
                    store_id: s.store_id,
                    slug: s.store_slug.clone(),
                    name: s.store_name.clone(),
                    lines: Vec::new(),
                    subtotal: b.subtotal,
                    delivery_fee: b.delivery_fee,
                    total: b.subtotal + b.delivery_fee,
                    free_delivery_from: s.free_delivery_from,
                    min_order: s.min_order,
                }
            })
            .collect();
        // What each item got, then the warnings of the products chosen, worded in one go.
        let mut covered = Vec::new();
        for (n, (purchase, r)) in plan.purchases.iter().zip(&resolved).enumerate() {
            let item_offers: Vec<&db::supplements::StoreOffer> = offers
                .iter()
                .filter(|o| r.candidates.contains(&index[&o.product_id]))
                .collect();
            let basket = out_stores
                .iter_mut()
                .find(|s| s.store_id == stores[purchase.store].store_id)
                .expect("a basket per store used");
            let mut bought = Decimal::ZERO;
            let mut product = None;
            for (offer, count) in &purchase.packages {
                let o = item_offers[*offer];
                let p = &products[index[&o.product_id]];
                product = Some(p);
                bought += Decimal::from(*count)
                    * match &r.substance {
                        Some(code) => o.servings * amount_of(p, code),
                        None => o.servings,
                    };
                basket.lines.push(PlanLine {
                    item: n as u32,
                    product_id: p.id,
                    product_name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
                    package_id: o.package_id,
                    size: o.size.normalize(),
                    size_unit: o.size_unit.clone(),
                    servings: o.servings.normalize(),
                    count: *count,
                    unit_price: o.effective_price,
                    regular_price: o.price,
                    line_total: o.effective_price * Decimal::from(*count),
                });
            }
            let p = product.expect("a purchase holds packages");
            let servings_per_day = match &r.substance {
                Some(code) => r.per_day / amount_of(p, code),
                None => r.per_day,
            };
            let substances = p.substances();
            let hits = safety::assess(
                &ctx.person,
                safety::Product {
                    substances: &substances,
                    allergens: &p.allergens,
                },
                &rules,
                servings_per_day,
            )
            .hits;
            covered.push((n, p, r, bought, servings_per_day, hits));
        }
        let rule_ids = hit_rules(covered.iter().flat_map(|c| &c.5));
        let rule_views = db::safety::views_by_id(&state.pool, locale.as_str(), &rule_ids).await?;
        let items: Vec<PlanItem> = covered
            .into_iter()
            .map(|(n, p, r, bought, servings_per_day, hits)| PlanItem {
                item: n as u32,
                product_id: p.id,
                product_name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
                substance: r.substance.clone(),
                needed: (r.per_day * Decimal::from(req.days)).normalize(),
                bought: bought.normalize(),
                unit: r.unit.clone(),
                servings_per_day: servings_per_day.round_dp(2).normalize(),
                warnings: words.warnings(&hits, &rule_views),
            })
            .collect();
        let packages_total: Decimal = out_stores.iter().map(|s| s.subtotal).sum();
        let delivery_total: Decimal = out_stores.iter().map(|s| s.delivery_fee).sum();
        let best_single_store = single.map(|s| {
            let store = stores[s.baskets[0].store];
            SingleStore {
                store_slug: store.store_slug.clone(),
                store_name: store.store_name.clone(),
                total: s.total,
            }
        });
        let mut out = ShoppingPlan {
            id: None,
            name: req.name.clone(),
            days: req.days,
            currency: stores
                .first()
                .map_or_else(|| "RSD".into(), |s| s.currency.clone()),
            total: plan.total,
            optimal: plan.optimal,
            packages_total,
            delivery_total,
            saving: best_single_store.as_ref().map(|s| s.total - plan.total),
            best_single_store,
            stores: std::mem::take(&mut out_stores),
            items,
            created_at: OffsetDateTime::now_utc(),
        };
        if !req.save {
            return Ok(PlanCreated::Computed(Json(out)));
        }
        let slugs: Vec<String> = out.stores.iter().map(|s| s.slug.clone()).collect();
        let (id, created_at) = db::supplements::save_list(
            &state.pool,
            auth.0.user,
            req.name.as_deref(),
            req.days as i32,
            out.total,
            &out.currency,
            &slugs,
            &out.to_json().unwrap_or_default(),
        )
        .await?;
        out.id = Some(id);
        out.created_at = created_at;
        Ok(PlanCreated::Saved(Json(out)))
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

/// An error shared by every request that waited on the same cached load.
fn shared_error(e: std::sync::Arc<ApiError>) -> ApiError {
    std::sync::Arc::try_unwrap(e).unwrap_or_else(|shared| (*shared).clone())
}

fn default_limit() -> u32 {
    10
}

/// The recommendations for a user, as `GET /recommendations` answers (and the cache keeps) them.
pub(super) async fn recommendations(
    state: &AppState,
    user: Uuid,
    locale: Locale,
    product_type: Option<ProductType>,
    limit: u32,
) -> Result<Recommendations, ApiError> {
    let ctx = athlete_context(state, user).await?;
    let type_name = product_type.map(ProductType::as_str);
    let products =
        db::supplements::products(&state.pool, locale.as_str(), type_name.as_deref(), None).await?;
    let rules = super::cached::rules(state).await?;
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

/// Checks what can be checked without the athlete: sizes, ranges, one of each alternative, known
/// stores. Every bad field is named.
async fn check_request(state: &AppState, req: &ShoppingRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if req.items.is_empty() || req.items.len() > MAX_ITEMS {
        errors.push(FieldError::new(
            "items",
            format!("give 1 to {MAX_ITEMS} items"),
        ));
    }
    if req.days == 0 || req.days > MAX_DAYS {
        errors.push(FieldError::new(
            "days",
            format!("must be between 1 and {MAX_DAYS}"),
        ));
    }
    if let Some(k) = req.max_stores {
        if !(1..=50).contains(&k) {
            errors.push(FieldError::new("max_stores", "must be between 1 and 50"));
        }
    }
    let positive =
        |v: Option<Decimal>| v.is_none_or(|v| v > Decimal::ZERO && v <= Decimal::from(100_000));
    for (n, item) in req.items.iter().enumerate().take(MAX_ITEMS) {
        let field = |name: &str| format!("items[{n}].{name}");
        match (&item.product_id, &item.substance) {
            (Some(_), Some(_)) | (None, None) => errors.push(FieldError::new(
                format!("items[{n}]"),
                "give either product_id or substance",
            )),
            (Some(_), None) => {
                if item.servings_per_day.is_some() && item.grams_per_day.is_some() {
                    errors.push(FieldError::new(
                        field("grams_per_day"),
                        "give servings_per_day or grams_per_day, not both",
                    ));
                }
                if item.amount_per_day.is_some() {
                    errors.push(FieldError::new(
                        field("amount_per_day"),
                        "only for a substance; use servings_per_day",
                    ));
                }
            }
            (None, Some(_)) => {
                if item.servings_per_day.is_some() || item.grams_per_day.is_some() {
                    errors.push(FieldError::new(
                        field("amount_per_day"),
                        "a substance takes amount_per_day (in its unit)",
                    ));
                }
            }
        }
        if item
            .servings_per_day
            .is_some_and(|s| s > Decimal::from(MAX_SERVINGS_PER_DAY))
        {
            errors.push(FieldError::new(
                field("servings_per_day"),
                format!("must be above 0 and at most {MAX_SERVINGS_PER_DAY}"),
            ));
            continue;
        }
        for (name, value) in [
            ("servings_per_day", item.servings_per_day),
            ("grams_per_day", item.grams_per_day),
            ("amount_per_day", item.amount_per_day),
        ] {
            if !positive(value) {
                errors.push(FieldError::new(
                    field(name),
                    "must be above 0 and at most 100000",
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (n, item) in req.items.iter().enumerate() {
        let key = (item.product_id, item.substance.clone());
        if !seen.insert(key) {
            errors.push(FieldError::new(
                format!("items[{n}]"),
                "the same product or substance is listed twice",
            ));
        }
    }
    if let Some(stores) = &req.stores {
        if stores.is_empty() || stores.len() > 100 {
            errors.push(FieldError::new(
                "stores",
                "give 1 to 100 store slugs, or leave it out",
            ));
        } else if let Some(slug) = db::supplements::unknown_stores(&state.pool, stores)
            .await?
            .first()
        {
            let shown: String = slug.chars().take(80).collect();
            errors.push(FieldError::new(
                "stores",
                format!("no active store {shown:?}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The field an item is named by in errors.
fn item_field(n: usize, item: &ShoppingItem) -> String {
    if item.substance.is_some() {
        format!("items[{n}].substance")
    } else {
        format!("items[{n}].product_id")
    }
}

/// Why an item cannot be planned; worded in the response's language.
enum ItemError {
    Text(String),
    Message(&'static str),
    Unsafe(Vec<Hit>),
    /// A caution applies and the athlete has not confirmed the product.
    AskDoctor(Vec<Hit>),
    /// Every product with the substance needs the doctor's word first, or is not for the athlete.
    NotConfirmed(String),
}

impl ItemError {
    fn render(&self, words: &Words<'_>, rules: &HashMap<Uuid, db::safety::RuleView>) -> String {
        match self {
            ItemError::Text(t) => t.clone(),
            ItemError::Message(id) => words.msg(id, &[]),
            ItemError::Unsafe(hits) => {
                let why: BTreeSet<String> =
                    hits.iter()
                        .filter(|h| h.severity() == safety::Severity::Avoid)
                        .map(|h| match h {
                            Hit::Rule { substance, .. }
                            | Hit::NoLifeStageData { substance, .. } => words.substance(substance),
                            Hit::DeclaredAllergen { allergen } => words.term("allergen", allergen),
                        })
                        .collect();
                let why: Vec<String> = why.into_iter().collect();
                words.msg("shopping-unsafe", &[("why", why.join(", ").into())])
            }
            ItemError::AskDoctor(hits) => {
                let why: BTreeSet<String> = hits
                    .iter()
                    .filter(|h| h.severity() == safety::Severity::Caution)
                    .map(|h| match h {
                        Hit::Rule {
                            rule, substance, ..
                        } => {
                            let term = rules
                                .get(rule)
                                .map(|v| words.term(&v.vocabulary, &v.code))
                                .unwrap_or_default();
                            format!("{} ({term})", words.substance(substance))
                        }
                        Hit::NoLifeStageData {
                            substance, stage, ..
                        } => {
                            let (vocabulary, code) = stage.term();
                            format!(
                                "{} ({})",
                                words.substance(substance),
                                words.term(vocabulary.as_str(), code)
                            )
                        }
                        Hit::DeclaredAllergen { allergen } => words.term("allergen", allergen),
                    })
                    .collect();
                let why: Vec<String> = why.into_iter().collect();
                words.msg("shopping-ask-doctor", &[("why", why.join(", ").into())])
            }
            ItemError::NotConfirmed(code) => words.msg(
                "shopping-not-confirmed",
                &[("substance", words.substance(code).into())],
            ),
        }
    }
}

/// The amount of a substance in one serving of a product (zero when it has none).
fn amount_of(p: &ProductFacts, code: &str) -> Decimal {
    p.substance_codes
        .iter()
        .position(|c| c == code)
        .map_or(Decimal::ZERO, |i| p.substance_amounts[i])
}

/// An item's need per day and the products that may fill it, each through the safety screen.
#[allow(clippy::too_many_arguments)]
fn resolve(
    n: usize,
    item: &ShoppingItem,
    products: &[ProductFacts],
    index: &HashMap<Uuid, usize>,
    by_substance: &HashMap<String, Vec<Uuid>>,
    ctx: &AthleteContext,
    rules: &safety::RuleBook,
) -> Result<Resolved, (String, ItemError)> {
    let field = item_field(n, item);
    let fail = |e: ItemError| Err((field.clone(), e));
    let screen = |p: &ProductFacts, servings: Decimal| {
        let substances = p.substances();
        safety::assess(
            &ctx.person,
            safety::Product {
                substances: &substances,
                allergens: &p.allergens,
            },
            rules,
            servings,
        )
    };
    let group_d = |p: &ProductFacts| {
        p.substance_codes
            .iter()
            .zip(&p.substance_evidence)
            .any(|(_, e)| e.as_deref() == Some(Evidence::D.as_str()))
    };
    if let Some(id) = item.product_id {
        let Some(&i) = index.get(&id) else {
            return fail(ItemError::Text(format!("no product {id}")));
        };
        let p = &products[i];
        if group_d(p) {
            return fail(ItemError::Message("exclusion-evidence-d"));
        }
        let servings = match (item.servings_per_day, item.grams_per_day) {
            (Some(s), _) => s,
            (None, Some(g)) if p.serving_unit == "g" => g / p.serving_size,
            (None, Some(_)) => {
                return Err((
                    format!("items[{n}].grams_per_day"),
                    ItemError::Text(format!(
                        "this product is measured in {}; give servings_per_day",
                        p.serving_unit
                    )),
                ));
            }
            (None, None) => {
                match recommend::judge(&candidate(p), &ctx.athlete, &ctx.person, &ctx.needs, rules)
                {
                    Ok((dose, _)) => dose.servings_per_day,
                    Err(Exclusion::Unsafe(hits)) => return fail(ItemError::Unsafe(hits)),
                    Err(_) => {
                        return Err((
                            format!("items[{n}].servings_per_day"),
                            ItemError::Text(
                                "no dose follows from your profile; give servings_per_day".into(),
                            ),
                        ));
                    }
                }
            }
        };
        if servings > Decimal::from(MAX_SERVINGS_PER_DAY) {
            let most = (Decimal::from(MAX_SERVINGS_PER_DAY) * p.serving_size).normalize();
            return Err((
                format!("items[{n}].grams_per_day"),
                ItemError::Text(format!(
                    "at most {most} g a day ({MAX_SERVINGS_PER_DAY} servings) of this product"
                )),
            ));
        }
        let assessment = screen(p, servings);
        if assessment.excluded() {
            return fail(ItemError::Unsafe(assessment.hits));
        }
        if !ctx.may_plan(p.id, &assessment.hits) {
            return fail(ItemError::AskDoctor(assessment.hits));
        }
        return Ok(Resolved {
            substance: None,
            per_day: servings,
            unit: "servings".into(),
            candidates: vec![i],
        });
    }
    let code = item.substance.clone().unwrap_or_default();
    let Some(ids) = by_substance.get(&code).filter(|ids| !ids.is_empty()) else {
        return fail(ItemError::Text(format!("no product contains {code:?}")));
    };
    let unit = products
        .iter()
        .find_map(|p| {
            p.substance_codes
                .iter()
                .position(|c| *c == code)
                .map(|k| p.substance_units[k].clone())
        })
        .unwrap_or_default();
    let per_day = match item.amount_per_day {
        Some(a) => a,
        None => match dosage::target(&code, &ctx.athlete, &ctx.needs)
            .and_then(|t| Decimal::try_from(t.daily).ok())
        {
            Some(d) => d.round_dp(3),
            None => {
                return Err((
                    format!("items[{n}].amount_per_day"),
                    ItemError::Text(format!(
                        "no daily target follows from your profile; give amount_per_day in {unit}"
                    )),
                ));
            }
        },
    };
    let mut candidates = Vec::new();
    let mut last_unsafe = Vec::new();
    let mut to_confirm = false;
    let mut all_group_d = true;
    let mut most_per_serving = Decimal::ZERO;
    for id in ids {
        let i = index[id];
        let p = &products[i];
        let amount = amount_of(p, &code);
        if amount <= Decimal::ZERO {
            continue;
        }
        most_per_serving = most_per_serving.max(amount);
        if group_d(p) || per_day / amount > Decimal::from(MAX_SERVINGS_PER_DAY) {
            continue;
        }
        all_group_d = false;
        let a = screen(p, per_day / amount);
        if a.excluded() {
            last_unsafe = a.hits;
        } else if ctx.may_plan(p.id, &a.hits) {
            candidates.push(i);
        } else {
            to_confirm = true;
        }
    }
    let most = most_per_serving * Decimal::from(MAX_SERVINGS_PER_DAY);
    if candidates.is_empty() && per_day > most && most > Decimal::ZERO {
        return Err((
            format!("items[{n}].amount_per_day"),
            ItemError::Text(format!(
                "at most {} {unit} a day ({MAX_SERVINGS_PER_DAY} servings of the most concentrated product)",
                most.normalize()
            )),
        ));
    }
    if candidates.is_empty() {
        return fail(if all_group_d {
            ItemError::Message("exclusion-evidence-d")
        } else if to_confirm {
            ItemError::NotConfirmed(code)
        } else {
            ItemError::Unsafe(last_unsafe)
        });
    }
    Ok(Resolved {
        substance: Some(code),
        per_day,
        unit,
        candidates,
    })
}
