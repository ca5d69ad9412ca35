//! `/admin/brands`, `/admin/stores`, `/admin/substances`, `/admin/products`, `/admin/packages` and
//! store prices: the supplement catalogue as admins edit it. Admins only; every request is one
//! transaction with its audit entry, and names every invalid field at once.

use std::collections::{BTreeMap, HashMap, HashSet};

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, param::Query, payload::Json};
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::AdminWrite;
use super::enums::api_enum;
use super::responses::Created;
use super::security::AdminAuth;
use super::validate::{Check, optional_text, shown, substance_code, text, web_url};
use super::{
    ApiTags, AppState,
    catalogue::{Brand, Product, ProductType, product_card},
    error::{ApiError, on_constraint},
    language::{LanguageTag, Negotiation},
    responses::Done,
    security::ClientInfo,
};
use crate::{
    cache::Ns,
    db::{catalogue_admin as db, profiles},
    domain::catalogue::{Gtin, Slug, WebUrl, money, numeric},
};

api_enum!(
    /// The unit a substance's amounts are given in.
    SubstanceUnit {
        G = "g",
        Mg = "mg",
        Ug = "ug",
        Iu = "iu",
    }
);

api_enum!(
    /// AIS Sports Supplement Framework group: A (strong evidence) to D (do not use).
    Evidence => crate::domain::recommend::Evidence {
        A = "A",
        B = "B",
        C = "C",
        D = "D",
    }
);

api_enum!(
    /// What a serving or a package is measured in: grams, millilitres or units (capsules, bars).
    MeasureUnit {
        G = "g",
        Ml = "ml",
        Unit = "unit",
    }
);

/// A brand as an admin writes it (the whole brand: `PUT` replaces every field).
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct BrandInput {
    /// Lower-case words joined by hyphens, at most 80 characters; unique.
    pub slug: String,
    /// 1 to 120 characters.
    pub name: String,
    /// ISO 3166-1 alpha-2, e.g. `RS`.
    pub origin_country: Option<String>,
    /// A Serbian brand.
    pub is_local: bool,
}

/// A store as an admin writes it (the whole store: `PUT` replaces every field). Money is in RSD,
/// at least 0, with at most 2 decimal places; send it as a string (`"350.00"`).
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct StoreInput {
    /// Lower-case words joined by hyphens, at most 80 characters; unique.
    pub slug: String,
    /// 1 to 120 characters.
    pub name: String,
    /// An http or https address.
    pub website: Option<String>,
    /// At most 100 characters.
    pub city: Option<String>,
    pub delivery_fee: Decimal,
    /// Orders from this total ship free; absent: never free.
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    /// 0 to 60 days.
    pub delivery_days_min: Option<u16>,
    /// 0 to 60 days, not below `delivery_days_min`.
    pub delivery_days_max: Option<u16>,
    /// The price list fetched on the feed schedule; may carry credentials. Sending back the
    /// redacted address a read showed keeps the stored one.
    pub feed_url: Option<String>,
    /// Inactive stores are hidden from the public catalogue.
    pub is_active: bool,
    /// At most 2000 characters.
    pub description_en: Option<String>,
    /// At most 2000 characters.
    pub description_sr_latn: Option<String>,
}

/// A store as admins see it: inactive ones too, the feed address without its credentials.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AdminStore {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub website: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub city: Option<String>,
    pub currency: String,
    pub delivery_fee: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub delivery_days_min: Option<u16>,
    #[oai(skip_serializing_if_is_none)]
    pub delivery_days_max: Option<u16>,
    /// Scheme, host and path only: user names, passwords and query strings are never shown.
    #[oai(skip_serializing_if_is_none)]
    pub feed_url: Option<String>,
    /// The store has a feed URL.
    pub feed_configured: bool,
    pub is_active: bool,
    #[oai(skip_serializing_if_is_none)]
    pub description_en: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub description_sr_latn: Option<String>,
}

impl From<db::Store> for AdminStore {
    fn from(s: db::Store) -> Self {
        Self {
            feed_configured: s.feed_url.is_some(),
            feed_url: s
                .feed_url
                .as_deref()
                .and_then(|u| WebUrl::parse(u).ok())
                .map(|u| u.redacted()),
            id: s.id,
            slug: s.slug,
            name: s.name,
            website: s.website,
            city: s.city,
            currency: s.currency,
            delivery_fee: s.delivery_fee,
            free_delivery_from: s.free_delivery_from,
            min_order: s.min_order,
            delivery_days_min: s.delivery_days_min.and_then(|d| u16::try_from(d).ok()),
            delivery_days_max: s.delivery_days_max.and_then(|d| u16::try_from(d).ok()),
            is_active: s.is_active,
            description_en: s.description_en,
            description_sr_latn: s.description_sr_latn,
        }
    }
}

