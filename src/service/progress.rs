//! The athlete's daily log (weight, body, sleep, training, intake) and its trends: moving-average
//! weight, its weekly rate, adherence to each day's energy target and the energy balance. A coach
//! with the athlete's grant reads the same.

use time::{Date, Duration, macros::date};
use uuid::Uuid;

use super::{AppState, Error, Result};
use crate::{
    api::{
        error::FieldError,
        health_profile::{HealthProfile, today},
        nutrition::TrainingLoadName,
        progress::dto::{
            Adherence, EnergyBalance, ProgressEntry, ProgressPage, ProgressStats, ProgressValues,
            WeightPoint, WeightTrend,
        },
    },
    cache::Ns,
    db::{self, progress::Values},
    domain::{
        nutrition::{self, TrainingLoad},
        progress::{self as trend, IntakeDay, Measures, Period},
    },
};

/// A new day's entry; a conflict when the day already has one.
pub async fn create(
    state: &AppState,
    user: Uuid,
    date: Date,
    values: ProgressValues,
) -> Result<ProgressEntry> {
    let values = validate(date, values)?;
    let created = db::progress::create(&state.pool, user, date, &values)
        .await?
        .ok_or_else(|| {
            Error::conflict(
                "date",
                format!(
                    "there is already an entry for {date}; replace it with PUT /progress/{date}"
                ),
            )
        })?;
    state.cache.invalidate(&[Ns::User(user)]).await;
    Ok(ProgressEntry::from_row(created)?)
}

/// The day's entry, created or replaced (values left out are cleared), and whether it was created.
pub async fn put(
    state: &AppState,
    user: Uuid,
    date: Date,
    values: ProgressValues,
) -> Result<(ProgressEntry, bool)> {
    let values = validate(date, values)?;
    let (entry, created) = db::progress::upsert(&state.pool, user, date, &values).await?;
    state.cache.invalidate(&[Ns::User(user)]).await;
    Ok((ProgressEntry::from_row(entry)?, created))
}

pub async fn get(state: &AppState, user: Uuid, date: Date) -> Result<ProgressEntry> {
    let entry = db::progress::get(&state.pool, user, date)
        .await?
        .ok_or(Error::NotFound("progress entry"))?;
    Ok(ProgressEntry::from_row(entry)?)
}

pub async fn delete(state: &AppState, user: Uuid, date: Date) -> Result<()> {
    if !db::progress::delete(&state.pool, user, date).await? {
        return Err(Error::NotFound("progress entry"));
    }
    state.cache.invalidate(&[Ns::User(user)]).await;
    Ok(())
}

/// The earliest date an entry may have.
const FIRST_DATE: Date = date!(1900 - 01 - 01);

/// Checks the date and the values, naming every invalid field.
fn validate(date: Date, v: ProgressValues) -> Result<Values> {
    let mut errors = Vec::new();
    // A day ahead of UTC is someone's today somewhere; more is a typo.
    if date > today() + Duration::days(1) {
        errors.push(FieldError::new("date", "must not be in the future"));
    } else if date < FIRST_DATE {
        errors.push(FieldError::new(
            "date",
            format!("must not be before {FIRST_DATE}"),
        ));
    }
    let measures = Measures::new(Measures {
        weight_kg: v.weight_kg,
        body_fat_pct: v.body_fat_pct,
        waist_cm: v.waist_cm,
        sleep_hours: v.sleep_hours,
        training_minutes: v.training_minutes,
        training_load: v.training_load.map(Into::into),
        energy_kcal: v.energy_kcal,
        protein_g: v.protein_g,
        carbohydrate_g: v.carbohydrate_g,
        fat_g: v.fat_g,
        notes: v.notes,
    });
    let m = match measures {
        Ok(m) if errors.is_empty() => m,
        Ok(_) => return Err(Error::Invalid(errors)),
        Err(invalid) => {
            errors.extend(
                invalid
                    .into_iter()
                    .map(|e| FieldError::out_of_range(e.field, &e)),
            );
            return Err(Error::Invalid(errors));
        }
    };
    Ok(Values {
        weight_kg: m.weight_kg,
        body_fat_pct: m.body_fat_pct,
        waist_cm: m.waist_cm,
        sleep_hours: m.sleep_hours,
        // Both are range-checked above (at most 1440 and 20000), so they fit.
        training_minutes: m.training_minutes.map(|x| x as i32),
        training_load: m
            .training_load
            .map(|l| TrainingLoadName::from(l).as_str().to_owned()),
        energy_kcal: m.energy_kcal.map(|x| x as i32),
        protein_g: m.protein_g,
        carbohydrate_g: m.carbohydrate_g,
        fat_g: m.fat_g,
        note: m.notes,
    })
}

