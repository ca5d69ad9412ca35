//! The cheapest shopping plan: which packages to buy in which stores so that every item's need is
//! covered at the lowest **total** cost — packages, with discounts already in their prices, plus the
//! delivery fee of every store used unless its order reaches that store's free-delivery threshold —
//! while every store used gets at least its minimum order and at most `max_stores` are used.
//!
//! The model: each item is bought in one store, as whole packages of one product (a substance item
//! may choose among several products); a store's basket may hold more than the need when that
//! reaches its minimum order or free delivery for less. It is solved exactly as a 0-1 integer
//! program (a facility-location formulation; [`good_lp`] with the pure-Rust microlp
//! branch-and-bound): each (item, store) contributes the distinct costs of the package combinations
//! that cover the need, and a lemma bounds which combinations can be optimal (see [`options`]). The
//! tests check the optimum against exhaustive search on thousands of random instances.

use std::collections::{BTreeMap, HashMap};

use good_lp::{
    Expression, ProblemVariables, Solution as _, SolutionStatus, SolverModel, Variable,
    WithTimeLimit, constraint, microlp, variable,
};
use rust_decimal::{Decimal, prelude::ToPrimitive};

use super::budget::{Budget, Exhausted};

/// A store's delivery terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub delivery_fee: Decimal,
    /// Orders at or above this ship free; `None`: never free.
    pub free_delivery_from: Option<Decimal>,
    /// Orders below this are refused (0: none).
    pub min_order: Decimal,
}

impl Store {
    /// What an order of `subtotal` costs delivered.
    pub fn delivered(&self, subtotal: Decimal) -> Decimal {
        subtotal + self.fee_for(subtotal)
    }

    pub fn fee_for(&self, subtotal: Decimal) -> Decimal {
        match self.free_delivery_from {
            Some(free) if subtotal >= free => Decimal::ZERO,
            _ => self.delivery_fee,
        }
    }
}

/// A package on sale: in `store` (index), of `product` (any key the caller uses to keep one item's
/// packages of one product together), covering `quantity` of the item's need for `price`.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub store: usize,
    pub product: usize,
    pub quantity: Decimal,
    pub price: Decimal,
}

/// One thing to buy: `need` in the unit of its offers' quantities.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub need: Decimal,
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub stores: Vec<Store>,
    pub items: Vec<Item>,
    pub max_stores: Option<usize>,
}

/// How one item is bought: packages (offer index into the item's offers, count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub store: usize,
    pub packages: Vec<(usize, u32)>,
    pub cost: Decimal,
}

/// A store's part of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basket {
    pub store: usize,
    pub subtotal: Decimal,
    pub delivery_fee: Decimal,
}

/// A plan: the cheapest, unless the work budget ran out first (`optimal` is false then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One per item, in the problem's order.
    pub purchases: Vec<Purchase>,
    /// The stores used, in index order.
    pub baskets: Vec<Basket>,
    pub total: Decimal,
    /// Proven to cost the least of every valid plan.
    pub optimal: bool,
}

/// Why no plan exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Infeasible {
    /// These items are on sale in none of the stores considered.
    NotSold(Vec<usize>),
    /// Every way to buy everything breaks a store's minimum order or `max_stores`.
    Constraints,
    /// The work budget ran out before any valid plan was found.
    OutOfBudget(Exhausted),
    /// The solver failed or answered with a plan that breaks a constraint (a bug, never the input).
    Solver(String),
}

/// Packages of one item: (offer index into the item's offers, count).
type Packages = Vec<(usize, u32)>;

/// A way to cover one item in one store: its cost and packages.
#[derive(Debug, Clone, PartialEq)]
struct Option_ {
    store: usize,
    cost: Decimal,
    packages: Vec<(usize, u32)>,
}

/// Combinations of whole packages of one product that cover `need`, one per distinct cost, up to
/// `limit` (inclusive); `complete` is false when `budget` ran out before the search ended (the
/// covers found so far are still valid).
///
/// A depth-first walk over package counts, cut three ways without losing a cost: a partial basket
/// whose cost plus the cheapest possible price of what it still lacks exceeds `limit` is dropped; a
/// partial basket no fuller than one already walked at the same depth and cost is dropped (every
/// cost it could reach, the fuller one reaches); and the last package size starts at the count that
/// completes the need.
struct Covers {
    by_cost: BTreeMap<Decimal, Vec<(usize, u32)>>,
    complete: bool,
}

