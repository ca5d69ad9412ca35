//! The command line: `serve`, and the commands an operator runs beside it (`admin`, `backup`,
//! `check`, `migrate`, `seed`, `config check`, `openapi`). A command prints its result for people on
//! standard output and its error as one line on standard error; its logs only with `-v` or
//! `RUST_LOG`, and it exports no telemetry.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{
    api,
    auth::password::Hasher,
    config::Config,
    db::{self, Database},
    domain::account::{Email, Locale, NewPassword, Role},
    ops,
    startup::Application,
};

#[derive(Debug, Parser)]
#[command(
    name = "sports-nutrition",
    version,
    about = "Sports nutrition appliance: API, admin UI and its own operations"
)]
pub struct Cli {
    /// Configuration file [default: ./config.toml when it exists]
    #[arg(long, short, env = "SN_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log what a command does on standard error (-vv for more); `serve` logs at log.level
    #[arg(long, short, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (starts the managed PostgreSQL cluster when database.url is unset)
    Serve,
    /// Apply pending database migrations and exit (beside a running node too)
    Migrate,
    /// Load the reference data in seeds/ (idempotent) and exit (beside a running node too)
    Seed,
    /// Inspect the configuration
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI specification (JSON) and exit
    Openapi,
    /// Administration tasks
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Backups of the database
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Undo the latest upgrade's migrations: restore the backup taken before them (verified again;
    /// the current data goes to a safety backup first), then run the previous version. Every node
    /// must be stopped
    Rollback {
        /// Do not ask for confirmation (needed when standard input is not a terminal)
        #[arg(long)]
        yes: bool,
    },
    /// Run the self-checks once and print them; exits non-zero when any fails (for cron,
    /// monitoring and the post-deployment check). Includes the serving nodes' newest reports.
    Check {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Take a backup now (pg_dump, written atomically, verified, retention applied)
    Create,
    /// List the backups, newest first
    List,
    /// Re-read a backup's checksum and list it with pg_restore
    Verify {
        /// The backup's id, as `backup list` shows it
        id: uuid::Uuid,
    },
    /// Restore a backup into a scratch database and compare it table by table with the live one
    DeepVerify {
        /// The backup's id, as `backup list` shows it
        id: uuid::Uuid,
    },
    /// Restore a backup: a safety backup first, then the backup into a new database, checked, then
    /// swapped in (the old database is kept under another name)
    Restore {
        /// The backup's id, as `backup list` shows it
        id: uuid::Uuid,
        /// Do not ask for confirmation (needed when standard input is not a terminal)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account, e.g. the first admin. The password is read from --password-file, or
    /// else from the first line of standard input (so it stays out of the shell history).
    CreateUser {
        /// The sign-in address
        #[arg(long)]
        email: String,
        /// athlete, coach or admin
        #[arg(long, default_value = "athlete")]
        role: String,
        /// File whose first line is the password
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// Interface language (sr-Latn, sr-Cyrl, en, hu, ro, ru, uk)
        #[arg(long, default_value = "sr-Latn")]
        language: String,
    },
    /// Print a new one-time link whose page creates the first admin in the browser (while no
    /// active admin exists; valid for auth.setup_link_ttl_secs)
    SetupLink,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values, secrets redacted
    Check,
}

impl Cli {
    fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(|| {
            Path::new("config.toml")
                .is_file()
                .then(|| PathBuf::from("config.toml"))
        })
    }
}

/// Runs one command to completion; `service_manager` is systemd when it started `serve`.
pub async fn run(
    cli: Cli,
    service_manager: Option<ops::systemd::ServiceManager>,
) -> anyhow::Result<()> {
    if let Command::Openapi = cli.command {
        println!("{}", api::schema::document());
        return Ok(());
    }
    let config = Config::load(cli.config_path().as_deref())?;
    if let Command::Config {
        command: ConfigCommand::Check,
    } = cli.command
    {
        print!("{}", config.to_redacted_toml());
        eprintln!("configuration OK");
        return Ok(());
    }
    if !matches!(cli.command, Command::Serve) {
        ops::telemetry::init_command_logs(cli.verbose);
        return command(cli.command, &config).await;
    }
    let telemetry = ops::telemetry::init(&config)?;
    // Pinging from the start: creating the managed cluster and seeding take a while.
    let watchdog = service_manager.as_ref().and_then(|m| m.spawn_watchdog());
    if let Some(manager) = &service_manager {
        manager.notify(&ops::systemd::status(
            "starting: database, migrations, seed data",
        ));
    }
    let served = match Application::build(config).await {
        Ok(app) => {
            let app = match service_manager.clone() {
                Some(manager) => app.notifying(manager),
                None => app,
            };
            app.run_until(ops::shutdown::signal()).await
        }
        Err(e) => Err(e),
    };
    if let (Err(e), Some(manager)) = (&served, &service_manager) {
        manager.notify(&ops::systemd::status(&format!("failed: {e:#}")));
    }
    if let Some(watchdog) = watchdog {
        watchdog.abort();
    }
    telemetry.shutdown();
    served
}

/// Runs a command other than `serve`. Each opens the database as `serve` would, or, while a node
/// runs the managed cluster, connects to that cluster as a client.
async fn command(command: Command, config: &Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            let db = Database::open_beside_service(config).await?;
            let result = ops::upgrade::migrate(config, &db).await;
            db.close().await;
            let migrated = result?;
            if let Some(backup) = &migrated.backup {
                println!("backed up the database first: {}", backup.file_name);
            }
            match migrated.applied.as_slice() {
                [] => println!("the database is up to date"),
                applied => println!(
                    "applied {} migration(s), up to version {}",
                    applied.len(),
                    applied.iter().max().unwrap_or(&0)
                ),
            }
            Ok(())
        }
        Command::Seed => {
            let db = Database::open_beside_service(config).await?;
            let result = async {
                ops::upgrade::migrate(config, &db).await?;
                db::seed::run(&db.pool, false).await
            }
            .await;
            db.close().await;
            let report = result?;
            println!(
                "seed data loaded: {} foods and {} portions written; {} dishes, {} products and {} demo prices added",
                report.foods_written,
                report.portions_written,
                report.dishes_inserted,
                report.products_inserted,
                report.demo_prices_inserted
            );
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    email,
                    role,
                    password_file,
                    language,
                },
        } => {
            let email = Email::parse(&email).map_err(|m| anyhow::anyhow!("--email {m}"))?;
            let role = Role::parse(&role).map_err(|m| anyhow::anyhow!("--role {m}"))?;
            let language =
                Locale::parse(&language).map_err(|m| anyhow::anyhow!("--language {m}"))?;
            let password = read_password(password_file.as_deref())?;
            let password = NewPassword::parse(&password, Some(&email))
                .map_err(|m| anyhow::anyhow!("the password {m}"))?;
            let hasher = Hasher::new(&config.auth.argon2, 1)?;
            let hash = hasher.hash(password.expose()).await?;
            let db = Database::open_beside_service(config).await?;
            let result = async {
                ops::upgrade::migrate(config, &db).await?;
                let mut tx = db.pool.begin().await?;
                let user = db::users::insert(&mut *tx, &email, &hash, role, language.as_str())
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!("an account with the e-mail address {email} already exists")
                    })?;
                db::audit::record(
                    &mut *tx,
                    &db::audit::Event {
                        action: "admin.user_create",
                        success: true,
                        subject: Some(user.id),
                        details: Some(serde_json::json!({ "via": "cli", "role": role.as_str() })),
                        ..Default::default()
                    },
                )
                .await?;
                tx.commit().await?;
                anyhow::Ok(user)
            }
            .await;
            db.close().await;
            let user = result?;
            println!(
                "created {} {} ({})",
                user.role.as_str(),
                user.email,
                user.id
            );
            Ok(())
        }
        Command::Admin {
            command: AdminCommand::SetupLink,
        } => {
            let ttl = std::time::Duration::from_secs(match config.auth.setup_link_ttl_secs {
                0 => 3600,
                secs => secs,
            });
            let db = Database::open_beside_service(config).await?;
            let result = async {
                ops::upgrade::migrate(config, &db).await?;
                anyhow::Ok(crate::service::setup::offer(&db.pool, ttl).await?)
            }
            .await;
            db.close().await;
            let link = result?.ok_or_else(|| {
                anyhow::anyhow!(
                    "an admin already exists: sign in, or create another with `admin create-user --role admin`"
                )
            })?;
            println!("{}", link.url(&config.public_base_url(config.server.port)));
            Ok(())
        }
        Command::Backup { command } => {
            let db = Database::open_beside_service(config).await?;
            let result = backup(config, &db, command).await;
            db.close().await;
            result
        }
        Command::Rollback { yes } => {
            // Not beside a node: it would go on writing with the new version into the old data.
            let db = Database::open(config).await.map_err(|e| {
                match e.is::<db::cluster::ClusterInUse>() {
                    true => e.context(
                        "rollback replaces the database under a running node: stop every node first \
                         (systemctl stop sports-nutrition)",
                    ),
                    false => e,
                }
            })?;
            let result = rollback(config, &db, yes).await;
            db.close().await;
            result
        }
        Command::Check { json } => {
            let db = Database::open_beside_service(config)
                .await
                .context("self-check failed: cannot reach the database")?;
            let result = check(config, &db, json).await;
            db.close().await;
            result
        }
        Command::Serve | Command::Openapi | Command::Config { .. } => {
            unreachable!("handled by run")
        }
    }
}

