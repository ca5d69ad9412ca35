//! Interface messages from Project Fluent catalogues (`assets/locales/<locale>/*.ftl`, embedded in the
//! binary), with plural rules per language, the fallback chain of [`Locale::chain`], and numbers and
//! money formatted per locale.

use std::{collections::HashMap, sync::LazyLock};

use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::account::{LOCALES, Locale};

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/locales/"]
struct Catalogues;

type Bundle = FluentBundle<FluentResource>;

/// Every locale's messages.
pub struct Messages {
    bundles: HashMap<&'static str, Bundle>,
}

/// A value for a message's variable.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    /// Text, inserted as is (numbers already formatted for the locale).
    Text(std::borrow::Cow<'a, str>),
    /// A count, which plural selectors choose by.
    Count(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s.into())
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(s.into())
    }
}

impl Messages {
    /// Parses the embedded catalogues; any syntax error or duplicate message is an error.
    pub fn load() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        for &code in LOCALES {
            let langid: unic_langid::LanguageIdentifier = code
                .parse()
                .map_err(|e| anyhow::anyhow!("locale {code}: {e:?}"))?;
            let mut bundle = Bundle::new_concurrent(vec![langid]);
            // API text goes into JSON, not into bidirectional UI text: no isolation marks.
            bundle.set_use_isolating(false);
            let prefix = format!("{code}/");
            for path in Catalogues::iter().filter(|p| p.starts_with(&prefix) && p.ends_with(".ftl"))
            {
                let file = Catalogues::get(&path).expect("listed file exists");
                let text = String::from_utf8(file.data.into_owned())
                    .map_err(|_| anyhow::anyhow!("{path}: not UTF-8"))?;
                let resource = FluentResource::try_new(text)
                    .map_err(|(_, errors)| anyhow::anyhow!("{path}: {errors:?}"))?;
                bundle
                    .add_resource(resource)
                    .map_err(|errors| anyhow::anyhow!("{path}: {errors:?}"))?;
            }
            bundles.insert(code, bundle);
        }
        Ok(Self { bundles })
    }

    /// The embedded catalogues, parsed once. They are checked by the tests, so this cannot fail in
    /// a released binary.
    pub fn global() -> &'static Messages {
        static MESSAGES: LazyLock<Messages> =
            LazyLock::new(|| Messages::load().expect("the embedded message catalogues parse"));
        &MESSAGES
    }

    /// The message `id` in `locale`, or in the first locale of its fallback chain that has it.
    pub fn get(&self, locale: &Locale, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(t) => fluent_args.set(*name, FluentValue::from(t.to_string())),
                Arg::Count(n) => fluent_args.set(*name, FluentValue::from(*n)),
            }
        }
        for code in locale.chain() {
            let Some(bundle) = self.bundles.get(code) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(id, locale = code, ?errors, "message formatted with errors");
            }
            return text.into_owned();
        }
        tracing::error!(id, "no catalogue has this message");
        id.to_owned()
    }

    /// Whether `locale`'s own catalogue has the message (no fallback).
    pub fn has(&self, locale: &str, id: &str) -> bool {
        self.bundles
            .get(locale)
            .is_some_and(|b| b.get_message(id).is_some())
    }
}

/// Decimal and group separators of a locale.
fn separators(locale: &Locale) -> (char, &'static str) {
    match locale.as_str() {
        "en" => ('.', ","),
        // CLDR: a no-break space groups digits in Hungarian, Russian and Ukrainian.
        "hu" | "ru" | "uk" => (',', "\u{a0}"),
        _ => (',', "."),
    }
}

/// `value` rounded to `places` decimals, grouped and punctuated for the locale (`1.234,5` in
/// Serbian, `1,234.5` in English); trailing zeros are dropped unless `keep_zeros`.
pub fn decimal(locale: &Locale, value: Decimal, places: u32, keep_zeros: bool) -> String {
    let rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    let text = if keep_zeros {
        format!("{:.*}", places as usize, rounded)
    } else {
        rounded.normalize().to_string()
    };
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let (point, group) = separators(locale);
    let mut grouped = String::new();
    for (i, digit) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(digit);
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// A float amount for display (`places` decimals at most).
pub fn number(locale: &Locale, value: f64, places: u32) -> String {
    decimal(
        locale,
        Decimal::try_from(value).unwrap_or_default(),
        places,
        false,
    )
}

/// Money with two decimals and the currency code: `1.234,50 RSD`.
pub fn money(locale: &Locale, value: Decimal, currency: &str) -> String {
    format!("{}\u{a0}{currency}", decimal(locale, value, 2, true))
}

#[cfg(test)]
mod tests {
    use rust_decimal::dec;

    use super::*;

    fn ids(locale: &str) -> Vec<String> {
        let mut ids: Vec<String> = Catalogues::iter()
            .filter(|p| p.starts_with(&format!("{locale}/")))
            .flat_map(|p| {
                let text =
                    String::from_utf8(Catalogues::get(&p).unwrap().data.into_owned()).unwrap();
                text.lines()
                    .filter_map(|l| l.split_once(" =").map(|(id, _)| id.to_owned()))
                    .filter(|id| {
                        id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                            && !id.contains(' ')
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_catalogue_parses_and_has_every_english_message() {
        let messages = Messages::load().unwrap();
        let english = ids("en");
        assert!(!english.is_empty());
        for &locale in LOCALES {
            for id in &english {
                assert!(messages.has(locale, id), "{locale} lacks {id}");
            }
            assert_eq!(ids(locale), english, "{locale} has the same messages as en");
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let m = Messages::global();
        let at = |locale: &str, n| {
            m.get(
                &Locale::parse(locale).unwrap(),
                "unit-servings",
                &[("count", Arg::Count(n))],
            )
        };
        assert_eq!(at("en", 1), "serving");
        assert_eq!(at("en", 2), "servings");
        // Russian: one (1, 21), few (2–4), many (5–20).
        assert_ne!(at("ru", 1), at("ru", 2));
        assert_ne!(at("ru", 2), at("ru", 5));
        assert_eq!(at("ru", 21), at("ru", 1));
        assert_eq!(at("ru", 22), at("ru", 2));
    }

    #[test]
    fn unknown_messages_fall_back_and_never_fail() {
        let m = Messages::global();
        let cyrl = Locale::parse("sr-Cyrl").unwrap();
        // Cyrillic has its own text; an id nobody has comes back as itself (and is logged).
        assert_ne!(
            m.get(&cyrl, "goal-mass", &[]),
            m.get(&Locale::parse("en").unwrap(), "goal-mass", &[])
        );
        assert_eq!(m.get(&cyrl, "no-such-message", &[]), "no-such-message");
    }

    #[test]
    fn numbers_and_money_per_locale() {
        let sr = Locale::parse("sr-Latn").unwrap();
        let en = Locale::parse("en").unwrap();
        let hu = Locale::parse("hu").unwrap();
        assert_eq!(money(&sr, dec!(1234.5), "RSD"), "1.234,50\u{a0}RSD");
        assert_eq!(
            money(&en, dec!(1234567.891), "RSD"),
            "1,234,567.89\u{a0}RSD"
        );
        assert_eq!(money(&hu, dec!(-999.999), "RSD"), "-1\u{a0}000,00\u{a0}RSD");
        assert_eq!(decimal(&sr, dec!(2.50), 2, false), "2,5");
        assert_eq!(number(&en, 240.0, 1), "240");
        assert_eq!(number(&sr, 0.125, 2), "0,13");
    }
}
