//! The safety screen: which products a person must never be offered, which only after their doctor
//! agreed, and which are fine.
//!
//! Rules are data (`contraindication_rules`): a substance × a term of the person's profile (allergen,
//! condition, medication class, or a population derived from age) → a severity, optionally only above a
//! daily amount, and the effect that makes it matter (blood pressure, sodium load, clotting …). Life
//! stages are data too: a substance is offered in pregnancy, while breastfeeding or under 18 only where
//! its safety for that stage is on record (`substance_life_stages`).
//!
//! A product is **excluded** (`avoid`) when one of its substances hits an `avoid` rule at the daily
//! amount it would be taken in, when it declares an allergen the person is allergic to, when an athlete
//! under 18 would take a substance kept for adults, or when cautions add up: two terms of the person's
//! profile cautioning against the same substance, or against the same effect. A single `caution` (or a
//! substance without safety data for the person's pregnancy or breastfeeding) makes it a question for
//! their doctor; `info` is a note. Everything that suggests a product goes through [`assess`] —
//! recommendations, doses, shopping plans, meal plans — so there is one place where this can be wrong.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use uuid::Uuid;

/// How serious a rule is; ordered from least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Info,
    Caution,
    Avoid,
}

impl Severity {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "info" => Some(Self::Info),
            "caution" => Some(Self::Caution),
            "avoid" => Some(Self::Avoid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Caution => "caution",
            Self::Avoid => "avoid",
        }
    }
}

/// The controlled vocabularies a rule can name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Vocabulary {
    Allergen,
    Condition,
    MedicationClass,
    Population,
}

impl Vocabulary {
    pub const ALL: [Vocabulary; 4] = [
        Self::Allergen,
        Self::Condition,
        Self::MedicationClass,
        Self::Population,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw)
    }

    /// The name stored in `vocabulary_terms.vocabulary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allergen => "allergen",
            Self::Condition => "condition",
            Self::MedicationClass => "medication_class",
            Self::Population => "population",
        }
    }
}

/// What a rule's substance does that makes it matter for the term: cautions of two terms on the same
/// effect add up to `avoid`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Effect {
    Stimulant,
    BloodPressure,
    SodiumLoad,
    PotassiumLoad,
    CalciumLoad,
    Clotting,
    KidneyLoad,
    LiverLoad,
    BloodGlucose,
    Serotonergic,
    Thyroid,
    IronLoad,
}

impl Effect {
    pub const ALL: [Effect; 12] = [
        Self::Stimulant,
        Self::BloodPressure,
        Self::SodiumLoad,
        Self::PotassiumLoad,
        Self::CalciumLoad,
        Self::Clotting,
        Self::KidneyLoad,
        Self::LiverLoad,
        Self::BloodGlucose,
        Self::Serotonergic,
        Self::Thyroid,
        Self::IronLoad,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }

    /// The name stored in `contraindication_rules.effect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stimulant => "stimulant",
            Self::BloodPressure => "blood_pressure",
            Self::SodiumLoad => "sodium_load",
            Self::PotassiumLoad => "potassium_load",
            Self::CalciumLoad => "calcium_load",
            Self::Clotting => "clotting",
            Self::KidneyLoad => "kidney_load",
            Self::LiverLoad => "liver_load",
            Self::BloodGlucose => "blood_glucose",
            Self::Serotonergic => "serotonergic",
            Self::Thyroid => "thyroid",
            Self::IronLoad => "iron_load",
        }
    }
}

/// A life stage in which only substances with safety data on record for it are offered.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum LifeStage {
    Pregnancy,
    Breastfeeding,
    /// Under 18: sports foods and medical supplements only (AIS), never performance supplements.
    Minor,
}

