//! Admin writes to the supplement catalogue: brands, stores, substances, products, packages and
//! prices. Every function runs on the caller's transaction; the caller names constraint violations.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::catalogue::Brand;
use crate::domain::catalogue::{Gtin, Slug};

/// A brand as an admin writes it.
#[derive(Debug, Clone)]
pub struct BrandFields {
    pub slug: Slug,
    pub name: String,
    pub origin_country: Option<String>,
    pub is_local: bool,
}

const BRAND_RETURNING: &str = "RETURNING id, slug, name, origin_country, is_local,
    (SELECT count(*) FROM products p WHERE p.brand_id = brands.id) AS products";

pub async fn insert_brand(conn: &mut PgConnection, b: &BrandFields) -> sqlx::Result<Brand> {
    sqlx::query_as(&format!(
        "INSERT INTO brands (slug, name, origin_country, is_local) VALUES ($1, $2, $3, $4) {BRAND_RETURNING}"
    ))
    .bind(b.slug.as_str())
    .bind(&b.name)
    .bind(&b.origin_country)
    .bind(b.is_local)
    .fetch_one(conn)
    .await
}

/// The brand after the update, or `None` when there is no such brand.
pub async fn update_brand(
    conn: &mut PgConnection,
    id: Uuid,
    b: &BrandFields,
) -> sqlx::Result<Option<Brand>> {
    sqlx::query_as(&format!(
        "UPDATE brands SET slug = $2, name = $3, origin_country = $4, is_local = $5 WHERE id = $1 {BRAND_RETURNING}"
    ))
    .bind(id)
    .bind(b.slug.as_str())
    .bind(&b.name)
    .bind(&b.origin_country)
    .bind(b.is_local)
    .fetch_optional(conn)
    .await
}

/// The deleted brand's slug; products referring to it make this fail (`products_brand_id_fkey`).
pub async fn delete_brand(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM brands WHERE id = $1 RETURNING slug")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn brand_exists(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM brands WHERE id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// A store as an admin writes it; descriptions are English and Serbian (Latin).
#[derive(Debug, Clone)]
pub struct StoreFields {
    pub slug: Slug,
    pub name: String,
    pub website: Option<String>,
    pub city: Option<String>,
    pub delivery_fee: Decimal,
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    pub delivery_days_min: Option<i16>,
    pub delivery_days_max: Option<i16>,
    pub feed_url: Option<String>,
    pub is_active: bool,
    pub description_en: Option<String>,
    pub description_sr_latn: Option<String>,
}

/// A store with everything an admin may change, the feed URL in full (callers redact it).
#[derive(Debug, Clone, sqlx::FromRow)]
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
    pub feed_url: Option<String>,
    pub is_active: bool,
    pub description_en: Option<String>,
    pub description_sr_latn: Option<String>,
}

const STORE_SELECT: &str = "
    SELECT s.id, s.slug, s.name, s.website, s.city, s.currency, s.delivery_fee, s.free_delivery_from,
           s.min_order, s.delivery_days_min, s.delivery_days_max, s.feed_url, s.is_active,
           (SELECT t.description FROM store_translations t WHERE t.store_id = s.id AND t.locale = 'en')
               AS description_en,
           (SELECT t.description FROM store_translations t WHERE t.store_id = s.id AND t.locale = 'sr-Latn')
               AS description_sr_latn
    FROM stores s";

/// Every store, inactive ones too, by name.
pub async fn stores(conn: &mut PgConnection) -> sqlx::Result<Vec<Store>> {
    sqlx::query_as(&format!("{STORE_SELECT} ORDER BY search_key(s.name), s.id"))
        .fetch_all(conn)
        .await
}

