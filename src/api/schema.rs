//! The served OpenAPI document, read back to name what was wrong when the framework refuses input:
//! which path parameter (`param0` internally) and which JSON property (poem-openapi reports the
//! type, not the property).

use std::sync::OnceLock;

use serde_json::Value;

use super::error::FieldError;
use crate::domain::invalid::Invalid;

/// A decimal as the API writes and reads it in a string: digits, an optional sign and fraction
/// (what `rust_decimal` parses exactly, within its 28 significant digits).
const DECIMAL_PATTERN: &str = r"^-?[0-9]{1,15}(\.[0-9]{1,13})?$";

/// The OpenAPI document `/openapi.json` and `/docs` serve: poem-openapi's, in the shapes clients
/// and code generators read (tests/clients generates a Python client and TypeScript types from it):
/// - dates say `date` (RFC 3339 full-date, what they are), not `naive-date`, which no tool knows;
/// - decimals, strings of any shape, get the pattern the server reads;
/// - a property that refers to another schema is a plain `$ref` (with its description beside it),
///   not `allOf: [{$ref}, {description}]`, which generators take for a new type: a duplicate model
///   class for an object, and for an enum no model at all, which drops every operation using it;
/// - JSON bodies are keyed `application/json`, not `application/json; charset=utf-8`, which typed
///   clients do not recognise as JSON;
/// - a price list sent as JSON is an array of items, not a binary string.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut spec: Value = serde_json::from_str(&super::openapi().spec())
            .expect("poem-openapi writes its document as JSON");
        standardize(&mut spec);
        if let Some(schema) = spec.pointer_mut(PRICE_LIST_JSON) {
            *schema = serde_json::json!({
                "type": "array",
                "description": "The price list's items, each with the CSV columns (or their aliases) as keys.",
                "items": { "type": "object", "additionalProperties": true },
            });
        }
        serde_json::to_string_pretty(&spec).expect("a JSON value serializes")
    })
}

/// The JSON body's schema of `POST /admin/stores/{id}/price-feed` (a binary string as poem-openapi
/// writes the upload's every content type).
const PRICE_LIST_JSON: &str =
    "/paths/~1admin~1stores~1{id}~1price-feed/post/requestBody/content/application~1json/schema";

fn standardize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            plain_reference(map);
            if let Some(Value::Object(content)) = map.get_mut("content") {
                let keys: Vec<String> = content
                    .keys()
                    .filter(|k| k.starts_with("application/json;"))
                    .cloned()
                    .collect();
                for key in keys {
                    if let Some(media) = content.remove(&key) {
                        content.entry("application/json").or_insert(media);
                    }
                }
            }
            match map.get("format").and_then(Value::as_str) {
                Some("naive-date") => {
                    map.insert("format".into(), "date".into());
                }
                Some("decimal") if map.get("type").and_then(Value::as_str) == Some("string") => {
                    map.entry("pattern")
                        .or_insert_with(|| DECIMAL_PATTERN.into());
                }
                _ => {}
            }
            map.values_mut().for_each(standardize);
        }
        Value::Array(items) => items.iter_mut().for_each(standardize),
        _ => {}
    }
}

/// `{allOf: [{$ref: X}, {description: D}], description: D}` → `{$ref: X, description: D}`.
fn plain_reference(map: &mut serde_json::Map<String, Value>) {
    let Some(Value::Array(all)) = map.get("allOf") else {
        return;
    };
    let mut reference = None;
    for member in all {
        let Value::Object(member) = member else {
            return;
        };
        match member.get("$ref") {
            Some(r) if member.len() == 1 && reference.is_none() => reference = Some(r.clone()),
            _ if member.keys().all(|k| k == "description") => {}
            _ => return,
        }
    }
    let Some(reference) = reference else {
        return;
    };
    if map.keys().any(|k| k != "allOf" && k != "description") {
        return;
    }
    map.remove("allOf");
    map.insert("$ref".into(), reference);
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(document()).unwrap_or_default())
}

/// The spec's path template (e.g. `/coach/athletes/{id}/profile`) matching a request path.
fn template_of(path: &str) -> Option<&'static str> {
    let path = path.strip_prefix("/api/v1")?;
    let segments: Vec<&str> = path.split('/').collect();
    spec()["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .find(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
}

/// The name of the `index`-th path parameter of the operation matching `path`.
pub fn path_parameter_name(path: &str, index: usize) -> Option<String> {
    template_of(path)?
        .split('/')
        .filter_map(|t| t.strip_prefix('{')?.strip_suffix('}'))
        .nth(index)
        .map(str::to_owned)
}

