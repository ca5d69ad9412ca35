//! Telling people about alerts: a JSON webhook and e-mail over SMTP, each retried with exponential
//! backoff, every delivery recorded in `alert_notifications`.

use std::{future::Future, time::Duration};

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::PgPool;

use crate::{
    config::{AlertsConfig, EmailConfig, SmtpSecurity, WebhookConfig},
    db::{self, alerts::Alert},
    domain::alerting::Step,
};

/// The configured channels; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    pool: PgPool,
    node: String,
    webhook: Option<Webhook>,
    email: Option<Email>,
}

#[derive(Clone)]
struct Webhook {
    client: reqwest::Client,
    url: reqwest::Url,
    retries: u32,
    backoff: Duration,
}

#[derive(Clone)]
struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    retries: u32,
    backoff: Duration,
}

/// Why one attempt failed, and whether another could succeed.
struct Failure {
    message: String,
    retry: bool,
}

impl Notifier {
    pub fn new(pool: PgPool, node: String, config: &AlertsConfig) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            node,
            webhook: config
                .webhook
                .url
                .as_ref()
                .map(|url| Webhook::new(url.expose_secret(), &config.webhook))
                .transpose()?,
            email: config
                .email
                .smtp_host
                .as_ref()
                .map(|host| Email::new(host, &config.email))
                .transpose()?,
        })
    }

    /// Whether any channel is configured.
    pub fn any(&self) -> bool {
        self.webhook.is_some() || self.email.is_some()
    }

    /// The configured channels and where they deliver: the webhook's host (never its path or
    /// query, which may carry a token), the e-mail recipients.
    pub fn channels(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(webhook) = &self.webhook {
            out.push((
                "webhook",
                webhook.url.host_str().unwrap_or_default().to_owned(),
            ));
        }
        if let Some(email) = &self.email {
            let to: Vec<String> = email.to.iter().map(|m| m.email.to_string()).collect();
            out.push(("email", to.join(", ")));
        }
        out
    }

    /// Sends a test notification on `channel` once, now, and says how it went; `None` when the
    /// channel is not configured. Nothing is recorded.
    pub async fn send_test(&self, channel: &str) -> Option<Result<(), String>> {
        let now = time::OffsetDateTime::now_utc();
        let alert = Alert {
            id: uuid::Uuid::new_v4(),
            rule: "test".into(),
            scope: self.node.clone(),
            state: "firing".into(),
            value: None,
            threshold: None,
            message: "A test notification sent from the admin dashboard: this channel works."
                .into(),
            pending_since: now,
            fired_at: Some(now),
            resolved_at: None,
            last_notified_at: None,
            updated_at: now,
        };
        let result = match channel {
            "webhook" => {
                let webhook = self.webhook.as_ref()?;
                webhook.send(&payload(&alert, "test", &self.node)).await
            }
            "email" => {
                let email = self.email.as_ref()?;
                email.send(email.message(&alert, "test", &self.node)).await
            }
            _ => return None,
        };
        Some(result.map_err(|f| f.message))
    }

    /// Sends `alert` (after `step`) on every channel in the background; each delivery is recorded.
    pub fn notify(&self, alert: Alert, step: Step) -> Vec<tokio::task::JoinHandle<()>> {
        let event = match step {
            Step::Fire => "firing",
            Step::Repeat => "repeat",
            Step::Resolve => "resolved",
            _ => return Vec::new(),
        };
        let mut tasks = Vec::new();
        if let Some(webhook) = self.webhook.clone() {
            let body = payload(&alert, event, &self.node);
            tasks.push(self.deliver(
                alert.clone(),
                event,
                "webhook",
                webhook.retries,
                webhook.backoff,
                move || {
                    let webhook = webhook.clone();
                    let body = body.clone();
                    async move { webhook.send(&body).await }
                },
            ));
        }
        if let Some(email) = self.email.clone() {
            let message = email.message(&alert, event, &self.node);
            tasks.push(self.deliver(
                alert,
                event,
                "email",
                email.retries,
                email.backoff,
                move || {
                    let email = email.clone();
                    let message = message.clone();
                    async move { email.send(message).await }
                },
            ));
        }
        tasks
    }

    fn deliver<F, Fut>(
        &self,
        alert: Alert,
        event: &'static str,
        channel: &'static str,
        retries: u32,
        backoff: Duration,
        attempt: F,
    ) -> tokio::task::JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), Failure>> + Send,
    {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let record = match db::alerts::start_notification(&pool, alert.id, event, channel).await
            {
                Ok(id) => Some(id),
                Err(e) => {
                    tracing::warn!(error = %e, "recording an alert notification");
                    None
                }
            };
            let (attempts, error) = with_retries(retries, backoff, attempt).await;
            match &error {
                None => {
                    tracing::info!(rule = %alert.rule, scope = %alert.scope, event, channel, attempts, "alert notified")
                }
                Some(e) => {
                    tracing::error!(rule = %alert.rule, scope = %alert.scope, event, channel, attempts, error = %e, "alert notification failed")
                }
            }
            if let Some(id) = record {
                if let Err(e) =
                    db::alerts::finish_notification(&pool, id, attempts, error.as_deref()).await
                {
                    tracing::warn!(error = %e, "recording an alert notification");
                }
            }
        })
    }
}

