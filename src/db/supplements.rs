//! What recommendations, doses and shopping plans read: products with their substances, allergens and
//! best offer; the offers of chosen products; the athlete's logged protein; and saved shopping lists.

use rust_decimal::Decimal;
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A product with what the safety screen, the dosage and the ranking need.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ProductFacts {
    pub id: Uuid,
    pub slug: String,
    pub product_type: String,
    pub serving_size: Decimal,
    pub serving_unit: String,
    pub is_available: bool,
    pub energy_kcal_per_100g: Option<Decimal>,
    pub protein_g_per_100g: Option<Decimal>,
    pub carbohydrate_g_per_100g: Option<Decimal>,
    pub fat_g_per_100g: Option<Decimal>,
    pub brand_slug: String,
    pub brand_name: String,
    pub name: Option<String>,
    /// Parallel arrays, by substance code.
    pub substance_codes: Vec<String>,
    pub substance_names: Vec<Option<String>>,
    pub substance_units: Vec<String>,
    pub substance_evidence: Vec<Option<String>>,
    pub substance_amounts: Vec<Decimal>,
    pub allergens: Vec<String>,
    /// The cheapest in-stock offer per serving.
    pub best_store_slug: Option<String>,
    pub best_store_name: Option<String>,
    pub best_package_id: Option<Uuid>,
    pub best_price: Option<Decimal>,
    pub best_price_per_serving: Option<Decimal>,
}

impl ProductFacts {
    pub fn substances(&self) -> Vec<(String, Decimal)> {
        self.substance_codes
            .iter()
            .cloned()
            .zip(self.substance_amounts.iter().copied())
            .collect()
    }
}

/// Products in `locale`: available ones of `product_type` (any when `None`), or exactly `ids`
/// (available or not).
pub async fn products(
    db: impl PgExecutor<'_>,
    locale: &str,
    product_type: Option<&str>,
    ids: Option<&[Uuid]>,
) -> sqlx::Result<Vec<ProductFacts>> {
    // One pass per table (not a subquery per product): the best offers, the substances with their
    // names and the allergens are each aggregated once, then joined, with the names kept per locale.
    sqlx::query_as(
        "WITH chain AS (SELECT code, depth FROM locale_chain($1)),
         chosen AS (
             SELECT p.id FROM products p
             WHERE CASE WHEN $3::uuid[] IS NULL THEN p.is_available ELSE p.id = ANY($3) END
               AND ($2::text IS NULL OR p.product_type = $2)
         ),
         substance_names AS (
             SELECT DISTINCT ON (t.substance_id) t.substance_id, localized(t.name, t.locale, $1) AS name
             FROM substance_translations t LEFT JOIN chain c ON c.code = t.locale
             ORDER BY t.substance_id, c.depth NULLS LAST, t.locale
         ),
         sub AS (
             SELECT ps.product_id, array_agg(s.code ORDER BY s.code) AS codes, array_agg(s.unit ORDER BY s.code) AS units,
                    array_agg(s.evidence ORDER BY s.code) AS evidence,
                    array_agg(ps.amount_per_serving ORDER BY s.code) AS amounts,
                    array_agg(n.name ORDER BY s.code) AS names
             FROM product_substances ps JOIN chosen ON chosen.id = ps.product_id
             JOIN substances s ON s.id = ps.substance_id
             LEFT JOIN substance_names n ON n.substance_id = s.id
             GROUP BY ps.product_id
         ),
         allergens AS (
             SELECT a.product_id, array_agg(a.code ORDER BY a.code) AS codes
             FROM product_allergens a JOIN chosen ON chosen.id = a.product_id GROUP BY a.product_id
         ),
         best AS (
             SELECT DISTINCT ON (o.product_id) o.product_id, o.store_slug, o.store_name, o.package_id,
                    o.effective_price, o.price_per_serving
             FROM current_offers o JOIN chosen ON chosen.id = o.product_id
             WHERE o.in_stock
             ORDER BY o.product_id, o.price_per_serving, o.effective_price, o.store_slug
         )
         SELECT p.id, p.slug, p.product_type, p.serving_size, p.serving_unit, p.is_available,
                p.energy_kcal_per_100g, p.protein_g_per_100g, p.carbohydrate_g_per_100g, p.fat_g_per_100g,
                b.slug AS brand_slug, b.name AS brand_name, names.name,
                coalesce(sub.codes, '{}') AS substance_codes, coalesce(sub.names, '{}') AS substance_names,
                coalesce(sub.units, '{}') AS substance_units, coalesce(sub.evidence, '{}') AS substance_evidence,
                coalesce(sub.amounts, '{}') AS substance_amounts, coalesce(allergens.codes, '{}') AS allergens,
                best.store_slug AS best_store_slug, best.store_name AS best_store_name,
                best.package_id AS best_package_id, best.effective_price AS best_price,
                best.price_per_serving AS best_price_per_serving
         FROM chosen
         JOIN products p ON p.id = chosen.id
         JOIN brands b ON b.id = p.brand_id
         LEFT JOIN product_names names ON names.product_id = p.id AND names.locale = $1
         LEFT JOIN sub ON sub.product_id = p.id
         LEFT JOIN allergens ON allergens.product_id = p.id
         LEFT JOIN best ON best.product_id = p.id
         ORDER BY p.slug",
    )
    .bind(locale)
    .bind(product_type)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// The available products that contain each of `codes`, as (substance code, product id).
pub async fn products_with_substances(
    db: impl PgExecutor<'_>,
    codes: &[String],
) -> sqlx::Result<Vec<(String, Uuid)>> {
    sqlx::query_as(
        "SELECT s.code, p.id FROM products p
         JOIN product_substances ps ON ps.product_id = p.id
         JOIN substances s ON s.id = ps.substance_id
         WHERE s.code = ANY($1) AND p.is_available ORDER BY s.code, p.id",
    )
    .bind(codes)
    .fetch_all(db)
    .await
}

/// A substance's unit and AIS evidence group, when it exists.
pub async fn substance(
    db: impl PgExecutor<'_>,
    code: &str,
) -> sqlx::Result<Option<(String, Option<String>)>> {
    sqlx::query_as("SELECT unit, evidence FROM substances WHERE code = $1")
        .bind(code)
        .fetch_optional(db)
        .await
}

/// An in-stock offer of a package in an active store, with the store's delivery terms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoreOffer {
    pub store_id: Uuid,
    pub store_slug: String,
    pub store_name: String,
    pub currency: String,
    pub delivery_fee: Decimal,
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    pub product_id: Uuid,
    pub package_id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub price: Decimal,
    pub effective_price: Decimal,
}

