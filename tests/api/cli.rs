//! `sports-nutrition admin create-user` and `admin setup-link`: the first admin, from the command
//! line; the exit statuses of a bad configuration.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::json;
use sports_nutrition::startup::Application;

use crate::helpers::{TestDatabase, test_config};

/// `sports-nutrition admin <args>` on `db`, with `stdin`.
fn admin(db: &TestDatabase, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .arg("admin")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SN_CONFIG", "/dev/null")
        .env("SN_DATABASE__URL", &db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_first_admin_comes_from_the_command_line_and_can_sign_in() {
    let db = TestDatabase::create().await;
    let password = "ajvar od paprika 2026";
    // While no admin exists, the command line offers a setup link as `serve` does.
    let link = admin(&db, &["setup-link"], "");
    let stdout = String::from_utf8_lossy(&link.stdout);
    assert!(
        link.status.success(),
        "{}",
        String::from_utf8_lossy(&link.stderr)
    );
    assert!(
        stdout.starts_with("http://127.0.0.1:8080/admin/#/setup/sns_")
            && stdout.lines().count() == 1,
        "{stdout}"
    );
    let output = admin(
        &db,
        &["create-user", "--email", "Admin@Club.rs", "--role", "admin"],
        &format!("{password}\n"),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created admin admin@club.rs"));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "no log lines without -v"
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(password), "the password is never printed");

    // A second account with the same address, a weak password, an unknown role: one clear line each.
    let again = admin(
        &db,
        &["create-user", "--email", "admin@club.rs", "--role", "admin"],
        &format!("{password}\n"),
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(again.status.code(), Some(1), "a failed command");
    let weak = admin(&db, &["create-user", "--email", "b@club.rs"], "short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));
    let role = admin(
        &db,
        &["create-user", "--email", "c@club.rs", "--role", "root"],
        &format!("{password}\n"),
    );
    assert!(String::from_utf8_lossy(&role.stderr).contains("--role"));
    let no_link = admin(&db, &["setup-link"], "");
    assert_eq!(no_link.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_link.stderr).contains("an admin already exists"));

    // The admin signs in and reads the audit log, which recorded the creation.
    let app = Application::build(test_config(&db)).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "email": "admin@club.rs", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["role"], "admin");
    let audit: serde_json::Value = client
        .get(format!(
            "{base}/api/v1/admin/audit?action=admin.user_create"
        ))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["entries"][0]["details"]["via"], "cli");
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}

/// The man page's exit statuses: 2 when the configuration is unusable, with one line saying why.
#[test]
fn a_bad_configuration_exits_2_with_one_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_sports-nutrition"))
        .args(["migrate"])
        .env_clear()
        .env("SN_CONFIG", "/dev/null")
        .env("SN_SERVER__PORT", "eighty")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: configuration: "), "{stderr}");
    assert_eq!(stderr.matches("eighty").count(), 1, "said once: {stderr}");
    assert!(output.stdout.is_empty());
}
