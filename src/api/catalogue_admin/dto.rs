//! The catalogue as admins write and read it, and the checks that turn a request into the fields
//! the database takes, naming every invalid field at once.

use std::collections::{BTreeMap, HashMap, HashSet};

use poem_openapi::{ApiResponse, Object, payload::Json};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    api::{
        catalogue::ProductType,
        enums::api_enum,
        error::ApiError,
        validate::{Check, optional_text, shown, substance_code, text, web_url},
    },
    db::{catalogue_admin as db, profiles},
    domain::{
        catalogue::{Gtin, Slug, WebUrl, money, numeric},
        invalid::Invalid,
    },
    service,
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

/// Above 0 and fits `numeric(precision, scale)`.
fn positive(value: Decimal, precision: u32, scale: u32) -> Result<Decimal, Invalid> {
    match numeric(value, precision, scale)? {
        v if v.is_zero() => Err(Invalid::Positive),
        v => Ok(v),
    }
}

/// From 0 to `max`, with at most `scale` decimal places.
fn up_to(value: Decimal, max: u32, scale: u32) -> Result<Decimal, Invalid> {
    match numeric(value, 10, scale)? {
        v if v > Decimal::from(max) => Err(Invalid::AtMost {
            max: max.to_string(),
        }),
        v => Ok(v),
    }
}

/// A positive amount of money.
fn positive_money(value: Decimal) -> Result<Decimal, Invalid> {
    match money(value)? {
        v if v.is_zero() => Err(Invalid::Positive),
        v => Ok(v),
    }
}

/// ISO 3166-1 alpha-2, upper case.
fn country(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Invalid::Country)
    }
}

/// 0 to 60 days.
fn days(value: u16) -> Result<i16, Invalid> {
    i16::try_from(value)
        .ok()
        .filter(|d| *d <= 60)
        .ok_or(Invalid::MaxDays { max: 60 })
}

impl BrandInput {
    pub(super) fn parse(self) -> service::Result<db::BrandFields> {
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
    pub(super) fn parse(self) -> service::Result<db::StoreFields> {
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
    pub(super) fn parse(self) -> service::Result<db::SubstanceFields> {
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
    pub(super) fn new(row: db::Substance, names: Vec<(String, String)>) -> Result<Self, ApiError> {
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
    pub async fn parse(self, conn: &mut PgConnection) -> service::Result<db::ProductFields> {
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

impl ProductInput {
    /// The stored product as `PUT /admin/products/{id}` takes it back.
    pub(super) fn editable(p: db::EditableProduct) -> anyhow::Result<Self> {
        let product_type = ProductType::parse(&p.product_type)
            .ok_or_else(|| anyhow::anyhow!("stored product type {:?}", p.product_type))?;
        let serving_unit = MeasureUnit::parse(&p.serving_unit)
            .ok_or_else(|| anyhow::anyhow!("stored serving unit {:?}", p.serving_unit))?;
        Ok(Self {
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
        })
    }
}

impl PackageInput {
    pub(super) fn parse(self) -> service::Result<db::PackageFields> {
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
    pub(super) fn parse(self) -> service::Result<db::PriceFields> {
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
    use crate::api::validate::{optional_text, substance_code, text};

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
        assert_eq!(positive_money(dec!(0)).unwrap_err(), Invalid::Positive);
        assert!(days(61).is_err());
    }
}
