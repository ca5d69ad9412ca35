//! Days and weeks of Serbian dishes that hit the athlete's targets, stored, swappable, and turned
//! into a shopping list. The optimiser is [`crate::domain::mealplan`]; dishes with the athlete's
//! allergens or on their excluded list never enter it, and the protein supplement that may fill the
//! gap passes the same safety screen as every other suggestion.

use std::collections::HashMap;

use rust_decimal::{Decimal, prelude::ToPrimitive};
use serde_json::json;
use time::{Date, Duration};
use uuid::Uuid;

use super::{
    AppState, Error, Result,
    athlete::{AthleteContext, athlete_context, candidate},
    cached,
    words::plan_miss,
};
use crate::{
    api::{
        health_profile::{HealthProfile, today},
        meal_plans::dto::{
            DailyRequest, DayMacros, MealPlan, MealShoppingList, PlanMiss, PlanSupplement,
            PlannedDish, ShoppingListItem, SwapRequest, WeekPlan, WeeklyRequest,
        },
        nutrition::TrainingLoadName,
    },
    db::{dishes as dish_store, meal_plans as store},
    domain::{
        account::Locale,
        dosage::{self, PROTEIN},
        mealplan::{self, DAY, Dish, Macros, MealType, SlotRule, Supplement, Targets},
        nutrition::{self, TrainingLoad},
        recommend,
    },
    ops::compute::RequestWork,
};

/// The longest period a list or shopping list covers.
pub const MAX_RANGE_DAYS: i64 = 93;
/// At most this many scoops of the protein supplement a day fill the plan's protein gap: food first.
pub const MAX_SUPPLEMENT_SERVINGS: u32 = 2;
/// The most dishes a request may pin.
pub const MAX_PINNED: usize = 5;
/// What reusing the dish of the plan being regenerated costs in the objective: a new plan differs.
const REGENERATED: f64 = 5.0;
/// What a dish of a cuisine the athlete did not choose costs in the objective.
const OTHER_CUISINE: f64 = 2.0;

/// Plans `req.date` at its load (default: from weekly training hours) and stores it, replacing the
/// day's plan; a regenerated plan avoids the previous dishes.
pub async fn plan_day(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    req: DailyRequest,
) -> Result<MealPlan> {
    check_pinned(state, &req.pinned_dishes).await?;
    let planner = Planner::load(state, user, locale).await?;
    let day = Day {
        date: req.date,
        load: req.training_load.map(Into::into),
        pinned: &req.pinned_dishes,
        swap: None,
    };
    plan_and_store(state, &state.compute.request(), 1, &planner, day, locale).await
}

/// Seven days from `req.start_date`, each planned as [`plan_day`] at the athlete's usual load, in
/// turn, so the twice-a-week limit sees the days before.
pub async fn plan_week(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    req: WeeklyRequest,
) -> Result<WeekPlan> {
    check_pinned(state, &req.pinned_dishes).await?;
    let planner = Planner::load(state, user, locale).await?;
    let work = state.compute.request();
    let mut days = Vec::new();
    for n in 0..7 {
        let day = Day {
            date: req.start_date + Duration::days(n),
            load: None,
            pinned: &req.pinned_dishes,
            swap: None,
        };
        // Each day takes its share of what the request's budget has left.
        days.push(plan_and_store(state, &work, 7 - n as u32, &planner, day, locale).await?);
    }
    Ok(WeekPlan {
        days_within_targets: days.iter().filter(|d| d.within_targets).count() as u32,
        days,
    })
}

