//! `/products`, `/brands`, `/stores`: the supplement catalogue and its prices, public.

use poem::{Request, web::Data};
use poem_openapi::{
    Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

use super::enums::api_enum;
use super::{
    ApiTags, AppState,
    error::ApiError,
    language::{LanguageTag, Negotiation},
    rendered::{self, Cached},
};
use crate::{
    cache::{Kind, Ns},
    db::catalogue::{self as db, Sort},
    domain::account::Locale,
    domain::catalogue::delivered,
};

api_enum!(
    /// A product category.
    ProductType {
        Protein = "protein",
        Creatine = "creatine",
        Amino = "amino",
        VitaminMineral = "vitamin_mineral",
        PreWorkout = "pre_workout",
        PostWorkout = "post_workout",
        Carbohydrate = "carbohydrate",
        Electrolyte = "electrolyte",
        FatBurner = "fat_burner",
        Other = "other",
    }
);

api_enum!(
    ProductSort => Sort {
        /// Best match to `q` first; by name without `q`.
        Relevance = "relevance",
        Name = "name",
        /// Cheapest current in-stock package first.
        Price = "price",
        PricePerServing = "price_per_serving",
        PricePer100gProtein = "price_per_100g_protein",
    }
);

/// The brand a product is sold under.
#[derive(Object, Debug, Clone)]
pub struct BrandRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// A Serbian brand.
    pub is_local: bool,
}

/// A product in a list, with its best current in-stock offer.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ProductSummary {
    pub id: Uuid,
    pub slug: String,
    /// In the requested language, or the nearest one translated (`name_locale`).
    pub name: String,
    pub name_locale: String,
    pub product_type: ProductType,
    /// The type's name in the response's language.
    pub type_name: String,
    pub brand: BrandRef,
    pub serving_size: Decimal,
    /// `g`, `ml` or `unit` (capsule, tablet, bar).
    pub serving_unit: String,
    /// Allergen codes (see `/vocabularies/allergens`).
    pub allergens: Vec<String>,
    /// Stores with the product in stock now.
    pub stores_in_stock: u32,
    /// The cheapest in-stock package now, RSD, discounts applied.
    #[oai(skip_serializing_if_is_none)]
    pub best_price: Option<Decimal>,
    #[oai(skip_serializing_if_is_none)]
    pub price_per_serving: Option<Decimal>,
    /// For powders with a declared protein content.
    #[oai(skip_serializing_if_is_none)]
    pub price_per_100g_protein: Option<Decimal>,
}

impl ProductSummary {
    fn from_row(r: db::ProductRow, locale: Locale) -> Result<Self, ApiError> {
        Ok(Self {
            type_name: crate::i18n::Messages::global().get(
                &locale,
                &format!("product-type-{}", r.product_type),
                &[],
            ),
            id: r.id,
            name: r.name.unwrap_or_else(|| r.slug.clone()),
            name_locale: r.name_locale.unwrap_or_else(|| "en".into()),
            slug: r.slug,
            product_type: ProductType::parse(&r.product_type).ok_or_else(|| {
                ApiError::from(anyhow::anyhow!("a stored product has an unknown type"))
            })?,
            brand: BrandRef {
                id: r.brand_id,
                slug: r.brand_slug,
                name: r.brand_name,
                is_local: r.brand_is_local,
            },
            serving_size: r.serving_size.normalize(),
            serving_unit: r.serving_unit,
            allergens: r.allergens,
            stores_in_stock: u32::try_from(r.stores_in_stock).unwrap_or(0),
            best_price: r.best_price,
            price_per_serving: r.price_per_serving,
            price_per_100g_protein: r.price_per_100g_protein,
        })
    }
}

/// A page of products.
#[derive(Object, Debug)]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    /// Products matching the filters, on all pages.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// An active substance in a product.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct SubstanceAmount {
    pub code: String,
    pub name: Option<String>,
    pub amount_per_serving: Decimal,
    /// `g`, `mg`, `ug` or `iu`.
    pub unit: String,
    /// AIS Sports Supplement Framework group: A (strong evidence) to D (do not use).
    pub evidence: Option<String>,
}

/// A package's price at one store.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct Offer {
    pub store: StoreRef,
    pub package_id: Uuid,
    pub price: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub discount_price: Option<Decimal>,
    #[oai(skip_serializing_if_is_none)]
    pub discount_ends_at: Option<OffsetDateTime>,
    /// What a customer pays now: the discount price while it runs.
    pub effective_price: Decimal,
    pub price_per_serving: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub price_per_100g_protein: Option<Decimal>,
    /// Per 100 g (or ml) of product.
    #[oai(skip_serializing_if_is_none)]
    pub price_per_100g: Option<Decimal>,
    /// Buying this package alone at this store: the store's fee unless free delivery applies.
    pub delivery_fee: Decimal,
    pub total_with_delivery: Decimal,
    /// The package alone is below the store's minimum order.
    pub below_min_order: bool,
    pub in_stock: bool,
    /// `feed` (the store's price list), `manual` (an admin) or `demo` (seeded demo data, not a quote).
    pub source: String,
    /// When the price was last seen.
    pub checked_at: OffsetDateTime,
}