/// In-stock offers of these products, in the stores named by slug (every active store when `None`).
pub async fn offers(
    db: impl PgExecutor<'_>,
    products: &[Uuid],
    stores: Option<&[String]>,
) -> sqlx::Result<Vec<StoreOffer>> {
    sqlx::query_as(
        "SELECT o.store_id, o.store_slug, o.store_name, o.currency, o.delivery_fee, o.free_delivery_from,
                o.min_order, o.product_id, o.package_id, o.size, o.size_unit, o.servings, o.price,
                o.effective_price
         FROM current_offers o
         WHERE o.in_stock AND o.product_id = ANY($1) AND ($2::text[] IS NULL OR o.store_slug = ANY($2))
         ORDER BY o.store_slug, o.product_id, o.servings DESC, o.package_id",
    )
    .bind(products)
    .bind(stores)
    .fetch_all(db)
    .await
}

/// The slugs among `slugs` that name no active store.
pub async fn unknown_stores(
    db: impl PgExecutor<'_>,
    slugs: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT u.slug FROM unnest($1::text[]) AS u(slug)
         WHERE NOT EXISTS (SELECT 1 FROM stores s WHERE s.slug = u.slug AND s.is_active)",
    )
    .bind(slugs)
    .fetch_all(db)
    .await
}

/// A product's packages (size, unit, servings), largest first.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PackageSize {
    pub product_id: Uuid,
    pub id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
}

pub async fn packages(
    db: impl PgExecutor<'_>,
    products: &[Uuid],
) -> sqlx::Result<Vec<PackageSize>> {
    sqlx::query_as(
        "SELECT product_id, id, size, size_unit, servings FROM product_packages
         WHERE product_id = ANY($1) ORDER BY product_id, servings DESC, id",
    )
    .bind(products)
    .fetch_all(db)
    .await
}

/// Days with protein logged between two dates, and their average protein (g).
pub async fn logged_protein(
    db: impl PgExecutor<'_>,
    user: Uuid,
    from: Date,
    to: Date,
) -> sqlx::Result<(i64, Option<f64>)> {
    sqlx::query_as(
        "SELECT count(*), avg(protein_g)::float8 FROM progress_entries
         WHERE user_id = $1 AND entry_date BETWEEN $2 AND $3 AND protein_g IS NOT NULL",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .fetch_one(db)
    .await
}

/// A saved shopping plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedList {
    pub id: Uuid,
    pub name: Option<String>,
    pub days: i32,
    pub total: Decimal,
    pub currency: String,
    pub stores: Vec<String>,
    pub plan: serde_json::Value,
    pub created_at: OffsetDateTime,
}

#[allow(clippy::too_many_arguments)]
pub async fn save_list(
    db: impl PgExecutor<'_>,
    user: Uuid,
    name: Option<&str>,
    days: i32,
    total: Decimal,
    currency: &str,
    stores: &[String],
    plan: &serde_json::Value,
) -> sqlx::Result<(Uuid, OffsetDateTime)> {
    sqlx::query_as(
        "INSERT INTO shopping_lists (user_id, name, days, total, currency, stores, plan)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at",
    )
    .bind(user)
    .bind(name)
    .bind(days)
    .bind(total)
    .bind(currency)
    .bind(stores)
    .bind(plan)
    .fetch_one(db)
    .await
}

/// The user's saved lists, newest first.
pub async fn lists(
    db: impl PgExecutor<'_>,
    user: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<SavedList>> {
    sqlx::query_as(
        "SELECT id, name, days, total, currency, stores, plan, created_at FROM shopping_lists
         WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn list(
    db: impl PgExecutor<'_>,
    user: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<SavedList>> {
    sqlx::query_as(
        "SELECT id, name, days, total, currency, stores, plan, created_at FROM shopping_lists
         WHERE user_id = $1 AND id = $2",
    )
    .bind(user)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn delete_list(db: impl PgExecutor<'_>, user: Uuid, id: Uuid) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM shopping_lists WHERE user_id = $1 AND id = $2")
            .bind(user)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
            > 0,
    )
}
