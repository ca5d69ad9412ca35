//! A day of meals from dishes, in whole quarter servings, that hits the athlete's targets: energy
//! within ±5 %, protein 100–130 %, carbohydrate and fat within ±10 %, over a Serbian day (breakfast,
//! a mid-morning snack, lunch as the main meal, an afternoon snack, dinner). Solved as a mixed-integer
//! program ([`good_lp`] with microlp): each tolerance is a band with a penalised slack, so when the
//! dishes cannot meet a target the plan is the closest one and says which target it misses and by how
//! much. A protein supplement the safety screen allows may fill what food leaves of the protein target.

use std::collections::HashMap;

use good_lp::{
    Expression, ProblemVariables, Solution as _, SolverModel, Variable, WithTimeLimit, constraint,
    microlp, variable,
};
use uuid::Uuid;

use super::budget::{Budget, Exhausted};

/// When a dish is eaten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MealType {
    Breakfast,
    Lunch,
    Dinner,
    Snack,
}

impl MealType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "breakfast" => Some(Self::Breakfast),
            "lunch" => Some(Self::Lunch),
            "dinner" => Some(Self::Dinner),
            "snack" => Some(Self::Snack),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breakfast => "breakfast",
            Self::Lunch => "lunch",
            Self::Dinner => "dinner",
            Self::Snack => "snack",
        }
    }
}

/// A meal of the day: its type, its usual time and how many dishes it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub meal: MealType,
    /// Usual time, `HH:MM`.
    pub time: &'static str,
    pub min_dishes: usize,
    pub max_dishes: usize,
    /// The most of the day's energy target this meal may hold.
    pub max_energy_share: f64,
}

/// The Serbian day: breakfast 7–9, lunch (ručak, the main cooked meal) 13–15, dinner 19–21, and two
/// snacks (užina) between them.
pub const DAY: [Slot; 5] = [
    Slot {
        meal: MealType::Breakfast,
        time: "07:30",
        min_dishes: 1,
        max_dishes: 2,
        max_energy_share: 0.35,
    },
    Slot {
        meal: MealType::Snack,
        time: "10:30",
        min_dishes: 0,
        max_dishes: 1,
        max_energy_share: 0.20,
    },
    Slot {
        meal: MealType::Lunch,
        time: "14:00",
        min_dishes: 1,
        max_dishes: 2,
        max_energy_share: 0.50,
    },
    Slot {
        meal: MealType::Snack,
        time: "17:00",
        min_dishes: 0,
        max_dishes: 1,
        max_energy_share: 0.20,
    },
    Slot {
        meal: MealType::Dinner,
        time: "20:00",
        min_dishes: 1,
        max_dishes: 2,
        max_energy_share: 0.35,
    },
];

/// Portions in quarter servings: 0.5 to 2.5 servings.
pub const MIN_QUARTERS: u32 = 2;
pub const MAX_QUARTERS: u32 = 10;

/// Energy and macronutrients.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Macros {
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub carbohydrate_g: f64,
    pub fat_g: f64,
}

impl Macros {
    fn scaled(self, k: f64) -> Self {
        Self {
            energy_kcal: self.energy_kcal * k,
            protein_g: self.protein_g * k,
            carbohydrate_g: self.carbohydrate_g * k,
            fat_g: self.fat_g * k,
        }
    }

    fn plus(self, o: Self) -> Self {
        Self {
            energy_kcal: self.energy_kcal + o.energy_kcal,
            protein_g: self.protein_g + o.protein_g,
            carbohydrate_g: self.carbohydrate_g + o.carbohydrate_g,
            fat_g: self.fat_g + o.fat_g,
        }
    }
}

/// A dish that may go into the plan (allergens and exclusions already filtered out).
#[derive(Debug, Clone, PartialEq)]
pub struct Dish {
    pub id: Uuid,
    pub meals: Vec<MealType>,
    pub per_serving: Macros,
    /// Estimated cost of a serving (RSD), when every priced ingredient is known.
    pub cost_per_serving: Option<f64>,
    /// A favourite: preferred.
    pub favourite: bool,
    /// Times already planned in the week around this day.
    pub uses_this_week: u32,
    /// Must be in the day (and may then exceed the weekly limit).
    pub pinned: bool,
}

