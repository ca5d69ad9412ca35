//! Progress entries (one per athlete and day) and the trends read from them: a 7-day moving average
//! of body weight, the weekly rate of change, adherence to the energy target and the energy balance.

use time::{Date, Duration};

use super::{
    invalid::Invalid,
    nutrition::{BODY_FAT_PCT, OutOfRange, TrainingLoad, WEIGHT_KG},
};

pub const WAIST_CM: (f64, f64) = (40.0, 250.0);
pub const SLEEP_HOURS: (f64, f64) = (0.0, 24.0);
pub const TRAINING_MINUTES: (u32, u32) = (0, 1440);
pub const ENERGY_KCAL: (u32, u32) = (0, 20_000);
pub const PROTEIN_G: (f64, f64) = (0.0, 2000.0);
pub const CARBOHYDRATE_G: (f64, f64) = (0.0, 3000.0);
pub const FAT_G: (f64, f64) = (0.0, 1000.0);
pub const NOTES_MAX_CHARS: usize = 2000;

/// What an athlete recorded for one day; construct with [`Measures::new`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    pub weight_kg: Option<f64>,
    pub body_fat_pct: Option<f64>,
    pub waist_cm: Option<f64>,
    pub sleep_hours: Option<f64>,
    pub training_minutes: Option<u32>,
    pub training_load: Option<TrainingLoad>,
    pub energy_kcal: Option<u32>,
    pub protein_g: Option<f64>,
    pub carbohydrate_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub notes: Option<String>,
}

fn check(
    field: &'static str,
    value: Option<f64>,
    (lo, hi): (f64, f64),
    unit: &str,
) -> Option<OutOfRange> {
    match value {
        Some(v) if !(v.is_finite() && (lo..=hi).contains(&v)) => {
            Some(OutOfRange::between(field, lo, hi, unit))
        }
        _ => None,
    }
}

fn check_int(
    field: &'static str,
    value: Option<u32>,
    (lo, hi): (u32, u32),
    unit: &str,
) -> Option<OutOfRange> {
    check(
        field,
        value.map(f64::from),
        (f64::from(lo), f64::from(hi)),
        unit,
    )
}

impl Measures {
    /// Checks every value's range and the notes; blank notes count as none. At least one value or
    /// a note is needed.
    pub fn new(mut m: Measures) -> Result<Self, Vec<OutOfRange>> {
        let mut errors: Vec<OutOfRange> = [
            check("weight_kg", m.weight_kg, WEIGHT_KG, "kg"),
            check("body_fat_pct", m.body_fat_pct, BODY_FAT_PCT, "%"),
            check("waist_cm", m.waist_cm, WAIST_CM, "cm"),
            check("sleep_hours", m.sleep_hours, SLEEP_HOURS, "h"),
            check_int(
                "training_minutes",
                m.training_minutes,
                TRAINING_MINUTES,
                "min",
            ),
            check_int("energy_kcal", m.energy_kcal, ENERGY_KCAL, "kcal"),
            check("protein_g", m.protein_g, PROTEIN_G, "g"),
            check("carbohydrate_g", m.carbohydrate_g, CARBOHYDRATE_G, "g"),
            check("fat_g", m.fat_g, FAT_G, "g"),
        ]
        .into_iter()
        .flatten()
        .collect();
        m.notes = m
            .notes
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if let Some(notes) = &m.notes {
            if notes.chars().count() > NOTES_MAX_CHARS {
                errors.push(OutOfRange::other(
                    "notes",
                    Invalid::TooLong {
                        max: NOTES_MAX_CHARS,
                    },
                ));
            }
            // Line breaks and tabs are text; other control characters only corrupt logs and exports.
            if notes
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
            {
                errors.push(OutOfRange::other(
                    "notes",
                    "must not contain control characters",
                ));
            }
        }
        if errors.is_empty() && m == Measures::default() {
            errors.push(OutOfRange::other(
                "entry",
                "give at least one measurement or a note",
            ));
        }
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }
}

/// How many days a stats period covers: `30d`, `12w`, `3m` (30-day months), `1y`; 7 to 366 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period(u32);

