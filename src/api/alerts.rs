//! `/admin/alerts` and `/admin/self-check`: what the nodes found when they looked at themselves, and
//! the alerts it raised, with every notification sent. Admins only.

use poem::web::Data;
use poem_openapi::{Enum, Object, OpenApi, param::Query, payload::Json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::security::AdminAuth;
use super::{ApiTags, AppState, error::ApiError};
use crate::{
    db::{self, alerts::Alert},
    ops::selfcheck::Report,
};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds but not yet for `alerts.for_secs`.
    Pending,
    /// Notified.
    Firing,
    /// The condition cleared after firing.
    Resolved,
}

impl AlertState {
    fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

/// One notification of an alert.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct NotificationEntry {
    /// `firing`, `repeat` or `resolved`.
    pub event: String,
    /// `webhook` or `email`.
    pub channel: String,
    /// `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    #[oai(skip_serializing_if_is_none)]
    pub finished_at: Option<OffsetDateTime>,
}

/// An alert and its notifications.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct AlertEntry {
    pub id: Uuid,
    /// The self-check that raised it (`disk_backup`, `backup_failed`, `latency_p95`, …).
    pub rule: String,
    /// The node it is about, or `cluster` (backups).
    pub scope: String,
    pub state: AlertState,
    /// The latest reading.
    #[oai(skip_serializing_if_is_none)]
    pub value: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub threshold: Option<f64>,
    pub message: String,
    pub pending_since: OffsetDateTime,
    #[oai(skip_serializing_if_is_none)]
    pub fired_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub resolved_at: Option<OffsetDateTime>,
    #[oai(skip_serializing_if_is_none)]
    pub last_notified_at: Option<OffsetDateTime>,
    pub notifications: Vec<NotificationEntry>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct AlertList {
    pub alerts: Vec<AlertEntry>,
}

/// Every node's newest self-check.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct SelfCheckList {
    /// Nodes that reported in the last 24 hours, by name.
    pub nodes: Vec<Report>,
    /// Cron with seconds, UTC.
    pub schedule: String,
    pub enabled: bool,
}

/// A self-check just run, and the alerts it moved to firing, repeat or resolved.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct SelfCheckRun {
    pub report: Report,
    pub notified: Vec<AlertEntry>,
}

/// A node's readings at one time (averages over the bucket).
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct HistoryPoint {
    pub node: String,
    pub at: OffsetDateTime,
    #[oai(skip_serializing_if_is_none)]
    pub requests_per_s: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub p95_ms: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub error_rate_pct: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub db_pool_pct: Option<f64>,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct SelfCheckHistory {
    pub hours: i32,
    /// Each point averages the reports of this many seconds.
    pub bucket_secs: i64,
    /// Oldest first.
    pub points: Vec<HistoryPoint>,
}

/// One alert rule: the self-check it watches and where it fires.
#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct Rule {
    /// The self-check (`latency_p95`, `disk_data`, …).
    pub rule: String,
    /// Fires above this, or below it for `tls_cert`; absent for yes/no checks.
    #[oai(skip_serializing_if_is_none)]
    pub threshold: Option<f64>,
    pub unit: String,
    /// `above`, `below` or `failing`.
    pub fires_when: String,
}

/// A configured notification channel.
#[derive(Object, Debug, Clone, PartialEq)]
pub struct Channel {
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook's host (its path may carry a token), or the e-mail recipients.
    pub target: String,
}

