//! The request path around every endpoint: request id and log line, body limit, runbook aliases.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderValue, StatusCode, Uri, header},
};
use tracing::Instrument;

use poem_openapi::error::ParseRequestPayloadError;

use super::{
    AppState,
    error::{ApiError, FieldError, framework_error},
    operations, schema,
    security::{self, Caller, ClientInfo, bearer_token},
};
use crate::cache::rate_limit::{Bucket, client_key};
use crate::domain::{account::Role, invalid::Invalid};
use crate::ops::connections::Connections;
use crate::ops::{metrics::RequestWindow, telemetry};
use opentelemetry::{KeyValue, trace::TraceContextExt};
use poem::PathPattern;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const REQUEST_ID: &str = "x-request-id";

/// Unversioned paths the operators' deployment runbook calls; each serves its `/api/v1` twin.
pub const RUNBOOK_ALIASES: &[&str] = &["/api/health", "/api/auth/login", "/api/profile"];

/// Gives the request an id (a sane incoming `x-request-id`, or a new UUIDv7), runs it inside a span
/// carrying that id, turns any error into problem+json, echoes the id, logs one line per request
/// and records its latency and status in `window` (probes of `/health` and `/ready` aside).
pub fn observe<E: Endpoint + 'static>(
    window: RequestWindow,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    move |next: Arc<E>, req: Request| Box::pin(observe_one(next, req, window.clone()))
}