impl Period {
    pub const DEFAULT: Period = Period(30);
    pub const DAYS: (u32, u32) = (7, 366);

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let unit = raw.chars().last().unwrap_or(' ');
        let unit_days = match unit {
            'd' => 1,
            'w' => 7,
            'm' => 30,
            'y' => 365,
            _ => 0,
        };
        let count = raw[..raw.len() - unit.len_utf8().min(raw.len())]
            .parse::<u32>()
            .ok();
        match count
            .filter(|_| unit_days > 0)
            .and_then(|n| n.checked_mul(unit_days))
        {
            Some(days) if (Self::DAYS.0..=Self::DAYS.1).contains(&days) => Ok(Self(days)),
            Some(_) => Err(Invalid::PeriodDays {
                min: Self::DAYS.0,
                max: Self::DAYS.1,
            }),
            None => Err(Invalid::Period),
        }
    }

    pub fn days(self) -> u32 {
        self.0
    }

    /// The first day of the period that ends (inclusively) on `to`.
    pub fn start(self, to: Date) -> Date {
        to - Duration::days(i64::from(self.0) - 1)
    }
}

/// Days the moving average spans, the day itself included.
pub const MOVING_AVERAGE_DAYS: i64 = 7;

/// Energy in a kilogram of body-weight change, the classic approximation (Wishnofsky 1958: 3500 kcal
/// per pound). Hall (2008) shows the true figure varies with body composition; it is an estimate.
pub const KCAL_PER_KG: f64 = 7700.0;

/// Where the trend methods come from.
pub const SOURCES: &[&str] = &[
    "Wishnofsky M. Caloric equivalents of gained or lost weight. Am J Clin Nutr 1958;6:542-546",
    "Hall KD. What is the required energy deficit per unit weight loss? Int J Obes 2008;32:573-576",
    "Mifflin MD, St Jeor ST, et al. A new predictive equation for resting energy expenditure. Am J Clin Nutr 1990;51:241-247",
];

/// Consumption within this fraction of the target counts as on target.
pub const ADHERENCE_TOLERANCE: f64 = 0.10;

/// The weekly rate needs weigh-ins spanning at least this many days.
pub const RATE_MIN_SPAN_DAYS: i64 = 7;

/// A weigh-in with the trailing moving average of the weigh-ins in the [`MOVING_AVERAGE_DAYS`]
/// calendar days ending on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smoothed {
    pub date: Date,
    pub weight_kg: f64,
    pub average_kg: f64,
}

/// The trailing moving average at every weigh-in; `weighins` must be sorted by date, one per day.
pub fn moving_average(weighins: &[(Date, f64)]) -> Vec<Smoothed> {
    let mut out = Vec::with_capacity(weighins.len());
    let mut start = 0;
    let mut sum = 0.0;
    for (i, &(date, kg)) in weighins.iter().enumerate() {
        sum += kg;
        while weighins[start].0 <= date - Duration::days(MOVING_AVERAGE_DAYS) {
            sum -= weighins[start].1;
            start += 1;
        }
        out.push(Smoothed {
            date,
            weight_kg: kg,
            average_kg: sum / (i + 1 - start) as f64,
        });
    }
    out
}

/// Weight change per week, kg: the least-squares slope of weight over time, times seven. `None` with
/// fewer than two weigh-ins or when they span less than [`RATE_MIN_SPAN_DAYS`].
pub fn weekly_rate_kg(weighins: &[(Date, f64)]) -> Option<f64> {
    let (first, last) = (weighins.first()?, weighins.last()?);
    if (last.0 - first.0).whole_days() < RATE_MIN_SPAN_DAYS {
        return None;
    }
    let n = weighins.len() as f64;
    let x = |d: Date| (d - first.0).whole_days() as f64;
    let mean_x = weighins.iter().map(|w| x(w.0)).sum::<f64>() / n;
    let mean_y = weighins.iter().map(|w| w.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(d, kg) in weighins {
        sxy += (x(d) - mean_x) * (kg - mean_y);
        sxx += (x(d) - mean_x).powi(2);
    }
    Some(sxy / sxx * 7.0)
}

/// A day's consumed energy against its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntakeDay {
    pub consumed_kcal: f64,
    pub target_kcal: f64,
    /// The estimated expenditure (TDEE) that day.
    pub expenditure_kcal: f64,
}