/// The first property of `body` that does not fit the operation's request schema, with why.
pub fn body_mismatch(method: &str, path: &str, body: &Value) -> Option<FieldError> {
    let operation = &spec()["paths"][template_of(path)?][method.to_ascii_lowercase()];
    let content = operation["requestBody"]["content"].as_object()?;
    let schema = content
        .iter()
        .find(|(k, _)| k.starts_with("application/json"))?
        .1
        .get("schema")?;
    mismatch(schema, body, "")
}

fn resolve(schema: &Value) -> &Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => resolve(&spec()["components"]["schemas"][name]),
        None => schema,
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A place in a body as a field name: its path, or `body` for the whole of it.
fn named(at: &str) -> String {
    if at.is_empty() {
        "body".to_owned()
    } else {
        at.to_owned()
    }
}

/// The first string or key of `body` holding the NUL character, as a field name (`items[0].name`;
/// a key shows it as `\u0000`).
pub fn nul_field(body: &Value) -> Option<String> {
    fn at_or_below(value: &Value, at: &str) -> Option<String> {
        match value {
            Value::String(text) if text.contains('\0') => Some(named(at)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| at_or_below(v, &format!("{}[{i}]", named(at)))),
            Value::Object(map) => map.iter().find_map(|(name, v)| {
                if name.contains('\0') {
                    Some(join(at, &name.replace('\0', "\\u0000")))
                } else {
                    at_or_below(v, &join(at, name))
                }
            }),
            _ => None,
        }
    }
    at_or_below(body, "")
}

fn mismatch(schema: &Value, value: &Value, at: &str) -> Option<FieldError> {
    let schema = resolve(schema);
    if value.is_null() {
        return None; // optional or nullable: a missing required property is reported by its parent
    }
    let field = || named(at);
    let expected = schema["type"].as_str();
    let fits = match expected {
        // poem-openapi also accepts numbers and booleans where it expects a string.
        Some("string") => value.is_string() || value.is_number() || value.is_boolean(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    };
    if !fits {
        return Some(FieldError::new(
            field(),
            Invalid::Type {
                kind: expected.unwrap_or("?").to_owned(),
            },
        ));
    }
    if let Some(why) = format_mismatch(schema["format"].as_str().unwrap_or(""), value) {
        return Some(FieldError::new(field(), why));
    }
    if let (Some(allowed), Some(s)) = (schema["enum"].as_array(), value.as_str()) {
        if !allowed.iter().any(|a| a == s) {
            let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            return Some(FieldError::new(field(), Invalid::one_of(&names)));
        }
    }
    match value {
        Value::Object(map) => {
            for required in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if map.get(required).is_none_or(Value::is_null) {
                    return Some(FieldError::new(join(at, required), Invalid::Required));
                }
            }
            match schema["properties"].as_object() {
                Some(properties) => map
                    .iter()
                    .find_map(|(name, v)| mismatch(properties.get(name)?, v, &join(at, name))),
                // A map (`additionalProperties`): every value has the same schema.
                None => map.iter().find_map(|(name, v)| {
                    mismatch(&schema["additionalProperties"], v, &join(at, name))
                }),
            }
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| mismatch(&schema["items"], v, &format!("{}[{i}]", field()))),
        _ => None,
    }
}

