//! Daily energy and macronutrient targets from a body, a sport, a goal and the day's training load.
//!
//! Every constant is in [`TABLE`]'s neighbourhood with its source; the calculation is pure and total:
//! any valid [`Athlete`] gives finite, non-negative targets whose macros add up to the energy.

use super::invalid::Invalid;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// Habitual activity outside planned training, as the TDEE factor tables define it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActivityLevel {
    Sedentary,
    Light,
    Moderate,
    Active,
    VeryActive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sport {
    Endurance,
    StrengthPower,
    TeamSport,
    WeightClassCombat,
    Aesthetic,
    GeneralFitness,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Mass,
    Cut,
    Maintain,
    Endurance,
    Performance,
}

/// The day's training load; carbohydrate needs follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrainingLoad {
    Rest,
    Light,
    Moderate,
    Hard,
    VeryHard,
}

/// Accepted ranges of the inputs (inclusive).
pub const AGE_YEARS: (u32, u32) = (14, 100);
pub const WEIGHT_KG: (f64, f64) = (25.0, 300.0);
pub const HEIGHT_CM: (f64, f64) = (100.0, 250.0);
pub const BODY_FAT_PCT: (f64, f64) = (2.0, 70.0);
pub const TRAINING_HOURS_PER_WEEK: (f64, f64) = (0.0, 60.0);

/// A validated athlete: construct with [`Athlete::new`], which names the first field out of range.
#[derive(Debug, Clone, PartialEq)]
pub struct Athlete {
    age_years: u32,
    sex: Sex,
    weight_kg: f64,
    height_cm: f64,
    body_fat_pct: Option<f64>,
    activity: ActivityLevel,
    sport: Sport,
    goal: Goal,
    training_hours_per_week: f64,
}

/// A field out of range: its name and the accepted range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfRange {
    pub field: &'static str,
    pub invalid: Invalid,
}

impl OutOfRange {
    /// "must be between `lo` and `hi` `unit`".
    pub fn between(
        field: &'static str,
        lo: impl fmt::Display,
        hi: impl fmt::Display,
        unit: &str,
    ) -> Self {
        Self {
            field,
            invalid: Invalid::Range {
                min: lo.to_string(),
                max: hi.to_string(),
                unit: unit.to_owned(),
            },
        }
    }

    /// Any other problem with the field.
    pub fn other(field: &'static str, invalid: impl Into<Invalid>) -> Self {
        Self {
            field,
            invalid: invalid.into(),
        }
    }
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.invalid)
    }
}

fn check(
    field: &'static str,
    value: f64,
    (lo, hi): (f64, f64),
    unit: &str,
) -> Result<(), OutOfRange> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(OutOfRange::between(field, lo, hi, unit))
    }
}

impl Athlete {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        age_years: u32,
        sex: Sex,
        weight_kg: f64,
        height_cm: f64,
        body_fat_pct: Option<f64>,
        activity: ActivityLevel,
        sport: Sport,
        goal: Goal,
        training_hours_per_week: f64,
    ) -> Result<Self, Vec<OutOfRange>> {
        let mut errors = Vec::new();
        if !(AGE_YEARS.0..=AGE_YEARS.1).contains(&age_years) {
            errors.push(OutOfRange::between(
                "age",
                AGE_YEARS.0,
                AGE_YEARS.1,
                "years",
            ));
        }
        errors.extend(check("weight_kg", weight_kg, WEIGHT_KG, "kg").err());
        errors.extend(check("height_cm", height_cm, HEIGHT_CM, "cm").err());
        if let Some(bf) = body_fat_pct {
            errors.extend(check("body_fat_pct", bf, BODY_FAT_PCT, "%").err());
        }
        errors.extend(
            check(
                "training_hours_per_week",
                training_hours_per_week,
                TRAINING_HOURS_PER_WEEK,
                "h",
            )
            .err(),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            age_years,
            sex,
            weight_kg,
            height_cm,
            body_fat_pct,
            activity,
            sport,
            goal,
            training_hours_per_week,
        })
    }

    pub fn weight_kg(&self) -> f64 {
        self.weight_kg
    }

    pub fn age_years(&self) -> u32 {
        self.age_years
    }

    pub fn sport(&self) -> Sport {
        self.sport
    }

    pub fn goal(&self) -> Goal {
        self.goal
    }

    pub fn training_hours_per_week(&self) -> f64 {
        self.training_hours_per_week
    }

    /// The same athlete at another body weight (e.g. a day's weigh-in); body fat % is kept.
    pub fn with_weight_kg(&self, weight_kg: f64) -> Result<Self, OutOfRange> {
        check("weight_kg", weight_kg, WEIGHT_KG, "kg")?;
        Ok(Self {
            weight_kg,
            ..self.clone()
        })
    }

    /// Fat-free mass, when body fat is known.
    pub fn lean_mass_kg(&self) -> Option<f64> {
        self.body_fat_pct
            .map(|bf| self.weight_kg * (1.0 - bf / 100.0))
    }

    /// The usual day's load from weekly training hours, when the caller names none.
    pub fn habitual_load(&self) -> TrainingLoad {
        match self.training_hours_per_week {
            h if h < 1.0 => TrainingLoad::Rest,
            h if h < 5.0 => TrainingLoad::Light,
            h if h < 10.0 => TrainingLoad::Moderate,
            h if h < 15.0 => TrainingLoad::Hard,
            _ => TrainingLoad::VeryHard,
        }
    }
}

