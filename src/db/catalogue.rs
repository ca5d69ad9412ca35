//! The supplement catalogue as users read it: products with their best current offers, brands,
//! stores, offers per store and price history. Names come in the requested locale or its fallback.

use rust_decimal::Decimal;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// How to order a product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best match to `q` first (name without `q`).
    Relevance,
    Name,
    Price,
    PricePerServing,
    PricePer100gProtein,
}

impl Filter {
    /// No filter: every product, by name.
    pub fn all(locale: &'static str) -> Self {
        Self {
            locale,
            id: None,
            product_type: None,
            brand: None,
            substance: None,
            free_of: Vec::new(),
            in_stock: false,
            min_price: None,
            max_price: None,
            q: None,
            sort: Sort::Name,
            limit: 100,
            offset: 0,
        }
    }
}

impl Sort {
    fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Name => "name",
            Sort::Price => "price",
            Sort::PricePerServing => "price_per_serving",
            Sort::PricePer100gProtein => "price_per_100g_protein",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub locale: &'static str,
    /// One product only.
    pub id: Option<Uuid>,
    pub product_type: Option<String>,
    pub brand: Option<String>,
    pub substance: Option<String>,
    /// Allergen codes the product must not contain.
    pub free_of: Vec<String>,
    pub in_stock: bool,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    pub q: Option<String>,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct ProductRow {
    pub id: Uuid,
    pub slug: String,
    pub product_type: String,
    pub serving_size: Decimal,
    pub serving_unit: String,
    pub is_available: bool,
    pub brand_id: Uuid,
    pub brand_slug: String,
    pub brand_name: String,
    pub brand_is_local: bool,
    pub name: Option<String>,
    pub name_locale: Option<String>,
    pub allergens: Vec<String>,
    pub stores_in_stock: i64,
    pub best_price: Option<Decimal>,
    pub price_per_serving: Option<Decimal>,
    pub price_per_100g_protein: Option<Decimal>,
    /// Products matching the filters, on all pages.
    pub total: i64,
}

/// The filtered products with their best in-stock offer; `$1` is the locale, `$2`–`$10` the filters,
/// `$11` the sort. The price figures and the names in each locale are read as the writes keep them
/// (`product_figures`, `product_names`), and the search words checked against the trigram-indexed
/// name keys.
const FILTERED: &str = "
    WITH terms AS (
        SELECT array_agg(DISTINCT w) AS words FROM unnest(string_to_array(search_key($9), ' ')) AS w WHERE w <> ''
    ),
    -- Products whose brand or names hold every word of the query (or nearly: a typo), with how well
    -- they match (the mean over words of the best word similarity). The trigram index finds them.
    word_hits AS (
        SELECT w, t.product_id, max(word_similarity(w, t.name_key)) AS similarity
        FROM terms, unnest(terms.words) AS w
        JOIN product_translations t
          ON t.name_key LIKE '%' || replace(replace(replace(w, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'
          OR w <% t.name_key
        GROUP BY w, t.product_id
        UNION ALL
        SELECT w, p.id, 1.0
        FROM terms, unnest(terms.words) AS w
        JOIN brands b ON strpos(search_key(b.name), w) > 0
        JOIN products p ON p.brand_id = b.id
    ),
    hits AS (
        SELECT h.product_id, sum(h.best) / max(cardinality(terms.words)) AS relevance
        FROM (SELECT product_id, w, max(similarity) AS best FROM word_hits GROUP BY product_id, w) h, terms
        GROUP BY h.product_id
        HAVING count(*) = max(cardinality(terms.words))
    )
    SELECT p.id, p.slug, p.product_type, p.serving_size, p.serving_unit, p.is_available,
           b.id AS brand_id, b.slug AS brand_slug, b.name AS brand_name, b.is_local AS brand_is_local,
           n.name, n.name_locale, n.name_key,
           coalesce(best.stores_in_stock, 0)::int8 AS stores_in_stock, best.best_price, best.price_per_serving,
           best.price_per_100g_protein,
           hits.relevance
    FROM products p
    JOIN brands b ON b.id = p.brand_id
    CROSS JOIN terms
    LEFT JOIN product_figures best ON best.product_id = p.id
    LEFT JOIN hits ON hits.product_id = p.id
    LEFT JOIN product_names n ON n.product_id = p.id AND n.locale = $1
    WHERE ($2::text IS NULL OR p.product_type = $2)
      AND ($3::text IS NULL OR b.slug = $3)
      AND ($4::text IS NULL OR EXISTS (
            SELECT 1 FROM product_substances ps JOIN substances s ON s.id = ps.substance_id
            WHERE ps.product_id = p.id AND s.code = $4))
      AND NOT EXISTS (SELECT 1 FROM product_allergens a WHERE a.product_id = p.id AND a.code = ANY($5::text[]))
      AND (NOT $6 OR best.stores_in_stock > 0)
      AND ($7::numeric IS NULL OR best.best_price >= $7)
      AND ($8::numeric IS NULL OR best.best_price <= $8)
      AND ($10::uuid IS NULL OR p.id = $10)
      AND (terms.words IS NULL OR hits.product_id IS NOT NULL)";

/// How a page is sorted: by `$11`, then by name and id, so that pages are stable.
const ORDER: &str = "
    CASE WHEN $11 = 'relevance' THEN m.relevance END DESC NULLS LAST,
    CASE WHEN $11 = 'price' THEN m.best_price END ASC NULLS LAST,
    CASE WHEN $11 = 'price_per_serving' THEN m.price_per_serving END ASC NULLS LAST,
    CASE WHEN $11 = 'price_per_100g_protein' THEN m.price_per_100g_protein END ASC NULLS LAST,
    m.name_key ASC, m.id";

/// The page query: the total rides along (a window over every match, before `LIMIT`), and the
/// allergens are read for the page's rows only.
fn page_sql() -> String {
    format!(
        "SELECT m.*, array(SELECT a.code FROM product_allergens a WHERE a.product_id = m.id ORDER BY a.code) AS allergens
         FROM (
             SELECT m.*, count(*) OVER () AS total FROM ({FILTERED}) m
             ORDER BY {ORDER} LIMIT $12 OFFSET $13
         ) m
         ORDER BY {ORDER}"
    )
}

/// Binds `$1`–`$11` of [`FILTERED`] from a filter.
macro_rules! bind_page_filters {
    ($q:expr, $f:expr, $sort:expr) => {
        $q.bind($f.locale)
            .bind(&$f.product_type)
            .bind(&$f.brand)
            .bind(&$f.substance)
            .bind(&$f.free_of)
            .bind($f.in_stock)
            .bind($f.min_price)
            .bind($f.max_price)
            .bind(&$f.q)
            .bind($f.id)
            .bind($sort.as_str())
    };
}

impl Filter {
    /// Relevance without a query is the name.
    fn effective_sort(&self) -> Sort {
        match (self.sort, &self.q) {
            (Sort::Relevance, None) => Sort::Name,
            (s, _) => s,
        }
    }
}

/// The plan PostgreSQL runs a page of the list with, executed (`EXPLAIN ANALYZE`), line by line: for
/// the benchmarks, which show how each query scales.
pub async fn explain_list(pool: &PgPool, f: &Filter) -> sqlx::Result<Vec<String>> {
    let sql = format!("EXPLAIN (ANALYZE, BUFFERS) {}", page_sql());
    let sort = f.effective_sort();
    bind_page_filters!(sqlx::query_scalar(&sql), f, sort)
        .bind(f.limit)
        .bind(f.offset)
        .persistent(false)
        .fetch_all(pool)
        .await
}

/// A page of products and, when `count`, how many match in all.
pub async fn list_products(
    pool: &PgPool,
    f: &Filter,
    count: bool,
) -> sqlx::Result<(Vec<ProductRow>, i64)> {
    let page_sql = page_sql();
    let count_sql = format!("SELECT count(*) FROM ({FILTERED}) m");
    let sort = f.effective_sort();
    // Not a cached prepared statement: a generic plan cannot drop the filters that are unset, and
    // runs searches several times slower than a plan made for the actual parameters.
    let rows: Vec<ProductRow> = bind_page_filters!(sqlx::query_as(&page_sql), f, sort)
        .bind(f.limit)
        .bind(f.offset)
        .persistent(false)
        .fetch_all(pool)
        .await?;
    let total = match rows.first() {
        Some(first) => first.total,
        // A page past the end has no row to carry the total.
        None if count && f.offset > 0 => {
            bind_page_filters!(sqlx::query_scalar(&count_sql), f, sort)
                .persistent(false)
                .fetch_one(pool)
                .await?
        }
        None => 0,
    };
    Ok((rows, total))
}

/// One product's card: the summary row plus its description, in one prepared statement. The row is
/// what the list shows for the product ([`FILTERED`] with only `id` set: every other filter passes),
/// read by primary key rather than through the list's per-call plan.
pub async fn product(
    pool: &PgPool,
    id: Uuid,
    locale: &'static str,
) -> sqlx::Result<Option<(ProductRow, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Card {
        #[sqlx(flatten)]
        row: ProductRow,
        description: Option<String>,
    }
    let card: Option<Card> = sqlx::query_as(
        "SELECT p.id, p.slug, p.product_type, p.serving_size, p.serving_unit, p.is_available,
                b.id AS brand_id, b.slug AS brand_slug, b.name AS brand_name, b.is_local AS brand_is_local,
                n.name, n.name_locale,
                array(SELECT a.code FROM product_allergens a WHERE a.product_id = p.id ORDER BY a.code) AS allergens,
                coalesce(best.stores_in_stock, 0)::int8 AS stores_in_stock, best.best_price,
                best.price_per_serving, best.price_per_100g_protein,
                1::int8 AS total,
                (SELECT localized(t.description, t.locale, $2)
                 FROM product_translations t JOIN locale_chain($2) c ON c.code = t.locale
                 WHERE t.product_id = p.id AND t.description IS NOT NULL
                 ORDER BY c.depth LIMIT 1) AS description
         FROM products p
         JOIN brands b ON b.id = p.brand_id
         LEFT JOIN product_figures best ON best.product_id = p.id
         LEFT JOIN product_names n ON n.product_id = p.id AND n.locale = $2
         WHERE p.id = $1",
    )
    .bind(id)
    .bind(locale)
    .fetch_optional(pool)
    .await?;
    Ok(card.map(|c| (c.row, c.description)))
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SubstanceAmount {
    pub code: String,
    pub name: Option<String>,
    pub unit: String,
    pub amount_per_serving: Decimal,
    pub evidence: Option<String>,
}

pub async fn product_substances(
    pool: &PgPool,
    id: Uuid,
    locale: &str,
) -> sqlx::Result<Vec<SubstanceAmount>> {
    sqlx::query_as(
        "SELECT s.code, s.unit, s.evidence, ps.amount_per_serving,
                (SELECT localized(t.name, t.locale, $2) FROM substance_translations t LEFT JOIN locale_chain($2) c ON c.code = t.locale
                 WHERE t.substance_id = s.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS name
         FROM product_substances ps JOIN substances s ON s.id = ps.substance_id
         WHERE ps.product_id = $1 ORDER BY s.code",
    )
    .bind(id)
    .bind(locale)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Package {
    pub id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub gtin: Option<String>,
}

pub async fn packages(pool: &PgPool, product: Uuid) -> sqlx::Result<Vec<Package>> {
    sqlx::query_as(
        "SELECT id, size, size_unit, servings, gtin FROM product_packages WHERE product_id = $1 ORDER BY size, id",
    )
    .bind(product)
    .fetch_all(pool)
    .await
}

/// A package's price at a store, with what it means per serving and the store's delivery terms.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Offer {
    pub store_id: Uuid,
    pub store_slug: String,
    pub store_name: String,
    pub delivery_fee: Decimal,
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    pub delivery_days_min: Option<i16>,
    pub delivery_days_max: Option<i16>,
    pub package_id: Uuid,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub price: Decimal,
    pub discount_price: Option<Decimal>,
    pub discount_ends_at: Option<OffsetDateTime>,
    pub effective_price: Decimal,
    pub price_per_serving: Decimal,
    pub price_per_100g_protein: Option<Decimal>,
    pub price_per_100_units: Option<Decimal>,
    pub in_stock: bool,
    pub source: String,
    pub observed_at: OffsetDateTime,
}

/// Every current offer for a product, cheapest per serving first (in-stock offers before the rest).
pub async fn offers(pool: &PgPool, product: Uuid) -> sqlx::Result<Vec<Offer>> {
    sqlx::query_as(
        "SELECT o.store_id, s.slug AS store_slug, s.name AS store_name, s.delivery_fee, s.free_delivery_from,
                s.min_order, s.delivery_days_min, s.delivery_days_max, o.package_id, pk.size, pk.size_unit,
                pk.servings, o.price, o.discount_price, pr.discount_ends_at, o.effective_price, o.price_per_serving,
                o.price_per_100g_protein, o.price_per_100_units, o.in_stock, o.source, o.observed_at
         FROM current_offers o
         JOIN stores s ON s.id = o.store_id
         JOIN product_packages pk ON pk.id = o.package_id
         JOIN prices pr ON pr.store_id = o.store_id AND pr.package_id = o.package_id
         WHERE o.product_id = $1
         ORDER BY o.in_stock DESC, o.price_per_serving, o.effective_price, s.slug, pk.size",
    )
    .bind(product)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct HistoryPoint {
    pub store_slug: String,
    pub package_id: Uuid,
    pub price: Decimal,
    pub discount_price: Option<Decimal>,
    pub in_stock: bool,
    pub source: String,
    pub observed_at: OffsetDateTime,
}

/// Price changes of a product's packages, oldest first (at most `limit`).
pub async fn price_history(
    pool: &PgPool,
    product: Uuid,
    store: Option<&str>,
    from: Option<OffsetDateTime>,
    limit: i64,
) -> sqlx::Result<Vec<HistoryPoint>> {
    sqlx::query_as(
        "SELECT s.slug AS store_slug, h.package_id, h.price, h.discount_price, h.in_stock, h.source, h.observed_at
         FROM price_history h
         JOIN product_packages pk ON pk.id = h.package_id
         JOIN stores s ON s.id = h.store_id
         WHERE pk.product_id = $1 AND ($2::text IS NULL OR s.slug = $2)
           AND ($3::timestamptz IS NULL OR h.observed_at >= $3)
         ORDER BY h.observed_at, h.id LIMIT $4",
    )
    .bind(product)
    .bind(store)
    .bind(from)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn product_exists(pool: &PgPool, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE id = $1)")
        .bind(id)
        .fetch_one(pool)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Brand {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub origin_country: Option<String>,
    pub is_local: bool,
    pub products: i64,
}

pub async fn brands(pool: &PgPool) -> sqlx::Result<Vec<Brand>> {
    sqlx::query_as(
        "SELECT b.id, b.slug, b.name, b.origin_country, b.is_local,
                (SELECT count(*) FROM products p WHERE p.brand_id = b.id) AS products
         FROM brands b ORDER BY search_key(b.name), b.id",
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct Store {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub city: Option<String>,
    pub currency: String,
    pub delivery_fee: Decimal,
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    pub delivery_days_min: Option<i16>,
    pub delivery_days_max: Option<i16>,
    pub is_active: bool,
    pub feed_url: Option<String>,
    pub description: Option<String>,
}

/// Stores, active ones only unless `all`.
pub async fn stores(pool: &PgPool, locale: &str, all: bool) -> sqlx::Result<Vec<Store>> {
    sqlx::query_as(
        "SELECT s.id, s.slug, s.name, s.website, s.city, s.currency, s.delivery_fee, s.free_delivery_from,
                s.min_order, s.delivery_days_min, s.delivery_days_max, s.is_active, s.feed_url,
                (SELECT localized(t.description, t.locale, $1) FROM store_translations t LEFT JOIN locale_chain($1) c ON c.code = t.locale
                 WHERE t.store_id = s.id ORDER BY c.depth NULLS LAST, t.locale LIMIT 1) AS description
         FROM stores s WHERE $2 OR s.is_active ORDER BY search_key(s.name), s.id",
    )
    .bind(locale)
    .bind(all)
    .fetch_all(pool)
    .await
}