/// Why `value` does not have the schema's `format`, for the formats our types use.
fn format_mismatch(format: &str, value: &Value) -> Option<Invalid> {
    use time::format_description::well_known::Rfc3339;
    let text = value.as_str();
    let fits = match format {
        "date" => text.is_some_and(|t| {
            time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
        }),
        "date-time" => text.is_some_and(|t| time::OffsetDateTime::parse(t, &Rfc3339).is_ok()),
        "uuid" => text.is_some_and(|t| uuid::Uuid::parse_str(t).is_ok()),
        "decimal" => {
            value.is_number() || text.is_some_and(|t| t.parse::<rust_decimal::Decimal>().is_ok())
        }
        "uint16" => value.as_u64().is_some_and(|n| n <= u64::from(u16::MAX)),
        "uint32" => value.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
        "uint64" => value.is_u64(),
        "int32" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        _ => true,
    };
    (!fits).then_some(match format {
        "date" => Invalid::Date,
        "date-time" => Invalid::DateTime,
        "uuid" => Invalid::Uuid,
        "decimal" => Invalid::Decimal,
        "uint16" | "uint32" | "uint64" => Invalid::WholeNumber,
        _ => Invalid::OutOfTypeRange,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_the_property_that_does_not_fit() {
        let at = |body: Value| body_mismatch("POST", "/api/v1/auth/login", &body).map(|e| e.field);
        assert_eq!(
            at(json!({ "email": "a@b.rs", "password": ["x"] })),
            Some("password".into())
        );
        assert_eq!(at(json!({ "password": "x" })), Some("email".into()));
        assert_eq!(at(json!([1])), Some("body".into()));
        assert_eq!(at(json!({ "email": "a@b.rs", "password": "x" })), None);
    }

    #[test]
    fn checks_formats_of_dates_and_unsigned_numbers() {
        let at = |body: Value| body_mismatch("POST", "/api/v1/progress", &body).map(|e| e.field);
        assert_eq!(at(json!({ "date": "2026-02-30" })), Some("date".into()));
        assert_eq!(
            at(json!({ "date": "2026-02-28", "energy_kcal": -1 })),
            Some("energy_kcal".into())
        );
        assert_eq!(
            at(json!({ "date": "2026-02-28", "training_load": "extreme" })),
            Some("training_load".into())
        );
        assert_eq!(
            at(json!({ "date": "2026-02-28", "energy_kcal": 2000 })),
            None
        );
    }

    #[test]
    fn checks_decimals_small_integers_and_map_values() {
        let at = |path: &str, body: Value| body_mismatch("POST", path, &body).map(|e| e.field);
        let store = |field: &str, value: Value| {
            let mut body = json!({ "slug": "s", "name": "S", "delivery_fee": "350.00", "min_order": 0, "is_active": true });
            body[field] = value;
            at("/api/v1/admin/stores", body)
        };
        assert_eq!(
            store("delivery_fee", json!("lots")),
            Some("delivery_fee".into())
        );
        assert_eq!(
            store("delivery_days_min", json!(-1)),
            Some("delivery_days_min".into())
        );
        assert_eq!(store("delivery_fee", json!(350.5)), None);
        let substance = json!({ "code": "zinc", "unit": "mg", "names": { "en": ["Zinc"] } });
        assert_eq!(
            at("/api/v1/admin/substances", substance),
            Some("names.en".into())
        );
    }

    #[test]
    fn follows_references_to_enums() {
        let e = body_mismatch(
            "PUT",
            "/api/v1/admin/users/0190/role",
            &json!({ "role": "root" }),
        )
        .unwrap();
        assert_eq!(e.field, "role");
        assert!(e.message.contains("athlete"), "{}", e.message);
    }

    #[test]
    fn the_document_says_date_and_gives_decimals_their_pattern() {
        let doc: Value = serde_json::from_str(document()).unwrap();
        let text = doc.to_string();
        assert!(!text.contains("naive-date"));
        let progress = &doc["components"]["schemas"]["NewProgressEntry"]["properties"];
        assert_eq!(resolve(&progress["date"])["format"], "date");
        let store = &doc["components"]["schemas"]["StoreInput"]["properties"];
        assert_eq!(resolve(&store["delivery_fee"])["pattern"], DECIMAL_PATTERN);
        // Every string the pattern allows is a decimal the server reads, the longest ones too.
        let pattern = regex::Regex::new(DECIMAL_PATTERN).unwrap();
        for text in [
            "0",
            "-1299.90",
            "999999999999999.9999999999999",
            "-000000000000000.0000000000001",
        ] {
            assert!(pattern.is_match(text), "{text}");
            assert!(text.parse::<rust_decimal::Decimal>().is_ok(), "{text}");
        }
        for text in ["", "1.", ".5", "1e5", "+1", "1,5", "NaN", "1 000"] {
            assert!(!pattern.is_match(text), "{text}");
        }
    }

    #[test]
    fn references_are_plain_and_json_is_application_json() {
        let doc: Value = serde_json::from_str(document()).unwrap();
        let text = doc.to_string();
        assert!(!text.contains("allOf"), "no allOf wrapper is left");
        assert!(!text.contains("charset=utf-8"));
        let training = &doc["components"]["schemas"]["Calculate"]["properties"]["training"];
        assert_eq!(training["$ref"], "#/components/schemas/TrainingLoadName");
        assert!(training["description"].as_str().is_some());
        let progress = &doc["paths"]["/progress"]["post"];
        assert!(progress["requestBody"]["content"]["application/json"].is_object());
        assert!(progress["responses"]["201"]["content"]["application/json"].is_object());
        let price_list = doc.pointer(PRICE_LIST_JSON).unwrap();
        assert_eq!(price_list["type"], "array");
        // What an upload sends as bytes stays bytes.
        let feed = &doc["paths"]["/admin/stores/{id}/price-feed"]["post"]["requestBody"]["content"];
        assert_eq!(feed["text/csv"]["schema"]["format"], "binary");
    }

    #[test]
    fn names_path_parameters() {
        assert_eq!(
            path_parameter_name("/api/v1/coach/athletes/x/profile", 0).as_deref(),
            Some("id")
        );
        assert_eq!(
            path_parameter_name("/api/v1/account/coaches/x", 0).as_deref(),
            Some("coach_id")
        );
        assert_eq!(path_parameter_name("/nowhere", 0), None);
    }
}
