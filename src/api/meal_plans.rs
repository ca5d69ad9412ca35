//! `/meal-plans`: days and weeks of Serbian dishes that hit the athlete's targets, stored, swappable,
//! and turned into a shopping list. The optimiser is [`crate::domain::mealplan`]; dishes with the
//! athlete's allergens or on their excluded list never enter it, and the protein supplement that may
//! fill the gap passes the same safety screen as every other suggestion.

use std::collections::HashMap;

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};
use rust_decimal::{Decimal, prelude::ToPrimitive};
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use super::{
    ApiTags, AppState,
    error::ApiError,
    health_profile::{HealthProfile, today},
    language::{LanguageTag, Negotiation},
    nutrition::TrainingLoadName,
    security::BearerAuth,
};
use crate::{
    db::{self, dishes as dish_store, meal_plans as store},
    domain::{
        account::{Locale, Role},
        dosage::{self, PROTEIN},
        mealplan::{self, DAY, Dish, Macros, MealType, SlotRule, Supplement, Targets},
        nutrition::{self, TrainingLoad},
        recommend,
    },
    i18n::{self, Arg, Messages},
    ops::compute::RequestWork,
    service::athlete::{athlete_context, candidate},
};

/// The longest period a list or shopping list covers.
pub const MAX_RANGE_DAYS: i64 = 93;
/// At most this many scoops of the protein supplement a day fill the plan's protein gap: food first.
pub const MAX_SUPPLEMENT_SERVINGS: u32 = 2;
/// What reusing the dish of the plan being regenerated costs in the objective: a new plan differs.
const REGENERATED: f64 = 5.0;
/// What a dish of a cuisine the athlete did not choose costs in the objective.
const OTHER_CUISINE: f64 = 2.0;

/// Energy and macronutrients of a day.
#[derive(Object, Debug, Clone, Copy, PartialEq)]
pub struct DayMacros {
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub carbohydrate_g: f64,
    pub fat_g: f64,
}

impl From<Macros> for DayMacros {
    fn from(m: Macros) -> Self {
        let r = |v: f64| (v * 10.0).round() / 10.0;
        Self {
            energy_kcal: m.energy_kcal.round(),
            protein_g: r(m.protein_g),
            carbohydrate_g: r(m.carbohydrate_g),
            fat_g: r(m.fat_g),
        }
    }
}

/// A dish of the plan.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct PlannedDish {
    /// 1, 2, … in the order of the day; name it to swap the dish.
    pub position: u32,
    pub meal_type: String,
    /// Usual time, `HH:MM`.
    pub time: String,
    pub dish_id: Uuid,
    pub slug: String,
    pub name: String,
    /// 0.5–2.5 in quarter steps.
    pub servings: f64,
    /// For these servings.
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub carbohydrate_g: f64,
    pub fat_g: f64,
}

/// The protein supplement that fills what the dishes leave of the protein target.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlanSupplement {
    pub product_id: Uuid,
    pub name: String,
    pub servings: u32,
    pub protein_g: f64,
    pub energy_kcal: f64,
}

/// A target the day misses.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct PlanMiss {
    /// `energy_kcal`, `protein_g`, `carbohydrate_g`, `fat_g` or `budget`.
    pub target: String,
    /// Outside its range by this much (negative: under), in the target's unit.
    pub amount: f64,
    /// The same as a share of the target.
    pub share: f64,
    pub text: String,
}

/// A day's plan.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct MealPlan {
    pub date: Date,
    pub training_load: String,
    pub targets: DayMacros,
    pub totals: DayMacros,
    /// Energy ±5 %, protein 100–130 %, carbohydrate and fat ±10 % (and the budget, when set).
    pub within_targets: bool,
    pub misses: Vec<PlanMiss>,
    pub dishes: Vec<PlannedDish>,
    #[oai(skip_serializing_if_is_none)]
    pub supplement: Option<PlanSupplement>,
    /// Estimated food cost (RSD) when every ingredient has a price.
    #[oai(skip_serializing_if_is_none)]
    pub cost: Option<Decimal>,
    pub updated_at: OffsetDateTime,
}

#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct DailyRequest {
    pub date: Date,
    /// The day's load; default: from weekly training hours.
    pub training_load: Option<TrainingLoadName>,
    /// Dishes the day must hold (they may exceed the twice-a-week limit).
    #[oai(default)]
    pub pinned_dishes: Vec<Uuid>,
}

