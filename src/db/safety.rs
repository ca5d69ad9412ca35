//! Contraindication rules: read for the safety screen, listed with their localized explanations and
//! sources, and written by admins (in the caller's transaction; the caller names constraint errors).

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::safety::{Effect, LifeStage, Rule, RuleBook, Severity, Vocabulary};

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    substance: String,
    vocabulary: String,
    code: String,
    severity: String,
    min_daily_amount: Option<Decimal>,
    effect: Option<String>,
}

/// Every rule and the life stages each substance has safety data for, as the screen uses them.
pub async fn rule_book(pool: &sqlx::PgPool) -> sqlx::Result<RuleBook> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT r.id, s.code AS substance, r.vocabulary, r.code, r.severity, r.min_daily_amount, r.effect
         FROM contraindication_rules r JOIN substances s ON s.id = r.substance_id ORDER BY r.id",
    )
    .fetch_all(pool)
    .await?;
    let stages: Vec<(String, String)> = sqlx::query_as(
        "SELECT s.code, l.life_stage FROM substance_life_stages l JOIN substances s ON s.id = l.substance_id",
    )
    .fetch_all(pool)
    .await?;
    let life_stage_data = stages
        .into_iter()
        .map(|(substance, stage)| {
            LifeStage::parse(&stage)
                .map(|stage| (substance, stage))
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown life stage {stage}").into()))
        })
        .collect::<sqlx::Result<_>>()?;
    let rules = rows
        .into_iter()
        .map(|r| {
            let corrupt = |what: &str| {
                sqlx::Error::Decode(
                    format!("contraindication rule {}: unknown {what}", r.id).into(),
                )
            };
            Ok(Rule {
                id: r.id,
                vocabulary: Vocabulary::parse(&r.vocabulary)
                    .ok_or_else(|| corrupt("vocabulary"))?,
                severity: Severity::parse(&r.severity).ok_or_else(|| corrupt("severity"))?,
                effect: match &r.effect {
                    Some(e) => Some(Effect::parse(e).ok_or_else(|| corrupt("effect"))?),
                    None => None,
                },
                substance: r.substance,
                code: r.code,
                above_daily: r.min_daily_amount,
            })
        })
        .collect::<sqlx::Result<_>>()?;
    Ok(RuleBook {
        rules,
        life_stage_data,
    })
}

/// A rule as people read it, in one locale.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct RuleView {
    pub id: Uuid,
    pub substance_id: Uuid,
    pub substance: String,
    pub substance_name: Option<String>,
    pub substance_unit: String,
    pub vocabulary: String,
    pub code: String,
    pub term_name: Option<String>,
    pub severity: String,
    pub min_daily_amount: Option<Decimal>,
    pub effect: Option<String>,
    pub source: String,
    pub source_url: Option<String>,
    pub explanation: Option<String>,
    pub explanation_locale: Option<String>,
    pub updated_at: OffsetDateTime,
}

const VIEW: &str = "
    SELECT r.id, s.id AS substance_id, s.code AS substance, s.unit AS substance_unit, r.vocabulary, r.code,
           r.severity, r.min_daily_amount, r.effect, r.source, r.source_url, r.updated_at,
           (SELECT localized(t.name, t.locale, $1) FROM substance_translations t LEFT JOIN locale_chain($1) c ON c.code = t.locale
            WHERE t.substance_id = s.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS substance_name,
           (SELECT localized(t.name, t.locale, $1) FROM vocabulary_term_translations t LEFT JOIN locale_chain($1) c ON c.code = t.locale
            WHERE t.vocabulary = r.vocabulary AND t.code = r.code
            ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS term_name,
           localized(e.explanation, e.locale, $1) AS explanation, localized_locale(e.locale, $1) AS explanation_locale
    FROM contraindication_rules r
    JOIN substances s ON s.id = r.substance_id
    LEFT JOIN LATERAL (
        SELECT t.explanation, t.locale FROM contraindication_rule_translations t
        LEFT JOIN locale_chain($1) c ON c.code = t.locale
        WHERE t.rule_id = r.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1
    ) e ON true";

/// Rules in `locale`, by substance, vocabulary and term; optionally only these ids.
pub async fn views(
    db: impl PgExecutor<'_>,
    locale: &str,
    ids: Option<&[Uuid]>,
) -> sqlx::Result<Vec<RuleView>> {
    sqlx::query_as(&format!(
        "{VIEW} WHERE ($2::uuid[] IS NULL OR r.id = ANY($2)) ORDER BY s.code, r.vocabulary, r.code"
    ))
    .bind(locale)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// The same, keyed by id.
pub async fn views_by_id(
    db: impl PgExecutor<'_>,
    locale: &str,
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, RuleView>> {
    // Most plans hit no rule: no round trip for nothing.
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(views(db, locale, Some(ids))
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect())
}

/// Every explanation of a rule, by locale.
pub async fn explanations(
    db: impl PgExecutor<'_>,
    rule: Uuid,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT locale, explanation FROM contraindication_rule_translations WHERE rule_id = $1 ORDER BY locale",
    )
    .bind(rule)
    .fetch_all(db)
    .await
}

/// A rule as an admin writes it.
#[derive(Debug, Clone)]
pub struct RuleFields {
    pub substance: String,
    pub vocabulary: Vocabulary,
    pub code: String,
    pub severity: Severity,
    pub min_daily_amount: Option<Decimal>,
    pub effect: Option<Effect>,
    pub source: String,
    pub source_url: Option<String>,
    /// (locale, explanation); English is required by the API.
    pub explanations: Vec<(&'static str, String)>,
}

/// Inserts a rule; `None` when its substance does not exist.
pub async fn insert(conn: &mut PgConnection, f: &RuleFields) -> sqlx::Result<Option<Uuid>> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO contraindication_rules (substance_id, vocabulary, code, severity, min_daily_amount, source, source_url, effect)
         SELECT s.id, $2, $3, $4, $5, $6, $7, $8 FROM substances s WHERE s.code = $1 RETURNING id",
    )
    .bind(&f.substance)
    .bind(f.vocabulary.as_str())
    .bind(&f.code)
    .bind(f.severity.as_str())
    .bind(f.min_daily_amount)
    .bind(&f.source)
    .bind(&f.source_url)
    .bind(f.effect.map(Effect::as_str))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        write_explanations(conn, id, &f.explanations).await?;
    }
    Ok(id)
}

/// Replaces a rule; `Ok(false)` when there is no such rule. The substance must exist (checked by the
/// caller in the same transaction).
pub async fn update(conn: &mut PgConnection, id: Uuid, f: &RuleFields) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE contraindication_rules r SET substance_id = s.id, vocabulary = $3, code = $4, severity = $5,
                min_daily_amount = $6, source = $7, source_url = $8, effect = $9
         FROM substances s WHERE r.id = $1 AND s.code = $2",
    )
    .bind(id)
    .bind(&f.substance)
    .bind(f.vocabulary.as_str())
    .bind(&f.code)
    .bind(f.severity.as_str())
    .bind(f.min_daily_amount)
    .bind(&f.source)
    .bind(&f.source_url)
    .bind(f.effect.map(Effect::as_str))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    write_explanations(conn, id, &f.explanations).await?;
    Ok(true)
}

