//! PostgreSQL: the connection pool, embedded migrations, the managed cluster and the seed loader.

pub mod audit;
pub mod catalogue;
pub mod catalogue_admin;
pub mod cluster;
pub mod coaching;
pub mod dishes;
pub mod feeds;
pub mod meal_plans;
pub mod profiles;
pub mod progress;
pub mod safety;
pub mod seed;
pub mod sessions;
pub mod supplements;
pub mod users;

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::{
    PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config::{Config, DatabaseConfig};
use cluster::ManagedCluster;

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Where the database lives: an external server from `database.url`, or the cluster this process supervises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    External,
    Managed,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::External => "external",
            Mode::Managed => "managed",
        }
    }
}

/// An open database: the pool, and the managed cluster when this process runs one.
pub struct Database {
    pub pool: PgPool,
    cluster: Option<ManagedCluster>,
}

impl Database {
    /// Connects to `database.url`, or starts (and, the first time, creates) the managed cluster.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let db = &config.database;
        match &db.url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose_secret())
                    .context("database.url: not a valid PostgreSQL connection URL")?;
                let pool = connect(options, db)
                    .await
                    .context("cannot connect to database.url")?;
                Ok(Self {
                    pool,
                    cluster: None,
                })
            }
            None => {
                let cluster =
                    ManagedCluster::start(&config.managed_cluster_dir(), &db.managed).await?;
                let pool = match connect(cluster.connect_options(), db).await {
                    Ok(pool) => pool,
                    Err(e) => {
                        cluster.stop().await;
                        return Err(e).context("cannot connect to the managed PostgreSQL cluster");
                    }
                };
                Ok(Self {
                    pool,
                    cluster: Some(cluster),
                })
            }
        }
    }

    pub fn mode(&self) -> Mode {
        if self.cluster.is_some() {
            Mode::Managed
        } else {
            Mode::External
        }
    }

    /// Closes the pool, then stops the managed cluster if there is one.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            cluster.stop().await;
        }
    }
}

async fn connect(
    options: PgConnectOptions,
    config: &DatabaseConfig,
) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
        .connect_with(options.application_name("sports-nutrition"))
        .await
}

/// Applies every migration not yet applied; concurrent callers wait on sqlx's advisory lock.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Versions of embedded migrations the database has not applied successfully.
pub async fn pending_migrations(pool: &PgPool) -> Result<Vec<i64>, sqlx::Error> {
    let applied: Vec<i64> =
        match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
        {
            Ok(versions) => versions,
            // 42P01 undefined_table: a database that has never been migrated.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Vec::new(),
            Err(e) => return Err(e),
        };
    Ok(MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .map(|m| m.version)
        .collect())
}