fn covers(offers: &[(usize, &Offer)], need: Decimal, limit: Decimal, budget: &Budget) -> Covers {
    struct Walk<'a> {
        offers: &'a [(usize, &'a Offer)],
        /// The lowest price per unit among offers `k..`, for each `k`.
        cheapest_from: Vec<Decimal>,
        need: Decimal,
        limit: Decimal,
        budget: &'a Budget,
        counts: Vec<(usize, u32)>,
        /// (depth, cost) → the most quantity walked there.
        walked: HashMap<(usize, Decimal), Decimal>,
        out: BTreeMap<Decimal, Vec<(usize, u32)>>,
        /// A cover was dropped for the cheaper ones kept.
        dropped: bool,
    }
    impl Walk<'_> {
        /// Every count of package `k` and after, on top of `have` for `cost`.
        fn from(&mut self, k: usize, have: Decimal, cost: Decimal) {
            if cost > self.limit || !self.budget.spend() {
                return;
            }
            if have >= self.need && !self.out.contains_key(&cost) {
                // Record this cover (the first found for a cost is kept), and go on: more packages
                // may still be worth it to reach a threshold. Only the cheapest few are kept.
                self.out.insert(cost, self.counts.clone());
                if self.out.len() > MAX_OPTIONS_PER_STORE {
                    self.out.pop_last();
                    self.dropped = true;
                }
            }
            let Some(&(index, offer)) = self.offers.get(k) else {
                return;
            };
            let lacking = (self.need - have).max(Decimal::ZERO);
            if cost + lacking * self.cheapest_from[k] > self.limit + LOWER_BOUND_SLACK {
                return;
            }
            let room = self.walked.len() < MAX_REMEMBERED;
            match self.walked.get_mut(&(k, cost)) {
                Some(fuller) if *fuller >= have => return,
                Some(fuller) => *fuller = have,
                None if room => {
                    self.walked.insert((k, cost), have);
                }
                None => {}
            }
            // Skip the counts every completion of which the bound above would cut.
            let mut n = Decimal::ZERO;
            if lacking > Decimal::ZERO {
                if k + 1 == self.offers.len() {
                    // Fewer of the last package than this never completes the need.
                    n = (lacking / offer.quantity).ceil();
                } else {
                    // Each package of this size saves `gain` against the best price after it.
                    let rest = self.cheapest_from[k + 1];
                    let gain = offer.quantity * rest - offer.price;
                    let excess = cost + lacking * rest - self.limit - LOWER_BOUND_SLACK;
                    if gain > Decimal::ZERO && excess > Decimal::ZERO {
                        n = (excess / gain).ceil();
                    }
                }
            }
            let Some(mut n) = n.to_u32() else {
                return;
            };
            let (mut have, mut cost) = (
                have + offer.quantity * Decimal::from(n),
                cost + offer.price * Decimal::from(n),
            );
            while cost <= self.limit && self.budget.exhausted().is_none() {
                if n > 0 {
                    self.counts.push((index, n));
                }
                self.from(k + 1, have, cost);
                if n > 0 {
                    self.counts.pop();
                }
                n += 1;
                have += offer.quantity;
                cost += offer.price;
            }
        }
    }
    let mut cheapest_from = vec![Decimal::MAX; offers.len() + 1];
    for k in (0..offers.len()).rev() {
        let (_, o) = offers[k];
        cheapest_from[k] = cheapest_from[k + 1].min(o.price / o.quantity);
    }
    let mut walk = Walk {
        offers,
        cheapest_from,
        need,
        limit,
        budget,
        counts: Vec::new(),
        walked: HashMap::new(),
        out: BTreeMap::new(),
        dropped: false,
    };
    walk.from(0, Decimal::ZERO, Decimal::ZERO);
    let complete = budget.exhausted().is_none() && !walk.dropped;
    let mut by_cost = walk.out;
    // Whole packages of one size always cover, so even a cut-short search offers a way to buy.
    for &(index, o) in offers {
        let n = (need / o.quantity).ceil();
        let cost = n * o.price;
        if cost <= limit {
            if let Some(n) = n.to_u32().filter(|n| *n > 0) {
                by_cost.entry(cost).or_insert_with(|| vec![(index, n)]);
            }
        }
    }
    Covers { by_cost, complete }
}

/// Price-per-unit bounds are quotients, rounded in the 28th digit; a bound this close to the limit
/// is walked rather than cut.
const LOWER_BOUND_SLACK: Decimal = Decimal::from_parts(1, 0, 0, false, 6);

/// The most ways to buy one item in one store that go to the solver; beyond them the cheapest are
/// kept and the plan is not proven optimal.
const MAX_OPTIONS_PER_STORE: usize = 256;

/// The most partial baskets the search remembers to cut dominated ones (about 3 MiB); past it the
/// search goes on without remembering more, exactly but slower.
const MAX_REMEMBERED: usize = 65_536;

/// The share of a solve's time the search for ways to buy may take.
const SEARCH_SHARE: f64 = 0.5;