/// An active substance as an admin writes it (`PUT` replaces it and all its names).
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct SubstanceInput {
    /// Lower-case letters, digits and underscores, starting with a letter, 2 to 63 characters; unique.
    pub code: String,
    pub unit: SubstanceUnit,
    pub evidence: Option<Evidence>,
    /// Name by locale (`sr-Latn`, `sr-Cyrl`, `en`, `hu`, `ro`, `ru`, `uk`); `en` is required.
    pub names: BTreeMap<String, String>,
}

/// An active substance with its names.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AdminSubstance {
    pub id: Uuid,
    pub code: String,
    pub unit: SubstanceUnit,
    #[oai(skip_serializing_if_is_none)]
    pub evidence: Option<Evidence>,
    pub names: BTreeMap<String, String>,
}

/// A product's name and description in one language.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct ProductNameInput {
    /// 1 to 200 characters.
    pub name: String,
    /// At most 5000 characters.
    pub description: Option<String>,
}

/// An active substance in a product.
#[derive(Object, Debug)]
pub struct SubstanceAmountInput {
    /// A substance's code.
    pub code: String,
    /// In the substance's unit, above 0, at most 3 decimal places.
    pub amount_per_serving: Decimal,
}

/// A product as an admin writes it (`PUT` replaces it with all its names, substances and
/// allergens; its packages stay).
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct ProductInput {
    /// Lower-case words joined by hyphens, at most 120 characters; unique.
    pub slug: String,
    pub brand_id: Uuid,
    pub product_type: ProductType,
    /// Above 0, at most 2 decimal places.
    pub serving_size: Decimal,
    pub serving_unit: MeasureUnit,
    /// 0 to 900, one decimal place.
    pub energy_kcal_per_100g: Option<Decimal>,
    /// 0 to 100, one decimal place.
    pub protein_g_per_100g: Option<Decimal>,
    /// 0 to 100, one decimal place.
    pub carbohydrate_g_per_100g: Option<Decimal>,
    /// 0 to 100, one decimal place.
    pub fat_g_per_100g: Option<Decimal>,
    pub is_available: bool,
    /// Name and description by locale; at least one.
    pub names: BTreeMap<String, ProductNameInput>,
    #[oai(default)]
    pub substances: Vec<SubstanceAmountInput>,
    /// Allergen codes (see `/vocabularies/allergens`).
    #[oai(default)]
    pub allergens: Vec<String>,
}

/// A package of a product as an admin writes it.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PackageInput {
    /// Above 0, at most 2 decimal places.
    pub size: Decimal,
    pub size_unit: MeasureUnit,
    /// Above 0, at most 2 decimal places.
    pub servings: Decimal,
    /// GTIN-8, -12, -13 or -14 with a right check digit; unique.
    pub gtin: Option<String>,
}

/// A package of a product.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AdminPackage {
    pub id: Uuid,
    pub product_id: Uuid,
    pub size: Decimal,
    pub size_unit: MeasureUnit,
    pub servings: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub gtin: Option<String>,
}

/// A store's price for a package as an admin sets it (RSD, at most 2 decimal places).
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PriceInput {
    /// Above 0.
    pub price: Decimal,
    /// Above 0 and below `price`.
    pub discount_price: Option<Decimal>,
    /// The discount runs from then (absent: already); needs `discount_price`.
    pub discount_starts_at: Option<OffsetDateTime>,
    /// The discount runs until then (absent: until changed); needs `discount_price`.
    pub discount_ends_at: Option<OffsetDateTime>,
    pub in_stock: bool,
}

/// A store's current price for a package.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct AdminPrice {
    pub store_id: Uuid,
    pub package_id: Uuid,
    pub price: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub discount_price: Option<Decimal>,
    #[oai(skip_serializing_if_is_none)]
    pub discount_starts_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub discount_ends_at: Option<OffsetDateTime>,
    pub in_stock: bool,
    /// `manual` once an admin set it.
    pub source: String,
    pub observed_at: OffsetDateTime,
}

