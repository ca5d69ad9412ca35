//! Health profiles: the athlete's body, sport and goal, with allergies, conditions and medications as
//! codes from the controlled vocabularies.

use sqlx::{PgExecutor, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct HealthProfile {
    pub birth_date: Date,
    pub sex: String,
    pub weight_kg: f64,
    pub height_cm: f64,
    pub body_fat_pct: Option<f64>,
    pub activity_level: String,
    pub sport: String,
    pub training_hours_per_week: f64,
    pub goal: String,
    pub allergies: Vec<String>,
    pub conditions: Vec<String>,
    pub medications: Vec<String>,
    pub updated_at: OffsetDateTime,
}

pub async fn get(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<Option<HealthProfile>> {
    sqlx::query_as(
        "SELECT p.birth_date, p.sex, p.weight_kg::float8 AS weight_kg, p.height_cm::float8 AS height_cm,
                p.body_fat_pct::float8 AS body_fat_pct, p.activity_level, p.sport,
                p.training_hours_per_week::float8 AS training_hours_per_week, p.goal, p.updated_at,
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

/// Creates or replaces the profile and its terms in one transaction.
pub async fn put(pool: &PgPool, user: Uuid, p: &HealthProfile) -> sqlx::Result<HealthProfile> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO health_profiles (user_id, birth_date, sex, weight_kg, height_cm, body_fat_pct, activity_level,
                                      sport, training_hours_per_week, goal)
         VALUES ($1, $2, $3, round($4::numeric, 2), round($5::numeric, 1), round($6::numeric, 1), $7, $8,
                 round($9::numeric, 1), $10)
         ON CONFLICT (user_id) DO UPDATE SET
             birth_date = EXCLUDED.birth_date, sex = EXCLUDED.sex, weight_kg = EXCLUDED.weight_kg,
             height_cm = EXCLUDED.height_cm, body_fat_pct = EXCLUDED.body_fat_pct,
             activity_level = EXCLUDED.activity_level, sport = EXCLUDED.sport,
             training_hours_per_week = EXCLUDED.training_hours_per_week, goal = EXCLUDED.goal",
    )
    .bind(user)
    .bind(p.birth_date)
    .bind(&p.sex)
    .bind(p.weight_kg)
    .bind(p.height_cm)
    .bind(p.body_fat_pct)
    .bind(&p.activity_level)
    .bind(&p.sport)
    .bind(p.training_hours_per_week)
    .bind(&p.goal)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM health_profile_terms WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    for (vocabulary, codes) in [
        ("allergen", &p.allergies),
        ("condition", &p.conditions),
        ("medication_class", &p.medications),
    ] {
        sqlx::query(
            "INSERT INTO health_profile_terms (user_id, vocabulary, code)
             SELECT $1, $2, code FROM unnest($3::text[]) AS code ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(vocabulary)
        .bind(codes)
        .execute(&mut *tx)
        .await?;
    }
    let saved = get(&mut *tx, user).await?.ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(saved)
}

/// The codes among `codes` that are not terms of `vocabulary`.
pub async fn unknown_terms(
    db: impl PgExecutor<'_>,
    vocabulary: &str,
    codes: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.code FROM unnest($2::text[]) AS u(code)
         WHERE NOT EXISTS (SELECT 1 FROM vocabulary_terms v WHERE v.vocabulary = $1 AND v.code = u.code)",
    )
    .bind(vocabulary)
    .bind(codes)
    .fetch_all(db)
    .await
}

/// A vocabulary term with its name in the requested locale (falling back along the locale chain).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Term {
    pub code: String,
    pub name: String,
    pub locale: String,
}

pub async fn vocabulary(pool: &PgPool, vocabulary: &str, locale: &str) -> sqlx::Result<Vec<Term>> {
    sqlx::query_as(
        "WITH RECURSIVE chain(code, depth) AS (
             SELECT code, 0 FROM locales WHERE code = $2
             UNION ALL
             SELECT l.fallback, c.depth + 1 FROM chain c JOIN locales l ON l.code = c.code WHERE l.fallback IS NOT NULL
         )
         SELECT DISTINCT ON (v.code) v.code, localized(t.name, t.locale, $2) AS name, localized_locale(t.locale, $2) AS locale
         FROM vocabulary_terms v
         JOIN vocabulary_term_translations t ON t.vocabulary = v.vocabulary AND t.code = v.code
         JOIN chain c ON c.code = t.locale
         WHERE v.vocabulary = $1
         ORDER BY v.code, c.depth",
    )
    .bind(vocabulary)
    .bind(locale)
    .fetch_all(pool)
    .await
}
