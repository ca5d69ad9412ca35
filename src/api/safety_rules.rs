//! `/safety-rules` and `/admin/safety-rules`: the contraindication rules the safety screen applies,
//! and `/safety-life-stages`: which substances have safety data on record for pregnancy,
//! breastfeeding and under 18. Public to read (with sources), edited by admins (validated, one
//! transaction, audited).

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, payload::Json};
use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::enums::api_enum;
use super::security::AdminAuth;
use super::{
    ApiTags, AppState,
    error::{ApiError, on_constraint},
    language::{LanguageTag, Negotiation},
    responses::Created,
    responses::Done,
    security::ClientInfo,
    validate::{Check, substance_code, text, web_url},
};
use crate::service::admin::AdminWrite;
use crate::{
    cache::Ns,
    db::{self, safety::RuleFields},
    domain::{
        catalogue::numeric,
        invalid::Invalid,
        safety::{Effect, LifeStage, Severity, Vocabulary},
    },
};

api_enum!(
    RuleVocabulary => Vocabulary {
        Allergen = "allergen",
        Condition = "condition",
        MedicationClass = "medication_class",
        /// Derived from age: `minor` (under 18), `older_adult` (65 and over).
        Population = "population",
    }
);

api_enum!(
    SeverityName => Severity {
        /// Not for the person the rule applies to: never suggested.
        Avoid = "avoid",
        /// Only after the person's doctor agreed (and they confirmed it); two cautions of different
        /// terms on the same substance or the same effect make an `avoid`.
        Caution = "caution",
        /// Suggested with a note.
        Info = "info",
    }
);

api_enum!(
    /// What makes a rule's substance matter for its term; cautions on one effect add up.
    EffectName => Effect {
        /// Also marks the substance as a stimulant: never two in one day's recommendations.
        Stimulant = "stimulant",
        BloodPressure = "blood_pressure",
        SodiumLoad = "sodium_load",
        PotassiumLoad = "potassium_load",
        CalciumLoad = "calcium_load",
        Clotting = "clotting",
        KidneyLoad = "kidney_load",
        LiverLoad = "liver_load",
        BloodGlucose = "blood_glucose",
        Serotonergic = "serotonergic",
        Thyroid = "thyroid",
        IronLoad = "iron_load",
    }
);

api_enum!(
    /// A life stage in which only substances with safety data on record for it are offered.
    LifeStageName => LifeStage {
        /// Without data: ask the doctor first.
        Pregnancy = "pregnancy",
        /// Without data: ask the doctor first.
        Breastfeeding = "breastfeeding",
        /// Under 18; without data: not offered (kept for adults).
        Minor = "minor",
    }
);

/// That a substance's safety in a life stage is on record, and where.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct LifeStageData {
    /// Substance code.
    pub substance: String,
    pub substance_name: String,
    /// `pregnancy`, `breastfeeding` or `minor`.
    pub life_stage: String,
    /// The citation the safety data rests on.
    pub source: String,
    #[oai(skip_serializing_if_is_none)]
    pub source_url: Option<String>,
    pub updated_at: OffsetDateTime,
}

impl From<db::safety::LifeStageView> for LifeStageData {
    fn from(v: db::safety::LifeStageView) -> Self {
        Self {
            substance_name: v.substance_name.unwrap_or_else(|| v.substance.clone()),
            substance: v.substance,
            life_stage: v.life_stage,
            source: v.source,
            source_url: v.source_url,
            updated_at: v.updated_at,
        }
    }
}

/// Where a substance's safety data for a life stage comes from.
#[derive(Object, Debug, Clone)]
pub struct LifeStageDataInput {
    /// The citation, 3–1000 characters.
    #[oai(validator(max_length = 1000))]
    pub source: String,
    #[oai(validator(max_length = 2000))]
    pub source_url: Option<String>,
}

#[derive(ApiResponse)]
pub enum LifeStageSaved {
    /// The substance had no data for the stage: recorded.
    #[oai(status = 201)]
    Created(Json<LifeStageData>),
    /// Its source is replaced.
    #[oai(status = 200)]
    Replaced(Json<LifeStageData>),
}

