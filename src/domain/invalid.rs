//! Why a value is not acceptable, as a kind with the values its message names: the checks say which
//! kind, and the API words it once, in every language (`field-<code>` in the message catalogues).

use std::fmt;

/// One invalid value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Empty,
    /// Outside `min`–`max` `unit`, as the message words them.
    Range {
        min: String,
        max: String,
        unit: String,
    },
    /// Longer than `max` characters.
    TooLong {
        max: usize,
    },
    /// Not one of `values` (their names, comma-separated).
    OneOf {
        values: String,
    },
    Required,
    /// A JSON value of another type than `kind`.
    Type {
        kind: String,
    },
    Date,
    DateTime,
    Uuid,
    Decimal,
    WholeNumber,
    /// A number beyond what its type holds.
    OutOfTypeRange,
    NulCharacter,
    /// Unreadable as sent; `reason` says how (in English).
    Malformed {
        reason: String,
    },
    /// Zero or below where only an amount above zero makes sense.
    Positive,
    Negative,
    /// More decimal places than the stored column keeps.
    DecimalPlaces {
        max: u32,
    },
    /// At or above `limit`, the first value the stored column cannot hold.
    Below {
        limit: String,
    },
    AtMost {
        max: String,
    },
    /// More than `max` days.
    MaxDays {
        max: u32,
    },
    /// A period shorter than `min` or longer than `max` days.
    PeriodDays {
        min: u32,
        max: u32,
    },
    /// Not a slug of 1 to `max` characters: lower-case words of letters and digits joined by hyphens.
    Slug {
        max: usize,
    },
    /// Not a substance code: 2 to 63 lower-case letters, digits or underscores, starting with a letter.
    SubstanceCode,
    /// Not 8, 12, 13 or 14 digits.
    Gtin,
    GtinCheckDigit,
    /// Not an absolute `http` or `https` URL with a host.
    WebUrl,
    /// Not an ISO 3166-1 alpha-2 country code.
    Country,
    /// Not a number of days, weeks, months or years (`30d`, `12w`, `3m`, `1y`).
    Period,
    /// A check with a message of its own, worded in English only.
    Other(String),
}

impl Invalid {
    /// Not one of these names.
    pub fn one_of<S: AsRef<str>>(names: &[S]) -> Self {
        Self::OneOf {
            values: names
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The stable code API clients and the message catalogues know it by; `None` for [`Self::Other`].
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Self::Empty => "empty",
            Self::Range { .. } => "range",
            Self::TooLong { .. } => "too_long",
            Self::OneOf { .. } => "one_of",
            Self::Required => "required",
            Self::Type { .. } => "type",
            Self::Date => "date",
            Self::DateTime => "date_time",
            Self::Uuid => "uuid",
            Self::Decimal => "decimal",
            Self::WholeNumber => "whole_number",
            Self::OutOfTypeRange => "out_of_type_range",
            Self::NulCharacter => "nul_character",
            Self::Malformed { .. } => "malformed",
            Self::Positive => "positive",
            Self::Negative => "negative",
            Self::DecimalPlaces { .. } => "decimal_places",
            Self::Below { .. } => "below",
            Self::AtMost { .. } => "at_most",
            Self::MaxDays { .. } => "max_days",
            Self::PeriodDays { .. } => "period_days",
            Self::Slug { .. } => "slug",
            Self::SubstanceCode => "substance_code",
            Self::Gtin => "gtin",
            Self::GtinCheckDigit => "gtin_check_digit",
            Self::WebUrl => "web_url",
            Self::Country => "country",
            Self::Period => "period",
            Self::Other(_) => return None,
        })
    }

    /// The values the message names, by the names the message catalogues use.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Range { min, max, unit } => vec![
                ("min", min.clone()),
                ("max", max.clone()),
                ("unit", unit.clone()),
            ],
            Self::TooLong { max } => vec![("max", max.to_string())],
            Self::OneOf { values } => vec![("values", values.clone())],
            Self::Type { kind } => vec![("type", kind.clone())],
            Self::Malformed { reason } => vec![("reason", reason.clone())],
            Self::DecimalPlaces { max } => vec![("max", max.to_string())],
            Self::Below { limit } => vec![("limit", limit.clone())],
            Self::AtMost { max } => vec![("max", max.clone())],
            Self::MaxDays { max } => vec![("max", max.to_string())],
            Self::PeriodDays { min, max } => {
                vec![("min", min.to_string()), ("max", max.to_string())]
            }
            Self::Slug { max } => vec![("max", max.to_string())],
            _ => Vec::new(),
        }
    }
}

/// The message in English.
impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::Range { min, max, unit } => write!(f, "must be between {min} and {max} {unit}"),
            Self::TooLong { max } => write!(f, "must be at most {max} characters"),
            Self::OneOf { values } => write!(f, "must be one of {values}"),
            Self::Required => f.write_str("is required"),
            Self::Type { kind } => write!(f, "must be of type {kind}"),
            Self::Date => f.write_str("must be a calendar date, YYYY-MM-DD"),
            Self::DateTime => f.write_str("must be an RFC 3339 date and time"),
            Self::Uuid => f.write_str("must be a UUID"),
            Self::Decimal => f.write_str("must be a decimal number, e.g. \"1299.90\""),
            Self::WholeNumber => f.write_str("must be a whole number, zero or more"),
            Self::OutOfTypeRange => f.write_str("is out of range for its type"),
            Self::NulCharacter => f.write_str("must not contain the NUL character (U+0000)"),
            Self::Malformed { reason } => f.write_str(reason),
            Self::Positive => f.write_str("must be above 0"),
            Self::Negative => f.write_str("must not be negative"),
            Self::DecimalPlaces { max } => write!(f, "must have at most {max} decimal places"),
            Self::Below { limit } => write!(f, "must be below {limit}"),
            Self::AtMost { max } => write!(f, "must be at most {max}"),
            Self::MaxDays { max } => write!(f, "must be at most {max} days"),
            Self::PeriodDays { min, max } => write!(f, "must cover {min} to {max} days"),
            Self::Slug { max } => write!(
                f,
                "must be 1 to {max} lower-case letters and digits in words joined by single hyphens"
            ),
            Self::SubstanceCode => f.write_str(
                "must be 2 to 63 lower-case letters, digits or underscores, starting with a letter",
            ),
            Self::Gtin => f.write_str("must be 8, 12, 13 or 14 digits"),
            Self::GtinCheckDigit => f.write_str("has a wrong check digit"),
            Self::WebUrl => f.write_str("must be an absolute http or https URL with a host"),
            Self::Country => f.write_str("must be an ISO 3166-1 alpha-2 country code, e.g. RS"),
            Self::Period => f.write_str(
                "must be a number of days, weeks, months or years, e.g. 30d, 12w, 3m, 1y",
            ),
            Self::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Invalid {}

impl From<String> for Invalid {
    fn from(message: String) -> Self {
        Self::Other(message)
    }
}

impl From<&str> for Invalid {
    fn from(message: &str) -> Self {
        Self::Other(message.to_owned())
    }
}
