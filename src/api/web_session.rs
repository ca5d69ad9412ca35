//! `/admin/session` and `/app/session`: the browser apps' sign-in, kept across reloads without
//! handing the refresh token to scripts.
//!
//! The public API answers a sign-in with both tokens in the body, for clients that keep them. A page
//! should not keep a refresh token where its scripts can read it, so the apps sign in here: the
//! access token comes in the body (the page holds it in memory), the refresh token in an
//! `HttpOnly`, `SameSite=Strict` cookie scoped to the app's path (`Secure` over HTTPS), which the
//! browser sends only to these calls. The two apps share an origin: the paths keep each cookie to
//! its own calls, they are no wall between the apps' pages. Every call needs the app's header
//! (`X-Dashboard`, `X-App`) and, when the browser names them, a same-origin `Origin` and
//! `Sec-Fetch-Site`: a page on another site can send none of them without the browser asking this
//! origin first (CORS never allows the header).
//!
//! The dashboard's calls also create the first admin from a setup link ([`crate::service::setup`]),
//! and only admins sign in there. The athletes' app adopts the session registration opened. None of
//! these calls is in the OpenAPI document, which stays the API for every client.

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

/// One browser app's session calls.
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Where the calls are, and the cookie is sent: this path and below, nowhere else.
    pub path: &'static str,
    /// The refresh token's cookie.
    pub cookie: &'static str,
    /// The header every call must carry; a cross-site form cannot set it, and a cross-site script
    /// would need a CORS preflight that names it.
    pub csrf_header: &'static str,
    /// Who may sign in.
    pub admins_only: bool,
    /// What refusals call it.
    pub name: &'static str,
}

/// The admin dashboard's.
pub const DASHBOARD: Site = Site {
    path: "/admin/session",
    cookie: "sn_dashboard_refresh",
    csrf_header: "x-dashboard",
    admins_only: true,
    name: "the dashboard",
};

/// The athletes' app's: every role signs in.
pub const APP: Site = Site {
    path: "/app/session",
    cookie: "sn_app_refresh",
    csrf_header: "x-app",
    admins_only: false,
    name: "the app",
};

/// A site's calls, to nest under its path. Only the dashboard creates the first admin; only the
/// app adopts a session registration opened.
pub fn routes(site: Site) -> impl poem::Endpoint<Output = Response> {
    let routes = poem::Route::new()
        .at("/", poem::post(sign_in).delete(sign_out))
        .at("/refresh", poem::post(refresh));
    let routes = match site.admins_only {
        true => routes.at("/setup", poem::post(set_up)),
        false => routes.at("/adopt", poem::post(adopt)),
    };
    poem::EndpointExt::data(routes, site)
}

/// The site whose call `path` is, if it is one.
pub fn site_of(path: &str) -> Option<&'static Site> {
    [&DASHBOARD, &APP]
        .into_iter()
        .find(|site| path.starts_with(site.path))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adopt {
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    token: String,
    email: String,
    password: String,
    language: Option<String>,
}

/// `POST /admin/session`, `POST /app/session`: signs in.
#[handler]
pub async fn sign_in(
    req: &Request,
    site: Data<&Site>,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
    body: Json<SignIn>,
) -> poem::Result<Response> {
    same_origin(req, &site)?;
    let user = auth::sign_in(&state, &client, &body.email, &body.password).await?;
    if site.admins_only && user.role != Role::Admin {
        return Err(ApiError::forbidden(
            "the dashboard is for admins; sign in to the app or the API with this account",
        )
        .into());
    }
    let tokens = auth::open_session(&state, &client, user.into()).await?;
    Ok(signed_in(req, &site, &state, tokens, StatusCode::OK))
}

/// `POST /app/session/adopt`: the session the public API opened (registration answers with its
/// tokens), kept in the cookie: its refresh token is used up and the successor goes there.
#[handler]
pub async fn adopt(
    req: &Request,
    site: Data<&Site>,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
    body: Json<Adopt>,
) -> poem::Result<Response> {
    admitted(req, &site, &state, &client, Bucket::Public).await?;
    // As long as the public API's refresh call takes.
    if body.refresh_token.len() > 128 {
        return Err(ApiError::invalid("refresh_token", "at most 128 characters").into());
    }
    let tokens = auth::rotate(&state, &client, &body.refresh_token).await?;
    Ok(signed_in(req, &site, &state, tokens, StatusCode::OK))
}

