//! The language of a response: `?lang=`, then the signed-in user's saved language, then
//! `Accept-Language` (by q-value), then `i18n.default_locale`. Every response says which it used in
//! `Content-Language`, and its problem+json errors are worded in it.

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, header},
};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};

use super::{error::ApiError, security::Caller};
use crate::{
    domain::{
        account::{LOCALES, Locale},
        invalid::Invalid,
    },
    i18n::{Arg, Messages},
};

/// A language as a request names it (`?lang=`, a `language` property) or an account holds it. The
/// document lists the supported codes; handlers read it with [`Locale::parse`], so any other value
/// is a 422 naming the field, reported with the request's other mistakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageTag(String);

impl LanguageTag {
    pub fn locale(&self) -> Result<Locale, Invalid> {
        Locale::parse(&self.0)
    }
}

impl From<String> for LanguageTag {
    fn from(code: String) -> Self {
        Self(code)
    }
}

impl std::ops::Deref for LanguageTag {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Type for LanguageTag {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_language".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            enum_items: LOCALES.iter().map(|&code| code.into()).collect(),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(std::iter::once(self))
    }
}

impl ParseFromParameter for LanguageTag {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(Self(value.to_owned()))
    }
}

impl ParseFromJSON for LanguageTag {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            serde_json::Value::String(code) => Ok(Self(code)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for LanguageTag {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(self.0.clone().into())
    }
}

/// What the request says about its language; handlers finish the choice with [`Negotiation::resolve`].
#[derive(Debug, Clone)]
pub struct Negotiation {
    /// A valid `?lang=`.
    explicit: Option<Locale>,
    /// The best supported language of `Accept-Language`.
    accepted: Option<Locale>,
    default: Locale,
    /// What the handler chose, for `Content-Language` and the wording of errors.
    used: Arc<Mutex<Option<Locale>>>,
}

impl Negotiation {
    pub fn new(lang: Option<&str>, accept_language: Option<&str>, default: Locale) -> Self {
        Self {
            explicit: lang.and_then(|l| Locale::parse(l).ok()),
            accepted: accept_language.and_then(best_accepted),
            default,
            used: Arc::default(),
        }
    }

    /// The response's locale: `lang` (invalid: 422 naming it), the caller's saved language, the
    /// `Accept-Language` header, the default.
    pub fn resolve(&self, lang: Option<&str>, caller: Option<&Caller>) -> Result<Locale, ApiError> {
        let locale = match lang {
            Some(raw) => Locale::parse(raw).map_err(|m| ApiError::invalid("lang", m))?,
            None => caller
                .map(|c| c.language)
                .or(self.accepted)
                .unwrap_or(self.default),
        };
        *self.used.lock().unwrap_or_else(|e| e.into_inner()) = Some(locale);
        Ok(locale)
    }

