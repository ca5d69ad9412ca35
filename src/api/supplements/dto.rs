//! The request and response shapes of the supplement endpoints.

use poem_openapi::Object;
use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::supplements::ProductFacts;

/// The product a result is about.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProductRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub brand: String,
    #[oai(rename = "type")]
    pub product_type: String,
}

impl ProductRef {
    pub fn of(p: &ProductFacts) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
            brand: p.brand_name.clone(),
            product_type: p.product_type.clone(),
        }
    }
}

/// A reason, in words and as a stable code.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    pub code: String,
    pub text: String,
}

/// A hit of the safety screen: the rule (or the declared allergen) and why it matters.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Warning {
    /// `avoid` (the product is left out), `caution` or `info`.
    pub severity: String,
    /// The contraindication rule; absent for an allergen the label declares.
    #[oai(skip_serializing_if_is_none)]
    pub rule_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub substance: Option<String>,
    /// `allergen`, `condition`, `medication_class` or `population`.
    pub vocabulary: String,
    pub code: String,
    /// The term's name in the response's language.
    pub term: String,
    /// The daily amount the rule was checked at, in the substance's unit.
    #[oai(skip_serializing_if_is_none)]
    pub daily_amount: Option<Decimal>,
    /// The rule applies above this daily amount.
    #[oai(skip_serializing_if_is_none)]
    pub above_daily: Option<Decimal>,
    /// What makes the substance matter for the term (`blood_pressure`, `sodium_load`, …).
    #[oai(skip_serializing_if_is_none)]
    pub effect: Option<String>,
    /// Other rules of the athlete's profile this caution adds up with, making it `avoid`.
    pub combined_with: Vec<Uuid>,
    pub explanation: String,
    /// For a `caution`: what to ask the doctor.
    #[oai(skip_serializing_if_is_none)]
    pub question: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub source: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub source_url: Option<String>,
}

/// The amount of one substance.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Amount {
    pub substance: String,
    pub name: String,
    pub amount: Decimal,
    /// `g`, `mg`, `ug` or `iu`.
    pub unit: String,
}

/// A daily dose.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct DoseOut {
    pub servings_per_day: Decimal,
    pub serving_size: Decimal,
    /// `g`, `ml` or `unit`.
    pub serving_unit: String,
    /// `servings_per_day × serving_size`.
    pub quantity_per_day: Decimal,
    /// What the servings hold a day, per substance.
    pub amounts: Vec<Amount>,
    /// The substance whose target set the dose (`protein` for a product's summed protein); absent
    /// when the product is taken as labelled.
    #[oai(skip_serializing_if_is_none)]
    pub driver: Option<String>,
    /// `protein_gap`, `protein_per_meal`, `body_weight`, `training_hours`, `fixed` or `label`.
    pub basis: String,
    /// `pre_workout`, `well_before_training`, `post_workout`, `during_training`, `with_meal` or `daily`.
    pub timing: String,
    pub timing_text: String,
    pub doses_per_day: u8,
    /// What held the dose below its target: `upper_limit`, `safety_rule` or `max_servings`.
    #[oai(skip_serializing_if_is_none)]
    pub capped_by: Option<String>,
}

// ---- Recommendations --------------------------------------------------------------------------------

/// The cheapest in-stock offer and what a day of the dose costs there.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BestOffer {
    pub store_slug: String,
    pub store_name: String,
    pub package_id: Uuid,
    pub package_price: Decimal,
    pub price_per_serving: Decimal,
    pub price_per_day: Decimal,
    pub currency: String,
}

/// A recommended product.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Recommended {
    pub product: ProductRef,
    /// 0–100: fit to sport and goal 35 %, evidence 30 %, need 15 %, price per day 20 %.
    pub score: f64,
    /// The substance the product is judged by (`protein` for protein powders).
    pub purpose: String,
    /// Its AIS evidence group.
    #[oai(skip_serializing_if_is_none)]
    pub evidence: Option<String>,
    pub dose: DoseOut,
    pub reasons: Vec<Note>,
    /// `info` notes; `caution`s only on a product the athlete confirmed after asking their doctor.
    pub warnings: Vec<Warning>,
    /// Recommended because the athlete (or their coach) confirmed it after asking the doctor.
    pub confirmed: bool,
    #[oai(skip_serializing_if_is_none)]
    pub best_offer: Option<BestOffer>,
}

/// A product to ask the doctor about first: not ranked, not planned until the athlete confirms it
/// (`POST /supplement-confirmations`).
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct AskDoctor {
    pub product: ProductRef,
    pub purpose: String,
    #[oai(skip_serializing_if_is_none)]
    pub evidence: Option<String>,
    /// The dose it would have.
    pub dose: DoseOut,
    pub reasons: Vec<Note>,
    /// The cautions, each with its reason, source and the question to ask.
    pub warnings: Vec<Warning>,
}

/// A product not for this athlete, and why.
#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    pub product: ProductRef,
    /// `unsafe` (an avoid rule, an allergen, cautions that add up, under 18 a product kept for
    /// adults), `too_strong`, `not_needed`, `evidence_d`, `over_total` (with the products ranked
    /// above it, a day's total would pass a limit) or `stimulant_stack`.
    pub reason: String,
    /// In words; for `over_total`, the second line is the limit's source.
    pub explanation: Vec<String>,
    /// The screen's hits: for `unsafe`, and the cautions and notes of an `evidence_d` product.
    pub warnings: Vec<Warning>,
}