async fn observe_one<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    window: RequestWindow,
) -> Result<Response> {
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
    let scheme = req.scheme().as_str().to_owned();
    let presented_token = req.headers().contains_key(header::AUTHORIZATION);
    // OpenTelemetry's HTTP server conventions; the route and status are known after routing.
    let span = tracing::info_span!(
        "request",
        otel.name = %method,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        url.path = %path,
        url.scheme = %scheme,
        request_id = %id,
        trace_id = tracing::field::Empty,
    );
    telemetry::continue_trace(&span, req.headers());
    if let Some(trace_id) = telemetry::current_trace_id(&span) {
        span.record("trace_id", trace_id);
    }
    let instruments = telemetry::instruments();
    let active = [
        KeyValue::new("http.request.method", method.to_string()),
        KeyValue::new("url.scheme", scheme.clone()),
    ];
    instruments.http_active.add(1, &active);
    let in_span = span.clone();
    async move {
        let start = Instant::now();
        let (mut response, route) = match next.call(req).await {
            Ok(r) => {
                let r = r.into_response();
                let route = r.data::<PathPattern>().map(|p| p.0.clone());
                (r, route)
            }
            Err(e) => {
                let route = e.data::<PathPattern>().map(|p| p.0.clone());
                (framework_error(e, &path), route)
            }
        };
        let status = response.status();
        instruments.http_active.add(-1, &active);
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.to_string()),
            KeyValue::new("http.response.status_code", i64::from(status.as_u16())),
            KeyValue::new("url.scheme", scheme),
        ];
        if let Some(route) = route.as_deref().map(route_template) {
            in_span.record("http.route", route.as_str());
            if telemetry::exporting_spans() {
                // The OpenTelemetry span has started (its trace id was read): rename it directly.
                in_span
                    .context()
                    .span()
                    .update_name(format!("{method} {route}"));
            }
            attributes.push(KeyValue::new("http.route", route));
        }
        in_span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            in_span.record("otel.status_code", "ERROR");
        }
        instruments
            .http_duration
            .record(start.elapsed().as_secs_f64(), &attributes);
        if status == StatusCode::UNAUTHORIZED
            && !response.headers().contains_key(header::WWW_AUTHENTICATE)
        {
            // RFC 6750 §3: name the error only when a token was presented.
            let challenge = if presented_token {
                r#"Bearer realm="sports-nutrition", error="invalid_token""#
            } else {
                r#"Bearer realm="sports-nutrition""#
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        let latency = start.elapsed();
        if path != "/health" && path != "/ready" {
            window.record(latency, status.is_server_error());
        }
        let latency_ms = latency.as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), latency_ms, "request failed");
        } else {
            tracing::info!(status = status.as_u16(), latency_ms, "request");
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// The OpenAPI path template of a matched route (`/api/v1/products/{id}`): poem-openapi routes its
/// parameters as `:param0`, `:param1`, …; other routes keep poem's pattern.
fn route_template(pattern: &str) -> String {
    static TEMPLATES: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| {
        let spec: serde_json::Value =
            serde_json::from_str(super::schema::document()).unwrap_or_default();
        let Some(paths) = spec["paths"].as_object() else {
            return Default::default();
        };
        paths
            .keys()
            .map(|path| {
                let mut n = 0;
                let routed = path
                    .split('/')
                    .map(|segment| {
                        if segment.starts_with('{') && segment.ends_with('}') {
                            n += 1;
                            format!(":param{}", n - 1)
                        } else {
                            segment.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                (format!("/api/v1{routed}"), format!("/api/v1{path}"))
            })
            .collect()
    });
    templates
        .get(pattern)
        .cloned()
        .unwrap_or_else(|| pattern.to_owned())
}

/// Drops a request, and so stops its work, once its client has closed the connection (see
/// [`crate::ops::connections`]); the log records it as 499, as proxies do.
pub fn hang_up<E: Endpoint + 'static>(
    connections: Connections,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    move |next: Arc<E>, req: Request| {
        let gone = req
            .remote_addr()
            .as_socket_addr()
            .and_then(|peer| connections.of(peer));
        Box::pin(async move {
            let Some(gone) = gone else {
                return next.call(req).await.map(IntoResponse::into_response);
            };
            tokio::select! {
                biased;
                response = next.call(req) => response.map(IntoResponse::into_response),
                () = gone.cancelled() => {
                    tracing::info!("the client closed the connection; its request was stopped");
                    Ok(StatusCode::from_u16(CLIENT_CLOSED_REQUEST)
                        .unwrap_or(StatusCode::BAD_REQUEST)
                        .into_response())
                }
            }
        })
    }
}

/// nginx's status for a request its client abandoned; nobody receives it, the log does.
const CLIENT_CLOSED_REQUEST: u16 = 499;

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

/// Records who is calling and applies the rate limits before any body is read: a request with a
/// valid access token counts against its account (and, for an expensive operation, the account's
/// tighter budget); any other API request, an invalid token included, against the client's
/// address. Health probes are never limited.
pub async fn client_and_limits<E: Endpoint>(next: Arc<E>, mut req: Request) -> Result<Response> {
    let Some(state) = req.data::<AppState>() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let client = ClientInfo::of(&req, &state.trusted_proxies);
    if client.untrusted_forwarding
        && client.ip.is_some_and(|ip| ip.is_loopback())
        && state.trusted_proxies.is_empty()
    {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            tracing::warn!(
                "requests arrive through a proxy on this host (X-Forwarded-For), but \
                 security.trusted_proxies is empty: every client shares the proxy's address in rate \
                 limits and the audit log; set security.trusted_proxies = [\"127.0.0.1\", \"::1\"]"
            );
        });
    }
    let path = req.uri().path();
    let operation = operations::find(req.method(), path);
    // A restore is swapping the database: reads go on, writes wait.
    let write = !matches!(
        *req.method(),
        poem::http::Method::GET | poem::http::Method::HEAD
    );
    let writes_data = path.starts_with("/api/") || super::web_session::site_of(path).is_some();
    if write && writes_data && state.maintenance.is_on() {
        return Err(ApiError::maintenance().into());
    }
    let caller = match bearer_token(&req) {
        Some(token) => match security::verify(state, token).await {
            Ok(caller) => Some(caller),
            Err(ApiError::Unauthorized(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let limited = path.starts_with("/api/v1/") && path != "/api/v1/health";
    if limited {
        let limiter = &state.limiter;
        let verdict = match (&caller, client.ip) {
            (Some(caller), _) => {
                let account = caller.user.to_string();
                match limiter.check(Bucket::Account, &account).await {
                    Ok(()) if operation.is_some_and(|o| o.expensive) => {
                        limiter.check(Bucket::Expensive, &account).await
                    }
                    other => other,
                }
            }
            (None, Some(ip)) => limiter.check(Bucket::Public, &client_key(ip)).await,
            (None, None) => Ok(()),
        };
        if let Err(limited) = verdict {
            return Err(ApiError::rate_limited(limited).into());
        }
    }
    req.set_data(client);
    if let Some(caller) = caller {
        req.set_data(caller);
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// Serves at most `limit` requests at a time (0: any number). One more is answered 503 with
/// `Retry-After` at once: when the database is slow, requests fail quickly instead of piling up.
/// Liveness, readiness and metrics are always answered, so the node is not taken for dead.
pub fn concurrency_limit<E: Endpoint + 'static>(
    limit: usize,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    let permits = (limit > 0).then(|| Arc::new(tokio::sync::Semaphore::new(limit)));
    move |next: Arc<E>, req: Request| {
        let permits = permits.clone();
        Box::pin(async move {
            let exempt = matches!(req.uri().path(), "/health" | "/ready" | "/metrics");
            let _permit = match permits {
                Some(permits) if !exempt => match permits.try_acquire_owned() {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        tracing::warn!(limit, "request refused: at the concurrency limit");
                        return Err(ApiError::unavailable(
                            format!(
                                "the server is handling its limit of {limit} requests; retry shortly"
                            ),
                            1,
                        )
                        .into());
                    }
                },
                _ => None,
            };
            next.call(req).await.map(IntoResponse::into_response)
        })
    }
}

/// The largest bodies each kind of request may send (`server.*body_limit_bytes`, `feeds.max_bytes`)
/// and how long a body may take to arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub signed_in: usize,
    pub anonymous: usize,
    pub upload: usize,
    pub read_timeout: std::time::Duration,
}

/// Reads the body, after routing and rate limiting have decided who may send how much: the price
/// list upload takes `upload` bytes from an admin, other operations `signed_in` from a caller with
/// a valid token and `anonymous` from anyone else; a path that is no operation is answered without
/// its body being read. Over the limit: 413 at once when `Content-Length` says so, otherwise
/// (chunked uploads) while reading; slower than `read_timeout`: 408. Keeps the body, to name the
/// property when the endpoint cannot parse it.
pub fn body_limit<E: Endpoint + 'static>(
    limits: BodyLimits,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    move |next: Arc<E>, mut req: Request| {
        Box::pin(async move {
            let Some(operation) = operations::find(req.method(), req.uri().path()) else {
                req.set_body(poem::Body::empty());
                return next.call(req).await.map(IntoResponse::into_response);
            };
            let role = req.data::<Caller>().map(|c| c.role);
            let limit = match role {
                Some(Role::Admin) if operation.upload => limits.upload,
                Some(_) => limits.signed_in,
                None => limits.anonymous,
            };
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
            if declared.is_some_and(|len| len > limit as u64) {
                return Err(too_large().into());
            }
            let body = match tokio::time::timeout(
                limits.read_timeout,
                req.take_body().into_bytes_limit(limit),
            )
            .await
            {
                Ok(Ok(body)) => body,
                Ok(Err(_)) => return Err(too_large().into()),
                Err(_) => {
                    return Err(ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        format!(
                            "the request body did not arrive within {} s",
                            limits.read_timeout.as_secs()
                        ),
                    )
                    .into());
                }
            };
            // Price lists are files, not forms: the import refuses their rows with control
            // characters one by one.
            let scanned: &[u8] = if operation.upload { &[] } else { &body };
            if let Some(field) = nul_field(req.uri(), scanned) {
                return Err(ApiError::bad_request(
                    "text may not contain the NUL character (U+0000)",
                    vec![FieldError::new(field, Invalid::NulCharacter)],
                )
                .into());
            }
            req.set_body(body.clone());
            let method = req.method().as_str().to_owned();
            let path = req.uri().path().to_owned();
            match next.call(req).await {
                Ok(response) => Ok(response.into_response()),
                Err(e) if e.is::<ParseRequestPayloadError>() => {
                    // poem-openapi names the type that failed, not the property: find it in the body.
                    let field = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|value| schema::body_mismatch(&method, &path, &value));
                    match field {
                        Some(field) => {
                            Err(ApiError::bad_request(e.to_string(), vec![field]).into())
                        }
                        None => Err(e),
                    }
                }
                Err(e) => Err(e),
            }
        })
    }
}

