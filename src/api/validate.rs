//! Checks shared by every resource's input: one answer that names every invalid field, and the
//! text, URL and code checks the resources have in common.

use std::collections::{BTreeMap, HashSet};

use super::error::FieldError;
use crate::domain::{account::Locale, catalogue::WebUrl, invalid::Invalid};

/// Every invalid field of a request, so that one answer names them all.
#[derive(Default)]
pub struct Check(Vec<FieldError>);

impl Check {
    /// The value, or `None` with the field's message recorded.
    pub fn ok<T, E: Into<Invalid>>(&mut self, field: &str, checked: Result<T, E>) -> Option<T> {
        checked
            .map_err(|message| self.0.push(FieldError::new(field, message)))
            .ok()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<Invalid>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_clean(&self) -> bool {
        self.0.is_empty()
    }

    /// The answer naming every field recorded: a service's invalid fields, or the API's 422.
    pub fn into_error<E: From<crate::service::Error>>(self) -> E {
        crate::service::Error::Invalid(self.0).into()
    }

    /// The entries of a map keyed by locale, as (locale, field name, value); unknown and repeated
    /// locales are recorded.
    pub fn locales<V>(
        &mut self,
        field: &str,
        map: BTreeMap<String, V>,
    ) -> Vec<(&'static str, String, V)> {
        let mut seen = HashSet::new();
        let mut entries = Vec::new();
        for (key, value) in map {
            let at = format!("{field}.{}", shown(&key));
            match Locale::parse(&key) {
                Ok(locale) if !seen.insert(locale.as_str()) => {
                    self.add(at, format!("repeats the locale {}", locale.as_str()))
                }
                Ok(locale) => entries.push((locale.as_str(), at, value)),
                Err(message) => self.add(at, format!("is not a locale: {message}")),
            }
        }
        entries
    }
}

/// At most 40 characters of what a client sent, to quote it back.
pub fn shown(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// Trimmed text of 1 to `max` characters.
pub fn text(raw: &str, max: usize) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        Err(Invalid::Empty)
    } else if trimmed.chars().count() > max {
        Err(Invalid::TooLong { max })
    } else {
        Ok(trimmed.to_owned())
    }
}

/// Optional text of at most `max` characters; blank is absent.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => text(t, max).map(Some),
        None => Ok(None),
    }
}

/// An `http` or `https` URL that a client may be sent to.
pub fn web_url(raw: &str) -> Result<String, Invalid> {
    WebUrl::parse(raw).map(|u| u.as_str().to_owned())
}

/// A substance code: a lower-case letter, then letters, digits or underscores; 2 to 63 in all.
pub fn substance_code(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim();
    let ok = (2..=63).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(code.to_owned())
    } else {
        Err(Invalid::SubstanceCode)
    }
}
