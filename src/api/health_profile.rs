//! `/health-profile` and `/vocabularies`: the athlete's body, sport, goal and safety-relevant terms.

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, param::Path, param::Query, payload::Json};
use time::{Date, OffsetDateTime};

use super::enums::api_enum;
use super::{
    ApiTags, AppState,
    error::ApiError,
    error::FieldError,
    language::{LanguageTag, Negotiation},
    security::BearerAuth,
};
use crate::{
    cache::Ns,
    db::{self, profiles},
    domain::{
        account::Role,
        nutrition::{ActivityLevel, Athlete, Goal, Sex, Sport},
    },
};

api_enum!(SexName => Sex { Male = "male", Female = "female" });
api_enum!(
    /// Habitual activity outside planned training.
    ActivityLevelName => ActivityLevel { Sedentary = "sedentary", Light = "light", Moderate = "moderate", Active = "active", VeryActive = "very_active" }
);
api_enum!(SportName => Sport { Endurance = "endurance", StrengthPower = "strength_power", TeamSport = "team_sport", WeightClassCombat = "weight_class_combat", Aesthetic = "aesthetic", GeneralFitness = "general_fitness" });
api_enum!(GoalName => Goal { Mass = "mass", Cut = "cut", Maintain = "maintain", Endurance = "endurance", Performance = "performance" });

/// The athlete's health profile.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct HealthProfile {
    pub birth_date: Date,
    /// Derived from `birth_date`, today.
    pub age_years: u32,
    pub sex: SexName,
    pub weight_kg: f64,
    pub height_cm: f64,
    #[oai(skip_serializing_if_is_none)]
    pub body_fat_pct: Option<f64>,
    pub activity_level: ActivityLevelName,
    pub sport: SportName,
    pub training_hours_per_week: f64,
    pub goal: GoalName,
    /// Allergen codes (see `/vocabularies/allergens`).
    pub allergies: Vec<String>,
    /// Condition codes (see `/vocabularies/conditions`).
    pub conditions: Vec<String>,
    /// Medication-class codes (see `/vocabularies/medications`).
    pub medications: Vec<String>,
    pub updated_at: OffsetDateTime,
}

impl HealthProfile {
    pub fn from_row(p: profiles::HealthProfile) -> anyhow::Result<Self> {
        let corrupt = || anyhow::anyhow!("a stored health profile has an unknown value");
        Ok(Self {
            age_years: age_on(p.birth_date, today()),
            birth_date: p.birth_date,
            sex: SexName::parse(&p.sex).ok_or_else(corrupt)?,
            weight_kg: p.weight_kg,
            height_cm: p.height_cm,
            body_fat_pct: p.body_fat_pct,
            activity_level: ActivityLevelName::parse(&p.activity_level).ok_or_else(corrupt)?,
            sport: SportName::parse(&p.sport).ok_or_else(corrupt)?,
            training_hours_per_week: p.training_hours_per_week,
            goal: GoalName::parse(&p.goal).ok_or_else(corrupt)?,
            allergies: p.allergies,
            conditions: p.conditions,
            medications: p.medications,
            updated_at: p.updated_at,
        })
    }

    /// The validated athlete this profile describes on `date`.
    pub fn athlete_on(&self, date: Date) -> Result<Athlete, Vec<FieldError>> {
        athlete(
            age_on(self.birth_date, date),
            self.sex,
            self.weight_kg,
            self.height_cm,
            self.body_fat_pct,
            self.activity_level,
            self.sport,
            self.goal,
            self.training_hours_per_week,
            "birth_date",
        )
    }
}

