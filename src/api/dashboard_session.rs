//! `/admin/session`: the dashboard's sign-in, kept across reloads without handing the refresh token
//! to scripts.
//!
//! The public API answers a sign-in with both tokens in the body, for clients that keep them. A page
//! should not keep a refresh token where its scripts can read it, so the dashboard signs in here:
//! the access token comes in the body (the page holds it in memory), the refresh token in an
//! `HttpOnly`, `SameSite=Strict` cookie scoped to this path (`Secure` over HTTPS), which the browser
//! sends only to the refresh and sign-out calls. Every call here needs the `X-Dashboard` header and,
//! when the browser names them, a same-origin `Origin` and `Sec-Fetch-Site`: a page on another site
//! can send none of them without the browser asking this origin first (CORS never allows the header).
//!
//! The same calls create the first admin from a setup link ([`crate::service::setup`]). Only admins
//! sign in here; they are not part of the OpenAPI document, which stays the API for every client.

use poem::{
    IntoResponse, Request, Response, handler,
    http::{HeaderValue, StatusCode, header},
    web::{Data, Json},
};
use serde::Deserialize;

use super::{
    AppState,
    account::Account,
    auth::{self, Tokens},
    error::ApiError,
    security::ClientInfo,
};
use crate::{
    auth::token::refresh_token_hash,
    cache::{
        Ns,
        rate_limit::{Bucket, client_key},
    },
    db::{self, sessions::Revocation},
    domain::account::{Locale, Role},
    service::setup::{self, FirstAdmin},
};

/// Where the cookie is sent: this path and below, nowhere else.
pub const PATH: &str = "/admin/session";
/// The refresh token's cookie.
pub const COOKIE: &str = "sn_dashboard_refresh";
/// The header every call must carry; a cross-site form cannot set it, and a cross-site script
/// would need a CORS preflight that names it.
pub const CSRF_HEADER: &str = "x-dashboard";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    token: String,
    email: String,
    password: String,
    language: Option<String>,
}

/// `POST /admin/session`: an admin signs in to the dashboard.
#[handler]
pub async fn sign_in(
    req: &Request,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
    body: Json<SignIn>,
) -> poem::Result<Response> {
    same_origin(req)?;
    let user = auth::sign_in(&state, &client, &body.email, &body.password).await?;
    if user.role != Role::Admin {
        return Err(ApiError::forbidden(
            "the dashboard is for admins; sign in to the app or the API with this account",
        )
        .into());
    }
    let tokens = auth::open_session(&state, &client, user.into()).await?;
    Ok(signed_in(req, &state, tokens, StatusCode::OK))
}

/// `POST /admin/session/setup`: the first admin, created from a setup link, and signed in.
#[handler]
pub async fn set_up(
    req: &Request,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
    body: Json<Setup>,
) -> poem::Result<Response> {
    admitted(req, &state, &client, Bucket::AuthAttempts).await?;
    let language = match &body.language {
        None => Ok(Locale::DEFAULT),
        Some(tag) => Locale::parse(tag),
    };
    let user = setup::create_first_admin(
        &state,
        FirstAdmin {
            token: &body.token,
            email: &body.email,
            password: &body.password,
            language,
            ip: client.ip,
            user_agent: client.user_agent.as_deref(),
        },
    )
    .await
    .map_err(ApiError::from)?;
    tracing::info!(user = %user.id, "the first admin was created from a setup link");
    if let Err(e) = crate::ops::files::remove(&state.setup_link_file) {
        tracing::warn!(file = %state.setup_link_file.display(), error = %e, "cannot remove the used setup link");
    }
    let tokens = auth::open_session(&state, &client, user.into()).await?;
    Ok(signed_in(req, &state, tokens, StatusCode::CREATED))
}

/// `POST /admin/session/refresh`: a new access token for the session in the cookie, whose refresh
/// token is used up and replaced. Without a working one the cookie is cleared.
#[handler]
pub async fn refresh(
    req: &Request,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
) -> poem::Result<Response> {
    admitted(req, &state, &client, Bucket::Public).await?;
    let Some(presented) = cookie(req) else {
        return Ok(cleared(
            req,
            &state,
            ApiError::unauthorized("not signed in to the dashboard"),
        ));
    };
    let tokens = match auth::rotate(&state, &client, &presented).await {
        Ok(tokens) => tokens,
        Err(e @ ApiError::Unauthorized(_)) => return Ok(cleared(req, &state, e)),
        Err(e) => return Err(e.into()),
    };
    if tokens.user.role_value() != Role::Admin {
        // No longer an admin: this session has nothing left to do here.
        end(&state, &refresh_token_hash(&tokens.refresh_token)).await?;
        return Ok(cleared(
            req,
            &state,
            ApiError::forbidden("the dashboard is for admins"),
        ));
    }
    Ok(signed_in(req, &state, tokens, StatusCode::OK))
}

