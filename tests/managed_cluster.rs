//! The embedded default: the real binary creates, supervises and stops its own PostgreSQL cluster.

use std::{
    io::{BufRead, BufReader, Write},
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};

/// The binary with `args`, in a clean environment: no configuration file, no inherited `SN_*` variable.
fn binary(args: &[&str], data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sports-nutrition"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_STORAGE__DATA_DIR", data_dir);
    command
}

/// A running service that is stopped (SIGTERM, then SIGKILL) if a failing test leaves it running,
/// so no test run leaves a server or a cluster behind.
struct Service(Child);

impl std::ops::Deref for Service {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Service {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = kill(Pid::from_raw(self.0.id() as i32), Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(30);
            while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `serve` on a free port with its data in `data_dir`; returns the process and its address.
fn serve(data_dir: &Path) -> (Service, String, mpsc::Receiver<String>) {
    let mut child = binary(&["serve"], data_dir)
        .env("SN_SERVER__PORT", "0")
        .env("SN_LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stderr = child.stderr.take().unwrap();
    let child = Service(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no `listening` line; output so far:\n{}", seen.join("\n")));
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if v["message"] == "listening" && v["target"] == "sports_nutrition::startup" {
                let addr = v["addr"].as_str().unwrap().to_string();
                return (child, format!("http://{addr}"), rx);
            }
        }
        seen.push(line);
    }
}

/// Processes whose command line mentions `needle` (our cluster's data directory).
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

fn wait_exit(child: &mut Service, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "process did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn ready(address: &str) -> serde_json::Value {
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{address}/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    client
        .get(format!("{address}/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn managed_cluster_starts_serves_survives_a_crash_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    // When the tests run as root the cluster runs as `postgres`, which must be able to enter the directory.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("data");
    let pgdata = data_dir.join("postgres").join("pgdata");
    let needle = pgdata.to_string_lossy().to_string();

    // First start: creates the cluster, migrates, seeds, serves.
    let (mut child, address, _logs) = serve(&data_dir);
    let health = ready(&address).await;
    assert_eq!(health["database"], "connected");
    assert_eq!(health["database_mode"], "managed");
    assert_eq!(health["redis"], "disabled");
    assert!(pgdata.join("PG_VERSION").exists());
    let mode = std::fs::metadata(data_dir.join("postgres"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, 0o700,
        "the cluster's directory (and its socket) is private"
    );
    assert!(!processes_mentioning(&needle).is_empty(), "postgres runs");

    // A second service on the same data directory is refused, and does not disturb the first.
    let second = binary(&["serve"], &data_dir)
        .env("SN_SERVER__PORT", "0")
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another sports-nutrition process"));
    ready(&address).await;

    // Crash: the service dies without stopping PostgreSQL; the next start takes over cleanly.
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    assert!(
        pgdata.join("postmaster.pid").exists(),
        "the crash left the postmaster behind"
    );
    let (mut child, address, _logs) = serve(&data_dir);
    let health = ready(&address).await;
    assert_eq!(health["database_mode"], "managed");

    // Seeded data survived and was not loaded twice.
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{address}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Beside the running service, backup commands attach to its cluster (its own pg_dump), and a
    // restore swaps the database under the service, which reconnects.
    let created = binary(&["backup", "create"], &data_dir).output().unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let line = String::from_utf8_lossy(&created.stdout).into_owned();
    let (id, rest) = line.split_once("  ").unwrap();
    let file = rest.split_whitespace().next().unwrap();
    assert!(line.contains(" ok "), "{line}");
    assert!(data_dir.join("backups").join(file).exists());
    let restored = binary(&["backup", "restore", id, "--yes"], &data_dir)
        .output()
        .unwrap();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    // The service notices the restore's end within a second or two (it polls the marker).
    let mut health = ready(&address).await;
    for _ in 0..30 {
        if health["maintenance"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        health = ready(&address).await;
    }
    assert_eq!(health["database"], "connected");
    assert_eq!(health["maintenance"], false);

    // Before there is an admin, the node offers the browser's way too: a one-time setup link, in a
    // file only its user reads.
    let link = std::fs::read_to_string(data_dir.join("setup-link")).unwrap();
    assert!(
        link.starts_with(&format!("{address}/admin/#/setup/sns_")),
        "{link}"
    );
    // README's quick start, second terminal: the first admin is made beside the running node, with
    // one line of output and no log lines, and signs in to that node at once (the runbook's steps).
    let password = "ajvar od paprika 2026";
    let mut admin = binary(
        &[
            "admin",
            "create-user",
            "--email",
            "admin@club.rs",
            "--role",
            "admin",
        ],
        &data_dir,
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    admin
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let admin = admin.wait_with_output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&admin.stdout),
        String::from_utf8_lossy(&admin.stderr),
    );
    assert!(admin.status.success(), "{err}");
    assert!(out.starts_with("created admin admin@club.rs ("), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(err, "", "nothing but the result without -v");
    let migrated = binary(&["migrate"], &data_dir).output().unwrap();
    assert!(migrated.status.success());
    assert_eq!(
        String::from_utf8_lossy(&migrated.stdout),
        "the database is up to date\n"
    );
    assert!(migrated.stderr.is_empty());
    let login: serde_json::Value = client
        .post(format!("{address}/api/auth/login"))
        .json(&serde_json::json!({ "email": "admin@club.rs", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let profile = client
        .get(format!("{address}/api/profile"))
        .bearer_auth(login["token"].as_str().expect("a token"))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);

    // SIGTERM: graceful stop, nothing left running.
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(60));
    assert!(status.success(), "{status}");
    assert!(
        processes_mentioning(&needle).is_empty(),
        "no postgres process is left"
    );
    assert!(
        !pgdata.join("postmaster.pid").exists(),
        "PostgreSQL shut down cleanly"
    );

    let listed = binary(&["backup", "list"], &data_dir).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(
        listed.lines().count(),
        2,
        "the backup and the safety backup: {listed}"
    );
    assert!(
        processes_mentioning(&needle).is_empty(),
        "the command stopped the cluster it started"
    );
}

#[test]
fn a_missing_postgresql_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = binary(&["migrate"], dir.path())
        .env("SN_DATABASE__MANAGED__BIN_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database.managed.bin_dir"), "{stderr}");
}

/// SIGKILL in the middle of writes: the next start on the same data finds every write that was
/// answered 201, exactly once (PostgreSQL's WAL, fsync on, and a commit before the answer).
#[tokio::test]
async fn every_acknowledged_write_survives_a_sigkill_of_the_service() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("data");
    let (mut child, address, _logs) = serve(&data_dir);
    ready(&address).await;
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for email in [
        "ana@klub.rs",
        "ivan@klub.rs",
        "vesna@klub.rs",
        "zoran@klub.rs",
    ] {
        let registered: serde_json::Value = client
            .post(format!("{address}/api/v1/auth/register"))
            .json(&serde_json::json!({ "email": email, "password": "sarma i podvarak 1987" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(registered["token"].as_str().unwrap().to_owned());
    }

    let writers: Vec<_> = tokens
        .iter()
        .map(|token| {
            let (client, address, token) = (client.clone(), address.clone(), token.clone());
            tokio::spawn(async move {
                let first = time::macros::date!(2022 - 01 - 01);
                let mut acknowledged = Vec::new();
                for day in 0.. {
                    let date = first + time::Duration::days(day);
                    let response = client
                        .post(format!("{address}/api/v1/progress"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "date": date.to_string(), "weight_kg": 70 }))
                        .send()
                        .await;
                    match response.map(|r| r.status().as_u16()) {
                        Ok(201) => acknowledged.push(date),
                        Ok(status) => panic!("{date}: {status} before the kill"),
                        // The service is gone.
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.push(writer.await.unwrap());
    }

    let (mut child, address, _logs) = serve(&data_dir);
    ready(&address).await;
    let mut total = 0;
    for (token, dates) in tokens.iter().zip(&acknowledged) {
        assert!(
            !dates.is_empty(),
            "the writers wrote nothing before the kill"
        );
        let mut stored: Vec<String> = Vec::new();
        let mut from = "2022-01-01".to_string();
        loop {
            let page: serde_json::Value = client
                .get(format!("{address}/api/v1/progress?from={from}&limit=366"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            stored.extend(
                page["entries"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{page}"))
                    .iter()
                    .map(|e| e["date"].as_str().unwrap().to_owned()),
            );
            match page["next_from"].as_str() {
                Some(next) => from = next.to_owned(),
                None => break,
            }
        }
        for date in dates {
            assert!(
                stored.contains(&date.to_string()),
                "acknowledged {date} is lost"
            );
        }
        total += dates.len();
    }
    eprintln!("{total} acknowledged writes, all present after SIGKILL and restart");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(wait_exit(&mut child, Duration::from_secs(60)).success());
}
