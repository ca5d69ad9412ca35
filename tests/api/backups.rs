//! Backups against the real PostgreSQL and the real `pg_dump`/`pg_restore`: taken atomically and
//! verified, a corrupted file caught, a dropped table brought back by a restore, one backup per
//! schedule tick across nodes, and a full disk that fails the backup (and raises an alert) but not
//! the service.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_problem, problem_fields};

fn backup_dir(app: &TestApp) -> PathBuf {
    app.db.as_ref().unwrap().data_dir().join("backups")
}

/// `POST /api/v1/admin/backups/{id}/{action}` as `token`, expecting 200.
async fn act(app: &TestApp, token: &str, id: &str, action: &str) -> Value {
    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/backups/{id}/{action}"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200, "{action}");
    response.json().await.unwrap()
}

async fn take(app: &TestApp, token: &str) -> Value {
    let response = app
        .send(Method::POST, "/api/v1/admin/backups", token, &json!({}))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_backup_is_written_whole_verified_listed_and_downloadable_by_admins_only() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let backup = take(&app, &token).await;
    assert_eq!(backup["status"], "ok", "{backup}");
    assert_eq!(backup["trigger"], "manual");
    assert_eq!(backup["verify_ok"], true);
    assert!(
        backup["verify_detail"]
            .as_str()
            .unwrap()
            .contains("pg_restore lists")
    );
    assert!(
        backup["pg_dump_version"]
            .as_str()
            .unwrap()
            .contains("PostgreSQL")
    );
    assert!(backup["schema_version"].as_i64().unwrap() >= 20261126000013);

    // The file, the manifest beside it, and nothing half-written.
    let dir = backup_dir(&app);
    let name = backup["file_name"].as_str().unwrap();
    assert_eq!(
        files_in(&dir),
        vec!["manifest.json".to_owned(), name.to_owned()]
    );
    let bytes = std::fs::read(dir.join(name)).unwrap();
    assert_eq!(bytes.len() as i64, backup["size_bytes"].as_i64().unwrap());
    assert_eq!(
        format!("{:x}", Sha256::digest(&bytes)),
        backup["sha256"].as_str().unwrap()
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["backups"][0]["sha256"], backup["sha256"]);

    let listed: Value = app
        .get_authed("/api/v1/admin/backups", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["backups"][0]["id"], backup["id"]);
    assert_eq!(listed["schedule"], "0 0 3 * * *");

    // Streamed download of exactly those bytes.
    let id = backup["id"].as_str().unwrap();
    let download = app
        .get_authed(&format!("/api/v1/admin/backups/{id}/download"), &token)
        .await;
    assert_eq!(download.status(), 200);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(name)
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Athletes get nothing; ids that are not backups, and paths that try to leave, are not found.
    let athlete = app
        .register("athlete@example.rs", crate::helpers::PASSWORD)
        .await;
    let athlete = athlete["token"].as_str().unwrap();
    assert_problem(app.get_authed("/api/v1/admin/backups", athlete).await, 403).await;
    assert_problem(
        app.get_authed(&format!("/api/v1/admin/backups/{id}/download"), athlete)
            .await,
        403,
    )
    .await;
    assert_problem(
        app.send(Method::POST, "/api/v1/admin/backups", athlete, &json!({}))
            .await,
        403,
    )
    .await;
    let unknown = uuid::Uuid::new_v4();
    assert_problem(
        app.get_authed(&format!("/api/v1/admin/backups/{unknown}/download"), &token)
            .await,
        404,
    )
    .await;
    for hostile in [
        "..%2F..%2Fetc%2Fpasswd",
        "manifest.json",
        "sn-20261126T030000Z-0a1b2c3d.dump",
    ] {
        let response = app
            .get_authed(&format!("/api/v1/admin/backups/{hostile}/download"), &token)
            .await;
        assert_eq!(response.status(), 400, "{hostile}");
    }

    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'admin.backup%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, ["admin.backup_create", "admin.backup_download"]);
}

#[tokio::test]
async fn a_corrupted_byte_fails_verification() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let backup = take(&app, &token).await;
    let id = backup["id"].as_str().unwrap();
    let path = backup_dir(&app).join(backup["file_name"].as_str().unwrap());

    let verified = act(&app, &token, id, "verify").await;
    assert_eq!(verified["verify_ok"], true, "{verified}");

    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let verified = act(&app, &token, id, "verify").await;
    assert_eq!(verified["verify_ok"], false, "{verified}");
    assert!(
        verified["verify_detail"]
            .as_str()
            .unwrap()
            .contains("checksum mismatch"),
        "{verified}"
    );
}

