//! Self-checks and alerts: a rule held for its duration fires, is notified by webhook (retried when
//! the receiver fails) and by e-mail to an SMTP server started here, repeats no more often than the
//! interval, and resolves; `sports-nutrition check` exits non-zero when a check fails.

use std::{
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use poem::{
    EndpointExt, Route, Server, handler,
    http::StatusCode,
    listener::TcpAcceptor,
    post,
    web::{Data, Json},
};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use sports_nutrition::config::Config;

use crate::helpers::{TestApp, TestDatabase, assert_problem, problem_fields};

/// A local HTTP receiver for alert webhooks; answers 500 to the first `fail_first` calls.
pub struct Webhook {
    pub url: String,
    state: Arc<Received>,
}

struct Received {
    fail_first: usize,
    calls: AtomicUsize,
    bodies: Mutex<Vec<Value>>,
}

impl Webhook {
    pub async fn start(fail_first: usize) -> Self {
        #[handler]
        fn hook(state: Data<&Arc<Received>>, body: Json<Value>) -> StatusCode {
            if state.calls.fetch_add(1, Ordering::SeqCst) < state.fail_first {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            state.bodies.lock().unwrap().push(body.0);
            StatusCode::NO_CONTENT
        }
        let state = Arc::new(Received {
            fail_first,
            calls: AtomicUsize::new(0),
            bodies: Mutex::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Route::new().at("/hook", post(hook)).data(state.clone());
        tokio::spawn(
            Server::new_with_acceptor(TcpAcceptor::from_tokio(listener).unwrap()).run(app),
        );
        Self {
            url: format!("http://{addr}/hook?token=hook-secret"),
            state,
        }
    }

    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// The bodies accepted so far, once there are at least `n` (waits up to 15 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..150 {
            let bodies = self.state.bodies.lock().unwrap().clone();
            if bodies.len() >= n {
                return bodies;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the webhook received {:?}, expected {n} bodies",
            self.state.bodies.lock().unwrap()
        );
    }
}

/// The smallest SMTP server lettre talks to: it accepts every message and keeps its text.
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.ok()?;
                    while let Some(line) = lines.next_line().await.ok()? {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                            "DATA" => {
                                write.write_all(b"354 go ahead\r\n").await.ok()?;
                                let mut text = String::new();
                                while let Some(l) = lines.next_line().await.ok()? {
                                    if l == "." {
                                        break;
                                    }
                                    text.push_str(&l);
                                    text.push('\n');
                                }
                                kept.lock().unwrap().push(text);
                                b"250 OK queued\r\n"
                            }
                            "QUIT" => {
                                write.write_all(b"221 bye\r\n").await.ok()?;
                                return Some(());
                            }
                            _ => b"502 not implemented\r\n",
                        };
                        write.write_all(reply).await.ok()?;
                    }
                    Some(())
                });
            }
        });
        Self { port, messages }
    }

    /// The messages received so far, once there are at least `n` (waits up to 15 s).
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..150 {
            let messages = self.messages.lock().unwrap().clone();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the SMTP server received {} messages, expected {n}",
            self.messages.lock().unwrap().len()
        );
    }
}

/// Thresholds a busy test machine cannot breach, so that only the rule under test fires.
pub fn calm(c: &mut Config) {
    c.alerts.p95_ms = 600_000.0;
    c.alerts.error_rate_pct = 100.0;
    c.alerts.db_pool_pct = 100.0;
    c.alerts.cpu_pct = 100.0;
    c.alerts.memory_pct = 100.0;
    c.alerts.disk_pct = 100.0;
}

pub async fn admin(app: &TestApp) -> String {
    let signed_in = app.user_with_role("ops@example.rs", "admin").await;
    signed_in["token"].as_str().unwrap().to_owned()
}

/// `POST /api/v1/admin/self-check`.
pub async fn self_check(app: &TestApp, token: &str) -> Value {
    let response = app
        .send(Method::POST, "/api/v1/admin/self-check", token, &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn alerts(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app
        .get_authed(&format!("/api/v1/admin/alerts{query}"), token)
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["alerts"].as_array().unwrap().clone()
}

/// The alert of `rule` in `list`.
pub fn find<'a>(list: &'a [Value], rule: &str) -> &'a Value {
    list.iter()
        .find(|a| a["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} alert in {list:#?}"))
}

/// Runs a self-check and returns the `rule` alert it fired, checked to be firing for `scope`.
pub async fn fired(app: &TestApp, token: &str, rule: &str, scope: &str) -> Value {
    let run = self_check(app, token).await;
    let alert = find(run["notified"].as_array().unwrap(), rule).clone();
    assert_eq!(
        (&alert["state"], &alert["scope"]),
        (&json!("firing"), &json!(scope)),
        "{alert}"
    );
    alert
}

