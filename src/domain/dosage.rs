//! Daily doses from the athlete's body and training, each with its source, capped by tolerable upper
//! intake levels and by the safety screen's thresholds ([`super::safety::max_safe_servings`]).
//!
//! A product's dose is set by its *driving* substances — those with an evidence-based daily target
//! (creatine, caffeine, protein, …): the servings that reach the lowest of their targets. A product
//! with no driving substance is taken as its label says, one serving a day.

use rust_decimal::{Decimal, RoundingStrategy, prelude::ToPrimitive};

use super::nutrition::{Athlete, Sport};

/// When to take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// 30–60 minutes before training.
    PreWorkout,
    /// Two to three hours before training (nitrate).
    WellBeforeTraining,
    /// In the hour after training.
    PostWorkout,
    /// During sessions longer than an hour.
    DuringTraining,
    /// With a meal.
    WithMeal,
    /// Any time of day, every day, training or not.
    Daily,
}

impl Timing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreWorkout => "pre_workout",
            Self::WellBeforeTraining => "well_before_training",
            Self::PostWorkout => "post_workout",
            Self::DuringTraining => "during_training",
            Self::WithMeal => "with_meal",
            Self::Daily => "daily",
        }
    }
}

/// What a daily target is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The protein the athlete's logged food leaves short of the target.
    ProteinGap,
    /// No food logged: one post-training feeding of 0.3 g/kg.
    ProteinPerMeal,
    /// g or mg per kg of body weight.
    BodyWeight,
    /// Grams per hour of the athlete's sessions.
    TrainingHours,
    /// A fixed daily amount from the literature.
    Fixed,
    /// No target: one serving as the label says.
    Label,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProteinGap => "protein_gap",
            Self::ProteinPerMeal => "protein_per_meal",
            Self::BodyWeight => "body_weight",
            Self::TrainingHours => "training_hours",
            Self::Fixed => "fixed",
            Self::Label => "label",
        }
    }
}

/// What the athlete needs beyond what the body says.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Needs {
    /// Protein target minus the average logged intake (g/day); `None` when too little is logged.
    pub protein_gap_g: Option<f64>,
}

/// Substances whose amounts are grams of protein; a product's protein is their sum.
pub const PROTEIN_SUBSTANCES: &[&str] = &[
    "whey_protein",
    "casein_protein",
    "soy_protein",
    "pea_protein",
    "rice_protein",
    "egg_protein",
];

/// The pseudo-substance a product's summed protein is dosed as.
pub const PROTEIN: &str = "protein";

/// A protein gap smaller than this (g/day) needs no powder.
pub const PROTEIN_GAP_MIN_G: f64 = 10.0;
/// Protein per feeding: 0.25–0.40 g/kg (Jäger et al., ISSN position stand: protein and exercise, 2017).
pub const PROTEIN_PER_MEAL_G_PER_KG: f64 = 0.3;
pub const PROTEIN_PER_MEAL_G_PER_KG_RANGE: (f64, f64) = (0.25, 0.40);
/// Creatine maintenance: 3–5 g/day, or 0.03 g/kg (Kreider et al., ISSN position stand, 2017).
pub const CREATINE_G_PER_KG: f64 = 0.03;
pub const CREATINE_G: (f64, f64) = (3.0, 5.0);
/// Caffeine: 3–6 mg/kg about an hour before exercise (Guest et al., ISSN position stand, 2021); we take 3.
pub const CAFFEINE_MG_PER_KG: f64 = 3.0;
pub const CAFFEINE_MG_PER_KG_RANGE: (f64, f64) = (3.0, 6.0);
/// Beta-alanine: 4–6 g/day in doses of 2 g or less (Trexler et al., ISSN position stand, 2015).
pub const BETA_ALANINE_G: f64 = 4.0;
/// 3.2–6.4 g/day are the doses the ISSN stand reviews.
pub const BETA_ALANINE_G_RANGE: (f64, f64) = (3.2, 6.4);
/// Sodium bicarbonate: 0.2–0.3 g/kg 60–180 min before (Grgic et al., ISSN position stand, 2021).
pub const BICARBONATE_G_PER_KG: f64 = 0.2;
/// Dietary nitrate: 6–8 mmol (≈ 370–500 mg) 2–3 h before (AIS Sports Supplement Framework, group A).
pub const NITRATE_MG: f64 = 400.0;
pub const NITRATE_MG_RANGE: (f64, f64) = (370.0, 500.0);
/// Carbohydrate during sessions over an hour: 30–60 g/h (Thomas et al., ACSM/AND/DC 2016); we take 45.
pub const CARBOHYDRATE_G_PER_HOUR: f64 = 45.0;
pub const CARBOHYDRATE_G_PER_HOUR_RANGE: (f64, f64) = (30.0, 60.0);
/// Sodium during long sessions: ≈ 300–600 mg/h of sweat losses (Sawka et al., ACSM 2007); we take 500.
pub const SODIUM_MG_PER_HOUR: f64 = 500.0;
pub const SODIUM_MG_PER_HOUR_RANGE: (f64, f64) = (300.0, 600.0);
/// Training sessions a week the weekly hours are spread over.
pub const SESSIONS_PER_WEEK: f64 = 5.0;
/// Vitamin D3: 1000 IU/day when sunlight is scarce (EFSA adequate intake 600 IU; UL 4000 IU).
pub const VITAMIN_D_IU: f64 = 1000.0;
pub const VITAMIN_D_IU_RANGE: (f64, f64) = (600.0, 2000.0);
/// EPA + DHA: 1 g/day (AIS group B; EFSA: up to 5 g/day raises no safety concern).
pub const OMEGA_3_MG: f64 = 1000.0;
/// 0.5–2 g/day of EPA + DHA.
pub const OMEGA_3_MG_RANGE: (f64, f64) = (500.0, 2000.0);
/// No product is taken more often than this many servings a day.
pub const MAX_SERVINGS_PER_DAY: Decimal = Decimal::from_parts(4, 0, 0, false, 0);