#[derive(Object, Debug, Clone)]
pub struct WeeklyRequest {
    pub start_date: Date,
    /// Dishes every day must hold.
    #[oai(default)]
    pub pinned_dishes: Vec<Uuid>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct WeekPlan {
    pub days: Vec<MealPlan>,
    /// Days within every tolerance.
    pub days_within_targets: u32,
}

#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct SwapRequest {
    /// The dish's `position` in the plan.
    pub position: u32,
    /// The replacement; default: the one that keeps the day closest to its targets.
    pub dish_id: Option<Uuid>,
}

/// An ingredient the period's plans need.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingListItem {
    pub ingredient_id: Uuid,
    pub name: String,
    pub food_group: String,
    pub grams: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub price_per_kg: Option<Decimal>,
    #[oai(skip_serializing_if_is_none)]
    pub cost: Option<Decimal>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct MealShoppingList {
    pub from: Date,
    pub to: Date,
    pub days_planned: u32,
    pub items: Vec<ShoppingListItem>,
    /// The cost of the priced items (RSD).
    pub estimated_cost: Decimal,
    /// Items without a price, not in the estimate.
    pub unpriced_items: u32,
}

/// What planning needs about the athlete, read once per request.
struct Planner {
    user: Uuid,
    profile: HealthProfile,
    dishes: Vec<Dish>,
    other_cuisine: Vec<Uuid>,
    budget: Option<f64>,
    supplement: Option<(Supplement, String)>,
}

impl Planner {
    async fn load(state: &AppState, user: Uuid, locale: &Locale) -> Result<Self, ApiError> {
        let ctx = athlete_context(state, user).await?;
        let prefs = dish_store::preferences(&state.pool, user).await?;
        let rows = dish_store::dishes(
            &state.pool,
            locale.as_str(),
            &dish_store::DishFilter {
                free_of: ctx.profile.allergies.clone(),
                limit: 10_000,
                ..Default::default()
            },
        )
        .await?;
        let mut dishes = Vec::new();
        for d in rows {
            if prefs.excluded.contains(&d.id) {
                continue;
            }
            let n = &d.nutrients;
            // A dish whose macros are not all known cannot be planned reliably.
            let (Some(e), Some(p), Some(c), Some(f)) =
                (n.energy_kcal, n.protein_g, n.carbohydrate_g, n.fat_g)
            else {
                continue;
            };
            if ["energy_kcal", "protein_g", "carbohydrate_g", "fat_g"]
                .iter()
                .any(|k| d.unknown.iter().any(|u| u == k))
            {
                continue;
            }
            dishes.push((
                Dish {
                    id: d.id,
                    meals: d
                        .meal_types
                        .iter()
                        .filter_map(|m| MealType::parse(m))
                        .collect(),
                    per_serving: Macros {
                        energy_kcal: e,
                        protein_g: p,
                        carbohydrate_g: c,
                        fat_g: f,
                    },
                    cost_per_serving: d.cost.filter(|_| d.cost_complete == Some(true)),
                    favourite: prefs.favourites.contains(&d.id),
                    uses_this_week: 0,
                    pinned: false,
                },
                d.cuisine,
            ));
        }
        // Dishes of a cuisine the athlete did not choose are planned only when they help.
        let other_cuisine: Vec<Uuid> = dishes
            .iter()
            .filter(|(_, c)| !prefs.cuisines.is_empty() && !prefs.cuisines.contains(c))
            .map(|(d, _)| d.id)
            .collect();
        let supplement = protein_supplement(state, &ctx, locale).await?;
        Ok(Self {
            user,
            profile: ctx.profile,
            dishes: dishes.into_iter().map(|(d, _)| d).collect(),
            other_cuisine,
            budget: prefs.daily_budget.and_then(|b| b.to_f64()),
            supplement,
        })
    }

    /// The variety weights: dishes of another cuisine than the athlete's, and (when regenerating)
    /// the dishes of the plan being replaced.
    fn variety(&self, replaced: &[Uuid]) -> HashMap<Uuid, f64> {
        let mut v: HashMap<Uuid, f64> = self
            .other_cuisine
            .iter()
            .map(|id| (*id, OTHER_CUISINE))
            .collect();
        for id in replaced {
            *v.entry(*id).or_default() += REGENERATED;
        }
        v
    }
}

