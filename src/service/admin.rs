//! An admin's change to shared data: made in one transaction with its audit entry, and visible to
//! every node once committed (the namespaces it touched are invalidated).

use sqlx::{PgConnection, Postgres, Transaction};

use super::{Actor, AppState, Error, Result};
use crate::cache::Ns;

/// An open admin change. Make it on the transaction (`&mut write` is a `&mut PgConnection`), then
/// [`AdminWrite::commit`] it with what it did; dropped without a commit, it rolls back and records
/// nothing. Only what an admin asked for (a handler that admitted one with `AdminAuth`) begins one.
pub struct AdminWrite<'a> {
    tx: Transaction<'static, Postgres>,
    state: &'a AppState,
    actor: Actor<'a>,
}

impl<'a> AdminWrite<'a> {
    pub async fn begin(state: &'a AppState, actor: Actor<'a>) -> Result<Self> {
        Ok(Self {
            tx: state.pool.begin().await?,
            state,
            actor,
        })
    }

    /// Records `action` with `details` in the change's own transaction, commits, and invalidates
    /// `touched` on every node.
    pub async fn commit(
        mut self,
        action: &str,
        details: serde_json::Value,
        touched: &[Ns],
    ) -> Result<()> {
        self.actor
            .record(&mut *self.tx, action, true, details)
            .await?;
        self.tx.commit().await?;
        self.state.cache.invalidate(touched).await;
        Ok(())
    }
}

impl std::ops::Deref for AdminWrite<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for AdminWrite<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

/// Constraint violations by name, as (constraint, field, message).
pub type Constraints = &'static [(&'static str, &'static str, &'static str)];

impl Error {
    /// Names the field a constraint violation is about, from `constraints`: unique and foreign-key
    /// violations are conflicts, check and not-null violations invalid values. Any other error, or
    /// an unlisted constraint, stays a database error.
    pub fn on_constraint(e: sqlx::Error, constraints: Constraints) -> Self {
        use sqlx::error::ErrorKind;
        if let sqlx::Error::Database(db) = &e {
            let listed = db
                .constraint()
                .and_then(|name| constraints.iter().find(|(c, _, _)| *c == name));
            if let Some(&(_, field, message)) = listed {
                return match db.kind() {
                    ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                        Error::invalid(field, message)
                    }
                    _ => Error::conflict(field, message),
                };
            }
        }
        Error::Database(e)
    }
}
