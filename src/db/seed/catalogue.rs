//! The demo supplement catalogue: substances, brands, stores, products with packages, and demo prices.
//! Everything is inserted when missing and never overwritten, so an admin's edits survive a re-seed.

use anyhow::Context;
use rust_decimal::Decimal;
use serde::Deserialize;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::parse;

pub const FILES: [(&str, &str); 10] = [
    (
        "catalogue/substances.csv",
        include_str!("../../../seeds/catalogue/substances.csv"),
    ),
    (
        "catalogue/brands.csv",
        include_str!("../../../seeds/catalogue/brands.csv"),
    ),
    (
        "catalogue/stores.csv",
        include_str!("../../../seeds/catalogue/stores.csv"),
    ),
    (
        "catalogue/products.csv",
        include_str!("../../../seeds/catalogue/products.csv"),
    ),
    (
        "catalogue/product_texts.csv",
        include_str!("../../../seeds/catalogue/product_texts.csv"),
    ),
    (
        "catalogue/product_substances.csv",
        include_str!("../../../seeds/catalogue/product_substances.csv"),
    ),
    (
        "catalogue/packages.csv",
        include_str!("../../../seeds/catalogue/packages.csv"),
    ),
    (
        "catalogue/prices.csv",
        include_str!("../../../seeds/catalogue/prices.csv"),
    ),
    (
        "catalogue/contraindication_rules.csv",
        include_str!("../../../seeds/catalogue/contraindication_rules.csv"),
    ),
    (
        "catalogue/substance_life_stages.csv",
        include_str!("../../../seeds/catalogue/substance_life_stages.csv"),
    ),
];

