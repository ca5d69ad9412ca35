//! One error model for the whole API: RFC 9457 problem+json, with the fields that were wrong.
//!
//! Handlers return [`ApiError`]; errors raised by the framework itself (malformed JSON, wrong types,
//! unknown routes, oversized bodies) are turned into the same shape by [`framework_error`].

use poem::{Response, http::StatusCode};
use poem_openapi::{ApiResponse, Object, payload::Json};

use crate::{domain::invalid::Invalid, service};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    /// A URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[oai(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem; the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    /// A stable code for `detail`, when it is one of the generic ones.
    #[oai(skip_serializing_if_is_none)]
    pub detail_code: Option<String>,
    /// The fields that were wrong, each with its own message.
    #[oai(default, skip_serializing_if_is_empty)]
    pub errors: Vec<FieldError>,
}

/// One invalid input field.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct FieldError {
    /// The field's name as sent (a JSON property, query or path parameter).
    pub field: String,
    /// In the response's language where the message has a `code`.
    pub message: String,
    /// A stable code for the kind of problem (`range`, `empty`, `too_long`, `one_of`, `malformed`),
    /// with the values the message names in `params`.
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub params: Option<std::collections::BTreeMap<String, String>>,
}

impl FieldError {
    /// A field error: a kind with a code is worded in every language (`field-<code>`), an
    /// [`Invalid::Other`] in English only.
    pub fn new(field: impl Into<String>, invalid: impl Into<Invalid>) -> Self {
        let invalid = invalid.into();
        let params = invalid.params();
        Self {
            field: field.into(),
            message: invalid.to_string(),
            code: invalid.code().map(str::to_owned),
            params: (!params.is_empty())
                .then(|| params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        }
    }

    /// A domain range error on `field`.
    pub fn out_of_range(
        field: impl Into<String>,
        e: &crate::domain::nutrition::OutOfRange,
    ) -> Self {
        Self::new(field, e.invalid.clone())
    }
}

/// Every error an endpoint can answer with.
#[derive(ApiResponse, Debug, Clone)]
pub enum ApiError {
    /// The request is malformed: unreadable JSON, a value of the wrong type, a bad parameter.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Missing or invalid credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Authenticated, but not allowed to do this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource (or not yours).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state (e.g. a duplicate).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is larger than `server.body_limit_bytes`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not in a media type this operation reads (`Content-Type`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Well-formed, but some values are not acceptable; `errors` lists them.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// The request body did not arrive within `server.body_read_timeout_secs`.
    #[oai(status = 408, content_type = "application/problem+json")]
    RequestTimeout(Json<Problem>),
    /// Too many requests; retry after the number of seconds in `Retry-After`.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// Something failed on our side; details are in the server log, under the response's request id.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// A dependency (the database) is unavailable or too slow, or the node is at its limit of
    /// concurrent requests; retry after the number of seconds in `Retry-After`.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>, #[oai(header = "Retry-After")] u64),
}

impl ApiError {
    /// A problem of the kind named by `status`, with a detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::from_problem(problem(status, Some(detail.into()), Vec::new()))
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 422 with the fields that failed validation.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut p = problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("some fields are not valid".into()),
            errors,
        );
        p.detail_code = Some("validation".into());
        Self::from_problem(p)
    }

    /// 422 for one invalid field.
    pub fn invalid(field: &str, message: impl Into<Invalid>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 409 naming the field whose value is already taken.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::from_problem(problem(
            StatusCode::CONFLICT,
            Some(message.clone()),
            vec![FieldError::new(field, message)],
        ))
    }

    /// 400 naming the fields that could not be read.
    pub fn bad_request(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self::from_problem(problem(
            StatusCode::BAD_REQUEST,
            Some(detail.into()),
            errors,
        ))
    }

    /// 401: no valid credentials (the `WWW-Authenticate` challenge is added by the middleware).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: signed in, but the role does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 403 for a destructive operation whose caller has not entered their password again lately.
    pub fn reauthentication_required() -> Self {
        let mut p = problem(
            StatusCode::FORBIDDEN,
            Some("enter your password again (POST /auth/reauthenticate) to confirm this".into()),
            Vec::new(),
        );
        p.detail_code = Some("reauthentication_required".into());
        Self::from_problem(p)
    }

    /// 503 while a restore swaps the database: the service is read-only for a moment.
    pub fn maintenance() -> Self {
        Self::unavailable(
            "a database restore is in progress; the service is read-only for a moment, retry shortly",
            5,
        )
    }

    /// 503 with the seconds to wait before retrying.
    pub fn unavailable(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::Unavailable(
            Json(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(detail.into()),
                Vec::new(),
            )),
            retry_after_secs,
        )
    }

    /// 503: every planner thread is busy and the queue is full (`limits.solver_queue`).
    pub fn planners_busy() -> Self {
        Self::unavailable("the planners are busy; retry shortly", 1)
    }

    /// 429 with the seconds to wait.
    pub fn rate_limited(limited: crate::cache::rate_limit::Limited) -> Self {
        let secs = limited.retry_after_secs();
        Self::TooManyRequests(
            Json(problem(
                StatusCode::TOO_MANY_REQUESTS,
                Some(format!("too many requests; retry in {secs} s")),
                Vec::new(),
            )),
            secs,
        )
    }

    fn from_problem(p: Problem) -> Self {
        let status = p.status;
        let body = Json(p);
        match status {
            400 => Self::BadRequest(body),
            401 => Self::Unauthorized(body),
            403 => Self::Forbidden(body),
            404 => Self::NotFound(body),
            408 => Self::RequestTimeout(body),
            409 => Self::Conflict(body),
            413 => Self::PayloadTooLarge(body),
            415 => Self::UnsupportedMediaType(body),
            422 => Self::Unprocessable(body),
            429 => Self::TooManyRequests(body, 60),
            503 => Self::Unavailable(body, DATABASE_RETRY_AFTER_SECS),
            _ => Self::Internal(body),
        }
    }
}