/// A page of `user`'s entries, oldest first, from `from` to `to` (both inclusive when given).
pub async fn page(
    state: &AppState,
    user: Uuid,
    from: Option<Date>,
    to: Option<Date>,
    limit: i64,
) -> Result<ProgressPage> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(Error::invalid("from", "must not be after `to`"));
        }
    }
    let mut rows = db::progress::list(&state.pool, user, from, to, limit + 1).await?;
    let next_from = (rows.len() as i64 > limit)
        .then(|| rows.pop().map(|e| e.entry_date))
        .flatten();
    let entries = rows
        .into_iter()
        .map(ProgressEntry::from_row)
        .collect::<Result<_, _>>()?;
    Ok(ProgressPage { entries, next_from })
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// `user`'s trends over `period` (default 30 days) ending on `to` (default today).
pub async fn stats(
    state: &AppState,
    user: Uuid,
    period: Option<&str>,
    to: Option<Date>,
) -> Result<ProgressStats> {
    let period = match period {
        None => Period::DEFAULT,
        Some(raw) => Period::parse(raw).map_err(|m| Error::invalid("period", m))?,
    };
    let to = to.unwrap_or_else(today);
    let from = period.start(to);
    if from < FIRST_DATE {
        return Err(Error::invalid(
            "to",
            format!("the period must not start before {FIRST_DATE}"),
        ));
    }
    // The days before the period feed the first moving averages.
    let lead_in = from - Duration::days(trend::MOVING_AVERAGE_DAYS - 1);
    let rows = db::progress::list(&state.pool, user, Some(lead_in), Some(to), 400).await?;
    let profile = db::profiles::get(&state.pool, user)
        .await?
        .map(HealthProfile::from_row)
        .transpose()?;

    let weighins: Vec<(Date, f64)> = rows
        .iter()
        .filter_map(|e| e.values.weight_kg.map(|kg| (e.entry_date, kg)))
        .collect();
    let smoothed = trend::moving_average(&weighins);
    let in_period: Vec<(Date, f64)> = weighins.iter().copied().filter(|w| w.0 >= from).collect();
    let rate = trend::weekly_rate_kg(&in_period);
    let series: Vec<_> = smoothed.iter().filter(|s| s.date >= from).collect();
    let latest = series.last();

    let intake = profile
        .as_ref()
        .map(|p| intake_days(p, &rows, &smoothed, from))
        .unwrap_or_default();
    let adherence = trend::adherence(&intake);
    let balance = trend::energy_balance(&intake, rate);
    let kcal = |v: Option<f64>| v.map(|v| round(v, 0));

    Ok(ProgressStats {
        from,
        to,
        period_days: period.days(),
        entries: rows.iter().filter(|e| e.entry_date >= from).count() as u32,
        weight: WeightTrend {
            weigh_ins: series.len() as u32,
            latest_kg: latest.map(|s| s.weight_kg),
            latest_average_kg: latest.map(|s| round(s.average_kg, 2)),
            weekly_change_kg: rate.map(|r| round(r, 3)),
            weekly_change_pct: rate
                .zip(latest)
                .map(|(r, s)| round(100.0 * r / s.average_kg, 2)),
            series: series
                .iter()
                .map(|s| WeightPoint {
                    date: s.date,
                    weight_kg: s.weight_kg,
                    average_kg: round(s.average_kg, 2),
                })
                .collect(),
        },
        adherence: profile.is_some().then(|| Adherence {
            days_logged: adherence.days_logged as u32,
            days_on_target: adherence.days_on_target as u32,
            percent: adherence.percent.map(|p| round(p, 1)),
            tolerance_pct: 100.0 * trend::ADHERENCE_TOLERANCE,
        }),
        energy_balance: EnergyBalance {
            mean_intake_kcal: kcal(balance.mean_intake_kcal),
            mean_expenditure_kcal: kcal(balance.mean_expenditure_kcal),
            from_intake_kcal_per_day: kcal(balance.from_intake_kcal),
            from_weight_trend_kcal_per_day: kcal(balance.from_weight_trend_kcal),
        },
        sources: trend::SOURCES.iter().map(|s| s.to_string()).collect(),
    })
}

/// Each logged day's intake beside its targets: the profile on that day, at the day's smoothed
/// weight and load.
fn intake_days(
    profile: &HealthProfile,
    rows: &[db::progress::Entry],
    smoothed: &[trend::Smoothed],
    from: Date,
) -> Vec<IntakeDay> {
    let mut intake = Vec::new();
    for e in rows.iter().filter(|e| e.entry_date >= from) {
        let Some(consumed) = e.values.energy_kcal else {
            continue;
        };
        let Ok(athlete) = profile.athlete_on(e.entry_date) else {
            continue;
        };
        let weight = smoothed
            .iter()
            .take_while(|s| s.date <= e.entry_date)
            .last()
            .map(|s| s.average_kg);
        let athlete = match weight {
            Some(kg) => athlete.with_weight_kg(kg).unwrap_or(athlete),
            None => athlete,
        };
        let load = e
            .values
            .training_load
            .as_deref()
            .and_then(TrainingLoadName::parse)
            .map(TrainingLoad::from);
        let t = nutrition::targets(&athlete, load);
        intake.push(IntakeDay {
            consumed_kcal: f64::from(consumed),
            target_kcal: t.energy_kcal,
            expenditure_kcal: t.tdee_kcal,
        });
    }
    intake
}