impl From<db::Price> for AdminPrice {
    fn from(p: db::Price) -> Self {
        Self {
            store_id: p.store_id,
            package_id: p.package_id,
            price: p.price,
            discount_price: p.discount_price,
            discount_starts_at: p.discount_starts_at,
            discount_ends_at: p.discount_ends_at,
            in_stock: p.in_stock,
            source: p.source,
            observed_at: p.observed_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum PriceSaved {
    /// The store had no price for the package: created.
    #[oai(status = 201)]
    Created(Json<AdminPrice>),
    /// The store's price for the package is replaced.
    #[oai(status = 200)]
    Replaced(Json<AdminPrice>),
}

/// Constraint violations by name, as (constraint, field, message); see [`on_constraint`].
type Constraints = &'static [(&'static str, &'static str, &'static str)];

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

#[derive(Default)]
pub struct CatalogueAdminApi;

#[OpenApi(prefix_path = "/admin", tag = "ApiTags::Admin")]
impl CatalogueAdminApi {
    /// Create a brand
    ///
    /// 409 when the slug is taken. Admins.
    #[oai(path = "/brands", method = "post", operation_id = "createBrand")]
    async fn create_brand(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<BrandInput>,
    ) -> Result<Created<Brand>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let brand = db::insert_brand(&mut tx, &fields)
            .await
            .map_err(|e| on_constraint(e, BRANDS))?;
        let details = json!({ "id": brand.id, "slug": brand.slug });
        tx.commit("admin.brand_create", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Created::Created(Json(brand.into())))
    }