/// What a client is told to wait when the database is away or slow.
const DATABASE_RETRY_AFTER_SECS: u64 = 2;

/// Why a database error is the database being away or slow rather than a bug: the client may
/// retry (503) instead of being told something broke (500).
fn unavailability(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::PoolTimedOut => Some("the database is busy or unavailable; retry shortly"),
        sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            Some("the database is unavailable; retry shortly")
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // query_canceled: database.statement_timeout_secs ran out.
            Some("57014") => Some("the database took too long to answer; retry shortly"),
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections,
            // insufficient_resources, serialization_failure, deadlock_detected and the
            // connection_exception class: the server is restarting, overloaded or away.
            Some(
                "57P01" | "57P02" | "57P03" | "53300" | "53000" | "53100" | "53200" | "40001"
                | "40P01",
            ) => Some("the database is unavailable; retry shortly"),
            Some(code) if code.starts_with("08") => {
                Some("the database is unavailable; retry shortly")
            }
            _ => None,
        },
        _ => None,
    }
}

/// Internals never reach the client: the cause is logged, the client gets a generic 500, or a 503
/// with `Retry-After` when the database is away or slow.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(detail) = unavailability(&e) {
            tracing::error!(error = %e, "database unavailable");
            return Self::unavailable(detail, DATABASE_RETRY_AFTER_SECS);
        }
        tracing::error!(error = %e, "database error");
        Self::from_problem(problem(StatusCode::INTERNAL_SERVER_ERROR, None, Vec::new()))
    }
}

/// A load that failed behind the cache (shared by every caller that waited for it).
impl From<std::sync::Arc<sqlx::Error>> for ApiError {
    fn from(e: std::sync::Arc<sqlx::Error>) -> Self {
        match std::sync::Arc::try_unwrap(e) {
            Ok(e) => ApiError::from(e),
            Err(shared) => match unavailability(&shared) {
                Some(detail) => {
                    tracing::error!(error = %shared, "database unavailable");
                    Self::unavailable(detail, DATABASE_RETRY_AFTER_SECS)
                }
                None => ApiError::from(anyhow::anyhow!("database error: {shared}")),
            },
        }
    }
}

/// Names the field a constraint violation is about, from `constraints` as (constraint, field,
/// message); see [`service::Error::on_constraint`].
pub fn on_constraint(e: sqlx::Error, constraints: service::admin::Constraints) -> ApiError {
    service::Error::on_constraint(e, constraints).into()
}