#[derive(Object, Debug, Clone, PartialEq)]
pub struct AlertRules {
    pub enabled: bool,
    /// A condition must hold this long before its alert fires.
    pub for_secs: u64,
    /// A firing alert is notified again at most this often.
    pub repeat_interval_secs: u64,
    pub rules: Vec<Rule>,
    pub channels: Vec<Channel>,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum ChannelName {
    Webhook,
    Email,
}

#[derive(Object, Debug, Clone)]
pub struct TestRequest {
    pub channel: ChannelName,
}

#[derive(Object, Debug, Clone, PartialEq)]
#[oai(skip_serializing_if_is_none)]
pub struct TestResult {
    pub channel: String,
    pub delivered: bool,
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

#[derive(Default)]
pub struct AlertsApi;

#[OpenApi(prefix_path = "/admin", tag = "ApiTags::Admin")]
impl AlertsApi {
    /// Alerts
    ///
    /// Alerts raised by the self-checks, most recently changed first, each with its notifications.
    /// Admins.
    #[oai(path = "/alerts", method = "get", operation_id = "listAlerts")]
    async fn alerts(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        #[oai(name = "state")] wanted: Query<Option<AlertState>>,
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "500"))
        )]
        limit: Query<i64>,
    ) -> Result<Json<AlertList>, ApiError> {
        let alerts =
            db::alerts::list(&state.pool, wanted.0.map(AlertState::as_str), limit.0).await?;
        Ok(Json(AlertList {
            alerts: with_notifications(&state, alerts).await?,
        }))
    }

    /// Alert rules and channels
    ///
    /// The thresholds the self-checks are held to (from `[alerts]`), the timing, and where alerts go.
    /// Admins.
    #[oai(path = "/alerts/rules", method = "get", operation_id = "getAlertRules")]
    async fn rules(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<AlertRules>, ApiError> {
        let a = state.self_check.alerts();
        let above = |rule: &str, threshold: f64, unit: &str| Rule {
            rule: rule.into(),
            threshold: Some(threshold),
            unit: unit.into(),
            fires_when: "above".into(),
        };
        let failing = |rule: &str| Rule {
            rule: rule.into(),
            threshold: None,
            unit: String::new(),
            fires_when: "failing".into(),
        };
        let rules = vec![
            failing("database"),
            failing("cache"),
            above("db_pool", a.db_pool_pct, "%"),
            above("cpu", a.cpu_pct, "%"),
            above("memory", a.memory_pct, "%"),
            above("disk_data", a.disk_pct, "%"),
            above("disk_backup", a.disk_pct, "%"),
            above("cache_evictions", a.cache_evictions_per_sec, "per_s"),
            above("redis_evictions", a.cache_evictions_per_sec, "per_s"),
            above("latency_p95", a.p95_ms, "ms"),
            above("error_rate", a.error_rate_pct, "%"),
            above("backup_age", a.backup_max_age_hours, "h"),
            failing("backup_failed"),
            failing("backup_upload"),
            Rule {
                rule: "tls_cert".into(),
                threshold: Some(a.cert_expiry_days),
                unit: "d".into(),
                fires_when: "below".into(),
            },
        ];
        Ok(Json(AlertRules {
            enabled: a.enabled,
            for_secs: a.for_secs,
            repeat_interval_secs: a.repeat_interval_secs,
            rules,
            channels: state
                .self_check
                .notifier()
                .channels()
                .into_iter()
                .map(|(channel, target)| Channel {
                    channel: channel.into(),
                    target,
                })
                .collect(),
        }))
    }

    /// Send a test notification
    ///
    /// Sends one test alert on the channel now, without retries or records, and says whether it
    /// was delivered. 409 when the channel is not configured. Admins.
    #[oai(
        path = "/alerts/test",
        method = "post",
        operation_id = "testAlertChannel"
    )]
    async fn test(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        body: Json<TestRequest>,
    ) -> Result<Json<TestResult>, ApiError> {
        let channel = match body.0.channel {
            ChannelName::Webhook => "webhook",
            ChannelName::Email => "email",
        };
        let Some(result) = state.self_check.notifier().send_test(channel).await else {
            return Err(ApiError::conflict(
                "channel",
                format!("no {channel} channel is configured ([alerts.{channel}])"),
            ));
        };
        Ok(Json(TestResult {
            channel: channel.into(),
            delivered: result.is_ok(),
            error: result.err(),
        }))
    }

    /// Self-check history
    ///
    /// Requests per second, p95 latency, error rate and database pool use of every node over the
    /// last `hours` (1 to 168), from the stored self-checks, in at most 240 points per node. Admins.
    #[oai(
        path = "/self-check/history",
        method = "get",
        operation_id = "selfCheckHistory"
    )]
    async fn history(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
        #[oai(
            default = "one_hour",
            validator(minimum(value = "1"), maximum(value = "168"))
        )]
        hours: Query<i32>,
    ) -> Result<Json<SelfCheckHistory>, ApiError> {
        let bucket_secs = (i64::from(hours.0) * 3600 / 240).max(60);
        let points = db::alerts::history(&state.pool, hours.0, bucket_secs)
            .await?
            .into_iter()
            .map(|p| HistoryPoint {
                node: p.node,
                at: p.at,
                requests_per_s: p.requests_per_s,
                p95_ms: p.p95_ms,
                error_rate_pct: p.error_rate_pct,
                db_pool_pct: p.db_pool_pct,
            })
            .collect();
        Ok(Json(SelfCheckHistory {
            hours: hours.0,
            bucket_secs,
            points,
        }))
    }

    /// Self-checks
    ///
    /// The newest self-check of every node. Admins.
    #[oai(path = "/self-check", method = "get", operation_id = "listSelfChecks")]
    async fn self_checks(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<SelfCheckList>, ApiError> {
        let nodes = db::alerts::latest_reports(&state.pool, 24 * 3600)
            .await?
            .into_iter()
            .filter_map(|(_, _, _, report)| serde_json::from_value(report).ok())
            .collect();
        let config = state.self_check.config();
        Ok(Json(SelfCheckList {
            nodes,
            schedule: config.schedule.clone(),
            enabled: config.enabled,
        }))
    }

    /// Run the self-check now
    ///
    /// On the node that receives the request: stores the report and evaluates the alert rules, as
    /// the schedule does. Notifications are sent in the background. Admins.
    #[oai(path = "/self-check", method = "post", operation_id = "runSelfCheck")]
    async fn run_self_check(
        &self,
        state: Data<&AppState>,
        _admin: AdminAuth,
    ) -> Result<Json<SelfCheckRun>, ApiError> {
        let (report, notified) = state.self_check.run_and_record().await;
        Ok(Json(SelfCheckRun {
            report,
            notified: with_notifications(&state, notified).await?,
        }))
    }
}