impl LifeStage {
    pub const ALL: [LifeStage; 3] = [Self::Pregnancy, Self::Breastfeeding, Self::Minor];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The name stored in `substance_life_stages.life_stage`, and the profile term it comes from.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pregnancy => "pregnancy",
            Self::Breastfeeding => "breastfeeding",
            Self::Minor => "minor",
        }
    }

    /// The profile term that puts a person in this stage.
    pub fn term(self) -> (Vocabulary, &'static str) {
        match self {
            Self::Pregnancy => (Vocabulary::Condition, "pregnancy"),
            Self::Breastfeeding => (Vocabulary::Condition, "breastfeeding"),
            Self::Minor => (Vocabulary::Population, "minor"),
        }
    }

    /// A substance without data for the stage: under 18 it is kept for adults (not offered); in
    /// pregnancy and while breastfeeding it is a question for the doctor.
    pub fn severity_without_data(self) -> Severity {
        match self {
            Self::Minor => Severity::Avoid,
            Self::Pregnancy | Self::Breastfeeding => Severity::Caution,
        }
    }
}

/// Below this age a person is a `minor` (stimulant pre-workouts and the like are for adults).
pub const ADULT_AGE_YEARS: u32 = 18;
/// From this age a person is an `older_adult`.
pub const OLDER_ADULT_AGE_YEARS: u32 = 65;

/// One contraindication rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub id: Uuid,
    /// Substance code.
    pub substance: String,
    pub vocabulary: Vocabulary,
    pub code: String,
    pub severity: Severity,
    /// The rule applies only when the daily amount (in the substance's unit) is above this; `None`:
    /// any amount.
    pub above_daily: Option<Decimal>,
    /// What makes the substance matter for the term; `None` for allergies and life stages.
    pub effect: Option<Effect>,
}

impl Rule {
    /// Whether taking `daily` of the rule's substance crosses the rule's threshold.
    fn applies_at(&self, daily: Decimal) -> bool {
        self.above_daily.is_none_or(|limit| daily > limit)
    }
}

/// Everything the screen decides by: the rules, and which substances have safety data on record for
/// which life stage.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleBook {
    pub rules: Vec<Rule>,
    pub life_stage_data: BTreeSet<(String, LifeStage)>,
}

impl RuleBook {
    /// A substance is a stimulant when a rule names it for its stimulant effect; a stimulant is never
    /// stacked on a stimulant.
    pub fn is_stimulant(&self, substance: &str) -> bool {
        self.rules
            .iter()
            .any(|r| r.substance == substance && r.effect == Some(Effect::Stimulant))
    }

    pub fn has_data(&self, substance: &str, stage: LifeStage) -> bool {
        self.life_stage_data
            .contains(&(substance.to_owned(), stage))
    }

    /// The rules of this person's terms for this substance.
    fn rules_for<'a>(
        &'a self,
        person: &'a Person,
        substance: &'a str,
    ) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.substance == substance && person.has(r.vocabulary, &r.code))
    }

    /// The daily amounts of a substance this person's rules allow, with the rule: every threshold of
    /// a rule at least as serious as `from`.
    pub fn thresholds<'a>(
        &'a self,
        person: &'a Person,
        substance: &'a str,
        from: Severity,
    ) -> impl Iterator<Item = (&'a Rule, Decimal)> + 'a {
        self.rules_for(person, substance)
            .filter(move |r| r.severity >= from)
            .filter_map(|r| r.above_daily.map(|limit| (r, limit)))
    }
}

/// What the screen knows about a person: the codes of their profile and the populations their age
/// puts them in. Free text never takes part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    terms: BTreeSet<(Vocabulary, String)>,
}

impl Person {
    pub fn new(
        age_years: u32,
        allergies: &[String],
        conditions: &[String],
        medications: &[String],
    ) -> Self {
        let mut terms = BTreeSet::new();
        for (vocabulary, codes) in [
            (Vocabulary::Allergen, allergies),
            (Vocabulary::Condition, conditions),
            (Vocabulary::MedicationClass, medications),
        ] {
            terms.extend(codes.iter().map(|c| (vocabulary, c.clone())));
        }
        if age_years < ADULT_AGE_YEARS {
            terms.insert((Vocabulary::Population, "minor".into()));
        }
        if age_years >= OLDER_ADULT_AGE_YEARS {
            terms.insert((Vocabulary::Population, "older_adult".into()));
        }
        Self { terms }
    }