/// Sources of the numbers above, for the API.
pub const SOURCES: &[&str] = &[
    "Jäger R, et al. ISSN position stand: protein and exercise. J Int Soc Sports Nutr 2017;14:20",
    "Kreider RB, et al. ISSN position stand: safety and efficacy of creatine supplementation. J Int Soc Sports Nutr 2017;14:18",
    CAFFEINE_SOURCE,
    "Trexler ET, et al. ISSN position stand: beta-alanine. J Int Soc Sports Nutr 2015;12:30",
    "Grgic J, et al. ISSN position stand: sodium bicarbonate and exercise performance. J Int Soc Sports Nutr 2021;18:61",
    "Thomas DT, Erdman KA, Burke LM. ACSM/AND/DC joint position: Nutrition and Athletic Performance. Med Sci Sports Exerc 2016;48:543-568",
    "Sawka MN, et al. ACSM position stand: exercise and fluid replacement. Med Sci Sports Exerc 2007;39:377-390",
    "Australian Institute of Sport. Sports Supplement Framework (ABCD classification), 2021",
    UPPER_LIMITS_SOURCE,
];
pub const CAFFEINE_SOURCE: &str = "Guest NS, et al. ISSN position stand: caffeine and exercise performance. J Int Soc Sports Nutr 2021;18:1";
pub const UPPER_LIMITS_SOURCE: &str = "EFSA NDA Panel. Overview on Tolerable Upper Intake Levels as derived by the Scientific Committee on Food and EFSA, 2024";

/// A substance's daily target for this athlete.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// In the substance's unit (grams for [`PROTEIN`]).
    pub daily: f64,
    /// The range the literature gives, which a dose in whole servings should land in when it can.
    pub range: (f64, f64),
    pub basis: Basis,
    pub timing: Timing,
    /// Split into this many doses a day.
    pub doses: u8,
}

/// Hours of an average session.
fn session_hours(a: &Athlete) -> f64 {
    a.training_hours_per_week() / SESSIONS_PER_WEEK
}

