//! Who is calling: the client's address (behind trusted proxies), and the signed-in user from the
//! Bearer access token, checked against its session on every request.

use std::net::IpAddr;

use ipnet::IpNet;
use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};
use uuid::Uuid;

use super::{AppState, error::ApiError};
use crate::{db, domain::account::Role};

/// The client behind a request.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The request names a client of its own (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`) through
    /// a peer that is not a trusted proxy: it came through a proxy we do not believe.
    pub untrusted_forwarding: bool,
}

/// Headers a proxy names the original client in.
const FORWARDING_HEADERS: [&str; 3] = ["x-forwarded-for", "forwarded", "x-real-ip"];

impl ClientInfo {
    /// `user`, calling from this client, as the audit log records them.
    pub fn actor(&self, user: Uuid) -> crate::service::Actor<'_> {
        crate::service::Actor {
            user,
            ip: self.ip,
            user_agent: self.user_agent.as_deref(),
        }
    }

    /// The peer address, or, when the peer is a trusted proxy, the nearest address in
    /// `X-Forwarded-For` that is not one of our proxies (entries further left can be forged).
    pub fn of(req: &Request, trusted: &[IpNet]) -> Self {
        let peer = req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_canonical());
        let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
        let untrusted_forwarding = !peer.as_ref().is_some_and(is_trusted)
            && FORWARDING_HEADERS
                .iter()
                .any(|h| req.headers().contains_key(*h));
        let ip = match peer {
            Some(peer) if is_trusted(&peer) => {
                // Walk from the right (entries our proxies appended) and stop at the first address
                // that is not one of them; anything further left is the client's to forge.
                let mut client = peer;
                let entries: Vec<&str> = req
                    .headers()
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .collect();
                for entry in entries.iter().rev() {
                    match parse_forwarded(entry) {
                        Some(ip) if is_trusted(&ip) => client = ip,
                        Some(ip) => {
                            client = ip;
                            break;
                        }
                        None => break,
                    }
                }
                Some(client)
            }
            other => other,
        };
        let user_agent = req
            .headers()
            .get(poem::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(512).collect());
        Self {
            ip,
            user_agent,
            untrusted_forwarding,
        }
    }

    /// For the audit log: `user` did `action` to their own account, successfully, from this client.
    pub fn own_action<'a>(&'a self, action: &'a str, user: Uuid) -> db::audit::Event<'a> {
        db::audit::Event {
            action,
            success: true,
            actor: Some(user),
            subject: Some(user),
            ip: self.ip,
            user_agent: self.user_agent.as_deref(),
            ..Default::default()
        }
    }

    /// A process on this host talking to us directly, not a client relayed by a local proxy.
    pub fn is_local(&self) -> bool {
        self.ip.is_some_and(|ip| ip.is_loopback()) && !self.untrusted_forwarding
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:443`, `[2001:db8::1]:443`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// The signed-in user making a request.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user: Uuid,
    pub session: Uuid,
    /// The role now (read with the session), not the one when the token was issued.
    pub role: Role,
    /// The user's saved interface language.
    pub language: crate::domain::account::Locale,
}

impl Caller {
    /// Every handler states the roles it serves; others get 403.
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs the {} role",
                allowed
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }
}

impl Caller {
    /// Destructive admin operations: the caller must have entered their password again
    /// (`POST /auth/reauthenticate`) within `auth.reauthentication_window_secs`; 403 with the
    /// `reauthentication_required` code otherwise.
    pub async fn require_recent_password(&self, state: &AppState) -> Result<(), ApiError> {
        if db::sessions::recently_reauthenticated(
            &state.pool,
            self.session,
            state.reauthentication_window_secs,
        )
        .await?
        {
            Ok(())
        } else {
            Err(ApiError::reauthentication_required())
        }
    }
}

/// A Bearer access token (JWT) from `POST /auth/login`, `/auth/register` or `/auth/refresh`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "authenticate")]
pub struct BearerAuth(pub Caller);

async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    // The request path already checked this token to count the request against its account.
    if let Some(caller) = req.data::<Caller>() {
        return Ok(*caller);
    }
    let state = req.data::<AppState>().ok_or_else(|| {
        poem::Error::from(ApiError::from(anyhow::anyhow!("no application state")))
    })?;
    Ok(verify(state, &bearer.token).await?)
}

/// A signed-in admin. Only [`AdminAuth`] makes one, after the role check, so a function that takes
/// an `&Admin` cannot be reached by anyone else.
#[derive(Debug, Clone, Copy)]
pub struct Admin(Caller);

impl std::ops::Deref for Admin {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

// Admin operations take this scheme: a signed-in user who is not an admin gets 403 before the
// handler runs. In the OpenAPI document it is `BearerAuth`, described the same.
/// A Bearer access token (JWT) from `POST /auth/login`, `/auth/register` or `/auth/refresh`.
#[derive(SecurityScheme)]
#[oai(
    rename = "BearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "authenticate_admin"
)]
pub struct AdminAuth(pub Admin);

async fn authenticate_admin(req: &Request, bearer: Bearer) -> poem::Result<Admin> {
    let caller = authenticate(req, bearer).await?;
    caller.require(&[Role::Admin])?;
    Ok(Admin(caller))
}

/// The `Authorization: Bearer` token of a request, if it carries one.
pub fn bearer_token(req: &Request) -> Option<&str> {
    let value = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The signed-in user an access token speaks for: signature, expiry, issuer and audience, and an
/// active session.
pub async fn verify(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let claims = state.tokens.verify(token).map_err(|e| {
        tracing::debug!(error = %e, "access token refused");
        ApiError::unauthorized("the access token is invalid or expired")
    })?;
    // Whether the session is active, cached per session; every revocation, role or language change
    // invalidates the user's namespace.
    let active = state
        .cache
        .get_or_load(
            crate::cache::Kind::Session,
            &[crate::cache::Ns::User(claims.sub)],
            &format!("session:{}", claims.sid),
            || async {
                let found = db::sessions::active_role(&state.pool, claims.sid, claims.sub).await?;
                Ok::<_, sqlx::Error>(
                    found.map(|(role, language)| (role.as_str().to_owned(), language)),
                )
            },
        )
        .await
        .map_err(ApiError::from)?;
    let (role, language) = active
        .and_then(|(role, language)| Some((Role::parse(&role).ok()?, language)))
        .ok_or_else(|| ApiError::unauthorized("the session has ended; sign in again"))?;
    Ok(Caller {
        user: claims.sub,
        session: claims.sid,
        role,
        language: crate::domain::account::Locale::parse(&language)
            .unwrap_or(crate::domain::account::Locale::DEFAULT),
    })
}