async fn with_notifications(
    state: &AppState,
    alerts: Vec<Alert>,
) -> Result<Vec<AlertEntry>, ApiError> {
    let ids: Vec<Uuid> = alerts.iter().map(|a| a.id).collect();
    let notifications = db::alerts::notifications(&state.pool, &ids).await?;
    Ok(alerts
        .into_iter()
        .map(|a| {
            let mine = notifications
                .iter()
                .filter(|n| n.alert_id == a.id)
                .cloned()
                .map(|n| NotificationEntry {
                    event: n.event,
                    channel: n.channel,
                    status: n.status,
                    attempts: n.attempts,
                    error: n.error,
                    created_at: n.created_at,
                    finished_at: n.finished_at,
                })
                .collect();
            AlertEntry {
                id: a.id,
                state: match a.state.as_str() {
                    "pending" => AlertState::Pending,
                    "firing" => AlertState::Firing,
                    _ => AlertState::Resolved,
                },
                rule: a.rule,
                scope: a.scope,
                value: a.value,
                threshold: a.threshold,
                message: a.message,
                pending_since: a.pending_since,
                fired_at: a.fired_at,
                resolved_at: a.resolved_at,
                last_notified_at: a.last_notified_at,
                notifications: mine,
            }
        })
        .collect())
}

fn one_hour() -> i32 {
    1
}

fn default_limit() -> i64 {
    100
}