/// Builds a validated athlete; each range error names its API field (`age_field` for the age).
#[allow(clippy::too_many_arguments)]
pub fn athlete(
    age: u32,
    sex: SexName,
    weight_kg: f64,
    height_cm: f64,
    body_fat_pct: Option<f64>,
    activity: ActivityLevelName,
    sport: SportName,
    goal: GoalName,
    training_hours_per_week: f64,
    age_field: &str,
) -> Result<Athlete, Vec<FieldError>> {
    Athlete::new(
        age,
        sex.into(),
        weight_kg,
        height_cm,
        body_fat_pct,
        activity.into(),
        sport.into(),
        goal.into(),
        training_hours_per_week,
    )
    .map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                FieldError::out_of_range(if e.field == "age" { age_field } else { e.field }, &e)
            })
            .collect()
    })
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: Date, on: Date) -> u32 {
    let mut years = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// A whole profile (PUT).
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct HealthProfileInput {
    /// Age must be 14 to 100 years.
    pub birth_date: Date,
    pub sex: SexName,
    /// 25 to 300 kg.
    pub weight_kg: f64,
    /// 100 to 250 cm.
    pub height_cm: f64,
    /// 2 to 70 %; when known, BMR uses Katch–McArdle.
    pub body_fat_pct: Option<f64>,
    pub activity_level: ActivityLevelName,
    pub sport: SportName,
    /// 0 to 60 hours.
    #[oai(default)]
    pub training_hours_per_week: f64,
    pub goal: GoalName,
    #[oai(default, validator(max_items = 50))]
    pub allergies: Vec<String>,
    #[oai(default, validator(max_items = 50))]
    pub conditions: Vec<String>,
    #[oai(default, validator(max_items = 50))]
    pub medications: Vec<String>,
}

/// Some fields of a profile (PATCH); absent fields keep their value, `body_fat_pct: null` clears it.
#[derive(Object, Debug, Clone, Default)]
#[oai(skip_serializing_if_is_none)]
pub struct HealthProfilePatch {
    pub birth_date: Option<Date>,
    pub sex: Option<SexName>,
    pub weight_kg: Option<f64>,
    pub height_cm: Option<f64>,
    pub body_fat_pct: poem_openapi::types::MaybeUndefined<f64>,
    pub activity_level: Option<ActivityLevelName>,
    pub sport: Option<SportName>,
    pub training_hours_per_week: Option<f64>,
    pub goal: Option<GoalName>,
    #[oai(validator(max_items = 50))]
    pub allergies: Option<Vec<String>>,
    #[oai(validator(max_items = 50))]
    pub conditions: Option<Vec<String>>,
    #[oai(validator(max_items = 50))]
    pub medications: Option<Vec<String>>,
}

/// A term of a controlled vocabulary.
#[derive(Object, Debug)]
pub struct VocabularyTerm {
    pub code: String,
    pub name: String,
    /// The locale `name` is in (a fallback when the requested one has no translation).
    pub locale: String,
}

#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename_all = "lowercase")]
pub enum VocabularyName {
    Allergens,
    Conditions,
    Medications,
}

impl VocabularyName {
    fn stored(self) -> &'static str {
        match self {
            VocabularyName::Allergens => "allergen",
            VocabularyName::Conditions => "condition",
            VocabularyName::Medications => "medication_class",
        }
    }
}

#[derive(Default)]
pub struct HealthProfileApi;

