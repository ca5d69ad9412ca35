//! The supplement catalogue as users read it: products with their best current offers, brands,
//! stores, offers per store and price history. Names come in the requested locale or its fallback.

use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, QueryBuilder};
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

#[derive(Debug, Clone)]
pub struct Filter {
    pub locale: &'static str,
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
}

/// The words of a search, each matched on its own.
fn search_words(q: Option<&str>) -> Vec<&str> {
    q.unwrap_or_default().split_whitespace().collect()
}

/// `FROM … WHERE …` of the products a filter picks, with only the tables and conditions the filter
/// uses, so that PostgreSQL plans what is asked and not every filter that might have been.
///
/// With `names`, the products are read from their names in the filter's locale (`n`: every product
/// has one, NULL when it has no translation), so that a page sorted by name walks the name index
/// and reads `products` only when a filter needs it. A search is `product_search_hits` (`h`), which
/// finds the products holding every word through the trigram index.
fn push_selection<'a>(
    b: &mut QueryBuilder<'a, Postgres>,
    f: &'a Filter,
    words: &[&'a str],
    names: bool,
) {
    let id = if names {
        b.push(" FROM product_names n");
        if f.product_type.is_some() || f.brand.is_some() {
            b.push(" JOIN products p ON p.id = n.product_id");
        }
        "n.product_id"
    } else {
        b.push(" FROM products p");
        "p.id"
    };
    if f.brand.is_some() {
        b.push(" JOIN brands b ON b.id = p.brand_id");
    }
    let price_sort = names && f.effective_sort().figure().is_some();
    if f.in_stock || f.min_price.is_some() || f.max_price.is_some() || price_sort {
        // Every product has its figures row (written when the product is).
        b.push(format_args!(
            " JOIN product_figures f ON f.product_id = {id}"
        ));
    }
    if !words.is_empty() {
        b.push(" JOIN product_search_hits(")
            .push_bind(words.to_vec())
            .push(format_args!(") h ON h.product_id = {id}"));
    }
    b.push(" WHERE true");
    if names {
        b.push(" AND n.locale = ").push_bind(f.locale);
    }
    if let Some(t) = &f.product_type {
        b.push(" AND p.product_type = ").push_bind(t.as_str());
    }
    if let Some(brand) = &f.brand {
        b.push(" AND b.slug = ").push_bind(brand.as_str());
    }
    if let Some(code) = &f.substance {
        b.push(format_args!(
            " AND EXISTS (SELECT 1 FROM product_substances ps JOIN substances sub ON sub.id = ps.substance_id
                          WHERE ps.product_id = {id} AND sub.code = "
        ))
        .push_bind(code.as_str())
        .push(")");
    }
    if !f.free_of.is_empty() {
        b.push(format_args!(
            " AND NOT EXISTS (SELECT 1 FROM product_allergens a WHERE a.product_id = {id} AND a.code = ANY("
        ))
        .push_bind(f.free_of.as_slice())
        .push("))");
    }
    if f.in_stock {
        b.push(" AND f.stores_in_stock > 0");
    }
    if let Some(min) = f.min_price {
        b.push(" AND f.best_price >= ").push_bind(min);
    }
    if let Some(max) = f.max_price {
        b.push(" AND f.best_price <= ").push_bind(max);
    }
}

impl Sort {
    /// The `product_figures` column a price sort orders by.
    fn figure(self) -> Option<&'static str> {
        match self {
            Sort::Price => Some("best_price"),
            Sort::PricePerServing => Some("price_per_serving"),
            Sort::PricePer100gProtein => Some("price_per_100g_protein"),
            Sort::Relevance | Sort::Name => None,
        }
    }
}

/// The columns of a [`ProductRow`] for product `p`, from `p` and `product_row_joins!`: what the
/// list shows for a product and what its card shows, spelled once.
macro_rules! product_row_columns {
    () => {
        "p.id, p.slug, p.product_type, p.serving_size, p.serving_unit, p.is_available,
         b.id AS brand_id, b.slug AS brand_slug, b.name AS brand_name, b.is_local AS brand_is_local,
         n.name, n.name_locale,
         array(SELECT a.code FROM product_allergens a WHERE a.product_id = p.id ORDER BY a.code) AS allergens,
         coalesce(best.stores_in_stock, 0)::int8 AS stores_in_stock, best.best_price,
         best.price_per_serving, best.price_per_100g_protein"
    };
}

/// The tables `product_row_columns!` reads beside `products p`; the locale of the name follows.
macro_rules! product_row_joins {
    () => {
        " JOIN brands b ON b.id = p.brand_id
         LEFT JOIN product_figures best ON best.product_id = p.id
         LEFT JOIN product_names n ON n.product_id = p.id AND n.locale = "
    };
}

