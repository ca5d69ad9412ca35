//! The HTTP API: poem-openapi services per resource under `/api/v1`, the spec and docs, and the
//! operational endpoints, wrapped in the request-path middleware.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod athlete_app;
pub mod auth;
pub mod backups;
pub mod catalogue;
pub mod catalogue_admin;
pub mod coach;
pub mod confirmations;
pub mod dashboard;
pub mod dishes;
pub mod enums;
pub mod error;
pub mod feeds;
pub mod health;
pub mod health_profile;
pub mod language;
pub mod meal_plans;
pub mod metrics;
pub mod middleware;
pub mod nutrition;
pub mod operations;
pub mod progress;
pub mod rendered;
pub mod responses;
pub mod safety_rules;
pub mod schema;
pub mod security;
pub mod settings;
pub mod supplements;
pub mod tls;
pub mod validate;
pub mod web;
pub mod web_session;

use std::{sync::Arc, time::Instant};

use ipnet::IpNet;
use poem::{Endpoint, EndpointExt, Route, get, middleware::Cors};
use poem_openapi::{OpenApiService, Tags};
use sqlx::PgPool;

use crate::{
    auth::{password::Hasher, token::AccessTokens},
    cache::rate_limit::RateLimiter,
    config::{Config, RunMode},
    db::Mode,
};

/// Shared by every handler: one reference count, since every request clones it.
#[derive(Clone)]
pub struct AppState(Arc<NodeState>);

impl AppState {
    pub fn new(state: NodeState) -> Self {
        Self(Arc::new(state))
    }
}

impl std::ops::Deref for AppState {
    type Target = NodeState;

    fn deref(&self) -> &NodeState {
        &self.0
    }
}

/// What the handlers of one node share.
pub struct NodeState {
    pub pool: PgPool,
    pub db_mode: Mode,
    pub started: Instant,
    pub max_connections: u32,
    pub tokens: Arc<AccessTokens>,
    pub hasher: Hasher,
    pub limiter: RateLimiter,
    /// How long sessions live.
    pub session_terms: crate::db::sessions::Terms,
    /// Seconds within which destructive admin operations need the password entered again.
    pub reauthentication_window_secs: u64,
    pub trusted_proxies: Arc<[IpNet]>,
    pub mode: RunMode,
    pub fetcher: crate::ops::feeds::Fetcher,
    /// The solver threads of the planners, with every request's work budget.
    pub compute: crate::ops::compute::ComputePool,
    /// The open connections, to stop the requests of clients that hang up.
    pub connections: crate::ops::connections::Connections,
    pub cache: crate::cache::Cache,
    pub backups: crate::ops::backup::Backups,
    /// On while a restore swaps the database: writes are refused with 503.
    pub maintenance: crate::ops::maintenance::Maintenance,
    /// Latency and errors of the requests this node served lately, for the self-check.
    pub requests: crate::ops::metrics::RequestWindow,
    /// This node's self-check (and the alerts it raises).
    pub self_check: crate::ops::selfcheck::SelfCheck,
    /// The certificate served, with HTTPS.
    pub tls: Option<Arc<crate::ops::tls::CertResolver>>,
    /// Certificates from an ACME CA (`tls.mode = "acme"`).
    pub acme: Option<crate::ops::acme::Acme>,
    /// Who may read `GET /metrics`.
    pub metrics: metrics::MetricsAccess,
    /// The effective configuration, redacted (`GET /admin/settings`).
    pub settings: Arc<Vec<settings::Setting>>,
    /// The database probe `/api/v1/health` and `/ready` share.
    pub db_probe: health::SharedProbe,
    /// Where this node wrote its first-run setup link, removed once the link has been used.
    pub setup_link_file: std::path::PathBuf,
}

#[derive(Tags)]
pub enum ApiTags {
    /// Node health for operators and load balancers
    Health,
    /// Registration, sign-in and sessions
    Auth,
    /// The athlete's health profile and the controlled vocabularies it uses
    Profile,
    /// Daily energy and macronutrient targets
    Nutrition,
    /// Supplements, brands, stores and prices
    Catalogue,
    /// The athlete's daily log and its trends
    Progress,
    /// Recommended supplements, their doses and the cheapest way to buy them
    Supplements,
    /// Ingredients, Serbian dishes and meal plans
    Food,
    /// The contraindication rules the safety screen applies
    Safety,
    /// The signed-in user's own account: profile, password, sessions, coaches, export and erasure
    Account,
    /// What coaches may read of the athletes who granted them access
    Coaching,
    /// Administration: users and the audit log
    Admin,
}

/// Every service of the API, listed once. poem-openapi takes tuples of up to 16 services and the
/// standard library builds `Default` tuples of up to 12, hence two groups.
type Apis = (
    (
        health::HealthApi,
        auth::AuthApi,
        account::AccountApi,
        health_profile::HealthProfileApi,
        nutrition::NutritionApi,
        progress::ProgressApi,
        catalogue::CatalogueApi,
        catalogue_admin::CatalogueAdminApi,
        feeds::FeedsApi,
        supplements::SupplementsApi,
        safety_rules::SafetyRulesApi,
        dishes::DishesApi,
    ),
    (
        meal_plans::MealPlansApi,
        coach::CoachApi,
        admin::AdminApi,
        backups::BackupsApi,
        alerts::AlertsApi,
        tls::TlsApi,
        settings::SettingsApi,
    ),
);

