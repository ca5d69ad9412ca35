//! The request path around every endpoint: request id and log line, body limit, runbook aliases.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, Uri, header},
};
use tracing::Instrument;

use super::error::{ApiError, framework_error};

pub const REQUEST_ID: &str = "x-request-id";

/// Unversioned paths the operators' deployment runbook calls; each serves its `/api/v1` twin.
pub const RUNBOOK_ALIASES: &[&str] = &["/api/health", "/api/auth/login", "/api/profile"];

/// Gives the request an id (a sane incoming `x-request-id`, or a new UUIDv7), runs it inside a span
/// carrying that id, turns any error into problem+json, echoes the id and logs one line per request.
pub async fn observe<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    async move {
        let start = Instant::now();
        let mut response = match next.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => framework_error(e),
        };
        let status = response.status();
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::error!(%method, %path, status = status.as_u16(), latency_ms, "request failed");
        } else {
            tracing::info!(%method, %path, status = status.as_u16(), latency_ms, "request");
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// Serves each runbook alias by rewriting it to its canonical `/api/v1` path before routing.
pub async fn aliases<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    if let Some(alias) = RUNBOOK_ALIASES.iter().find(|a| **a == req.uri().path()) {
        let canonical = format!(
            "/api/v1{}{}",
            &alias["/api".len()..],
            req.uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default()
        );
        if let Ok(uri) = canonical.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Rejects bodies over `limit` bytes with 413: at once when `Content-Length` says so, otherwise
/// (chunked uploads) while reading, so an endpoint never sees more than `limit`.
pub fn body_limit<E: Endpoint + 'static>(
    limit: usize,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    move |next: Arc<E>, mut req: Request| {
        Box::pin(async move {
            let too_large = || {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the request body is larger than {limit} bytes"),
                )
            };
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            match declared {
                Some(len) if len > limit as u64 => return Err(too_large().into()),
                Some(_) => {}
                None => {
                    let body = req
                        .take_body()
                        .into_bytes_limit(limit)
                        .await
                        .map_err(|_| poem::Error::from(too_large()))?;
                    req.set_body(body);
                }
            }
            next.call(req).await.map(IntoResponse::into_response)
        })
    }
}

/// Headers that cost nothing and close common browser attack paths.
pub fn security_headers() -> poem::middleware::SetHeader {
    poem::middleware::SetHeader::new()
        .overriding("x-content-type-options", "nosniff")
        .overriding("x-frame-options", "DENY")
        .overriding("referrer-policy", "no-referrer")
}