    pub fn has(&self, vocabulary: Vocabulary, code: &str) -> bool {
        self.terms.contains(&(vocabulary, code.to_owned()))
    }

    pub fn is_allergic_to(&self, allergen: &str) -> bool {
        self.has(Vocabulary::Allergen, allergen)
    }

    /// The life stages that restrict what may be offered.
    pub fn life_stages(&self) -> impl Iterator<Item = LifeStage> + '_ {
        LifeStage::ALL.into_iter().filter(|s| {
            let (vocabulary, code) = s.term();
            self.has(vocabulary, code)
        })
    }

    pub fn is_in(&self, stage: LifeStage) -> bool {
        self.life_stages().any(|s| s == stage)
    }
}

/// A product as the screen sees it: its substances (code, amount per serving in the substance's
/// unit) and its declared allergens.
#[derive(Debug, Clone, Copy)]
pub struct Product<'a> {
    pub substances: &'a [(String, Decimal)],
    pub allergens: &'a [String],
}

/// Why a product was flagged.
#[derive(Debug, Clone, PartialEq)]
pub enum Hit {
    /// A rule applies: its substance at this daily amount, for a term the person has.
    Rule {
        rule: Uuid,
        /// The rule's severity, or `avoid` when it adds up with `combined_with`.
        severity: Severity,
        substance: String,
        daily_amount: Decimal,
        /// Other cautions of this person's profile, for other terms, against the same substance or
        /// the same effect: together they make this one an `avoid`.
        combined_with: Vec<Uuid>,
    },
    /// The label declares an allergen the person is allergic to (Regulation (EU) No 1169/2011).
    DeclaredAllergen { allergen: String },
    /// No safety data on record for this substance in the person's life stage.
    NoLifeStageData {
        substance: String,
        stage: LifeStage,
        daily_amount: Decimal,
    },
}

impl Hit {
    pub fn severity(&self) -> Severity {
        match self {
            Hit::Rule { severity, .. } => *severity,
            Hit::DeclaredAllergen { .. } => Severity::Avoid,
            Hit::NoLifeStageData { stage, .. } => stage.severity_without_data(),
        }
    }
}

/// The outcome of the screen for one product at one daily intake.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assessment {
    /// Every hit, most serious first.
    pub hits: Vec<Hit>,
}

impl Assessment {
    /// Excluded: never suggest it to this person at this intake.
    pub fn excluded(&self) -> bool {
        self.hits.iter().any(|h| h.severity() == Severity::Avoid)
    }

    /// The hits that keep the product but need a warning (`caution`) or a note (`info`).
    pub fn warnings(&self) -> impl Iterator<Item = &Hit> {
        self.hits.iter().filter(|h| h.severity() < Severity::Avoid)
    }

    /// The most serious hit's severity; `None` when nothing applies.
    pub fn worst(&self) -> Option<Severity> {
        self.hits.iter().map(Hit::severity).max()
    }

    /// Nothing in the person's profile speaks against it (an `info` note at most).
    pub fn clear(&self) -> bool {
        self.worst().is_none_or(|s| s < Severity::Caution)
    }
}