/// The store of an offer, with its delivery terms.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct StoreRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub delivery_fee: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
}

impl From<db::Offer> for Offer {
    fn from(o: db::Offer) -> Self {
        let d = delivered(
            o.effective_price,
            o.delivery_fee,
            o.free_delivery_from,
            o.min_order,
        );
        Self {
            store: StoreRef {
                id: o.store_id,
                slug: o.store_slug,
                name: o.store_name,
                delivery_fee: o.delivery_fee,
                free_delivery_from: o.free_delivery_from,
                min_order: o.min_order,
            },
            package_id: o.package_id,
            price: o.price,
            discount_price: o.discount_price,
            discount_ends_at: o.discount_ends_at,
            effective_price: o.effective_price,
            price_per_serving: o.price_per_serving,
            price_per_100g_protein: o.price_per_100g_protein,
            price_per_100g: o.price_per_100_units,
            delivery_fee: d.delivery_fee,
            total_with_delivery: d.total,
            below_min_order: d.below_min_order,
            in_stock: o.in_stock,
            source: o.source,
            checked_at: o.observed_at,
        }
    }
}

/// A package of a product, with its offers.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Package {
    pub id: Uuid,
    pub size: Decimal,
    /// `g`, `ml` or `unit`.
    pub size_unit: String,
    pub servings: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub gtin: Option<String>,
    /// Cheapest per serving first.
    pub offers: Vec<Offer>,
}

/// A product with everything about it.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Product {
    #[oai(flatten)]
    pub summary: ProductSummary,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    pub substances: Vec<SubstanceAmount>,
    pub packages: Vec<Package>,
}

/// The price comparison for a product across stores.
#[derive(Object, Debug)]
pub struct PriceComparison {
    pub product_id: Uuid,
    /// In-stock offers first, then cheapest per serving.
    pub offers: Vec<Offer>,
}

/// One price change.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct PricePoint {
    pub store: String,
    pub package_id: Uuid,
    pub price: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub discount_price: Option<Decimal>,
    pub in_stock: bool,
    /// `manual` or `feed`.
    pub source: String,
    pub observed_at: OffsetDateTime,
}

#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Brand {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[oai(skip_serializing_if_is_none)]
    pub origin_country: Option<String>,
    pub is_local: bool,
    pub products: u32,
}

impl From<db::Brand> for Brand {
    fn from(b: db::Brand) -> Self {
        Self {
            id: b.id,
            slug: b.slug,
            name: b.name,
            origin_country: b.origin_country,
            is_local: b.is_local,
            products: u32::try_from(b.products).unwrap_or(0),
        }
    }
}

#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Store {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub website: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub city: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    pub currency: String,
    pub delivery_fee: Decimal,
    /// Orders from this total ship free; absent: never free.
    #[oai(skip_serializing_if_is_none)]
    pub free_delivery_from: Option<Decimal>,
    pub min_order: Decimal,
    #[oai(skip_serializing_if_is_none)]
    pub delivery_days_min: Option<u16>,
    #[oai(skip_serializing_if_is_none)]
    pub delivery_days_max: Option<u16>,
}

impl From<db::Store> for Store {
    fn from(s: db::Store) -> Self {
        Self {
            id: s.id,
            slug: s.slug,
            name: s.name,
            website: s.website,
            city: s.city,
            description: s.description,
            currency: s.currency,
            delivery_fee: s.delivery_fee,
            free_delivery_from: s.free_delivery_from,
            min_order: s.min_order,
            delivery_days_min: s.delivery_days_min.and_then(|d| u16::try_from(d).ok()),
            delivery_days_max: s.delivery_days_max.and_then(|d| u16::try_from(d).ok()),
        }
    }
}

/// The first page, and 20 items a page: the defaults of every paged list.
pub(super) fn default_page() -> u32 {
    1
}

pub(super) fn default_per_page() -> u32 {
    20
}

