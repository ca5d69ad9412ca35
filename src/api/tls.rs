//! `/admin/tls`: the certificate this node serves and, with ACME, the renewal plan and every attempt
//! to obtain one; `POST /admin/tls/renew` orders one now. Admins only. Also the http-01 challenge
//! answer on the plain port.

use poem::{IntoResponse, handler, http::StatusCode, web::Data, web::Path};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, payload::Json};
use time::OffsetDateTime;

use super::security::AdminAuth;
use super::{ApiTags, AppState, error::ApiError};
use crate::db::{self, acme::Attempt};

/// The certificate served to new connections.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct CertificateInfo {
    pub subject: String,
    /// Hex.
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub days_left: f64,
}

/// One attempt to obtain a certificate from the CA.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct AcmeAttempt {
    pub id: i64,
    /// The certificate's domains, sorted, comma-separated.
    pub domains: String,
    /// The node that ordered.
    pub node: String,
    /// `first`, `renewal` or `forced`.
    pub reason: String,
    /// `tls-alpn-01` or `http-01`.
    pub challenge: String,
    pub directory_url: String,
    pub started_at: OffsetDateTime,
    #[oai(skip_serializing_if_is_none)]
    pub finished_at: Option<OffsetDateTime>,
    /// `running`, `issued` or `failed`.
    pub outcome: String,
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    /// After a failure: no node tries again before this.
    #[oai(skip_serializing_if_is_none)]
    pub retry_at: Option<OffsetDateTime>,
}

impl From<Attempt> for AcmeAttempt {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id,
            domains: a.name,
            node: a.node,
            reason: a.reason,
            challenge: a.challenge,
            directory_url: a.directory_url,
            started_at: a.started_at,
            finished_at: a.finished_at,
            outcome: a.outcome,
            error: a.error,
            retry_at: a.retry_at,
        }
    }
}

/// ACME: what is configured, when the certificate renews, and the attempts.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct AcmeInfo {
    pub domains: Vec<String>,
    pub directory_url: String,
    pub challenge: String,
    /// When the served certificate is due for renewal.
    #[oai(skip_serializing_if_is_none)]
    pub renew_at: Option<OffsetDateTime>,
    /// Failed attempts since the last certificate was issued.
    pub failures_in_a_row: u32,
    /// After a failure: the next attempt is not before this.
    #[oai(skip_serializing_if_is_none)]
    pub retry_at: Option<OffsetDateTime>,
    /// Newest first.
    pub attempts: Vec<AcmeAttempt>,
}

#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct TlsStatus {
    /// `off`, `files` or `acme` (`tls.mode`).
    pub mode: String,
    /// None with `off`, and with `acme` until the first certificate is in hand.
    #[oai(skip_serializing_if_is_none)]
    pub certificate: Option<CertificateInfo>,
    #[oai(skip_serializing_if_is_none)]
    pub acme: Option<AcmeInfo>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct RenewalRequested {
    /// The attempt shows in `GET /admin/tls` when it starts.
    pub status: String,
}

#[derive(ApiResponse)]
pub enum RenewAccepted {
    /// The node orders a certificate now (another node's order in progress comes first).
    #[oai(status = 202)]
    Accepted(Json<RenewalRequested>),
}

#[derive(Default)]
pub struct TlsApi;

#[OpenApi(prefix_path = "/admin/tls", tag = "ApiTags::Admin")]
impl TlsApi {
    /// TLS certificate
    ///
    /// The certificate this node serves; with ACME, when it renews and the newest attempts to
    /// obtain one (every node's). Admins.
    #[oai(path = "/", method = "get", operation_id = "getTlsStatus")]
    async fn status(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<TlsStatus>, ApiError> {
        let now = OffsetDateTime::now_utc();
        let certificate = state
            .tls
            .as_ref()
            .and_then(|r| r.current())
            .map(|c| CertificateInfo {
                days_left: ((c.not_after - now).as_seconds_f64() / 864.0).round() / 100.0,
                subject: c.subject,
                serial: c.serial,
                not_before: c.not_before,
                not_after: c.not_after,
            });
        let acme = match &state.acme {
            Some(acme) => {
                let status = acme.status().await?;
                let attempts = db::acme::attempts(&state.pool, limit.0).await?;
                Some(AcmeInfo {
                    domains: status.domains,
                    directory_url: status.directory_url,
                    challenge: status.challenge.as_str().into(),
                    renew_at: status.renew_at,
                    failures_in_a_row: status.failures,
                    retry_at: status.retry_at,
                    attempts: attempts.into_iter().map(Into::into).collect(),
                })
            }
            None => None,
        };
        let mode = match (&state.tls, &state.acme) {
            (None, _) => "off",
            (Some(_), None) => "files",
            (Some(_), Some(_)) => "acme",
        };
        Ok(Json(TlsStatus {
            mode: mode.into(),
            certificate,
            acme,
        }))
    }

    /// Renew the certificate now
    ///
    /// Orders a new certificate from the ACME CA now, whatever the renewal time and the backoff
    /// after failures. 409 unless `tls.mode = "acme"`. Admins.
    #[oai(path = "/renew", method = "post", operation_id = "renewTlsCertificate")]
    async fn renew(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<RenewAccepted, ApiError> {
        let Some(acme) = &state.acme else {
            return Err(ApiError::conflict(
                "tls.mode",
                "certificates are renewed by this node only with tls.mode = \"acme\"",
            ));
        };
        acme.renew_now();
        tracing::info!("ACME: renewal requested by an admin");
        Ok(RenewAccepted::Accepted(Json(RenewalRequested {
            status: "ordering".into(),
        })))
    }
}

fn default_limit() -> i64 {
    20
}

/// `GET /.well-known/acme-challenge/{token}` on the plain port: the key authorization of a pending
/// http-01 challenge (any node's order), else 404.
#[handler]
pub async fn http_challenge(state: Data<&AppState>, Path(token): Path<String>) -> poem::Response {
    let answer = match &state.acme {
        Some(acme) => acme.http_challenge(&token).await,
        None => None,
    };
    match answer {
        Some(key_authorization) => {
            tracing::info!("answering an http-01 validation");
            key_authorization
                .with_content_type("application/octet-stream")
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