/// A contraindication rule, in one language.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct SafetyRule {
    pub id: Uuid,
    /// Substance code.
    pub substance: String,
    pub substance_name: String,
    /// The substance's unit, which `above_daily` is in.
    pub unit: String,
    pub vocabulary: String,
    pub code: String,
    /// The term's name.
    pub term: String,
    /// `avoid`, `caution` or `info`.
    pub severity: String,
    /// The rule applies only above this daily amount; absent: any amount.
    #[oai(skip_serializing_if_is_none)]
    pub above_daily: Option<Decimal>,
    /// What makes the substance matter for the term (`stimulant`, `blood_pressure`, `sodium_load`,
    /// …); absent for allergies and life stages.
    #[oai(skip_serializing_if_is_none)]
    pub effect: Option<String>,
    pub explanation: String,
    /// The locale the explanation is in (a fallback when the requested one has none).
    pub explanation_locale: String,
    pub source: String,
    #[oai(skip_serializing_if_is_none)]
    pub source_url: Option<String>,
    pub updated_at: OffsetDateTime,
}

impl From<db::safety::RuleView> for SafetyRule {
    fn from(v: db::safety::RuleView) -> Self {
        Self {
            id: v.id,
            substance_name: v.substance_name.unwrap_or_else(|| v.substance.clone()),
            substance: v.substance,
            unit: v.substance_unit,
            term: v.term_name.unwrap_or_else(|| v.code.clone()),
            vocabulary: v.vocabulary,
            code: v.code,
            severity: v.severity,
            above_daily: v.min_daily_amount.map(|d| d.normalize()),
            effect: v.effect,
            explanation: v.explanation.unwrap_or_default(),
            explanation_locale: v.explanation_locale.unwrap_or_default(),
            source: v.source,
            source_url: v.source_url,
            updated_at: v.updated_at,
        }
    }
}

/// A rule with its explanations in every language, for admins.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct AdminSafetyRule {
    #[oai(flatten)]
    pub rule: SafetyRule,
    /// Explanation by locale.
    pub explanations: BTreeMap<String, String>,
}

/// A rule as an admin writes it.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct SafetyRuleInput {
    /// Substance code.
    #[oai(validator(max_length = 63))]
    pub substance: String,
    pub vocabulary: RuleVocabulary,
    /// A term of the vocabulary (see `/vocabularies/...`; populations: `minor`, `older_adult`).
    #[oai(validator(max_length = 63))]
    pub code: String,
    pub severity: SeverityName,
    /// Apply only above this daily amount, in the substance's unit.
    pub above_daily: Option<Decimal>,
    /// What makes the substance matter for the term.
    pub effect: Option<EffectName>,
    /// The citation the rule rests on.
    #[oai(validator(max_length = 1000))]
    pub source: String,
    #[oai(validator(max_length = 2000))]
    pub source_url: Option<String>,
    /// Explanation by locale (`en` required), 1–2000 characters each.
    pub explanations: BTreeMap<String, String>,
}

const RULES: &[(&str, &str, &str)] = &[
    (
        "contraindication_rules_substance_id_vocabulary_code_key",
        "code",
        "a rule for this substance and term exists; edit it instead",
    ),
    (
        "contraindication_rules_vocabulary_code_fkey",
        "code",
        "not a term of this vocabulary",
    ),
];

impl SafetyRuleInput {
    fn parse(self) -> Result<RuleFields, ApiError> {
        let mut check = Check::default();
        let substance = check.ok("substance", substance_code(&self.substance));
        let code = check.ok("code", substance_code(&self.code));
        let above_daily = self.above_daily.and_then(|v| {
            let checked = if v <= Decimal::ZERO {
                Err(Invalid::Positive)
            } else {
                numeric(v, 12, 3)
            };
            check.ok("above_daily", checked)
        });
        let (source, source_url) = cited(&mut check, &self.source, self.source_url.as_deref());
        let entries = check.locales("explanations", self.explanations);
        if !entries.iter().any(|(l, ..)| *l == "en") {
            check.add("explanations", "needs the English explanation (\"en\")");
        }
        let mut explanations = Vec::new();
        for (locale, at, value) in entries {
            if let Some(t) = check.ok(&at, text(&value, 2000)) {
                explanations.push((locale, t));
            }
        }
        match (substance, code, source) {
            (Some(substance), Some(code), Some(source)) if check.is_clean() => Ok(RuleFields {
                substance,
                vocabulary: self.vocabulary.into(),
                code,
                severity: self.severity.into(),
                min_daily_amount: above_daily,
                effect: self.effect.map(Effect::from),
                source,
                source_url,
                explanations,
            }),
            _ => Err(check.into_error()),
        }
    }
}