/// The daily target of a substance (or of [`PROTEIN`]); `None` when the substance has none (it is
/// taken as labelled) or the athlete does not need it.
pub fn target(code: &str, a: &Athlete, needs: &Needs) -> Option<Target> {
    let w = a.weight_kg();
    let t = |daily: f64, (lo, hi): (f64, f64), basis, timing| Target {
        daily,
        range: (lo, hi),
        basis,
        timing,
        doses: 1,
    };
    Some(match code {
        PROTEIN => match needs.protein_gap_g {
            Some(gap) if gap < PROTEIN_GAP_MIN_G => return None,
            // Not short of the gap by more than a third of a feeding, nor over it by that much.
            Some(gap) => {
                let slack = 0.1 * w;
                t(
                    gap,
                    (gap - slack, gap + slack),
                    Basis::ProteinGap,
                    Timing::PostWorkout,
                )
            }
            None => t(
                PROTEIN_PER_MEAL_G_PER_KG * w,
                (
                    PROTEIN_PER_MEAL_G_PER_KG_RANGE.0 * w,
                    PROTEIN_PER_MEAL_G_PER_KG_RANGE.1 * w,
                ),
                Basis::ProteinPerMeal,
                Timing::PostWorkout,
            ),
        },
        "creatine_monohydrate" => t(
            (CREATINE_G_PER_KG * w).clamp(CREATINE_G.0, CREATINE_G.1),
            CREATINE_G,
            Basis::BodyWeight,
            Timing::WithMeal,
        ),
        "caffeine" => t(
            CAFFEINE_MG_PER_KG * w,
            (
                CAFFEINE_MG_PER_KG_RANGE.0 * w,
                CAFFEINE_MG_PER_KG_RANGE.1 * w,
            ),
            Basis::BodyWeight,
            Timing::PreWorkout,
        ),
        "beta_alanine" => Target {
            doses: 2,
            ..t(
                BETA_ALANINE_G,
                BETA_ALANINE_G_RANGE,
                Basis::Fixed,
                Timing::WithMeal,
            )
        },
        "sodium_bicarbonate" => t(
            BICARBONATE_G_PER_KG * w,
            (0.2 * w, 0.3 * w),
            Basis::BodyWeight,
            Timing::PreWorkout,
        ),
        "beetroot_nitrate" => t(
            NITRATE_MG,
            NITRATE_MG_RANGE,
            Basis::Fixed,
            Timing::WellBeforeTraining,
        ),
        "carbohydrate_maltodextrin" | "sodium" => {
            let hours = session_hours(a);
            if hours < 1.0 {
                return None;
            }
            let (per_hour, (lo, hi)) = if code == "sodium" {
                (SODIUM_MG_PER_HOUR, SODIUM_MG_PER_HOUR_RANGE)
            } else {
                (CARBOHYDRATE_G_PER_HOUR, CARBOHYDRATE_G_PER_HOUR_RANGE)
            };
            t(
                per_hour * hours,
                (lo * hours, hi * hours),
                Basis::TrainingHours,
                Timing::DuringTraining,
            )
        }
        "vitamin_d3" => t(
            VITAMIN_D_IU,
            VITAMIN_D_IU_RANGE,
            Basis::Fixed,
            Timing::WithMeal,
        ),
        "omega_3" => t(OMEGA_3_MG, OMEGA_3_MG_RANGE, Basis::Fixed, Timing::WithMeal),
        _ => return None,
    })
}

/// Tolerable upper intake level per day for adults, in the substance's unit (EFSA; caffeine: EFSA
/// 2015 habitual intake that raises no concern). A dose never exceeds it.
pub fn upper_limit(code: &str) -> Option<f64> {
    Some(match code {
        "caffeine" => 400.0,
        "vitamin_d3" => 4000.0,
        "vitamin_a" => 3000.0,
        "vitamin_b6" => 12.0,
        "zinc" => 25.0,
        "iron" => 45.0,
        "calcium" => 2500.0,
        // Supplemental magnesium only.
        "magnesium" => 250.0,
        "omega_3" => 5000.0,
        _ => return None,
    })
}

/// Whether servings are measured powder (halves possible) or counted units (capsules, bars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingKind {
    Measured,
    Counted,
}

impl ServingKind {
    /// From `products.serving_unit` (`g`, `ml` or `unit`).
    pub fn of_unit(unit: &str) -> Self {
        if unit == "unit" {
            Self::Counted
        } else {
            Self::Measured
        }
    }

    /// The smallest serving: half a scoop, one capsule.
    pub fn step(self) -> Decimal {
        match self {
            Self::Measured => Decimal::new(5, 1),
            Self::Counted => Decimal::ONE,
        }
    }
}

/// What limited a dose below its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cap {
    /// The substance's tolerable upper intake level.
    UpperLimit(String),
    /// A contraindication rule's threshold for this person.
    SafetyRule,
    /// [`MAX_SERVINGS_PER_DAY`].
    MaxServings,
}

