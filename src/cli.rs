//! The command line: `serve`, `migrate`, `seed`, `config check`, `openapi`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{
    api,
    config::Config,
    db::{self, Database},
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (starts the managed PostgreSQL cluster when database.url is unset)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Load the reference data in seeds/ (idempotent) and exit
    Seed,
    /// Inspect the configuration
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI specification (JSON) and exit
    Openapi,
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

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Openapi = cli.command {
        println!("{}", api::openapi().spec());
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
    ops::telemetry::init(&config.log);
    match cli.command {
        Command::Serve => {
            let app = Application::build(config).await?;
            app.run_until(ops::shutdown::signal()).await
        }
        Command::Migrate => {
            let db = Database::open(&config).await?;
            let result = db::migrate(&db.pool)
                .await
                .context("applying database migrations");
            db.close().await;
            result?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            let db = Database::open(&config).await?;
            let result = async {
                db::migrate(&db.pool)
                    .await
                    .context("applying database migrations")?;
                db::seed::run(&db.pool, false).await
            }
            .await;
            db.close().await;
            let report = result?;
            tracing::info!(?report, "seed data loaded");
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Command::Openapi | Command::Config { .. } => unreachable!("handled above"),
    }
}