pub async fn store(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Store>> {
    sqlx::query_as(&format!("{STORE_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Locks a store until the transaction ends (no price can be added to it meanwhile) and returns
/// its feed URL, or `None` when there is no such store.
pub async fn lock_store(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar("SELECT feed_url FROM stores WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn insert_store(conn: &mut PgConnection, s: &StoreFields) -> sqlx::Result<Uuid> {
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO stores (slug, name, website, city, delivery_fee, free_delivery_from, min_order,
                             delivery_days_min, delivery_days_max, feed_url, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(s.slug.as_str())
    .bind(&s.name)
    .bind(&s.website)
    .bind(&s.city)
    .bind(s.delivery_fee)
    .bind(s.free_delivery_from)
    .bind(s.min_order)
    .bind(s.delivery_days_min)
    .bind(s.delivery_days_max)
    .bind(&s.feed_url)
    .bind(s.is_active)
    .fetch_one(&mut *conn)
    .await?;
    set_store_descriptions(conn, id, s).await?;
    Ok(id)
}

/// Replaces a store's fields and its English and Serbian (Latin) descriptions; `false` when there
/// is no such store.
pub async fn update_store(
    conn: &mut PgConnection,
    id: Uuid,
    s: &StoreFields,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE stores SET slug = $2, name = $3, website = $4, city = $5, delivery_fee = $6,
                free_delivery_from = $7, min_order = $8, delivery_days_min = $9, delivery_days_max = $10,
                feed_url = $11, is_active = $12
         WHERE id = $1",
    )
    .bind(id)
    .bind(s.slug.as_str())
    .bind(&s.name)
    .bind(&s.website)
    .bind(&s.city)
    .bind(s.delivery_fee)
    .bind(s.free_delivery_from)
    .bind(s.min_order)
    .bind(s.delivery_days_min)
    .bind(s.delivery_days_max)
    .bind(&s.feed_url)
    .bind(s.is_active)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if updated {
        set_store_descriptions(conn, id, s).await?;
    }
    Ok(updated)
}

async fn set_store_descriptions(
    conn: &mut PgConnection,
    id: Uuid,
    s: &StoreFields,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM store_translations WHERE store_id = $1 AND locale IN ('en', 'sr-Latn')",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO store_translations (store_id, locale, description)
         SELECT $1, d.locale, d.description
         FROM (VALUES ('en', $2::text), ('sr-Latn', $3::text)) AS d (locale, description)
         WHERE d.description IS NOT NULL",
    )
    .bind(id)
    .bind(&s.description_en)
    .bind(&s.description_sr_latn)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a store has, or ever had, a price (its history is worth keeping).
pub async fn store_has_prices(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM prices WHERE store_id = $1)
             OR EXISTS (SELECT 1 FROM price_history WHERE store_id = $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// The deleted store's slug.
pub async fn delete_store(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM stores WHERE id = $1 RETURNING slug")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// An active substance as an admin writes it; `names` are (locale, name).
#[derive(Debug, Clone)]
pub struct SubstanceFields {
    pub code: String,
    pub unit: String,
    pub evidence: Option<String>,
    pub names: Vec<(String, String)>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Substance {
    pub id: Uuid,
    pub code: String,
    pub unit: String,
    pub evidence: Option<String>,
}

pub async fn insert_substance(
    conn: &mut PgConnection,
    s: &SubstanceFields,
) -> sqlx::Result<Substance> {
    let row: Substance = sqlx::query_as(
        "INSERT INTO substances (code, unit, evidence) VALUES ($1, $2, $3) RETURNING id, code, unit, evidence",
    )
    .bind(&s.code)
    .bind(&s.unit)
    .bind(&s.evidence)
    .fetch_one(&mut *conn)
    .await?;
    set_substance_names(conn, row.id, &s.names).await?;
    Ok(row)
}

/// Replaces a substance and all its names; `None` when there is no such substance.
pub async fn update_substance(
    conn: &mut PgConnection,
    id: Uuid,
    s: &SubstanceFields,
) -> sqlx::Result<Option<Substance>> {
    let row: Option<Substance> = sqlx::query_as(
        "UPDATE substances SET code = $2, unit = $3, evidence = $4 WHERE id = $1
         RETURNING id, code, unit, evidence",
    )
    .bind(id)
    .bind(&s.code)
    .bind(&s.unit)
    .bind(&s.evidence)
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_some() {
        set_substance_names(conn, id, &s.names).await?;
    }
    Ok(row)
}

async fn set_substance_names(
    conn: &mut PgConnection,
    id: Uuid,
    names: &[(String, String)],
) -> sqlx::Result<()> {
    let (locales, names): (Vec<&str>, Vec<&str>) =
        names.iter().map(|(l, n)| (l.as_str(), n.as_str())).unzip();
    sqlx::query("DELETE FROM substance_translations WHERE substance_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO substance_translations (substance_id, locale, name)
         SELECT $1, * FROM unnest($2::text[], $3::text[])",
    )
    .bind(id)
    .bind(locales)
    .bind(names)
    .execute(conn)
    .await?;
    Ok(())
}

/// The deleted substance's code; products containing it make this fail
/// (`product_substances_substance_id_fkey`). Its contraindication rules go with it.
pub async fn delete_substance(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM substances WHERE id = $1 RETURNING code")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The ids of the substances with these codes, as (code, id); unknown codes are left out.
pub async fn substance_ids(
    conn: &mut PgConnection,
    codes: &[String],
) -> sqlx::Result<Vec<(String, Uuid)>> {
    sqlx::query_as("SELECT code, id FROM substances WHERE code = ANY($1)")
        .bind(codes)
        .fetch_all(conn)
        .await
}

/// A product's name and description in one locale.
#[derive(Debug, Clone)]
pub struct ProductName {
    pub locale: String,
    pub name: String,
    pub description: Option<String>,
}

/// A product as an admin writes it, with its translations, substances and allergens.
#[derive(Debug, Clone)]
pub struct ProductFields {
    pub slug: Slug,
    pub brand_id: Uuid,
    pub product_type: String,
    pub serving_size: Decimal,
    pub serving_unit: String,
    pub energy_kcal_per_100g: Option<Decimal>,
    pub protein_g_per_100g: Option<Decimal>,
    pub carbohydrate_g_per_100g: Option<Decimal>,
    pub fat_g_per_100g: Option<Decimal>,
    pub is_available: bool,
    pub names: Vec<ProductName>,
    /// (substance id, amount per serving in the substance's unit).
    pub substances: Vec<(Uuid, Decimal)>,
    pub allergens: Vec<String>,
}

pub async fn insert_product(conn: &mut PgConnection, p: &ProductFields) -> sqlx::Result<Uuid> {
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit, energy_kcal_per_100g,
                               protein_g_per_100g, carbohydrate_g_per_100g, fat_g_per_100g, is_available)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(p.slug.as_str())
    .bind(p.brand_id)
    .bind(&p.product_type)
    .bind(p.serving_size)
    .bind(&p.serving_unit)
    .bind(p.energy_kcal_per_100g)
    .bind(p.protein_g_per_100g)
    .bind(p.carbohydrate_g_per_100g)
    .bind(p.fat_g_per_100g)
    .bind(p.is_available)
    .fetch_one(&mut *conn)
    .await?;
    set_product_details(conn, id, p).await?;
    Ok(id)
}

/// Replaces a product with its translations, substances and allergens; `false` when there is no
/// such product. Its packages stay.
pub async fn update_product(
    conn: &mut PgConnection,
    id: Uuid,
    p: &ProductFields,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE products SET slug = $2, brand_id = $3, product_type = $4, serving_size = $5, serving_unit = $6,
                energy_kcal_per_100g = $7, protein_g_per_100g = $8, carbohydrate_g_per_100g = $9,
                fat_g_per_100g = $10, is_available = $11
         WHERE id = $1",
    )
    .bind(id)
    .bind(p.slug.as_str())
    .bind(p.brand_id)
    .bind(&p.product_type)
    .bind(p.serving_size)
    .bind(&p.serving_unit)
    .bind(p.energy_kcal_per_100g)
    .bind(p.protein_g_per_100g)
    .bind(p.carbohydrate_g_per_100g)
    .bind(p.fat_g_per_100g)
    .bind(p.is_available)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if updated {
        set_product_details(conn, id, p).await?;
    }
    Ok(updated)
}

async fn set_product_details(
    conn: &mut PgConnection,
    id: Uuid,
    p: &ProductFields,
) -> sqlx::Result<()> {
    for table in [
        "product_translations",
        "product_substances",
        "product_allergens",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE product_id = $1"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let locales: Vec<&str> = p.names.iter().map(|n| n.locale.as_str()).collect();
    let names: Vec<&str> = p.names.iter().map(|n| n.name.as_str()).collect();
    let descriptions: Vec<Option<&str>> =
        p.names.iter().map(|n| n.description.as_deref()).collect();
    sqlx::query(
        "INSERT INTO product_translations (product_id, locale, name, description)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])",
    )
    .bind(id)
    .bind(locales)
    .bind(names)
    .bind(descriptions)
    .execute(&mut *conn)
    .await?;
    let (substances, amounts): (Vec<Uuid>, Vec<Decimal>) = p.substances.iter().copied().unzip();
    sqlx::query(
        "INSERT INTO product_substances (product_id, substance_id, amount_per_serving)
         SELECT $1, * FROM unnest($2::uuid[], $3::numeric[])",
    )
    .bind(id)
    .bind(substances)
    .bind(amounts)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO product_allergens (product_id, code) SELECT $1, unnest($2::text[])")
        .bind(id)
        .bind(&p.allergens)
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks a product and its packages until the transaction ends (no package or price can be added
/// meanwhile) and returns its slug, or `None` when there is no such product.
pub async fn lock_product(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    let slug: Option<String> =
        sqlx::query_scalar("SELECT slug FROM products WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if slug.is_some() {
        sqlx::query("SELECT 1 FROM product_packages WHERE product_id = $1 FOR UPDATE")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(slug)
}

/// Whether any package of a product has, or ever had, a price.
pub async fn product_has_prices(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM prices pr JOIN product_packages pk ON pk.id = pr.package_id
                        WHERE pk.product_id = $1)
             OR EXISTS (SELECT 1 FROM price_history h JOIN product_packages pk ON pk.id = h.package_id
                        WHERE pk.product_id = $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Deletes a product with its translations, substances, allergens and packages.
pub async fn delete_product(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM products WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A package as an admin writes it.
#[derive(Debug, Clone)]
pub struct PackageFields {
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub gtin: Option<Gtin>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Package {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_slug: String,
    pub size: Decimal,
    pub size_unit: String,
    pub servings: Decimal,
    pub gtin: Option<String>,
}

const PACKAGE_RETURNING: &str = "RETURNING id, product_id, size, size_unit, servings, gtin,
    (SELECT p.slug FROM products p WHERE p.id = product_packages.product_id) AS product_slug";

pub async fn insert_package(
    conn: &mut PgConnection,
    product: Uuid,
    p: &PackageFields,
) -> sqlx::Result<Package> {
    sqlx::query_as(&format!(
        "INSERT INTO product_packages (product_id, size, size_unit, servings, gtin)
         VALUES ($1, $2, $3, $4, $5) {PACKAGE_RETURNING}"
    ))
    .bind(product)
    .bind(p.size)
    .bind(&p.size_unit)
    .bind(p.servings)
    .bind(p.gtin.as_ref().map(Gtin::as_str))
    .fetch_one(conn)
    .await
}

/// The package after the update, or `None` when there is no such package.
pub async fn update_package(
    conn: &mut PgConnection,
    id: Uuid,
    p: &PackageFields,
) -> sqlx::Result<Option<Package>> {
    sqlx::query_as(&format!(
        "UPDATE product_packages SET size = $2, size_unit = $3, servings = $4, gtin = $5
         WHERE id = $1 {PACKAGE_RETURNING}"
    ))
    .bind(id)
    .bind(p.size)
    .bind(&p.size_unit)
    .bind(p.servings)
    .bind(p.gtin.as_ref().map(Gtin::as_str))
    .fetch_optional(conn)
    .await
}

/// A product's slug, or `None` when there is no such product.
pub async fn product_slug(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT slug FROM products WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Locks a package until the transaction ends and returns its product's (id, slug), or `None`
/// when there is no such package.
pub async fn lock_package(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT p.id, p.slug FROM product_packages pk JOIN products p ON p.id = pk.product_id
         WHERE pk.id = $1 FOR UPDATE OF pk",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Whether a package has, or ever had, a price.
pub async fn package_has_prices(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM prices WHERE package_id = $1)
             OR EXISTS (SELECT 1 FROM price_history WHERE package_id = $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

pub async fn delete_package(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM product_packages WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A store's price for a package as an admin sets it.
#[derive(Debug, Clone)]
pub struct PriceFields {
    pub price: Decimal,
    pub discount_price: Option<Decimal>,
    pub discount_starts_at: Option<OffsetDateTime>,
    pub discount_ends_at: Option<OffsetDateTime>,
    pub in_stock: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Price {
    pub store_id: Uuid,
    pub package_id: Uuid,
    pub price: Decimal,
    pub discount_price: Option<Decimal>,
    pub discount_starts_at: Option<OffsetDateTime>,
    pub discount_ends_at: Option<OffsetDateTime>,
    pub in_stock: bool,
    pub source: String,
    pub observed_at: OffsetDateTime,
}

/// A store's slug, or `None` when there is no such store.
pub async fn store_slug(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT slug FROM stores WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Sets a store's price for a package as an admin's (`manual`), observed now; `true` when the store
/// had no price for it. The history trigger records what changed.
pub async fn upsert_price(
    conn: &mut PgConnection,
    store: Uuid,
    package: Uuid,
    p: &PriceFields,
) -> sqlx::Result<(Price, bool)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        price: Price,
        inserted: bool,
    }
    // `xmax` is 0 on a row version that an INSERT wrote, not an UPDATE (ON CONFLICT DO UPDATE).
    let row: Row = sqlx::query_as(
        "INSERT INTO prices (store_id, package_id, price, discount_price, discount_starts_at, discount_ends_at,
                             in_stock, source, observed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'manual', now())
         ON CONFLICT (store_id, package_id) DO UPDATE SET
             price = EXCLUDED.price, discount_price = EXCLUDED.discount_price,
             discount_starts_at = EXCLUDED.discount_starts_at, discount_ends_at = EXCLUDED.discount_ends_at,
             in_stock = EXCLUDED.in_stock, source = 'manual', observed_at = now()
         RETURNING store_id, package_id, price, discount_price, discount_starts_at, discount_ends_at, in_stock,
                   source, observed_at, (xmax = 0) AS inserted",
    )
    .bind(store)
    .bind(package)
    .bind(p.price)
    .bind(p.discount_price)
    .bind(p.discount_starts_at)
    .bind(p.discount_ends_at)
    .bind(p.in_stock)
    .fetch_one(conn)
    .await?;
    Ok((row.price, row.inserted))
}

/// Deletes a store's price for a package (its history stays); the store's and the product's slugs,
/// or `None` when there was no such price.
pub async fn delete_price(
    conn: &mut PgConnection,
    store: Uuid,
    package: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "DELETE FROM prices pr USING stores s, product_packages pk, products p
         WHERE pr.store_id = $1 AND pr.package_id = $2
           AND s.id = pr.store_id AND pk.id = pr.package_id AND p.id = pk.product_id
         RETURNING s.slug, p.slug",
    )
    .bind(store)
    .bind(package)
    .fetch_optional(conn)
    .await
}

/// A product as an admin edits it: every column, its names in every language, substances and
/// allergens.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EditableProduct {
    pub slug: String,
    pub brand_id: Uuid,
    pub product_type: String,
    pub serving_size: Decimal,
    pub serving_unit: String,
    pub energy_kcal_per_100g: Option<Decimal>,
    pub protein_g_per_100g: Option<Decimal>,
    pub carbohydrate_g_per_100g: Option<Decimal>,
    pub fat_g_per_100g: Option<Decimal>,
    pub is_available: bool,
    /// (locale, name, description)
    #[sqlx(skip)]
    pub names: Vec<(String, String, Option<String>)>,
    /// (substance code, amount per serving)
    #[sqlx(skip)]
    pub substances: Vec<(String, Decimal)>,
    #[sqlx(skip)]
    pub allergens: Vec<String>,
}

pub async fn editable_product(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<EditableProduct>> {
    let Some(mut product) = sqlx::query_as::<_, EditableProduct>(
        "SELECT slug, brand_id, product_type, serving_size, serving_unit, energy_kcal_per_100g,
                protein_g_per_100g, carbohydrate_g_per_100g, fat_g_per_100g, is_available
         FROM products WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    product.names = sqlx::query_as(
        "SELECT locale, name, description FROM product_translations WHERE product_id = $1 ORDER BY locale",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    product.substances = sqlx::query_as(
        "SELECT s.code, ps.amount_per_serving FROM product_substances ps
         JOIN substances s ON s.id = ps.substance_id WHERE ps.product_id = $1 ORDER BY s.code",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    product.allergens = sqlx::query_scalar(
        "SELECT code FROM product_allergens WHERE product_id = $1 ORDER BY code",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(product))
}

/// Every substance with its names (locale, name), by code.
pub async fn substances(
    conn: &mut PgConnection,
) -> sqlx::Result<Vec<(Substance, Vec<(String, String)>)>> {
    let rows: Vec<Substance> =
        sqlx::query_as("SELECT id, code, unit, evidence FROM substances ORDER BY code")
            .fetch_all(&mut *conn)
            .await?;
    let names: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT substance_id, locale, name FROM substance_translations ORDER BY substance_id, locale",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_substance: std::collections::HashMap<Uuid, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for (id, locale, name) in names {
        by_substance.entry(id).or_default().push((locale, name));
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let names = by_substance.remove(&row.id).unwrap_or_default();
            (row, names)
        })
        .collect())
}