/// Runs `attempt` until it succeeds, fails for good, or has been retried `retries` times, waiting
/// `backoff`, then twice that, and so on, in between. Returns the attempts made and the last error.
async fn with_retries<F, Fut>(retries: u32, backoff: Duration, attempt: F) -> (u32, Option<String>)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let mut made = 0;
    loop {
        made += 1;
        match attempt().await {
            Ok(()) => return (made, None),
            Err(f) if f.retry && made <= retries => {
                let wait = backoff.saturating_mul(1 << (made - 1).min(16));
                tracing::warn!(attempt = made, error = %f.message, wait_ms = wait.as_millis() as u64, "alert notification failed; retrying");
                tokio::time::sleep(wait).await;
            }
            Err(f) => return (made, Some(f.message)),
        }
    }
}

/// The webhook's JSON body.
fn payload(alert: &Alert, event: &str, node: &str) -> serde_json::Value {
    json!({
        "service": "sports-nutrition",
        "event": event,
        "sent_by": node,
        "alert": alert,
    })
}

impl Webhook {
    fn new(url: &str, config: &WebhookConfig) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(config.timeout_secs))
                .user_agent(concat!("sports-nutrition/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("building the webhook client")?,
            url: url.parse().context("alerts.webhook.url is not a URL")?,
            retries: config.retries,
            backoff: Duration::from_millis(config.backoff_ms),
        })
    }

    async fn send(&self, body: &serde_json::Value) -> Result<(), Failure> {
        // The URL may carry a token: errors name neither it nor its query.
        let response =
            super::telemetry::send(self.client.post(self.url.clone()).json(body), "webhook")
                .await
                .map_err(|e| Failure {
                    message: format!("webhook request failed: {}", e.without_url()),
                    retry: true,
                })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(Failure {
            message: format!("webhook answered {status}"),
            retry: status.is_server_error()
                || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || status == reqwest::StatusCode::REQUEST_TIMEOUT,
        })
    }
}

impl Email {
    fn new(host: &str, config: &EmailConfig) -> anyhow::Result<Self> {
        let builder = match config.smtp_security {
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let builder = builder
            .port(config.smtp_port)
            .timeout(Some(Duration::from_secs(config.timeout_secs)));
        let builder = match (&config.smtp_username, &config.smtp_password) {
            (Some(user), Some(password)) => builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            )),
            _ => builder,
        };
        let from = config
            .from
            .as_deref()
            .context("alerts.email.from is required")?;
        Ok(Self {
            transport: builder.build(),
            from: from
                .parse()
                .with_context(|| format!("alerts.email.from: {from:?} is not an e-mail address"))?,
            to: config
                .to
                .iter()
                .map(|t| {
                    t.parse()
                        .with_context(|| format!("alerts.email.to: {t:?} is not an e-mail address"))
                })
                .collect::<anyhow::Result<_>>()?,
            retries: config.retries,
            backoff: Duration::from_millis(config.backoff_ms),
        })
    }

    fn message(&self, alert: &Alert, event: &str, node: &str) -> Result<Message, String> {
        let headline = match event {
            "resolved" => "RESOLVED",
            "repeat" => "STILL FIRING",
            "test" => "TEST",
            _ => "FIRING",
        };
        let mut text = format!(
            "{headline}: {rule} on {scope}\n\n{message}\n\n",
            rule = alert.rule,
            scope = alert.scope,
            message = alert.message,
        );
        if let Some(value) = alert.value {
            text.push_str(&format!("Value: {value}\n"));
        }
        if let Some(threshold) = alert.threshold {
            text.push_str(&format!("Threshold: {threshold}\n"));
        }
        text.push_str(&format!("Pending since: {}\n", alert.pending_since));
        if let Some(t) = alert.fired_at {
            text.push_str(&format!("Fired: {t}\n"));
        }
        if let Some(t) = alert.resolved_at {
            text.push_str(&format!("Resolved: {t}\n"));
        }
        text.push_str(&format!(
            "\nSent by {node}. GET /api/v1/admin/alerts lists every alert.\n"
        ));
        let mut builder = Message::builder().from(self.from.clone()).subject(format!(
            "[sports-nutrition] {headline}: {} on {}",
            alert.rule, alert.scope
        ));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| format!("building the e-mail: {e}"))
    }

    async fn send(&self, message: Result<Message, String>) -> Result<(), Failure> {
        let message = message.map_err(|message| Failure {
            message,
            retry: false,
        })?;
        let span = tracing::info_span!(
            "smtp send",
            otel.name = "SMTP send",
            otel.kind = "client",
            peer.service = "smtp",
        );
        tracing::Instrument::instrument(self.transport.send(message), span)
            .await
            .map(drop)
            .map_err(|e| Failure {
                retry: !e.is_permanent(),
                message: format!("SMTP: {e}"),
            })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn retries_back_off_and_stop_at_the_limit() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let (attempts, error) = with_retries(3, Duration::from_secs(1), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Err(Failure {
                    message: "503".into(),
                    retry: true,
                })
            }
        })
        .await;
        assert_eq!((attempts, error.as_deref()), (4, Some("503")));
        // 1 + 2 + 4 seconds of backoff.
        assert_eq!(started.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_failure_is_not_retried_and_a_success_stops() {
        let (attempts, error) = with_retries(5, Duration::from_secs(1), || async {
            Err(Failure {
                message: "404".into(),
                retry: false,
            })
        })
        .await;
        assert_eq!((attempts, error.as_deref()), (1, Some("404")));

        let calls = AtomicU32::new(0);
        let (attempts, error) = with_retries(5, Duration::from_secs(1), || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Err(Failure {
                        message: "500".into(),
                        retry: true,
                    })
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert_eq!((attempts, error), (3, None));
    }
}