/// `DELETE /admin/session`: signs out, ending the session in the cookie, and clears it.
#[handler]
pub async fn sign_out(
    req: &Request,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
) -> poem::Result<Response> {
    admitted(req, &state, &client, Bucket::Public).await?;
    if let Some(presented) = cookie(req) {
        end(&state, &refresh_token_hash(presented.trim())).await?;
    }
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        req,
        &state,
        None,
    ))
}

/// A call from the dashboard's own page, within the client's limit in `bucket`.
async fn admitted(
    req: &Request,
    state: &AppState,
    client: &ClientInfo,
    bucket: Bucket,
) -> Result<(), ApiError> {
    same_origin(req)?;
    auth::limit(state, bucket, client.ip.map(client_key)).await
}

async fn end(state: &AppState, refresh_token: &[u8; 32]) -> Result<(), ApiError> {
    if let Some(user) =
        db::sessions::revoke_by_refresh_token(&state.pool, refresh_token, Revocation::Logout)
            .await?
    {
        state.cache.invalidate(&[Ns::User(user)]).await;
    }
    Ok(())
}

/// What the dashboard reads of a signed-in session: everything but the refresh token.
#[derive(serde::Serialize)]
struct Session {
    token: String,
    token_type: String,
    expires_in: u64,
    user: serde_json::Value,
}

fn signed_in(req: &Request, state: &AppState, tokens: Tokens, status: StatusCode) -> Response {
    use poem_openapi::types::ToJSON;
    let body = Session {
        token: tokens.token,
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        user: Account::to_json(&tokens.user).unwrap_or_default(),
    };
    let response = Response::builder()
        .status(status)
        .header(header::CACHE_CONTROL, "no-store")
        .content_type("application/json")
        .body(serde_json::to_vec(&body).unwrap_or_default());
    with_cookie(response, req, state, Some(tokens.refresh_token))
}

/// `error`, with the cookie cleared.
fn cleared(req: &Request, state: &AppState, error: ApiError) -> Response {
    with_cookie(error.into_response(), req, state, None)
}

/// `response`, setting the cookie to `refresh_token` for the refresh lifetime, or clearing it.
fn with_cookie(
    mut response: Response,
    req: &Request,
    state: &AppState,
    refresh_token: Option<String>,
) -> Response {
    let clear = refresh_token.is_none();
    let mut cookie = cookie::Cookie::build((COOKIE, refresh_token.unwrap_or_default()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path(PATH)
        .secure(over_https(req, state))
        .build();
    match clear {
        true => cookie.make_removal(),
        false => cookie.set_max_age(time::Duration::days(i64::from(
            state.session_terms.refresh_ttl_days,
        ))),
    }
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The refresh token the browser sent, if any.
fn cookie(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// A cookie set over HTTPS is marked `Secure`: this node terminates TLS, or a proxy in front did.
fn over_https(req: &Request, state: &AppState) -> bool {
    state.tls.is_some() || request_over_https(req)
}

fn request_over_https(req: &Request) -> bool {
    req.scheme().as_str() == "https"
        || req
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// Refuses what a page on another site could send: no `X-Dashboard` header, a cross-site
/// `Sec-Fetch-Site`, or an `Origin` whose host is not the one asked.
fn same_origin(req: &Request) -> Result<(), ApiError> {
    let refused =
        || ApiError::forbidden("the dashboard's session calls come from its own page only");
    let headers = req.headers();
    if headers.get(CSRF_HEADER).is_none() {
        return Err(refused());
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(refused());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, authority)| authority.as_bytes());
        // The host asked: `Host`, or the URI's authority (HTTP/2); behind a proxy that rewrites
        // `Host` (nginx's default), the one it names in `X-Forwarded-Host`.
        let asked = [
            headers.get(header::HOST).map(HeaderValue::as_bytes),
            req.uri().authority().map(|a| a.as_str().as_bytes()),
            headers.get("x-forwarded-host").map(HeaderValue::as_bytes),
        ];
        if origin_host.is_none_or(|o| !asked.contains(&Some(o))) {
            return Err(refused());
        }
    }
    Ok(())
}