/// `POST /admin/session/setup`: the first admin, created from a setup link, and signed in.
#[handler]
pub async fn set_up(
    req: &Request,
    site: Data<&Site>,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
    body: Json<Setup>,
) -> poem::Result<Response> {
    admitted(req, &site, &state, &client, Bucket::AuthAttempts).await?;
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
    Ok(signed_in(req, &site, &state, tokens, StatusCode::CREATED))
}

/// `POST …/session/refresh`: a new access token for the session in the cookie, whose refresh token
/// is used up and replaced. Without a working one the cookie is cleared.
#[handler]
pub async fn refresh(
    req: &Request,
    site: Data<&Site>,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
) -> poem::Result<Response> {
    admitted(req, &site, &state, &client, Bucket::Public).await?;
    let Some(presented) = cookie(req, &site) else {
        return Ok(cleared(
            req,
            &site,
            &state,
            ApiError::unauthorized(format!("not signed in to {}", site.name)),
        ));
    };
    let tokens = match auth::rotate(&state, &client, &presented).await {
        Ok(tokens) => tokens,
        Err(e @ ApiError::Unauthorized(_)) => return Ok(cleared(req, &site, &state, e)),
        Err(e) => return Err(e.into()),
    };
    if site.admins_only && tokens.user.role_value() != Role::Admin {
        // No longer an admin: this session has nothing left to do here.
        end(&state, &refresh_token_hash(&tokens.refresh_token)).await?;
        return Ok(cleared(
            req,
            &site,
            &state,
            ApiError::forbidden("the dashboard is for admins"),
        ));
    }
    Ok(signed_in(req, &site, &state, tokens, StatusCode::OK))
}

/// `DELETE …/session`: signs out, ending the session in the cookie, and clears it.
#[handler]
pub async fn sign_out(
    req: &Request,
    site: Data<&Site>,
    state: Data<&AppState>,
    client: Data<&ClientInfo>,
) -> poem::Result<Response> {
    admitted(req, &site, &state, &client, Bucket::Public).await?;
    if let Some(presented) = cookie(req, &site) {
        end(&state, &refresh_token_hash(presented.trim())).await?;
    }
    Ok(with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        req,
        &site,
        &state,
        None,
    ))
}

/// A call from the app's own page, within the client's limit in `bucket`.
async fn admitted(
    req: &Request,
    site: &Site,
    state: &AppState,
    client: &ClientInfo,
    bucket: Bucket,
) -> Result<(), ApiError> {
    same_origin(req, site)?;
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

/// What the page reads of a signed-in session: everything but the refresh token.
#[derive(serde::Serialize)]
struct Session {
    token: String,
    token_type: String,
    expires_in: u64,
    user: serde_json::Value,
}

fn signed_in(
    req: &Request,
    site: &Site,
    state: &AppState,
    tokens: Tokens,
    status: StatusCode,
) -> Response {
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
    with_cookie(response, req, site, state, Some(tokens.refresh_token))
}

/// `error`, with the cookie cleared.
fn cleared(req: &Request, site: &Site, state: &AppState, error: ApiError) -> Response {
    with_cookie(error.into_response(), req, site, state, None)
}

/// `response`, setting the cookie to `refresh_token` for the refresh lifetime, or clearing it.
fn with_cookie(
    mut response: Response,
    req: &Request,
    site: &Site,
    state: &AppState,
    refresh_token: Option<String>,
) -> Response {
    let clear = refresh_token.is_none();
    let mut cookie = cookie::Cookie::build((site.cookie, refresh_token.unwrap_or_default()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path(site.path)
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
fn cookie(req: &Request, site: &Site) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == site.cookie && !c.value().is_empty())
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

/// Refuses what a page on another site could send: no app header, a cross-site `Sec-Fetch-Site`,
/// or an `Origin` whose host is not the one asked.
fn same_origin(req: &Request, site: &Site) -> Result<(), ApiError> {
    let refused = || {
        ApiError::forbidden(format!(
            "the session calls of {} come from its own page only",
            site.name
        ))
    };
    let headers = req.headers();
    if headers.get(site.csrf_header).is_none() {
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