/// The options worth considering for `item` in `store`.
///
/// Lemma: with `m` the cheapest cover of the item in the store, no optimal plan pays more than
/// `m + min_order + delivery_fee` for it there. Given the rest `R` of the store's basket, the item
/// should cost either the least `y₁ ≥ min_order − R` (paying the fee) or the least
/// `y₂ ≥ free_from − R` (free delivery), and `y₂` only when `y₂ < y₁ + fee`. The covers
/// `m + k·p` (adding packages of price `p ≤ m` of the cheapest cover's product) reach any level
/// within `p` above it, so `y₁ ≤ max(m, min_order + p) ≤ m + min_order`, and `y₂ < y₁ + fee`.
/// `complete` is false when the budget cut the search short.
fn options(
    item: &Item,
    store_index: usize,
    store: &Store,
    budget: &Budget,
) -> (Vec<Option_>, bool) {
    let mut by_product: BTreeMap<usize, Vec<(usize, &Offer)>> = BTreeMap::new();
    for (i, o) in item.offers.iter().enumerate() {
        if o.store == store_index && o.quantity > Decimal::ZERO && o.price > Decimal::ZERO {
            by_product.entry(o.product).or_default().push((i, o));
        }
    }
    for offers in by_product.values_mut() {
        // Larger packages first, so that equal-cost covers prefer fewer packages.
        offers.sort_by(|a, b| b.1.quantity.cmp(&a.1.quantity).then(a.0.cmp(&b.0)));
    }
    let mut complete = true;
    // Each product's cheapest cover is an option too: a search cut short later may not find it again.
    let mut best: BTreeMap<Decimal, Vec<(usize, u32)>> = BTreeMap::new();
    for offers in by_product.values() {
        if let Some((cost, packages, done)) = min_cover(offers, item.need, budget) {
            complete &= done;
            best.entry(cost).or_insert(packages);
        }
    }
    let Some(&m) = best.keys().next() else {
        return (Vec::new(), true);
    };
    let limit = m + store.min_order + store.delivery_fee;
    for offers in by_product.values() {
        let found = covers(offers, item.need, limit, budget);
        complete &= found.complete;
        for (cost, packages) in found.by_cost {
            best.entry(cost).or_insert(packages);
        }
    }
    if best.len() > MAX_OPTIONS_PER_STORE {
        complete = false;
        while best.len() > MAX_OPTIONS_PER_STORE {
            best.pop_last();
        }
    }
    if !complete {
        // A cut-short search may have kept only covers below the store's thresholds: whole
        // packages of one size reaching each threshold keep the minimum order within reach.
        for offers in by_product.values() {
            for &(index, o) in offers {
                for threshold in [Some(store.min_order), store.free_delivery_from]
                    .into_iter()
                    .flatten()
                    .filter(|t| *t > m)
                {
                    let n = (item.need / o.quantity)
                        .ceil()
                        .max((threshold / o.price).ceil());
                    if let Some(count) = n.to_u32() {
                        best.entry(n * o.price)
                            .or_insert_with(|| vec![(index, count)]);
                    }
                }
            }
        }
    }
    let options = best
        .into_iter()
        .map(|(cost, packages)| Option_ {
            store: store_index,
            cost,
            packages,
        })
        .collect();
    (options, complete)
}

/// The cheapest cover with packages of one product (unbounded knapsack by enumeration over the
/// largest counts that can matter): its cost, packages, and whether the search was complete.
fn min_cover(
    offers: &[(usize, &Offer)],
    need: Decimal,
    budget: &Budget,
) -> Option<(Decimal, Packages, bool)> {
    if offers.is_empty() {
        return None;
    }
    // No cover needs more of a package than fills the need alone; a bound for the search.
    let limit = offers
        .iter()
        .map(|(_, o)| (need / o.quantity).ceil() * o.price)
        .min()?;
    let found = covers(offers, need, limit, budget);
    let (cost, packages) = found.by_cost.into_iter().next()?;
    Some((cost, packages, found.complete))
}

/// Money in para (hundredths), exact for the solver's floating point.
fn para(d: Decimal) -> f64 {
    (d * Decimal::ONE_HUNDRED)
        .round()
        .to_f64()
        .unwrap_or(f64::MAX)
}