    /// Replace a brand
    ///
    /// Admins.
    #[oai(path = "/brands/:id", method = "put", operation_id = "updateBrand")]
    async fn update_brand(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<BrandInput>,
    ) -> Result<Json<Brand>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let brand = db::update_brand(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, BRANDS))?
            .ok_or_else(|| ApiError::not_found("brand"))?;
        let details = json!({ "id": brand.id, "slug": brand.slug });
        tx.commit("admin.brand_update", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Json(brand.into()))
    }

    /// Delete a brand
    ///
    /// 409 while products are sold under it. Admins.
    #[oai(path = "/brands/:id", method = "delete", operation_id = "deleteBrand")]
    async fn delete_brand(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let slug = db::delete_brand(&mut tx, id.0)
            .await
            .map_err(|e| on_constraint(e, BRANDS))?
            .ok_or_else(|| ApiError::not_found("brand"))?;
        let details = json!({ "id": id.0, "slug": slug });
        tx.commit("admin.brand_delete", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }

    /// Stores, for admins
    ///
    /// Every store, inactive ones too, with both descriptions and whether a price feed is set up
    /// (its address redacted). Admins.
    #[oai(path = "/stores", method = "get", operation_id = "listAdminStores")]
    async fn stores(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<Vec<AdminStore>>, ApiError> {
        let mut conn = state.pool.acquire().await?;
        let stores = db::stores(&mut conn).await?;
        Ok(Json(stores.into_iter().map(Into::into).collect()))
    }

    /// Create a store
    ///
    /// 409 when the slug is taken. Admins.
    #[oai(path = "/stores", method = "post", operation_id = "createStore")]
    async fn create_store(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<StoreInput>,
    ) -> Result<Created<AdminStore>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let id = db::insert_store(&mut tx, &fields)
            .await
            .map_err(|e| on_constraint(e, STORES))?;
        let store = db::store(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("store"))?;
        let details =
            json!({ "id": id, "slug": store.slug, "feed_configured": store.feed_url.is_some() });
        tx.commit("admin.store_create", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Created::Created(Json(store.into())))
    }

    /// Replace a store
    ///
    /// Sending back the redacted `feed_url` a read showed keeps the stored address. Admins.
    #[oai(path = "/stores/:id", method = "put", operation_id = "updateStore")]
    async fn update_store(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<StoreInput>,
    ) -> Result<Json<AdminStore>, ApiError> {
        let mut fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let stored = db::lock_store(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("store"))?;
        fields.feed_url = kept_feed_url(fields.feed_url, stored);
        db::update_store(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, STORES))?;
        let store = db::store(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("store"))?;
        let details =
            json!({ "id": id.0, "slug": store.slug, "feed_configured": store.feed_url.is_some() });
        tx.commit("admin.store_update", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Json(store.into()))
    }

    /// Delete a store
    ///
    /// Only a store that never had a price: otherwise 409 (set `is_active` to false to hide it and
    /// keep its price history). Admins.
    #[oai(path = "/stores/:id", method = "delete", operation_id = "deleteStore")]
    async fn delete_store(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        db::lock_store(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("store"))?;
        if db::store_has_prices(&mut tx, id.0).await? {
            return Err(ApiError::conflict(
                "id",
                "the store has prices or price history; set is_active to false to hide it instead",
            ));
        }
        let slug = db::delete_store(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("store"))?;
        let details = json!({ "id": id.0, "slug": slug });
        tx.commit("admin.store_delete", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }

    /// Active substances
    ///
    /// Every substance with its unit, evidence grade and names in every language, by code. Admins.
    #[oai(path = "/substances", method = "get", operation_id = "listSubstances")]
    async fn list_substances(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<Vec<AdminSubstance>>, ApiError> {
        let mut conn = state.pool.acquire().await?;
        let rows = db::substances(&mut conn).await?;
        Ok(Json(
            rows.into_iter()
                .map(|(row, names)| AdminSubstance::new(row, names))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// Create an active substance
    ///
    /// 409 when the code is taken. Admins.
    #[oai(
        path = "/substances",
        method = "post",
        operation_id = "createSubstance"
    )]
    async fn create_substance(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        body: Json<SubstanceInput>,
    ) -> Result<Created<AdminSubstance>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let row = db::insert_substance(&mut tx, &fields)
            .await
            .map_err(|e| on_constraint(e, SUBSTANCES))?;
        let details = json!({ "id": row.id, "code": row.code });
        tx.commit(
            "admin.substance_create",
            details,
            &[Ns::Catalogue, Ns::Rules],
        )
        .await?;
        Ok(Created::Created(Json(AdminSubstance::new(
            row,
            fields.names,
        )?)))
    }

    /// Replace an active substance
    ///
    /// With all its names. Admins.
    #[oai(
        path = "/substances/:id",
        method = "put",
        operation_id = "updateSubstance"
    )]
    async fn update_substance(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<SubstanceInput>,
    ) -> Result<Json<AdminSubstance>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let row = db::update_substance(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, SUBSTANCES))?
            .ok_or_else(|| ApiError::not_found("substance"))?;
        let details = json!({ "id": row.id, "code": row.code });
        tx.commit(
            "admin.substance_update",
            details,
            &[Ns::Catalogue, Ns::Rules],
        )
        .await?;
        Ok(Json(AdminSubstance::new(row, fields.names)?))
    }

    /// Delete an active substance
    ///
    /// 409 while a product contains it; its contraindication rules go with it. Admins.
    #[oai(
        path = "/substances/:id",
        method = "delete",
        operation_id = "deleteSubstance"
    )]
    async fn delete_substance(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let code = db::delete_substance(&mut tx, id.0)
            .await
            .map_err(|e| on_constraint(e, SUBSTANCES))?
            .ok_or_else(|| ApiError::not_found("substance"))?;
        let details = json!({ "id": id.0, "code": code });
        tx.commit(
            "admin.substance_delete",
            details,
            &[Ns::Catalogue, Ns::Rules],
        )
        .await?;
        Ok(Done::NoContent)
    }

    /// Create a product
    ///
    /// With its names, substances and allergens; answers with the product's card as
    /// `GET /products/{id}` shows it (in `lang`). Admins.
    #[oai(path = "/products", method = "post", operation_id = "createProduct")]
    async fn create_product(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        lang: Query<Option<LanguageTag>>,
        body: Json<ProductInput>,
    ) -> Result<Created<Product>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?.as_str();
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let fields = body.0.parse(&mut tx).await?;
        let id = db::insert_product(&mut tx, &fields)
            .await
            .map_err(|e| on_constraint(e, PRODUCTS))?;
        let details = json!({ "id": id, "slug": fields.slug.as_str() });
        tx.commit("admin.product_create", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Created::Created(Json(
            product_card(&state, id, locale).await?,
        )))
    }

    /// A product to edit
    ///
    /// The product as `PUT /admin/products/{id}` takes it: every field, its names in every
    /// language, substances and allergens. Admins.
    #[oai(
        path = "/products/:id",
        method = "get",
        operation_id = "getEditableProduct"
    )]
    async fn editable_product(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Json<ProductInput>, ApiError> {
        let mut conn = state.pool.acquire().await?;
        let p = db::editable_product(&mut conn, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("product"))?;
        let product_type = ProductType::parse(&p.product_type).ok_or_else(|| {
            ApiError::from(anyhow::anyhow!("stored product type {:?}", p.product_type))
        })?;
        let serving_unit = MeasureUnit::parse(&p.serving_unit).ok_or_else(|| {
            ApiError::from(anyhow::anyhow!("stored serving unit {:?}", p.serving_unit))
        })?;
        Ok(Json(ProductInput {
            slug: p.slug,
            brand_id: p.brand_id,
            product_type,
            serving_size: p.serving_size,
            serving_unit,
            energy_kcal_per_100g: p.energy_kcal_per_100g,
            protein_g_per_100g: p.protein_g_per_100g,
            carbohydrate_g_per_100g: p.carbohydrate_g_per_100g,
            fat_g_per_100g: p.fat_g_per_100g,
            is_available: p.is_available,
            names: p
                .names
                .into_iter()
                .map(|(locale, name, description)| (locale, ProductNameInput { name, description }))
                .collect(),
            substances: p
                .substances
                .into_iter()
                .map(|(code, amount_per_serving)| SubstanceAmountInput {
                    code,
                    amount_per_serving,
                })
                .collect(),
            allergens: p.allergens,
        }))
    }

    /// Replace a product
    ///
    /// With all its names, substances and allergens (its packages stay). Admins.
    #[oai(path = "/products/:id", method = "put", operation_id = "updateProduct")]
    #[allow(clippy::too_many_arguments)]
    async fn update_product(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        lang: Query<Option<LanguageTag>>,
        body: Json<ProductInput>,
    ) -> Result<Json<Product>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), Some(&auth.0))?.as_str();
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let fields = body.0.parse(&mut tx).await?;
        if !db::update_product(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, PRODUCTS))?
        {
            return Err(ApiError::not_found("product"));
        }
        let details = json!({ "id": id.0, "slug": fields.slug.as_str() });
        tx.commit("admin.product_update", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Json(product_card(&state, id.0, locale).await?))
    }

    /// Delete a product
    ///
    /// With its packages; 409 when any package has, or had, a price. Admins.
    #[oai(
        path = "/products/:id",
        method = "delete",
        operation_id = "deleteProduct"
    )]
    async fn delete_product(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let slug = db::lock_product(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("product"))?;
        if db::product_has_prices(&mut tx, id.0).await? {
            return Err(ApiError::conflict(
                "id",
                "a package of this product has prices or price history; set is_available to false instead",
            ));
        }
        db::delete_product(&mut tx, id.0).await?;
        let details = json!({ "id": id.0, "slug": slug });
        tx.commit("admin.product_delete", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }

    /// Add a package to a product
    ///
    /// 409 when the GTIN is taken. Admins.
    #[oai(
        path = "/products/:id/packages",
        method = "post",
        operation_id = "createPackage"
    )]
    async fn create_package(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<PackageInput>,
    ) -> Result<Created<AdminPackage>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        if db::product_slug(&mut tx, id.0).await?.is_none() {
            return Err(ApiError::not_found("product"));
        }
        let package = db::insert_package(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, PACKAGES))?;
        let details = package_details(&package);
        tx.commit("admin.package_create", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Created::Created(Json(package.try_into()?)))
    }

    /// Replace a package
    ///
    /// Admins.
    #[oai(path = "/packages/:id", method = "put", operation_id = "updatePackage")]
    async fn update_package(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
        body: Json<PackageInput>,
    ) -> Result<Json<AdminPackage>, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let package = db::update_package(&mut tx, id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, PACKAGES))?
            .ok_or_else(|| ApiError::not_found("package"))?;
        let details = package_details(&package);
        tx.commit("admin.package_update", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Json(package.try_into()?))
    }

    /// Delete a package
    ///
    /// 409 when it has, or had, a price. Admins.
    #[oai(
        path = "/packages/:id",
        method = "delete",
        operation_id = "deletePackage"
    )]
    async fn delete_package(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let (product_id, product_slug) = db::lock_package(&mut tx, id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("package"))?;
        if db::package_has_prices(&mut tx, id.0).await? {
            return Err(ApiError::conflict(
                "id",
                "the package has prices or price history",
            ));
        }
        db::delete_package(&mut tx, id.0).await?;
        let details = json!({ "id": id.0, "product_id": product_id, "product_slug": product_slug });
        tx.commit("admin.package_delete", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }

    /// Set a store's price for a package
    ///
    /// Recorded as the admin's (`manual`), observed now; the price history keeps the change. 201
    /// when the store had no price for the package, 200 when it is replaced. Admins.
    #[oai(
        path = "/stores/:store_id/prices/:package_id",
        method = "put",
        operation_id = "setPrice"
    )]
    async fn set_price(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        store_id: Path<Uuid>,
        package_id: Path<Uuid>,
        body: Json<PriceInput>,
    ) -> Result<PriceSaved, ApiError> {
        let fields = body.0.parse()?;
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let store_slug = db::store_slug(&mut tx, store_id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("store"))?;
        let (_, product_slug) = db::lock_package(&mut tx, package_id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("package"))?;
        let (price, created) = db::upsert_price(&mut tx, store_id.0, package_id.0, &fields)
            .await
            .map_err(|e| on_constraint(e, PRICES))?;
        let details = json!({
            "store_id": store_id.0, "store_slug": store_slug,
            "package_id": package_id.0, "product_slug": product_slug,
            "price": price.price, "discount_price": price.discount_price,
            "in_stock": price.in_stock, "created": created,
        });
        tx.commit("admin.price_set", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(if created {
            PriceSaved::Created(Json(price.into()))
        } else {
            PriceSaved::Replaced(Json(price.into()))
        })
    }

    /// Remove a store's price for a package
    ///
    /// The price history stays. Admins.
    #[oai(
        path = "/stores/:store_id/prices/:package_id",
        method = "delete",
        operation_id = "deletePrice"
    )]
    async fn delete_price(
        &self,
        state: Data<&AppState>,
        client: Data<&ClientInfo>,
        auth: AdminAuth,
        store_id: Path<Uuid>,
        package_id: Path<Uuid>,
    ) -> Result<Done, ApiError> {
        let mut tx = AdminWrite::begin(&state, &auth.0, &client).await?;
        let (store_slug, product_slug) = db::delete_price(&mut tx, store_id.0, package_id.0)
            .await?
            .ok_or_else(|| ApiError::not_found("price"))?;
        let details = json!({
            "store_id": store_id.0, "store_slug": store_slug,
            "package_id": package_id.0, "product_slug": product_slug,
        });
        tx.commit("admin.price_delete", details, &[Ns::Catalogue, Ns::Rules])
            .await?;
        Ok(Done::NoContent)
    }
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

