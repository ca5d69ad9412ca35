//! `/admin`: the admin dashboard, embedded in the binary (`assets/admin/`, served as
//! [`super::web`] describes). The page talks only to the public API (`/api/v1`), with the access
//! token held in memory; its session outlives a reload through `/admin/session`
//! ([`super::web_session`]).

use std::sync::OnceLock;

use poem::{Request, Response, handler, web::Path};

use super::web::{Layout, WebApp};

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/admin/"]
struct Files;

const LAYOUT: Layout = Layout {
    prefix: "/admin/assets/",
    templates: &["index.html"],
    extra_csp: "",
};

fn dashboard() -> &'static WebApp {
    static DASHBOARD: OnceLock<WebApp> = OnceLock::new();
    DASHBOARD.get_or_init(|| WebApp::build::<Files>(&LAYOUT))
}

/// `GET /admin`: the page.
#[handler]
pub fn page() -> Response {
    dashboard().template("index.html")
}

/// `GET /admin/assets/{hashed name}`.
#[handler]
pub fn asset(req: &Request, Path(name): Path<String>) -> Response {
    dashboard().asset(req, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_names_is_served_under_its_hash() {
        let dashboard = WebApp::build::<Files>(&LAYOUT);
        super::super::web::assert_complete(&dashboard, LAYOUT.prefix, LAYOUT.templates);
        let html = dashboard.rendered("index.html").unwrap();
        assert!(html.matches(LAYOUT.prefix).count() >= 3, "{html}");
    }

    #[test]
    fn every_locale_has_every_message_with_its_placeholders() {
        super::super::web::assert_locales_complete::<Files>();
    }
}