async fn backup(config: &Config, db: &Database, command: BackupCommand) -> anyhow::Result<()> {
    use ops::backup::{Backups, Trigger};
    ops::upgrade::migrate(config, db).await?;
    let backups = Backups::new(config, db)?;
    let show = |b: &ops::backup::Backup| {
        println!(
            "{}  {}  {:<8}  schema={}  {:<7}  {:>12}  verified={}  {}",
            b.id,
            b.file_name,
            b.trigger,
            b.schema_version.map_or("-".to_string(), |v| v.to_string()),
            b.status,
            b.size_bytes.map(|s| s.to_string()).unwrap_or_default(),
            b.verify_ok.map_or("-".to_string(), |v| v.to_string()),
            b.error.as_deref().unwrap_or("")
        )
    };
    match command {
        BackupCommand::Create => {
            let b = backups.create(Trigger::Cli).await?;
            show(&b);
            anyhow::ensure!(
                b.status == "ok",
                "the backup failed: {}",
                b.error.unwrap_or_default()
            );
        }
        BackupCommand::List => backups.list().await?.iter().for_each(show),
        BackupCommand::Verify { id } => {
            let b = backups.verify(id).await?;
            show(&b);
            println!("{}", b.verify_detail.as_deref().unwrap_or(""));
            anyhow::ensure!(b.verify_ok == Some(true), "verification failed");
        }
        BackupCommand::DeepVerify { id } => {
            let b = backups.deep_verify(id).await?;
            println!("{}", serde_json::to_string_pretty(&b.deep_verify_detail)?);
            anyhow::ensure!(b.deep_verify_ok == Some(true), "deep verification failed");
        }
        BackupCommand::Restore { id, yes } => {
            let b = backups
                .get(id)
                .await?
                .with_context(|| format!("no backup {id}"))?;
            confirm(yes, "restoring replaces the database", &b.file_name)?;
            let by = ops::backup::RestoredBy {
                via: "cli",
                ..Default::default()
            };
            let restored = backups.restore(id, &by).await?;
            println!(
                "restored {}; the data before it is in the safety backup {}; {} sessions ended (everyone signs in again)",
                b.file_name, restored.safety.file_name, restored.sessions_ended
            );
        }
    }
    Ok(())
}

