//! The browser apps the binary serves (the admin dashboard, the athletes' app), embedded with
//! rust-embed: plain HTML, CSS and ES modules, no build step.
//!
//! Every file but the templates is served under a name carrying its content hash
//! (`/admin/assets/app-app.3f9c2a71d0.js`) with a year-long immutable cache and gzip. A page maps module
//! names to those URLs with an import map: `app/…` are the app's own files, `common/…` the ones both
//! apps share (`assets/common/`), so modules import `common/dom.js` and fetch
//! `import.meta.resolve("app/i18n/en.json")`. Templates (the page, a service worker, a manifest) are
//! served under fixed names, `no-cache`, with `{{file}}` replaced by that file's hashed URL,
//! `{{import_map}}` by the import map and `{{precache}}` by the URLs of the app's modules, styles and
//! interface strings (and of the shared modules it names). The page comes with a strict CSP: scripts from this origin
//! plus the import map's hash, nothing from elsewhere.

use std::{
    collections::{BTreeMap, HashMap},
    io::Write,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use poem::{
    IntoResponse, Request, Response,
    http::{HeaderValue, StatusCode, header},
};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

/// What both apps use: the DOM helpers, the API client, interface strings, charts.
#[derive(RustEmbed)]
#[folder = "assets/common/"]
struct Common;

struct Asset {
    mime: &'static str,
    body: Vec<u8>,
    /// The gzip encoding, when it is smaller.
    gzip: Option<Vec<u8>>,
}

/// One app's files, ready to serve.
pub struct WebApp {
    /// Templates by file name, rendered.
    templates: HashMap<String, Asset>,
    csp: String,
    /// By hashed name.
    assets: HashMap<String, Asset>,
    /// Every hashed URL, for templates and tests.
    urls: BTreeMap<String, String>,
}

/// How an app is laid out.
pub struct Layout {
    /// Where the hashed files are served (`/admin/assets/`).
    pub prefix: &'static str,
    /// Files served under fixed names rather than hashed: the page (`index.html`) and any other.
    pub templates: &'static [&'static str],
    /// Added to the page's CSP (`manifest-src 'self'; worker-src 'self'`).
    pub extra_csp: &'static str,
}

impl WebApp {
    /// The app in `Files` (its own) and `assets/common/`.
    pub fn build<Files: RustEmbed>(layout: &Layout) -> Self {
        let mut assets = HashMap::new();
        // Module specifier (`app/…`, `common/…`) → its hashed URL.
        let mut urls = BTreeMap::new();
        let mut add = |scope: &str, path: &str, file: rust_embed::EmbeddedFile| {
            let hash = hex(&file.metadata.sha256_hash()[..5]);
            let flat = format!("{scope}-{}", path.replace('/', "-"));
            let hashed = match flat.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{flat}.{hash}"),
            };
            assets.insert(hashed.clone(), asset(path, file.data.into_owned()));
            urls.insert(
                format!("{scope}/{path}"),
                format!("{}{hashed}", layout.prefix),
            );
        };
        for path in Files::iter().filter(|p| !layout.templates.contains(&p.as_ref())) {
            if let Some(file) = Files::get(&path) {
                add("app", &path, file);
            }
        }
        for path in Common::iter() {
            if let Some(file) = Common::get(&path) {
                add("common", &path, file);
            }
        }
        let import_map = serde_json::json!({ "imports": urls }).to_string();
        // The app's modules, styles and interface strings, and the shared modules it names.
        let own_text: String = Files::iter()
            .filter_map(|p| Files::get(&p))
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .collect();
        let precache = serde_json::to_string(
            &urls
                .iter()
                .filter(|(spec, _)| [".js", ".css", ".json"].iter().any(|e| spec.ends_with(e)))
                .filter(|(spec, _)| spec.starts_with("app/") || own_text.contains(spec.as_str()))
                .map(|(_, url)| url)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        let templates = layout
            .templates
            .iter()
            .filter_map(|name| {
                let file = Files::get(name)?;
                let mut text = String::from_utf8_lossy(&file.data)
                    .replace("{{import_map}}", &import_map)
                    .replace("{{precache}}", &precache);
                for (spec, url) in &urls {
                    let path = spec.split_once('/').map_or(spec.as_str(), |(_, p)| p);
                    let placeholder = match spec.starts_with("common/") {
                        true => format!("{{{{{spec}}}}}"),
                        false => format!("{{{{{path}}}}}"),
                    };
                    text = text.replace(&placeholder, url);
                }
                let template = Asset {
                    mime: mime(name),
                    body: text.into_bytes(),
                    gzip: None,
                };
                Some((name.to_string(), template))
            })
            .collect();
        let map_hash = STANDARD.encode(Sha256::digest(import_map.as_bytes()));
        let csp = format!(
            "default-src 'none'; script-src 'self' 'sha256-{map_hash}'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'{}",
            layout.extra_csp
        );
        Self {
            templates,
            csp,
            assets,
            urls,
        }
    }

    /// The template `name` (the page, `index.html`, with the CSP), never cached: it names the
    /// current files.
    pub fn template(&self, name: &str) -> Response {
        let Some(template) = self.templates.get(name) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut response = template
            .body
            .clone()
            .with_content_type(template.mime)
            .with_header(header::CACHE_CONTROL, "no-cache")
            .into_response();
        if let Ok(csp) = HeaderValue::from_str(&self.csp) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        response
    }

    /// The hashed file `name`: immutable, gzip when the client takes it.
    pub fn asset(&self, req: &Request, name: &str) -> Response {
        let Some(asset) = self.assets.get(name) else {
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

    /// The rendered template `name`, for tests.
    pub fn rendered(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(&self.templates.get(name)?.body).ok()
    }

    pub fn csp(&self) -> &str {
        &self.csp
    }

    /// Whether `url` (`/admin/assets/…`) is one of the hashed files.
    pub fn serves(&self, url: &str) -> bool {
        self.urls.values().any(|u| u == url)
    }
}

fn asset(path: &str, body: Vec<u8>) -> Asset {
    let gzip = gzip(&body).filter(|g| g.len() + 64 < body.len());
    Asset {
        mime: mime(path),
        body,
        gzip,
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
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("html") => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Checks shared by both apps' tests: every file a template names is served under its hash, nothing
/// is left unreplaced, and the CSP allows nothing from elsewhere.
#[cfg(test)]
pub fn assert_complete(app: &WebApp, prefix: &str, templates: &[&str]) {
    for name in templates {
        let text = app.rendered(name).unwrap_or_else(|| panic!("{name}"));
        assert!(!text.contains("{{"), "an unreplaced placeholder in {name}");
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i..];
            let url = &rest[..rest.find(['"', '\'']).unwrap_or(rest.len())];
            // The prefix alone is code matching the files, not a file.
            assert!(url == prefix || app.serves(url), "{name} names {url}");
        }
    }
    assert!(app.csp.contains("script-src 'self' 'sha256-"));
    assert!(!app.csp.contains("unsafe"));
}

/// Every interface locale of an app (`i18n/<locale>.json` in `Files`) has every message of the
/// English one, with the same placeholders, and the language menu offers exactly the locales the
/// product speaks.
#[cfg(test)]
pub fn assert_locales_complete<Files: RustEmbed>() {
    use std::collections::BTreeSet;
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
    let menu = String::from_utf8(Common::get("i18n.js").unwrap().data.into_owned()).unwrap();
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
