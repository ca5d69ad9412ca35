//! The cheapest way to buy an athlete's supplements for a period: which packages in which stores,
//! discounts, delivery fees and minimum orders included, solved exactly on the solver threads within
//! the request's work budget, and compared with the best single store. Only products the athlete may
//! take are planned: recommended ones, and those they confirmed after asking their doctor.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    AppState, Error, Result,
    athlete::{AthleteContext, athlete_context, candidate},
    cached,
    words::{Words, hit_rules},
};
use crate::{
    api::{
        error::FieldError,
        supplements::dto::{
            PlanItem, PlanLine, PlanStore, ShoppingItem, ShoppingPlan, ShoppingRequest, SingleStore,
        },
    },
    db::{
        self,
        safety::RuleView,
        supplements::{ProductFacts, StoreOffer},
    },
    domain::{
        account::Locale,
        dosage,
        recommend::{self, Evidence, Exclusion},
        safety::{self, Hit},
        shopping,
    },
    i18n::Arg,
};

/// The most items one shopping plan may hold.
pub const MAX_ITEMS: usize = 30;
/// The longest period a dose or plan covers.
pub const MAX_DAYS: u32 = 366;
/// The most servings a day of one product a shopping plan buys for (given as servings, grams or a
/// substance's amount): more than any label's directions, and it keeps a year's need within
/// a few thousand packages.
pub const MAX_SERVINGS_PER_DAY: u32 = 20;

/// A plan, and whether it was kept in the athlete's shopping lists.
pub enum Planned {
    Computed(ShoppingPlan),
    Saved(ShoppingPlan),
}

/// The cheapest plan for `req`, saved under the athlete's shopping lists when it asks to be. Every
/// refusal names its field in `locale`: an unknown store or product, an item the athlete may not
/// take (with the reason), an amount out of range, a plan the stores cannot fill or the work budget
/// cannot find.
pub async fn plan(
    state: &AppState,
    user: Uuid,
    locale: &Locale,
    req: ShoppingRequest,
) -> Result<Planned> {
    check_request(state, &req).await?;
    // The athlete and the market are read at once: neither needs the other.
    let market = async {
        let candidates = Candidates::load(state, locale, &req).await?;
        let offers =
            db::supplements::offers(&state.pool, &candidates.ids, req.stores.as_deref()).await?;
        Ok::<_, Error>((candidates, offers))
    };
    let (ctx, rules, (candidates, offers)) =
        tokio::try_join!(athlete_context(state, user), cached::rules(state), market)?;
    let words = Words::load(state, locale, &candidates.products).await?;
    let resolved = resolve_items(state, locale, &req, &candidates, &ctx, &rules, &words).await?;

    let market = Market::new(&offers, &candidates, &resolved);
    let problem = market.problem(&resolved, req.days, req.max_stores);
    // Both solves share the request's work budget, on the solver threads.
    let (plan, single) = state
        .compute
        .request()
        .run(move |budget| {
            (
                shopping::solve(&problem, budget),
                shopping::best_single_store(&problem, budget),
            )
        })
        .await
        .map_err(|_| Error::Busy)?;
    let single = single.map_err(|e| anyhow::anyhow!("single-store plan: {e:?}"))?;
    let plan = plan.map_err(|e| infeasible(e, state, &req, &words))?;

    let covered = market.cover(&plan, &resolved, &ctx, &rules);
    let rule_ids = hit_rules(covered.iter().flat_map(|c| &c.hits));
    let rule_views = db::safety::views_by_id(&state.pool, locale.as_str(), &rule_ids).await?;
    let mut out = market.present(&req, &plan, single.as_ref(), &resolved, covered, |hits| {
        words.warnings(hits, &rule_views)
    });
    if !req.save {
        return Ok(Planned::Computed(out));
    }
    let slugs: Vec<String> = out.stores.iter().map(|s| s.slug.clone()).collect();
    let saved = poem_openapi::types::ToJSON::to_json(&out).unwrap_or_default();
    let (id, created_at) = db::supplements::save_list(
        &state.pool,
        user,
        req.name.as_deref(),
        req.days as i32,
        out.total,
        &out.currency,
        &slugs,
        &saved,
    )
    .await?;
    out.id = Some(id);
    out.created_at = created_at;
    Ok(Planned::Saved(out))
}