/// The cheapest protein powder recommended for this athlete (or confirmed by them after asking their
/// doctor), per serving, with its name.
async fn protein_supplement(
    state: &AppState,
    ctx: &crate::service::athlete::AthleteContext,
    locale: &Locale,
) -> Result<Option<(Supplement, String)>, ApiError> {
    let products =
        db::supplements::products(&state.pool, locale.as_str(), Some("protein"), None).await?;
    let rules = crate::service::cached::rules(state).await?;
    let mut best: Option<(Decimal, Supplement, String)> = None;
    for p in &products {
        if p.serving_unit != "g" {
            continue;
        }
        let Some(price) = p.best_price_per_serving else {
            continue;
        };
        let candidate = candidate(p);
        let protein: f64 = candidate
            .ingredients
            .iter()
            .filter(|i| dosage::PROTEIN_SUBSTANCES.contains(&i.code.as_str()))
            .map(|i| i.amount_per_serving.to_f64().unwrap_or(0.0))
            .sum();
        // Judged as if the dishes left a gap of the most scoops a plan takes: the dose says how
        // many of them are safe for this athlete.
        let needs = dosage::Needs {
            protein_gap_g: Some(protein * f64::from(MAX_SUPPLEMENT_SERVINGS)),
        };
        let Ok((dose, hits)) =
            recommend::judge(&candidate, &ctx.athlete, &ctx.person, &needs, &rules)
        else {
            continue;
        };
        // Only a product nothing cautions against, or one the athlete confirmed.
        if !ctx.may_plan(p.id, &hits) {
            continue;
        }
        if dose.driver.as_deref() != Some(PROTEIN) {
            continue;
        }
        let per_100 = |v: Option<Decimal>| {
            v.map(|v| {
                (v * p.serving_size / Decimal::ONE_HUNDRED)
                    .to_f64()
                    .unwrap_or(0.0)
            })
        };
        let carbohydrate = per_100(p.carbohydrate_g_per_100g).unwrap_or(0.0);
        let fat = per_100(p.fat_g_per_100g).unwrap_or(0.0);
        let energy = per_100(p.energy_kcal_per_100g).unwrap_or(
            nutrition::ATWATER_PROTEIN * protein
                + nutrition::ATWATER_CARBOHYDRATE * carbohydrate
                + nutrition::ATWATER_FAT * fat,
        );
        let max = dose
            .servings_per_day
            .floor()
            .to_u32()
            .unwrap_or(0)
            .clamp(1, MAX_SUPPLEMENT_SERVINGS);
        let price_per_gram_protein =
            price / Decimal::try_from(protein.max(1.0)).unwrap_or(Decimal::ONE);
        if best
            .as_ref()
            .is_none_or(|(b, ..)| price_per_gram_protein < *b)
        {
            best = Some((
                price_per_gram_protein,
                Supplement {
                    product: p.id,
                    per_serving: Macros {
                        energy_kcal: energy,
                        protein_g: protein,
                        carbohydrate_g: carbohydrate,
                        fat_g: fat,
                    },
                    max_servings: max,
                },
                p.name.clone().unwrap_or_else(|| p.slug.clone()),
            ));
        }
    }
    Ok(best.map(|(_, s, name)| (s, name)))
}

/// Monday to Sunday around a date.
fn week_of(date: Date) -> (Date, Date) {
    let monday = date - Duration::days(i64::from(date.weekday().number_days_from_monday()));
    (monday, monday + Duration::days(6))
}

fn load_name(load: TrainingLoad) -> String {
    TrainingLoadName::from(load).as_str().to_owned()
}