/// The OpenAPI service: every documented endpoint, served under `/api/v1`.
pub fn openapi() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        Apis::default(),
        "Sports Nutrition API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Personalised, safe sports nutrition: targets, supplement recommendations, local prices and Serbian meal \
         plans. Errors are RFC 9457 problem+json. Sign in with `POST /auth/login` and send the `token` as \
         `Authorization: Bearer …`. The unversioned paths `/api/health`, `/api/auth/login` and `/api/profile` \
         are aliases of their `/api/v1` twins.",
    )
    .server("/api/v1")
}

#[poem::handler]
fn openapi_json() -> poem::Response {
    poem::Response::builder()
        .content_type("application/json")
        .body(schema::document())
}

/// Swagger UI over the served document: poem-openapi's page, which embeds the document it is given.
#[poem::handler]
fn swagger_ui() -> poem::web::Html<String> {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let api = openapi();
        api.swagger_ui_html()
            .replacen(&api.spec(), schema::document(), 1)
    });
    poem::web::Html(page.clone())
}

/// The `Strict-Transport-Security` value for HTTPS responses.
fn hsts(tls: &crate::config::TlsConfig) -> Option<poem::http::HeaderValue> {
    if tls.mode == crate::config::TlsMode::Off || tls.hsts_max_age_secs == 0 {
        return None;
    }
    let subdomains = if tls.hsts_include_subdomains {
        "; includeSubDomains"
    } else {
        ""
    };
    poem::http::HeaderValue::from_str(&format!("max-age={}{subdomains}", tls.hsts_max_age_secs))
        .ok()
}

/// The plain-HTTP application beside HTTPS (`tls.http_port`): health probes, and a redirect.
pub fn plain_http_app(
    state: AppState,
    https_port: u16,
) -> impl Endpoint<Output = poem::Response> + 'static {
    Route::new()
        .at("/health", get(health::live).head(health::live))
        .at("/ready", get(health::ready).head(health::ready))
        .at(
            "/.well-known/acme-challenge/:token",
            get(tls::http_challenge),
        )
        .at("/*", middleware::redirect_to_https(https_port))
        .at("/", middleware::redirect_to_https(https_port))
        .data(state)
        .around(middleware::security_headers(None))
}

/// The whole HTTP application.
pub fn app(state: AppState, config: &Config) -> impl Endpoint<Output = poem::Response> + 'static {
    let default_locale = crate::domain::account::Locale::parse(&config.i18n.default_locale)
        .unwrap_or(crate::domain::account::Locale::DEFAULT);
    let api = openapi();
    let requests = state.requests.clone();
    let state_connections = state.connections.clone();
    let routes = Route::new()
        .at("/openapi.json", get(openapi_json))
        .at("/docs", get(swagger_ui))
        .at("/docs/", get(swagger_ui))
        .nest("/api/v1", api)
        .at("/health", get(health::live).head(health::live))
        .at("/ready", get(health::ready).head(health::ready))
        .at("/metrics", get(metrics::prometheus))
        .at("/admin", get(dashboard::page))
        .at("/admin/", get(dashboard::page))
        .at("/admin/assets/:name", get(dashboard::asset))
        .nest(
            web_session::DASHBOARD.path,
            web_session::routes(web_session::DASHBOARD),
        );
    let routes = match config.app.enabled {
        true => routes
            .at("/", get(athlete_app::page))
            .at("/sw.js", get(athlete_app::service_worker))
            .at("/manifest.webmanifest", get(athlete_app::manifest))
            .at("/app/assets/:name", get(athlete_app::asset))
            .nest(web_session::APP.path, web_session::routes(web_session::APP)),
        false => routes,
    };
    let routes = routes
        .around(middleware::body_limit(middleware::BodyLimits {
            signed_in: config.server.body_limit_bytes,
            anonymous: config
                .server
                .anonymous_body_limit_bytes
                .min(config.server.body_limit_bytes),
            upload: config.feeds.max_bytes,
            read_timeout: std::time::Duration::from_secs(config.server.body_read_timeout_secs),
        }))
        .around(middleware::client_and_limits)
        .data(state);
    // Browsers on other sites may call the API only from the configured origins.
    let routes = if config.security.cors_origins.is_empty() {
        routes.boxed()
    } else {
        routes
            .with(
                Cors::new()
                    .allow_origins(config.security.cors_origins.iter().map(String::as_str))
                    .allow_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
                    .allow_headers(["authorization", "content-type", "x-request-id"])
                    .expose_headers(["x-request-id", "retry-after"])
                    .max_age(600),
            )
            .boxed()
    };
    routes
        .around(middleware::aliases)
        .around(middleware::hang_up(state_connections))
        .around(middleware::concurrency_limit(
            config.server.max_concurrent_requests,
        ))
        .around(middleware::observe(requests))
        .around(language::language(default_locale))
        .around(middleware::security_headers(hsts(&config.tls)))
}