/// Screens `product` for `person` taken at `servings_per_day`.
pub fn assess(
    person: &Person,
    product: Product<'_>,
    book: &RuleBook,
    servings_per_day: Decimal,
) -> Assessment {
    let mut hits: Vec<Hit> = product
        .allergens
        .iter()
        .filter(|a| person.is_allergic_to(a))
        .map(|a| Hit::DeclaredAllergen {
            allergen: a.clone(),
        })
        .collect();
    let mut applied: Vec<&Rule> = Vec::new();
    for (substance, per_serving) in product.substances {
        let daily = *per_serving * servings_per_day;
        for stage in person.life_stages() {
            if !book.has_data(substance, stage) {
                hits.push(Hit::NoLifeStageData {
                    substance: substance.clone(),
                    stage,
                    daily_amount: daily,
                });
            }
        }
        for rule in book
            .rules_for(person, substance)
            .filter(|r| r.applies_at(daily))
        {
            applied.push(rule);
            hits.push(Hit::Rule {
                rule: rule.id,
                severity: rule.severity,
                substance: substance.clone(),
                daily_amount: daily,
                combined_with: Vec::new(),
            });
        }
    }
    // Cautions that add up: another term of the profile cautions against the same substance or the
    // same effect.
    let cautions: Vec<&Rule> = applied
        .iter()
        .copied()
        .filter(|r| r.severity == Severity::Caution)
        .collect();
    for hit in &mut hits {
        let Hit::Rule {
            rule,
            severity,
            combined_with,
            ..
        } = hit
        else {
            continue;
        };
        if *severity != Severity::Caution {
            continue;
        }
        let this = cautions
            .iter()
            .find(|r| r.id == *rule)
            .expect("every caution hit is an applied rule");
        combined_with.extend(
            cautions
                .iter()
                .filter(|o| (o.vocabulary, &o.code) != (this.vocabulary, &this.code))
                .filter(|o| {
                    o.substance == this.substance
                        || (this.effect.is_some() && o.effect == this.effect)
                })
                .map(|o| o.id),
        );
        if !combined_with.is_empty() {
            *severity = Severity::Avoid;
        }
    }
    hits.sort_by_key(|h| std::cmp::Reverse(h.severity()));
    Assessment { hits }
}