#[derive(Debug, Deserialize)]
struct SubstanceRow {
    code: String,
    unit: String,
    evidence: Option<String>,
    name_en: String,
    name_sr_latn: String,
    name_sr_cyrl: String,
    name_hu: Option<String>,
    name_ro: Option<String>,
    name_ru: Option<String>,
    name_uk: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BrandRow {
    slug: String,
    name: String,
    origin_country: Option<String>,
    is_local: bool,
}

#[derive(Debug, Deserialize)]
struct StoreRow {
    slug: String,
    name: String,
    website: Option<String>,
    city: Option<String>,
    delivery_fee: Decimal,
    free_delivery_from: Option<Decimal>,
    min_order: Decimal,
    delivery_days_min: Option<i16>,
    delivery_days_max: Option<i16>,
    feed_url: Option<String>,
    description_en: Option<String>,
    description_sr_latn: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProductRow {
    slug: String,
    brand_slug: String,
    product_type: String,
    serving_size: Decimal,
    serving_unit: String,
    energy_kcal_per_100g: Option<Decimal>,
    protein_g_per_100g: Option<Decimal>,
    carbohydrate_g_per_100g: Option<Decimal>,
    fat_g_per_100g: Option<Decimal>,
    allergens: Option<String>,
    name_en: String,
    name_sr_latn: String,
    name_sr_cyrl: String,
    description_en: Option<String>,
    description_sr_latn: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProductSubstanceRow {
    product_slug: String,
    substance_code: String,
    amount_per_serving: Decimal,
}

#[derive(Debug, Deserialize)]
struct PackageRow {
    product_slug: String,
    size: Decimal,
    size_unit: String,
    servings: Decimal,
    gtin: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RuleRow {
    substance_code: String,
    vocabulary: String,
    code: String,
    severity: String,
    min_daily_amount: Option<Decimal>,
    effect: Option<String>,
    source: String,
    source_url: Option<String>,
    explanation_en: String,
    explanation_sr_latn: String,
    explanation_sr_cyrl: String,
    explanation_hu: Option<String>,
    explanation_ro: Option<String>,
    explanation_ru: Option<String>,
    explanation_uk: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LifeStageRow {
    substance_code: String,
    life_stage: String,
    source: String,
    source_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PriceRow {
    store_slug: String,
    gtin: String,
    price: Decimal,
    discount_price: Option<Decimal>,
    in_stock: bool,
}

/// What loading the catalogue inserted.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inserted {
    pub products: u64,
    pub prices: u64,
}

/// Rows of one file, by name.
fn file<T: serde::de::DeserializeOwned>(name: &str) -> anyhow::Result<Vec<T>> {
    let (name, text) = FILES
        .iter()
        .find(|(n, _)| n.ends_with(name))
        .with_context(|| format!("no seed file {name}"))?;
    parse(name, text)
}

pub async fn load(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<Inserted> {
    load_substances(tx, &file("substances.csv")?).await?;
    for b in file::<BrandRow>("brands.csv")? {
        sqlx::query(
            "INSERT INTO brands (slug, name, origin_country, is_local) VALUES ($1, $2, $3, $4)
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(&b.slug)
        .bind(&b.name)
        .bind(&b.origin_country)
        .bind(b.is_local)
        .execute(&mut **tx)
        .await
        .with_context(|| format!("loading brand {}", b.slug))?;
    }
    for s in file::<StoreRow>("stores.csv")? {
        let id: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO stores (slug, name, website, city, delivery_fee, free_delivery_from, min_order,
                                 delivery_days_min, delivery_days_max, feed_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .bind(&s.slug)
        .bind(&s.name)
        .bind(&s.website)
        .bind(&s.city)
        .bind(s.delivery_fee)
        .bind(s.free_delivery_from)
        .bind(s.min_order)
        .bind(s.delivery_days_min)
        .bind(s.delivery_days_max)
        .bind(&s.feed_url)
        .fetch_optional(&mut **tx)
        .await
        .with_context(|| format!("loading store {}", s.slug))?;
        if let Some(id) = id {
            for (locale, text) in [
                ("en", &s.description_en),
                ("sr-Latn", &s.description_sr_latn),
            ] {
                let Some(text) = text else { continue };
                sqlx::query("INSERT INTO store_translations (store_id, locale, description) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(locale)
                    .bind(text)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    let products = load_products(
        tx,
        &file("products.csv")?,
        &file("product_substances.csv")?,
        &file("packages.csv")?,
    )
    .await?;
    load_product_texts(tx, &file("product_texts.csv")?).await?;
    let prices: Vec<PriceRow> = file("prices.csv")?;
    // Demo prices: marked `demo`, for trying the appliance; a store's feed or an admin replaces them.
    let inserted = sqlx::query(
        "INSERT INTO prices (store_id, package_id, price, discount_price, in_stock, source)
         SELECT s.id, pk.id, r.price, r.discount_price, r.in_stock, 'demo'
         FROM UNNEST($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::bool[])
              AS r (store, gtin, price, discount_price, in_stock)
         JOIN stores s ON s.slug = r.store
         JOIN product_packages pk ON pk.gtin = r.gtin
         ON CONFLICT (store_id, package_id) DO NOTHING",
    )
    .bind(
        prices
            .iter()
            .map(|p| p.store_slug.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(prices.iter().map(|p| p.gtin.as_str()).collect::<Vec<_>>())
    .bind(prices.iter().map(|p| p.price).collect::<Vec<_>>())
    .bind(prices.iter().map(|p| p.discount_price).collect::<Vec<_>>())
    .bind(prices.iter().map(|p| p.in_stock).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await
    .context("loading demo prices")?
    .rows_affected();
    load_rules(tx, &file("contraindication_rules.csv")?).await?;
    load_life_stages(tx, &file("substance_life_stages.csv")?).await?;
    Ok(Inserted {
        products,
        prices: inserted,
    })
}

/// Contraindication rules, each with its explanations; a rule an admin has edited is left alone.
async fn load_rules(tx: &mut Transaction<'_, Postgres>, rows: &[RuleRow]) -> anyhow::Result<()> {
    for r in rows {
        let what = || format!("rule {} × {}:{}", r.substance_code, r.vocabulary, r.code);
        let id: Option<Uuid> = sqlx::query_scalar(
            // An unknown substance code fails on the NOT NULL substance_id, naming the rule.
            "INSERT INTO contraindication_rules (substance_id, vocabulary, code, severity, min_daily_amount, source, source_url, effect)
             VALUES ((SELECT id FROM substances WHERE code = $1), $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (substance_id, vocabulary, code) DO NOTHING RETURNING id",
        )
        .bind(&r.substance_code)
        .bind(&r.vocabulary)
        .bind(&r.code)
        .bind(&r.severity)
        .bind(r.min_daily_amount)
        .bind(&r.source)
        .bind(&r.source_url)
        .bind(&r.effect)
        .fetch_optional(&mut **tx)
        .await
        .with_context(what)?;
        let Some(id) = id else { continue };
        let explanations = [
            ("en", Some(&r.explanation_en)),
            ("sr-Latn", Some(&r.explanation_sr_latn)),
            ("sr-Cyrl", Some(&r.explanation_sr_cyrl)),
            ("hu", r.explanation_hu.as_ref()),
            ("ro", r.explanation_ro.as_ref()),
            ("ru", r.explanation_ru.as_ref()),
            ("uk", r.explanation_uk.as_ref()),
        ];
        for (locale, text) in explanations {
            let Some(text) = text else { continue };
            sqlx::query(
                "INSERT INTO contraindication_rule_translations (rule_id, locale, explanation) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(locale)
            .bind(text)
            .execute(&mut **tx)
            .await
            .with_context(what)?;
        }
    }
    Ok(())
}

/// Which substances have safety data on record for which life stage; rows already there are kept.
async fn load_life_stages(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[LifeStageRow],
) -> anyhow::Result<()> {
    for r in rows {
        sqlx::query(
            "INSERT INTO substance_life_stages (substance_id, life_stage, source, source_url)
             VALUES ((SELECT id FROM substances WHERE code = $1), $2, $3, $4)
             ON CONFLICT (substance_id, life_stage) DO NOTHING",
        )
        .bind(&r.substance_code)
        .bind(&r.life_stage)
        .bind(&r.source)
        .bind(&r.source_url)
        .execute(&mut **tx)
        .await
        .with_context(|| format!("life stage {} × {}", r.substance_code, r.life_stage))?;
    }
    Ok(())
}

async fn load_substances(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[SubstanceRow],
) -> anyhow::Result<()> {
    for s in rows {
        let id: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO substances (code, unit, evidence) VALUES ($1, $2, $3)
             ON CONFLICT (code) DO NOTHING RETURNING id",
        )
        .bind(&s.code)
        .bind(&s.unit)
        .bind(&s.evidence)
        .fetch_optional(&mut **tx)
        .await
        .with_context(|| format!("loading substance {}", s.code))?;
        let Some(id) = id else { continue };
        let names = [
            ("en", Some(&s.name_en)),
            ("sr-Latn", Some(&s.name_sr_latn)),
            ("sr-Cyrl", Some(&s.name_sr_cyrl)),
            ("hu", s.name_hu.as_ref()),
            ("ro", s.name_ro.as_ref()),
            ("ru", s.name_ru.as_ref()),
            ("uk", s.name_uk.as_ref()),
        ];
        for (locale, name) in names {
            let Some(name) = name else { continue };
            sqlx::query("INSERT INTO substance_translations (substance_id, locale, name) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(locale)
                .bind(name)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// A product's name and description in the languages `products.csv` leaves out.
#[derive(Debug, Deserialize)]
struct ProductTextsRow {
    slug: String,
    name_hu: String,
    description_hu: String,
    name_ro: String,
    description_ro: String,
    name_ru: String,
    description_ru: String,
    name_uk: String,
    description_uk: String,
    description_sr_cyrl: String,
}

/// The seeded products' names and descriptions in Hungarian, Romanian, Russian and Ukrainian, and
/// their descriptions in Cyrillic Serbian, where the product has none yet (an admin's text is kept).
async fn load_product_texts(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[ProductTextsRow],
) -> anyhow::Result<()> {
    let (mut slugs, mut locales, mut names, mut descriptions) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        for (locale, name, description) in [
            ("hu", &r.name_hu, &r.description_hu),
            ("ro", &r.name_ro, &r.description_ro),
            ("ru", &r.name_ru, &r.description_ru),
            ("uk", &r.name_uk, &r.description_uk),
        ] {
            slugs.push(r.slug.as_str());
            locales.push(locale);
            names.push(name.as_str());
            descriptions.push(description.as_str());
        }
    }
    sqlx::query(
        "INSERT INTO product_translations (product_id, locale, name, description)
         SELECT p.id, r.locale, r.name, r.description
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS r (slug, locale, name, description)
         JOIN products p ON p.slug = r.slug
         ON CONFLICT (product_id, locale) DO NOTHING",
    )
    .bind(&slugs)
    .bind(&locales)
    .bind(&names)
    .bind(&descriptions)
    .execute(&mut **tx)
    .await
    .context("seeds/catalogue/product_texts.csv")?;
    let slugs: Vec<&str> = rows.iter().map(|r| r.slug.as_str()).collect();
    let cyrillic: Vec<&str> = rows
        .iter()
        .map(|r| r.description_sr_cyrl.as_str())
        .collect();
    sqlx::query(
        "UPDATE product_translations t SET description = r.description
         FROM UNNEST($1::text[], $2::text[]) AS r (slug, description), products p
         WHERE p.slug = r.slug AND t.product_id = p.id AND t.locale = 'sr-Cyrl' AND t.description IS NULL",
    )
    .bind(&slugs)
    .bind(&cyrillic)
    .execute(&mut **tx)
    .await
    .context("seeds/catalogue/product_texts.csv: Cyrillic descriptions")?;
    Ok(())
}

async fn load_products(
    tx: &mut Transaction<'_, Postgres>,
    products: &[ProductRow],
    substances: &[ProductSubstanceRow],
    packages: &[PackageRow],
) -> anyhow::Result<u64> {
    let mut inserted = 0;
    for p in products {
        let id: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO products (slug, brand_id, product_type, serving_size, serving_unit, energy_kcal_per_100g,
                                   protein_g_per_100g, carbohydrate_g_per_100g, fat_g_per_100g)
             SELECT $1, b.id, $3, $4, $5, $6, $7, $8, $9 FROM brands b WHERE b.slug = $2
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .bind(&p.slug)
        .bind(&p.brand_slug)
        .bind(&p.product_type)
        .bind(p.serving_size)
        .bind(&p.serving_unit)
        .bind(p.energy_kcal_per_100g)
        .bind(p.protein_g_per_100g)
        .bind(p.carbohydrate_g_per_100g)
        .bind(p.fat_g_per_100g)
        .fetch_optional(&mut **tx)
        .await
        .with_context(|| format!("loading product {}", p.slug))?;
        let Some(id) = id else { continue };
        inserted += 1;
        for (locale, name, description) in [
            ("en", &p.name_en, &p.description_en),
            ("sr-Latn", &p.name_sr_latn, &p.description_sr_latn),
            ("sr-Cyrl", &p.name_sr_cyrl, &None),
        ] {
            sqlx::query(
                "INSERT INTO product_translations (product_id, locale, name, description) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(locale)
            .bind(name)
            .bind(description)
            .execute(&mut **tx)
            .await?;
        }
        let allergens: Vec<&str> = p
            .allergens
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        sqlx::query(
            "INSERT INTO product_allergens (product_id, code) SELECT $1, unnest($2::text[])",
        )
        .bind(id)
        .bind(&allergens)
        .execute(&mut **tx)
        .await
        .with_context(|| format!("allergens of product {}", p.slug))?;
        let mine: Vec<&ProductSubstanceRow> = substances
            .iter()
            .filter(|s| s.product_slug == p.slug)
            .collect();
        let added = sqlx::query(
            "INSERT INTO product_substances (product_id, substance_id, amount_per_serving)
             SELECT $1, s.id, r.amount FROM UNNEST($2::text[], $3::numeric[]) AS r (code, amount)
             JOIN substances s ON s.code = r.code",
        )
        .bind(id)
        .bind(
            mine.iter()
                .map(|s| s.substance_code.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            mine.iter()
                .map(|s| s.amount_per_serving)
                .collect::<Vec<_>>(),
        )
        .execute(&mut **tx)
        .await?
        .rows_affected();
        anyhow::ensure!(
            added as usize == mine.len(),
            "seeds/catalogue: product {} names a substance that is not in substances.csv",
            p.slug
        );
        for pk in packages.iter().filter(|pk| pk.product_slug == p.slug) {
            sqlx::query(
                "INSERT INTO product_packages (product_id, size, size_unit, servings, gtin) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(pk.size)
            .bind(&pk.size_unit)
            .bind(pk.servings)
            .bind(&pk.gtin)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("package of product {}", p.slug))?;
        }
    }
    Ok(inserted)
}