/// A protein supplement the safety screen allows, per serving.
#[derive(Debug, Clone, PartialEq)]
pub struct Supplement {
    pub product: Uuid,
    pub per_serving: Macros,
    /// The most servings a day (its dose cap).
    pub max_servings: u32,
}

/// The day's targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    pub macros: Macros,
    /// A daily food budget (RSD), if any.
    pub budget: Option<f64>,
}

/// Tolerances (fractions of the target): energy ±5 %, protein −0 / +30 %, carbohydrate and fat ±10 %.
pub const ENERGY_TOLERANCE: f64 = 0.05;
pub const PROTEIN_RANGE: (f64, f64) = (1.0, 1.3);
pub const CARBOHYDRATE_TOLERANCE: f64 = 0.10;
pub const FAT_TOLERANCE: f64 = 0.10;
/// A dish may be planned this many times a week unless pinned.
pub const MAX_USES_PER_WEEK: u32 = 2;

/// One dish in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Portion {
    pub slot: usize,
    pub dish: Uuid,
    pub quarters: u32,
}

impl Portion {
    pub fn servings(&self) -> f64 {
        f64::from(self.quarters) / 4.0
    }
}

/// A target the plan misses: by how much it is outside its band, in its unit and as a share of the
/// target (negative: under).
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub target: &'static str,
    pub amount: f64,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayPlan {
    pub portions: Vec<Portion>,
    pub supplement_servings: u32,
    pub totals: Macros,
    pub cost: Option<f64>,
    /// Empty when every target is within its tolerance.
    pub misses: Vec<Miss>,
}

/// Why no plan exists.
#[derive(Debug, Clone, PartialEq)]
pub enum NoPlan {
    /// No dish for this meal (after allergens, exclusions and the weekly limit).
    NoDishFor(MealType),
    /// The work budget ran out before any plan was found.
    OutOfBudget(Exhausted),
    /// The solver failed (a bug, never the input).
    Solver(String),
}

/// What the objective weighs: a miss of the whole target costs `MISS`; a dish repeated this week
/// `REPEAT` per earlier use; a favourite earns `FAVOURITE`; a supplement serving costs `SUPPLEMENT`
/// (food first); going over the budget costs `MISS` per budget.
const MISS: f64 = 1000.0;
const REPEAT: f64 = 3.0;
const FAVOURITE: f64 = 2.0;
const SUPPLEMENT: f64 = 4.0;

/// What one meal of the day may hold, beyond its meal type: dishes it must keep, the only dishes it
/// may take, and how many. Generating a day uses [`SlotRule::open`] for every meal; swapping a dish
/// keeps the other meals as they are and opens only the swapped one.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotRule {
    pub required: Vec<Uuid>,
    pub only: Option<Vec<Uuid>>,
    pub dishes: (usize, usize),
}

impl SlotRule {
    /// Any dish of the meal's type, as many as [`DAY`] allows.
    pub fn open(slot: &Slot) -> Self {
        Self {
            required: Vec::new(),
            only: None,
            dishes: (slot.min_dishes, slot.max_dishes),
        }
    }

    /// Exactly these dishes (portions may change).
    pub fn kept(dishes: Vec<Uuid>) -> Self {
        let n = dishes.len();
        Self {
            required: dishes.clone(),
            only: Some(dishes),
            dishes: (n, n),
        }
    }
}

/// The rules of an ordinary day.
pub fn open_day() -> Vec<SlotRule> {
    DAY.iter().map(SlotRule::open).collect()
}

/// The attempts, in order: dishes per meal (a shortlist rotated by the day's `seed`; `usize::MAX`:
/// the whole menu) and how long the search may take. Most days are met from ten dishes a meal in
/// milliseconds; the wider searches stop at their bound with the closest plan found so far
/// (branch and bound over a few hundred integers can take seconds in the rare hard cases, and a plan
/// that is not provably the closest beats a slow answer).
pub const ATTEMPTS: [(usize, Option<f64>); 3] =
    [(10, None), (20, Some(0.4)), (usize::MAX, Some(0.6))];