#[derive(Object, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Recommendations {
    /// Recommended: nothing in the profile cautions against them (or the athlete confirmed them),
    /// best first, and together within the day's limits.
    pub items: Vec<Recommended>,
    /// Ask your doctor first: a caution applies. By name; never ranked.
    pub ask_doctor: Vec<AskDoctor>,
    /// Not for you: every other product, with the reason and its source.
    pub excluded: Vec<LeftOut>,
    /// The protein target minus the average logged protein (g/day); absent with fewer than three
    /// days of protein logged in the last fourteen.
    #[oai(skip_serializing_if_is_none)]
    pub protein_gap_g: Option<f64>,
    pub protein_logged_days: u32,
    /// The locale of the texts.
    pub locale: String,
    pub sources: Vec<String>,
}

// ---- Dosage -----------------------------------------------------------------------------------------

/// How many of a package the period needs.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct PackagesNeeded {
    pub package_id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    /// Packages of this size alone that cover the period.
    pub count: u32,
}

/// A product's dose for a period, or why it has none.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ProductDosage {
    pub product: ProductRef,
    /// `dosed`; `ask_doctor` (a caution applies: the dose it would have, once the athlete confirmed
    /// it after asking their doctor); or `excluded`, not for this athlete (see `reason`).
    pub status: String,
    /// For `excluded`: `unsafe`, `too_strong`, `not_needed` or `evidence_d`.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
    pub explanation: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    pub dose: Option<DoseOut>,
    pub days: u32,
    #[oai(skip_serializing_if_is_none)]
    pub total_servings: Option<Decimal>,
    pub total_amounts: Vec<Amount>,
    pub packages_needed: Vec<PackagesNeeded>,
    pub warnings: Vec<Warning>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct Dosage {
    pub items: Vec<ProductDosage>,
    pub locale: String,
    pub sources: Vec<String>,
}

// ---- Shopping plans ---------------------------------------------------------------------------------

/// One thing to buy: a product, or any safe product with a substance.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingItem {
    /// A product; or give `substance`.
    pub product_id: Option<Uuid>,
    /// A substance code (e.g. `creatine_monohydrate`): the plan picks the product.
    #[oai(validator(max_length = 63))]
    pub substance: Option<String>,
    /// For a product: servings a day (default: the athlete's dose).
    pub servings_per_day: Option<Decimal>,
    /// For a product measured in grams: grams a day, instead of servings.
    pub grams_per_day: Option<Decimal>,
    /// For a substance: the daily amount in its unit (default: the athlete's target).
    pub amount_per_day: Option<Decimal>,
}

#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingRequest {
    pub items: Vec<ShoppingItem>,
    /// 1–366 days.
    #[oai(default = "default_days")]
    pub days: u32,
    /// Only these stores (slugs); default: every active store.
    pub stores: Option<Vec<String>>,
    /// Buy in at most this many stores.
    pub max_stores: Option<u32>,
    /// Keep the plan in `/shopping-lists`.
    #[oai(default)]
    pub save: bool,
    /// A name for the saved list.
    #[oai(validator(max_length = 120))]
    pub name: Option<String>,
}

pub fn default_days() -> u32 {
    30
}

/// A saved plan without the field was solved exactly.
fn proven() -> bool {
    true
}

/// Packages of one item in one store.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct PlanLine {
    /// Index of the item in the request.
    pub item: u32,
    pub product_id: Uuid,
    pub product_name: String,
    pub package_id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub count: u32,
    /// What one package costs now (the discounted price when a promotion runs).
    pub unit_price: Decimal,
    /// The price without a promotion.
    pub regular_price: Decimal,
    pub line_total: Decimal,
}

/// What to buy in one store.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanStore {
    pub store_id: Uuid,
    pub slug: String,
    pub name: String,
    pub lines: Vec<PlanLine>,
    pub subtotal: Decimal,
    pub delivery_fee: Decimal,
    pub total: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
}

/// How an item's need is covered.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct PlanItem {
    pub item: u32,
    pub product_id: Uuid,
    pub product_name: String,
    #[oai(skip_serializing_if_is_none)]
    pub substance: Option<String>,
    /// For the whole period, in `unit`.
    pub needed: Decimal,
    pub bought: Decimal,
    /// `servings`, or the substance's unit.
    pub unit: String,
    pub servings_per_day: Decimal,
    pub warnings: Vec<Warning>,
}

/// The best plan that buys everything in one store.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct SingleStore {
    pub store_slug: String,
    pub store_name: String,
    pub total: Decimal,
}

#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingPlan {
    /// Set when the plan was saved.
    #[oai(skip_serializing_if_is_none)]
    pub id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    pub days: u32,
    pub currency: String,
    /// Packages plus delivery: the least any valid plan costs, unless `optimal` is false.
    pub total: Decimal,
    /// False when the work limit (`limits.solve_time_ms`, `limits.solve_steps`) ended the search
    /// before this plan was proven the cheapest; it is still a valid plan.
    #[oai(default = "proven")]
    pub optimal: bool,
    pub packages_total: Decimal,
    pub delivery_total: Decimal,
    pub stores: Vec<PlanStore>,
    pub items: Vec<PlanItem>,
    /// The cheapest plan from one store, when one store sells everything.
    #[oai(skip_serializing_if_is_none)]
    pub best_single_store: Option<SingleStore>,
    /// What this plan saves against `best_single_store`.
    #[oai(skip_serializing_if_is_none)]
    pub saving: Option<Decimal>,
    pub created_at: OffsetDateTime,
}

/// A saved plan in a list.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct ShoppingListSummary {
    pub id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    pub days: u32,
    pub total: Decimal,
    pub currency: String,
    pub stores: Vec<String>,
    pub created_at: OffsetDateTime,
}
