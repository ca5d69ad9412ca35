//! The binary under a service manager, as the packaged unit runs it (`Type=notify`, watchdog,
//! secrets as systemd credentials): a notification socket of the test's own stands in for systemd.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use tokio::{net::UnixDatagram, process::Command};

use crate::helpers::{TestDatabase, free_port, random_secret, serve_binary};

/// The service manager's end of the notification socket.
struct Manager {
    socket: UnixDatagram,
    _dir: tempfile::TempDir,
}

impl Manager {
    fn bind() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = UnixDatagram::bind(dir.path().join("notify")).unwrap();
        Self { socket, _dir: dir }
    }

    fn path(&self) -> std::path::PathBuf {
        self._dir.path().join("notify")
    }

    /// The next message, or `None` after `wait`.
    async fn next(&self, wait: Duration) -> Option<String> {
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(wait, self.socket.recv(&mut buf))
            .await
            .ok()?
            .unwrap();
        Some(String::from_utf8(buf[..n].to_vec()).unwrap())
    }

    /// Messages until one satisfies `done` (returned last), failing after `wait`.
    async fn until(&self, wait: Duration, done: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(message) = self.next(left).await else {
                panic!("no such notification within {wait:?}; received {seen:?}");
            };
            let finished = done(&message);
            seen.push(message);
            if finished {
                return seen;
            }
        }
    }
}

/// systemd's credentials directory: one file per secret, named after its configuration key.
fn credentials(dir: &Path, secrets: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (key, value) in secrets {
        std::fs::write(dir.join(key), format!("{value}\n")).unwrap();
    }
}

fn serve(db: &TestDatabase, data: &Path, manager: &Manager, port: u16) -> Command {
    let mut command = serve_binary(&db.url, port, data);
    command
        .env("SN_SELF_CHECK__ENABLED", "false")
        .env("NOTIFY_SOCKET", manager.path())
        .env("CREDENTIALS_DIRECTORY", data.join("credentials"));
    command
}

fn terminate(child: &tokio::process::Child) {
    let pid = nix::unistd::Pid::from_raw(child.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
}

#[tokio::test]
async fn the_service_manager_hears_ready_when_ready_answers_200_and_watchdog_pings_throughout() {
    let db = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    // The secret arrives as the unit's LoadCredential= would pass it: production mode with an
    // external database refuses to start without it.
    credentials(
        &data.path().join("credentials"),
        &[("auth.jwt_secret", &random_secret())],
    );
    let manager = Manager::bind();
    let port = free_port();
    let mut child = serve(&db, data.path(), &manager, port)
        .env("WATCHDOG_USEC", "400000")
        .spawn()
        .unwrap();

    let before_ready = manager
        .until(Duration::from_secs(60), |m| m.contains("READY=1"))
        .await;
    // /ready answers 200 the moment READY=1 is sent.
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("http://127.0.0.1:{port}/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert!(
        before_ready
            .iter()
            .any(|m| m.starts_with("STATUS=starting")),
        "{before_ready:?}"
    );
    let announcement = before_ready.last().unwrap();
    assert_eq!(
        announcement,
        &format!("READY=1\nSTATUS=ready: serving http://127.0.0.1:{port}")
    );
    assert_eq!(
        before_ready
            .iter()
            .filter(|m| m.contains("READY=1"))
            .count(),
        1
    );

    // Pings at half the 400 ms watchdog interval, nothing else while nothing changes.
    let started = Instant::now();
    let mut pings = 0;
    while started.elapsed() < Duration::from_secs(2) {
        if let Some(m) = manager.next(Duration::from_millis(500)).await {
            assert_eq!(m, "WATCHDOG=1");
            pings += 1;
        }
    }
    assert!(pings >= 5, "{pings} watchdog pings in 2 s");

    terminate(&child);
    let stopping = manager
        .until(Duration::from_secs(10), |m| m.starts_with("STOPPING=1"))
        .await;
    assert!(
        stopping.last().unwrap().contains("STATUS=stopping"),
        "{stopping:?}"
    );
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_node_waiting_for_its_first_certificate_tells_why_and_never_claims_ready() {
    let db = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap();
    credentials(
        &data.path().join("credentials"),
        &[
            ("auth.jwt_secret", &random_secret()),
            ("tls.acme.storage_key", &random_secret()),
        ],
    );
    let manager = Manager::bind();
    let (port, http_port, dead_ca) = (free_port(), free_port(), free_port());
    let mut child = serve(&db, data.path(), &manager, port)
        .env("SN_TLS__MODE", "acme")
        .env("SN_TLS__HTTP_PORT", http_port.to_string())
        .env("SN_TLS__ACME__DOMAINS", r#"["club.sn.test"]"#)
        .env(
            "SN_TLS__ACME__DIRECTORY_URL",
            format!("https://127.0.0.1:{dead_ca}/dir"),
        )
        .spawn()
        .unwrap();

    let waiting = manager
        .until(Duration::from_secs(60), |m| {
            m.contains("waiting for the first TLS certificate")
        })
        .await;
    assert_eq!(
        waiting.last().unwrap(),
        "STATUS=not ready: waiting for the first TLS certificate from the ACME CA"
    );
    let ready = reqwest::get(format!("http://127.0.0.1:{http_port}/ready"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    // Seconds later, still nothing claims readiness.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if let Some(m) = manager.next(Duration::from_millis(500)).await {
            assert!(!m.contains("READY=1"), "{m}");
        }
    }
    terminate(&child);
    manager
        .until(Duration::from_secs(10), |m| m.starts_with("STOPPING=1"))
        .await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
