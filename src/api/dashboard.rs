//! `/admin`: the admin dashboard, embedded in the binary (rust-embed, `assets/admin/`).
//!
//! Plain HTML, CSS and ES modules, no build step. Every file but the page itself is served under a
//! name carrying its content hash (`/admin/assets/app.3f9c2a71d0.js`) with a year-long immutable
//! cache and gzip; the page maps module names to those URLs with an import map (so modules import
//! `app/api.js` and fetch `import.meta.resolve("i18n/en.json")`), and is served `no-cache` with a
//! strict CSP: scripts from this origin plus the import map's hash, nothing from elsewhere. The
//! page talks only to the public API (`/api/v1`), with the access token held in memory; its session
//! outlives a reload through `/admin/session` ([`super::dashboard_session`]).

use std::{collections::HashMap, io::Write, sync::OnceLock};

use base64::{Engine, engine::general_purpose::STANDARD};
use poem::{
    IntoResponse, Request, Response, handler,
    http::{HeaderValue, StatusCode, header},
    web::Path,
};
use sha2::{Digest, Sha256};

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/admin/"]
struct Files;

/// Where the hashed files are served.
const PREFIX: &str = "/admin/assets/";

struct Asset {
    mime: &'static str,
    body: Vec<u8>,
    /// The gzip encoding, when it is smaller.
    gzip: Option<Vec<u8>>,
}

struct Dashboard {
    page: String,
    csp: String,
    /// By hashed name.
    assets: HashMap<String, Asset>,
}

fn dashboard() -> &'static Dashboard {
    static DASHBOARD: OnceLock<Dashboard> = OnceLock::new();
    DASHBOARD.get_or_init(build)
}

fn build() -> Dashboard {
    let mut assets = HashMap::new();
    // Module specifier (the file's path under assets/admin) → its hashed URL.
    let mut urls = std::collections::BTreeMap::new();
    for path in Files::iter().filter(|p| p != "index.html") {
        let Some(file) = Files::get(&path) else {
            continue;
        };
        let hash = hex(&file.metadata.sha256_hash()[..5]);
        let hashed = match path.rsplit_once('.') {
            Some((stem, ext)) => format!("{}.{hash}.{ext}", stem.replace('/', "-")),
            None => format!("{}.{hash}", path.replace('/', "-")),
        };
        let body = file.data.into_owned();
        let gzip = gzip(&body).filter(|g| g.len() + 64 < body.len());
        assets.insert(
            hashed.clone(),
            Asset {
                mime: mime(&path),
                body,
                gzip,
            },
        );
        urls.insert(path.to_string(), format!("{PREFIX}{hashed}"));
    }
    let import_map = serde_json::json!({ "imports": urls.iter()
        .map(|(path, url)| (format!("app/{path}"), serde_json::Value::from(url.clone())))
        .collect::<serde_json::Map<String, serde_json::Value>>() })
    .to_string();
    let template = Files::get("index.html")
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();
    let mut html = template.replace("{{import_map}}", &import_map);
    for (path, url) in &urls {
        html = html.replace(&format!("{{{{{path}}}}}"), url);
    }
    let map_hash = STANDARD.encode(Sha256::digest(import_map.as_bytes()));
    let csp = format!(
        "default-src 'none'; script-src 'self' 'sha256-{map_hash}'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    Dashboard {
        page: html,
        csp,
        assets,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn mime(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("html") => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// `GET /admin`: the page, never cached (it names the current files).
#[handler]
pub fn page() -> Response {
    let dashboard = dashboard();
    let mut response = dashboard
        .page
        .clone()
        .with_content_type("text/html; charset=utf-8")
        .with_header(header::CACHE_CONTROL, "no-cache")
        .into_response();
    if let Ok(csp) = HeaderValue::from_str(&dashboard.csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// `GET /admin/assets/{hashed name}`: immutable, gzip when the client takes it.
#[handler]
pub fn asset(req: &Request, Path(name): Path<String>) -> Response {
    let Some(asset) = dashboard().assets.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let accepts_gzip = super::rendered::accepts_gzip(req.headers());
    let builder = Response::builder()
        .content_type(asset.mime)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::VARY, "accept-encoding");
    match (&asset.gzip, accepts_gzip) {
        (Some(gzip), true) => builder
            .header(header::CONTENT_ENCODING, "gzip")
            .body(gzip.clone()),
        _ => builder.body(asset.body.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_served_under_its_hash() {
        let dashboard = build();
        assert!(!dashboard.page.contains("{{"), "an unreplaced placeholder");
        let names: Vec<&str> = dashboard
            .page
            .match_indices(PREFIX)
            .map(|(i, _)| {
                let rest = &dashboard.page[i + PREFIX.len()..];
                &rest[..rest.find(['"', '\'']).unwrap_or(rest.len())]
            })
            .collect();
        assert!(names.len() >= 5, "{names:?}");
        for name in names {
            assert!(dashboard.assets.contains_key(name), "{name}");
        }
        assert!(dashboard.csp.contains("script-src 'self' 'sha256-"));
        assert!(!dashboard.csp.contains("unsafe"));
    }

    /// Every interface locale has every message of the English one, with the same placeholders,
    /// and the language menu offers exactly the locales there are files for.
    #[test]
    fn every_locale_has_every_message_with_its_placeholders() {
        use std::collections::{BTreeMap, BTreeSet};
        let read = |name: &str| -> BTreeMap<String, String> {
            let file = Files::get(&format!("i18n/{name}.json")).expect(name);
            serde_json::from_slice(&file.data).expect(name)
        };
        let placeholders = |text: &str| -> BTreeSet<String> {
            text.split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                .collect()
        };
        let english = read("en");
        let locales: BTreeSet<String> = Files::iter()
            .filter_map(|f| {
                f.strip_prefix("i18n/")
                    .and_then(|f| f.strip_suffix(".json"))
                    .map(str::to_owned)
            })
            .collect();
        let expected: BTreeSet<String> = crate::domain::account::LOCALES
            .iter()
            .map(|l| (*l).to_owned())
            .collect();
        assert_eq!(locales, expected, "a file per locale the product speaks");
        let menu = String::from_utf8(Files::get("i18n.js").unwrap().data.into_owned()).unwrap();
        for locale in &locales {
            assert!(
                menu.contains(&format!("\"{locale}\":")) || menu.contains(&format!("  {locale}:")),
                "{locale} in the language menu"
            );
            let messages = read(locale);
            let missing: Vec<&String> = english
                .keys()
                .filter(|k| !messages.contains_key(*k))
                .collect();
            assert!(missing.is_empty(), "{locale} lacks {missing:?}");
            let extra: Vec<&String> = messages
                .keys()
                .filter(|k| !english.contains_key(*k))
                .collect();
            assert!(extra.is_empty(), "{locale} has unknown keys {extra:?}");
            for (key, text) in &english {
                assert_eq!(
                    placeholders(&messages[key]),
                    placeholders(text),
                    "{locale} {key}: {:?}",
                    messages[key]
                );
                assert!(!messages[key].trim().is_empty(), "{locale} {key} is empty");
            }
        }
    }
}
