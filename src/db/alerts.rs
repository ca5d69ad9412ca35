//! Self-check reports, alerts and their notifications.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::alerting::{self, Open, Policy, Step};

/// One alert, open or resolved.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Alert {
    pub id: Uuid,
    pub rule: String,
    pub scope: String,
    pub state: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    pub pending_since: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub fired_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_notified_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, rule, scope, state, value, threshold, message, pending_since, fired_at, \
    resolved_at, last_notified_at, updated_at";

/// One notification of an alert on one channel.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Notification {
    pub alert_id: Uuid,
    pub event: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// Stores a node's report and returns its id.
pub async fn save_report(
    db: impl PgExecutor<'_>,
    node: &str,
    ok: bool,
    report: &serde_json::Value,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO self_checks (node, ok, report) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(node)
    .bind(ok)
    .bind(report)
    .fetch_one(db)
    .await
}

/// The newest report of every node that reported in the last `within_secs` seconds, by node.
pub async fn latest_reports(
    db: impl PgExecutor<'_>,
    within_secs: i64,
) -> sqlx::Result<Vec<(String, OffsetDateTime, bool, serde_json::Value)>> {
    sqlx::query_as(
        "SELECT DISTINCT ON (node) node, checked_at, ok, report FROM self_checks
         WHERE checked_at > now() - make_interval(secs => $1)
         ORDER BY node, checked_at DESC",
    )
    .bind(within_secs as f64)
    .fetch_all(db)
    .await
}

/// One point of a node's self-check history: averages over a bucket of reports.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryPoint {
    pub node: String,
    pub at: OffsetDateTime,
    pub requests_per_s: Option<f64>,
    pub p95_ms: Option<f64>,
    pub error_rate_pct: Option<f64>,
    pub db_pool_pct: Option<f64>,
}

/// Every node's readings over the last `hours`, in `bucket_secs` buckets, oldest first.
pub async fn history(
    db: impl PgExecutor<'_>,
    hours: i32,
    bucket_secs: i64,
) -> sqlx::Result<Vec<HistoryPoint>> {
    sqlx::query_as(
        "SELECT node, date_bin(make_interval(secs => $2), checked_at, timestamptz 'epoch') AS at,
                avg((report->'requests'->>'requests')::float8
                    / nullif((report->'requests'->>'window_secs')::float8, 0)) AS requests_per_s,
                max((report->'requests'->>'p95_ms')::float8) AS p95_ms,
                avg((report->'requests'->>'error_rate_pct')::float8) AS error_rate_pct,
                avg((SELECT (c->>'value')::float8 FROM jsonb_array_elements(report->'checks') c
                     WHERE c->>'name' = 'db_pool')) AS db_pool_pct
         FROM self_checks
         WHERE checked_at > now() - make_interval(hours => $1)
         GROUP BY node, at
         ORDER BY at, node",
    )
    .bind(hours)
    .bind(bucket_secs as f64)
    .fetch_all(db)
    .await
}

/// Drops reports older than `keep_days` days and job claims older than a week.
pub async fn prune(pool: &PgPool, keep_days: u32) -> sqlx::Result<u64> {
    let reports =
        sqlx::query("DELETE FROM self_checks WHERE checked_at < now() - make_interval(days => $1)")
            .bind(keep_days as i32)
            .execute(pool)
            .await?
            .rows_affected();
    sqlx::query("DELETE FROM job_runs WHERE claimed_at < now() - interval '7 days'")
        .execute(pool)
        .await?;
    Ok(reports)
}

/// A rule's condition as one node sees it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition<'a> {
    pub rule: &'a str,
    pub scope: &'a str,
    pub holds: bool,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub message: &'a str,
}

