//! `GET /metrics`: every metric in Prometheus text format, for scrapers. With
//! `telemetry.prometheus_token` set a scraper sends it as a bearer token; without one only clients
//! on this host are answered (not those a local reverse proxy relays).

use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::{AppState, error::ApiError};
use crate::ops::telemetry;

/// Who may read `/metrics`.
#[derive(Clone)]
pub struct MetricsAccess {
    pub enabled: bool,
    pub token: Option<secrecy::SecretString>,
}

#[handler]
pub async fn prometheus(req: &Request, state: Data<&AppState>) -> Response {
    let access = &state.metrics;
    if !access.enabled {
        return StatusCode::NOT_FOUND.into_response();
    }
    let allowed = match &access.token {
        Some(token) => {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            // Compared as digests: the time taken says nothing about the token.
            Sha256::digest(presented.as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
        }
        // The client as the rate limiter sees it: behind a local proxy, not this host.
        None => req
            .data::<super::security::ClientInfo>()
            .is_some_and(|c| c.is_local()),
    };
    if !allowed {
        let error = match access.token {
            Some(_) => ApiError::unauthorized(
                "a valid bearer token (telemetry.prometheus_token) is required",
            ),
            None => ApiError::forbidden(
                "metrics are served to loopback clients only; set telemetry.prometheus_token for remote scrapers",
            ),
        };
        return error.into_response();
    }
    match telemetry::prometheus_text() {
        Some(text) => text
            .with_content_type("text/plain; version=0.0.4; charset=utf-8")
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