/// Which BMR equation was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BmrMethod {
    /// Mifflin MD, St Jeor ST et al. Am J Clin Nutr 1990;51:241–7.
    MifflinStJeor,
    /// Katch–McArdle (McArdle, Katch & Katch, Exercise Physiology): 370 + 21.6 × fat-free mass.
    KatchMcArdle,
}

/// Daily targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub bmr_method: BmrMethod,
    pub bmr_kcal: f64,
    pub activity_factor: f64,
    pub tdee_kcal: f64,
    pub goal_adjustment: f64,
    pub load: TrainingLoad,
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub carbohydrate_g: f64,
    pub fat_g: f64,
    pub fibre_g: f64,
    pub water_ml: f64,
}

impl Targets {
    /// Energy of the macros (Atwater factors 4/4/9 kcal per g).
    pub fn macro_energy_kcal(&self) -> f64 {
        ATWATER_PROTEIN * self.protein_g
            + ATWATER_CARBOHYDRATE * self.carbohydrate_g
            + ATWATER_FAT * self.fat_g
    }
}

// ---- The constants, with their sources ---------------------------------------------------------------

/// Atwater general factors, kcal per gram.
pub const ATWATER_PROTEIN: f64 = 4.0;
pub const ATWATER_CARBOHYDRATE: f64 = 4.0;
pub const ATWATER_FAT: f64 = 9.0;

/// TDEE = BMR × factor (FAO/WHO/UNU 2001 physical activity levels as tabulated for Mifflin–St Jeor).
pub fn activity_factor(level: ActivityLevel) -> f64 {
    match level {
        ActivityLevel::Sedentary => 1.2,
        ActivityLevel::Light => 1.375,
        ActivityLevel::Moderate => 1.55,
        ActivityLevel::Active => 1.725,
        ActivityLevel::VeryActive => 1.9,
    }
}

/// Energy change for the goal: mass +10–15 % (ISSN 2017 diets & body composition: modest surplus),
/// cut −15–25 % (we take −20 %), never below BMR × [`CUT_FLOOR_BMR`].
pub fn goal_adjustment(goal: Goal) -> f64 {
    match goal {
        Goal::Mass => 0.12,
        Goal::Cut => -0.20,
        Goal::Maintain | Goal::Endurance | Goal::Performance => 0.0,
    }
}
pub const CUT_FLOOR_BMR: f64 = 1.1;

/// Protein, g per kg body weight: ISSN position stand (Jäger et al. 2017) 1.4–2.0 g/kg/day;
/// ACSM/AND/DC 2016 1.2–2.0 g/kg. Strength and weight-class athletes at the upper part.
pub fn protein_g_per_kg(sport: Sport, goal: Goal) -> f64 {
    let base: f64 = match sport {
        Sport::Endurance | Sport::TeamSport => 1.6,
        Sport::StrengthPower | Sport::WeightClassCombat | Sport::Aesthetic => 1.8,
        Sport::GeneralFitness => 1.4,
    };
    match goal {
        Goal::Mass => base.clamp(1.8, 2.0),
        Goal::Cut => 2.0,
        _ => base,
    }
}