/// Allergen codes from a comma-separated `allergen_free` parameter, each checked against the
/// vocabulary.
pub(super) async fn allergen_codes(
    state: &AppState,
    raw: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let codes: Vec<String> = raw
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() {
        return Ok(codes);
    }
    if let Some(code) = crate::db::profiles::unknown_terms(&state.pool, "allergen", &codes)
        .await?
        .first()
    {
        let shown: String = code.chars().take(40).collect();
        return Err(ApiError::invalid(
            "allergen_free",
            format!("unknown allergen {shown:?}; see /vocabularies/allergens"),
        ));
    }
    Ok(codes)
}

#[derive(Default)]
pub struct CatalogueApi;

#[OpenApi(tag = "ApiTags::Catalogue")]
impl CatalogueApi {
    /// Products
    ///
    /// Filter by `type`, `brand` (slug), `substance` (code), `allergen_free` (allergen codes, comma
    /// separated), `in_stock`, and the best current price (`min_price`, `max_price`, RSD); search names
    /// in any language with `q` (diacritics and script do not matter: `cevapi` finds `ćevapi`).
    /// Sorted by `sort`, then name, then id, so pages are stable. Public.
    #[oai(path = "/products", method = "get", operation_id = "listProducts")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        #[oai(name = "type")] product_type: Query<Option<ProductType>>,
        #[oai(validator(max_length = 80))] brand: Query<Option<String>>,
        #[oai(validator(max_length = 63))] substance: Query<Option<String>>,
        #[oai(validator(max_length = 300))] allergen_free: Query<Option<String>>,
        #[oai(default)] in_stock: Query<bool>,
        min_price: Query<Option<Decimal>>,
        max_price: Query<Option<Decimal>>,
        #[oai(validator(max_length = 100))] q: Query<Option<String>>,
        sort: Query<Option<ProductSort>>,
        lang: Query<Option<LanguageTag>>,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "10000"))
        )]
        page: Query<u32>,
        #[oai(
            default = "default_per_page",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<u32>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
        req: &Request,
    ) -> Result<Cached<ProductPage>, ApiError> {
        for (field, value) in [("min_price", min_price.0), ("max_price", max_price.0)] {
            if value.is_some_and(|v| v.is_sign_negative()) {
                return Err(ApiError::invalid(field, "must not be negative"));
            }
        }
        if let (Some(lo), Some(hi)) = (min_price.0, max_price.0) {
            if lo > hi {
                return Err(ApiError::invalid(
                    "min_price",
                    "must not be above max_price",
                ));
            }
        }
        let free_of = allergen_codes(&state, allergen_free.0.as_deref()).await?;
        let locale = neg.resolve(lang.0.as_deref(), None)?;
        let q = q.0.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        let filter = db::Filter {
            locale: locale.as_str(),
            product_type: product_type.0.map(|v| v.as_str().to_owned()),
            brand: brand.0,
            substance: substance.0,
            free_of,
            in_stock: in_stock.0,
            min_price: min_price.0,
            max_price: max_price.0,
            sort: sort.0.unwrap_or(ProductSort::Relevance).into(),
            q,
            limit: i64::from(per_page.0),
            offset: i64::from(page.0 - 1) * i64::from(per_page.0),
        };
        let page = rendered::cached(
            &state,
            Kind::Catalogue,
            &[Ns::Catalogue],
            &format!("products:{filter:?}"),
            || async {
                let (rows, total) = db::list_products(&state.pool, &filter).await?;
                Ok(ProductPage {
                    items: rows
                        .into_iter()
                        .map(|r| ProductSummary::from_row(r, locale))
                        .collect::<Result<_, _>>()?,
                    total: u64::try_from(total).unwrap_or(0),
                    page: page.0,
                    per_page: per_page.0,
                })
            },
        )
        .await?;
        Ok(page.respond(req, if_none_match.0.as_deref()))
    }

    /// A product
    ///
    /// With its description, active substances, packages and every store's price. Public.
    #[oai(path = "/products/:id", method = "get", operation_id = "getProduct")]
    async fn get(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        id: Path<Uuid>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Product>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?.as_str();
        Ok(Json(product_card(&state, id.0, locale).await?))
    }

    /// Price comparison
    ///
    /// Every store's current price for every package of the product: unit price, per serving, per
    /// 100 g and per 100 g of protein, and the total with the store's delivery. Public.
    #[oai(
        path = "/products/:id/prices",
        method = "get",
        operation_id = "comparePrices"
    )]
    async fn prices(
        &self,
        state: Data<&AppState>,
        id: Path<Uuid>,
    ) -> Result<Json<PriceComparison>, ApiError> {
        if !db::product_exists(&state.pool, id.0).await? {
            return Err(ApiError::not_found("product"));
        }
        let offers = db::offers(&state.pool, id.0).await?;
        Ok(Json(PriceComparison {
            product_id: id.0,
            offers: offers.into_iter().map(Into::into).collect(),
        }))
    }

    /// Price history
    ///
    /// Every change of a product's prices, oldest first, optionally for one `store` (slug) and from a
    /// time on; at most 5000 points. Public.
    #[oai(
        path = "/products/:id/price-history",
        method = "get",
        operation_id = "getPriceHistory"
    )]
    async fn price_history(
        &self,
        state: Data<&AppState>,
        id: Path<Uuid>,
        #[oai(validator(max_length = 80))] store: Query<Option<String>>,
        from: Query<Option<OffsetDateTime>>,
    ) -> Result<Json<Vec<PricePoint>>, ApiError> {
        if !db::product_exists(&state.pool, id.0).await? {
            return Err(ApiError::not_found("product"));
        }
        let points = db::price_history(&state.pool, id.0, store.0.as_deref(), from.0, 5000).await?;
        Ok(Json(
            points
                .into_iter()
                .map(|p| PricePoint {
                    store: p.store_slug,
                    package_id: p.package_id,
                    price: p.price,
                    discount_price: p.discount_price,
                    in_stock: p.in_stock,
                    source: p.source,
                    observed_at: p.observed_at,
                })
                .collect(),
        ))
    }

    /// Brands
    ///
    /// Every brand with how many products it has; `is_local` marks Serbian brands. Public.
    #[oai(path = "/brands", method = "get", operation_id = "listBrands")]
    async fn brands(&self, state: Data<&AppState>) -> Result<Json<Vec<Brand>>, ApiError> {
        let brands = state
            .cache
            .get_or_load(Kind::Catalogue, &[Ns::Catalogue], "brands", || {
                db::brands(&state.pool)
            })
            .await?;
        Ok(Json(brands.into_iter().map(Into::into).collect()))
    }

    /// Stores
    ///
    /// Active stores with their delivery terms. Public.
    #[oai(path = "/stores", method = "get", operation_id = "listStores")]
    async fn stores(
        &self,
        state: Data<&AppState>,
        neg: Data<&Negotiation>,
        lang: Query<Option<LanguageTag>>,
    ) -> Result<Json<Vec<Store>>, ApiError> {
        let locale = neg.resolve(lang.0.as_deref(), None)?.as_str();
        let stores = state
            .cache
            .get_or_load(
                Kind::Catalogue,
                &[Ns::Catalogue],
                &format!("stores:{locale}"),
                || db::stores(&state.pool, locale, false),
            )
            .await?;
        Ok(Json(stores.into_iter().map(Into::into).collect()))
    }
}