/// The most servings a day that stay at or below every threshold of the person's rules at least as
/// serious as `from` for this product; `None` when no threshold limits it. Doses are capped with this
/// before [`assess`]: with `Caution`, a dose that needs no doctor's word, when there is one.
pub fn max_safe_servings(
    person: &Person,
    product: Product<'_>,
    book: &RuleBook,
    from: Severity,
) -> Option<Decimal> {
    product
        .substances
        .iter()
        .filter(|(_, per_serving)| *per_serving > Decimal::ZERO)
        .flat_map(|(substance, per_serving)| {
            book.thresholds(person, substance, from)
                .map(move |(_, limit)| limit / *per_serving)
        })
        .min()
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

    use super::*;

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
    fn book(rules: &[Rule], substances: &[(String, Decimal)]) -> RuleBook {
        RuleBook {
            rules: rules.to_vec(),
            life_stage_data: substances
                .iter()
                .flat_map(|(s, _)| LifeStage::ALL.map(|stage| (s.clone(), stage)))
                .collect(),
        }
    }

    fn codes(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    fn adult(allergies: &[&str], conditions: &[&str], medications: &[&str]) -> Person {
        Person::new(
            30,
            &codes(allergies),
            &codes(conditions),
            &codes(medications),
        )
    }

    fn product(
        substances: &[(&str, Decimal)],
        allergens: &[&str],
    ) -> (Vec<(String, Decimal)>, Vec<String>) {
        (
            substances
                .iter()
                .map(|(c, a)| (c.to_string(), *a))
                .collect(),
            codes(allergens),
        )
    }

    fn screen(
        person: &Person,
        p: &(Vec<(String, Decimal)>, Vec<String>),
        rules: &[Rule],
        servings: Decimal,
    ) -> Assessment {
        assess(
            person,
            Product {
                substances: &p.0,
                allergens: &p.1,
            },
            &book(rules, &p.0),
            servings,
        )
    }

    #[test]
    fn an_avoid_rule_excludes_only_people_with_the_term_and_products_with_the_substance() {
        let rules = [rule(
            "caffeine",
            Vocabulary::Condition,
            "heart_arrhythmia",
            Severity::Avoid,
        )];
        let pre_workout = product(&[("caffeine", dec!(200))], &[]);
        let creatine = product(&[("creatine_monohydrate", dec!(5))], &[]);
        let ill = adult(&[], &["heart_arrhythmia"], &[]);
        let healthy = adult(&[], &["gout"], &[]);

        let a = screen(&ill, &pre_workout, &rules, dec!(1));
        assert!(a.excluded());
        assert_eq!(
            a.hits,
            vec![Hit::Rule {
                rule: rules[0].id,
                severity: Severity::Avoid,
                substance: "caffeine".into(),
                daily_amount: dec!(200),
                combined_with: Vec::new(),
            }]
        );
        assert!(!screen(&healthy, &pre_workout, &rules, dec!(1)).excluded());
        assert!(screen(&ill, &creatine, &rules, dec!(1)).hits.is_empty());
    }

    #[test]
    fn every_vocabulary_is_matched_on_its_own_terms() {
        // The same code in another vocabulary must not match.
        for vocabulary in Vocabulary::ALL {
            let rules = [rule("x", vocabulary, "term", Severity::Avoid)];
            let p = product(&[("x", dec!(1))], &[]);
            let mut terms = BTreeSet::new();
            terms.insert((vocabulary, "term".to_string()));
            let person = Person { terms };
            assert!(
                screen(&person, &p, &rules, dec!(1)).excluded(),
                "{vocabulary:?}"
            );
            for other in Vocabulary::ALL.into_iter().filter(|v| *v != vocabulary) {
                let mut terms = BTreeSet::new();
                terms.insert((other, "term".to_string()));
                let person = Person { terms };
                assert!(
                    screen(&person, &p, &rules, dec!(1)).hits.is_empty(),
                    "{vocabulary:?} vs {other:?}"
                );
            }
        }
    }

    #[test]
    fn caution_and_info_keep_the_product_with_warnings() {
        let rules = [
            rule(
                "caffeine",
                Vocabulary::Condition,
                "hypertension",
                Severity::Caution,
            ),
            rule(
                "caffeine",
                Vocabulary::MedicationClass,
                "stimulant",
                Severity::Info,
            ),
        ];
        let p = product(&[("caffeine", dec!(150))], &[]);
        let person = adult(&[], &["hypertension"], &["stimulant"]);
        let a = screen(&person, &p, &rules, dec!(1));
        assert!(!a.excluded());
        assert_eq!(a.warnings().count(), 2);
        assert_eq!(
            a.hits[0].severity(),
            Severity::Caution,
            "most serious first"
        );
    }

    #[test]
    fn avoid_wins_over_caution_and_all_hits_are_reported() {
        let rules = [
            rule(
                "caffeine",
                Vocabulary::Condition,
                "hypertension",
                Severity::Caution,
            ),
            rule(
                "synephrine",
                Vocabulary::Condition,
                "hypertension",
                Severity::Avoid,
            ),
        ];
        let p = product(&[("caffeine", dec!(150)), ("synephrine", dec!(20))], &[]);
        let a = screen(&adult(&[], &["hypertension"], &[]), &p, &rules, dec!(1));
        assert!(a.excluded());
        assert_eq!(a.hits.len(), 2);
        assert_eq!(a.hits[0].severity(), Severity::Avoid);
    }

    #[test]
    fn thresholds_apply_only_above_the_daily_amount() {
        let mut r = rule(
            "caffeine",
            Vocabulary::Condition,
            "pregnancy",
            Severity::Avoid,
        );
        r.above_daily = Some(dec!(200));
        let rules = [r];
        let p = product(&[("caffeine", dec!(100))], &[]);
        let pregnant = adult(&[], &["pregnancy"], &[]);
        assert!(!screen(&pregnant, &p, &rules, dec!(1)).excluded(), "100 mg");
        assert!(
            !screen(&pregnant, &p, &rules, dec!(2)).excluded(),
            "200 mg is not above 200"
        );
        assert!(
            screen(&pregnant, &p, &rules, dec!(2.5)).excluded(),
            "250 mg"
        );
        let product = Product {
            substances: &p.0,
            allergens: &p.1,
        };
        let rules = book(&rules, &p.0);
        assert_eq!(
            max_safe_servings(&pregnant, product, &rules, Severity::Avoid),
            Some(dec!(2))
        );
        assert_eq!(
            max_safe_servings(&adult(&[], &[], &[]), product, &rules, Severity::Avoid),
            None
        );
    }

    #[test]
    fn the_tightest_threshold_caps_the_servings() {
        let mut a = rule(
            "caffeine",
            Vocabulary::Condition,
            "pregnancy",
            Severity::Avoid,
        );
        a.above_daily = Some(dec!(200));
        let mut b = rule(
            "vitamin_a",
            Vocabulary::Condition,
            "pregnancy",
            Severity::Avoid,
        );
        b.above_daily = Some(dec!(3000));
        let mut caution = rule(
            "vitamin_a",
            Vocabulary::Condition,
            "breastfeeding",
            Severity::Caution,
        );
        caution.above_daily = Some(dec!(10));
        let p = product(&[("caffeine", dec!(80)), ("vitamin_a", dec!(2000))], &[]);
        let person = adult(&[], &["pregnancy", "breastfeeding"], &[]);
        let product = Product {
            substances: &p.0,
            allergens: &p.1,
        };
        // Caffeine allows 2.5 servings, vitamin A 1.5; the caution's threshold only when asked for.
        let rules = book(&[a, b, caution], &p.0);
        assert_eq!(
            max_safe_servings(&person, product, &rules, Severity::Avoid),
            Some(dec!(1.5))
        );
        assert_eq!(
            max_safe_servings(&person, product, &rules, Severity::Caution),
            Some(dec!(0.005))
        );
    }

    #[test]
    fn declared_allergens_exclude_without_any_rule() {
        let p = product(&[("whey_protein", dec!(24))], &["milk", "soy"]);
        let a = screen(&adult(&["soy"], &[], &[]), &p, &[], dec!(1));
        assert!(a.excluded());
        assert_eq!(
            a.hits,
            vec![Hit::DeclaredAllergen {
                allergen: "soy".into()
            }]
        );
        assert!(
            screen(&adult(&["egg"], &[], &[]), &p, &[], dec!(1))
                .hits
                .is_empty()
        );
    }

    #[test]
    fn allergen_rules_cover_substances_whose_label_is_silent() {
        let rules = [rule(
            "whey_protein",
            Vocabulary::Allergen,
            "milk",
            Severity::Avoid,
        )];
        let unlabelled = product(&[("whey_protein", dec!(24))], &[]);
        assert!(screen(&adult(&["milk"], &[], &[]), &unlabelled, &rules, dec!(1)).excluded());
    }

    #[test]
    fn populations_come_from_age() {
        let rules = [
            rule("caffeine", Vocabulary::Population, "minor", Severity::Avoid),
            rule(
                "caffeine",
                Vocabulary::Population,
                "older_adult",
                Severity::Caution,
            ),
        ];
        let p = product(&[("caffeine", dec!(100))], &[]);
        let at = |age| screen(&Person::new(age, &[], &[], &[]), &p, &rules, dec!(1));
        assert!(at(14).excluded());
        assert!(at(17).excluded());
        assert!(at(18).hits.is_empty());
        assert!(at(64).hits.is_empty());
        assert_eq!(at(65).hits.len(), 1);
        assert!(!at(65).excluded());
    }

    #[test]
    fn zero_servings_cross_no_threshold_but_any_amount_rules_still_hold() {
        let mut above = rule(
            "caffeine",
            Vocabulary::Condition,
            "pregnancy",
            Severity::Avoid,
        );
        above.above_daily = Some(dec!(0.001));
        let any = rule(
            "caffeine",
            Vocabulary::Condition,
            "heart_arrhythmia",
            Severity::Avoid,
        );
        let p = product(&[("caffeine", dec!(100))], &[]);
        let person = adult(&[], &["pregnancy", "heart_arrhythmia"], &[]);
        let a = screen(&person, &p, &[above, any], Decimal::ZERO);
        assert_eq!(a.hits.len(), 1);
        assert!(a.excluded());
    }

    /// Every seeded rule, through every path: it fires for a person with its term and a product with
    /// its substance above its threshold, with its severity; not at the threshold; not for anyone
    /// without the term; not for the same term in another vocabulary.
    #[test]
    fn every_seeded_rule_does_what_it_says() {
        #[derive(serde::Deserialize)]
        struct Row {
            substance_code: String,
            vocabulary: String,
            code: String,
            severity: String,
            min_daily_amount: Option<Decimal>,
            effect: Option<String>,
        }
        let text = include_str!("../../seeds/catalogue/contraindication_rules.csv");
        let rows: Vec<Row> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .expect("the seeded rules parse");
        assert!(rows.len() >= 15, "at least 15 rules are seeded");
        let rules: Vec<Rule> = rows
            .iter()
            .map(|r| Rule {
                id: Uuid::new_v4(),
                substance: r.substance_code.clone(),
                vocabulary: Vocabulary::parse(&r.vocabulary).expect("a known vocabulary"),
                code: r.code.clone(),
                severity: Severity::parse(&r.severity).expect("a known severity"),
                above_daily: r.min_daily_amount,
                effect: r
                    .effect
                    .as_deref()
                    .map(|e| Effect::parse(e).expect("a known effect")),
            })
            .collect();
        for rule in &rules {
            let with = |vocabulary: Vocabulary| Person {
                terms: [(vocabulary, rule.code.clone())].into_iter().collect(),
            };
            let person = with(rule.vocabulary);
            let per_serving = rule.above_daily.map_or(dec!(1), |t| t + dec!(1));
            let p = product(&[(rule.substance.as_str(), per_serving)], &[]);
            let a = screen(&person, &p, &rules, dec!(1));
            assert!(
                a.hits.iter().any(|h| matches!(h, Hit::Rule { rule: id, severity, .. } if *id == rule.id && *severity == rule.severity)),
                "{} × {}:{} fires",
                rule.substance,
                rule.vocabulary.as_str(),
                rule.code
            );
            assert_eq!(
                a.excluded(),
                rules.iter().any(|r| r.substance == rule.substance
                    && r.vocabulary == rule.vocabulary
                    && r.code == rule.code
                    && r.severity == Severity::Avoid)
            );
            if let Some(threshold) = rule.above_daily {
                let at = product(&[(rule.substance.as_str(), threshold)], &[]);
                assert!(
                    !screen(&person, &at, &rules, dec!(1))
                        .hits
                        .iter()
                        .any(|h| matches!(h, Hit::Rule { rule: id, .. } if *id == rule.id)),
                    "{} × {} not at its threshold",
                    rule.substance,
                    rule.code
                );
            }
            assert!(
                screen(&Person::default(), &p, &rules, dec!(1))
                    .hits
                    .is_empty()
            );
            for other in Vocabulary::ALL
                .into_iter()
                .filter(|v| *v != rule.vocabulary)
            {
                assert!(
                    !screen(&with(other), &p, &rules, dec!(1))
                        .hits
                        .iter()
                        .any(|h| matches!(h, Hit::Rule { rule: id, .. } if *id == rule.id)),
                );
            }
        }
    }

    #[test]
    fn cautions_of_two_terms_on_one_substance_or_one_effect_add_up_to_avoid() {
        let with_effect = |substance, vocabulary, code, effect| Rule {
            effect: Some(effect),
            ..rule(substance, vocabulary, code, Severity::Caution)
        };
        let caffeine_bp = with_effect(
            "caffeine",
            Vocabulary::Condition,
            "hypertension",
            Effect::BloodPressure,
        );
        let caffeine_anxiety = with_effect(
            "caffeine",
            Vocabulary::Condition,
            "anxiety_disorder",
            Effect::Stimulant,
        );
        let arginine_bp = with_effect(
            "l_arginine",
            Vocabulary::MedicationClass,
            "antihypertensive",
            Effect::BloodPressure,
        );
        let rules = [
            caffeine_bp.clone(),
            caffeine_anxiety.clone(),
            arginine_bp.clone(),
        ];
        let pre_workout = product(&[("caffeine", dec!(150)), ("l_arginine", dec!(3))], &[]);
        let coffee = product(&[("caffeine", dec!(100))], &[]);

        // One caution alone: a question for the doctor, not an avoid.
        let one = screen(
            &adult(&[], &["hypertension"], &[]),
            &pre_workout,
            &rules,
            dec!(1),
        );
        assert_eq!(one.worst(), Some(Severity::Caution));
        assert!(!one.clear());

        // The same substance from two conditions.
        let two = screen(
            &adult(&[], &["hypertension", "anxiety_disorder"], &[]),
            &coffee,
            &rules,
            dec!(1),
        );
        assert!(two.excluded());
        assert!(two.hits.iter().all(|h| matches!(h,
            Hit::Rule { severity: Severity::Avoid, combined_with, .. } if combined_with.len() == 1)));

        // A condition and a medication on the same effect, through two substances of one product.
        let bp = screen(
            &adult(&[], &["hypertension"], &["antihypertensive"]),
            &pre_workout,
            &rules,
            dec!(1),
        );
        assert!(bp.excluded());
        assert!(bp.hits.iter().any(|h| matches!(h,
            Hit::Rule { rule, combined_with, .. } if *rule == caffeine_bp.id && combined_with == &vec![arginine_bp.id])));

        // Different effects on different substances do not add up.
        let apart = screen(
            &adult(&[], &["anxiety_disorder"], &["antihypertensive"]),
            &pre_workout,
            &rules,
            dec!(1),
        );
        assert!(!apart.excluded());
        assert_eq!(apart.worst(), Some(Severity::Caution));
    }

    #[test]
    fn life_stages_offer_only_substances_with_safety_data_for_them() {
        let whey = product(&[("whey_protein", dec!(24))], &[]);
        let creatine = product(&[("creatine_monohydrate", dec!(5))], &[]);
        let book = RuleBook {
            rules: Vec::new(),
            life_stage_data: [
                ("whey_protein".to_string(), LifeStage::Pregnancy),
                ("whey_protein".to_string(), LifeStage::Minor),
            ]
            .into_iter()
            .collect(),
        };
        let at = |person: &Person, p: &(Vec<(String, Decimal)>, Vec<String>)| {
            assess(
                person,
                Product {
                    substances: &p.0,
                    allergens: &p.1,
                },
                &book,
                dec!(1),
            )
        };
        let pregnant = adult(&[], &["pregnancy"], &[]);
        let breastfeeding = adult(&[], &["breastfeeding"], &[]);
        let minor = Person::new(16, &[], &[], &[]);
        assert!(at(&pregnant, &whey).hits.is_empty());
        assert!(at(&minor, &whey).hits.is_empty());
        assert_eq!(
            at(&pregnant, &creatine).hits,
            vec![Hit::NoLifeStageData {
                substance: "creatine_monohydrate".into(),
                stage: LifeStage::Pregnancy,
                daily_amount: dec!(5),
            }]
        );
        assert_eq!(at(&pregnant, &creatine).worst(), Some(Severity::Caution));
        assert_eq!(at(&breastfeeding, &whey).worst(), Some(Severity::Caution));
        assert!(at(&minor, &creatine).excluded(), "kept for adults");
        assert!(at(&adult(&[], &[], &[]), &creatine).hits.is_empty());
    }

    #[test]
    fn stimulants_are_the_substances_a_rule_names_for_their_stimulant_effect() {
        let book = RuleBook {
            rules: vec![Rule {
                effect: Some(Effect::Stimulant),
                ..rule(
                    "synephrine",
                    Vocabulary::Condition,
                    "heart_arrhythmia",
                    Severity::Avoid,
                )
            }],
            life_stage_data: BTreeSet::new(),
        };
        assert!(book.is_stimulant("synephrine"));
        assert!(!book.is_stimulant("creatine_monohydrate"));
    }
}
