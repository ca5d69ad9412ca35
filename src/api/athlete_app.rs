//! `/`: the athletes' app, a progressive web app embedded in the binary (`assets/app/`, served as
//! [`super::web`] describes) on the public API only. Its service worker (`/sw.js`, whose scope is
//! the whole site) keeps the shell and the athlete's last plans and lists for when the connection
//! drops; its session outlives a reload through `/app/session` ([`super::web_session`]).

use std::sync::OnceLock;

use poem::{Request, Response, handler, web::Path};

use super::web::{Layout, WebApp};

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/app/"]
struct Files;

/// The service worker and the manifest have fixed names: browsers look for them there.
const LAYOUT: Layout = Layout {
    prefix: "/app/assets/",
    templates: &["index.html", "sw.js", "manifest.webmanifest"],
    extra_csp: "; manifest-src 'self'; worker-src 'self'",
};

fn app() -> &'static WebApp {
    static APP: OnceLock<WebApp> = OnceLock::new();
    APP.get_or_init(|| WebApp::build::<Files>(&LAYOUT))
}

/// `GET /`: the page.
#[handler]
pub fn page() -> Response {
    app().template("index.html")
}

/// `GET /sw.js`: the service worker. It names the current files' hashed URLs, so a change to any of
/// them is a new worker, which replaces the old one's cache of them.
#[handler]
pub fn service_worker() -> Response {
    app().template("sw.js")
}

/// `GET /manifest.webmanifest`: what installing the app shows.
#[handler]
pub fn manifest() -> Response {
    app().template("manifest.webmanifest")
}

/// `GET /app/assets/{hashed name}`.
#[handler]
pub fn asset(req: &Request, Path(name): Path<String>) -> Response {
    app().asset(req, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_served_under_its_hash() {
        let app = WebApp::build::<Files>(&LAYOUT);
        super::super::web::assert_complete(&app, LAYOUT.prefix, LAYOUT.templates);
        assert!(app.csp().contains("worker-src 'self'"));
        // The worker keeps every module and style the page loads, so the shell opens offline.
        let worker = app.rendered("sw.js").unwrap();
        let html = app.rendered("index.html").unwrap();
        let (before, rest) = html.split_once(r#"<script type="importmap">"#).unwrap();
        let loaded = format!("{before}{}", rest.split_once("</script>").unwrap().1);
        for (i, _) in loaded.match_indices(LAYOUT.prefix) {
            let rest = &loaded[i..];
            let url = &rest[..rest.find(['"', '\'']).unwrap_or(rest.len())];
            if url.ends_with(".js") || url.ends_with(".css") {
                assert!(worker.contains(url), "the worker keeps {url}");
            }
        }
    }

    #[test]
    fn every_locale_has_every_message_with_its_placeholders() {
        super::super::web::assert_locales_complete::<Files>();
    }
}
