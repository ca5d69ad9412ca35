//! An admin's change to shared data: made in one transaction with its audit entry, and visible to
//! every node once committed (the namespaces it touched are invalidated).

use sqlx::{PgConnection, Postgres, Transaction};

use super::{
    AppState,
    error::ApiError,
    security::{Admin, Caller, ClientInfo},
};
use crate::{cache::Ns, db::audit};

/// An open admin change. Make it on the transaction (`&mut write` is a `&mut PgConnection`), then
/// [`AdminWrite::commit`] it with what it did; dropped without a commit, it rolls back and records
/// nothing.
pub struct AdminWrite<'a> {
    tx: Transaction<'static, Postgres>,
    state: &'a AppState,
    admin: &'a Admin,
    client: &'a ClientInfo,
}

impl<'a> AdminWrite<'a> {
    pub async fn begin(
        state: &'a AppState,
        admin: &'a Admin,
        client: &'a ClientInfo,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            tx: state.pool.begin().await?,
            state,
            admin,
            client,
        })
    }

    /// Records `action` with `details` in the change's own transaction, commits, and invalidates
    /// `touched` on every node.
    pub async fn commit(
        mut self,
        action: &str,
        details: serde_json::Value,
        touched: &[Ns],
    ) -> Result<(), ApiError> {
        record(&mut self.tx, self.admin, self.client, action, details).await?;
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

/// Records a signed-in user's successful change, on `conn` (the change's transaction).
pub async fn record(
    conn: &mut PgConnection,
    caller: &Caller,
    client: &ClientInfo,
    action: &str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        &audit::Event {
            action,
            success: true,
            actor: Some(caller.user),
            ip: client.ip,
            user_agent: client.user_agent.as_deref(),
            details: Some(details),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