/// Above 0 and fits `numeric(precision, scale)`.
fn positive(value: Decimal, precision: u32, scale: u32) -> Result<Decimal, String> {
    match numeric(value, precision, scale)? {
        v if v.is_zero() => Err("must be above 0".into()),
        v => Ok(v),
    }
}

/// From 0 to `max`, with at most `scale` decimal places.
fn up_to(value: Decimal, max: u32, scale: u32) -> Result<Decimal, String> {
    match numeric(value, 10, scale)? {
        v if v > Decimal::from(max) => Err(format!("must be at most {max}")),
        v => Ok(v),
    }
}

/// A positive amount of money.
fn positive_money(value: Decimal) -> Result<Decimal, String> {
    match money(value)? {
        v if v.is_zero() => Err("must be above 0".into()),
        v => Ok(v),
    }
}

/// ISO 3166-1 alpha-2, upper case.
fn country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code, e.g. RS".into())
    }
}

/// 0 to 60 days.
fn days(value: u16) -> Result<i16, String> {
    i16::try_from(value)
        .ok()
        .filter(|d| *d <= 60)
        .ok_or_else(|| "must be at most 60 days".into())
}

impl BrandInput {
    fn parse(self) -> Result<db::BrandFields, ApiError> {
        let mut check = Check::default();
        let slug = check.ok("slug", Slug::parse(&self.slug, 80));
        let name = check.ok("name", text(&self.name, 120));
        let origin_country = check.ok(
            "origin_country",
            self.origin_country.as_deref().map(country).transpose(),
        );
        match (slug, name, origin_country) {
            (Some(slug), Some(name), Some(origin_country)) if check.is_clean() => {
                Ok(db::BrandFields {
                    slug,
                    name,
                    origin_country,
                    is_local: self.is_local,
                })
            }
            _ => Err(check.into_error()),
        }
    }
}