#[tokio::test]
async fn a_restore_brings_a_dropped_table_back_and_keeps_the_manifest() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let athlete = app
        .register("ana@example.rs", crate::helpers::PASSWORD)
        .await;
    let athlete_token = athlete["token"].as_str().unwrap().to_owned();
    let logged = app
        .send(
            Method::POST,
            "/api/v1/progress",
            &athlete_token,
            &json!({ "date": "2026-11-20", "weight_kg": 71.5 }),
        )
        .await;
    assert_eq!(logged.status(), 201, "{}", logged.text().await.unwrap());
    let backup = take(&app, &token).await;
    assert_eq!(backup["status"], "ok");
    let id = backup["id"].as_str().unwrap();

    // Deep verify: restored into a scratch database, identical table by table.
    let deep = act(&app, &token, id, "deep-verify").await;
    assert_eq!(deep["deep_verify_ok"], true, "{deep}");
    assert_eq!(
        deep["deep_verify_detail"]["tables"]["progress_entries"],
        json!([1, 1]),
        "{deep}"
    );

    sqlx::query("DROP TABLE progress_entries")
        .execute(&app.pool)
        .await
        .unwrap();

    // The confirmation must name the file.
    let refused = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/backups/{id}/restore"),
            &token,
            &json!({ "confirm": "yes" }),
        )
        .await;
    let problem = assert_problem(refused, 422).await;
    assert_eq!(problem_fields(&problem), ["confirm"]);

    app.reauthenticate(&token).await;
    let restored = app
        .send(
            Method::POST,
            &format!("/api/v1/admin/backups/{id}/restore"),
            &token,
            &json!({ "confirm": backup["file_name"] }),
        )
        .await;
    assert_eq!(restored.status(), 200);
    let restored: Value = restored.json().await.unwrap();
    assert_eq!(restored["safety_backup"]["trigger"], "safety");
    assert_eq!(restored["safety_backup"]["status"], "ok");
    // Every session of the restored data ended: everyone signs in again.
    assert_eq!(
        app.get_authed("/api/v1/profile", &athlete_token)
            .await
            .status(),
        401
    );
    let athlete_token = app.sign_in("ana@example.rs").await;
    let token = app.sign_in("admin@example.rs").await;

    // The data is back, through the API.
    let progress = app
        .get_authed("/api/v1/progress/2026-11-20", &athlete_token)
        .await;
    assert_eq!(progress.status(), 200);
    let progress: Value = progress.json().await.unwrap();
    assert_eq!(progress["weight_kg"], 71.5, "{progress}");
    // The manifest knows both backups (the restored database's copy predates the safety backup).
    let listed: Value = app
        .get_authed("/api/v1/admin/backups", &token)
        .await
        .json()
        .await
        .unwrap();
    let triggers: Vec<&str> = listed["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["safety", "manual"]);
    assert_eq!(listed["backups"][1]["status"], "ok");
    let health: Value = app.get("/api/v1/health").await.json().await.unwrap();
    assert_eq!(health["maintenance"], false);

    // The database before the restore is kept under another name; this test drops it.
    let name = &app.db.as_ref().unwrap().name;
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%'")
            .bind(name)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with(&format!("{name}_before_")));
    sqlx::query(&format!(r#"DROP DATABASE "{}" WITH (FORCE)"#, kept[0]))
        .execute(&app.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn two_nodes_take_one_backup_per_schedule_tick() {
    // Both nodes fire every second for 3.5 s: at most four ticks, each claimed by one node.
    // `app` holds the database and takes no scheduled backups; the two nodes do, then stop.
    let app = TestApp::spawn_with(|c| c.backup.enabled = false).await;
    let every_second = |c: &mut sports_nutrition::config::Config| {
        c.backup.enabled = true;
        c.backup.schedule = "* * * * * *".into();
    };
    let one = app.another_node(every_second).await;
    let two = app.another_node(every_second).await;
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    one.stop().await.unwrap();
    two.stop().await.unwrap();

    let ticks: Vec<(String,)> = sqlx::query_as("SELECT node FROM job_runs WHERE job = 'backup'")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let backups: Vec<(String, String)> =
        sqlx::query_as("SELECT trigger, status FROM backups ORDER BY started_at")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(!ticks.is_empty() && ticks.len() <= 4, "{ticks:?}");
    assert_eq!(
        backups.len(),
        ticks.len(),
        "one backup per claimed tick: {backups:?} {ticks:?}"
    );
    assert!(
        backups.iter().all(|(t, s)| t == "schedule" && s == "ok"),
        "{backups:?}"
    );
}

#[tokio::test]
async fn a_full_disk_fails_the_backup_cleanly_and_the_service_keeps_serving() {
    // A 16 KiB tmpfs: far smaller than a dump of the schema.
    let mount = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(mount.path())
        .status()
        .expect("run mount");
    assert!(
        status.success(),
        "this test mounts a tiny tmpfs and needs root (CAP_SYS_ADMIN)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.path().to_owned());
    let dir = mount.path().to_owned();
    let hook = crate::alerts::Webhook::start(0).await;
    let url = hook.url.clone();
    let app = TestApp::spawn_with(|c| {
        crate::alerts::calm(c);
        c.backup.dir = Some(dir.clone());
        c.alerts.for_secs = 60;
        c.alerts.webhook.url = Some(url.into());
    })
    .await;
    let token = app.admin().await;

    let backup = take(&app, &token).await;
    assert_eq!(backup["status"], "failed", "{backup}");
    let error = backup["error"].as_str().unwrap();
    assert!(error.contains("No space left on device"), "{error}");
    // Nothing half-written is left behind: only the manifest, which records the failure.
    assert_eq!(files_in(mount.path()), ["manifest.json"]);

    // The service keeps serving, reads and writes.
    let health = app.get("/api/v1/health").await;
    assert_eq!(health.status(), 200);
    let athlete = app
        .register("still@example.rs", crate::helpers::PASSWORD)
        .await;
    assert!(athlete["token"].is_string());

    // The self-check raises the alert at once (a failed backup needs no hold) and the webhook hears.
    let fired = crate::alerts::fired(&app, &token, "backup_failed", "cluster").await;
    assert!(
        fired["message"]
            .as_str()
            .unwrap()
            .contains("No space left on device"),
        "{fired}"
    );
    let bodies = hook.wait_for(1).await;
    assert_eq!(
        (&bodies[0]["event"], &bodies[0]["alert"]["rule"]),
        (&json!("firing"), &json!("backup_failed"))
    );

    // Room again: the next backup is good, and the alert resolves.
    let status = std::process::Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(mount.path())
        .status()
        .expect("run mount");
    assert!(status.success());
    assert_eq!(take(&app, &token).await["status"], "ok");
    let run = crate::alerts::self_check(&app, &token).await;
    let resolved = crate::alerts::find(run["notified"].as_array().unwrap(), "backup_failed");
    assert_eq!(resolved["state"], "resolved", "{resolved}");
    let bodies = hook.wait_for(2).await;
    assert_eq!(
        (&bodies[1]["event"], &bodies[1]["alert"]["rule"]),
        (&json!("resolved"), &json!("backup_failed"))
    );
    assert!(
        crate::alerts::alerts(&app, &token, "?state=firing")
            .await
            .is_empty()
    );
}

/// A real S3-compatible server (s3s-fs, installed by .ci/test) over a temporary directory, on a
/// free loopback port; killed on drop.
struct S3Server {
    child: std::process::Child,
    root: tempfile::TempDir,
    endpoint: String,
}

impl S3Server {
    const KEY: &str = "sn-test-access";
    const SECRET: &str = "sn-test-secret-key-0123456789";

    async fn start(bucket: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(bucket)).unwrap();
        let port = crate::helpers::free_port();
        let child = std::process::Command::new("s3s-fs")
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", Self::KEY, "--secret-key", Self::SECRET])
            .arg(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect(
                "s3s-fs is installed (cargo install s3s-fs --features binary; .ci/test does it)",
            );
        let server = Self {
            child,
            root,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("s3s-fs did not start");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn good_backups_are_copied_to_s3_and_a_failed_copy_raises_an_alert() {
    let mut s3 = S3Server::start("club-backups").await;
    let endpoint = s3.endpoint.clone();
    let app = TestApp::spawn_with(|c| {
        crate::alerts::calm(c);
        c.backup.s3.bucket = Some("club-backups".into());
        c.backup.s3.endpoint = Some(endpoint);
        c.backup.s3.prefix = "club/".into();
        c.backup.s3.access_key_id = Some(S3Server::KEY.into());
        c.backup.s3.secret_access_key = Some(S3Server::SECRET.into());
    })
    .await;
    let token = app.admin().await;

    let backup = take(&app, &token).await;
    assert_eq!(backup["status"], "ok", "{backup}");
    let file = backup["file_name"].as_str().unwrap();
    assert_eq!(
        backup["upload_key"],
        format!("s3://club-backups/club/{file}"),
        "{backup}"
    );
    // The object in the server's store is the file, byte for byte.
    let stored = std::fs::read(s3.root.path().join("club-backups/club").join(file)).unwrap();
    assert_eq!(
        format!("{:x}", Sha256::digest(&stored)),
        backup["sha256"].as_str().unwrap()
    );
    let run = crate::alerts::self_check(&app, &token).await;
    let upload = run["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "backup_upload")
        .unwrap()
        .clone();
    assert_eq!(upload["ok"], true, "{upload}");

    // The server is gone: the backup is still good, the copy's failure is recorded and alerts.
    let _ = s3.child.kill();
    let _ = s3.child.wait();
    let backup = take(&app, &token).await;
    assert_eq!(backup["status"], "ok", "{backup}");
    assert!(backup["upload_key"].is_null(), "{backup}");
    let error = backup["upload_error"].as_str().unwrap();
    assert!(!error.contains(S3Server::SECRET), "{error}");
    let fired = crate::alerts::fired(&app, &token, "backup_upload", "cluster").await;
    let message = fired["message"].as_str().unwrap();
    assert!(
        message.contains(backup["file_name"].as_str().unwrap()),
        "{message}"
    );
}