/// A page of the list: the page's products picked and ordered first (`page`: an index walk where
/// the sort allows one, and nothing read but the sort keys), then their rows read for those
/// products only. Sorted by the filter's sort, then by name and id, so that pages are stable.
fn push_page<'a>(b: &mut QueryBuilder<'a, Postgres>, f: &'a Filter, words: &[&'a str]) {
    let sort = f.effective_sort();
    b.push("WITH page AS (SELECT n.product_id AS id, n.name_key");
    match sort.figure() {
        Some(column) => b.push(format_args!(", f.{column} AS figure")),
        None => b.push(", NULL::numeric AS figure"),
    };
    if sort == Sort::Relevance && !words.is_empty() {
        b.push(", h.relevance");
    } else {
        b.push(", NULL::real AS relevance");
    }
    // A search gathers its every match before it sorts them: counting them there spares running it
    // a second time for the count.
    if words.is_empty() {
        b.push(", NULL::int8 AS total");
    } else {
        b.push(", count(*) OVER () AS total");
    }
    push_selection(b, f, words, true);
    // The inner order names the indexed columns themselves, which lets PostgreSQL walk the indexes.
    let figure = sort.figure().map(|column| format!("f.{column}"));
    push_order(
        b,
        sort,
        figure.as_deref(),
        "relevance",
        "n.name_key",
        "n.product_id",
    );
    b.push(" LIMIT ")
        .push_bind(f.limit)
        .push(" OFFSET ")
        .push_bind(f.offset);
    b.push(concat!(
        ") SELECT ",
        product_row_columns!(),
        ", page.total FROM page JOIN products p ON p.id = page.id",
        product_row_joins!(),
    ))
    .push_bind(f.locale);
    let figure = sort.figure().map(|_| "page.figure");
    push_order(
        b,
        sort,
        figure,
        "page.relevance",
        "page.name_key",
        "page.id",
    );
}

/// `ORDER BY` the sort, then name and id.
fn push_order(
    b: &mut QueryBuilder<'_, Postgres>,
    sort: Sort,
    figure: Option<&str>,
    relevance: &str,
    name_key: &str,
    id: &str,
) {
    b.push(" ORDER BY ");
    if sort == Sort::Relevance {
        b.push(format_args!("{relevance} DESC NULLS LAST, "));
    }
    if let Some(figure) = figure {
        b.push(format_args!("{figure} ASC NULLS LAST, "));
    }
    b.push(format_args!("{name_key}, {id}"));
}

/// How many products the filter picks, on all pages.
fn push_count<'a>(b: &mut QueryBuilder<'a, Postgres>, f: &'a Filter, words: &[&'a str]) {
    b.push("SELECT count(*)");
    push_selection(b, f, words, false);
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

/// The plans PostgreSQL runs a page of the list and its count with, executed (`EXPLAIN ANALYZE`),
/// line by line: for the benchmarks, which show how each query scales.
pub async fn explain_list(pool: &PgPool, f: &Filter) -> sqlx::Result<Vec<String>> {
    let words = search_words(f.q.as_deref());
    let mut lines = Vec::new();
    type Push = for<'a> fn(&mut QueryBuilder<'a, Postgres>, &'a Filter, &[&'a str]);
    for (title, push) in [("page", push_page as Push), ("count", push_count)] {
        let mut b = QueryBuilder::new("EXPLAIN (ANALYZE, BUFFERS) ");
        push(&mut b, f, &words);
        lines.push(format!("-- {title}"));
        lines.extend(b.build_query_scalar::<String>().fetch_all(pool).await?);
    }
    Ok(lines)
}

/// A page of products and how many match in all. The count is only run when the page cannot tell
/// it: a search's page carries it, and a first page that is not full holds every match.
pub async fn list_products(pool: &PgPool, f: &Filter) -> sqlx::Result<(Vec<ProductRow>, i64)> {
    let words = search_words(f.q.as_deref());
    // Prepared and kept per connection: the shapes are few (which filters are set, and the sort),
    // and a search's words are planned inside `product_search_hits`, as they come.
    let mut page = QueryBuilder::new("");
    push_page(&mut page, f, &words);
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        row: ProductRow,
        total: Option<i64>,
    }
    let rows: Vec<Row> = page.build_query_as().fetch_all(pool).await?;
    let shown = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let total = if let Some(total) = rows.first().and_then(|r| r.total) {
        total
    } else if f.offset == 0 && shown < f.limit {
        shown
    } else {
        let mut count = QueryBuilder::new("");
        push_count(&mut count, f, &words);
        count.build_query_scalar().fetch_one(pool).await?
    };
    Ok((rows.into_iter().map(|r| r.row).collect(), total))
}

/// One product's card: the summary row the list shows for the product (`product_row_columns!`)
/// plus its description, in one prepared statement by primary key.
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
    let card: Option<Card> = sqlx::query_as(concat!(
        "SELECT ",
        product_row_columns!(),
        ", (SELECT localized(t.description, t.locale, $2)
            FROM product_translations t JOIN locale_chain($2) c ON c.code = t.locale
            WHERE t.product_id = p.id AND t.description IS NOT NULL
            ORDER BY c.depth LIMIT 1) AS description
         FROM products p",
        product_row_joins!(),
        "$2 WHERE p.id = $1",
    ))
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
        "SELECT o.store_id, o.store_slug, o.store_name, o.delivery_fee, o.free_delivery_from, o.min_order,
                o.delivery_days_min, o.delivery_days_max, o.package_id, o.size, o.size_unit, o.servings, o.price,
                o.discount_price, o.discount_ends_at, o.effective_price, o.price_per_serving,
                o.price_per_100g_protein, o.price_per_100_units, o.in_stock, o.source, o.observed_at
         FROM current_offers o
         WHERE o.product_id = $1
         ORDER BY o.in_stock DESC, o.price_per_serving, o.effective_price, o.store_slug, o.size",
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