/// A product's daily dose.
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    pub servings_per_day: Decimal,
    /// The substance (or [`PROTEIN`]) that set it; `None` when taken as labelled.
    pub driver: Option<String>,
    pub basis: Basis,
    pub timing: Timing,
    pub doses: u8,
    /// The driver's target (its unit), when it had one.
    pub target: Option<f64>,
    pub capped_by: Option<Cap>,
}

/// Why a product gets no dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoDose {
    /// Its only purpose is covered (e.g. logged food meets the protein target; sessions under an hour).
    NotNeeded,
    /// Even the smallest serving would cross a cap (upper limit or a safety threshold).
    TooStrong(Cap),
}

/// The daily dose of a product with `substances` (code, amount per serving), whose servings are of
/// `kind`, for this athlete; `safe_max` is the screen's cap in servings for this person.
pub fn product_dose(
    substances: &[(String, Decimal)],
    kind: ServingKind,
    a: &Athlete,
    needs: &Needs,
    safe_max: Option<Decimal>,
) -> Result<Dose, NoDose> {
    let protein: Decimal = substances
        .iter()
        .filter(|(c, _)| PROTEIN_SUBSTANCES.contains(&c.as_str()))
        .map(|(_, amount)| *amount)
        .sum();
    let mut amounts: Vec<(&str, Decimal)> = substances
        .iter()
        .filter(|(c, amount)| !PROTEIN_SUBSTANCES.contains(&c.as_str()) && *amount > Decimal::ZERO)
        .map(|(c, amount)| (c.as_str(), *amount))
        .collect();
    if protein > Decimal::ZERO {
        amounts.push((PROTEIN, protein));
    }
    let has_purpose = amounts
        .iter()
        .any(|(code, _)| matches!(*code, PROTEIN | "carbohydrate_maltodextrin" | "sodium"));
    // Every substance with a target, in servings; the driver is the target reached with the fewest.
    let targets: Vec<_> = amounts
        .iter()
        .filter_map(|(code, amount)| {
            let t = target(code, a, needs)?;
            let per = |v: f64| Decimal::try_from(v).ok().map(|v| v / amount);
            Some((per(t.daily)?, (per(t.range.0)?, per(t.range.1)?), *code, t))
        })
        .collect();
    // No substance may go above the top of its own range.
    let top = targets.iter().map(|(_, (_, hi), ..)| *hi).min();
    let driver = targets
        .into_iter()
        .min_by(|x, y| x.0.cmp(&y.0))
        .map(|(servings, (lo, hi), code, t)| (servings, (lo, top.unwrap_or(hi).min(hi)), code, t));
    let (wanted, range, driver, basis, timing, doses, target) = match driver {
        Some((servings, range, code, t)) => (
            servings,
            Some(range),
            Some(code.to_owned()),
            t.basis,
            t.timing,
            t.doses,
            Some(t.daily),
        ),
        // A product there for protein, carbohydrate or electrolytes whose need is met.
        None if has_purpose => return Err(NoDose::NotNeeded),
        None => (
            Decimal::ONE,
            None,
            None,
            Basis::Label,
            Timing::Daily,
            1,
            None,
        ),
    };

    let mut cap: Option<(Decimal, Cap)> = Some((MAX_SERVINGS_PER_DAY, Cap::MaxServings));
    let mut tighten = |limit: Decimal, why: Cap| {
        if cap.as_ref().is_none_or(|(c, _)| limit < *c) {
            cap = Some((limit, why));
        }
    };
    for (code, amount) in &amounts {
        if let Some(ul) = upper_limit(code).and_then(|ul| Decimal::try_from(ul).ok()) {
            tighten(ul / amount, Cap::UpperLimit((*code).to_owned()));
        }
    }
    if let Some(limit) = safe_max {
        tighten(limit, Cap::SafetyRule);
    }
    let (limit, why) = cap.expect("the servings cap is always set");

    let step = kind.step();
    let floor = |v: Decimal| (v / step).floor() * step;
    let nearest = |v: Decimal| {
        (v / step).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * step
    };
    // The practical serving closest to the target within the literature's range (a 5 g scoop
    // rather than half of one when 3 g are wanted), else the nearest, at least one step.
    let in_range = range.and_then(|(lo, hi)| {
        let lo = (lo / step).ceil() * step;
        let hi = (hi.min(limit) / step).floor() * step;
        (lo <= hi && hi > Decimal::ZERO).then(|| nearest(wanted).clamp(lo.max(step), hi))
    });
    let mut servings = in_range.unwrap_or_else(|| nearest(wanted).max(step));
    let mut capped_by = None;
    if servings > limit {
        servings = floor(limit);
        if servings.is_zero() {
            return Err(NoDose::TooStrong(why));
        }
        capped_by = Some(why);
    }
    Ok(Dose {
        servings_per_day: servings.normalize(),
        driver,
        basis,
        timing,
        doses,
        target,
        capped_by,
    })
}