/// Moves the rule's alert one step in a transaction (nodes evaluating the same rule queue on its
/// row) and returns the alert and the step when the step must be notified.
pub async fn evaluate(
    pool: &PgPool,
    condition: &Condition<'_>,
    policy: Policy,
) -> sqlx::Result<Option<(Alert, Step)>> {
    let mut tx = pool.begin().await?;
    let open: Option<Alert> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE rule = $1 AND scope = $2 AND state IN ('pending', 'firing')
         FOR UPDATE"
    ))
    .bind(condition.rule)
    .bind(condition.scope)
    .fetch_optional(&mut *tx)
    .await?;
    let now: OffsetDateTime = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await?;
    let state = open.as_ref().map(|a| match (a.state.as_str(), a.fired_at) {
        ("firing", Some(fired)) => Open::Firing {
            since: fired,
            last_notified: a.last_notified_at.unwrap_or(fired),
        },
        _ => Open::Pending {
            since: a.pending_since,
        },
    });
    let step = alerting::step(state, condition.holds, now, policy);
    let id = open.as_ref().map(|a| a.id);
    // What each step changes on an open alert, besides the latest reading.
    let update = match step {
        Step::Stay => Some(""),
        Step::Fire => Some("state = 'firing', fired_at = now(), last_notified_at = now(),"),
        Step::Repeat => Some("last_notified_at = now(),"),
        Step::Resolve => Some("state = 'resolved', resolved_at = now(), last_notified_at = now(),"),
        Step::Pend | Step::Drop => None,
    };
    let changed: Option<Alert> = match (step, id, update) {
        (Step::Drop, Some(id), _) => {
            sqlx::query("DELETE FROM alerts WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            None
        }
        (_, Some(id), Some(set)) => {
            sqlx::query_as(&format!(
                "UPDATE alerts SET {set} value = $2, message = $3, updated_at = now()
                 WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(condition.value)
            .bind(condition.message)
            .fetch_optional(&mut *tx)
            .await?
        }
        (Step::Pend | Step::Fire, None, _) => {
            let state = if step == Step::Fire {
                "firing"
            } else {
                "pending"
            };
            // Another node may have opened it since the SELECT: then it is theirs to move.
            sqlx::query_as(&format!(
                "INSERT INTO alerts (rule, scope, state, value, threshold, message, pending_since, fired_at,
                                     last_notified_at)
                 VALUES ($1, $2, $3, $4, $5, $6, now(),
                         CASE WHEN $3 = 'firing' THEN now() END, CASE WHEN $3 = 'firing' THEN now() END)
                 ON CONFLICT (rule, scope) WHERE state IN ('pending', 'firing') DO NOTHING
                 RETURNING {COLUMNS}"
            ))
            .bind(condition.rule)
            .bind(condition.scope)
            .bind(state)
            .bind(condition.value)
            .bind(condition.threshold)
            .bind(condition.message)
            .fetch_optional(&mut *tx)
            .await?
        }
        // Nothing open and nothing to open; `step` pends only when nothing is open.
        _ => None,
    };
    tx.commit().await?;
    Ok(changed.filter(|_| step.notifies()).map(|a| (a, step)))
}

/// Alerts in `state` (any when `None`), most recently changed first.
pub async fn list(
    db: impl PgExecutor<'_>,
    state: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<Alert>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE ($1::text IS NULL OR state = $1)
         ORDER BY updated_at DESC, id LIMIT $2"
    ))
    .bind(state)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The notifications of these alerts, oldest first.
pub async fn notifications(
    db: impl PgExecutor<'_>,
    alerts: &[Uuid],
) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as(
        "SELECT alert_id, event, channel, status, attempts, error, created_at, finished_at
         FROM alert_notifications WHERE alert_id = ANY($1) ORDER BY created_at, id",
    )
    .bind(alerts)
    .fetch_all(db)
    .await
}

pub async fn start_notification(
    db: impl PgExecutor<'_>,
    alert: Uuid,
    event: &str,
    channel: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO alert_notifications (alert_id, event, channel, status) VALUES ($1, $2, $3, 'sending')
         RETURNING id",
    )
    .bind(alert)
    .bind(event)
    .bind(channel)
    .fetch_one(db)
    .await
}

pub async fn finish_notification(
    db: impl PgExecutor<'_>,
    id: i64,
    attempts: u32,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE alert_notifications SET status = CASE WHEN $3::text IS NULL THEN 'sent' ELSE 'failed' END,
                attempts = $2, error = $3, finished_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(attempts as i32)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}
