//! PostgreSQL: the connection pool, embedded migrations, the managed cluster and the seed loader.

pub mod acme;
pub mod alerts;
pub mod audit;
pub mod backups;
pub mod catalogue;
pub mod catalogue_admin;
pub mod cluster;
pub mod coaching;
pub mod confirmations;
pub mod dishes;
pub mod feeds;
pub mod meal_plans;
pub mod profiles;
pub mod progress;
pub mod safety;
pub mod seed;
pub mod sessions;
pub mod setup;
pub mod supplements;
pub mod users;

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
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
    target: ToolTarget,
}

/// How PostgreSQL's client tools (`pg_dump`, `pg_restore`) reach this node's database: the
/// connection goes in `PG*` environment variables, never on a command line others can read.
#[derive(Debug, Clone)]
pub struct ToolTarget {
    /// Where `pg_dump` and `pg_restore` are.
    pub bin_dir: PathBuf,
    /// A host name, or the Unix socket directory.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<SecretString>,
    pub database: String,
    pub sslmode: Option<String>,
}

impl ToolTarget {
    /// A client tool run against `database` (default: the application's).
    pub fn command(&self, tool: &str, database: Option<&str>) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(self.bin_dir.join(tool));
        cmd.env("PGHOST", &self.host)
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", &self.user)
            .env("PGDATABASE", database.unwrap_or(&self.database))
            .env("PGAPPNAME", "sports-nutrition")
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(p) = &self.password {
            cmd.env("PGPASSWORD", p.expose_secret());
        }
        if let Some(mode) = &self.sslmode {
            cmd.env("PGSSLMODE", mode);
        }
        cmd
    }

    /// Connection options for `database` on the same server (e.g. `postgres` to create, rename and
    /// drop databases).
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        let options = PgConnectOptions::new()
            .port(self.port)
            .username(&self.user)
            .database(database);
        let options = if self.host.starts_with('/') {
            options.socket(&self.host)
        } else {
            options.host(&self.host)
        };
        let options = match &self.password {
            Some(p) => options.password(p.expose_secret()),
            None => options,
        };
        match self.sslmode.as_deref().and_then(|m| m.parse().ok()) {
            Some(mode) => options.ssl_mode(mode),
            None => options,
        }
    }
}

/// `pg_dump`'s directory for an external server: configured, else on PATH, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn client_bin_dir(configured: Option<&Path>) -> PathBuf {
    if let Some(dir) = configured {
        return dir.to_path_buf();
    }
    let has_dump = |d: &Path| d.join("pg_dump").is_file() && d.join("pg_restore").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_dump(d)) {
            return dir;
        }
    }
    installed_bin_dirs(has_dump)
        .pop()
        .map(|(_, d)| d)
        .unwrap_or_else(|| PathBuf::from("/usr/bin"))
}

/// Debian's PostgreSQL installations, `/usr/lib/postgresql/<major>/bin`, oldest first, keeping
/// those whose directory passes `has_tools`.
pub fn installed_bin_dirs(has_tools: impl Fn(&Path) -> bool) -> Vec<(u32, PathBuf)> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, d)| has_tools(d))
        .collect();
    versions.sort();
    versions
}

/// The tools' view of an external `database.url`.
fn external_target(url: &str, bin_dir: Option<&Path>) -> anyhow::Result<ToolTarget> {
    let parsed = url::Url::parse(url).context("database.url: not a URL")?;
    let query = |key: &str| {
        parsed
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let host = query("host")
        .or_else(|| parsed.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    Ok(ToolTarget {
        bin_dir: client_bin_dir(bin_dir),
        host,
        port: parsed.port().unwrap_or(5432),
        user: Some(decode(parsed.username()))
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres".into()),
        password: parsed.password().map(|p| SecretString::from(decode(p))),
        database: parsed.path().trim_start_matches('/').to_owned(),
        sslmode: query("sslmode"),
    })
}

impl Database {
    /// Connects to `database.url`, or starts (and, the first time, creates) the managed cluster.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        Self::open_with(config, false).await
    }

    /// As `open`, but when a running `serve` supervises the managed cluster, connects to it as a
    /// client instead of refusing (commands run beside the service: `backup`, `check`).
    pub async fn open_beside_service(config: &Config) -> anyhow::Result<Self> {
        Self::open_with(config, true).await
    }

    async fn open_with(config: &Config, attach: bool) -> anyhow::Result<Self> {
        let db = &config.database;
        match &db.url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose_secret())
                    .context("database.url: not a valid PostgreSQL connection URL")?;
                let pool = connect(options, db)
                    .await
                    .context("cannot connect to database.url")?;
                let target =
                    external_target(url.expose_secret(), config.backup.pg_bin_dir.as_deref())?;
                Ok(Self {
                    pool,
                    cluster: None,
                    target,
                })
            }
            None => {
                let dir = config.managed_cluster_dir();
                let cluster = match ManagedCluster::start(&dir, &db.managed).await {
                    Ok(c) => c,
                    Err(e) if attach && e.is::<cluster::ClusterInUse>() => {
                        ManagedCluster::attach(&dir, &db.managed)?
                    }
                    Err(e) => return Err(e),
                };
                let pool = match connect(cluster.connect_options(), db).await {
                    Ok(pool) => pool,
                    Err(e) => {
                        cluster.stop().await;
                        return Err(e).context("cannot connect to the managed PostgreSQL cluster");
                    }
                };
                let target = ToolTarget {
                    bin_dir: cluster.bin_dir().to_path_buf(),
                    host: cluster.socket_dir().display().to_string(),
                    port: cluster::SOCKET_PORT,
                    user: cluster::DB_USER.into(),
                    password: None,
                    database: cluster::DB_NAME.into(),
                    sslmode: None,
                };
                Ok(Self {
                    pool,
                    cluster: Some(cluster),
                    target,
                })
            }
        }
    }

    /// How `pg_dump` and `pg_restore` reach this database.
    pub fn target(&self) -> &ToolTarget {
        &self.target
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
    // The appliance's queries are short: compiling one with JIT takes 100–300 ms, more than any of
    // them runs, and PostgreSQL starts doing it once a catalogue's size pushes a plan's cost estimate
    // over `jit_above_cost`.
    let mut options = options
        .application_name("sports-nutrition")
        .options([("jit", "off")]);
    if config.statement_timeout_secs > 0 {
        options = options.options([(
            "statement_timeout",
            format!("{}s", config.statement_timeout_secs),
        )]);
    }
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(Duration::from_secs(config.acquire_timeout_secs))
        .connect_with(options)
        .await
}

/// Applies every migration not yet applied; concurrent callers wait on sqlx's advisory lock.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// The newest migration the database has applied; `None` for one never migrated.
pub async fn schema_version(db: impl sqlx::PgExecutor<'_>) -> Result<Option<i64>, sqlx::Error> {
    match sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(db)
        .await
    {
        Ok(version) => Ok(version),
        // 42P01 undefined_table: a database that has never been migrated.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The newest migration this binary carries.
pub fn newest_known_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
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
