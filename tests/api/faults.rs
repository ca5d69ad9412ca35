//! Faults with real processes: PostgreSQL stopped and started under load, and a database so slow
//! that statements time out and requests over the concurrency limit are shed. Each asserts that
//! no acknowledged write is lost and that failures are quick 503s with `Retry-After`, never 500s.

use std::{
    path::PathBuf,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{PASSWORD, TestApp, config_for, free_port};

/// A PostgreSQL server of the test's own (initdb, pg_ctl), so it can be stopped and started.
struct OwnPostgres {
    _dir: tempfile::TempDir,
    pgdata: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let pgdata = dir.path().join("pgdata");
        let bin = newest_bin_dir();
        let server = Self {
            pgdata,
            bin,
            port: free_port(),
            _dir: dir,
        };
        std::fs::create_dir(&server.pgdata).unwrap();
        if nix::unistd::geteuid().is_root() {
            // PostgreSQL refuses root: the cluster belongs to `postgres`.
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.pgdata.parent().unwrap())
                .status()
                .unwrap();
            assert!(status.success());
        }
        server.run(
            "initdb",
            &[
                "-D",
                server.pgdata.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        server.up();
        server
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    fn up(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=on",
            self.port,
            self.pgdata.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.pgdata.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                self.pgdata.join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// `pg_ctl stop -m fast`: connections are ended, as in a restart for an upgrade.
    fn down(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.pgdata.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut command = if nix::unistd::geteuid().is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.pgdata.join("postmaster.pid").exists() {
            let _ = std::panic::catch_unwind(|| {
                self.run(
                    "pg_ctl",
                    &[
                        "-D",
                        self.pgdata.to_str().unwrap(),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                )
            });
        }
    }
}

fn newest_bin_dir() -> PathBuf {
    sports_nutrition::db::installed_bin_dirs(|d| d.join("initdb").exists())
        .pop()
        .expect("PostgreSQL's server binaries (.ci/test installs them)")
        .1
}

/// One request's outcome: status (None: no response), how long it took, and `Retry-After`.
#[derive(Debug)]
struct Outcome {
    status: Option<StatusCode>,
    took: Duration,
    retry_after: Option<String>,
    date: Option<String>,
}

async fn athlete(app: &TestApp, email: &str) -> String {
    let registered = app.register(email, PASSWORD).await;
    registered["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn postgres_restarted_under_load_gives_quick_503s_then_the_pool_recovers_and_nothing_acknowledged_is_lost()
 {
    let pg = OwnPostgres::start();
    let data = tempfile::tempdir().unwrap();
    let mut config = config_for(&pg.url(), data.path());
    config.database.acquire_timeout_secs = 2;
    let app = TestApp::start_on(config, None).await;
    let mut tokens = Vec::new();
    for email in ["ana@klub.rs", "bojan@klub.rs", "vesna@klub.rs"] {
        tokens.push((email, athlete(&app, email).await));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(w, (email, token))| {
            let (client, url, email, token, stop) = (
                app.client.clone(),
                app.url("/api/v1/progress"),
                email.to_string(),
                token.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                let first = time::macros::date!(2021 - 01 - 01);
                let mut day = 0;
                while !stop.load(Ordering::Relaxed) {
                    let date = (first + time::Duration::days(day)).to_string();
                    day += 1;
                    let started = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "date": date, "weight_kg": 60 + w }))
                        .send()
                        .await;
                    outcomes.push(Outcome {
                        status: response.as_ref().ok().map(|r| r.status()),
                        took: started.elapsed(),
                        retry_after: response.as_ref().ok().and_then(|r| {
                            Some(r.headers().get("retry-after")?.to_str().ok()?.to_owned())
                        }),
                        date: Some(date),
                    });
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                (email, outcomes)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.down();
    let down_since = Instant::now();
    // While it is down, /ready says so (and /health does not: the process is fine).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if app.get("/ready").await.status() == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "/ready never turned 503");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/health").await.status(), 200);
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(down_since.elapsed())).await;
    pg.up();
    // The same process reconnects: ready again without a restart.
    let up_at = Instant::now();
    loop {
        if app.get("/ready").await.status() == 200 {
            break;
        }
        assert!(
            up_at.elapsed() < Duration::from_secs(15),
            "/ready did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_in = up_at.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);

    let mut conn = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
    let (mut acknowledged, mut unavailable, mut slowest_503) = (0, 0, Duration::ZERO);
    for writer in writers {
        let (email, outcomes) = writer.await.unwrap();
        // The last writes, after recovery, succeeded.
        assert_eq!(
            outcomes.last().unwrap().status,
            Some(StatusCode::CREATED),
            "{outcomes:?}"
        );
        for o in &outcomes {
            match o.status {
                Some(StatusCode::CREATED) => {
                    acknowledged += 1;
                    let stored: i64 = sqlx::query_scalar(
                        "SELECT count(*) FROM progress_entries p JOIN users u ON u.id = p.user_id \
                         WHERE p.entry_date = $1::date AND u.email = $2",
                    )
                    .bind(o.date.as_deref().unwrap())
                    .bind(&email)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                    assert_eq!(stored, 1, "acknowledged {:?} is not stored once", o.date);
                }
                Some(StatusCode::SERVICE_UNAVAILABLE) => {
                    unavailable += 1;
                    slowest_503 = slowest_503.max(o.took);
                    let secs: u64 = o
                        .retry_after
                        .as_deref()
                        .expect("503 carries Retry-After")
                        .parse()
                        .unwrap();
                    assert!((1..=30).contains(&secs), "Retry-After: {secs}");
                }
                other => panic!("{other:?} during a database restart: {o:?}"),
            }
        }
    }
    assert!(unavailable > 0, "no request saw the database down");
    // Failing fast: bounded by database.acquire_timeout_secs (2 s), not piling up.
    assert!(
        slowest_503 < Duration::from_millis(3500),
        "a 503 took {slowest_503:?}"
    );
    eprintln!(
        "{acknowledged} writes acknowledged and stored, {unavailable} answered 503 (slowest {slowest_503:?}); \
         ready again {recovered_in:?} after PostgreSQL was"
    );
}

#[tokio::test]
async fn a_slow_database_times_out_statements_and_requests_over_the_limit_are_shed_at_once() {
    let app = TestApp::spawn_with(|c| {
        c.database.statement_timeout_secs = 2;
        c.database.max_connections = 8;
        c.server.max_concurrent_requests = 4;
    })
    .await;
    let token = athlete(&app, "ana@klub.rs").await;
    let created = app
        .send(
            Method::POST,
            "/api/v1/progress",
            &token,
            &json!({ "date": "2026-11-01", "weight_kg": 61.5 }),
        )
        .await;
    assert_eq!(created.status(), 201);

    // Another client holds a lock every read of the table waits for: the database is "slow".
    let mut locker = sqlx::PgConnection::connect(&app.db.as_ref().unwrap().url)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
    sqlx::query("LOCK TABLE progress_entries IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .await
        .unwrap();

    let requests: Vec<_> = (0..12)
        .map(|i| {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/api/v1/progress"),
                token.clone(),
            );
            tokio::spawn(async move {
                // Staggered, so the first four are surely in when the rest arrive.
                tokio::time::sleep(Duration::from_millis(if i < 4 { 0 } else { 500 })).await;
                let started = Instant::now();
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                (i, status, started.elapsed(), retry_after, body)
            })
        })
        .collect();
    // Probes are never shed: the node is alive, and says whether it is ready.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let started = Instant::now();
    assert_eq!(app.get("/health").await.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(500));

    let mut timed_out = 0;
    let mut shed = 0;
    for request in requests {
        let (i, status, took, retry_after, body) = request.await.unwrap();
        assert_eq!(status, 503, "request {i}: {body}");
        assert!(retry_after.is_some(), "request {i}: no Retry-After");
        assert_eq!(body["type"], "/problems/unavailable", "{body}");
        if i < 4 {
            // Waited for the lock until statement_timeout_secs, then gave up.
            assert!(
                took >= Duration::from_millis(1900) && took < Duration::from_secs(5),
                "request {i} took {took:?}"
            );
            timed_out += 1;
        } else {
            // Over the limit: refused without waiting (well before the 2 s the others wait).
            assert!(
                took < Duration::from_millis(1000),
                "request {i} took {took:?}"
            );
            shed += 1;
        }
    }
    assert_eq!((timed_out, shed), (4, 8));

    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    let list = app.get_authed("/api/v1/progress", &token).await;
    assert_eq!(list.status(), 200);
    let list: serde_json::Value = list.json().await.unwrap();
    assert_eq!(list["entries"][0]["weight_kg"], 61.5, "{list}");
}
