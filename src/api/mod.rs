//! The HTTP API: poem-openapi services per resource under `/api/v1`, the spec and docs, and the
//! operational endpoints, wrapped in the request-path middleware.

pub mod error;
pub mod health;
pub mod middleware;

use std::time::Instant;

use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::{OpenApiService, Tags};
use sqlx::PgPool;

use crate::{config::ServerConfig, db::Mode};

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub db_mode: Mode,
    pub started: Instant,
    pub max_connections: u32,
}

#[derive(Tags)]
pub enum ApiTags {
    /// Node health for operators and load balancers
    Health,
}

/// The OpenAPI service: every documented endpoint, served under `/api/v1`.
pub fn openapi() -> OpenApiService<health::HealthApi, ()> {
    OpenApiService::new(health::HealthApi, "Sports Nutrition API", env!("CARGO_PKG_VERSION"))
        .description(
            "Personalised, safe sports nutrition: targets, supplement recommendations, local prices and Serbian meal \
             plans. Errors are RFC 9457 problem+json. The unversioned paths `/api/health`, `/api/auth/login` and \
             `/api/profile` are aliases of their `/api/v1` twins.",
        )
        .server("/api/v1")
}

/// The whole HTTP application.
pub fn app(
    state: AppState,
    server: &ServerConfig,
) -> impl Endpoint<Output = poem::Response> + 'static {
    let api = openapi();
    Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .nest("/docs", api.swagger_ui())
        .nest("/api/v1", api)
        .at("/health", get(health::live).head(health::live))
        .at("/ready", get(health::ready).head(health::ready))
        .data(state)
        .around(middleware::body_limit(server.body_limit_bytes))
        .around(middleware::aliases)
        .with(middleware::security_headers())
        .around(middleware::observe)
}