impl StoreInput {
    fn parse(self) -> Result<db::StoreFields, ApiError> {
        let mut check = Check::default();
        let slug = check.ok("slug", Slug::parse(&self.slug, 80));
        let name = check.ok("name", text(&self.name, 120));
        let website = check.ok("website", self.website.as_deref().map(web_url).transpose());
        let city = check.ok("city", optional_text(self.city.as_deref(), 100));
        let delivery_fee = check.ok("delivery_fee", money(self.delivery_fee));
        let free_delivery_from = check.ok(
            "free_delivery_from",
            self.free_delivery_from.map(money).transpose(),
        );
        let min_order = check.ok("min_order", money(self.min_order));
        let days_min = check.ok(
            "delivery_days_min",
            self.delivery_days_min.map(days).transpose(),
        );
        let days_max = check.ok(
            "delivery_days_max",
            self.delivery_days_max.map(days).transpose(),
        );
        if let (Some(Some(lo)), Some(Some(hi))) = (days_min, days_max) {
            if lo > hi {
                check.add("delivery_days_max", "must not be below delivery_days_min");
            }
        }
        let feed_url = check.ok(
            "feed_url",
            self.feed_url.as_deref().map(web_url).transpose(),
        );
        let description_en = check.ok(
            "description_en",
            optional_text(self.description_en.as_deref(), 2000),
        );
        let description_sr_latn = check.ok(
            "description_sr_latn",
            optional_text(self.description_sr_latn.as_deref(), 2000),
        );
        match (
            (slug, name, website, city),
            (
                delivery_fee,
                free_delivery_from,
                min_order,
                days_min,
                days_max,
            ),
            (feed_url, description_en, description_sr_latn),
        ) {
            (
                (Some(slug), Some(name), Some(website), Some(city)),
                (
                    Some(delivery_fee),
                    Some(free_delivery_from),
                    Some(min_order),
                    Some(delivery_days_min),
                    Some(delivery_days_max),
                ),
                (Some(feed_url), Some(description_en), Some(description_sr_latn)),
            ) if check.is_clean() => Ok(db::StoreFields {
                slug,
                name,
                website,
                city,
                delivery_fee,
                free_delivery_from,
                min_order,
                delivery_days_min,
                delivery_days_max,
                feed_url,
                is_active: self.is_active,
                description_en,
                description_sr_latn,
            }),
            _ => Err(check.into_error()),
        }
    }
}