#[OpenApi(tag = "ApiTags::Profile")]
impl HealthProfileApi {
    /// The signed-in athlete's health profile
    ///
    /// 404 until one is entered. Athletes.
    #[oai(
        path = "/health-profile",
        method = "get",
        operation_id = "getHealthProfile"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<Json<HealthProfile>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let profile = crate::service::cached::profile(&state, auth.0.user)
            .await?
            .ok_or_else(|| ApiError::not_found("health profile"))?;
        Ok(Json(HealthProfile::from_row(profile)?))
    }

    /// Create or replace the health profile
    ///
    /// Every field is checked at once; each invalid one is named. Athletes.
    #[oai(
        path = "/health-profile",
        method = "put",
        operation_id = "putHealthProfile"
    )]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<HealthProfileInput>,
    ) -> Result<Json<HealthProfile>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        save(&state, auth.0.user, body.0).await
    }

    /// Change some fields of the health profile
    ///
    /// 404 when there is no profile yet (create it with PUT). Athletes.
    #[oai(
        path = "/health-profile",
        method = "patch",
        operation_id = "patchHealthProfile"
    )]
    async fn patch(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<HealthProfilePatch>,
    ) -> Result<Json<HealthProfile>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let current = profiles::get(&state.pool, auth.0.user)
            .await?
            .ok_or_else(|| ApiError::not_found("health profile"))?;
        let c = HealthProfile::from_row(current)?;
        let p = body.0;
        let merged = HealthProfileInput {
            birth_date: p.birth_date.unwrap_or(c.birth_date),
            sex: p.sex.unwrap_or(c.sex),
            weight_kg: p.weight_kg.unwrap_or(c.weight_kg),
            height_cm: p.height_cm.unwrap_or(c.height_cm),
            body_fat_pct: match p.body_fat_pct {
                poem_openapi::types::MaybeUndefined::Undefined => c.body_fat_pct,
                poem_openapi::types::MaybeUndefined::Null => None,
                poem_openapi::types::MaybeUndefined::Value(v) => Some(v),
            },
            activity_level: p.activity_level.unwrap_or(c.activity_level),
            sport: p.sport.unwrap_or(c.sport),
            training_hours_per_week: p
                .training_hours_per_week
                .unwrap_or(c.training_hours_per_week),
            goal: p.goal.unwrap_or(c.goal),
            allergies: p.allergies.unwrap_or(c.allergies),
            conditions: p.conditions.unwrap_or(c.conditions),
            medications: p.medications.unwrap_or(c.medications),
        };
        save(&state, auth.0.user, merged).await
    }

    /// A controlled vocabulary
    ///
    /// Allergens, conditions or medication classes with names in `lang` (default sr-Latn; missing
    /// translations fall back along sr-Cyrl → sr-Latn → en). Public.
    #[oai(
        path = "/vocabularies/:name",
        method = "get",
        operation_id = "getVocabulary"
    )]
    async fn vocabulary(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        name: Path<VocabularyName>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Vec<VocabularyTerm>>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        let terms =
            crate::service::cached::vocabulary(&state, name.0.stored(), locale.as_str()).await?;
        Ok(Json(
            terms
                .into_iter()
                .map(|t| VocabularyTerm {
                    code: t.code,
                    name: t.name,
                    locale: t.locale,
                })
                .collect(),
        ))
    }
}

async fn save(
    state: &AppState,
    user: uuid::Uuid,
    p: HealthProfileInput,
) -> Result<Json<HealthProfile>, ApiError> {
    let mut errors = Vec::new();
    let age = age_on(p.birth_date, today());
    if p.birth_date > today() {
        errors.push(FieldError::new("birth_date", "must not be in the future"));
    } else if let Err(invalid) = athlete(
        age,
        p.sex,
        p.weight_kg,
        p.height_cm,
        p.body_fat_pct,
        p.activity_level,
        p.sport,
        p.goal,
        p.training_hours_per_week,
        "birth_date",
    ) {
        errors.extend(invalid);
    }
    let mut lists = Vec::new();
    for (field, vocabulary, listing, codes) in [
        ("allergies", "allergen", "allergens", p.allergies),
        ("conditions", "condition", "conditions", p.conditions),
        (
            "medications",
            "medication_class",
            "medications",
            p.medications,
        ),
    ] {
        let mut codes: Vec<String> = codes
            .into_iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        codes.sort();
        codes.dedup();
        for unknown in db::profiles::unknown_terms(&state.pool, vocabulary, &codes).await? {
            let shown: String = unknown.chars().take(64).collect();
            errors.push(FieldError::new(
                field,
                format!("unknown code {shown:?}; see /vocabularies/{listing}"),
            ));
        }
        lists.push(codes);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let medications = lists.pop().unwrap_or_default();
    let conditions = lists.pop().unwrap_or_default();
    let allergies = lists.pop().unwrap_or_default();
    let saved = profiles::put(
        &state.pool,
        user,
        &profiles::HealthProfile {
            birth_date: p.birth_date,
            sex: p.sex.as_str().to_owned(),
            weight_kg: p.weight_kg,
            height_cm: p.height_cm,
            body_fat_pct: p.body_fat_pct,
            activity_level: p.activity_level.as_str().to_owned(),
            sport: p.sport.as_str().to_owned(),
            training_hours_per_week: p.training_hours_per_week,
            goal: p.goal.as_str().to_owned(),
            allergies,
            conditions,
            medications,
            updated_at: OffsetDateTime::now_utc(),
        },
    )
    .await?;
    state.cache.invalidate(&[Ns::User(user)]).await;
    Ok(Json(HealthProfile::from_row(saved)?))
}