    /// The locale the response is in: the handler's choice, else what the request alone says.
    pub fn current(&self) -> Locale {
        (*self.used.lock().unwrap_or_else(|e| e.into_inner()))
            .or(self.explicit)
            .or(self.accepted)
            .unwrap_or(self.default)
    }
}

/// The supported locale a language tag asks for: `sr`, `sr-RS` and `sr-Latn-*` are Latin Serbian,
/// `sr-Cyrl-*` Cyrillic; other languages by their primary subtag (`en-GB` is `en`).
fn supported(tag: &str) -> Option<Locale> {
    let id: unic_langid::LanguageIdentifier = tag.trim().parse().ok()?;
    let code = match (id.language.as_str(), id.script.as_ref().map(|s| s.as_str())) {
        ("sr", Some("Cyrl")) => "sr-Cyrl",
        ("sr", _) => "sr-Latn",
        (lang @ ("en" | "hu" | "ro" | "ru" | "uk"), _) => lang,
        _ => return None,
    };
    Locale::parse(code).ok()
}

/// The best supported language of an `Accept-Language` header (RFC 9110 §12.5.4): highest q first,
/// then the order given; `q=0` and unsupported tags are skipped.
pub fn best_accepted(header: &str) -> Option<Locale> {
    let mut ranges: Vec<(f32, usize, Locale)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .next()
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            if !(q > 0.0 && q <= 1.0) {
                return None;
            }
            Some((q, i, supported(tag)?))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().next().map(|(_, _, l)| l)
}

/// The middleware: puts the [`Negotiation`] where handlers find it, then labels the response and
/// words its problem+json in the locale used.
pub fn language<E: Endpoint + 'static>(
    default: Locale,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    move |next: Arc<E>, mut req: Request| {
        let lang = req.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned())
        });
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let negotiation = Negotiation::new(lang.as_deref(), accept.as_deref(), default);
        req.extensions_mut().insert(negotiation.clone());
        Box::pin(async move {
            let mut response = next.call(req).await?.into_response();
            let locale = negotiation.current();
            if response.content_type() == Some(super::error::PROBLEM_JSON) {
                response = localize_problem(response, &locale).await;
            }
            if let Ok(value) = HeaderValue::from_str(locale.as_str()) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LANGUAGE, value);
            }
            Ok(response)
        })
    }
}

/// A problem+json body worded in `locale`: its title by its type, its generic detail, and every field
/// message that carries a `code` the catalogues know (with its `params`).
async fn localize_problem(response: Response, locale: &Locale) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = body.into_bytes().await else {
        return Response::from_parts(parts, poem::Body::empty());
    };
    let Ok(mut problem) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, bytes.into());
    };
    localize_problem_json(&mut problem, locale);
    let body = serde_json::to_vec(&problem)
        .map(poem::Body::from)
        .unwrap_or_else(|_| bytes.into());
    Response::from_parts(parts, body)
}