impl SubstanceInput {
    fn parse(self) -> Result<db::SubstanceFields, ApiError> {
        let mut check = Check::default();
        let code = check.ok("code", substance_code(&self.code));
        let entries = check.locales("names", self.names);
        if !entries.iter().any(|(locale, ..)| *locale == "en") {
            check.add("names", "needs the English name (\"en\")");
        }
        let mut names = Vec::new();
        for (locale, at, name) in entries {
            if let Some(name) = check.ok(&at, text(&name, 200)) {
                names.push((locale.to_owned(), name));
            }
        }
        match code {
            Some(code) if check.is_clean() => Ok(db::SubstanceFields {
                code,
                unit: self.unit.as_str().to_owned(),
                evidence: self.evidence.map(|v| v.as_str().to_owned()),
                names,
            }),
            _ => Err(check.into_error()),
        }
    }
}

impl AdminSubstance {
    fn new(row: db::Substance, names: Vec<(String, String)>) -> Result<Self, ApiError> {
        let stored = || {
            ApiError::from(anyhow::anyhow!(
                "a stored substance has an unknown unit or evidence"
            ))
        };
        Ok(Self {
            id: row.id,
            code: row.code,
            unit: SubstanceUnit::parse(&row.unit).ok_or_else(stored)?,
            evidence: match row.evidence {
                Some(e) => Some(Evidence::parse(&e).ok_or_else(stored)?),
                None => None,
            },
            names: names.into_iter().collect(),
        })
    }
}

impl ProductInput {
    /// Checks every field, the brand, substance and allergen codes included.
    async fn parse(self, conn: &mut PgConnection) -> Result<db::ProductFields, ApiError> {
        let mut check = Check::default();
        let slug = check.ok("slug", Slug::parse(&self.slug, 120));
        let serving_size = check.ok("serving_size", positive(self.serving_size, 8, 2));
        let per_100g = [
            ("energy_kcal_per_100g", self.energy_kcal_per_100g, 900),
            ("protein_g_per_100g", self.protein_g_per_100g, 100),
            ("carbohydrate_g_per_100g", self.carbohydrate_g_per_100g, 100),
            ("fat_g_per_100g", self.fat_g_per_100g, 100),
        ]
        .map(|(field, value, max)| check.ok(field, value.map(|v| up_to(v, max, 1)).transpose()));

        if self.names.is_empty() {
            check.add("names", "needs a name in at least one language");
        }
        let mut names = Vec::new();
        for (locale, at, n) in check.locales("names", self.names) {
            let name = check.ok(&format!("{at}.name"), text(&n.name, 200));
            let description = check.ok(
                &format!("{at}.description"),
                optional_text(n.description.as_deref(), 5000),
            );
            if let (Some(name), Some(description)) = (name, description) {
                names.push(db::ProductName {
                    locale: locale.to_owned(),
                    name,
                    description,
                });
            }
        }

        if !db::brand_exists(conn, self.brand_id).await? {
            check.add("brand_id", "no such brand");
        }

        let codes: Vec<String> = self
            .substances
            .iter()
            .map(|s| s.code.trim().to_owned())
            .collect();
        let known: HashMap<String, Uuid> =
            db::substance_ids(conn, &codes).await?.into_iter().collect();
        let mut substances = Vec::new();
        let mut seen = HashSet::new();
        for (i, (s, code)) in self.substances.iter().zip(&codes).enumerate() {
            let id = known.get(code).copied();
            if id.is_none() {
                check.add(
                    format!("substances[{i}].code"),
                    format!("unknown substance {:?}", shown(code)),
                );
            } else if !seen.insert(code) {
                check.add(format!("substances[{i}].code"), "is listed twice");
            }
            let amount = check.ok(
                &format!("substances[{i}].amount_per_serving"),
                positive(s.amount_per_serving, 12, 3),
            );
            if let (Some(id), Some(amount)) = (id, amount) {
                substances.push((id, amount));
            }
        }

        let mut allergens: Vec<String> = self
            .allergens
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        let unknown = profiles::unknown_terms(&mut *conn, "allergen", &allergens).await?;
        for (i, code) in allergens.iter().enumerate() {
            if unknown.contains(code) {
                check.add(
                    format!("allergens[{i}]"),
                    format!(
                        "unknown allergen {:?}; see /vocabularies/allergens",
                        shown(code)
                    ),
                );
            }
        }
        allergens.sort();
        allergens.dedup();

        let [energy, protein, carbohydrate, fat] = per_100g;
        match (slug, serving_size, energy, protein, carbohydrate, fat) {
            (
                Some(slug),
                Some(serving_size),
                Some(energy_kcal_per_100g),
                Some(protein_g_per_100g),
                Some(carbohydrate_g_per_100g),
                Some(fat_g_per_100g),
            ) if check.is_clean() => Ok(db::ProductFields {
                slug,
                brand_id: self.brand_id,
                product_type: self.product_type.as_str().to_owned(),
                serving_size,
                serving_unit: self.serving_unit.as_str().to_owned(),
                energy_kcal_per_100g,
                protein_g_per_100g,
                carbohydrate_g_per_100g,
                fat_g_per_100g,
                is_available: self.is_available,
                names,
                substances,
                allergens,
            }),
            _ => Err(check.into_error()),
        }
    }
}

