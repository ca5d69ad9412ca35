//! The audit log: sign-ins and admin actions, for admins to query.

use std::net::IpAddr;

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// One event to record.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    /// Dotted name, e.g. `auth.login`, `admin.user.create`.
    pub action: &'a str,
    pub success: bool,
    pub actor: Option<Uuid>,
    pub subject: Option<Uuid>,
    /// For sign-ins: the address tried (also when no such account exists).
    pub email: Option<&'a str>,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

pub async fn record(db: impl PgExecutor<'_>, event: &Event<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (action, outcome, actor_id, subject_id, email, ip, user_agent, details)
         VALUES ($1, $2, $3, $4, left($5, 254), $6::inet, left($7, 512), $8)",
    )
    .bind(event.action)
    .bind(if event.success { "success" } else { "failure" })
    .bind(event.actor)
    .bind(event.subject)
    .bind(event.email)
    .bind(event.ip.map(|ip| ip.to_string()))
    .bind(event.user_agent)
    .bind(event.details.clone().unwrap_or_else(|| serde_json::json!({})))
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub action: String,
    pub outcome: String,
    pub actor_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

/// Filters for [`list`]; entries come newest first, `before` is the last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An action, or a prefix ending in `.` (e.g. `auth.`).
    pub action: Option<String>,
    /// Events where this user acted or was acted upon.
    pub user: Option<Uuid>,
    pub outcome: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn list(pool: &PgPool, filter: &Filter) -> sqlx::Result<Vec<Entry>> {
    let action_pattern = filter.action.as_ref().map(|a| {
        let escaped = a
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        if a.ends_with('.') {
            format!("{escaped}%")
        } else {
            escaped
        }
    });
    sqlx::query_as(
        "SELECT id, at, action, outcome, actor_id, subject_id, email, host(ip) AS ip, user_agent, details
         FROM audit_log
         WHERE ($1::text IS NULL OR action LIKE $1)
           AND ($2::uuid IS NULL OR actor_id = $2 OR subject_id = $2)
           AND ($3::text IS NULL OR outcome = $3)
           AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::bigint IS NULL OR id < $5)
         ORDER BY id DESC
         LIMIT $6",
    )
    .bind(action_pattern)
    .bind(filter.user)
    .bind(filter.outcome.as_deref())
    .bind(filter.since)
    .bind(filter.before)
    .bind(filter.limit)
    .fetch_all(pool)
    .await
}
