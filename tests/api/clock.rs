//! The wall clock jumping under a running node (an NTP step, a VM restored from a snapshot):
//! libfaketime (Debian's package) moves the binary's wall clock while its monotonic clock runs on.
//! Tokens then follow the wall clock, scheduled jobs neither storm nor stop, and nothing fails.

use std::{path::Path, time::Duration};

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestDatabase, free_port, random_secret, serve_binary, wait_ready};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// Sets the offset of the binary's wall clock from the real one ("+2h", "-30m", "+0").
fn set_offset(file: &Path, offset: &str) {
    std::fs::write(file, format!("{offset}\n")).unwrap();
}

async fn self_checks(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM self_checks")
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

/// How many self-check reports arrive in `window` (scheduled every 2 s).
async fn reports_during(pool: &sqlx::PgPool, window: Duration) -> i64 {
    let before = self_checks(pool).await;
    tokio::time::sleep(window).await;
    self_checks(pool).await - before
}

#[tokio::test]
async fn the_wall_clock_jumping_forward_and_back_breaks_nothing() {
    assert!(
        Path::new(LIBFAKETIME).exists(),
        "libfaketime is installed (.ci/test installs it)"
    );
    let db = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    let offset = data.path().join("faketime");
    set_offset(&offset, "+0");
    let port = free_port();
    let mut child = serve_binary(&db.url, port, data.path())
        .env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME_TIMESTAMP_FILE", &offset)
        .env("FAKETIME_NO_CACHE", "1")
        // Only the wall clock jumps; timers and timeouts run on the monotonic clock.
        .env("DONT_FAKE_MONOTONIC", "1")
        .env("SN_AUTH__JWT_SECRET", random_secret())
        .env("SN_SELF_CHECK__SCHEDULE", "*/2 * * * * *")
        .env("SN_BACKUP__ENABLED", "false")
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base, &mut child, String::new).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let signed_in: Value = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({ "email": "ana@klub.rs", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed_in["token"].as_str().unwrap().to_owned();
    let refresh = signed_in["refresh_token"].as_str().unwrap().to_owned();
    let mut acknowledged = Vec::new();
    let write = |token: String, date: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}/api/v1/progress"))
                .bearer_auth(token)
                .json(&json!({ "date": date, "weight_kg": 61.5 }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(write(token.clone(), "2026-11-01").await, 201);
    acknowledged.push("2026-11-01");
    let steady = reports_during(&pool, Duration::from_secs(4)).await;
    assert!(
        (1..=3).contains(&steady),
        "{steady} reports in 4 s before any jump"
    );

    // Two hours forward: the 15-minute access token has expired by the node's clock, the refresh
    // token (30 days) has not; the schedule goes on at its pace without replaying two hours.
    set_offset(&offset, "+2h");
    let expired = client
        .get(format!("{base}/api/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    let refreshed: Value = client
        .post(format!("{base}/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = refreshed["token"].as_str().unwrap().to_owned();
    assert_eq!(write(token.clone(), "2026-11-02").await, 201);
    acknowledged.push("2026-11-02");
    let ahead = reports_during(&pool, Duration::from_secs(4)).await;
    assert!(
        (1..=4).contains(&ahead),
        "{ahead} reports in 4 s after jumping 2 h ahead (no replay, no stop)"
    );

    // One hour back (an hour ahead of the real time still): tokens issued "later" still work, and
    // the schedule does not wait an hour for its clock to catch up.
    set_offset(&offset, "+1h");
    let profile = client
        .get(format!("{base}/api/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    assert_eq!(write(token.clone(), "2026-11-03").await, 201);
    acknowledged.push("2026-11-03");
    let behind = reports_during(&pool, Duration::from_secs(6)).await;
    assert!(
        behind >= 1,
        "no self-check for 6 s after the clock went back an hour: the schedule stalled"
    );
    assert_eq!(
        client
            .get(format!("{base}/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let stored: Vec<String> =
        sqlx::query_scalar("SELECT entry_date::text FROM progress_entries ORDER BY entry_date")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(stored, acknowledged);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().unwrap() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(child.wait().await.unwrap().success());
}
