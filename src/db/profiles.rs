//! Health profiles: the athlete's body, sport and goal, with allergies, conditions and medications as
//! codes from the controlled vocabularies.

use rust_decimal::Decimal;
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HealthProfile {
    pub birth_date: Date,
    pub sex: String,
    pub weight_kg: Decimal,
    pub height_cm: Decimal,
    pub body_fat_pct: Option<Decimal>,
    pub activity_level: String,
    pub sport: String,
    pub training_hours_per_week: Decimal,
    pub goal: String,
    pub allergies: Vec<String>,
    pub conditions: Vec<String>,
    pub medications: Vec<String>,
    pub updated_at: OffsetDateTime,
}

pub async fn get(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<Option<HealthProfile>> {
    sqlx::query_as(
        "SELECT p.birth_date, p.sex, p.weight_kg, p.height_cm, p.body_fat_pct, p.activity_level, p.sport,
                p.training_hours_per_week, p.goal, p.updated_at,
                array(SELECT code FROM health_profile_terms t
                      WHERE t.user_id = p.user_id AND t.vocabulary = 'allergen' ORDER BY code) AS allergies,
                array(SELECT code FROM health_profile_terms t
                      WHERE t.user_id = p.user_id AND t.vocabulary = 'condition' ORDER BY code) AS conditions,
                array(SELECT code FROM health_profile_terms t
                      WHERE t.user_id = p.user_id AND t.vocabulary = 'medication_class' ORDER BY code) AS medications
         FROM health_profiles p WHERE p.user_id = $1",
    )
    .bind(user)
    .fetch_optional(db)
    .await
}