/// Where a request carries the NUL character, which PostgreSQL's text cannot hold, so no endpoint
/// can take it: the query parameter, the path, or the JSON property (`items[0].name`) holding it.
fn nul_field(uri: &Uri, body: &[u8]) -> Option<String> {
    if let Some((name, _)) = uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    }) {
        return Some(name.into_owned());
    }
    if uri.path().contains("%00") {
        return Some("path".into());
    }
    // JSON carries it only as the escape `\u0000`; without those six bytes there is nothing to look
    // for (with them, the text may still be an escaped backslash and `u0000`, hence the parse).
    if !body.windows(6).any(|w| w == br"\u0000") {
        return None;
    }
    schema::nul_field(&serde_json::from_slice(body).ok()?)
}

/// Content Security Policy of API responses: nothing may load, nothing may frame them.
const CSP_API: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Content Security Policy of the pages we serve (API docs; later the admin UI): own scripts and
/// styles (the docs page inlines its bootstrap), no plugins, no framing, no third-party origins.
pub const CSP_PAGES: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' \
     'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; \
     base-uri 'self'; form-action 'self'";

/// Headers that cost nothing and close common browser attack paths; `Strict-Transport-Security`
/// only when this node terminates TLS itself.
/// `hsts`: the `Strict-Transport-Security` value, when the node serves HTTPS.
pub fn security_headers<E: Endpoint + 'static>(
    hsts: Option<HeaderValue>,
) -> impl Fn(Arc<E>, Request) -> std::pin::Pin<Box<dyn Future<Output = Result<Response>> + Send>>
+ Send
+ Sync
+ 'static {
    move |next: Arc<E>, req: Request| Box::pin(add_security_headers(next, req, hsts.clone()))
}