impl PackageInput {
    fn parse(self) -> Result<db::PackageFields, ApiError> {
        let mut check = Check::default();
        let size = check.ok("size", positive(self.size, 10, 2));
        let servings = check.ok("servings", positive(self.servings, 8, 2));
        let gtin = check.ok("gtin", self.gtin.as_deref().map(Gtin::parse).transpose());
        match (size, servings, gtin) {
            (Some(size), Some(servings), Some(gtin)) if check.is_clean() => Ok(db::PackageFields {
                size,
                size_unit: self.size_unit.as_str().to_owned(),
                servings,
                gtin,
            }),
            _ => Err(check.into_error()),
        }
    }
}

impl TryFrom<db::Package> for AdminPackage {
    type Error = ApiError;

    fn try_from(p: db::Package) -> Result<Self, ApiError> {
        Ok(Self {
            id: p.id,
            product_id: p.product_id,
            size: p.size.normalize(),
            size_unit: MeasureUnit::parse(&p.size_unit).ok_or_else(|| {
                ApiError::from(anyhow::anyhow!("a stored package has an unknown unit"))
            })?,
            servings: p.servings.normalize(),
            gtin: p.gtin,
        })
    }
}

impl PriceInput {
    fn parse(self) -> Result<db::PriceFields, ApiError> {
        let mut check = Check::default();
        let price = check.ok("price", positive_money(self.price));
        let discount_price = check.ok(
            "discount_price",
            self.discount_price.map(positive_money).transpose(),
        );
        if let (Some(price), Some(Some(discount))) = (price, discount_price) {
            if discount >= price {
                check.add("discount_price", "must be below price");
            }
        }
        if self.discount_price.is_none() {
            for (field, at) in [
                ("discount_starts_at", self.discount_starts_at),
                ("discount_ends_at", self.discount_ends_at),
            ] {
                if at.is_some() {
                    check.add(field, "needs a discount_price");
                }
            }
        }
        if let (Some(starts), Some(ends)) = (self.discount_starts_at, self.discount_ends_at) {
            if starts >= ends {
                check.add("discount_ends_at", "must be after discount_starts_at");
            }
        }
        match (price, discount_price) {
            (Some(price), Some(discount_price)) if check.is_clean() => Ok(db::PriceFields {
                price,
                discount_price,
                discount_starts_at: self.discount_starts_at,
                discount_ends_at: self.discount_ends_at,
                in_stock: self.in_stock,
            }),
            _ => Err(check.into_error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

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

    #[test]
    fn field_checks() {
        assert_eq!(text("  Muscle Shop ", 120).unwrap(), "Muscle Shop");
        assert!(text("   ", 120).is_err());
        assert!(text(&"ž".repeat(121), 120).is_err());
        assert_eq!(optional_text(Some("  "), 10), Ok(None));
        assert_eq!(country(" rs").unwrap(), "RS");
        assert!(country("SRB").is_err());
        assert!(substance_code("vitamin_d3").is_ok());
        for bad in ["", "a", "3d", "Vitamin", "vitamin-d", "č_x"] {
            assert!(substance_code(bad).is_err(), "{bad:?}");
        }
        assert!(positive(dec!(0), 8, 2).is_err());
        assert_eq!(positive(dec!(30.0), 8, 2), Ok(dec!(30)));
        assert!(up_to(dec!(100.1), 100, 1).is_err());
        assert!(up_to(dec!(80.25), 100, 1).is_err());
        assert_eq!(positive_money(dec!(0)).unwrap_err(), "must be above 0");
        assert!(days(61).is_err());
    }
}