/// In a cut with known body fat: 2.3–3.1 g per kg fat-free mass (Helms et al. 2014, cited by the
/// ISSN 2017 stand); we take the middle.
pub const CUT_PROTEIN_G_PER_KG_LEAN: f64 = 2.7;

/// Carbohydrate, g per kg body weight, by the day's load (ACSM/AND/DC 2016; Burke et al. 2011):
/// light 3–5, moderate 5–7, high 6–10, very high 8–12. We take the low end of each range (the middle
/// of light's), which energy may exceed; rest days take the low end of light.
pub fn carbohydrate_g_per_kg(load: TrainingLoad) -> f64 {
    match load {
        TrainingLoad::Rest => 3.0,
        TrainingLoad::Light => 4.0,
        TrainingLoad::Moderate => 5.0,
        TrainingLoad::Hard => 6.0,
        TrainingLoad::VeryHard => 8.0,
    }
}

/// Fat between 20 % (ACSM/AND/DC 2016 lower bound) and 35 % (IOM AMDR upper bound) of energy.
pub const FAT_MIN_SHARE: f64 = 0.20;
pub const FAT_MAX_SHARE: f64 = 0.35;

/// Fibre: 14 g per 1000 kcal (IOM 2005 adequate intake).
pub const FIBRE_G_PER_1000_KCAL: f64 = 14.0;

/// Water: 35 ml per kg per day baseline (ESPEN adult guidance), plus 500 ml per training hour
/// (ACSM 2007 fluid replacement: 0.4–0.8 L/h sweat losses), spread over the week.
pub const WATER_ML_PER_KG: f64 = 35.0;
pub const WATER_ML_PER_TRAINING_HOUR: f64 = 500.0;

/// Literature behind the numbers, for the API's `sources`.
pub const SOURCES: &[&str] = &[
    "Mifflin MD, St Jeor ST, et al. A new predictive equation for resting energy expenditure. Am J Clin Nutr 1990;51:241-247",
    "McArdle WD, Katch FI, Katch VL. Exercise Physiology (Katch-McArdle equation)",
    "Jäger R, et al. ISSN position stand: protein and exercise. J Int Soc Sports Nutr 2017;14:20",
    "Aragon AA, et al. ISSN position stand: diets and body composition. J Int Soc Sports Nutr 2017;14:16",
    "Thomas DT, Erdman KA, Burke LM. ACSM/AND/DC joint position: Nutrition and Athletic Performance. Med Sci Sports Exerc 2016;48:543-568",
    "Helms ER, et al. Dietary protein for athletes in a caloric deficit. Int J Sport Nutr Exerc Metab 2014;24:127-138",
    "Institute of Medicine. Dietary Reference Intakes for Energy, Carbohydrate, Fiber, Fat... 2005",
    "Sawka MN, et al. ACSM position stand: exercise and fluid replacement. Med Sci Sports Exerc 2007;39:377-390",
];

// ---- The calculation ---------------------------------------------------------------------------------

/// Basal metabolic rate: Katch–McArdle when body fat is known, else Mifflin–St Jeor.
pub fn bmr(a: &Athlete) -> (BmrMethod, f64) {
    match a.lean_mass_kg() {
        Some(lean) => (BmrMethod::KatchMcArdle, 370.0 + 21.6 * lean),
        None => {
            let base = 10.0 * a.weight_kg + 6.25 * a.height_cm - 5.0 * f64::from(a.age_years);
            let sex = match a.sex {
                Sex::Male => 5.0,
                Sex::Female => -161.0,
            };
            (BmrMethod::MifflinStJeor, base + sex)
        }
    }
}