/// See [`localize_problem`].
pub fn localize_problem_json(problem: &mut serde_json::Value, locale: &Locale) {
    let messages = Messages::global();
    let kind = problem["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("/problems/"))
        .map(str::to_owned);
    if let Some(kind) = kind {
        let id = format!("problem-{kind}");
        if messages.has("en", &id) {
            problem["title"] = messages.get(locale, &id, &[]).into();
        }
        if let Some(code) = problem["detail_code"].as_str().map(str::to_owned) {
            let id = format!("detail-{code}");
            if messages.has("en", &id) {
                problem["detail"] = messages.get(locale, &id, &[]).into();
            }
        }
    }
    // get_mut: indexing mutably would insert `"errors": null` where there are none.
    if let Some(errors) = problem.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            let Some(code) = error["code"].as_str().map(str::to_owned) else {
                continue;
            };
            let id = format!("field-{code}");
            if !messages.has("en", &id) {
                continue;
            }
            let params: Vec<(String, String)> = error["params"]
                .as_object()
                .map(|p| {
                    p.iter()
                        .map(|(k, v)| {
                            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                            // Units are words too.
                            let unit = format!("unit-{v}");
                            let v = if k == "unit" && messages.has("en", &unit) {
                                messages.get(locale, &unit, &[])
                            } else {
                                v
                            };
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let args: Vec<(&str, Arg<'_>)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), Arg::from(v.as_str())))
                .collect();
            error["message"] = messages.get(locale, &id, &args).into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(l: Option<Locale>) -> Option<&'static str> {
        l.map(|l| l.as_str())
    }

    #[test]
    fn accept_language_by_q_value_then_order() {
        assert_eq!(code(best_accepted("hu, en;q=0.8")), Some("hu"));
        assert_eq!(
            code(best_accepted("de-DE, en-GB;q=0.5, ru;q=0.9")),
            Some("ru")
        );
        assert_eq!(code(best_accepted("sr-Cyrl-RS")), Some("sr-Cyrl"));
        assert_eq!(code(best_accepted("sr-RS, en;q=0.1")), Some("sr-Latn"));
        assert_eq!(
            code(best_accepted("uk;q=0.5, ro;q=0.5")),
            Some("uk"),
            "equal q: the first"
        );
        assert_eq!(code(best_accepted("en;q=0, de")), None, "q=0 refuses");
        assert_eq!(code(best_accepted("*, fr")), None);
        assert_eq!(
            code(best_accepted("en;q=abc")),
            None,
            "a malformed q is not 1"
        );
        assert_eq!(code(best_accepted("")), None);
    }

    proptest::proptest! {
        /// Clients send any header: the answer is a supported locale or none, never a panic.
        #[test]
        fn any_accept_language_header_is_answered(header in "\\PC{0,200}") {
            if let Some(l) = best_accepted(&header) {
                proptest::prop_assert!(
                    ["sr-Latn", "sr-Cyrl", "en", "hu", "ro", "ru", "uk"].contains(&l.as_str())
                );
            }
        }

        /// Unsupported and refused ranges never win over a supported one, whatever their q.
        #[test]
        fn a_supported_language_wins_over_unsupported_ones(
            others in proptest::collection::vec("(de|fr|it|zz|x-[a-z]{1,8}|\\*)(;q=0\\.[1-9])?", 0..6),
            wanted in proptest::sample::select(vec!["hu", "ro", "ru", "uk", "en-GB", "sr-Cyrl-RS"]),
            at in 0usize..6,
        ) {
            let mut ranges = others.clone();
            ranges.insert(at.min(ranges.len()), format!("{wanted};q=0.05"));
            let expected = if wanted == "en-GB" { "en" } else if wanted == "sr-Cyrl-RS" { "sr-Cyrl" } else { wanted };
            proptest::prop_assert_eq!(code(best_accepted(&ranges.join(", "))), Some(expected));
        }
    }

    #[test]
    fn lang_then_saved_then_header_then_default() {
        let default = Locale::parse("sr-Latn").unwrap();
        let n = Negotiation::new(None, Some("ru"), default);
        assert_eq!(n.resolve(None, None).unwrap().as_str(), "ru");
        assert_eq!(n.resolve(Some("hu"), None).unwrap().as_str(), "hu");
        assert_eq!(
            n.current().as_str(),
            "hu",
            "the last choice labels the response"
        );
        assert!(n.resolve(Some("xx"), None).is_err());
        let n = Negotiation::new(None, None, default);
        assert_eq!(n.current().as_str(), "sr-Latn");
    }

    #[test]
    fn problems_are_worded_in_the_locale() {
        let mut p = serde_json::json!({
            "type": "/problems/validation", "title": "Invalid input", "status": 422,
            "detail": "some fields are not valid", "detail_code": "validation",
            "errors": [
                { "field": "weight_kg", "message": "must be between 25 and 300 kg", "code": "range",
                  "params": { "min": "25", "max": "300", "unit": "kg" } },
                { "field": "x", "message": "left as it is" }
            ]
        });
        localize_problem_json(&mut p, &Locale::parse("sr-Latn").unwrap());
        assert_ne!(p["title"], "Invalid input");
        assert_ne!(p["detail"], "some fields are not valid");
        let message = p["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("25") && message.contains("300"),
            "{message}"
        );
        assert_ne!(message, "must be between 25 and 300 kg");
        assert_eq!(p["errors"][1]["message"], "left as it is");
        // English stays English, word for word.
        let mut e = serde_json::json!({ "type": "/problems/validation", "title": "Invalid input",
            "errors": [ { "field": "w", "message": "must be between 25 and 300 kg", "code": "range",
                          "params": { "min": "25", "max": "300", "unit": "kg" } } ] });
        localize_problem_json(&mut e, &Locale::parse("en").unwrap());
        assert_eq!(e["title"], "Invalid input");
        assert_eq!(e["errors"][0]["message"], "must be between 25 and 300 kg");
    }
}