/// The daily amount of each substance at `servings` a day, as f64 for display.
pub fn daily_amounts(substances: &[(String, Decimal)], servings: Decimal) -> Vec<(String, f64)> {
    substances
        .iter()
        .map(|(c, a)| (c.clone(), (a * servings).to_f64().unwrap_or(0.0)))
        .collect()
}

/// How well a substance fits a sport, 0–1, from the AIS framework's and the ISSN stands' indications:
/// creatine for repeated high-intensity efforts, caffeine and nitrate for endurance, and so on.
pub fn sport_fit(code: &str, sport: Sport) -> f64 {
    use Sport::*;
    match (code, sport) {
        (PROTEIN, _) => 1.0,
        ("creatine_monohydrate", StrengthPower) => 1.0,
        ("creatine_monohydrate", TeamSport | WeightClassCombat) => 0.8,
        ("creatine_monohydrate", Aesthetic) => 0.6,
        ("creatine_monohydrate", GeneralFitness) => 0.4,
        ("creatine_monohydrate", Endurance) => 0.2,
        ("caffeine", Endurance) => 1.0,
        ("caffeine", TeamSport | WeightClassCombat) => 0.8,
        ("caffeine", StrengthPower) => 0.6,
        ("caffeine", _) => 0.3,
        ("beta_alanine", WeightClassCombat) => 0.8,
        ("beta_alanine", TeamSport) => 0.7,
        ("beta_alanine", StrengthPower | Endurance) => 0.5,
        ("beta_alanine", _) => 0.2,
        ("sodium_bicarbonate", WeightClassCombat) => 0.6,
        ("sodium_bicarbonate", TeamSport | Endurance) => 0.5,
        ("sodium_bicarbonate", _) => 0.2,
        ("beetroot_nitrate", Endurance) => 1.0,
        ("beetroot_nitrate", TeamSport) => 0.6,
        ("beetroot_nitrate", _) => 0.2,
        ("carbohydrate_maltodextrin", Endurance) => 1.0,
        ("carbohydrate_maltodextrin", TeamSport) => 0.7,
        ("carbohydrate_maltodextrin", WeightClassCombat) => 0.4,
        ("carbohydrate_maltodextrin", _) => 0.2,
        ("sodium", Endurance) => 0.8,
        ("sodium", TeamSport) => 0.6,
        ("sodium", _) => 0.3,
        ("vitamin_d3", _) => 0.5,
        ("omega_3" | "collagen", _) => 0.3,
        _ => 0.1,
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

    use super::*;
    use crate::domain::nutrition::{ActivityLevel, Goal, Sex};

    fn athlete(weight: f64, sport: Sport, hours: f64) -> Athlete {
        Athlete::new(
            30,
            Sex::Male,
            weight,
            180.0,
            None,
            ActivityLevel::Moderate,
            sport,
            Goal::Maintain,
            hours,
        )
        .unwrap()
    }

    fn subs(s: &[(&str, Decimal)]) -> Vec<(String, Decimal)> {
        s.iter().map(|(c, a)| (c.to_string(), *a)).collect()
    }

    fn dose(
        s: &[(&str, Decimal)],
        kind: ServingKind,
        a: &Athlete,
        needs: Needs,
    ) -> Result<Dose, NoDose> {
        product_dose(&subs(s), kind, a, &needs, None)
    }

    #[test]
    fn creatine_is_three_to_five_grams_or_point_zero_three_per_kg() {
        let creatine = [("creatine_monohydrate", dec!(5))];
        let small = athlete(60.0, Sport::StrengthPower, 6.0);
        let big = athlete(200.0, Sport::StrengthPower, 6.0);
        let mid = athlete(150.0, Sport::StrengthPower, 6.0);
        // 60 kg: 1.8 g → 3 g, 0.6 servings; half a scoop (2.5 g) is under the 3–5 g range, one scoop in it.
        assert_eq!(
            dose(&creatine, ServingKind::Measured, &small, Needs::default())
                .unwrap()
                .servings_per_day,
            dec!(1)
        );
        // A 2 g serving: 1.5 servings (3 g) is the nearest in range.
        assert_eq!(
            dose(
                &[("creatine_monohydrate", dec!(2))],
                ServingKind::Measured,
                &small,
                Needs::default()
            )
            .unwrap()
            .servings_per_day,
            dec!(1.5)
        );
        // 150 kg: 4.5 g → 0.9 servings → one scoop; 200 kg: 6 g → 5 g → one scoop.
        assert_eq!(
            dose(&creatine, ServingKind::Measured, &mid, Needs::default())
                .unwrap()
                .servings_per_day,
            dec!(1)
        );
        let d = dose(&creatine, ServingKind::Measured, &big, Needs::default()).unwrap();
        assert_eq!(d.servings_per_day, dec!(1));
        assert_eq!(d.target, Some(5.0));
        assert_eq!(d.basis, Basis::BodyWeight);
    }

    #[test]
    fn caffeine_is_three_mg_per_kg_and_never_above_the_upper_limit() {
        let a = athlete(80.0, Sport::Endurance, 8.0);
        // 240 mg from 100 mg capsules: 2 capsules would be under 3 mg/kg; 3 (3.75 mg/kg) are in the range.
        let d = dose(
            &[("caffeine", dec!(100))],
            ServingKind::Counted,
            &a,
            Needs::default(),
        )
        .unwrap();
        assert_eq!(d.servings_per_day, dec!(3));
        assert_eq!(d.timing, Timing::PreWorkout);
        // 300 kg → 900 mg wanted; 400 mg EFSA cap → 4 capsules... then MAX_SERVINGS 4: 400 mg.
        let heavy = athlete(300.0, Sport::Endurance, 8.0);
        let d = dose(
            &[("caffeine", dec!(150))],
            ServingKind::Counted,
            &heavy,
            Needs::default(),
        )
        .unwrap();
        assert_eq!(
            d.servings_per_day,
            dec!(2),
            "2 × 150 = 300 mg; a third would pass 400"
        );
        assert_eq!(d.capped_by, Some(Cap::UpperLimit("caffeine".into())));
        // A capsule above the upper limit on its own is never dosed.
        assert_eq!(
            dose(
                &[("caffeine", dec!(450))],
                ServingKind::Counted,
                &a,
                Needs::default()
            ),
            Err(NoDose::TooStrong(Cap::UpperLimit("caffeine".into())))
        );
    }

    #[test]
    fn protein_follows_the_gap_not_a_fixed_share() {
        let whey = [("whey_protein", dec!(24))];
        let a = athlete(80.0, Sport::StrengthPower, 6.0);
        let gap = |g| Needs {
            protein_gap_g: Some(g),
        };
        assert_eq!(
            dose(&whey, ServingKind::Measured, &a, gap(50.0))
                .unwrap()
                .servings_per_day,
            dec!(2)
        );
        assert_eq!(
            dose(&whey, ServingKind::Measured, &a, gap(30.0))
                .unwrap()
                .servings_per_day,
            dec!(1.5)
        );
        assert_eq!(
            dose(&whey, ServingKind::Measured, &a, gap(28.0))
                .unwrap()
                .servings_per_day,
            dec!(1)
        );
        assert_eq!(
            dose(&whey, ServingKind::Measured, &a, gap(5.0)),
            Err(NoDose::NotNeeded)
        );
        // 200 g short: capped at four servings a day.
        let d = dose(&whey, ServingKind::Measured, &a, gap(200.0)).unwrap();
        assert_eq!(
            (d.servings_per_day, d.capped_by),
            (dec!(4), Some(Cap::MaxServings))
        );
        // Nothing logged: one feeding of 0.3 g/kg = 24 g.
        let d = dose(&whey, ServingKind::Measured, &a, Needs::default()).unwrap();
        assert_eq!(
            (d.servings_per_day, d.basis),
            (dec!(1), Basis::ProteinPerMeal)
        );
        // A blend sums its proteins.
        let blend = [("whey_protein", dec!(12)), ("casein_protein", dec!(12))];
        assert_eq!(
            dose(&blend, ServingKind::Measured, &a, gap(48.0))
                .unwrap()
                .servings_per_day,
            dec!(2)
        );
    }

    #[test]
    fn the_lowest_target_drives_a_multi_ingredient_product() {
        let a = athlete(80.0, Sport::TeamSport, 6.0);
        // Caffeine wants 240/200 = 1.2 servings, beta-alanine 4/3.2 = 1.25: caffeine drives. One
        // serving (200 mg) is under 3 mg/kg; 1.5 (300 mg, and 4.8 g beta-alanine) is in both ranges.
        let pre = [
            ("caffeine", dec!(200)),
            ("beta_alanine", dec!(3.2)),
            ("l_arginine", dec!(3)),
        ];
        let d = dose(&pre, ServingKind::Measured, &a, Needs::default()).unwrap();
        assert_eq!(d.driver.as_deref(), Some("caffeine"));
        assert_eq!(d.servings_per_day, dec!(1.5));
        // With 6 g beta-alanine a serving, 1.5 servings (9 g) would pass its 6.4 g top: one serving.
        let strong_ba = [("caffeine", dec!(200)), ("beta_alanine", dec!(6))];
        assert_eq!(
            dose(&strong_ba, ServingKind::Measured, &a, Needs::default())
                .unwrap()
                .servings_per_day,
            dec!(1)
        );
    }

    #[test]
    fn carbohydrate_and_electrolytes_only_for_sessions_over_an_hour() {
        let carbs = [("carbohydrate_maltodextrin", dec!(45))];
        let short = athlete(70.0, Sport::Endurance, 4.0);
        let long = athlete(70.0, Sport::Endurance, 10.0);
        assert_eq!(
            dose(&carbs, ServingKind::Measured, &short, Needs::default()),
            Err(NoDose::NotNeeded)
        );
        let d = dose(&carbs, ServingKind::Measured, &long, Needs::default()).unwrap();
        assert_eq!(
            (d.servings_per_day, d.timing),
            (dec!(2), Timing::DuringTraining)
        );
    }

    #[test]
    fn products_without_a_target_are_taken_as_labelled() {
        let a = athlete(70.0, Sport::GeneralFitness, 3.0);
        let d = dose(
            &[("l_glutamine", dec!(5))],
            ServingKind::Measured,
            &a,
            Needs::default(),
        )
        .unwrap();
        assert_eq!(
            (d.servings_per_day, d.basis, d.driver),
            (dec!(1), Basis::Label, None)
        );
        // …but never above an upper limit.
        assert!(matches!(
            dose(
                &[("vitamin_a", dec!(3500))],
                ServingKind::Counted,
                &a,
                Needs::default()
            ),
            Err(NoDose::TooStrong(Cap::UpperLimit(_)))
        ));
    }

    #[test]
    fn a_safety_threshold_caps_the_dose_or_rules_the_product_out() {
        let a = athlete(80.0, Sport::Endurance, 8.0);
        let caffeine = subs(&[("caffeine", dec!(100))]);
        let d = product_dose(
            &caffeine,
            ServingKind::Counted,
            &a,
            &Needs::default(),
            Some(dec!(2)),
        )
        .unwrap();
        assert_eq!(
            (d.servings_per_day, d.capped_by),
            (dec!(2), None),
            "2 is the wanted dose anyway"
        );
        let d = product_dose(
            &caffeine,
            ServingKind::Counted,
            &a,
            &Needs::default(),
            Some(dec!(1.5)),
        )
        .unwrap();
        assert_eq!(
            (d.servings_per_day, d.capped_by),
            (dec!(1), Some(Cap::SafetyRule))
        );
        assert_eq!(
            product_dose(
                &caffeine,
                ServingKind::Counted,
                &a,
                &Needs::default(),
                Some(dec!(0.9))
            ),
            Err(NoDose::TooStrong(Cap::SafetyRule))
        );
        // Powder can be halved.
        let d = product_dose(
            &caffeine,
            ServingKind::Measured,
            &a,
            &Needs::default(),
            Some(dec!(0.9)),
        )
        .unwrap();
        assert_eq!(d.servings_per_day, dec!(0.5));
    }

    #[test]
    fn vitamin_d_capsules_are_whole() {
        let a = athlete(70.0, Sport::TeamSport, 6.0);
        let d = dose(
            &[("vitamin_d3", dec!(2000))],
            ServingKind::Counted,
            &a,
            Needs::default(),
        )
        .unwrap();
        assert_eq!(
            d.servings_per_day,
            dec!(1),
            "half a capsule rounds up to one, under the 4000 IU limit"
        );
    }
}
