//! Catalogue value types (slugs, GTINs, web addresses, amounts) and what an offer costs once delivered.

use std::fmt;

use rust_decimal::Decimal;

use super::invalid::Invalid;

/// A URL-safe identifier: lower-case ASCII words joined by single hyphens, at most `max` characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str, max: usize) -> Result<Self, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= max
            && raw.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::Slug { max })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GS1 trade item number (GTIN-8, -12, -13 or -14) whose check digit is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gtin(String);

impl Gtin {
    /// Spaces and hyphens are ignored, as printed under barcodes.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !(digits.len() == 8 || (12..=14).contains(&digits.len()))
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Invalid::Gtin);
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let (body, check) = values.split_at(values.len() - 1);
        // GS1: weights 3 and 1 alternate from the digit next to the check digit.
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
            .sum();
        if (10 - sum % 10) % 10 == check[0] {
            Ok(Self(digits))
        } else {
            Err(Invalid::GtinCheckDigit)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What one order at a store costs: the goods, plus delivery unless the goods reach the store's
/// free-delivery threshold; and whether the store's minimum order is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub goods: Decimal,
    pub delivery_fee: Decimal,
    pub total: Decimal,
    pub below_min_order: bool,
}

pub fn delivered(
    goods: Decimal,
    fee: Decimal,
    free_from: Option<Decimal>,
    min_order: Decimal,
) -> Delivered {
    let delivery_fee = match free_from {
        Some(threshold) if goods >= threshold => Decimal::ZERO,
        _ => fee,
    };
    Delivered {
        goods,
        delivery_fee,
        total: goods + delivery_fee,
        below_min_order: goods < min_order,
    }
}

/// An absolute `http` or `https` address with a host, at most 2000 characters once normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(url::Url);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let url = url::Url::parse(raw.trim()).map_err(|_| Invalid::WebUrl)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::WebUrl);
        }
        if url.as_str().len() > 2000 {
            return Err(Invalid::TooLong { max: 2000 });
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Scheme, host, port and path only: user info, query and fragment may carry credentials.
    pub fn redacted(&self) -> String {
        let port = self.0.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{}{port}{}",
            self.0.scheme(),
            self.0.host_str().unwrap_or_default(),
            self.0.path()
        )
    }
}

/// A non-negative amount for a `numeric(precision, scale)` column: at most `scale` decimal places
/// (trailing zeros do not count) and `precision - scale` digits before the point.
pub fn numeric(value: Decimal, precision: u32, scale: u32) -> Result<Decimal, Invalid> {
    if value < Decimal::ZERO {
        return Err(Invalid::Negative);
    }
    let value = value.normalize();
    if value.scale() > scale {
        return Err(Invalid::DecimalPlaces { max: scale });
    }
    let limit = Decimal::from(10_u64.pow(precision - scale));
    if value >= limit {
        return Err(Invalid::Below {
            limit: limit.to_string(),
        });
    }
    Ok(value)
}

/// Money as stored (`numeric(12, 2)`): RSD with para, never negative.
pub fn money(value: Decimal) -> Result<Decimal, Invalid> {
    numeric(value, 12, 2)
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("muscle-shop", 80).is_ok());
        assert!(Slug::parse("iso-100", 80).is_ok());
        for bad in ["", "-a", "a-", "a--b", "Muscle", "mišić", "a b", "a_b"] {
            assert!(Slug::parse(bad, 80).is_err(), "{bad:?}");
        }
        assert!(Slug::parse(&"a".repeat(81), 80).is_err());
    }

    #[test]
    fn gtin_check_digits() {
        // EAN-13 and UPC-A from GS1's examples; GTIN-8; restricted-circulation demo numbers.
        for good in [
            "4006381333931",
            "036000291452",
            "96385074",
            "2000000000015",
            "400-6381 333931",
        ] {
            assert!(Gtin::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            Gtin::parse("400-6381 333931").unwrap().as_str(),
            "4006381333931"
        );
        assert_eq!(
            Gtin::parse("4006381333932").unwrap_err(),
            Invalid::GtinCheckDigit
        );
        for bad in [
            "",
            "123",
            "40063813339311234",
            "40063813339a1",
            "４００６３８１３３３９３１",
        ] {
            assert!(Gtin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn delivery_is_waived_from_the_threshold() {
        let d = delivered(dec!(4999.99), dec!(350), Some(dec!(5000)), dec!(1000));
        assert_eq!(
            (d.delivery_fee, d.total, d.below_min_order),
            (dec!(350), dec!(5349.99), false)
        );
        let d = delivered(dec!(5000), dec!(350), Some(dec!(5000)), dec!(1000));
        assert_eq!((d.delivery_fee, d.total), (dec!(0), dec!(5000)));
        let d = delivered(dec!(900), dec!(350), None, dec!(1000));
        assert_eq!((d.total, d.below_min_order), (dec!(1250), true));
    }

    #[test]
    fn web_urls_are_shown_without_credentials() {
        let url =
            WebUrl::parse(" https://ana:secret@Feeds.Example.rs:8443/cjenik.csv?token=abc#x ")
                .unwrap();
        assert_eq!(url.redacted(), "https://feeds.example.rs:8443/cjenik.csv");
        assert!(url.as_str().contains("token=abc"));
        assert_eq!(
            WebUrl::parse("http://shop.rs").unwrap().redacted(),
            "http://shop.rs/"
        );
        for bad in [
            "",
            "shop.rs",
            "ftp://shop.rs/x",
            "javascript:alert(1)",
            "https://",
            "file:///etc/passwd",
        ] {
            assert!(WebUrl::parse(bad).is_err(), "{bad:?}");
        }
        assert!(WebUrl::parse(&format!("https://shop.rs/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn amounts_fit_their_column() {
        assert_eq!(money(dec!(1299.90)), Ok(dec!(1299.9)));
        assert_eq!(money(dec!(0)), Ok(dec!(0)));
        assert_eq!(money(dec!(12.500)), Ok(dec!(12.5)));
        assert_eq!(money(dec!(-0.01)).unwrap_err(), Invalid::Negative);
        assert_eq!(
            money(dec!(1.001)).unwrap_err(),
            Invalid::DecimalPlaces { max: 2 }
        );
        assert!(money(dec!(9999999999.99)).is_ok());
        assert_eq!(
            money(dec!(10000000000)).unwrap_err(),
            Invalid::Below {
                limit: "10000000000".into()
            }
        );
        assert!(numeric(dec!(99.9), 5, 1).is_ok());
        assert!(numeric(dec!(10000), 5, 1).is_err());
    }
}