/// The stored plans from `from` (default today) to `to` (default a week on).
pub async fn between(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Vec<MealPlan>> {
    let (from, to) = range(from, to)?;
    let (plans, items) = store::between(&state.pool, user, from, to, locale.as_str()).await?;
    Ok(to_plans(locale, plans, items))
}

/// One day's stored plan.
pub async fn day(state: &AppState, user: Uuid, locale: &Locale, date: Date) -> Result<MealPlan> {
    read_day(state, user, date, locale)
        .await?
        .ok_or(Error::NotFound("meal plan"))
}

/// Every ingredient of the plans from `from` to `to` (default: this week), in grams over the
/// planned servings, priced where the ingredient's price is known.
pub async fn shopping_list(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<MealShoppingList> {
    let (from, to) = range(from, to)?;
    let rows = store::shopping_list(&state.pool, user, from, to, locale.as_str()).await?;
    let days_planned = store::days_planned(&state.pool, user, from, to).await?;
    Ok(MealShoppingList {
        from,
        to,
        days_planned: u32::try_from(days_planned).unwrap_or(u32::MAX),
        estimated_cost: rows.iter().filter_map(|r| r.cost).sum(),
        unpriced_items: rows.iter().filter(|r| r.cost.is_none()).count() as u32,
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
    })
}

/// Replaces the dish at `req.position` with `req.dish_id` (or the dish that keeps the day closest
/// to its targets), keeping the other meals' dishes and re-portioning the day.
pub async fn swap(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    date: Date,
    req: SwapRequest,
) -> Result<MealPlan> {
    let current = day(state, user, locale, date).await?;
    let old = current
        .dishes
        .iter()
        .find(|d| d.position == req.position)
        .ok_or_else(|| {
            Error::invalid(
                "position",
                format!("the plan has no dish at position {}", req.position),
            )
        })?;
    let planner = Planner::load(state, user, locale).await?;
    let swap = Swap::of(&current, old, &planner, &req)?;
    let day = Day {
        date,
        load: TrainingLoadName::parse(&current.training_load).map(Into::into),
        pinned: &[],
        swap: Some(swap),
    };
    plan_and_store(state, &state.compute.request(), 1, &planner, day, locale).await
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
    async fn load(state: &AppState, user: Uuid, locale: &Locale) -> Result<Self> {
        let (ctx, prefs) = tokio::try_join!(athlete_context(state, user), async {
            Ok(dish_store::preferences(&state.pool, user).await?)
        })?;
        let rows = cached::plannable_dishes(state, locale.as_str(), &ctx.profile.allergies).await?;
        let dishes: Vec<(Dish, String)> = rows
            .into_iter()
            .filter(|d| !prefs.excluded.contains(&d.id))
            .filter_map(|d| {
                let dish = plannable(&d, prefs.favourites.contains(&d.id))?;
                Some((dish, d.cuisine))
            })
            .collect();
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

    /// The day's targets for the athlete's age on `date`.
    fn targets(&self, date: Date, load: Option<TrainingLoad>) -> Result<(Targets, TrainingLoad)> {
        let athlete = self.profile.athlete_on(date).map_err(|_| {
            Error::invalid(
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
            budget: self.budget,
        };
        Ok((targets, t.load))
    }
}

/// The dish as the optimiser sees it; `None` when its macros are not all known, since such a dish
/// cannot be planned reliably.
fn plannable(d: &dish_store::Dish, favourite: bool) -> Option<Dish> {
    let n = &d.nutrients;
    let (Some(e), Some(p), Some(c), Some(f)) =
        (n.energy_kcal, n.protein_g, n.carbohydrate_g, n.fat_g)
    else {
        return None;
    };
    if ["energy_kcal", "protein_g", "carbohydrate_g", "fat_g"]
        .iter()
        .any(|k| d.unknown.iter().any(|u| u == k))
    {
        return None;
    }
    Some(Dish {
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
        favourite,
        uses_this_week: 0,
        pinned: false,
    })
}

/// The cheapest protein powder recommended for this athlete (or confirmed by them after asking their
/// doctor), per serving, with its name.
async fn protein_supplement(
    state: &AppState,
    ctx: &AthleteContext,
    locale: &Locale,
) -> Result<Option<(Supplement, String)>> {
    let products = cached::products(state, locale.as_str(), Some("protein")).await?;
    let rules = cached::rules(state).await?;
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
        if !ctx.may_plan(p.id, &hits) || dose.driver.as_deref() != Some(PROTEIN) {
            continue;
        }
        let per_serving = |v: Option<Decimal>| {
            v.map(|v| {
                (v * p.serving_size / Decimal::ONE_HUNDRED)
                    .to_f64()
                    .unwrap_or(0.0)
            })
        };
        let carbohydrate = per_serving(p.carbohydrate_g_per_100g).unwrap_or(0.0);
        let fat = per_serving(p.fat_g_per_100g).unwrap_or(0.0);
        let energy = per_serving(p.energy_kcal_per_100g).unwrap_or(
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

/// One day to plan: its date and load, the dishes it must hold, and for a swap, what the swap
/// keeps and the dish it takes out.
struct Day<'a> {
    date: Date,
    load: Option<TrainingLoad>,
    pinned: &'a [Uuid],
    swap: Option<Swap>,
}

/// A swap as the optimiser takes it: a rule per slot of the day, and the dish it must not bring back.
struct Swap {
    rules: Vec<SlotRule>,
    replaced: Uuid,
}

impl Swap {
    /// The swap `req` asks of `current` for its dish `old`: every slot keeps its dishes except the
    /// swapped one, which takes the chosen dish, or any dish that suits the meal and is not yet in
    /// the day.
    fn of(
        current: &MealPlan,
        old: &PlannedDish,
        planner: &Planner,
        req: &SwapRequest,
    ) -> Result<Self> {
        let slot_of = |d: &PlannedDish| {
            DAY.iter()
                .position(|s| s.meal.as_str() == d.meal_type && s.time == d.time)
        };
        let swapped = slot_of(old).ok_or_else(|| anyhow::anyhow!("a stored dish has no slot"))?;
        let in_slot = |s: usize| -> Vec<Uuid> {
            current
                .dishes
                .iter()
                .filter(|d| slot_of(d) == Some(s))
                .map(|d| d.dish_id)
                .collect()
        };
        let mut rules: Vec<SlotRule> = (0..DAY.len()).map(|s| SlotRule::kept(in_slot(s))).collect();
        let others: Vec<Uuid> = current
            .dishes
            .iter()
            .filter(|d| slot_of(d) == Some(swapped) && d.position != old.position)
            .map(|d| d.dish_id)
            .collect();
        let count = rules[swapped].dishes;
        rules[swapped] = match req.dish_id {
            Some(new) => {
                let dish = planner.dishes.iter().find(|d| d.id == new).ok_or_else(|| {
                    Error::invalid(
                        "dish_id",
                        "no such dish, or not for you (allergens or excluded)",
                    )
                })?;
                let meal = DAY[swapped].meal;
                if !dish.meals.contains(&meal) {
                    return Err(Error::invalid(
                        "dish_id",
                        format!("this dish is not eaten at {}", meal.as_str()),
                    ));
                }
                if new == old.dish_id || others.contains(&new) {
                    return Err(Error::invalid(
                        "dish_id",
                        "the meal already holds this dish",
                    ));
                }
                let mut dishes = others;
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
        let elsewhere = current
            .dishes
            .iter()
            .any(|d| slot_of(d) != Some(swapped) && Some(d.dish_id) == req.dish_id);
        if elsewhere {
            return Err(Error::invalid("dish_id", "the day already holds this dish"));
        }
        Ok(Self {
            rules,
            replaced: old.dish_id,
        })
    }
}

/// Plans one day and stores it. A swap shapes the day by its rules; otherwise the day is open. The
/// solve takes `1/parts` of the time `work` has left.
async fn plan_and_store(
    state: &AppState,
    work: &RequestWork,
    parts: u32,
    planner: &Planner,
    day: Day<'_>,
    locale: &Locale,
) -> Result<MealPlan> {
    let (targets, load) = planner.targets(day.date, day.load)?;
    let dishes = week_dishes(state, planner, &day).await?;
    let replaced: Vec<Uuid> = if day.swap.is_none() {
        store::between(
            &state.pool,
            planner.user,
            day.date,
            day.date,
            locale.as_str(),
        )
        .await?
        .1
        .iter()
        .map(|i| i.dish_id)
        .collect()
    } else {
        Vec::new()
    };
    let rules = day.swap.map(|s| s.rules).unwrap_or_else(mealplan::open_day);
    let variety = planner.variety(&replaced);
    let supplement = planner.supplement.as_ref().map(|(s, _)| s.clone());
    // Each athlete's days rotate through the dishes differently.
    let seed = (planner.user.as_u128() as u64)
        ^ (day.date.to_julian_day() as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
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
        .map_err(|_| Error::Busy)?;
    let plan = plan.map_err(|e| no_plan(state, e))?;
    crate::ops::telemetry::instruments().meal_plans.add(1, &[]);
    save(state, planner, day.date, load, &targets, &plan).await?;
    read_day(state, planner.user, day.date, locale)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a stored plan vanished").into())
}

/// The athlete's dishes with their uses in the week of the day, the pinned ones marked, the dish a
/// swap takes out left out.
async fn week_dishes(state: &AppState, planner: &Planner, day: &Day<'_>) -> Result<Vec<Dish>> {
    let (from, to) = week_of(day.date);
    let uses: HashMap<Uuid, i64> = store::dish_uses(&state.pool, planner.user, from, to, day.date)
        .await?
        .into_iter()
        .collect();
    let banned = day.swap.as_ref().map(|s| s.replaced);
    Ok(planner
        .dishes
        .iter()
        .filter(|d| Some(d.id) != banned)
        .map(|d| Dish {
            uses_this_week: uses.get(&d.id).copied().unwrap_or(0) as u32,
            pinned: day.pinned.contains(&d.id),
            ..d.clone()
        })
        .collect())
}

fn no_plan(state: &AppState, e: mealplan::NoPlan) -> Error {
    match e {
        mealplan::NoPlan::NoDishFor(meal) => Error::invalid(
            "date",
            format!(
                "no dish is left for {} (allergens, excluded dishes and the twice-a-week limit rule them all out)",
                meal.as_str()
            ),
        ),
        mealplan::NoPlan::OutOfBudget(_) => Error::invalid(
            "date",
            format!(
                "no plan was found within the planner's work limit of {} ms; try again",
                state.compute.time_limit().as_millis()
            ),
        ),
        mealplan::NoPlan::Solver(e) => anyhow::anyhow!("meal planner: {e}").into(),
    }
}

/// Stores the day's plan in place of the one it had.
async fn save(
    state: &AppState,
    planner: &Planner,
    date: Date,
    load: TrainingLoad,
    targets: &Targets,
    plan: &mealplan::DayPlan,
) -> Result<()> {
    let supplement = planner
        .supplement
        .as_ref()
        .filter(|_| plan.supplement_servings > 0)
        .map(|(s, name)| {
            let servings = f64::from(plan.supplement_servings);
            PlanSupplement {
                product_id: s.product,
                name: name.clone(),
                servings: plan.supplement_servings,
                protein_g: (s.per_serving.protein_g * servings * 10.0).round() / 10.0,
                energy_kcal: (s.per_serving.energy_kcal * servings).round(),
            }
        });
    let new = store::NewPlan {
        date,
        training_load: TrainingLoadName::from(load).as_str().to_owned(),
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
    };
    let mut tx = state.pool.begin().await?;
    store::save(&mut tx, planner.user, &new).await?;
    tx.commit().await?;
    Ok(())
}

/// Monday to Sunday around a date.
fn week_of(date: Date) -> (Date, Date) {
    let monday = date - Duration::days(i64::from(date.weekday().number_days_from_monday()));
    (monday, monday + Duration::days(6))
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

fn to_plans(locale: &Locale, plans: Vec<store::Plan>, items: Vec<store::Item>) -> Vec<MealPlan> {
    plans
        .into_iter()
        .map(|p| {
            let misses: Vec<PlanMiss> = p
                .misses
                .as_array()
                .map(|a| a.iter().map(|m| to_miss(locale, m)).collect())
                .unwrap_or_default();
            let dishes = items
                .iter()
                .filter(|i| i.meal_plan_id == p.id)
                .map(to_dish)
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

fn to_miss(locale: &Locale, m: &serde_json::Value) -> PlanMiss {
    let target = m["target"].as_str().unwrap_or_default().to_owned();
    let (amount, share) = (
        m["amount"].as_f64().unwrap_or(0.0),
        m["share"].as_f64().unwrap_or(0.0),
    );
    PlanMiss {
        text: plan_miss(locale, &target, amount, share),
        target,
        amount,
        share,
    }
}

fn to_dish(i: &store::Item) -> PlannedDish {
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
}

async fn read_day(
    state: &AppState,
    user: Uuid,
    date: Date,
    locale: &Locale,
) -> Result<Option<MealPlan>> {
    let (plans, items) = store::between(&state.pool, user, date, date, locale.as_str()).await?;
    Ok(to_plans(locale, plans, items).into_iter().next())
}

/// `from`–`to` checked: in order and at most [`MAX_RANGE_DAYS`] long.
fn range(from: Option<Date>, to: Option<Date>) -> Result<(Date, Date)> {
    let from = from.unwrap_or_else(today);
    let to = to.unwrap_or(from + Duration::days(6));
    if to < from {
        return Err(Error::invalid("to", "must not be before from"));
    }
    if (to - from).whole_days() >= MAX_RANGE_DAYS {
        return Err(Error::invalid(
            "to",
            format!("a range covers at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// Pinned dishes must be active dishes.
async fn check_pinned(state: &AppState, pinned: &[Uuid]) -> Result<()> {
    if pinned.len() > MAX_PINNED {
        return Err(Error::invalid(
            "pinned_dishes",
            format!("pin at most {MAX_PINNED} dishes"),
        ));
    }
    if let Some(id) = dish_store::unknown_dishes(&state.pool, pinned)
        .await?
        .first()
    {
        return Err(Error::invalid("pinned_dishes", format!("no dish {id}")));
    }
    Ok(())
}
