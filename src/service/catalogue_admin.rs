//! The supplement catalogue as admins edit it: brands, stores, active substances, products, their
//! packages, and stores' prices. Each change is one [`AdminWrite`]: its checks against the data,
//! the write, its audit entry and the invalidation of the cached catalogue and rule book. A name
//! taken, or a row others depend on, is a conflict naming the field.

use serde_json::json;
use uuid::Uuid;

use super::{
    Actor, AppState, Error, Result,
    admin::{AdminWrite, Constraints},
};
use crate::{
    api::catalogue_admin::dto::ProductInput,
    cache::Ns,
    db::{catalogue::Brand, catalogue_admin as db},
    domain::catalogue::WebUrl,
};

/// What every catalogue change makes stale: lists and cards, and the rule book's substance names.
const TOUCHED: &[Ns] = &[Ns::Catalogue, Ns::Rules];

const BRANDS: Constraints = &[
    ("brands_slug_key", "slug", "another brand has this slug"),
    (
        "products_brand_id_fkey",
        "id",
        "products are sold under this brand; move or delete them first",
    ),
];
const STORES: Constraints = &[
    ("stores_slug_key", "slug", "another store has this slug"),
    (
        "stores_delivery_days_order",
        "delivery_days_max",
        "must not be below delivery_days_min",
    ),
];
const SUBSTANCES: Constraints = &[
    (
        "substances_code_key",
        "code",
        "another substance has this code",
    ),
    (
        "product_substances_substance_id_fkey",
        "id",
        "products contain this substance; remove it from them first",
    ),
];
const PRODUCTS: Constraints = &[
    ("products_slug_key", "slug", "another product has this slug"),
    (
        "products_brand_id_fkey",
        "brand_id",
        "the brand was deleted meanwhile",
    ),
    (
        "product_substances_substance_id_fkey",
        "substances",
        "a substance was deleted meanwhile",
    ),
];
const PACKAGES: Constraints = &[
    (
        "product_packages_gtin_key",
        "gtin",
        "another package has this GTIN",
    ),
    (
        "product_packages_product_id_fkey",
        "id",
        "the product was deleted meanwhile",
    ),
];
const PRICES: Constraints = &[
    (
        "prices_store_id_fkey",
        "store_id",
        "the store was deleted meanwhile",
    ),
    (
        "prices_package_id_fkey",
        "package_id",
        "the package was deleted meanwhile",
    ),
    (
        "prices_check",
        "discount_price",
        "must be above 0 and below price",
    ),
];

fn violated(constraints: Constraints) -> impl Fn(sqlx::Error) -> Error {
    move |e| Error::on_constraint(e, constraints)
}

pub async fn create_brand(
    state: &AppState,
    actor: Actor<'_>,
    fields: &db::BrandFields,
) -> Result<Brand> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let brand = db::insert_brand(&mut tx, fields)
        .await
        .map_err(violated(BRANDS))?;
    let details = json!({ "id": brand.id, "slug": brand.slug });
    tx.commit("admin.brand_create", details, TOUCHED).await?;
    Ok(brand)
}

pub async fn update_brand(
    state: &AppState,
    actor: Actor<'_>,
    id: Uuid,
    fields: &db::BrandFields,
) -> Result<Brand> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let brand = db::update_brand(&mut tx, id, fields)
        .await
        .map_err(violated(BRANDS))?
        .ok_or(Error::NotFound("brand"))?;
    let details = json!({ "id": brand.id, "slug": brand.slug });
    tx.commit("admin.brand_update", details, TOUCHED).await?;
    Ok(brand)
}

/// A brand no product is sold under.
pub async fn delete_brand(state: &AppState, actor: Actor<'_>, id: Uuid) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let slug = db::delete_brand(&mut tx, id)
        .await
        .map_err(violated(BRANDS))?
        .ok_or(Error::NotFound("brand"))?;
    tx.commit(
        "admin.brand_delete",
        json!({ "id": id, "slug": slug }),
        TOUCHED,
    )
    .await
}

pub async fn stores(state: &AppState) -> Result<Vec<db::Store>> {
    let mut conn = state.pool.acquire().await?;
    Ok(db::stores(&mut conn).await?)
}

pub async fn create_store(
    state: &AppState,
    actor: Actor<'_>,
    fields: &db::StoreFields,
) -> Result<db::Store> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let id = db::insert_store(&mut tx, fields)
        .await
        .map_err(violated(STORES))?;
    let store = db::store(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("store"))?;
    let details =
        json!({ "id": id, "slug": store.slug, "feed_configured": store.feed_url.is_some() });
    tx.commit("admin.store_create", details, TOUCHED).await?;
    Ok(store)
}