async fn write_explanations(
    conn: &mut PgConnection,
    id: Uuid,
    explanations: &[(&'static str, String)],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM contraindication_rule_translations WHERE rule_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO contraindication_rule_translations (rule_id, locale, explanation)
         SELECT $1, l, e FROM UNNEST($2::text[], $3::text[]) AS x (l, e)",
    )
    .bind(id)
    .bind(explanations.iter().map(|(l, _)| *l).collect::<Vec<_>>())
    .bind(
        explanations
            .iter()
            .map(|(_, e)| e.as_str())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes a rule; its (substance code, vocabulary, code) when it existed.
pub async fn delete(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(String, String, String)>> {
    sqlx::query_as(
        "DELETE FROM contraindication_rules r USING substances s WHERE r.id = $1 AND s.id = r.substance_id
         RETURNING s.code, r.vocabulary, r.code",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn substance_exists(conn: &mut PgConnection, code: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM substances WHERE code = $1)")
        .bind(code)
        .fetch_one(conn)
        .await
}

/// A substance's safety data for one life stage, as people read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LifeStageView {
    pub substance: String,
    pub substance_name: Option<String>,
    pub life_stage: String,
    pub source: String,
    pub source_url: Option<String>,
    pub updated_at: OffsetDateTime,
}

/// Life-stage safety data with the substance's name in `locale`, by substance and stage; optionally
/// only one substance's, or one entry.
pub async fn life_stages(
    pool: impl PgExecutor<'_>,
    locale: &str,
    substance: Option<&str>,
    stage: Option<LifeStage>,
) -> sqlx::Result<Vec<LifeStageView>> {
    sqlx::query_as(
        "SELECT s.code AS substance, l.life_stage, l.source, l.source_url, l.updated_at,
                (SELECT localized(t.name, t.locale, $1) FROM substance_translations t
                 LEFT JOIN locale_chain($1) c ON c.code = t.locale
                 WHERE t.substance_id = s.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS substance_name
         FROM substance_life_stages l JOIN substances s ON s.id = l.substance_id
         WHERE ($2::text IS NULL OR s.code = $2) AND ($3::text IS NULL OR l.life_stage = $3)
         ORDER BY s.code, l.life_stage",
    )
    .bind(locale)
    .bind(substance)
    .bind(stage.map(LifeStage::as_str))
    .fetch_all(pool)
    .await
}

/// Records (or replaces) that `substance` has safety data for `stage`: `None` when there is no such
/// substance, else whether the entry is new.
pub async fn put_life_stage(
    conn: &mut PgConnection,
    substance: &str,
    stage: LifeStage,
    source: &str,
    source_url: Option<&str>,
) -> sqlx::Result<Option<bool>> {
    sqlx::query_scalar(
        "INSERT INTO substance_life_stages (substance_id, life_stage, source, source_url)
         SELECT id, $2, $3, $4 FROM substances WHERE code = $1
         ON CONFLICT (substance_id, life_stage)
         DO UPDATE SET source = EXCLUDED.source, source_url = EXCLUDED.source_url, updated_at = now()
         RETURNING (xmax = 0)", // a row this statement inserted has no deleting transaction
    )
    .bind(substance)
    .bind(stage.as_str())
    .bind(source)
    .bind(source_url)
    .fetch_optional(conn)
    .await
}

/// Removes `substance`'s safety data for `stage`; whether there was any.
pub async fn delete_life_stage(
    conn: &mut PgConnection,
    substance: &str,
    stage: LifeStage,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "DELETE FROM substance_life_stages l USING substances s
         WHERE s.id = l.substance_id AND s.code = $1 AND l.life_stage = $2",
    )
    .bind(substance)
    .bind(stage.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
