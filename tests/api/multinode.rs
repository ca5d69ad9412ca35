//! docs/operations.md's multi-node example, run for real: two instances of the binary on one
//! PostgreSQL database and one Redis, behind HAProxy (Debian's package) checking `/ready`. One
//! instance is killed under load: only requests in flight on it may fail, and every write that
//! was acknowledged is in the database.

use std::{
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::helpers::{PASSWORD, TestDatabase, TestRedis, free_port, random_secret, serve_binary};

/// The same settings every node of a deployment has, as docs/operations.md lists them.
fn node(db: &TestDatabase, redis: &TestRedis, prefix: &str, jwt: &str, port: u16) -> Child {
    let data = db.data_dir().join(format!("node-{port}"));
    std::fs::create_dir_all(&data).unwrap();
    serve_binary(&db.url, port, &data)
        .env("SN_CACHE__BACKEND", "redis")
        .env("SN_CACHE__REDIS_URL", redis.url())
        .env("SN_CACHE__REDIS_PREFIX", prefix)
        .env("SN_AUTH__JWT_SECRET", jwt)
        .env("SN_SECURITY__TRUSTED_PROXIES", r#"["127.0.0.1"]"#)
        .env("SN_SELF_CHECK__ENABLED", "false")
        .spawn()
        .expect("the binary starts")
}

/// The HAProxy configuration of docs/operations.md, on the test's ports.
fn haproxy_config(front: u16, stats: u16, nodes: &[u16]) -> String {
    let servers: String = nodes
        .iter()
        .enumerate()
        .map(|(i, port)| format!("    server node{i} 127.0.0.1:{port} check\n"))
        .collect();
    format!(
        "global
    maxconn 1024
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A request that never reached a node (it is down, not yet marked so) goes to another one, and
    # so does a read whose node closed without answering; a write is never sent twice.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    # Every request on a connection of its own to the node: none is written into a connection the
    # node's death has already broken.
    http-reuse never
frontend web
    bind 127.0.0.1:{front}
    option forwardfor
    default_backend nodes
backend nodes
    balance roundrobin
    http-request disable-l7-retry if !METH_GET !METH_HEAD
    option httpchk GET /ready
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
{servers}frontend stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
"
    )
}

/// Each server's state as HAProxy's health checks see it ("UP", "DOWN", ...).
async fn server_states(client: &reqwest::Client, stats: u16) -> Vec<(String, String)> {
    let Ok(response) = client
        .get(format!("http://127.0.0.1:{stats}/stats;csv"))
        .send()
        .await
    else {
        return Vec::new();
    };
    let csv = response.text().await.unwrap_or_default();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (Some(px), Some(sv), Some(status)) = (column("pxname"), column("svname"), column("status"))
    else {
        return Vec::new();
    };
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.get(px) == Some(&"nodes") && f[sv].starts_with("node"))
        .map(|f| (f[sv].to_owned(), f[status].to_owned()))
        .collect()
}

async fn wait_for_states(client: &reqwest::Client, stats: u16, want: &[(&str, &str)]) {
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(s, v)| (s.to_string(), v.to_string()))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let states = server_states(client, stats).await;
        if states == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "HAProxy sees {states:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn two_nodes_behind_haproxy_lose_no_more_than_in_flight_requests_when_one_is_killed() {
    let db = TestDatabase::create().await;
    let redis = TestRedis::start().await;
    let prefix = format!("sn-multinode-{}:", uuid::Uuid::new_v4().simple());
    let jwt = random_secret();
    let ports = [free_port(), free_port()];
    let mut nodes: Vec<Child> = ports
        .iter()
        .map(|&p| node(&db, &redis, &prefix, &jwt, p))
        .collect();
    let (front, stats) = (free_port(), free_port());
    let config = db.data_dir().join("haproxy.cfg");
    std::fs::create_dir_all(db.data_dir()).unwrap();
    std::fs::write(&config, haproxy_config(front, stats, &ports)).unwrap();
    let _haproxy = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("haproxy is installed (.ci/test installs it)");

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_for_states(&client, stats, &[("node0", "UP"), ("node1", "UP")]).await;
    let base = format!("http://127.0.0.1:{front}");

    // The runbook's checks through the load balancer; each athlete signs in once.
    let health: Value = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&health["status"], &health["database"], &health["redis"]),
        (&json!("healthy"), &json!("connected"), &json!("connected"))
    );
    const WORKERS: usize = 8;
    let mut tokens = Vec::new();
    for i in 0..WORKERS {
        let email = format!("atleta{i}@klub.rs");
        let registered = client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), 201);
        let login: Value = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(login["token"].as_str().unwrap().to_owned());
    }

    // Load: every worker alternates a read of its profile and a progress entry for a new day.
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicUsize::new(0));
    let (marked_down, failed_after_down) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let workers: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
            let (requests, marked_down, failed_after_down) = (
                requests.clone(),
                marked_down.clone(),
                failed_after_down.clone(),
            );
            tokio::spawn(async move {
                let first_day = time::macros::date!(2020 - 01 - 01);
                let (mut acknowledged, mut failures) = (Vec::new(), Vec::new());
                let mut day = 0;
                while !stop.load(Ordering::Relaxed) {
                    let down_before = marked_down.load(Ordering::Relaxed);
                    let failed_before = failures.len();
                    let profile = client
                        .get(format!("{base}/api/profile"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    let date = first_day + time::Duration::days(day);
                    day += 1;
                    let write = client
                        .post(format!("{base}/api/v1/progress"))
                        .bearer_auth(&token)
                        .json(&json!({ "date": date.to_string(), "weight_kg": 70.5 }))
                        .send()
                        .await;
                    requests.fetch_add(2, Ordering::Relaxed);
                    match profile.map(|r| r.status()) {
                        Ok(StatusCode::OK) => {}
                        other => failures.push(format!("GET /api/profile: {other:?}")),
                    }
                    match write.map(|r| r.status()) {
                        Ok(StatusCode::CREATED) => acknowledged.push(date),
                        other => failures.push(format!("POST /api/v1/progress {date}: {other:?}")),
                    }
                    if down_before && failures.len() > failed_before {
                        failed_after_down.store(true, Ordering::Relaxed);
                    }
                }
                (acknowledged, failures)
            })
        })
        .collect();

    // Both nodes serve for a while, then one dies without a chance to finish anything.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before_kill = requests.load(Ordering::Relaxed);
    nodes[0].start_kill().unwrap();
    nodes[0].wait().await.unwrap();
    wait_for_states(&client, stats, &[("node0", "DOWN"), ("node1", "UP")]).await;
    marked_down.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut acknowledged = 0;
    let mut failures = Vec::new();
    for (i, worker) in workers.into_iter().enumerate() {
        let (dates, failed) = worker.await.unwrap();
        failures.extend(failed);
        // Every acknowledged write is in the database, exactly once.
        let email = format!("atleta{i}@klub.rs");
        let stored: Vec<time::Date> = sqlx::query_scalar(
            "SELECT p.entry_date FROM progress_entries p JOIN users u ON u.id = p.user_id \
             WHERE u.email = $1 ORDER BY p.entry_date",
        )
        .bind(&email)
        .fetch_all(&pool)
        .await
        .unwrap();
        for date in &dates {
            assert!(
                stored.contains(date),
                "{email}: acknowledged {date} is missing"
            );
        }
        acknowledged += dates.len();
    }
    let total = requests.load(Ordering::Relaxed);
    assert!(
        before_kill > 100 && total > before_kill + 100,
        "too little load to mean anything: {before_kill} before the kill, {total} in all"
    );
    // At most one request per worker was in flight on the killed node.
    assert!(
        failures.len() <= WORKERS,
        "{} of {total} requests failed: {failures:?}",
        failures.len()
    );
    assert!(
        !failed_after_down.load(Ordering::Relaxed),
        "requests failed after HAProxy marked the node down: {failures:?}"
    );
    assert!(acknowledged > 0);
    eprintln!(
        "{total} requests ({acknowledged} acknowledged writes), {} failed when node0 was killed: {failures:?}",
        failures.len()
    );
}