/// The products the request's items may be filled with: those it names, and every product with a
/// substance it names.
struct Candidates {
    ids: Vec<Uuid>,
    products: Vec<ProductFacts>,
    index: HashMap<Uuid, usize>,
    by_substance: HashMap<String, Vec<Uuid>>,
}

impl Candidates {
    async fn load(state: &AppState, locale: &Locale, req: &ShoppingRequest) -> Result<Self> {
        let mut product_ids: BTreeSet<Uuid> =
            req.items.iter().filter_map(|i| i.product_id).collect();
        let codes: Vec<String> = req
            .items
            .iter()
            .filter_map(|i| i.substance.clone())
            .collect();
        let mut by_substance: HashMap<String, Vec<Uuid>> =
            codes.iter().map(|c| (c.clone(), Vec::new())).collect();
        if !codes.is_empty() {
            for (code, id) in db::supplements::products_with_substances(&state.pool, &codes).await?
            {
                product_ids.insert(id);
                by_substance.entry(code).or_default().push(id);
            }
        }
        let ids: Vec<Uuid> = product_ids.into_iter().collect();
        let products =
            db::supplements::products(&state.pool, locale.as_str(), None, Some(&ids)).await?;
        let index = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        Ok(Self {
            ids,
            products,
            index,
            by_substance,
        })
    }

    fn product(&self, id: Uuid) -> &ProductFacts {
        &self.products[self.index[&id]]
    }
}

/// Each item's need and candidates, or every item that cannot be planned, worded with its reason.
async fn resolve_items(
    state: &AppState,
    locale: &Locale,
    req: &ShoppingRequest,
    candidates: &Candidates,
    ctx: &AthleteContext,
    rules: &safety::RuleBook,
    words: &Words<'_>,
) -> Result<Vec<Resolved>> {
    let mut errors = Vec::new();
    let mut resolved = Vec::new();
    for (n, item) in req.items.iter().enumerate() {
        match resolve(n, item, candidates, ctx, rules) {
            Ok(r) => resolved.push(r),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        return Ok(resolved);
    }
    let rule_ids = hit_rules(errors.iter().flat_map(|(_, e)| match e {
        ItemError::AskDoctor(hits) => hits.as_slice(),
        _ => &[],
    }));
    let rule_views = db::safety::views_by_id(&state.pool, locale.as_str(), &rule_ids).await?;
    Err(Error::Invalid(
        errors
            .into_iter()
            .map(|(field, e)| FieldError::new(field, e.render(words, &rule_views)))
            .collect(),
    ))
}

/// Why the solver found no plan, as the field to change.
fn infeasible(
    e: shopping::Infeasible,
    state: &AppState,
    req: &ShoppingRequest,
    words: &Words<'_>,
) -> Error {
    match e {
        shopping::Infeasible::NotSold(items) => Error::Invalid(
            items
                .into_iter()
                .map(|i| {
                    FieldError::new(
                        item_field(i, &req.items[i]),
                        words.msg("shopping-not-sold", &[]),
                    )
                })
                .collect(),
        ),
        shopping::Infeasible::Constraints => match req.max_stores {
            Some(k) => Error::invalid(
                "max_stores",
                words.msg(
                    "shopping-max-stores",
                    &[("count", Arg::Count(i64::from(k)))],
                ),
            ),
            None => Error::invalid("stores", words.msg("shopping-constraints", &[])),
        },
        shopping::Infeasible::OutOfBudget(_) => {
            let ms = state.compute.time_limit().as_millis();
            Error::invalid(
                "items",
                words.msg("shopping-out-of-budget", &[("ms", Arg::Count(ms as i64))]),
            )
        }
        shopping::Infeasible::Solver(e) => anyhow::anyhow!("shopping-plan solver: {e}").into(),
    }
}

/// The offers of the candidates, by store: the solver's problem, and the plan it solves read back.
struct Market<'a> {
    candidates: &'a Candidates,
    /// One offer of each store, for the store's own terms.
    stores: Vec<&'a StoreOffer>,
    /// Per item, the offers of its candidates, in the order the solver numbers them.
    item_offers: Vec<Vec<&'a StoreOffer>>,
}

