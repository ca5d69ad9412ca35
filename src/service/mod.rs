//! The use cases behind the API, between the handlers and `db` + `domain`. A service loads what it
//! needs through [`crate::db`] (and the cache), decides with [`crate::domain`], saves, and returns
//! a typed result or an [`Error`]; a handler parses the request, checks the caller, calls one
//! service function and turns its answer into the response.
//!
//! A service never sees HTTP: it takes [`AppState`]'s handles and the API's request and response
//! shapes (`api::*::dto`), and never an extractor, a status code or [`crate::api::error::ApiError`],
//! which [`Error`] is turned into once, in `api::error`.

pub mod admin;
pub mod athlete;
pub mod backups;
pub mod cached;
pub mod catalogue_admin;
pub mod dosage;
pub mod feeds;
pub mod meal_plans;
pub mod progress;
pub mod recommendations;
pub mod setup;
pub mod shopping_plan;
pub mod words;

use std::{net::IpAddr, sync::Arc};

use uuid::Uuid;

pub use crate::api::AppState;
use crate::{api::error::FieldError, db::audit};

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing of that name for this caller (another user's is the same as none).
    #[error("no {0}")]
    NotFound(&'static str),
    /// Values the use case cannot accept, each with its field; worded in the request's language.
    #[error("{} invalid fields", .0.len())]
    Invalid(Vec<FieldError>),
    /// The request is sound but the data's present state refuses it (taken, already decided, in
    /// use); `field` names what collides.
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// Every solver thread is taken and the queue is full.
    #[error("the planners are busy")]
    Busy,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A database load behind the cache, failed for every caller that waited on it.
    #[error(transparent)]
    SharedDatabase(#[from] Arc<sqlx::Error>),
    /// A use case behind the cache, failed for every caller that waited on it.
    #[error(transparent)]
    Shared(Arc<Error>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field,
            message: message.into(),
        }
    }

    pub fn invalid(
        field: impl Into<String>,
        invalid: impl Into<crate::domain::invalid::Invalid>,
    ) -> Self {
        Self::Invalid(vec![FieldError::new(field, invalid)])
    }
}

/// Who makes a change, as the audit log records them.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user: Uuid,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

impl Actor<'_> {
    /// Records `action` in the audit log on `db` (the change's own transaction, when it has one).
    pub async fn record(
        &self,
        db: impl sqlx::PgExecutor<'_>,
        action: &str,
        success: bool,
        details: serde_json::Value,
    ) -> Result<()> {
        audit::record(
            db,
            &audit::Event {
                action,
                success,
                actor: Some(self.user),
                ip: self.ip,
                user_agent: self.user_agent,
                details: Some(details),
                ..Default::default()
            },
        )
        .await?;
        Ok(())
    }
}

impl From<Arc<Error>> for Error {
    fn from(e: Arc<Error>) -> Self {
        Arc::try_unwrap(e).unwrap_or_else(Self::Shared)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
