//! `/progress`: the athlete's daily log (weight, body, sleep, training, intake) and its trends.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, payload::Json};
use time::{Date, Duration, OffsetDateTime, macros::date};
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    error::{ApiError, FieldError},
    health_profile::{HealthProfile, today},
    nutrition::TrainingLoadName,
    responses::Done,
    security::BearerAuth,
};
use crate::{
    cache::Ns,
    db::{self, progress::Values},
    domain::{
        account::Role,
        nutrition::{self, TrainingLoad},
        progress::{self as trend, IntakeDay, Measures, Period},
    },
};

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
    fn from_row(row: db::progress::Entry) -> Result<Self, ApiError> {
        let e = row.values;
        let load = e
            .training_load
            .as_deref()
            .map(|l| {
                TrainingLoadName::parse(l).ok_or_else(|| {
                    ApiError::from(anyhow::anyhow!(
                        "a stored progress entry has an unknown load"
                    ))
                })
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

#[derive(Default)]
pub struct ProgressApi;

#[OpenApi(tag = "ApiTags::Progress")]
impl ProgressApi {
    /// Record a day
    ///
    /// 409 when the day already has an entry (replace it with PUT /progress/{date}). Athletes.
    #[oai(
        path = "/progress",
        method = "post",
        operation_id = "createProgressEntry"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<NewProgressEntry>,
    ) -> Result<Created, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let NewProgressEntry { date, values } = body.0;
        let values = validate(date, values)?;
        let created = db::progress::create(&state.pool, auth.0.user, date, &values)
            .await?
            .ok_or_else(|| {
                ApiError::conflict(
                    "date",
                    format!(
                        "there is already an entry for {date}; replace it with PUT /progress/{date}"
                    ),
                )
            })?;
        state.cache.invalidate(&[Ns::User(auth.0.user)]).await;
        Ok(Created::Created(
            Json(ProgressEntry::from_row(created)?),
            format!("/api/v1/progress/{date}"),
        ))
    }

    /// Entries in a date range
    ///
    /// Oldest first; `from` and `to` are inclusive and optional. Follow `next_from` for the next
    /// page. Athletes.
    #[oai(path = "/progress", method = "get", operation_id = "listProgress")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "366"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<ProgressPage>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        page(&state, auth.0.user, from.0, to.0, limit.0).await
    }

    /// Trends
    ///
    /// Over the `period` (`30d` by default; also weeks `12w`, months `3m`, a year `1y`) ending on
    /// `to` (default today): 7-day moving average weight, weekly rate of change, adherence to the
    /// energy target, estimated energy balance. Athletes.
    #[oai(
        path = "/progress/stats",
        method = "get",
        operation_id = "getProgressStats"
    )]
    async fn stats(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 8))] period: Query<Option<String>>,
        to: Query<Option<Date>>,
    ) -> Result<Json<ProgressStats>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        stats(&state, auth.0.user, period.0.as_deref(), to.0).await
    }

    /// A day's entry
    ///
    /// Athletes.
    #[oai(
        path = "/progress/:date",
        method = "get",
        operation_id = "getProgressEntry"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Path<Date>,
    ) -> Result<Json<ProgressEntry>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let entry = db::progress::get(&state.pool, auth.0.user, date.0)
            .await?
            .ok_or_else(|| ApiError::not_found("progress entry"))?;
        Ok(Json(ProgressEntry::from_row(entry)?))
    }

    /// Create or replace a day's entry
    ///
    /// Values left out are cleared. 201 when created, 200 when replaced. Athletes.
    #[oai(
        path = "/progress/:date",
        method = "put",
        operation_id = "putProgressEntry"
    )]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Path<Date>,
        body: Json<ProgressValues>,
    ) -> Result<Saved, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let date = date.0;
        let values = validate(date, body.0)?;
        let (entry, created) =
            db::progress::upsert(&state.pool, auth.0.user, date, &values).await?;
        state.cache.invalidate(&[Ns::User(auth.0.user)]).await;
        let entry = Json(ProgressEntry::from_row(entry)?);
        Ok(if created {
            Saved::Created(entry, format!("/api/v1/progress/{date}"))
        } else {
            Saved::Replaced(entry)
        })
    }

    /// Delete a day's entry
    ///
    /// Athletes.
    #[oai(
        path = "/progress/:date",
        method = "delete",
        operation_id = "deleteProgressEntry"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Path<Date>,
    ) -> Result<Done, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        if db::progress::delete(&state.pool, auth.0.user, date.0).await? {
            state.cache.invalidate(&[Ns::User(auth.0.user)]).await;
            Ok(Done::NoContent)
        } else {
            Err(ApiError::not_found("progress entry"))
        }
    }
}

/// Entries per page unless `limit` says otherwise: a month.
pub(super) fn default_limit() -> i64 {
    31
}

/// The earliest date an entry may have.
const FIRST_DATE: Date = date!(1900 - 01 - 01);

/// Checks the date and the values, naming every invalid field.
fn validate(date: Date, v: ProgressValues) -> Result<Values, ApiError> {
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
        Ok(_) => return Err(ApiError::validation(errors)),
        Err(invalid) => {
            errors.extend(
                invalid
                    .into_iter()
                    .map(|e| FieldError::out_of_range(e.field, &e)),
            );
            return Err(ApiError::validation(errors));
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

/// A page of `user`'s entries (shared with the coach's view).
pub(super) async fn page(
    state: &AppState,
    user: Uuid,
    from: Option<Date>,
    to: Option<Date>,
    limit: i64,
) -> Result<Json<ProgressPage>, ApiError> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::invalid("from", "must not be after `to`"));
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
    Ok(Json(ProgressPage { entries, next_from }))
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// `user`'s trends over `period` ending on `to` (shared with the coach's view).
pub(super) async fn stats(
    state: &AppState,
    user: Uuid,
    period: Option<&str>,
    to: Option<Date>,
) -> Result<Json<ProgressStats>, ApiError> {
    let period = match period {
        None => Period::DEFAULT,
        Some(raw) => Period::parse(raw).map_err(|m| ApiError::invalid("period", m))?,
    };
    let to = to.unwrap_or_else(today);
    let from = period.start(to);
    if from < FIRST_DATE {
        return Err(ApiError::invalid(
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

    // Each logged day's targets: the profile on that day, at the day's smoothed weight and load.
    let mut intake = Vec::new();
    if let Some(profile) = &profile {
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
    }
    let adherence = trend::adherence(&intake);
    let balance = trend::energy_balance(&intake, rate);
    let kcal = |v: Option<f64>| v.map(|v| round(v, 0));

    Ok(Json(ProgressStats {
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
    }))
}
