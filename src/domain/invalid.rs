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