impl<'a> Market<'a> {
    fn new(offers: &'a [StoreOffer], candidates: &'a Candidates, resolved: &[Resolved]) -> Self {
        let mut stores: Vec<&StoreOffer> = Vec::new();
        for o in offers {
            if !stores.iter().any(|s| s.store_id == o.store_id) {
                stores.push(o);
            }
        }
        let item_offers = resolved
            .iter()
            .map(|r| {
                offers
                    .iter()
                    .filter(|o| r.candidates.contains(&candidates.index[&o.product_id]))
                    .collect()
            })
            .collect();
        Self {
            candidates,
            stores,
            item_offers,
        }
    }

    fn store_index(&self, offer: &StoreOffer) -> usize {
        self.stores
            .iter()
            .position(|s| s.store_id == offer.store_id)
            .expect("listed")
    }

    /// How much of an item's need one package of an offer covers.
    fn quantity(&self, r: &Resolved, o: &StoreOffer) -> Decimal {
        match &r.substance {
            Some(code) => o.servings * amount_of(self.candidates.product(o.product_id), code),
            None => o.servings,
        }
    }

    fn problem(
        &self,
        resolved: &[Resolved],
        days: u32,
        max_stores: Option<u32>,
    ) -> shopping::Problem {
        shopping::Problem {
            stores: self
                .stores
                .iter()
                .map(|s| shopping::Store {
                    delivery_fee: s.delivery_fee,
                    free_delivery_from: s.free_delivery_from,
                    min_order: s.min_order,
                })
                .collect(),
            items: resolved
                .iter()
                .zip(&self.item_offers)
                .map(|(r, offers)| shopping::Item {
                    need: r.per_day * Decimal::from(days),
                    offers: offers
                        .iter()
                        .map(|o| shopping::Offer {
                            store: self.store_index(o),
                            product: self.candidates.index[&o.product_id],
                            quantity: self.quantity(r, o),
                            price: o.effective_price,
                        })
                        .collect(),
                })
                .collect(),
            max_stores: max_stores.map(|k| k as usize),
        }
    }

