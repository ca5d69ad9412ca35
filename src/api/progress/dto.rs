//! The daily log and its trends as athletes and their coaches read and write them.

use poem_openapi::{ApiResponse, Object, payload::Json};
use time::{Date, OffsetDateTime};

use crate::{api::nutrition::TrainingLoadName, db};

/// What an athlete records for a day; every value is optional, but one is needed.
#[derive(Object, Debug, Clone, Default)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgressValues {
    /// 25 to 300 kg.
    pub weight_kg: Option<f64>,
    /// 2 to 70 %.
    pub body_fat_pct: Option<f64>,
    /// 40 to 250 cm.
    pub waist_cm: Option<f64>,
    /// 0 to 24 h.
    pub sleep_hours: Option<f64>,
    /// 0 to 1440 min.
    pub training_minutes: Option<u32>,
    /// The day's training load; adherence compares intake with that day's target.
    pub training_load: Option<TrainingLoadName>,
    /// Energy consumed, 0 to 20000 kcal.
    pub energy_kcal: Option<u32>,
    pub protein_g: Option<f64>,
    pub carbohydrate_g: Option<f64>,
    pub fat_g: Option<f64>,
    /// Up to 2000 characters.
    pub notes: Option<String>,
}

/// A new entry (POST): the date and the day's values.
#[derive(Object, Debug, Clone)]
pub struct NewProgressEntry {
    pub date: Date,
    #[oai(flatten)]
    pub values: ProgressValues,
}

/// A day's entry.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgressEntry {
    pub date: Date,
    #[oai(skip_serializing_if_is_none)]
    pub weight_kg: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub body_fat_pct: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub waist_cm: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub sleep_hours: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub training_minutes: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    pub training_load: Option<TrainingLoadName>,
    #[oai(skip_serializing_if_is_none)]
    pub energy_kcal: Option<u32>,
    #[oai(skip_serializing_if_is_none)]
    pub protein_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub carbohydrate_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub fat_g: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub notes: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl ProgressEntry {
    pub fn from_row(row: db::progress::Entry) -> anyhow::Result<Self> {
        let e = row.values;
        let load = e
            .training_load
            .as_deref()
            .map(|l| {
                TrainingLoadName::parse(l)
                    .ok_or_else(|| anyhow::anyhow!("a stored progress entry has an unknown load"))
            })
            .transpose()?;
        Ok(Self {
            date: row.entry_date,
            weight_kg: e.weight_kg,
            body_fat_pct: e.body_fat_pct,
            waist_cm: e.waist_cm,
            sleep_hours: e.sleep_hours,
            training_minutes: e.training_minutes.and_then(|m| u32::try_from(m).ok()),
            training_load: load,
            energy_kcal: e.energy_kcal.and_then(|k| u32::try_from(k).ok()),
            protein_g: e.protein_g,
            carbohydrate_g: e.carbohydrate_g,
            fat_g: e.fat_g,
            notes: e.note,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A page of entries, oldest first.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgressPage {
    pub entries: Vec<ProgressEntry>,
    /// Pass as `from` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_from: Option<Date>,
}

/// A weigh-in and the 7-day moving average ending on it.
#[derive(Object, Debug)]
pub struct WeightPoint {
    pub date: Date,
    pub weight_kg: f64,
    pub average_kg: f64,
}

/// Body-weight trend over the period.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct WeightTrend {
    pub weigh_ins: u32,
    pub latest_kg: Option<f64>,
    /// The 7-day moving average at the latest weigh-in.
    pub latest_average_kg: Option<f64>,
    /// Least-squares slope of the weigh-ins, per week; needs weigh-ins at least 7 days apart.
    pub weekly_change_kg: Option<f64>,
    /// `weekly_change_kg` as a percentage of the latest average.
    pub weekly_change_pct: Option<f64>,
    /// Every weigh-in of the period with its moving average.
    pub series: Vec<WeightPoint>,
}

/// Days whose logged intake was within ±10 % of that day's energy target.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Adherence {
    /// Days with `energy_kcal` logged.
    pub days_logged: u32,
    pub days_on_target: u32,
    /// `days_on_target` of `days_logged`; absent when none were logged.
    pub percent: Option<f64>,
    pub tolerance_pct: f64,
}

/// Estimated daily energy balance (negative: a deficit), two ways.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct EnergyBalance {
    pub mean_intake_kcal: Option<f64>,
    /// Estimated expenditure (TDEE from the profile and the day's weight).
    pub mean_expenditure_kcal: Option<f64>,
    /// Mean logged intake minus mean estimated expenditure.
    pub from_intake_kcal_per_day: Option<f64>,
    /// The weight trend times 7700 kcal/kg, per day.
    pub from_weight_trend_kcal_per_day: Option<f64>,
}

/// Trends over a period.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgressStats {
    pub from: Date,
    pub to: Date,
    pub period_days: u32,
    /// Entries in the period.
    pub entries: u32,
    pub weight: WeightTrend,
    /// Absent without a health profile (no targets to compare with).
    pub adherence: Option<Adherence>,
    pub energy_balance: EnergyBalance,
    pub sources: Vec<String>,
}

#[derive(ApiResponse)]
pub enum Created {
    /// The entry was created.
    #[oai(status = 201)]
    Created(Json<ProgressEntry>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
pub enum Saved {
    /// The entry was created.
    #[oai(status = 201)]
    Created(Json<ProgressEntry>, #[oai(header = "Location")] String),
    /// The day's entry was replaced.
    #[oai(status = 200)]
    Replaced(Json<ProgressEntry>),
}