/// The day's targets; `load` defaults to the athlete's habitual load.
pub fn targets(a: &Athlete, load: Option<TrainingLoad>) -> Targets {
    let (bmr_method, bmr_kcal) = bmr(a);
    let factor = activity_factor(a.activity);
    let tdee = bmr_kcal * factor;
    let adjustment = goal_adjustment(a.goal);
    let mut energy = tdee * (1.0 + adjustment);
    if a.goal == Goal::Cut {
        energy = energy.max(bmr_kcal * CUT_FLOOR_BMR);
    }
    let load = load.unwrap_or_else(|| a.habitual_load());
    let w = a.weight_kg;

    let protein = match (a.goal, a.lean_mass_kg()) {
        (Goal::Cut, Some(lean)) => {
            (CUT_PROTEIN_G_PER_KG_LEAN * lean).max(protein_g_per_kg(a.sport, a.goal) * w)
        }
        _ => protein_g_per_kg(a.sport, a.goal) * w,
    };
    // Outside a cut, a hard day's carbohydrate (plus protein and the minimum fat) raises the energy
    // target: the load's fuel comes first (ACSM/AND/DC 2016), a deficit only when one is the goal.
    if a.goal != Goal::Cut {
        let fuelled = (ATWATER_PROTEIN * protein
            + ATWATER_CARBOHYDRATE * carbohydrate_g_per_kg(load) * w)
            / (1.0 - FAT_MIN_SHARE);
        energy = energy.max(fuelled);
    }
    // Protein never takes more than what leaves room for the minimum fat.
    let protein = protein.min(energy * (1.0 - FAT_MIN_SHARE) / ATWATER_PROTEIN);
    let after_protein = energy - ATWATER_PROTEIN * protein;
    let carbs_for_load = carbohydrate_g_per_kg(load) * w;
    // Fat fills what the load's carbohydrate leaves, kept within 20–35 % of energy; carbohydrate is the rest.
    let fat_kcal = (after_protein - ATWATER_CARBOHYDRATE * carbs_for_load)
        .clamp(FAT_MIN_SHARE * energy, FAT_MAX_SHARE * energy)
        .min(after_protein);
    let fat = fat_kcal / ATWATER_FAT;
    let carbohydrate = ((after_protein - fat_kcal) / ATWATER_CARBOHYDRATE).max(0.0);

    Targets {
        bmr_method,
        bmr_kcal,
        activity_factor: factor,
        tdee_kcal: tdee,
        goal_adjustment: adjustment,
        load,
        energy_kcal: energy,
        protein_g: protein,
        carbohydrate_g: carbohydrate,
        fat_g: fat,
        fibre_g: FIBRE_G_PER_1000_KCAL * energy / 1000.0,
        water_ml: WATER_ML_PER_KG * w
            + WATER_ML_PER_TRAINING_HOUR * a.training_hours_per_week / 7.0,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn athlete(weight: f64, goal: Goal, body_fat: Option<f64>) -> Athlete {
        Athlete::new(
            30,
            Sex::Male,
            weight,
            180.0,
            body_fat,
            ActivityLevel::Moderate,
            Sport::TeamSport,
            goal,
            6.0,
        )
        .unwrap()
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn mifflin_st_jeor_by_hand() {
        // Male, 30 y, 80 kg, 180 cm: 800 + 1125 - 150 + 5 = 1780 kcal; moderate: 1780 × 1.55 = 2759.
        let a = athlete(80.0, Goal::Maintain, None);
        assert_eq!(bmr(&a), (BmrMethod::MifflinStJeor, 1780.0));
        let t = targets(&a, None);
        assert!(close(t.tdee_kcal, 2759.0, 1e-9));
        assert!(close(t.energy_kcal, 2759.0, 1e-9));
        // Female, 25 y, 60 kg, 165 cm: 600 + 1031.25 - 125 - 161 = 1345.25 kcal.
        let f = Athlete::new(
            25,
            Sex::Female,
            60.0,
            165.0,
            None,
            ActivityLevel::Light,
            Sport::Endurance,
            Goal::Maintain,
            4.0,
        )
        .unwrap();
        assert_eq!(bmr(&f), (BmrMethod::MifflinStJeor, 1345.25));
        assert!(close(targets(&f, None).tdee_kcal, 1345.25 * 1.375, 1e-9));
    }

    #[test]
    fn katch_mcardle_when_body_fat_is_known() {
        // 80 kg at 15 % fat: 68 kg lean; 370 + 21.6 × 68 = 1838.8 kcal.
        let a = athlete(80.0, Goal::Maintain, Some(15.0));
        let (method, kcal) = bmr(&a);
        assert_eq!(method, BmrMethod::KatchMcArdle);
        assert!(close(kcal, 1838.8, 1e-9));
    }

    #[test]
    fn goals_move_energy_and_a_cut_keeps_its_floor() {
        let maintain = targets(&athlete(80.0, Goal::Maintain, None), None).energy_kcal;
        assert!(close(
            targets(&athlete(80.0, Goal::Mass, None), None).energy_kcal,
            maintain * 1.12,
            1e-9
        ));
        assert!(close(
            targets(&athlete(80.0, Goal::Cut, None), None).energy_kcal,
            maintain * 0.8,
            1e-9
        ));
        // Sedentary cut: 0.8 × 1.2 × BMR = 0.96 BMR, below the floor of 1.1 × BMR.
        let sedentary = Athlete::new(
            30,
            Sex::Male,
            80.0,
            180.0,
            None,
            ActivityLevel::Sedentary,
            Sport::GeneralFitness,
            Goal::Cut,
            0.0,
        )
        .unwrap();
        assert!(close(
            targets(&sedentary, None).energy_kcal,
            1780.0 * 1.1,
            1e-9
        ));
    }

    #[test]
    fn macros_by_hand() {
        // 80 kg team-sport athlete, maintain, moderate day: energy 2759; protein 1.6 × 80 = 128 g (512 kcal);
        // carbohydrate for the load 5 × 80 = 400 g (1600 kcal); fat the rest, 647 kcal = 23.5 % (71.9 g).
        let t = targets(
            &athlete(80.0, Goal::Maintain, None),
            Some(TrainingLoad::Moderate),
        );
        assert!(close(t.energy_kcal, 2759.0, 1e-9));
        assert!(close(t.protein_g, 128.0, 1e-9));
        assert!(close(t.carbohydrate_g, 400.0, 1e-9));
        assert!(close(t.fat_g, 647.0 / 9.0, 1e-9));
        // Hard day: 6 × 80 = 480 g needs (512 + 1920) / 0.8 = 3040 kcal with 20 % fat: energy rises.
        let hard = targets(
            &athlete(80.0, Goal::Maintain, None),
            Some(TrainingLoad::Hard),
        );
        assert!(close(hard.energy_kcal, 3040.0, 1e-9));
        assert!(close(hard.carbohydrate_g, 480.0, 1e-9));
        // A cut keeps its deficit instead: carbohydrate gives way.
        let cut_hard = targets(&athlete(80.0, Goal::Cut, None), Some(TrainingLoad::Hard));
        assert!(close(cut_hard.energy_kcal, 2759.0 * 0.8, 1e-9));
        // Rest day: carbohydrate 3 × 80 = 240 g (960 kcal) leaves 1287 kcal = 46.6 %: fat capped at 35 %.
        let rest = targets(
            &athlete(80.0, Goal::Maintain, None),
            Some(TrainingLoad::Rest),
        );
        assert!(close(rest.fat_g * 9.0, 0.35 * 2759.0, 1e-9));
        assert!(rest.carbohydrate_g > 240.0);
        // Cut with known body fat: 2.7 g per kg lean (68 kg → 183.6 g) beats 2.0 g/kg × 80 = 160 g.
        let cut = targets(&athlete(80.0, Goal::Cut, Some(15.0)), None);
        assert!(close(cut.protein_g, 183.6, 1e-9));
        // Fibre and water.
        assert!(close(t.fibre_g, 14.0 * 2.759, 1e-9));
        assert!(close(t.water_ml, 35.0 * 80.0 + 500.0 * 6.0 / 7.0, 1e-9));
    }

    #[test]
    fn out_of_range_inputs_name_their_field() {
        let errors = Athlete::new(
            13,
            Sex::Female,
            301.0,
            99.0,
            Some(80.0),
            ActivityLevel::Light,
            Sport::Aesthetic,
            Goal::Cut,
            f64::NAN,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "age",
                "weight_kg",
                "height_cm",
                "body_fat_pct",
                "training_hours_per_week"
            ]
        );
        // The bounds themselves are valid.
        assert!(
            Athlete::new(
                14,
                Sex::Male,
                25.0,
                100.0,
                Some(2.0),
                ActivityLevel::Light,
                Sport::Aesthetic,
                Goal::Cut,
                0.0
            )
            .is_ok()
        );
        assert!(
            Athlete::new(
                100,
                Sex::Male,
                300.0,
                250.0,
                Some(70.0),
                ActivityLevel::Light,
                Sport::Aesthetic,
                Goal::Cut,
                60.0
            )
            .is_ok()
        );
    }

    fn any_athlete() -> impl Strategy<Value = Athlete> {
        (
            14u32..=100,
            prop::bool::ANY,
            25.0f64..=300.0,
            100.0f64..=250.0,
            prop::option::of(2.0f64..=70.0),
            0usize..5,
            0usize..6,
            0usize..5,
            0.0f64..=60.0,
        )
            .prop_map(|(age, male, w, h, bf, act, sport, goal, hours)| {
                let activity = [
                    ActivityLevel::Sedentary,
                    ActivityLevel::Light,
                    ActivityLevel::Moderate,
                    ActivityLevel::Active,
                    ActivityLevel::VeryActive,
                ][act];
                let sport = [
                    Sport::Endurance,
                    Sport::StrengthPower,
                    Sport::TeamSport,
                    Sport::WeightClassCombat,
                    Sport::Aesthetic,
                    Sport::GeneralFitness,
                ][sport];
                let goal = [
                    Goal::Mass,
                    Goal::Cut,
                    Goal::Maintain,
                    Goal::Endurance,
                    Goal::Performance,
                ][goal];
                let sex = if male { Sex::Male } else { Sex::Female };
                Athlete::new(age, sex, w, h, bf, activity, sport, goal, hours).unwrap()
            })
    }

    fn any_load() -> impl Strategy<Value = Option<TrainingLoad>> {
        prop::option::of(prop::sample::select(vec![
            TrainingLoad::Rest,
            TrainingLoad::Light,
            TrainingLoad::Moderate,
            TrainingLoad::Hard,
            TrainingLoad::VeryHard,
        ]))
    }

    proptest! {
        #[test]
        fn targets_are_finite_non_negative_and_consistent(a in any_athlete(), load in any_load()) {
            let t = targets(&a, load);
            for v in [t.bmr_kcal, t.tdee_kcal, t.energy_kcal, t.protein_g, t.carbohydrate_g, t.fat_g, t.fibre_g, t.water_ml] {
                prop_assert!(v.is_finite() && v >= 0.0, "{t:?}");
            }
            prop_assert!(t.energy_kcal > 0.0);
            // Calories and macros agree within 1 %.
            prop_assert!((t.macro_energy_kcal() - t.energy_kcal).abs() <= 0.01 * t.energy_kcal, "{t:?}");
            // Fat within 20–35 % of energy.
            let fat_share = t.fat_g * ATWATER_FAT / t.energy_kcal;
            prop_assert!((FAT_MIN_SHARE - 1e-9..=FAT_MAX_SHARE + 1e-9).contains(&fat_share), "{fat_share}");
            // A cut never goes below 1.1 × BMR.
            prop_assert!(t.energy_kcal >= t.bmr_kcal.min(t.tdee_kcal) - 1e-9);
        }

        #[test]
        fn targets_grow_with_weight(a in any_athlete(), load in any_load(), extra in 0.1f64..20.0) {
            let heavier_w = (a.weight_kg + extra).min(WEIGHT_KG.1);
            prop_assume!(heavier_w > a.weight_kg);
            let heavier = Athlete { weight_kg: heavier_w, ..a.clone() };
            let (t, u) = (targets(&a, load), targets(&heavier, load));
            prop_assert!(u.bmr_kcal >= t.bmr_kcal);
            prop_assert!(u.energy_kcal >= t.energy_kcal);
            prop_assert!(u.protein_g >= t.protein_g - 1e-9);
            prop_assert!(u.water_ml >= t.water_ml);
        }
    }
}