    /// What each item got: its product, how much, and that product's screen at the dose bought.
    fn cover(
        &self,
        plan: &shopping::Plan,
        resolved: &[Resolved],
        ctx: &AthleteContext,
        rules: &safety::RuleBook,
    ) -> Vec<Covered<'a>> {
        plan.purchases
            .iter()
            .zip(resolved)
            .enumerate()
            .map(|(n, (purchase, r))| {
                let mut bought = Decimal::ZERO;
                let mut lines = Vec::new();
                for (offer, count) in &purchase.packages {
                    let o = self.item_offers[n][*offer];
                    bought += Decimal::from(*count) * self.quantity(r, o);
                    lines.push((o, *count));
                }
                let last = lines.last().expect("a purchase holds packages").0;
                let product = self.candidates.product(last.product_id);
                let servings_per_day = match &r.substance {
                    Some(code) => r.per_day / amount_of(product, code),
                    None => r.per_day,
                };
                let substances = product.substances();
                let hits = safety::assess(
                    &ctx.person,
                    safety::Product {
                        substances: &substances,
                        allergens: &product.allergens,
                    },
                    rules,
                    servings_per_day,
                )
                .hits;
                Covered {
                    item: n,
                    store: purchase.store,
                    product,
                    lines,
                    bought,
                    servings_per_day,
                    hits,
                }
            })
            .collect()
    }

    /// The plan as the athlete reads it: a basket per store, what each item got, and the saving on
    /// the best single store.
    fn present(
        &self,
        req: &ShoppingRequest,
        plan: &shopping::Plan,
        single: Option<&shopping::Plan>,
        resolved: &[Resolved],
        covered: Vec<Covered<'_>>,
        warnings: impl Fn(&[Hit]) -> Vec<crate::api::supplements::dto::Warning>,
    ) -> ShoppingPlan {
        let mut stores: Vec<PlanStore> = plan
            .baskets
            .iter()
            .map(|b| {
                let s = self.stores[b.store];
                PlanStore {
                    store_id: s.store_id,
                    slug: s.store_slug.clone(),
                    name: s.store_name.clone(),
                    lines: Vec::new(),
                    subtotal: b.subtotal,
                    delivery_fee: b.delivery_fee,
                    total: b.subtotal + b.delivery_fee,
                    free_delivery_from: s.free_delivery_from,
                    min_order: s.min_order,
                }
            })
            .collect();
        let mut items = Vec::new();
        for c in covered {
            let basket = stores
                .iter_mut()
                .find(|s| s.store_id == self.stores[c.store].store_id)
                .expect("a basket per store used");
            for (o, count) in &c.lines {
                let p = self.candidates.product(o.product_id);
                basket.lines.push(PlanLine {
                    item: c.item as u32,
                    product_id: p.id,
                    product_name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
                    package_id: o.package_id,
                    size: o.size.normalize(),
                    size_unit: o.size_unit.clone(),
                    servings: o.servings.normalize(),
                    count: *count,
                    unit_price: o.effective_price,
                    regular_price: o.price,
                    line_total: o.effective_price * Decimal::from(*count),
                });
            }
            let r = &resolved[c.item];
            items.push(PlanItem {
                item: c.item as u32,
                product_id: c.product.id,
                product_name: c
                    .product
                    .name
                    .clone()
                    .unwrap_or_else(|| c.product.slug.clone()),
                substance: r.substance.clone(),
                needed: (r.per_day * Decimal::from(req.days)).normalize(),
                bought: c.bought.normalize(),
                unit: r.unit.clone(),
                servings_per_day: c.servings_per_day.round_dp(2).normalize(),
                warnings: warnings(&c.hits),
            });
        }
        let best_single_store = single.map(|s| {
            let store = self.stores[s.baskets[0].store];
            SingleStore {
                store_slug: store.store_slug.clone(),
                store_name: store.store_name.clone(),
                total: s.total,
            }
        });
        ShoppingPlan {
            id: None,
            name: req.name.clone(),
            days: req.days,
            currency: self
                .stores
                .first()
                .map_or_else(|| "RSD".into(), |s| s.currency.clone()),
            total: plan.total,
            optimal: plan.optimal,
            packages_total: stores.iter().map(|s| s.subtotal).sum(),
            delivery_total: stores.iter().map(|s| s.delivery_fee).sum(),
            saving: best_single_store.as_ref().map(|s| s.total - plan.total),
            best_single_store,
            stores,
            items,
            created_at: OffsetDateTime::now_utc(),
        }
    }
}

/// What the plan bought for one item.
struct Covered<'a> {
    item: usize,
    /// The store the item is bought in (the solver's number).
    store: usize,
    /// The product of the item's last package line: the one its warnings are about.
    product: &'a ProductFacts,
    lines: Vec<(&'a StoreOffer, u32)>,
    bought: Decimal,
    servings_per_day: Decimal,
    hits: Vec<Hit>,
}

/// A resolved item: what it is and the products that may fill it.
struct Resolved {
    substance: Option<String>,
    /// Need per day: servings for a product, the substance's unit for a substance.
    per_day: Decimal,
    unit: String,
    candidates: Vec<usize>,
}

