//! The request and response shapes of `/meal-plans`.

use poem_openapi::Object;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{api::nutrition::TrainingLoadName, domain::mealplan::Macros};

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
