//! The safety screen: which products a person must never be offered, and which come with a warning.
//!
//! Rules are data (`contraindication_rules`): a substance × a term of the person's profile (allergen,
//! condition, medication class, or a population derived from age) → a severity, optionally only above a
//! daily amount. A product is **excluded** when one of its substances hits an `avoid` rule at the daily
//! amount it would be taken in, or when it declares an allergen the person is allergic to; `caution`
//! keeps it with a warning, `info` with a note. Everything that suggests a product goes through
//! [`assess`] — recommendations, doses, shopping plans — so there is one place where this can be wrong.

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
}

impl Rule {
    /// Whether taking `daily` of the rule's substance crosses the rule's threshold.
    fn applies_at(&self, daily: Decimal) -> bool {
        self.above_daily.is_none_or(|limit| daily > limit)
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
        severity: Severity,
        substance: String,
        daily_amount: Decimal,
    },
    /// The label declares an allergen the person is allergic to (Regulation (EU) No 1169/2011).
    DeclaredAllergen { allergen: String },
}

impl Hit {
    pub fn severity(&self) -> Severity {
        match self {
            Hit::Rule { severity, .. } => *severity,
            Hit::DeclaredAllergen { .. } => Severity::Avoid,
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
}

/// Screens `product` for `person` taken at `servings_per_day`.
pub fn assess(
    person: &Person,
    product: Product<'_>,
    rules: &[Rule],
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
    for (substance, per_serving) in product.substances {
        let daily = *per_serving * servings_per_day;
        hits.extend(
            rules
                .iter()
                .filter(|r| &r.substance == substance && person.has(r.vocabulary, &r.code))
                .filter(|r| r.applies_at(daily))
                .map(|r| Hit::Rule {
                    rule: r.id,
                    severity: r.severity,
                    substance: substance.clone(),
                    daily_amount: daily,
                }),
        );
    }
    hits.sort_by_key(|h| std::cmp::Reverse(h.severity()));
    Assessment { hits }
}

/// The most servings a day that stay at or below every `avoid` threshold the person has for this
/// product; `None` when no threshold limits it. Doses are capped with this before [`assess`].
pub fn max_safe_servings(person: &Person, product: Product<'_>, rules: &[Rule]) -> Option<Decimal> {
    product
        .substances
        .iter()
        .filter(|(_, per_serving)| *per_serving > Decimal::ZERO)
        .flat_map(|(substance, per_serving)| {
            rules
                .iter()
                .filter(move |r| {
                    &r.substance == substance
                        && r.severity == Severity::Avoid
                        && person.has(r.vocabulary, &r.code)
                })
                .filter_map(move |r| r.above_daily.map(|limit| limit / *per_serving))
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
            rules,
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
        assert_eq!(max_safe_servings(&pregnant, product, &rules), Some(dec!(2)));
        assert_eq!(
            max_safe_servings(&adult(&[], &[], &[]), product, &rules),
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
        // Caffeine allows 2.5 servings, vitamin A 1.5; caution rules never cap.
        assert_eq!(
            max_safe_servings(&person, product, &[a, b, caution]),
            Some(dec!(1.5))
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
}