/// Solves the problem exactly, unless `budget` runs out first: then the best plan found is returned
/// with `optimal` false, or [`Infeasible::OutOfBudget`] when none was found.
pub fn solve(problem: &Problem, budget: &Budget) -> Result<Plan, Infeasible> {
    let mut complete = true;
    // The search for ways to buy may take half the time: the solver gets the rest.
    let search = budget.phase(SEARCH_SHARE);
    let options: Vec<Vec<Option_>> = problem
        .items
        .iter()
        .map(|item| {
            let mut all = Vec::new();
            for (s, store) in problem.stores.iter().enumerate() {
                let (found, done) = options(item, s, store, &search);
                complete &= done;
                all.extend(found);
            }
            all
        })
        .collect();
    budget.spent(&search);
    if let Some(why @ Exhausted::Cancelled) = budget.exhausted() {
        return Err(Infeasible::OutOfBudget(why));
    }
    let not_sold: Vec<usize> = options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_empty())
        .map(|(i, _)| i)
        .collect();
    if !not_sold.is_empty() {
        return Err(Infeasible::NotSold(not_sold));
    }
    if problem.items.is_empty() {
        return Ok(Plan {
            purchases: Vec::new(),
            baskets: Vec::new(),
            total: Decimal::ZERO,
            optimal: true,
        });
    }
    if problem.max_stores == Some(0) {
        return Err(Infeasible::Constraints);
    }
    if let Some(plan) = cheapest_in_one_store(problem, &options) {
        return Ok(Plan {
            optimal: complete,
            ..plan
        });
    }

    let n_stores = problem.stores.len();
    let mut vars = ProblemVariables::new();
    let used: Vec<Variable> = (0..n_stores)
        .map(|_| vars.add(variable().binary()))
        .collect();
    let free: Vec<Variable> = (0..n_stores)
        .map(|_| vars.add(variable().binary()))
        .collect();
    let chosen: Vec<Vec<Variable>> = options
        .iter()
        .map(|o| o.iter().map(|_| vars.add(variable().binary())).collect())
        .collect();

    // Cost in para, and a twentieth of a para per store used so that among equally cheap plans the
    // one with fewer stores wins (at most 15 stores: less than one para in all, so never at the
    // price of a para).
    let mut objective = Expression::default();
    for (opts, xs) in options.iter().zip(&chosen) {
        for (o, x) in opts.iter().zip(xs) {
            objective += para(o.cost) * *x;
        }
    }
    for (s, store) in problem.stores.iter().enumerate() {
        objective +=
            (para(store.delivery_fee) + 0.05) * used[s] - para(store.delivery_fee) * free[s];
    }
    let mut model = vars.minimise(objective).using(microlp);
    for xs in &chosen {
        let one: Expression = xs.iter().copied().sum();
        model = model.with(constraint!(one == 1));
    }
    for (s, store) in problem.stores.iter().enumerate() {
        let mut subtotal = Expression::default();
        for (opts, xs) in options.iter().zip(&chosen) {
            for (o, x) in opts.iter().zip(xs).filter(|(o, _)| o.store == s) {
                subtotal += para(o.cost) * *x;
                model = model.with(constraint!(*x <= used[s]));
            }
        }
        model = model.with(constraint!(
            subtotal.clone() >= para(store.min_order) * used[s]
        ));
        match store.free_delivery_from {
            Some(from) => model = model.with(constraint!(subtotal >= para(from) * free[s])),
            None => model = model.with(constraint!(free[s] <= 0)),
        }
        model = model.with(constraint!(free[s] <= used[s]));
    }
    if let Some(k) = problem.max_stores {
        let stores: Expression = used.iter().copied().sum();
        model = model.with(constraint!(stores <= k as f64));
    }
    let time_left = budget.time_left();
    if time_left.is_zero() {
        return Err(Infeasible::OutOfBudget(
            budget.exhausted().unwrap_or(Exhausted::Time),
        ));
    }
    let solution = model
        .with_time_limit(time_left.as_secs_f64())
        .solve()
        .map_err(|e| match e {
            good_lp::ResolutionError::Infeasible => Infeasible::Constraints,
            // Stopped at its time limit before any plan was found.
            _ if budget.time_left().is_zero() => {
                Infeasible::OutOfBudget(budget.exhausted().unwrap_or(Exhausted::Time))
            }
            other => Infeasible::Solver(other.to_string()),
        })?;
    if !matches!(solution.status(), SolutionStatus::Optimal) {
        budget.exhaust(Exhausted::Time);
        complete = false;
    }

    let purchases: Vec<Purchase> = options
        .iter()
        .zip(&chosen)
        .map(|(opts, xs)| {
            let (o, _) = opts
                .iter()
                .zip(xs)
                .max_by(|a, b| solution.value(*a.1).total_cmp(&solution.value(*b.1)))
                .expect("every item has options");
            Purchase {
                store: o.store,
                packages: o.packages.clone(),
                cost: o.cost,
            }
        })
        .collect();
    let mut plan = plan_of(problem, purchases);
    plan.optimal = complete;
    // The solver's answer is re-checked in exact arithmetic.
    if plan
        .baskets
        .iter()
        .any(|b| b.subtotal < problem.stores[b.store].min_order)
        || problem.max_stores.is_some_and(|k| plan.baskets.len() > k)
    {
        return Err(Infeasible::Solver(
            "the plan breaks a minimum order or max_stores".into(),
        ));
    }
    Ok(plan)
}