/// Checks what can be checked without the athlete: sizes, ranges, one of each alternative, known
/// stores. Every bad field is named.
async fn check_request(state: &AppState, req: &ShoppingRequest) -> Result<()> {
    let mut errors = Vec::new();
    if req.items.is_empty() || req.items.len() > MAX_ITEMS {
        errors.push(FieldError::new(
            "items",
            format!("give 1 to {MAX_ITEMS} items"),
        ));
    }
    if req.days == 0 || req.days > MAX_DAYS {
        errors.push(FieldError::new(
            "days",
            format!("must be between 1 and {MAX_DAYS}"),
        ));
    }
    if let Some(k) = req.max_stores {
        if !(1..=50).contains(&k) {
            errors.push(FieldError::new("max_stores", "must be between 1 and 50"));
        }
    }
    let positive =
        |v: Option<Decimal>| v.is_none_or(|v| v > Decimal::ZERO && v <= Decimal::from(100_000));
    for (n, item) in req.items.iter().enumerate().take(MAX_ITEMS) {
        let field = |name: &str| format!("items[{n}].{name}");
        match (&item.product_id, &item.substance) {
            (Some(_), Some(_)) | (None, None) => errors.push(FieldError::new(
                format!("items[{n}]"),
                "give either product_id or substance",
            )),
            (Some(_), None) => {
                if item.servings_per_day.is_some() && item.grams_per_day.is_some() {
                    errors.push(FieldError::new(
                        field("grams_per_day"),
                        "give servings_per_day or grams_per_day, not both",
                    ));
                }
                if item.amount_per_day.is_some() {
                    errors.push(FieldError::new(
                        field("amount_per_day"),
                        "only for a substance; use servings_per_day",
                    ));
                }
            }
            (None, Some(_)) => {
                if item.servings_per_day.is_some() || item.grams_per_day.is_some() {
                    errors.push(FieldError::new(
                        field("amount_per_day"),
                        "a substance takes amount_per_day (in its unit)",
                    ));
                }
            }
        }
        if item
            .servings_per_day
            .is_some_and(|s| s > Decimal::from(MAX_SERVINGS_PER_DAY))
        {
            errors.push(FieldError::new(
                field("servings_per_day"),
                format!("must be above 0 and at most {MAX_SERVINGS_PER_DAY}"),
            ));
            continue;
        }
        for (name, value) in [
            ("servings_per_day", item.servings_per_day),
            ("grams_per_day", item.grams_per_day),
            ("amount_per_day", item.amount_per_day),
        ] {
            if !positive(value) {
                errors.push(FieldError::new(
                    field(name),
                    "must be above 0 and at most 100000",
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (n, item) in req.items.iter().enumerate() {
        let key = (item.product_id, item.substance.clone());
        if !seen.insert(key) {
            errors.push(FieldError::new(
                format!("items[{n}]"),
                "the same product or substance is listed twice",
            ));
        }
    }
    if let Some(stores) = &req.stores {
        if stores.is_empty() || stores.len() > 100 {
            errors.push(FieldError::new(
                "stores",
                "give 1 to 100 store slugs, or leave it out",
            ));
        } else if let Some(slug) = db::supplements::unknown_stores(&state.pool, stores)
            .await?
            .first()
        {
            let shown: String = slug.chars().take(80).collect();
            errors.push(FieldError::new(
                "stores",
                format!("no active store {shown:?}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// The field an item is named by in errors.
fn item_field(n: usize, item: &ShoppingItem) -> String {
    if item.substance.is_some() {
        format!("items[{n}].substance")
    } else {
        format!("items[{n}].product_id")
    }
}

/// Why an item cannot be planned; worded in the response's language.
enum ItemError {
    Text(String),
    Message(&'static str),
    Unsafe(Vec<Hit>),
    /// A caution applies and the athlete has not confirmed the product.
    AskDoctor(Vec<Hit>),
    /// Every product with the substance needs the doctor's word first, or is not for the athlete.
    NotConfirmed(String),
}

impl ItemError {
    fn render(&self, words: &Words<'_>, rules: &HashMap<Uuid, RuleView>) -> String {
        match self {
            ItemError::Text(t) => t.clone(),
            ItemError::Message(id) => words.msg(id, &[]),
            ItemError::Unsafe(hits) => {
                let why: BTreeSet<String> =
                    hits.iter()
                        .filter(|h| h.severity() == safety::Severity::Avoid)
                        .map(|h| match h {
                            Hit::Rule { substance, .. }
                            | Hit::NoLifeStageData { substance, .. } => words.substance(substance),
                            Hit::DeclaredAllergen { allergen } => words.term("allergen", allergen),
                        })
                        .collect();
                let why: Vec<String> = why.into_iter().collect();
                words.msg("shopping-unsafe", &[("why", why.join(", ").into())])
            }
            ItemError::AskDoctor(hits) => {
                let why: BTreeSet<String> = hits
                    .iter()
                    .filter(|h| h.severity() == safety::Severity::Caution)
                    .map(|h| match h {
                        Hit::Rule {
                            rule, substance, ..
                        } => {
                            let term = rules
                                .get(rule)
                                .map(|v| words.term(&v.vocabulary, &v.code))
                                .unwrap_or_default();
                            format!("{} ({term})", words.substance(substance))
                        }
                        Hit::NoLifeStageData {
                            substance, stage, ..
                        } => {
                            let (vocabulary, code) = stage.term();
                            format!(
                                "{} ({})",
                                words.substance(substance),
                                words.term(vocabulary.as_str(), code)
                            )
                        }
                        Hit::DeclaredAllergen { allergen } => words.term("allergen", allergen),
                    })
                    .collect();
                let why: Vec<String> = why.into_iter().collect();
                words.msg("shopping-ask-doctor", &[("why", why.join(", ").into())])
            }
            ItemError::NotConfirmed(code) => words.msg(
                "shopping-not-confirmed",
                &[("substance", words.substance(code).into())],
            ),
        }
    }
}

/// The amount of a substance in one serving of a product (zero when it has none).
fn amount_of(p: &ProductFacts, code: &str) -> Decimal {
    p.substance_codes
        .iter()
        .position(|c| c == code)
        .map_or(Decimal::ZERO, |i| p.substance_amounts[i])
}

/// An item's need per day and the products that may fill it, each through the safety screen.
fn resolve(
    n: usize,
    item: &ShoppingItem,
    candidates: &Candidates,
    ctx: &AthleteContext,
    rules: &safety::RuleBook,
) -> Result<Resolved, (String, ItemError)> {
    let Candidates {
        products,
        index,
        by_substance,
        ..
    } = candidates;
    let field = item_field(n, item);
    let fail = |e: ItemError| Err((field.clone(), e));
    let screen = |p: &ProductFacts, servings: Decimal| {
        let substances = p.substances();
        safety::assess(
            &ctx.person,
            safety::Product {
                substances: &substances,
                allergens: &p.allergens,
            },
            rules,
            servings,
        )
    };
    let group_d = |p: &ProductFacts| {
        p.substance_codes
            .iter()
            .zip(&p.substance_evidence)
            .any(|(_, e)| e.as_deref() == Some(Evidence::D.as_str()))
    };
    if let Some(id) = item.product_id {
        let Some(&i) = index.get(&id) else {
            return fail(ItemError::Text(format!("no product {id}")));
        };
        let p = &products[i];
        if group_d(p) {
            return fail(ItemError::Message("exclusion-evidence-d"));
        }
        let servings = match (item.servings_per_day, item.grams_per_day) {
            (Some(s), _) => s,
            (None, Some(g)) if p.serving_unit == "g" => g / p.serving_size,
            (None, Some(_)) => {
                return Err((
                    format!("items[{n}].grams_per_day"),
                    ItemError::Text(format!(
                        "this product is measured in {}; give servings_per_day",
                        p.serving_unit
                    )),
                ));
            }
            (None, None) => {
                match recommend::judge(&candidate(p), &ctx.athlete, &ctx.person, &ctx.needs, rules)
                {
                    Ok((dose, _)) => dose.servings_per_day,
                    Err(Exclusion::Unsafe(hits)) => return fail(ItemError::Unsafe(hits)),
                    Err(_) => {
                        return Err((
                            format!("items[{n}].servings_per_day"),
                            ItemError::Text(
                                "no dose follows from your profile; give servings_per_day".into(),
                            ),
                        ));
                    }
                }
            }
        };
        if servings > Decimal::from(MAX_SERVINGS_PER_DAY) {
            let most = (Decimal::from(MAX_SERVINGS_PER_DAY) * p.serving_size).normalize();
            return Err((
                format!("items[{n}].grams_per_day"),
                ItemError::Text(format!(
                    "at most {most} g a day ({MAX_SERVINGS_PER_DAY} servings) of this product"
                )),
            ));
        }
        let assessment = screen(p, servings);
        if assessment.excluded() {
            return fail(ItemError::Unsafe(assessment.hits));
        }
        if !ctx.may_plan(p.id, &assessment.hits) {
            return fail(ItemError::AskDoctor(assessment.hits));
        }
        return Ok(Resolved {
            substance: None,
            per_day: servings,
            unit: "servings".into(),
            candidates: vec![i],
        });
    }
    let code = item.substance.clone().unwrap_or_default();
    let Some(ids) = by_substance.get(&code).filter(|ids| !ids.is_empty()) else {
        return fail(ItemError::Text(format!("no product contains {code:?}")));
    };
    let unit = products
        .iter()
        .find_map(|p| {
            p.substance_codes
                .iter()
                .position(|c| *c == code)
                .map(|k| p.substance_units[k].clone())
        })
        .unwrap_or_default();
    let per_day = match item.amount_per_day {
        Some(a) => a,
        None => match dosage::target(&code, &ctx.athlete, &ctx.needs)
            .and_then(|t| Decimal::try_from(t.daily).ok())
        {
            Some(d) => d.round_dp(3),
            None => {
                return Err((
                    format!("items[{n}].amount_per_day"),
                    ItemError::Text(format!(
                        "no daily target follows from your profile; give amount_per_day in {unit}"
                    )),
                ));
            }
        },
    };
    let mut candidates = Vec::new();
    let mut last_unsafe = Vec::new();
    let mut to_confirm = false;
    let mut all_group_d = true;
    let mut most_per_serving = Decimal::ZERO;
    for id in ids {
        let i = index[id];
        let p = &products[i];
        let amount = amount_of(p, &code);
        if amount <= Decimal::ZERO {
            continue;
        }
        most_per_serving = most_per_serving.max(amount);
        if group_d(p) || per_day / amount > Decimal::from(MAX_SERVINGS_PER_DAY) {
            continue;
        }
        all_group_d = false;
        let a = screen(p, per_day / amount);
        if a.excluded() {
            last_unsafe = a.hits;
        } else if ctx.may_plan(p.id, &a.hits) {
            candidates.push(i);
        } else {
            to_confirm = true;
        }
    }
    let most = most_per_serving * Decimal::from(MAX_SERVINGS_PER_DAY);
    if candidates.is_empty() && per_day > most && most > Decimal::ZERO {
        return Err((
            format!("items[{n}].amount_per_day"),
            ItemError::Text(format!(
                "at most {} {unit} a day ({MAX_SERVINGS_PER_DAY} servings of the most concentrated product)",
                most.normalize()
            )),
        ));
    }
    if candidates.is_empty() {
        return fail(if all_group_d {
            ItemError::Message("exclusion-evidence-d")
        } else if to_confirm {
            ItemError::NotConfirmed(code)
        } else {
            ItemError::Unsafe(last_unsafe)
        });
    }
    Ok(Resolved {
        substance: Some(code),
        per_day,
        unit,
        candidates,
    })
}