/// Plans one day and stores it. `rules` and `banned` shape a swap; otherwise the day is open. The
/// solve takes `1/parts` of the time `work` has left.
#[allow(clippy::too_many_arguments)]
async fn plan_and_store(
    state: &AppState,
    work: &RequestWork,
    parts: u32,
    planner: &Planner,
    date: Date,
    load: Option<TrainingLoad>,
    pinned: &[Uuid],
    swap: Option<(Vec<SlotRule>, Uuid)>,
    locale: &Locale,
) -> Result<MealPlan, ApiError> {
    let athlete = planner.profile.athlete_on(date).map_err(|_| {
        ApiError::invalid(
            "date",
            "the athlete's age on this date is outside 14-100 years",
        )
    })?;
    let t = nutrition::targets(&athlete, load);
    let targets = Targets {
        macros: Macros {
            energy_kcal: t.energy_kcal,
            protein_g: t.protein_g,
            carbohydrate_g: t.carbohydrate_g,
            fat_g: t.fat_g,
        },
        budget: planner.budget,
    };
    let (from, to) = week_of(date);
    let uses: HashMap<Uuid, i64> = store::dish_uses(&state.pool, planner.user, from, to, date)
        .await?
        .into_iter()
        .collect();
    let previous = store::between(&state.pool, planner.user, date, date, locale.as_str())
        .await?
        .1;
    let replaced: Vec<Uuid> = if swap.is_none() {
        previous.iter().map(|i| i.dish_id).collect()
    } else {
        Vec::new()
    };
    let banned = swap.as_ref().map(|(_, b)| *b);
    let dishes: Vec<Dish> = planner
        .dishes
        .iter()
        .filter(|d| Some(d.id) != banned)
        .map(|d| Dish {
            uses_this_week: uses.get(&d.id).copied().unwrap_or(0) as u32,
            pinned: pinned.contains(&d.id),
            ..d.clone()
        })
        .collect();
    let rules = swap.map(|(r, _)| r).unwrap_or_else(mealplan::open_day);
    let variety = planner.variety(&replaced);
    let supplement = planner.supplement.as_ref().map(|(s, _)| s.clone());
    // Each athlete's days rotate through the dishes differently.
    let seed = (planner.user.as_u128() as u64)
        ^ (date.to_julian_day() as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
    let plan = work
        .run_share(parts, move |budget| {
            mealplan::plan_day(
                &dishes,
                &targets,
                supplement.as_ref(),
                &variety,
                &rules,
                seed,
                budget,
            )
        })
        .await
        .map_err(|_| ApiError::planners_busy())?;
    if plan.is_ok() {
        crate::ops::telemetry::instruments().meal_plans.add(1, &[]);
    }
    let plan = plan.map_err(|e| match e {
        mealplan::NoPlan::NoDishFor(meal) => ApiError::invalid(
            "date",
            format!(
                "no dish is left for {} (allergens, excluded dishes and the twice-a-week limit rule them all out)",
                meal.as_str()
            ),
        ),
        mealplan::NoPlan::OutOfBudget(_) => ApiError::invalid(
            "date",
            format!(
                "no plan was found within the planner's work limit of {} ms; try again",
                state.compute.time_limit().as_millis()
            ),
        ),
        mealplan::NoPlan::Solver(e) => ApiError::from(anyhow::anyhow!("meal planner: {e}")),
    })?;

    let supplement = planner
        .supplement
        .as_ref()
        .filter(|_| plan.supplement_servings > 0)
        .map(|(s, name)| PlanSupplement {
            product_id: s.product,
            name: name.clone(),
            servings: plan.supplement_servings,
            protein_g: (s.per_serving.protein_g * f64::from(plan.supplement_servings) * 10.0)
                .round()
                / 10.0,
            energy_kcal: (s.per_serving.energy_kcal * f64::from(plan.supplement_servings)).round(),
        });
    let mut tx = state.pool.begin().await?;
    store::save(
        &mut tx,
        planner.user,
        &store::NewPlan {
            date,
            training_load: load_name(t.load),
            targets: macros_json(targets.macros),
            totals: macros_json(plan.totals),
            misses: json!(
                plan.misses
                    .iter()
                    .map(|m| json!({ "target": m.target, "amount": m.amount, "share": m.share }))
                    .collect::<Vec<_>>()
            ),
            supplement: supplement
                .as_ref()
                .map(|s| serde_json::to_value(s).unwrap_or_default()),
            cost: plan
                .cost
                .and_then(|c| Decimal::try_from(c).ok())
                .map(|c| c.round_dp(2)),
            items: plan
                .portions
                .iter()
                .map(|p| {
                    (
                        DAY[p.slot].meal.as_str(),
                        DAY[p.slot].time,
                        p.dish,
                        Decimal::new(i64::from(p.quarters) * 25, 2),
                    )
                })
                .collect(),
        },
    )
    .await?;
    tx.commit().await?;
    read_day(state, planner.user, date, locale)
        .await?
        .ok_or_else(|| ApiError::from(anyhow::anyhow!("a stored plan vanished")))
}

fn macros_json(m: Macros) -> serde_json::Value {
    json!({ "energy_kcal": m.energy_kcal, "protein_g": m.protein_g, "carbohydrate_g": m.carbohydrate_g, "fat_g": m.fat_g })
}

fn macros_of(v: &serde_json::Value) -> DayMacros {
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    Macros {
        energy_kcal: f("energy_kcal"),
        protein_g: f("protein_g"),
        carbohydrate_g: f("carbohydrate_g"),
        fat_g: f("fat_g"),
    }
    .into()
}

/// A miss in words.
fn miss_text(locale: &Locale, target: &str, amount: f64, share: f64) -> String {
    let m = Messages::global();
    let unit = match target {
        "energy_kcal" => m.get(locale, "unit-kcal", &[]),
        "budget" => m.get(locale, "unit-rsd", &[]),
        _ => m.get(locale, "unit-g", &[]),
    };
    let percent = i18n::number(locale, (100.0 * (1.0 + share)).max(0.0), 0);
    m.get(
        locale,
        if amount < 0.0 {
            "plan-under"
        } else {
            "plan-over"
        },
        &[
            (
                "target",
                Arg::from(m.get(locale, &format!("target-{target}"), &[])),
            ),
            ("amount", i18n::number(locale, amount.abs(), 1).into()),
            ("unit", unit.into()),
            ("percent", percent.into()),
        ],
    )
}

fn to_plans(locale: &Locale, plans: Vec<store::Plan>, items: Vec<store::Item>) -> Vec<MealPlan> {
    plans
        .into_iter()
        .map(|p| {
            let misses: Vec<PlanMiss> = p
                .misses
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|m| {
                            let target = m["target"].as_str().unwrap_or_default().to_owned();
                            let (amount, share) = (
                                m["amount"].as_f64().unwrap_or(0.0),
                                m["share"].as_f64().unwrap_or(0.0),
                            );
                            PlanMiss {
                                text: miss_text(locale, &target, amount, share),
                                target,
                                amount,
                                share,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let dishes = items
                .iter()
                .filter(|i| i.meal_plan_id == p.id)
                .map(|i| {
                    let k = i.servings.to_f64().unwrap_or(0.0);
                    let r = |v: Option<f64>| (v.unwrap_or(0.0) * k * 10.0).round() / 10.0;
                    PlannedDish {
                        position: i.position as u32,
                        meal_type: i.meal_type.clone(),
                        time: i.meal_time.clone(),
                        dish_id: i.dish_id,
                        slug: i.slug.clone(),
                        name: i.name.clone().unwrap_or_else(|| i.slug.clone()),
                        servings: k,
                        energy_kcal: r(i.energy_kcal).round(),
                        protein_g: r(i.protein_g),
                        carbohydrate_g: r(i.carbohydrate_g),
                        fat_g: r(i.fat_g),
                    }
                })
                .collect();
            MealPlan {
                date: p.plan_date,
                training_load: p.training_load.unwrap_or_default(),
                targets: macros_of(&p.targets),
                totals: macros_of(&p.totals),
                within_targets: misses.is_empty(),
                misses,
                dishes,
                supplement: p.supplement.and_then(|s| serde_json::from_value(s).ok()),
                cost: p.cost,
                updated_at: p.updated_at,
            }
        })
        .collect()
}

async fn read_day(
    state: &AppState,
    user: Uuid,
    date: Date,
    locale: &Locale,
) -> Result<Option<MealPlan>, ApiError> {
    let (plans, items) = store::between(&state.pool, user, date, date, locale.as_str()).await?;
    Ok(to_plans(locale, plans, items).into_iter().next())
}

/// `from`–`to` checked: in order and at most [`MAX_RANGE_DAYS`] long.
fn range(from: Option<Date>, to: Option<Date>) -> Result<(Date, Date), ApiError> {
    let from = from.unwrap_or_else(today);
    let to = to.unwrap_or(from + Duration::days(6));
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    if (to - from).whole_days() >= MAX_RANGE_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("a range covers at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// Pinned dishes must be active dishes.
async fn check_pinned(state: &AppState, pinned: &[Uuid]) -> Result<(), ApiError> {
    if pinned.len() > 5 {
        return Err(ApiError::invalid("pinned_dishes", "pin at most 5 dishes"));
    }
    if let Some(id) = dish_store::unknown_dishes(&state.pool, pinned)
        .await?
        .first()
    {
        return Err(ApiError::invalid("pinned_dishes", format!("no dish {id}")));
    }
    Ok(())
}

#[derive(Default)]
pub struct MealPlansApi;

#[OpenApi(prefix_path = "/meal-plans", tag = "ApiTags::Food")]
impl MealPlansApi {
    /// Plan a day
    ///
    /// Dishes in quarter servings (0.5–2.5) for breakfast (07:30), two snacks (10:30, 17:00), lunch
    /// as the main meal (14:00) and dinner (20:00), so that the day is within energy ±5 %, protein
    /// 100–130 %, carbohydrate and fat ±10 % of the targets for `date` and `training_load` — never a
    /// dish with the athlete's allergens or on their excluded list, no dish more than twice a week
    /// unless pinned, the daily budget if set. When the dishes cannot meet a target, the closest plan,
    /// with `misses` saying which and by how much. A protein powder the safety screen allows may fill
    /// the protein gap (at most two servings). Replaces the day's plan (a regenerated plan avoids the
    /// previous dishes). Athletes with a health profile.
    #[oai(path = "/daily", method = "post", operation_id = "planDay")]
    async fn daily(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<DailyRequest>,
    ) -> Result<Json<MealPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        check_pinned(&state, &body.0.pinned_dishes).await?;
        let planner = Planner::load(&state, auth.0.user, &locale).await?;
        let load = body.0.training_load.map(Into::into);
        let work = state.compute.request();
        Ok(Json(
            plan_and_store(
                &state,
                &work,
                1,
                &planner,
                body.0.date,
                load,
                &body.0.pinned_dishes,
                None,
                &locale,
            )
            .await?,
        ))
    }

    /// Plan a week
    ///
    /// Seven days from `start_date`, each as `POST /meal-plans/daily` at the athlete's usual load,
    /// with variety across the week (no dish more than twice unless pinned). Athletes with a health
    /// profile.
    #[oai(path = "/weekly", method = "post", operation_id = "planWeek")]
    async fn weekly(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<WeeklyRequest>,
    ) -> Result<Json<WeekPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        check_pinned(&state, &body.0.pinned_dishes).await?;
        let planner = Planner::load(&state, auth.0.user, &locale).await?;
        let mut days = Vec::new();
        let work = state.compute.request();
        for n in 0..7 {
            let date = body.0.start_date + Duration::days(n);
            days.push(
                plan_and_store(
                    &state,
                    &work,
                    7 - n as u32,
                    &planner,
                    date,
                    None,
                    &body.0.pinned_dishes,
                    None,
                    &locale,
                )
                .await?,
            );
        }
        Ok(Json(WeekPlan {
            days_within_targets: days.iter().filter(|d| d.within_targets).count() as u32,
            days,
        }))
    }

    /// Stored plans
    ///
    /// The athlete's plans from `from` (default today) to `to` (default a week on; at most 93 days).
    /// Athletes.
    #[oai(path = "/", method = "get", operation_id = "listMealPlans")]
    async fn list(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Vec<MealPlan>>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        let (from, to) = range(from.0, to.0)?;
        let (plans, items) =
            store::between(&state.pool, auth.0.user, from, to, locale.as_str()).await?;
        Ok(Json(to_plans(&locale, plans, items)))
    }

    /// What the plans need from the shop
    ///
    /// Every ingredient of the plans from `from` to `to` (default: this week), summed in grams over
    /// the planned servings, with an estimated cost where the ingredient's price is known. Athletes.
    #[oai(
        path = "/shopping-list",
        method = "get",
        operation_id = "mealPlanShoppingList"
    )]
    async fn shopping_list(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        from: Query<Option<Date>>,
        to: Query<Option<Date>>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<MealShoppingList>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        let (from, to) = range(from.0, to.0)?;
        let rows =
            store::shopping_list(&state.pool, auth.0.user, from, to, locale.as_str()).await?;
        let (plans, _) =
            store::between(&state.pool, auth.0.user, from, to, locale.as_str()).await?;
        let estimated_cost = rows.iter().filter_map(|r| r.cost).sum();
        let unpriced = rows.iter().filter(|r| r.cost.is_none()).count() as u32;
        Ok(Json(MealShoppingList {
            from,
            to,
            days_planned: plans.len() as u32,
            items: rows
                .into_iter()
                .map(|r| ShoppingListItem {
                    ingredient_id: r.ingredient_id,
                    name: r.name.unwrap_or_default(),
                    food_group: r.food_group,
                    grams: r.grams,
                    price_per_kg: r.price_per_kg,
                    cost: r.cost,
                })
                .collect(),
            estimated_cost,
            unpriced_items: unpriced,
        }))
    }

    /// A day's plan
    ///
    /// Athletes; 404 when the day has no plan.
    #[oai(path = "/:date", method = "get", operation_id = "getMealPlan")]
    async fn get(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        date: Path<Date>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<MealPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        Ok(Json(
            read_day(&state, auth.0.user, date.0, &locale)
                .await?
                .ok_or_else(|| ApiError::not_found("meal plan"))?,
        ))
    }

    /// Swap a dish
    ///
    /// Replaces the dish at `position` with `dish_id` (or, without one, the dish that keeps the day
    /// closest to its targets), keeping the other meals' dishes and re-portioning the day; `misses`
    /// says if the day leaves its targets. Athletes.
    #[oai(
        path = "/:date/swap",
        method = "post",
        operation_id = "swapMealPlanDish"
    )]
    async fn swap(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        auth: BearerAuth,
        date: Path<Date>,
        lang: Query<Option<LanguageTag>>,
        body: Json<SwapRequest>,
    ) -> Result<Json<MealPlan>, ApiError> {
        auth.0.require(&[Role::Athlete])?;
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?;
        let current = read_day(&state, auth.0.user, date.0, &locale)
            .await?
            .ok_or_else(|| ApiError::not_found("meal plan"))?;
        let old = current
            .dishes
            .iter()
            .find(|d| d.position == body.0.position)
            .ok_or_else(|| {
                ApiError::invalid(
                    "position",
                    format!("the plan has no dish at position {}", body.0.position),
                )
            })?;
        let planner = Planner::load(&state, auth.0.user, &locale).await?;
        let slot_of = |d: &PlannedDish| {
            DAY.iter()
                .position(|s| s.meal.as_str() == d.meal_type && s.time == d.time)
        };
        let swapped_slot = slot_of(old)
            .ok_or_else(|| ApiError::from(anyhow::anyhow!("a stored dish has no slot")))?;
        let mut rules: Vec<SlotRule> = (0..DAY.len())
            .map(|s| {
                SlotRule::kept(
                    current
                        .dishes
                        .iter()
                        .filter(|d| slot_of(d) == Some(s))
                        .map(|d| d.dish_id)
                        .collect(),
                )
            })
            .collect();
        let others: Vec<Uuid> = current
            .dishes
            .iter()
            .filter(|d| slot_of(d) == Some(swapped_slot) && d.position != old.position)
            .map(|d| d.dish_id)
            .collect();
        let count = rules[swapped_slot].dishes;
        rules[swapped_slot] = match body.0.dish_id {
            Some(new) => {
                let dish = planner.dishes.iter().find(|d| d.id == new).ok_or_else(|| {
                    ApiError::invalid(
                        "dish_id",
                        "no such dish, or not for you (allergens or excluded)",
                    )
                })?;
                if !dish.meals.contains(&DAY[swapped_slot].meal) {
                    return Err(ApiError::invalid(
                        "dish_id",
                        format!(
                            "this dish is not eaten at {}",
                            DAY[swapped_slot].meal.as_str()
                        ),
                    ));
                }
                if new == old.dish_id || others.contains(&new) {
                    return Err(ApiError::invalid(
                        "dish_id",
                        "the meal already holds this dish",
                    ));
                }
                let mut dishes = others.clone();
                dishes.push(new);
                SlotRule::kept(dishes)
            }
            None => SlotRule {
                required: others,
                only: None,
                dishes: count,
            },
        };
        // The replacement must not be a dish the day already holds elsewhere.
        let elsewhere: Vec<Uuid> = current
            .dishes
            .iter()
            .filter(|d| slot_of(d) != Some(swapped_slot))
            .map(|d| d.dish_id)
            .collect();
        if body.0.dish_id.is_some_and(|d| elsewhere.contains(&d)) {
            return Err(ApiError::invalid(
                "dish_id",
                "the day already holds this dish",
            ));
        }
        let load = TrainingLoadName::parse(&current.training_load).map(Into::into);
        let work = state.compute.request();
        Ok(Json(
            plan_and_store(
                &state,
                &work,
                1,
                &planner,
                date.0,
                load,
                &[],
                Some((rules, old.dish_id)),
                &locale,
            )
            .await?,
        ))
    }
}