/// The closest day to the targets from these dishes. A shortlist of dishes per meal is tried first
/// (rotated by `seed`, so days differ); when it cannot meet every target, all the dishes are. Every
/// attempt stops by the `budget`'s deadline, with the closest plan found by then.
pub fn plan_day(
    dishes: &[Dish],
    targets: &Targets,
    supplement: Option<&Supplement>,
    variety: &HashMap<Uuid, f64>,
    rules: &[SlotRule],
    seed: u64,
    budget: &Budget,
) -> Result<DayPlan, NoPlan> {
    let eligible = eligible(dishes, rules)?;
    let weight = |d: &Dish| {
        f64::from(d.uses_this_week) * REPEAT + variety.get(&d.id).copied().unwrap_or(0.0)
            - if d.favourite { FAVOURITE } else { 0.0 }
    };
    let ranked: Vec<Vec<usize>> = eligible
        .iter()
        .zip(rules)
        .map(|(e, rule)| {
            let mut e = e.clone();
            // Required dishes first, then the least penalised, then a rotation by the seed.
            e.sort_by(|&a, &b| {
                let (da, db) = (&dishes[a], &dishes[b]);
                rule.required
                    .contains(&db.id)
                    .cmp(&rule.required.contains(&da.id))
                    .then(weight(da).total_cmp(&weight(db)))
                    .then(mix(seed, da.id).cmp(&mix(seed, db.id)))
            });
            e
        })
        .collect();
    let mut best: Option<DayPlan> = None;
    for (size, time_limit) in ATTEMPTS {
        let list: Vec<Vec<usize>> = ranked
            .iter()
            .zip(rules)
            .map(|(e, rule)| e[..e.len().min(size.max(rule.required.len()))].to_vec())
            .collect();
        let whole = list == ranked;
        let left = budget.time_left().as_secs_f64();
        if left == 0.0 {
            break;
        }
        let time_limit = time_limit
            .filter(|_| best.is_some())
            .map_or(left, |t| t.min(left));
        match solve_day(
            dishes,
            targets,
            supplement,
            variety,
            rules,
            &list,
            Some(time_limit),
        ) {
            Ok(plan) if plan.misses.is_empty() => return Ok(plan),
            Ok(plan) => {
                if best
                    .as_ref()
                    .is_none_or(|b| miss_size(&plan) < miss_size(b))
                {
                    best = Some(plan);
                }
            }
            // A time bound reached before any plan: keep the closest so far.
            Err(NoPlan::Solver(_)) if best.is_some() => {}
            Err(NoPlan::Solver(_)) if budget.time_left().is_zero() => break,
            Err(e) => return Err(e),
        }
        if whole {
            break;
        }
    }
    best.ok_or_else(|| NoPlan::OutOfBudget(budget.exhausted().unwrap_or(Exhausted::Time)))
}

/// How far a plan is from its targets: the sum of its misses' shares.
fn miss_size(plan: &DayPlan) -> f64 {
    plan.misses.iter().map(|m| m.share.abs()).sum()
}