async fn add_security_headers<E: Endpoint>(
    next: Arc<E>,
    req: Request,
    hsts: Option<HeaderValue>,
) -> Result<Response> {
    let path = req.uri().path().to_owned();
    let is_page = path.starts_with("/docs");
    let mut response = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => framework_error(e, &path),
    };
    let headers = response.headers_mut();
    // One growth of the map for all of them, not one per insert.
    headers.reserve(6);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The browser apps set their own (with the hash of their import map).
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(if is_page {
            CSP_PAGES
        } else {
            CSP_API
        }));
    if path.starts_with("/api/") {
        // Tokens and personal data: never stored by HTTP caches, the browser's or shared ones (RFC
        // 6749 §5.1). The athletes' app's service worker keeps the athlete's own answers for offline
        // use, on the device, until the session ends (assets/app/sw.js).
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    Ok(response)
}

/// The plain-HTTP listener beside HTTPS: `/health` and `/ready` answer (load balancers and the
/// runbook probe them), everything else is redirected to the same host and path over HTTPS.
pub fn redirect_to_https(https_port: u16) -> impl Endpoint<Output = Response> {
    poem::endpoint::make_sync(move |req: Request| {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<poem::http::uri::Authority>().ok());
        let Some(host) = host else {
            return Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .content_type("text/plain")
                .body("this address serves HTTPS; send a Host header to be redirected");
        };
        let port = if https_port == 443 {
            String::new()
        } else {
            format!(":{https_port}")
        };
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        Response::builder()
            .status(StatusCode::PERMANENT_REDIRECT)
            .header(
                header::LOCATION,
                format!("https://{}{port}{path}", host.host()),
            )
            .finish()
    })
}
