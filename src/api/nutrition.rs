//! `/nutrition`: daily energy and macronutrient targets.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use time::Date;

use super::enums::api_enum;
use super::{
    ApiTags, AppState,
    error::ApiError,
    health_profile::{
        ActivityLevelName, GoalName, HealthProfile, SexName, SportName, athlete, today,
    },
    security::BearerAuth,
};
use crate::domain::{
    account::Role,
    nutrition::{self, BmrMethod, TrainingLoad},
};

api_enum!(
    /// The day's training load.
    TrainingLoadName => TrainingLoad { Rest = "rest", Light = "light", Moderate = "moderate", Hard = "hard", VeryHard = "very_hard" }
);

/// Daily targets, with how they were computed.
#[derive(Object, Debug)]
pub struct Targets {
    /// `mifflin_st_jeor`, or `katch_mcardle` when body fat is known.
    pub method: String,
    pub bmr_kcal: f64,
    pub activity_factor: f64,
    pub tdee_kcal: f64,
    /// Energy change for the goal, as a fraction of TDEE (e.g. -0.2 in a cut).
    pub goal_adjustment: f64,
    /// The load the carbohydrate target is for.
    pub training: TrainingLoadName,
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub protein_g_per_kg: f64,
    pub carbohydrate_g: f64,
    pub carbohydrate_g_per_kg: f64,
    pub fat_g: f64,
    pub fat_g_per_kg: f64,
    pub fibre_g: f64,
    pub water_ml: f64,
    pub sources: Vec<String>,
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

impl Targets {
    fn new(t: nutrition::Targets, weight_kg: f64) -> Self {
        Self {
            method: match t.bmr_method {
                BmrMethod::MifflinStJeor => "mifflin_st_jeor",
                BmrMethod::KatchMcArdle => "katch_mcardle",
            }
            .into(),
            bmr_kcal: round(t.bmr_kcal, 0),
            activity_factor: t.activity_factor,
            tdee_kcal: round(t.tdee_kcal, 0),
            goal_adjustment: t.goal_adjustment,
            training: t.load.into(),
            energy_kcal: round(t.energy_kcal, 0),
            protein_g: round(t.protein_g, 0),
            protein_g_per_kg: round(t.protein_g / weight_kg, 2),
            carbohydrate_g: round(t.carbohydrate_g, 0),
            carbohydrate_g_per_kg: round(t.carbohydrate_g / weight_kg, 2),
            fat_g: round(t.fat_g, 0),
            fat_g_per_kg: round(t.fat_g / weight_kg, 2),
            fibre_g: round(t.fibre_g, 0),
            water_ml: round(t.water_ml / 50.0, 0) * 50.0,
            sources: nutrition::SOURCES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A profile for a quick calculation, without an account.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Calculate {
    /// 14 to 100 years.
    pub age: u32,
    pub sex: SexName,
    pub weight_kg: f64,
    pub height_cm: f64,
    pub body_fat_pct: Option<f64>,
    pub activity_level: ActivityLevelName,
    pub sport: SportName,
    #[oai(default)]
    pub training_hours_per_week: f64,
    pub goal: GoalName,
    /// The day's load; default: from weekly training hours.
    pub training: Option<TrainingLoadName>,
}

#[derive(Default)]
pub struct NutritionApi;

#[OpenApi(prefix_path = "/nutrition", tag = "ApiTags::Nutrition")]
impl NutritionApi {
    /// The signed-in athlete's targets
    ///
    /// From the health profile, for `date` (default today; the age on that date counts) and the
    /// day's `training` load (default: from weekly training hours). 404 without a health profile.
    /// Athletes.
    #[oai(path = "/targets", method = "get", operation_id = "getTargets")]
    async fn targets(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        date: Query<Option<Date>>,
        training: Query<Option<TrainingLoadName>>,
    ) -> Result<Json<Targets>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let row = crate::service::cached::profile(&state, auth.0.user)
            .await?
            .ok_or_else(|| {
                ApiError::not_found("health profile (create it with PUT /health-profile)")
            })?;
        let profile = HealthProfile::from_row(row)?;
        let date = date.0.unwrap_or_else(today);
        let a = profile.athlete_on(date).map_err(|_| {
            ApiError::invalid(
                "date",
                "the athlete's age on this date is outside 14-100 years",
            )
        })?;
        Ok(Json(Targets::new(
            nutrition::targets(&a, training.0.map(Into::into)),
            a.weight_kg(),
        )))
    }

    /// Calculate targets for any profile
    ///
    /// The same calculation for a profile given in the body, without an account: a coach's quick
    /// answer. Public and rate-limited.
    #[oai(
        path = "/calculate",
        method = "post",
        operation_id = "calculateTargets"
    )]
    async fn calculate(&self, body: Json<Calculate>) -> Result<Json<Targets>, ApiError> {
        let b = body.0;
        let a = athlete(
            b.age,
            b.sex,
            b.weight_kg,
            b.height_cm,
            b.body_fat_pct,
            b.activity_level,
            b.sport,
            b.goal,
            b.training_hours_per_week,
            "age",
        )
        .map_err(ApiError::validation)?;
        Ok(Json(Targets::new(
            nutrition::targets(&a, b.training.map(Into::into)),
            a.weight_kg(),
        )))
    }
}
