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

/// Appends to `restored`'s audit log the entries `live` wrote after the newest entry `restored`
/// holds (what happened since the backup was taken), oldest first; an actor the restored database
/// does not know is kept in `details.actor` instead. Returns how many were carried over.
pub async fn carry_over(
    live: impl PgExecutor<'_>,
    restored: &mut sqlx::PgConnection,
) -> sqlx::Result<u64> {
    let newest: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM audit_log")
        .fetch_one(&mut *restored)
        .await?;
    let entries: serde_json::Value = sqlx::query_scalar(
        "SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id), '[]') FROM audit_log a WHERE a.id > $1",
    )
    .bind(newest)
    .fetch_one(live)
    .await?;
    let done = sqlx::query(
        "INSERT INTO audit_log (at, action, outcome, actor_id, subject_id, email, ip, user_agent, details)
         SELECT e.at, e.action, e.outcome, u.id, e.subject_id, e.email, e.ip, e.user_agent,
                CASE WHEN e.actor_id IS NOT NULL AND u.id IS NULL
                     THEN e.details || jsonb_build_object('actor', e.actor_id) ELSE e.details END
         FROM jsonb_to_recordset($1) AS e(id bigint, at timestamptz, action text, outcome text,
              actor_id uuid, subject_id uuid, email text, ip inet, user_agent text, details jsonb)
         LEFT JOIN users u ON u.id = e.actor_id
         ORDER BY e.id",
    )
    .bind(entries)
    .execute(restored)
    .await?;
    Ok(done.rows_affected())
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
