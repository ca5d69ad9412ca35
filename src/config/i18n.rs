//! The language of responses that name none.

use serde::{Deserialize, Serialize};

/// Languages.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct I18nConfig {
    /// The language of a response when neither `?lang=`, the user's saved language nor the
    /// `Accept-Language` header names a supported one.
    pub default_locale: String,
}

impl Default for I18nConfig {
    fn default() -> Self {
        Self {
            default_locale: "sr-Latn".into(),
        }
    }
}

impl I18nConfig {
    /// What is wrong with `[i18n]`, each naming its key.
    pub(super) fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Err(e) = crate::domain::account::Locale::parse(&self.default_locale) {
            errors.push(format!("i18n.default_locale: {e}"));
        }
        errors
    }
}