/// A citation (3–1000 characters) and its optional web address, each checked under its field name.
fn cited(
    check: &mut Check,
    source: &str,
    source_url: Option<&str>,
) -> (Option<String>, Option<String>) {
    let source = check.ok(
        "source",
        text(source, 1000).and_then(|s| {
            if s.chars().count() < 3 {
                Err("must be at least 3 characters".into())
            } else {
                Ok(s)
            }
        }),
    );
    let source_url = source_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .and_then(|u| check.ok("source_url", web_url(u)));
    (source, source_url)
}

#[derive(Default)]
pub struct SafetyRulesApi;

#[OpenApi(tag = "ApiTags::Safety")]
impl SafetyRulesApi {
    /// Contraindication rules
    ///
    /// Every rule the safety screen applies — substance × allergen, condition, medication class or
    /// population → `avoid` (not for the person), `caution` (ask the doctor first) or `info` — with its
    /// explanation in `lang` and its source. Filter by `substance` code. Public.
    #[oai(
        path = "/safety-rules",
        method = "get",
        operation_id = "listSafetyRules"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        #[oai(validator(max_length = 63))] substance: Query<Option<String>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Vec<SafetyRule>>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        let rules = db::safety::views(&state.pool, locale.as_str(), None).await?;
        Ok(Json(
            rules
                .into_iter()
                .filter(|r| substance.0.as_ref().is_none_or(|s| &r.substance == s))
                .map(SafetyRule::from)
                .collect(),
        ))
    }

    /// A contraindication rule, for editing
    ///
    /// With its explanations in every language. Admins.
    #[oai(
        path = "/admin/safety-rules/:id",
        method = "get",
        operation_id = "getSafetyRule"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<AdminSafetyRule>, ApiError> {
        Ok(Json(admin_rule(&state, id.0).await?))
    }

    /// Create a contraindication rule
    ///
    /// 409 when the substance already has a rule for the term; 422 naming every invalid field (an
    /// unknown substance or term included). Audited. Admins.
    #[oai(
        path = "/admin/safety-rules",
        method = "post",
        operation_id = "createSafetyRule"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<SafetyRuleInput>,
    ) -> Result<Created<AdminSafetyRule>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
        check_term(&mut tx, &fields).await?;
        let id = db::safety::insert(&mut tx, &fields)
            .await
            .map_err(|e| on_constraint(e, RULES))?
            .ok_or_else(|| ApiError::invalid("substance", "no such substance"))?;
        let details = json!({ "id": id, "substance": fields.substance, "vocabulary": fields.vocabulary.as_str(),
                              "code": fields.code, "severity": fields.severity.as_str() });
        tx.commit("admin.safety_rule_create", details, &[Ns::Rules])
            .await?;
        Ok(Created::Created(Json(admin_rule(&state, id).await?)))
    }

    /// Replace a contraindication rule
    ///
    /// The whole rule, explanations included. Audited. Admins.
    #[oai(
        path = "/admin/safety-rules/:id",
        method = "put",
        operation_id = "updateSafetyRule"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<SafetyRuleInput>,
    ) -> Result<Json<AdminSafetyRule>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
        check_term(&mut tx, &fields).await?;
        if !db::safety::substance_exists(&mut tx, &fields.substance).await? {
            return Err(ApiError::invalid("substance", "no such substance"));
        }
        if !db::safety::update(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, RULES))?
        {
            return Err(ApiError::not_found("safety rule"));
        }
        let details = json!({ "id": id.0, "substance": fields.substance, "vocabulary": fields.vocabulary.as_str(),
                              "code": fields.code, "severity": fields.severity.as_str() });
        tx.commit("admin.safety_rule_update", details, &[Ns::Rules])
            .await?;
        Ok(Json(admin_rule(&state, id.0).await?))
    }

    /// Delete a contraindication rule
    ///
    /// Audited. Admins.
    #[oai(
        path = "/admin/safety-rules/:id",
        method = "delete",
        operation_id = "deleteSafetyRule"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
        let (substance, vocabulary, code) = db::safety::delete(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("safety rule"))?;
        let details =
            json!({ "id": id.0, "substance": substance, "vocabulary": vocabulary, "code": code });
        tx.commit("admin.safety_rule_delete", details, &[Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }

    /// Life-stage safety data
    ///
    /// The substances whose safety in pregnancy, while breastfeeding or under 18 is on record, with
    /// the source. In pregnancy and while breastfeeding a substance without it is a question for the
    /// doctor; under 18 it is kept for adults. Filter by `substance` code. Public.
    #[oai(
        path = "/safety-life-stages",
        method = "get",
        operation_id = "listLifeStageData"
    )]
    async fn life_stages(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        #[oai(validator(max_length = 63))] substance: Query<Option<String>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Vec<LifeStageData>>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        let data =
            db::safety::life_stages(&state.pool, locale.as_str(), substance.0.as_deref(), None)
                .await?;
        Ok(Json(data.into_iter().map(LifeStageData::from).collect()))
    }

    /// Record a substance's life-stage safety data
    ///
    /// That `substance` is safe to offer in `life_stage`, and the source that says so; replaces the
    /// source when it is on record already. 404 for an unknown substance. Audited. Admins.
    #[oai(
        path = "/admin/safety-life-stages/:substance/:life_stage",
        method = "put",
        operation_id = "putLifeStageData"
    )]
    async fn put_life_stage(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        #[oai(validator(max_length = 63))] substance: Path<String>,
        life_stage: Path<LifeStageName>,
        body: Json<LifeStageDataInput>,
    ) -> Result<LifeStageSaved, ApiError> {
        let stage = LifeStage::from(life_stage.0);
        let mut check = Check::default();
        let (source, source_url) = cited(&mut check, &body.source, body.source_url.as_deref());
        let Some(source) = source.filter(|_| check.is_clean()) else {
            return Err(check.into_error());
        };
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
        let created = db::safety::put_life_stage(
            &mut tx,
            &substance.0,
            stage,
            &source,
            source_url.as_deref(),
        )
        .await?
        .ok_or_else(|| ApiError::not_found("substance"))?;
        let details =
            json!({ "substance": substance.0, "life_stage": stage.as_str(), "source": source });
        tx.commit("admin.life_stage_data_put", details, &[Ns::Rules])
            .await?;
        let data = life_stage_data(&state, &substance.0, stage).await?;
        Ok(if created {
            LifeStageSaved::Created(Json(data))
        } else {
            LifeStageSaved::Replaced(Json(data))
        })
    }

    /// Remove a substance's life-stage safety data
    ///
    /// From then on, in that life stage the substance is a question for the doctor (pregnancy,
    /// breastfeeding) or not offered (under 18). Audited. Admins.
    #[oai(
        path = "/admin/safety-life-stages/:substance/:life_stage",
        method = "delete",
        operation_id = "deleteLifeStageData"
    )]
    async fn delete_life_stage(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        #[oai(validator(max_length = 63))] substance: Path<String>,
        life_stage: Path<LifeStageName>,
    ) -> Result<Done, ApiError> {
        let stage = LifeStage::from(life_stage.0);
        let mut tx = AdminWrite::begin(&state, client.actor(auth.0.user)).await?;
        if !db::safety::delete_life_stage(&mut tx, &substance.0, stage).await? {
            return Err(ApiError::not_found("life-stage data"));
        }
        let details = json!({ "substance": substance.0, "life_stage": stage.as_str() });
        tx.commit("admin.life_stage_data_delete", details, &[Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }
}

/// The term must be in the vocabulary (checked here to name the field; the foreign key holds too).
async fn check_term(conn: &mut sqlx::PgConnection, f: &RuleFields) -> Result<(), ApiError> {
    let unknown = db::profiles::unknown_terms(
        &mut *conn,
        f.vocabulary.as_str(),
        std::slice::from_ref(&f.code),
    )
    .await?;
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "code",
            format!("not a term of the {} vocabulary", f.vocabulary.as_str()),
        ))
    }
}

async fn admin_rule(state: &AppState, id: Uuid) -> Result<AdminSafetyRule, ApiError> {
    let view = db::safety::views(&state.pool, "en", Some(&[id]))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("safety rule"))?;
    let explanations = db::safety::explanations(&state.pool, id)
        .await?
        .into_iter()
        .collect();
    Ok(AdminSafetyRule {
        rule: view.into(),
        explanations,
    })
}

async fn life_stage_data(
    state: &AppState,
    substance: &str,
    stage: LifeStage,
) -> Result<LifeStageData, ApiError> {
    db::safety::life_stages(&state.pool, "en", Some(substance), Some(stage))
        .await?
        .into_iter()
        .next()
        .map(LifeStageData::from)
        .ok_or_else(|| ApiError::not_found("life-stage data"))
}