/// Each item's cheapest way to buy, when those all fall in one store that takes the order and
/// delivers it free. No plan costs less (every plan pays at least each item's cheapest cost, and no
/// delivery), and none uses fewer stores: the integer program could only confirm it. Typical of a
/// store's own part of [`best_single_store`] once the basket reaches free delivery.
fn cheapest_in_one_store(problem: &Problem, options: &[Vec<Option_>]) -> Option<Plan> {
    let purchases = options
        .iter()
        .map(|opts| {
            opts.iter().min_by_key(|o| o.cost).map(|o| Purchase {
                store: o.store,
                packages: o.packages.clone(),
                cost: o.cost,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let plan = plan_of(problem, purchases);
    match plan.baskets.as_slice() {
        [basket]
            if basket.delivery_fee.is_zero()
                && basket.subtotal >= problem.stores[basket.store].min_order =>
        {
            Some(plan)
        }
        _ => None,
    }
}

/// The cheapest plan that buys everything in one store: each store on its own (a small problem
/// each), the cheapest of them. `None` when no store sells everything within its minimum order, or
/// when `budget` ran out before every store was tried (a comparison it cannot stand behind).
pub fn best_single_store(problem: &Problem, budget: &Budget) -> Result<Option<Plan>, Infeasible> {
    let mut best: Option<Plan> = None;
    for s in 0..problem.stores.len() {
        let only = Problem {
            items: problem
                .items
                .iter()
                .map(|item| Item {
                    need: item.need,
                    offers: item
                        .offers
                        .iter()
                        .filter(|o| o.store == s)
                        .cloned()
                        .collect(),
                })
                .collect(),
            max_stores: Some(1),
            ..problem.clone()
        };
        match solve(&only, budget) {
            Ok(plan) if !plan.optimal => return Ok(None),
            Ok(plan) if best.as_ref().is_none_or(|b| plan.total < b.total) => best = Some(plan),
            Ok(_) | Err(Infeasible::NotSold(_) | Infeasible::Constraints) => {}
            Err(Infeasible::OutOfBudget(_)) => return Ok(None),
            Err(e @ Infeasible::Solver(_)) => return Err(e),
        }
    }
    Ok(best)
}

/// The plan made of these purchases: baskets per store and the delivered total.
pub fn plan_of(problem: &Problem, purchases: Vec<Purchase>) -> Plan {
    let mut subtotals: BTreeMap<usize, Decimal> = BTreeMap::new();
    for p in &purchases {
        *subtotals.entry(p.store).or_default() += p.cost;
    }
    let baskets: Vec<Basket> = subtotals
        .into_iter()
        .map(|(store, subtotal)| Basket {
            store,
            subtotal,
            delivery_fee: problem.stores[store].fee_for(subtotal),
        })
        .collect();
    let total = baskets.iter().map(|b| b.subtotal + b.delivery_fee).sum();
    Plan {
        purchases,
        baskets,
        total,
        optimal: true,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::dec;

    use super::*;

    fn store(fee: Decimal, free: Option<Decimal>, min: Decimal) -> Store {
        Store {
            delivery_fee: fee,
            free_delivery_from: free,
            min_order: min,
        }
    }

    fn offer(store: usize, product: usize, quantity: Decimal, price: Decimal) -> Offer {
        Offer {
            store,
            product,
            quantity,
            price,
        }
    }

    /// Every way to buy every item (each item in one store, whole packages of one product, no more
    /// of any package than the need plus the largest threshold could use), the cheapest valid one.
    fn brute_force(p: &Problem) -> Option<Decimal> {
        let threshold = p
            .stores
            .iter()
            .map(|s| s.min_order.max(s.free_delivery_from.unwrap_or_default()))
            .max()
            .unwrap_or_default();
        // Each item's (store, cost) choices.
        let choices: Vec<Vec<(usize, Decimal)>> = p
            .items
            .iter()
            .map(|item| {
                let mut out = Vec::new();
                let mut groups: BTreeMap<(usize, usize), Vec<&Offer>> = BTreeMap::new();
                for o in &item.offers {
                    groups.entry((o.store, o.product)).or_default().push(o);
                }
                for ((s, _), offers) in groups {
                    // A package beyond need/quantity + threshold/price can be dropped: the rest still
                    // covers and still reaches every threshold, for less.
                    let bounds: Vec<u32> = offers
                        .iter()
                        .map(|o| {
                            ((item.need / o.quantity).ceil() + (threshold / o.price).ceil())
                                .to_u32()
                                .unwrap()
                                + 1
                        })
                        .collect();
                    let mut counts = vec![0u32; offers.len()];
                    loop {
                        let have: Decimal = offers
                            .iter()
                            .zip(&counts)
                            .map(|(o, n)| o.quantity * Decimal::from(*n))
                            .sum();
                        let cost: Decimal = offers
                            .iter()
                            .zip(&counts)
                            .map(|(o, n)| o.price * Decimal::from(*n))
                            .sum();
                        if have >= item.need {
                            out.push((s, cost));
                        }
                        let mut k = 0;
                        while k < counts.len() {
                            counts[k] += 1;
                            if counts[k] <= bounds[k] {
                                break;
                            }
                            counts[k] = 0;
                            k += 1;
                        }
                        if k == counts.len() {
                            break;
                        }
                    }
                }
                out.sort();
                out.dedup();
                out
            })
            .collect();
        if choices.iter().any(Vec::is_empty) {
            return None;
        }
        let mut best: Option<Decimal> = None;
        let mut pick = vec![0usize; choices.len()];
        loop {
            let mut subtotals: BTreeMap<usize, Decimal> = BTreeMap::new();
            for (i, &j) in pick.iter().enumerate() {
                *subtotals.entry(choices[i][j].0).or_default() += choices[i][j].1;
            }
            let valid = subtotals
                .iter()
                .all(|(s, sub)| *sub >= p.stores[*s].min_order)
                && p.max_stores.is_none_or(|k| subtotals.len() <= k);
            if valid {
                let total: Decimal = subtotals
                    .iter()
                    .map(|(s, sub)| p.stores[*s].delivered(*sub))
                    .sum();
                best = Some(best.map_or(total, |b| b.min(total)));
            }
            let mut k = 0;
            while k < pick.len() {
                pick[k] += 1;
                if pick[k] < choices[k].len() {
                    break;
                }
                pick[k] = 0;
                k += 1;
            }
            if k == pick.len() {
                return best;
            }
        }
    }

    fn check_plan(p: &Problem, plan: &Plan) {
        for (item, purchase) in p.items.iter().zip(&plan.purchases) {
            let mut have = Decimal::ZERO;
            let mut cost = Decimal::ZERO;
            let mut products = std::collections::BTreeSet::new();
            for (o, n) in &purchase.packages {
                let offer = &item.offers[*o];
                assert_eq!(offer.store, purchase.store);
                products.insert(offer.product);
                have += offer.quantity * Decimal::from(*n);
                cost += offer.price * Decimal::from(*n);
            }
            assert!(have >= item.need, "the need is covered");
            assert_eq!(cost, purchase.cost);
            assert!(products.len() <= 1, "one product per item");
        }
        let again = Plan {
            optimal: plan.optimal,
            ..plan_of(p, plan.purchases.clone())
        };
        assert_eq!(&again, plan, "baskets and total follow from the purchases");
    }

    #[test]
    fn one_store_with_free_delivery_beats_two_cheaper_shelves() {
        // Creatine is 100 cheaper at B, but B's fee is 350 and A ships free from 5000.
        let stores = vec![
            store(dec!(300), Some(dec!(5000)), dec!(0)),
            store(dec!(350), Some(dec!(10000)), dec!(0)),
        ];
        let items = vec![
            Item {
                need: dec!(30),
                offers: vec![
                    offer(0, 0, dec!(30), dec!(4000)),
                    offer(1, 0, dec!(30), dec!(4100)),
                ],
            },
            Item {
                need: dec!(60),
                offers: vec![
                    offer(0, 1, dec!(60), dec!(2100)),
                    offer(1, 1, dec!(60), dec!(2000)),
                ],
            },
        ];
        let p = Problem {
            stores,
            items,
            max_stores: None,
        };
        let plan = solve(&p, &Budget::unlimited()).unwrap();
        check_plan(&p, &plan);
        assert_eq!(plan.total, dec!(6100));
        assert_eq!(plan.baskets.len(), 1);
        assert_eq!(plan.baskets[0].delivery_fee, dec!(0));
    }

    #[test]
    fn the_cheapest_of_everything_in_one_store_that_delivers_free_is_the_plan() {
        // Both items are a para cheaper at A, whose basket reaches its free delivery; B sells both
        // and always delivers free.
        let problem = |free_from_a| Problem {
            stores: vec![
                store(dec!(300), Some(free_from_a), dec!(1000)),
                store(dec!(0), None, dec!(0)),
            ],
            items: vec![
                Item {
                    need: dec!(1),
                    offers: vec![
                        offer(0, 0, dec!(1), dec!(3000)),
                        offer(1, 0, dec!(1), dec!(3000.01)),
                    ],
                },
                Item {
                    need: dec!(1),
                    offers: vec![
                        offer(0, 1, dec!(1), dec!(2500)),
                        offer(1, 1, dec!(1), dec!(2500.01)),
                    ],
                },
            ],
            max_stores: None,
        };
        let p = problem(dec!(5000));
        let plan = solve(&p, &Budget::unlimited()).unwrap();
        check_plan(&p, &plan);
        assert!(plan.optimal);
        assert_eq!(plan.total, dec!(5500));
        assert_eq!(plan.baskets.len(), 1);
        assert_eq!(plan.baskets[0].store, 0);
        assert_eq!(brute_force(&p), Some(plan.total));
        // Short of A's free delivery, its cheaper shelf is not the plan: B's, delivered free, is.
        let p = problem(dec!(6000));
        let plan = solve(&p, &Budget::unlimited()).unwrap();
        check_plan(&p, &plan);
        assert_eq!(plan.total, dec!(5500.02));
        assert_eq!(plan.baskets[0].store, 1);
        assert_eq!(brute_force(&p), Some(plan.total));
    }

    #[test]
    fn an_extra_package_can_be_cheaper_than_the_delivery_fee() {
        // 3900 + 600 fee = 4500, or 3900 + a 450 package = 4350 shipped free from 4000.
        let p = Problem {
            stores: vec![store(dec!(600), Some(dec!(4000)), dec!(0))],
            items: vec![Item {
                need: dec!(30),
                offers: vec![
                    offer(0, 0, dec!(30), dec!(3900)),
                    offer(0, 0, dec!(3), dec!(450)),
                ],
            }],
            max_stores: None,
        };
        let plan = solve(&p, &Budget::unlimited()).unwrap();
        check_plan(&p, &plan);
        assert_eq!(plan.total, dec!(4350));
        assert_eq!(plan.purchases[0].packages, vec![(0, 1), (1, 1)]);
        assert_eq!(plan.baskets[0].delivery_fee, dec!(0));
    }

    #[test]
    fn minimum_orders_and_max_stores_are_respected_or_explained() {
        let p = Problem {
            stores: vec![
                store(dec!(300), None, dec!(5000)),
                store(dec!(300), None, dec!(0)),
            ],
            items: vec![Item {
                need: dec!(1),
                offers: vec![
                    offer(0, 0, dec!(1), dec!(1000)),
                    offer(1, 0, dec!(1), dec!(2000)),
                ],
            }],
            max_stores: None,
        };
        let plan = solve(&p, &Budget::unlimited()).unwrap();
        check_plan(&p, &plan);
        // Five packages at A (5000 + 300) cost more than one at B (2300).
        assert_eq!(plan.total, dec!(2300));

        let only_a = Problem {
            items: vec![Item {
                need: dec!(1),
                offers: vec![offer(0, 0, dec!(1), dec!(1000))],
            }],
            ..p.clone()
        };
        let plan = solve(&only_a, &Budget::unlimited()).unwrap();
        assert_eq!(
            plan.total,
            dec!(5300),
            "the minimum order is reached with more packages"
        );

        let split = Problem {
            stores: vec![
                store(dec!(300), None, dec!(0)),
                store(dec!(300), None, dec!(0)),
            ],
            items: vec![
                Item {
                    need: dec!(1),
                    offers: vec![offer(0, 0, dec!(1), dec!(100))],
                },
                Item {
                    need: dec!(1),
                    offers: vec![offer(1, 1, dec!(1), dec!(100))],
                },
            ],
            max_stores: Some(1),
        };
        assert_eq!(
            solve(&split, &Budget::unlimited()),
            Err(Infeasible::Constraints)
        );
        let nowhere = Problem {
            items: vec![Item {
                need: dec!(1),
                offers: vec![],
            }],
            ..split
        };
        assert_eq!(
            solve(&nowhere, &Budget::unlimited()),
            Err(Infeasible::NotSold(vec![0]))
        );
    }

    #[test]
    fn a_substance_item_picks_one_product() {
        // Two half-size packages of different brands would cover the need, but one product is bought.
        let p = Problem {
            stores: vec![store(dec!(0), None, dec!(0))],
            items: vec![Item {
                need: dec!(150),
                offers: vec![
                    offer(0, 0, dec!(100), dec!(1000)),
                    offer(0, 1, dec!(50), dec!(400)),
                    offer(0, 1, dec!(150), dec!(1500)),
                ],
            }],
            max_stores: None,
        };
        let plan = solve(&p, &Budget::unlimited()).unwrap();
        check_plan(&p, &plan);
        assert_eq!(plan.total, dec!(1200), "three 50s of product 1");
    }

    /// One product in three sizes at one price per serving, for a year of 20 servings a day: every
    /// mix of sizes costs the same, which the search recognises instead of walking each mix.
    #[test]
    fn a_year_of_many_servings_is_solved_exactly_within_a_modest_budget() {
        let offers = |store| {
            vec![
                offer(store, 0, dec!(30), dec!(1500)),
                offer(store, 0, dec!(60), dec!(3000)),
                offer(store, 0, dec!(90), dec!(4500)),
            ]
        };
        let p = Problem {
            stores: vec![
                store(dec!(300), Some(dec!(5000)), dec!(1000)),
                store(dec!(250), None, dec!(0)),
            ],
            items: vec![Item {
                need: dec!(7320),
                offers: [offers(0), offers(1)].concat(),
            }],
            max_stores: None,
        };
        let budget = Budget::new(
            std::time::Duration::from_secs(60),
            200_000,
            Default::default(),
        );
        let plan = solve(&p, &budget).unwrap();
        check_plan(&p, &plan);
        assert!(plan.optimal, "within the step budget");
        assert_eq!(plan.total, dec!(366000));
    }

    /// What a hostile client once sent: 100,000 servings a day for a year, three sizes with
    /// different prices per serving. The search stops at its budget with a valid plan, not proven
    /// optimal.
    #[test]
    fn a_spent_budget_answers_with_a_valid_plan_marked_not_optimal() {
        let p = Problem {
            stores: vec![store(dec!(300), Some(dec!(5000)), dec!(0))],
            items: vec![Item {
                need: dec!(36600000),
                offers: vec![
                    offer(0, 0, dec!(30), dec!(1599)),
                    offer(0, 0, dec!(67), dec!(3499)),
                    offer(0, 0, dec!(151), dec!(7777)),
                ],
            }],
            max_stores: None,
        };
        let budget = Budget::new(std::time::Duration::from_secs(60), 50, Default::default());
        let plan = solve(&p, &budget).unwrap();
        check_plan(&p, &plan);
        assert!(!plan.optimal);
        assert_eq!(budget.exhausted(), Some(Exhausted::Steps));
        assert_eq!(best_single_store(&p, &budget), Ok(None));

        let cancelled = Budget::new(
            std::time::Duration::from_secs(60),
            u64::MAX,
            std::sync::Arc::new(true.into()),
        );
        assert_eq!(
            solve(&p, &cancelled),
            Err(Infeasible::OutOfBudget(Exhausted::Cancelled))
        );
    }

    /// 1000.00–6000.00 RSD in steps of 250.50, so that sums rarely tie.
    fn money() -> impl Strategy<Value = Decimal> {
        (0u32..=20).prop_map(|n| dec!(1000) + Decimal::from(n) * dec!(250.50))
    }

    fn instance() -> impl Strategy<Value = Problem> {
        let store =
            (0u32..8, prop::option::of(0u32..=6), 0u32..=4).prop_map(|(fee, free, min)| Store {
                delivery_fee: Decimal::from(fee * 100),
                free_delivery_from: free.map(|f| Decimal::from(f * 1000)),
                min_order: Decimal::from(min * 1000),
            });
        (
            prop::collection::vec(store, 1..=3),
            1usize..=3,
            prop::option::of(1usize..=3),
        )
            .prop_flat_map(|(stores, n_items, max_stores)| {
                let n_stores = stores.len();
                let offer = (0..n_stores, 0usize..2, 5u32..=20, money()).prop_map(
                    |(s, product, q, price)| Offer {
                        store: s,
                        product,
                        quantity: Decimal::from(q),
                        price,
                    },
                );
                let item =
                    (1u32..=30, prop::collection::vec(offer, 0..=3)).prop_map(|(need, offers)| {
                        Item {
                            need: Decimal::from(need),
                            offers,
                        }
                    });
                prop::collection::vec(item, n_items).prop_map(move |items| Problem {
                    stores: stores.clone(),
                    items,
                    max_stores,
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The solver's plan is valid and costs exactly what exhaustive search finds cheapest; when
        /// exhaustive search finds nothing, the solver says why.
        #[test]
        fn the_plan_is_optimal(p in instance()) {
            let expected = brute_force(&p);
            match solve(&p, &Budget::unlimited()) {
                Ok(plan) => {
                    check_plan(&p, &plan);
                    prop_assert!(plan.optimal);
                    prop_assert!(plan.baskets.iter().all(|b| b.subtotal >= p.stores[b.store].min_order));
                    prop_assert!(p.max_stores.is_none_or(|k| plan.baskets.len() <= k));
                    prop_assert_eq!(Some(plan.total), expected);
                }
                Err(Infeasible::NotSold(items)) => {
                    prop_assert!(expected.is_none());
                    prop_assert!(items.iter().all(|i| p.items[*i].offers.is_empty()));
                }
                Err(Infeasible::Constraints) => prop_assert_eq!(expected, None),
                Err(Infeasible::Solver(e)) => prop_assert!(false, "solver: {e}"),
                Err(Infeasible::OutOfBudget(why)) => prop_assert!(false, "out of budget: {why:?}"),
            }
            // One store at a time finds what the whole problem with max_stores = 1 finds.
            let one = Problem { max_stores: Some(1), ..p.clone() };
            let single = best_single_store(&p, &Budget::unlimited()).expect("no solver failure");
            prop_assert_eq!(single.map(|s| s.total), solve(&one, &Budget::unlimited()).ok().map(|s| s.total));
        }
    }
}
