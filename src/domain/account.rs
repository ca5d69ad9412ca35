//! Accounts: e-mail addresses, passwords, roles and interface languages, parsed once at the edge.

use std::fmt;

use super::invalid::Invalid;

/// A normalised e-mail address: trimmed, lower-case, syntactically valid, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(Invalid::Empty);
        }
        if email.len() > 254 {
            return Err(Invalid::TooLong { max: 254 });
        }
        // email_address follows RFC 5321/5322; we also insist on a dotted domain (no `user@localhost`)
        // and on plain characters, so an address cannot smuggle quotes or control characters into logs.
        let parsed = email_address::EmailAddress::parse_with_options(
            &email,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| "is not a valid e-mail address".to_string())?;
        if !parsed.domain().contains('.')
            || email
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || "\"\\<>()[],;:".contains(c))
        {
            return Err("is not a valid e-mail address".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shortest accepted password, in characters (NIST SP 800-63B recommends length over composition rules).
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest accepted password; bounds the hashing work one request can ask for.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Passwords long enough to pass the length rule that still top breached-password lists.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// A password acceptable as a new password: long enough, not too long, not common, not the e-mail.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(format!("must be at least {PASSWORD_MIN_CHARS} characters").into());
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(Invalid::TooLong {
                max: PASSWORD_MAX_CHARS,
            });
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .any(|common| !common.is_empty() && !common.starts_with('#') && common == lower)
        {
            return Err("is one of the most common passwords; choose another".into());
        }
        if lower
            .chars()
            .all(|c| c == lower.chars().next().unwrap_or(c))
        {
            return Err("must not repeat a single character".into());
        }
        if let Some(email) = email {
            let local = email.as_str().split('@').next().unwrap_or_default();
            if lower == email.as_str() || (local.len() >= 4 && lower.contains(local)) {
                return Err("must not contain your e-mail address".into());
            }
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// What a user may do. Athletes own their data; coaches read athletes who granted them access;
/// admins run the catalogue and the appliance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Athlete,
    Coach,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Athlete => "athlete",
            Role::Coach => "coach",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "athlete" => Ok(Role::Athlete),
            "coach" => Ok(Role::Coach),
            "admin" => Ok(Role::Admin),
            _ => Err(Invalid::one_of(&["athlete", "coach", "admin"])),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = Invalid;

    fn try_from(raw: String) -> Result<Self, Invalid> {
        Role::parse(&raw)
    }
}

/// Interface languages; the database's `locales` table holds the same codes and their fallbacks.
pub const LOCALES: &[&str] = &["sr-Latn", "sr-Cyrl", "en", "hu", "ro", "ru", "uk"];

/// A supported interface language (BCP 47 tag as listed in [`LOCALES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale(&'static str);

impl Locale {
    pub const DEFAULT: Locale = Locale("sr-Latn");

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        LOCALES
            .iter()
            .find(|code| code.eq_ignore_ascii_case(raw.trim()))
            .map(|code| Locale(code))
            .ok_or_else(|| Invalid::one_of(LOCALES))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// Where a missing translation is looked up, this locale first; the same chain as the
    /// database's `locales.fallback` (Cyrillic Serbian falls back to Latin, everything to English).
    pub fn chain(&self) -> &'static [&'static str] {
        match self.0 {
            "sr-Cyrl" => &["sr-Cyrl", "sr-Latn", "en"],
            "sr-Latn" => &["sr-Latn", "en"],
            "hu" => &["hu", "en"],
            "ro" => &["ro", "en"],
            "ru" => &["ru", "en"],
            "uk" => &["uk", "en"],
            _ => &["en"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ana.Petrovic@Example.RS ").unwrap().as_str(),
            "ana.petrovic@example.rs"
        );
    }

    #[test]
    fn bad_emails_are_refused() {
        for bad in [
            "",
            "   ",
            "ana",
            "ana@",
            "@example.rs",
            "ana@localhost",
            "ana petrovic@example.rs",
            "\"ana\"@example.rs",
            "ana@exa\nmple.rs",
            "Ana <ana@example.rs>",
            "ana@[127.0.0.1]",
            &format!("{}@example.rs", "a".repeat(250)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn password_rules() {
        let email = Email::parse("marko.markovic@example.rs").unwrap();
        assert!(NewPassword::parse("short", None).is_err());
        assert!(NewPassword::parse(&"x".repeat(257), None).is_err());
        assert!(
            NewPassword::parse(&"ž".repeat(256), None).is_err(),
            "one char"
        );
        assert!(NewPassword::parse("Password123", None).is_err(), "common");
        assert!(NewPassword::parse("aaaaaaaaaaaa", None).is_err());
        assert!(NewPassword::parse("marko.markovic!!", Some(&email)).is_err());
        let ok = NewPassword::parse("kajmak i ajvar 2026", Some(&email)).unwrap();
        assert_eq!(ok.expose(), "kajmak i ajvar 2026");
        assert!(!format!("{ok:?}").contains("kajmak"));
        // Length counts characters, not bytes: ten Cyrillic letters are enough.
        assert!(NewPassword::parse("љубичастој", None).is_ok());
    }

    #[test]
    fn roles_and_locales_round_trip() {
        for role in [Role::Athlete, Role::Coach, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
        assert_eq!(Locale::parse("sr-cyrl").unwrap().as_str(), "sr-Cyrl");
        assert!(Locale::parse("de").is_err());
    }
}