/// What a product card is made of, as the cache keeps it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct CardRows {
    product: (db::ProductRow, Option<String>),
    substances: Vec<db::SubstanceAmount>,
    offers: Vec<db::Offer>,
    packages: Vec<db::Package>,
}

/// A product's card as `GET /products/{id}` shows it (the admin API answers with it too).
pub(super) async fn product_card(
    state: &AppState,
    id: Uuid,
    locale: &'static str,
) -> Result<Product, ApiError> {
    let card = state
        .cache
        .get_or_load(
            Kind::Catalogue,
            &[Ns::Catalogue],
            &format!("product:{id}:{locale}"),
            || async {
                // Four reads at once: an unknown id costs three index lookups more, a card three
                // round trips less.
                let (product, substances, offers, packages) = tokio::try_join!(
                    db::product(&state.pool, id, locale),
                    db::product_substances(&state.pool, id, locale),
                    db::offers(&state.pool, id),
                    db::packages(&state.pool, id),
                )?;
                Ok::<_, sqlx::Error>(product.map(|product| CardRows {
                    product,
                    substances,
                    offers,
                    packages,
                }))
            },
        )
        .await?
        .ok_or_else(|| ApiError::not_found("product"))?;
    let CardRows {
        product: (row, description),
        substances,
        offers,
        packages,
    } = card;
    let packages = packages
        .into_iter()
        .map(|p| Package {
            offers: offers
                .iter()
                .filter(|o| o.package_id == p.id)
                .cloned()
                .map(Into::into)
                .collect(),
            id: p.id,
            size: p.size.normalize(),
            size_unit: p.size_unit,
            servings: p.servings.normalize(),
            gtin: p.gtin,
        })
        .collect();
    Ok(Product {
        summary: ProductSummary::from_row(row, Locale::parse(locale).unwrap_or(Locale::DEFAULT))?,
        description,
        substances: substances
            .into_iter()
            .map(|s| SubstanceAmount {
                code: s.code,
                name: s.name,
                amount_per_serving: s.amount_per_serving.normalize(),
                unit: s.unit,
                evidence: s.evidence,
            })
            .collect(),
        packages,
    })
}