/// Replaces the store; the redacted feed URL a read showed, sent back, keeps the stored one.
pub async fn update_store(
    state: &AppState,
    actor: Actor<'_>,
    id: Uuid,
    mut fields: db::StoreFields,
) -> Result<db::Store> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let stored = db::lock_store(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("store"))?;
    fields.feed_url = kept_feed_url(fields.feed_url, stored);
    db::update_store(&mut tx, id, &fields)
        .await
        .map_err(violated(STORES))?;
    let store = db::store(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("store"))?;
    let details =
        json!({ "id": id, "slug": store.slug, "feed_configured": store.feed_url.is_some() });
    tx.commit("admin.store_update", details, TOUCHED).await?;
    Ok(store)
}

/// A store that never had a price; one that had is a conflict (an admin hides it with `is_active`
/// and its price history stays).
pub async fn delete_store(state: &AppState, actor: Actor<'_>, id: Uuid) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    db::lock_store(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("store"))?;
    if db::store_has_prices(&mut tx, id).await? {
        return Err(Error::conflict(
            "id",
            "the store has prices or price history; set is_active to false to hide it instead",
        ));
    }
    let slug = db::delete_store(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("store"))?;
    tx.commit(
        "admin.store_delete",
        json!({ "id": id, "slug": slug }),
        TOUCHED,
    )
    .await
}

/// Every substance with its names in every language.
pub async fn substances(state: &AppState) -> Result<Vec<(db::Substance, Vec<(String, String)>)>> {
    let mut conn = state.pool.acquire().await?;
    Ok(db::substances(&mut conn).await?)
}

pub async fn create_substance(
    state: &AppState,
    actor: Actor<'_>,
    fields: &db::SubstanceFields,
) -> Result<db::Substance> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let row = db::insert_substance(&mut tx, fields)
        .await
        .map_err(violated(SUBSTANCES))?;
    let details = json!({ "id": row.id, "code": row.code });
    tx.commit("admin.substance_create", details, TOUCHED)
        .await?;
    Ok(row)
}

pub async fn update_substance(
    state: &AppState,
    actor: Actor<'_>,
    id: Uuid,
    fields: &db::SubstanceFields,
) -> Result<db::Substance> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let row = db::update_substance(&mut tx, id, fields)
        .await
        .map_err(violated(SUBSTANCES))?
        .ok_or(Error::NotFound("substance"))?;
    let details = json!({ "id": row.id, "code": row.code });
    tx.commit("admin.substance_update", details, TOUCHED)
        .await?;
    Ok(row)
}

/// A substance no product contains; its contraindication rules go with it.
pub async fn delete_substance(state: &AppState, actor: Actor<'_>, id: Uuid) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let code = db::delete_substance(&mut tx, id)
        .await
        .map_err(violated(SUBSTANCES))?
        .ok_or(Error::NotFound("substance"))?;
    let details = json!({ "id": id, "code": code });
    tx.commit("admin.substance_delete", details, TOUCHED).await
}

/// Creates the product, its names, substances and allergens checked in the same transaction as the
/// write; answers with its id.
pub async fn create_product(
    state: &AppState,
    actor: Actor<'_>,
    input: ProductInput,
) -> Result<Uuid> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let fields = input.parse(&mut tx).await?;
    let id = db::insert_product(&mut tx, &fields)
        .await
        .map_err(violated(PRODUCTS))?;
    let details = json!({ "id": id, "slug": fields.slug.as_str() });
    tx.commit("admin.product_create", details, TOUCHED).await?;
    Ok(id)
}

/// The product as an admin edits it.
pub async fn editable_product(state: &AppState, id: Uuid) -> Result<db::EditableProduct> {
    let mut conn = state.pool.acquire().await?;
    db::editable_product(&mut conn, id)
        .await?
        .ok_or(Error::NotFound("product"))
}

/// Replaces the product with its names, substances and allergens; its packages stay.
pub async fn update_product(
    state: &AppState,
    actor: Actor<'_>,
    id: Uuid,
    input: ProductInput,
) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let fields = input.parse(&mut tx).await?;
    if !db::update_product(&mut tx, id, &fields)
        .await
        .map_err(violated(PRODUCTS))?
    {
        return Err(Error::NotFound("product"));
    }
    let details = json!({ "id": id, "slug": fields.slug.as_str() });
    tx.commit("admin.product_update", details, TOUCHED).await
}