/// How often the athlete ate within [`ADHERENCE_TOLERANCE`] of the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adherence {
    pub days_logged: usize,
    pub days_on_target: usize,
    /// `None` when no day was logged.
    pub percent: Option<f64>,
}

pub fn adherence(days: &[IntakeDay]) -> Adherence {
    let on_target = days
        .iter()
        .filter(|d| (d.consumed_kcal - d.target_kcal).abs() <= ADHERENCE_TOLERANCE * d.target_kcal)
        .count();
    Adherence {
        days_logged: days.len(),
        days_on_target: on_target,
        percent: (!days.is_empty()).then(|| 100.0 * on_target as f64 / days.len() as f64),
    }
}

/// The energy balance two ways: logged intake minus estimated expenditure, and what the weight trend
/// implies ([`KCAL_PER_KG`]). They disagree when logging or the expenditure estimate is off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnergyBalance {
    pub mean_intake_kcal: Option<f64>,
    pub mean_expenditure_kcal: Option<f64>,
    /// Per day; negative is a deficit.
    pub from_intake_kcal: Option<f64>,
    /// Per day, from [`weekly_rate_kg`].
    pub from_weight_trend_kcal: Option<f64>,
}

pub fn energy_balance(days: &[IntakeDay], weekly_rate_kg: Option<f64>) -> EnergyBalance {
    let mean = |f: fn(&IntakeDay) -> f64| {
        (!days.is_empty()).then(|| days.iter().map(f).sum::<f64>() / days.len() as f64)
    };
    let intake = mean(|d| d.consumed_kcal);
    let expenditure = mean(|d| d.expenditure_kcal);
    EnergyBalance {
        mean_intake_kcal: intake,
        mean_expenditure_kcal: expenditure,
        from_intake_kcal: intake.zip(expenditure).map(|(i, e)| i - e),
        from_weight_trend_kcal: weekly_rate_kg.map(|r| r * KCAL_PER_KG / 7.0),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    fn day(n: i64) -> Date {
        date!(2026 - 01 - 01) + Duration::days(n)
    }

    #[test]
    fn measures_name_every_field_out_of_range() {
        let err = Measures::new(Measures {
            weight_kg: Some(20.0),
            sleep_hours: Some(25.0),
            training_minutes: Some(2000),
            energy_kcal: Some(30_000),
            fat_g: Some(f64::NAN),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "weight_kg",
                "sleep_hours",
                "training_minutes",
                "energy_kcal",
                "fat_g"
            ]
        );
        assert_eq!(err[0].invalid.to_string(), "must be between 25 and 300 kg");
    }

    #[test]
    fn an_entry_needs_a_value_and_blank_notes_are_none() {
        let err = Measures::new(Measures {
            notes: Some("  \n ".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err[0].field, "entry");
        let ok = Measures::new(Measures {
            notes: Some("  felt strong\n".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.notes.as_deref(), Some("felt strong"));
    }

    #[test]
    fn notes_reject_control_characters_and_overflow() {
        let err = Measures::new(Measures {
            weight_kg: Some(80.0),
            notes: Some(format!("a\u{1b}[31m{}", "x".repeat(NOTES_MAX_CHARS))),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(err.iter().all(|e| e.field == "notes"));
        // Non-ASCII counts as characters, not bytes.
        assert!(
            Measures::new(Measures {
                notes: Some("ћ".repeat(NOTES_MAX_CHARS)),
                ..Default::default()
            })
            .is_ok()
        );
    }

    #[test]
    fn periods_parse_in_days_weeks_months_and_years() {
        assert_eq!(Period::parse("30d").unwrap().days(), 30);
        assert_eq!(Period::parse("12w").unwrap().days(), 84);
        assert_eq!(Period::parse("3m").unwrap().days(), 90);
        assert_eq!(Period::parse("1y").unwrap().days(), 365);
        assert_eq!(Period::parse("7d").unwrap().start(day(6)), day(0));
        for bad in [
            "",
            "d",
            "30",
            "6d",
            "367d",
            "2y",
            "-5d",
            "x1d",
            "99999999999w",
            "30 d",
            "3ћ",
            "ћ",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn moving_average_uses_the_calendar_window() {
        let w = [
            (day(0), 80.0),
            (day(1), 81.0),
            (day(3), 82.0),
            (day(7), 84.0),
            (day(20), 70.0),
        ];
        let avg: Vec<f64> = moving_average(&w).iter().map(|s| s.average_kg).collect();
        // Day 7's window is days 1–7: day 0 has left it.
        assert_eq!(avg, [80.0, 80.5, 81.0, (81.0 + 82.0 + 84.0) / 3.0, 70.0]);
    }

    #[test]
    fn weekly_rate_is_the_least_squares_slope() {
        // Hand-computed: losing 0.1 kg a day exactly is -0.7 kg a week.
        let line: Vec<_> = (0..15).map(|i| (day(i), 80.0 - 0.1 * i as f64)).collect();
        assert!((weekly_rate_kg(&line).unwrap() + 0.7).abs() < 1e-9);
        // x = 0, 7, 14; y = 80, 79, 79 → slope = -1/14 kg/day → -0.5 kg/week.
        let noisy = [(day(0), 80.0), (day(7), 79.0), (day(14), 79.0)];
        assert!((weekly_rate_kg(&noisy).unwrap() + 0.5).abs() < 1e-9);
        assert_eq!(weekly_rate_kg(&[(day(0), 80.0), (day(6), 79.0)]), None);
        assert_eq!(weekly_rate_kg(&[(day(0), 80.0)]), None);
        assert_eq!(weekly_rate_kg(&[]), None);
    }

    #[test]
    fn adherence_counts_days_within_ten_percent() {
        let d = |consumed| IntakeDay {
            consumed_kcal: consumed,
            target_kcal: 2000.0,
            expenditure_kcal: 2500.0,
        };
        let a = adherence(&[d(2000.0), d(2200.0), d(1800.0), d(2201.0), d(1000.0)]);
        assert_eq!((a.days_logged, a.days_on_target), (5, 3));
        assert_eq!(a.percent, Some(60.0));
        assert_eq!(adherence(&[]).percent, None);
    }

    #[test]
    fn energy_balance_from_intake_and_from_weight() {
        let days = [
            IntakeDay {
                consumed_kcal: 2000.0,
                target_kcal: 2000.0,
                expenditure_kcal: 2500.0,
            },
            IntakeDay {
                consumed_kcal: 2400.0,
                target_kcal: 2000.0,
                expenditure_kcal: 2500.0,
            },
        ];
        let b = energy_balance(&days, Some(-0.35));
        assert_eq!(b.mean_intake_kcal, Some(2200.0));
        assert_eq!(b.from_intake_kcal, Some(-300.0));
        // -0.35 kg/week × 7700 kcal/kg ÷ 7 = -385 kcal/day.
        assert!((b.from_weight_trend_kcal.unwrap() + 385.0).abs() < 1e-9);
        let none = energy_balance(&[], None);
        assert_eq!(
            (none.from_intake_kcal, none.from_weight_trend_kcal),
            (None, None)
        );
    }

    proptest! {
        #[test]
        fn averages_stay_within_the_weights_seen(
            gaps in prop::collection::vec(1i64..5, 1..60),
            weights in prop::collection::vec(25.0f64..300.0, 60),
        ) {
            let mut d = day(0);
            let w: Vec<_> = gaps.iter().zip(&weights).map(|(g, &kg)| { d += Duration::days(*g); (d, kg) }).collect();
            let lo = weights.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = weights.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            for s in moving_average(&w) {
                prop_assert!(s.average_kg >= lo - 1e-9 && s.average_kg <= hi + 1e-9);
            }
            if let Some(rate) = weekly_rate_kg(&w) {
                prop_assert!(rate.is_finite());
            }
        }

        #[test]
        fn a_constant_weight_has_no_trend(kg in 25.0f64..300.0, n in 2usize..40) {
            let w: Vec<_> = (0..n as i64).map(|i| (day(i * 3), kg)).collect();
            prop_assert!(weekly_rate_kg(&w).is_none_or(|r| r.abs() < 1e-9));
        }
    }
}