async fn rollback(config: &Config, db: &Database, yes: bool) -> anyhow::Result<()> {
    let plan = ops::upgrade::plan(config, db).await?;
    let backup = &plan.backup;
    let version = backup.schema_version.unwrap_or_default();
    eprintln!(
        "rolling back the database from schema {} to {version}: the data as it was at {} (backup {}); \
         what was written since goes to a safety backup",
        plan.current, backup.started_at, backup.file_name
    );
    confirm(yes, "rolling back replaces the database", &backup.file_name)?;
    let file = backup.file_name.clone();
    let restored = plan.run().await?;
    println!(
        "rolled back to schema {version} from {file}; the data before it is in the safety backup {}; {} sessions ended",
        restored.safety.file_name, restored.sessions_ended
    );
    let previous = std::fs::read_to_string(config.storage.data_dir.join(PREVIOUS_PACKAGE))
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    match previous {
        Some(version) => println!(
            "now install the previous version and start it: apt install --allow-downgrades sports-nutrition={version}"
        ),
        None => println!("now start the version that ran schema {version}"),
    }
    Ok(())
}

/// Where the package notes the version an upgrade replaced (postinst), for `rollback` to name.
const PREVIOUS_PACKAGE: &str = "previous-version";

/// Asks for `file_name` to be typed unless `yes`; refuses without a terminal to ask on.
fn confirm(yes: bool, what: &str, file_name: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    use std::io::IsTerminal;
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "{what}: pass --yes to confirm"
    );
    eprint!("{what}; type the backup's file name to confirm: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    anyhow::ensure!(line.trim() == file_name, "not confirmed; nothing changed");
    Ok(())
}

/// `check`: the self-checks that make sense from outside the service, and the nodes' reports.
async fn check(config: &Config, db: &Database, json: bool) -> anyhow::Result<()> {
    use ops::selfcheck::{SelfCheck, Vantage};
    // The cache is only looked at (Redis answering), never used.
    let cache = crate::cache::Cache::new(&config.cache).await?;
    let self_check = SelfCheck::new(
        config,
        db.pool.clone(),
        cache,
        ops::metrics::RequestWindow::new(std::time::Duration::from_secs(
            config.self_check.window_secs,
        )),
        Vantage::CommandLine,
    )?;
    let report = self_check.run().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for c in &report.checks {
            let value = c
                .value
                .map(|v| format!("{v} {}", c.unit).trim_end().to_string())
                .unwrap_or_default();
            let threshold = c
                .threshold
                .map(|t| format!("(limit {t} {})", c.unit).replace(" )", ")"))
                .unwrap_or_default();
            println!(
                "{:<4}  {:<16} {:>12} {:<14} {}",
                if c.ok { "ok" } else { "FAIL" },
                c.name,
                value,
                threshold,
                c.detail
            );
        }
    }
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "self-check failed: {}",
        failed.join(", ")
    );
    Ok(())
}

/// The first line of `file`, or of standard input.
fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the password from {}", path.display()))?,
        None => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                eprint!("password (input is shown; prefer --password-file or a pipe): ");
            }
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line
        }
    };
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod man_page;