/// A service's failure as the API answers it: the one place service errors become statuses.
impl From<service::Error> for ApiError {
    fn from(e: service::Error) -> Self {
        use service::Error as E;
        match e {
            E::NotFound(what) => ApiError::not_found(what),
            E::Invalid(errors) => ApiError::validation(errors),
            E::Conflict { field, message } => ApiError::conflict(field, message),
            E::Busy => ApiError::planners_busy(),
            E::Database(e) => e.into(),
            E::SharedDatabase(e) => e.into(),
            E::Internal(e) => e.into(),
            E::Shared(shared) => match std::sync::Arc::try_unwrap(shared) {
                Ok(e) => e.into(),
                Err(shared) => ApiError::from_shared(&shared),
            },
        }
    }
}

impl ApiError {
    /// A service failure that several waiting requests share, answered to each of them.
    fn from_shared(e: &service::Error) -> Self {
        use service::Error as E;
        match e {
            E::NotFound(what) => ApiError::not_found(what),
            E::Invalid(errors) => ApiError::validation(errors.clone()),
            E::Conflict { field, message } => ApiError::conflict(field, message.clone()),
            E::Busy => ApiError::planners_busy(),
            E::Database(db) => match unavailability(db) {
                Some(detail) => {
                    tracing::error!(error = %db, "database unavailable");
                    Self::unavailable(detail, DATABASE_RETRY_AFTER_SECS)
                }
                None => ApiError::from(anyhow::anyhow!("database error: {db}")),
            },
            E::SharedDatabase(db) => ApiError::from(db.clone()),
            E::Internal(e) => ApiError::from(anyhow::anyhow!("{e:#}")),
            E::Shared(inner) => ApiError::from_shared(inner),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        if let Some(detail) = e.downcast_ref::<sqlx::Error>().and_then(unavailability) {
            tracing::error!(error = %format!("{e:#}"), "database unavailable");
            return Self::unavailable(detail, DATABASE_RETRY_AFTER_SECS);
        }
        tracing::error!(error = %format!("{e:#}"), "internal error");
        Self::from_problem(problem(StatusCode::INTERNAL_SERVER_ERROR, None, Vec::new()))
    }
}

fn problem(status: StatusCode, detail: Option<String>, errors: Vec<FieldError>) -> Problem {
    let (slug, title) = match status {
        StatusCode::BAD_REQUEST => ("bad-request", "Malformed request"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "Authentication required"),
        StatusCode::FORBIDDEN => ("forbidden", "Not allowed"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::REQUEST_TIMEOUT => ("request-timeout", "Request body too slow"),
        StatusCode::CONFLICT => ("conflict", "Conflict"),
        StatusCode::LENGTH_REQUIRED => ("length-required", "Length required"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("validation", "Invalid input"),
        StatusCode::TOO_MANY_REQUESTS => ("rate-limited", "Too many requests"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "Service unavailable"),
        s if s.is_server_error() => ("internal", "Internal server error"),
        _ => ("http", "Request failed"),
    };
    Problem {
        kind: format!("/problems/{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        detail_code: None,
        errors,
    }
}

/// Turns an error the framework raised into problem+json. Errors that already carry a response
/// (an [`ApiError`]) pass through unchanged.
pub fn framework_error(err: poem::Error, path: &str) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let (detail, errors) = if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        (None, Vec::new())
    } else {
        (
            Some(err.to_string()),
            field_of(&err, path).into_iter().collect(),
        )
    };
    problem_response(problem(status, detail, errors))
}

fn problem_response(p: Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem_json(&p)).expect("problem serializes");
    Response::builder()
        .status(status)
        .content_type(PROBLEM_JSON)
        .body(body)
}

fn problem_json(p: &Problem) -> serde_json::Value {
    use poem_openapi::types::ToJSON;
    p.to_json().unwrap_or(serde_json::Value::Null)
}

/// The field a framework parse error is about, when it names one.
fn field_of(err: &poem::Error, path: &str) -> Option<FieldError> {
    use poem_openapi::error::{ParseParamError, ParsePathError, ParseRequestPayloadError};
    let malformed =
        |field: String, reason: String| FieldError::new(field, Invalid::Malformed { reason });
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return Some(malformed(e.name.to_owned(), e.reason.clone()));
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        // poem-openapi routes path parameters as `param0`, `param1`…: name them as the spec does.
        let name = e
            .name
            .strip_prefix("param")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| super::schema::path_parameter_name(path, n))
            .unwrap_or_else(|| e.name.to_string());
        return Some(malformed(name, e.reason.clone()));
    }
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        // serde_json and poem-openapi name the property in backticks: "missing field `email`".
        let reason = &e.reason;
        let start = reason.find("field `")? + "field `".len();
        let len = reason[start..].find('`')?;
        return Some(malformed(
            reason[start..start + len].to_owned(),
            reason.clone(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_coded_kind_reads_in_english_as_the_catalogue_words_it() {
        use crate::{
            domain::account::Locale,
            i18n::{Arg, Messages},
        };
        let en = Locale::parse("en").unwrap();
        let kinds = [
            Invalid::Empty,
            Invalid::Range {
                min: "25".into(),
                max: "300".into(),
                unit: "kg".into(),
            },
            Invalid::TooLong { max: 80 },
            Invalid::one_of(&["athlete", "coach"]),
            Invalid::Required,
            Invalid::Type {
                kind: "integer".into(),
            },
            Invalid::Date,
            Invalid::DateTime,
            Invalid::Uuid,
            Invalid::Decimal,
            Invalid::WholeNumber,
            Invalid::OutOfTypeRange,
            Invalid::NulCharacter,
            Invalid::Malformed {
                reason: "expected value".into(),
            },
            Invalid::Positive,
            Invalid::Negative,
            Invalid::DecimalPlaces { max: 2 },
            Invalid::Below {
                limit: "100000".into(),
            },
            Invalid::AtMost { max: "100".into() },
            Invalid::MaxDays { max: 60 },
            Invalid::PeriodDays { min: 7, max: 366 },
            Invalid::Slug { max: 80 },
            Invalid::SubstanceCode,
            Invalid::Gtin,
            Invalid::GtinCheckDigit,
            Invalid::WebUrl,
            Invalid::Country,
            Invalid::Period,
        ];
        for kind in kinds {
            let e = FieldError::new("f", kind.clone());
            let code = e.code.clone().expect("a coded kind");
            let args: Vec<(&str, Arg<'_>)> = kind
                .params()
                .into_iter()
                .map(|(k, v)| (k, Arg::from(v)))
                .collect();
            assert_eq!(
                Messages::global().get(&en, &format!("field-{code}"), &args),
                e.message,
                "{kind:?}"
            );
        }
        let other = FieldError::new("f", "must be above 0");
        assert_eq!((other.code, other.params), (None, None));
    }

    #[test]
    fn every_status_gets_its_own_kind_and_title() {
        let p = problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec![FieldError::new("weight_kg", "at most 300")],
        );
        assert_eq!(p.kind, "/problems/validation");
        assert_eq!(p.status, 422);
        let json = problem_json(&p);
        assert_eq!(json["type"], "/problems/validation");
        assert_eq!(json["errors"][0]["field"], "weight_kg");
        assert!(json.get("detail").is_none());
    }

    #[test]
    fn server_errors_hide_their_cause() {
        let err = poem::Error::from_string(
            "connection refused to 10.0.0.5",
            StatusCode::INTERNAL_SERVER_ERROR,
        );
        let resp = framework_error(err, "/");
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(resp.content_type(), Some(PROBLEM_JSON));
    }

    #[test]
    fn parse_errors_name_the_field() {
        let err: poem::Error = poem_openapi::error::ParseParamError {
            name: "limit",
            reason: "failed to parse \"integer(int32)\": invalid digit".into(),
        }
        .into();
        assert_eq!(field_of(&err, "/").unwrap().field, "limit");
        let err: poem::Error = poem_openapi::error::ParseRequestPayloadError {
            reason: "failed to parse \"Login\": missing field `email`".into(),
        }
        .into();
        assert_eq!(field_of(&err, "/").unwrap().field, "email");
        let err: poem::Error = poem_openapi::error::ParsePathError {
            name: "param0",
            reason: "failed to parse \"string(uuid)\"".into(),
        }
        .into();
        let field = field_of(&err, "/api/v1/coach/athletes/nope/profile")
            .unwrap()
            .field;
        assert_eq!(field, "id");
    }
}