/// A product with its packages, when none of them has, or had, a price.
pub async fn delete_product(state: &AppState, actor: Actor<'_>, id: Uuid) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let slug = db::lock_product(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("product"))?;
    if db::product_has_prices(&mut tx, id).await? {
        return Err(Error::conflict(
            "id",
            "a package of this product has prices or price history; set is_available to false instead",
        ));
    }
    db::delete_product(&mut tx, id).await?;
    let details = json!({ "id": id, "slug": slug });
    tx.commit("admin.product_delete", details, TOUCHED).await
}

pub async fn create_package(
    state: &AppState,
    actor: Actor<'_>,
    product: Uuid,
    fields: &db::PackageFields,
) -> Result<db::Package> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    if db::product_slug(&mut tx, product).await?.is_none() {
        return Err(Error::NotFound("product"));
    }
    let package = db::insert_package(&mut tx, product, fields)
        .await
        .map_err(violated(PACKAGES))?;
    tx.commit("admin.package_create", package_details(&package), TOUCHED)
        .await?;
    Ok(package)
}

pub async fn update_package(
    state: &AppState,
    actor: Actor<'_>,
    id: Uuid,
    fields: &db::PackageFields,
) -> Result<db::Package> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let package = db::update_package(&mut tx, id, fields)
        .await
        .map_err(violated(PACKAGES))?
        .ok_or(Error::NotFound("package"))?;
    tx.commit("admin.package_update", package_details(&package), TOUCHED)
        .await?;
    Ok(package)
}

/// A package that never had a price.
pub async fn delete_package(state: &AppState, actor: Actor<'_>, id: Uuid) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let (product_id, product_slug) = db::lock_package(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("package"))?;
    if db::package_has_prices(&mut tx, id).await? {
        return Err(Error::conflict(
            "id",
            "the package has prices or price history",
        ));
    }
    db::delete_package(&mut tx, id).await?;
    let details = json!({ "id": id, "product_id": product_id, "product_slug": product_slug });
    tx.commit("admin.package_delete", details, TOUCHED).await
}

/// Sets the store's price for the package as the admin's (`manual`), observed now; the price
/// history keeps the change. Answers with the price and whether the store had none before.
pub async fn set_price(
    state: &AppState,
    actor: Actor<'_>,
    store: Uuid,
    package: Uuid,
    fields: &db::PriceFields,
) -> Result<(db::Price, bool)> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let store_slug = db::store_slug(&mut tx, store)
        .await?
        .ok_or(Error::NotFound("store"))?;
    let (_, product_slug) = db::lock_package(&mut tx, package)
        .await?
        .ok_or(Error::NotFound("package"))?;
    let (price, created) = db::upsert_price(&mut tx, store, package, fields)
        .await
        .map_err(violated(PRICES))?;
    let details = json!({
        "store_id": store, "store_slug": store_slug,
        "package_id": package, "product_slug": product_slug,
        "price": price.price, "discount_price": price.discount_price,
        "in_stock": price.in_stock, "created": created,
    });
    tx.commit("admin.price_set", details, TOUCHED).await?;
    Ok((price, created))
}

/// Removes the store's price for the package; the price history stays.
pub async fn delete_price(
    state: &AppState,
    actor: Actor<'_>,
    store: Uuid,
    package: Uuid,
) -> Result<()> {
    let mut tx = AdminWrite::begin(state, actor).await?;
    let (store_slug, product_slug) = db::delete_price(&mut tx, store, package)
        .await?
        .ok_or(Error::NotFound("price"))?;
    let details = json!({
        "store_id": store, "store_slug": store_slug,
        "package_id": package, "product_slug": product_slug,
    });
    tx.commit("admin.price_delete", details, TOUCHED).await
}

fn package_details(p: &db::Package) -> serde_json::Value {
    json!({ "id": p.id, "product_id": p.product_id, "product_slug": p.product_slug, "gtin": p.gtin })
}

/// A `PUT` that sends back the redacted feed URL a read showed keeps the stored one, credentials
/// and all; anything else replaces it.
fn kept_feed_url(sent: Option<String>, stored: Option<String>) -> Option<String> {
    let shown = stored
        .as_deref()
        .and_then(|s| WebUrl::parse(s).ok())
        .map(|u| u.redacted());
    if sent.is_some() && sent == shown {
        stored
    } else {
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_feed_url_sent_back_keeps_the_stored_one() {
        let stored = Some("https://ana:tajna@feeds.example.rs/cjenik.csv?token=abc".to_owned());
        let shown = Some("https://feeds.example.rs/cjenik.csv".to_owned());
        assert_eq!(kept_feed_url(shown, stored.clone()), stored);
        let other = Some("https://feeds.example.rs/novi.csv".to_owned());
        assert_eq!(kept_feed_url(other.clone(), stored.clone()), other);
        assert_eq!(kept_feed_url(None, stored), None);
    }
}