/// A deterministic shuffle key (SplitMix64 of the seed and the dish).
fn mix(seed: u64, id: Uuid) -> u64 {
    let mut z = seed ^ (id.as_u128() as u64) ^ ((id.as_u128() >> 64) as u64);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The dishes each meal may take.
fn eligible(dishes: &[Dish], rules: &[SlotRule]) -> Result<Vec<Vec<usize>>, NoPlan> {
    let eligible: Vec<Vec<usize>> = DAY
        .iter()
        .zip(rules)
        .map(|(slot, rule)| {
            dishes
                .iter()
                .enumerate()
                .filter(|(_, d)| match &rule.only {
                    Some(only) => only.contains(&d.id),
                    None => {
                        d.meals.contains(&slot.meal)
                            && (d.pinned || d.uses_this_week < MAX_USES_PER_WEEK)
                    }
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    for ((slot, rule), e) in DAY.iter().zip(rules).zip(&eligible) {
        if rule.dishes.0 > e.len() {
            return Err(NoPlan::NoDishFor(slot.meal));
        }
    }
    Ok(eligible)
}

/// The mixed-integer program over the dishes `eligible` for each meal.
fn solve_day(
    dishes: &[Dish],
    targets: &Targets,
    supplement: Option<&Supplement>,
    variety: &HashMap<Uuid, f64>,
    rules: &[SlotRule],
    eligible: &[Vec<usize>],
    time_limit: Option<f64>,
) -> Result<DayPlan, NoPlan> {
    let t = targets.macros;
    let mut vars = ProblemVariables::new();
    // (slot, dish, chosen, quarters)
    let mut cells: Vec<(usize, usize, Variable, Variable)> = Vec::new();
    for (s, e) in eligible.iter().enumerate() {
        for &d in e {
            let y = vars.add(variable().binary());
            let q = vars.add(variable().integer().min(0).max(MAX_QUARTERS as f64));
            cells.push((s, d, y, q));
        }
    }
    let sup = supplement.map(|s| {
        (
            s,
            vars.add(variable().integer().min(0).max(f64::from(s.max_servings))),
        )
    });
    let slack = |vars: &mut ProblemVariables| vars.add(variable().min(0));
    let (e_lo, e_hi, p_lo, p_hi, c_lo, c_hi, f_lo, f_hi, over_budget) = (
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
        slack(&mut vars),
    );

    let total = |f: &dyn Fn(&Macros) -> f64| -> Expression {
        let mut e = Expression::default();
        for &(_, d, _, q) in &cells {
            e += f(&dishes[d].per_serving) / 4.0 * q;
        }
        if let Some((s, z)) = &sup {
            e += f(&s.per_serving) * *z;
        }
        e
    };
    let energy = total(&|m| m.energy_kcal);
    let protein = total(&|m| m.protein_g);
    let carbohydrate = total(&|m| m.carbohydrate_g);
    let fat = total(&|m| m.fat_g);

    let mut objective = Expression::default();
    let relative = |target: f64| MISS / target.max(1.0);
    objective += relative(t.energy_kcal) * (e_lo + e_hi);
    objective += relative(t.protein_g) * (p_lo + p_hi);
    objective += relative(t.carbohydrate_g) * (c_lo + c_hi);
    objective += relative(t.fat_g) * (f_lo + f_hi);
    for &(_, d, y, _) in &cells {
        let dish = &dishes[d];
        let mut weight =
            REPEAT * f64::from(dish.uses_this_week) + variety.get(&dish.id).copied().unwrap_or(0.0);
        if dish.favourite {
            weight -= FAVOURITE;
        }
        objective += weight * y;
    }
    if let Some((_, z)) = &sup {
        objective += SUPPLEMENT * *z;
    }
    if let Some(budget) = targets.budget {
        objective += relative(budget) * over_budget;
    }

    let mut model = vars.minimise(objective).using(microlp);
    model = model
        .with(constraint!(
            energy.clone() + e_lo >= (1.0 - ENERGY_TOLERANCE) * t.energy_kcal
        ))
        .with(constraint!(
            energy - e_hi <= (1.0 + ENERGY_TOLERANCE) * t.energy_kcal
        ))
        .with(constraint!(
            protein.clone() + p_lo >= PROTEIN_RANGE.0 * t.protein_g
        ))
        .with(constraint!(protein - p_hi <= PROTEIN_RANGE.1 * t.protein_g))
        .with(constraint!(
            carbohydrate.clone() + c_lo >= (1.0 - CARBOHYDRATE_TOLERANCE) * t.carbohydrate_g
        ))
        .with(constraint!(
            carbohydrate - c_hi <= (1.0 + CARBOHYDRATE_TOLERANCE) * t.carbohydrate_g
        ))
        .with(constraint!(
            fat.clone() + f_lo >= (1.0 - FAT_TOLERANCE) * t.fat_g
        ))
        .with(constraint!(fat - f_hi <= (1.0 + FAT_TOLERANCE) * t.fat_g));
    for &(_, _, y, q) in &cells {
        model = model
            .with(constraint!(q >= f64::from(MIN_QUARTERS) * y))
            .with(constraint!(q <= f64::from(MAX_QUARTERS) * y));
    }
    // Each meal's dishes and energy; lunch the main meal.
    let mut slot_energy: Vec<Expression> = Vec::new();
    for (s, (slot, rule)) in DAY.iter().zip(rules).enumerate() {
        let chosen: Expression = cells.iter().filter(|c| c.0 == s).map(|c| c.2).sum();
        model = model
            .with(constraint!(chosen.clone() >= rule.dishes.0 as f64))
            .with(constraint!(chosen <= rule.dishes.1 as f64));
        for &(_, _, y, _) in cells
            .iter()
            .filter(|c| c.0 == s && rule.required.contains(&dishes[c.1].id))
        {
            model = model.with(constraint!(y >= 1));
        }
        let mut e = Expression::default();
        for &(_, d, _, q) in cells.iter().filter(|c| c.0 == s) {
            e += dishes[d].per_serving.energy_kcal / 4.0 * q;
        }
        model = model.with(constraint!(
            e.clone() <= slot.max_energy_share * t.energy_kcal
        ));
        slot_energy.push(e);
    }
    let lunch = DAY
        .iter()
        .position(|s| s.meal == MealType::Lunch)
        .expect("a lunch");
    for (s, slot) in DAY.iter().enumerate() {
        if matches!(slot.meal, MealType::Breakfast | MealType::Dinner) {
            model = model.with(constraint!(
                slot_energy[lunch].clone() >= slot_energy[s].clone()
            ));
        }
    }
    // A dish once a day; pinned dishes in.
    for (d, dish) in dishes.iter().enumerate() {
        let uses: Expression = cells.iter().filter(|c| c.1 == d).map(|c| c.2).sum();
        if dish.pinned && cells.iter().any(|c| c.1 == d) {
            model = model.with(constraint!(uses.clone() >= 1));
        }
        model = model.with(constraint!(uses <= 1));
    }
    if let Some(budget) = targets.budget {
        let mut cost = Expression::default();
        for &(_, d, _, q) in &cells {
            cost += dishes[d].cost_per_serving.unwrap_or(0.0) / 4.0 * q;
        }
        model = model.with(constraint!(cost - over_budget <= budget));
    }
    if let Some(seconds) = time_limit {
        model = model.with_time_limit(seconds);
    }
    let solution = model.solve().map_err(|e| NoPlan::Solver(e.to_string()))?;

    let mut portions: Vec<Portion> = cells
        .iter()
        .filter(|c| solution.value(c.2) > 0.5)
        .map(|&(slot, d, _, q)| Portion {
            slot,
            dish: dishes[d].id,
            quarters: solution.value(q).round() as u32,
        })
        .collect();
    portions.sort_by_key(|p| p.slot);
    let supplement_servings = sup
        .as_ref()
        .map_or(0, |(_, z)| solution.value(*z).round() as u32);
    Ok(evaluate(
        dishes,
        targets,
        supplement,
        portions,
        supplement_servings,
    ))
}

/// Totals, cost and misses of a day, recomputed from its portions (not from the solver's floats).
pub fn evaluate(
    dishes: &[Dish],
    targets: &Targets,
    supplement: Option<&Supplement>,
    portions: Vec<Portion>,
    supplement_servings: u32,
) -> DayPlan {
    let by_id: HashMap<Uuid, &Dish> = dishes.iter().map(|d| (d.id, d)).collect();
    let mut totals = Macros::default();
    let mut cost = Some(0.0);
    for p in &portions {
        let dish = by_id[&p.dish];
        totals = totals.plus(dish.per_serving.scaled(p.servings()));
        cost = match (cost, dish.cost_per_serving) {
            (Some(c), Some(per)) => Some(c + per * p.servings()),
            _ => None,
        };
    }
    if let Some(s) = supplement {
        totals = totals.plus(s.per_serving.scaled(f64::from(supplement_servings)));
    }
    let t = targets.macros;
    let mut misses = Vec::new();
    let mut band = |name: &'static str, value: f64, target: f64, lo: f64, hi: f64| {
        let (low, high) = (lo * target, hi * target);
        let amount = if value < low - 1e-6 {
            value - low
        } else if value > high + 1e-6 {
            value - high
        } else {
            return;
        };
        misses.push(Miss {
            target: name,
            amount: (amount * 10.0).round() / 10.0,
            share: (amount / target.max(1.0) * 1000.0).round() / 1000.0,
        });
    };
    band(
        "energy_kcal",
        totals.energy_kcal,
        t.energy_kcal,
        1.0 - ENERGY_TOLERANCE,
        1.0 + ENERGY_TOLERANCE,
    );
    band(
        "protein_g",
        totals.protein_g,
        t.protein_g,
        PROTEIN_RANGE.0,
        PROTEIN_RANGE.1,
    );
    band(
        "carbohydrate_g",
        totals.carbohydrate_g,
        t.carbohydrate_g,
        1.0 - CARBOHYDRATE_TOLERANCE,
        1.0 + CARBOHYDRATE_TOLERANCE,
    );
    band(
        "fat_g",
        totals.fat_g,
        t.fat_g,
        1.0 - FAT_TOLERANCE,
        1.0 + FAT_TOLERANCE,
    );
    if let (Some(budget), Some(c)) = (targets.budget, cost) {
        if c > budget + 1e-6 {
            misses.push(Miss {
                target: "budget",
                amount: ((c - budget) * 100.0).round() / 100.0,
                share: ((c - budget) / budget.max(1.0) * 1000.0).round() / 1000.0,
            });
        }
    }
    DayPlan {
        portions,
        supplement_servings,
        totals,
        cost: cost.map(|c| (c * 100.0).round() / 100.0),
        misses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A day with no variety weights, seed 0 and no budget to speak of.
    fn closest_day(
        dishes: &[Dish],
        targets: &Targets,
        supplement: Option<&Supplement>,
        rules: &[SlotRule],
    ) -> Result<DayPlan, NoPlan> {
        plan_day(
            dishes,
            targets,
            supplement,
            &HashMap::new(),
            rules,
            0,
            &Budget::unlimited(),
        )
    }

    fn dish(n: u128, meals: &[MealType], kcal: f64, p: f64, c: f64, f: f64) -> Dish {
        Dish {
            id: Uuid::from_u128(n),
            meals: meals.to_vec(),
            per_serving: Macros {
                energy_kcal: kcal,
                protein_g: p,
                carbohydrate_g: c,
                fat_g: f,
            },
            cost_per_serving: Some(100.0),
            favourite: false,
            uses_this_week: 0,
            pinned: false,
        }
    }

    use MealType::*;

    /// A small menu of the seeded dishes' per-serving values.
    fn menu() -> Vec<Dish> {
        vec![
            dish(1, &[Breakfast], 517.0, 17.1, 88.2, 12.5),
            dish(2, &[Breakfast, Dinner], 281.0, 18.8, 1.1, 21.8),
            dish(3, &[Breakfast, Snack], 418.0, 21.9, 27.9, 26.3),
            dish(4, &[Lunch, Dinner], 696.0, 55.3, 79.5, 16.6),
            dish(5, &[Lunch, Dinner], 435.0, 45.9, 16.5, 21.5),
            dish(6, &[Lunch, Dinner], 550.0, 25.9, 59.5, 24.2),
            dish(7, &[Lunch, Dinner], 117.0, 2.1, 11.3, 7.9),
            dish(8, &[Lunch, Dinner], 286.0, 27.4, 20.7, 12.5),
            dish(9, &[Snack], 313.0, 3.3, 52.0, 11.1),
            dish(10, &[Lunch, Dinner], 206.0, 24.9, 11.8, 6.6),
        ]
    }

    fn targets(kcal: f64, p: f64, c: f64, f: f64) -> Targets {
        Targets {
            macros: Macros {
                energy_kcal: kcal,
                protein_g: p,
                carbohydrate_g: c,
                fat_g: f,
            },
            budget: None,
        }
    }

    #[test]
    fn a_reachable_day_is_within_every_tolerance() {
        let t = targets(2800.0, 140.0, 360.0, 85.0);
        let plan = closest_day(&menu(), &t, None, &open_day()).unwrap();
        assert!(plan.misses.is_empty(), "{plan:?}");
        for p in &plan.portions {
            assert!((MIN_QUARTERS..=MAX_QUARTERS).contains(&p.quarters));
        }
        // Every main meal is there, lunch the biggest.
        for meal in [Breakfast, Lunch, Dinner] {
            assert!(
                plan.portions.iter().any(|p| DAY[p.slot].meal == meal),
                "{meal:?}"
            );
        }
        let energy_of = |meal| -> f64 {
            plan.portions
                .iter()
                .filter(|p| DAY[p.slot].meal == meal)
                .map(|p| {
                    menu()
                        .iter()
                        .find(|d| d.id == p.dish)
                        .unwrap()
                        .per_serving
                        .energy_kcal
                        * p.servings()
                })
                .sum()
        };
        assert!(energy_of(Lunch) >= energy_of(Breakfast) && energy_of(Lunch) >= energy_of(Dinner));
    }

    #[test]
    fn an_unreachable_target_gives_the_closest_plan_and_says_so() {
        // 400 g of protein in 2000 kcal cannot be done with these dishes.
        let t = targets(2000.0, 400.0, 150.0, 60.0);
        let plan = closest_day(&menu(), &t, None, &open_day()).unwrap();
        let miss = plan
            .misses
            .iter()
            .find(|m| m.target == "protein_g")
            .expect("protein is missed");
        assert!(miss.amount < 0.0 && miss.share < 0.0);
    }

    #[test]
    fn a_supplement_fills_the_protein_food_cannot() {
        let t = targets(2000.0, 200.0, 200.0, 60.0);
        let whey = Supplement {
            product: Uuid::from_u128(99),
            per_serving: Macros {
                energy_kcal: 120.0,
                protein_g: 24.0,
                carbohydrate_g: 3.0,
                fat_g: 1.5,
            },
            max_servings: 3,
        };
        let without = closest_day(&menu(), &t, None, &open_day()).unwrap();
        let with = closest_day(&menu(), &t, Some(&whey), &open_day()).unwrap();
        assert!(with.supplement_servings > 0);
        let gap = |p: &DayPlan| {
            p.misses
                .iter()
                .find(|m| m.target == "protein_g")
                .map_or(0.0, |m| m.amount)
        };
        assert!(gap(&with) > gap(&without), "{with:?} vs {without:?}");
    }

    #[test]
    fn weekly_limits_pins_and_missing_meals() {
        let mut dishes = menu();
        for d in &mut dishes {
            d.uses_this_week = MAX_USES_PER_WEEK;
        }
        // Nothing left for breakfast.
        assert_eq!(
            closest_day(
                &dishes,
                &targets(2500.0, 120.0, 300.0, 80.0),
                None,
                &open_day()
            ),
            Err(NoPlan::NoDishFor(Breakfast))
        );
        let mut dishes = menu();
        dishes[5].pinned = true; // dish 6, twice this week already
        dishes[5].uses_this_week = MAX_USES_PER_WEEK;
        let plan = closest_day(
            &dishes,
            &targets(2500.0, 120.0, 300.0, 80.0),
            None,
            &open_day(),
        )
        .unwrap();
        assert!(plan.portions.iter().any(|p| p.dish == Uuid::from_u128(6)));
    }

    #[test]
    fn a_swap_keeps_the_other_meals_and_replaces_one_dish() {
        let t = targets(2800.0, 140.0, 360.0, 85.0);
        let day = closest_day(&menu(), &t, None, &open_day()).unwrap();
        let lunch = DAY.iter().position(|s| s.meal == Lunch).unwrap();
        let old = day.portions.iter().find(|p| p.slot == lunch).unwrap().dish;
        let mut rules: Vec<SlotRule> = (0..DAY.len())
            .map(|s| {
                SlotRule::kept(
                    day.portions
                        .iter()
                        .filter(|p| p.slot == s)
                        .map(|p| p.dish)
                        .collect(),
                )
            })
            .collect();
        let others: Vec<Uuid> = day
            .portions
            .iter()
            .filter(|p| p.slot == lunch && p.dish != old)
            .map(|p| p.dish)
            .collect();
        rules[lunch] = SlotRule {
            required: others,
            only: None,
            dishes: rules[lunch].dishes,
        };
        let dishes: Vec<Dish> = menu().into_iter().filter(|d| d.id != old).collect();
        let swapped = closest_day(&dishes, &t, None, &rules).unwrap();
        assert!(!swapped.portions.iter().any(|p| p.dish == old));
        for p in day.portions.iter().filter(|p| p.slot != lunch) {
            assert!(
                swapped
                    .portions
                    .iter()
                    .any(|q| q.slot == p.slot && q.dish == p.dish),
                "{p:?} kept"
            );
        }
        assert_eq!(swapped.portions.len(), day.portions.len());
    }

    #[test]
    fn the_budget_is_a_target_too() {
        let t = Targets {
            budget: Some(150.0),
            ..targets(2800.0, 140.0, 360.0, 85.0)
        };
        let plan = closest_day(&menu(), &t, None, &open_day()).unwrap();
        assert!(
            plan.misses.iter().any(|m| m.target == "budget"),
            "100 RSD a serving cannot stay under 150 a day"
        );
    }
}