/// Waits until every notification of the alerts in `query` has finished.
async fn settled(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    for _ in 0..150 {
        let list = alerts(app, token, query).await;
        let busy = list.iter().any(|a| {
            a["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["status"] == "sending")
        });
        if !busy {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("notifications still sending");
}

#[tokio::test]
async fn a_breached_threshold_fires_is_notified_by_webhook_and_email_and_resolves() {
    let hook = Webhook::start(2).await;
    let smtp = SmtpSink::start().await;
    let url = hook.url.clone();
    let app = TestApp::spawn_with(|c| {
        calm(c);
        c.alerts.for_secs = 0;
        // Any used disk breaches this: the data directory's alert fires on the first check.
        c.alerts.disk_pct = 0.0;
        c.alerts.webhook.url = Some(url.into());
        c.alerts.webhook.retries = 3;
        c.alerts.webhook.backoff_ms = 50;
        c.alerts.email.smtp_host = Some("127.0.0.1".into());
        c.alerts.email.smtp_port = smtp.port;
        c.alerts.email.smtp_security = sports_nutrition::config::SmtpSecurity::None;
        c.alerts.email.from = Some("Sports Nutrition <alerts@example.rs>".into());
        c.alerts.email.to = vec!["ops@example.rs".into()];
    })
    .await;
    let token = admin(&app).await;

    let run = self_check(&app, &token).await;
    let report = &run["report"];
    let disk = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "disk_data")
        .unwrap();
    assert_eq!(
        (&disk["ok"], &disk["threshold"]),
        (&json!(false), &json!(0.0)),
        "{disk}"
    );
    assert_eq!(report["ok"], false);
    let notified = run["notified"].as_array().unwrap();
    let fired = find(notified, "disk_data");
    assert_eq!(fired["state"], "firing", "{fired}");
    let node = fired["scope"].as_str().unwrap().to_owned();

    // The webhook failed twice and was retried; the body names the alert, not the URL's token.
    let bodies = hook.wait_for(2).await;
    assert!(
        hook.calls() >= 4,
        "two failures, then one delivery per alert"
    );
    let body = bodies
        .iter()
        .find(|b| b["alert"]["rule"] == "disk_data")
        .unwrap();
    assert_eq!(
        (
            &body["event"],
            &body["alert"]["state"],
            &body["alert"]["scope"]
        ),
        (&json!("firing"), &json!("firing"), &json!(node)),
        "{body}"
    );
    assert!(!body.to_string().contains("hook-secret"));
    let mail = smtp.wait_for(2).await;
    let mail = mail.iter().find(|m| m.contains("disk_data")).unwrap();
    assert!(
        mail.contains(&format!(
            "Subject: [sports-nutrition] FIRING: disk_data on {node}"
        )),
        "{mail}"
    );
    assert!(mail.contains("To: ops@example.rs"), "{mail}");

    let listed = settled(&app, &token, "?state=firing").await;
    let alert = find(&listed, "disk_data");
    let deliveries: Vec<(String, String)> = alert["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["channel"].as_str().unwrap().into(),
                n["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        deliveries.contains(&("webhook".into(), "sent".into())),
        "{deliveries:?}"
    );
    assert!(
        deliveries.contains(&("email".into(), "sent".into())),
        "{deliveries:?}"
    );
    let retried = alert["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            find(&listed, "disk_backup")["notifications"]
                .as_array()
                .unwrap(),
        )
        .filter(|n| n["channel"] == "webhook")
        .map(|n| n["attempts"].as_i64().unwrap())
        .sum::<i64>();
    assert_eq!(retried, 4, "two failed attempts and two deliveries");

    // Still breached: within the repeat interval nothing is sent again.
    let again = self_check(&app, &token).await;
    assert_eq!(again["notified"], json!([]));

    // The condition clears: a node of the same name (this host, so the same scope) whose
    // threshold the disk meets evaluates the rule, and the alert resolves.
    let relaxed = app.another_node(|c| c.alerts.disk_pct = 100.0).await;
    let run = self_check(&relaxed, &token).await;
    let resolved = find(run["notified"].as_array().unwrap(), "disk_data");
    assert_eq!(resolved["state"], "resolved", "{resolved}");
    let bodies = hook.wait_for(4).await;
    assert!(
        bodies
            .iter()
            .any(|b| b["event"] == "resolved" && b["alert"]["rule"] == "disk_data"),
        "{bodies:#?}"
    );
    let mail = smtp.wait_for(4).await;
    assert!(mail.iter().any(|m| m.contains("RESOLVED: disk_data")));
    assert!(alerts(&app, &token, "?state=firing").await.is_empty());
    relaxed.stop().await.unwrap();
}

#[tokio::test]
async fn an_alert_waits_for_its_duration_and_repeats_at_the_interval() {
    let hook = Webhook::start(0).await;
    let url = hook.url.clone();
    let app = TestApp::spawn_with(|c| {
        calm(c);
        c.alerts.for_secs = 3600;
        c.alerts.disk_pct = 0.0;
        c.alerts.webhook.url = Some(url.into());
    })
    .await;
    let token = admin(&app).await;

    // The condition holds, but not yet for an hour: pending, nobody told.
    let run = self_check(&app, &token).await;
    assert_eq!(run["notified"], json!([]));
    let pending = alerts(&app, &token, "?state=pending").await;
    assert_eq!(find(&pending, "disk_data")["state"], "pending");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.calls(), 0);

    // An hour later (moved back in the database): it fires; and with a zero repeat interval a
    // node notifies again on its next check.
    sqlx::query("UPDATE alerts SET pending_since = pending_since - interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    let run = self_check(&app, &token).await;
    assert_eq!(
        find(run["notified"].as_array().unwrap(), "disk_data")["state"],
        "firing"
    );
    let repeating = app
        .another_node(|c| c.alerts.repeat_interval_secs = 0)
        .await;
    let run = self_check(&repeating, &token).await;
    assert_eq!(
        find(run["notified"].as_array().unwrap(), "disk_data")["state"],
        "firing"
    );
    let bodies = hook.wait_for(4).await;
    let events: Vec<&str> = bodies
        .iter()
        .filter(|b| b["alert"]["rule"] == "disk_data")
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["firing", "repeat"]);
    repeating.stop().await.unwrap();

    // Reports are kept per node; the newest is listed.
    let response = app.get_authed("/api/v1/admin/self-check", &token).await;
    assert_eq!(response.status(), 200);
    let listed: Value = response.json().await.unwrap();
    let nodes = listed["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "both test nodes share this host's name");
    assert!(
        nodes[0]["checks"].as_array().unwrap().len() >= 10,
        "{listed}"
    );
}

#[tokio::test]
async fn alerts_are_for_admins_and_bad_filters_are_named() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let athlete = app
        .register("runner@example.rs", crate::helpers::PASSWORD)
        .await;
    let athlete = athlete["token"].as_str().unwrap();
    for path in ["/api/v1/admin/alerts", "/api/v1/admin/self-check"] {
        assert_problem(app.get_authed(path, athlete).await, 403).await;
        assert_problem(app.get(path).await, 401).await;
    }
    assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/self-check",
            athlete,
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    let problem = assert_problem(
        app.get_authed("/api/v1/admin/alerts?state=burning", &token)
            .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["state"]);
    let problem = assert_problem(
        app.get_authed("/api/v1/admin/alerts?limit=0", &token).await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&problem), ["limit"]);
}

fn check_command(db: &TestDatabase, env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .args(["check", "--json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", &db.url)
        .env("SN_STORAGE__DATA_DIR", db.data_dir())
        .env("SN_LOG__LEVEL", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_check_command_exits_non_zero_when_a_check_fails() {
    let app = TestApp::spawn_with(calm).await;
    let db = app.db.as_ref().unwrap();
    let relaxed = [("SN_ALERTS__DISK_PCT", "100")];

    // No node has reported yet: the service is not known to run.
    let output = check_command(db, &relaxed);
    assert!(!output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let nodes = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "nodes")
        .unwrap();
    assert_eq!(nodes["ok"], false, "{report}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("self-check failed: nodes"));

    // After the node's self-check, everything passes.
    let token = admin(&app).await;
    let run = self_check(&app, &token).await;
    assert_eq!(run["report"]["ok"], true, "{run}");
    let output = check_command(db, &relaxed);
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "database",
            "cache",
            "disk_data",
            "disk_backup",
            "backup_age",
            "backup_failed",
            "nodes"
        ]
    );

    // A threshold no disk meets: exit code 1, and the failing check is named.
    let output = check_command(db, &[("SN_ALERTS__DISK_PCT", "0")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("disk_data"), "{stderr}");

    // A database that does not answer: exit non-zero with one clear line.
    let unreachable = Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .arg("check")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", "postgres://postgres@127.0.0.1:9/none")
        .env("SN_STORAGE__DATA_DIR", db.data_dir())
        .env("SN_LOG__LEVEL", "warn")
        .output()
        .unwrap();
    assert!(!unreachable.status.success());
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach the database"));
}

#[tokio::test]
async fn the_self_check_history_charts_each_node_over_hours_for_admins_only() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/health").await.status(), 200);
    }
    self_check(&app, &token).await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/admin/self-check/history?hours=24",
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let history: Value = response.json().await.unwrap();
    assert_eq!(history["hours"], 24);
    assert_eq!(history["bucket_secs"], 360, "24 h in 240 points");
    let point = &history["points"][0];
    assert!(point["node"].is_string(), "{history}");
    assert!(point["requests_per_s"].as_f64().unwrap() > 0.0, "{history}");
    assert!(point["db_pool_pct"].is_number(), "{history}");
    assert!(point["error_rate_pct"].is_number(), "{history}");

    let problem = crate::helpers::assert_problem(
        app.authed(
            Method::GET,
            "/api/v1/admin/self-check/history?hours=0",
            &token,
        )
        .send()
        .await
        .unwrap(),
        400,
    )
    .await;
    assert!(
        crate::helpers::problem_fields(&problem).contains(&"hours"),
        "{problem}"
    );
    let athlete = app
        .register("runner@example.rs", crate::helpers::PASSWORD)
        .await;
    let response = app
        .authed(
            Method::GET,
            "/api/v1/admin/self-check/history",
            athlete["token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn admins_see_the_rules_and_channels_and_send_a_test() {
    let hook = Webhook::start(0).await;
    let url = hook.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.alerts.webhook.url = Some(secrecy::SecretString::from(url));
        c.alerts.p95_ms = 750.0;
    })
    .await;
    let token = admin(&app).await;
    let response = app
        .authed(Method::GET, "/api/v1/admin/alerts/rules", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("hook-secret"),
        "the webhook's token is not shown: {text}"
    );
    let rules: Value = serde_json::from_str(&text).unwrap();
    let p95 = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "latency_p95")
        .unwrap();
    assert_eq!(
        (&p95["threshold"], &p95["fires_when"]),
        (&json!(750.0), &json!("above"))
    );
    assert_eq!(
        rules["channels"],
        json!([{ "channel": "webhook", "target": "127.0.0.1" }])
    );

    let response = app
        .send(
            Method::POST,
            "/api/v1/admin/alerts/test",
            &token,
            &json!({ "channel": "webhook" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["delivered"], true, "{result}");
    let bodies = hook.wait_for(1).await;
    assert_eq!(
        (&bodies[0]["event"], &bodies[0]["alert"]["rule"]),
        (&json!("test"), &json!("test"))
    );
    // Nothing is recorded as an alert or a notification.
    assert!(alerts(&app, &token, "").await.is_empty());

    let problem = crate::helpers::assert_problem(
        app.send(
            Method::POST,
            "/api/v1/admin/alerts/test",
            &token,
            &json!({ "channel": "email" }),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(crate::helpers::problem_fields(&problem), ["channel"]);
}

/// With Redis as the cache, the keys Redis itself evicts at its maxmemory (shared entries and rate
/// windows the node's own tier never sees) raise their own alert.
#[tokio::test]
async fn redis_evicting_keys_raises_an_alert() {
    let redis = crate::helpers::TestRedis::start().await;
    let url = redis.url();
    let app = TestApp::spawn_with(|c| {
        calm(c);
        c.alerts.for_secs = 0;
        c.cache.backend = sports_nutrition::config::CacheBackend::Redis;
        c.cache.redis_url = Some(url.clone().into());
    })
    .await;
    let token = admin(&app).await;
    let redis_check = |run: &Value| {
        run["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "redis_evictions")
            .unwrap_or_else(|| panic!("no redis_evictions check in {run}"))
            .clone()
    };
    let first = self_check(&app, &token).await;
    assert_eq!(redis_check(&first)["ok"], true, "{first}");
    let quiet = self_check(&app, &token).await;
    assert_eq!(
        (&redis_check(&quiet)["ok"], &redis_check(&quiet)["value"]),
        (&json!(true), &json!(0.0))
    );

    // Redis at its memory limit: writing past it evicts.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut conn)
        .await
        .unwrap();
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg(&["SET", "maxmemory-policy", "allkeys-lru"])
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + 512 * 1024)
        .query_async(&mut conn)
        .await
        .unwrap();
    let filler = vec![b'x'; 4096];
    for i in 0..1_000 {
        let _: () = redis::cmd("SET")
            .arg(format!("filler:{i}"))
            .arg(&filler)
            .query_async(&mut conn)
            .await
            .unwrap();
    }

    let run = self_check(&app, &token).await;
    let check = redis_check(&run);
    assert_eq!(check["ok"], false, "{check}");
    assert!(check["value"].as_f64().unwrap() > 0.0, "{check}");
    let alert = find(run["notified"].as_array().unwrap(), "redis_evictions");
    assert_eq!(alert["state"], "firing", "{alert}");
    let rules = app.get_authed("/api/v1/admin/alerts/rules", &token).await;
    let rules: Value = rules.json().await.unwrap();
    assert!(
        rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "redis_evictions"),
        "{rules}"
    );
}
