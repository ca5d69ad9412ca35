//! Builds the running application from a configuration; used by `main` and by the integration tests.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use poem::{
    EndpointExt, Server,
    endpoint::BoxEndpoint,
    listener::{AcceptorExt, BoxAcceptor, TcpAcceptor},
};

use crate::{
    api::{self, AppState},
    auth::{self as authn, password::Hasher, token::AccessTokens},
    cache::{Cache, rate_limit::RateLimiter},
    config::{Config, RunMode, TlsMode},
    db::{self, Database},
    ops::{
        self,
        backup::Backups,
        feeds::{Fetcher, job as feeds_job},
    },
};

/// A node that is bound and ready to serve: database open, migrated and seeded, socket listening.
pub struct Application {
    acceptor: BoxAcceptor,
    local_addr: SocketAddr,
    /// `https` with `tls.mode = "files"`.
    scheme: &'static str,
    app: BoxEndpoint<'static>,
    /// The plain-HTTP listener beside HTTPS (`tls.http_port`): probes and the redirect.
    plain: Option<(TcpAcceptor, SocketAddr, BoxEndpoint<'static>)>,
    db: Database,
    scheduler: Option<ops::jobs::Scheduler>,
    /// Scheduled job runs in progress: shutdown waits for them before closing the pool.
    running: ops::jobs::Running,
    /// Tasks that live as long as the node (ended at shutdown).
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The ACME loop (`tls.mode = "acme"`), started when the listeners serve.
    acme: Option<ops::acme::Acme>,
    shutdown_timeout: Duration,
    /// What `/ready` looks at, for the service manager's READY=1.
    state: AppState,
    /// systemd (`Type=notify`), when it started this process.
    service_manager: Option<ops::systemd::ServiceManager>,
    /// While no admin exists: the one-time link that creates the first one.
    first_run: Option<FirstRun>,
}

/// The setup link this node offers, where it is written and the URL it is opened at.
struct FirstRun {
    link: crate::service::setup::SetupLink,
    base_url: String,
    file: std::path::PathBuf,
}

/// What [`Application::assemble`] builds on the open database.
struct Parts {
    acceptor: BoxAcceptor,
    local_addr: SocketAddr,
    scheme: &'static str,
    plain: Option<(TcpAcceptor, SocketAddr, BoxEndpoint<'static>)>,
    app: BoxEndpoint<'static>,
    scheduler: Option<ops::jobs::Scheduler>,
    running: ops::jobs::Running,
    acme: Option<ops::acme::Acme>,
    state: AppState,
    first_run: Option<FirstRun>,
}

/// Tasks started while assembling the node, aborted if the start fails.
#[derive(Default)]
struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        self.0.iter().for_each(|t| t.abort());
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        check_secrets(&config)?;
        if config.database.url.is_none() {
            // Before a key is generated or a file written.
            crate::db::cluster::ManagedCluster::preflight(
                &config.managed_cluster_dir(),
                &config.database.managed,
            )?;
        }
        let jwt_secret = authn::jwt_secret(&config)?;
        let hasher = Hasher::new(&config.auth.argon2, config.auth.hash_concurrency)?;
        let fetcher = Fetcher::new(&config.feeds)?;
        // A certificate that cannot serve stops the start before anything else is opened.
        let tls = match config.tls.mode {
            TlsMode::Off => None,
            TlsMode::Files => {
                let (Some(cert), Some(key)) = (&config.tls.cert_path, &config.tls.key_path) else {
                    anyhow::bail!(
                        "tls.cert_path and tls.key_path are required with tls.mode = \"files\""
                    );
                };
                let loaded = ops::tls::load(cert, key)?;
                tracing::info!(subject = %loaded.subject, not_after = %loaded.not_after, "TLS certificate loaded");
                Some(ops::tls::CertResolver::new(loaded))
            }
            // Empty until the first certificate is stored; the loop starts with the server.
            TlsMode::Acme => Some(ops::tls::CertResolver::empty()),
        };
        let db = Database::open(&config).await?;
        let mut background = Background::default();
        match Self::assemble(
            &config,
            &db,
            tls,
            hasher,
            fetcher,
            &jwt_secret,
            &mut background,
        )
        .await
        {
            Ok(parts) => Ok(Self {
                acceptor: parts.acceptor,
                local_addr: parts.local_addr,
                scheme: parts.scheme,
                plain: parts.plain,
                app: parts.app,
                db,
                scheduler: parts.scheduler,
                running: parts.running,
                background: std::mem::take(&mut background.0),
                acme: parts.acme,
                shutdown_timeout: Duration::from_secs(config.server.shutdown_timeout_secs),
                state: parts.state,
                service_manager: None,
                first_run: parts.first_run,
            }),
            Err(e) => {
                drop(background);
                db.close().await;
                Err(e)
            }
        }
    }

    /// Everything on top of the open database; whatever fails leaves `background` to be aborted
    /// and the database to be closed by the caller. The scheduler starts last: nothing fails after it.
    async fn assemble(
        config: &Config,
        db: &Database,
        tls: Option<Arc<ops::tls::CertResolver>>,
        hasher: Hasher,
        fetcher: Fetcher,
        jwt_secret: &secrecy::SecretString,
        background: &mut Background,
    ) -> anyhow::Result<Parts> {
        let (acceptor, local_addr) = Self::prepare(config, db).await?;
        let first_run = first_run(config, db, local_addr.port()).await;
        let cache = Cache::new(&config.cache).await?;
        let limiter = RateLimiter::with_redis(
            &config.rate_limit,
            cache.redis().cloned(),
            &config.cache.redis_prefix,
        );
        spawn_housekeeping(limiter.clone());
        background
            .0
            .push(ops::price_figures::spawn(db.pool.clone(), cache.clone()));
        // Seeding and migrating are over: what they left resident goes back.
        background.0.push(ops::memory::spawn_housekeeping());
        let backups = Backups::new(config, db)?;
        let restored_cache = cache.clone();
        background.0.push(backups.maintenance().watch(move || {
            let cache = restored_cache.clone();
            async move { cache.invalidate(&[crate::cache::Ns::All]).await }
        }));
        let requests =
            ops::metrics::RequestWindow::new(Duration::from_secs(config.self_check.window_secs));
        let self_check = ops::selfcheck::SelfCheck::new(
            config,
            db.pool.clone(),
            cache.clone(),
            requests.clone(),
            ops::selfcheck::Vantage::Service(tls.clone()),
        )?;
        let acme = match (&tls, config.tls.mode) {
            (Some(resolver), TlsMode::Acme) => {
                let key = ops::acme::storage_key(config)?;
                let acme = ops::acme::Acme::new(config, db.pool.clone(), resolver.clone(), &key)?;
                acme.install_stored().await;
                Some(acme)
            }
            _ => None,
        };
        let state = AppState::new(api::NodeState {
            pool: db.pool.clone(),
            db_mode: db.mode(),
            started: Instant::now(),
            max_connections: config.database.max_connections,
            tokens: Arc::new(AccessTokens::new(jwt_secret, &config.auth)),
            hasher,
            limiter,
            session_terms: crate::db::sessions::Terms {
                refresh_ttl_days: config.auth.refresh_token_ttl_days,
                max_age_days: config.auth.session_max_age_days,
            },
            reauthentication_window_secs: config.auth.reauthentication_window_secs,
            trusted_proxies: config.security.trusted_proxies.clone().into(),
            mode: config.security.mode,
            fetcher,
            compute: ops::compute::ComputePool::new(&config.limits)?,
            connections: ops::connections::Connections::default(),
            cache,
            maintenance: backups.maintenance().clone(),
            backups,
            requests,
            self_check,
            tls: tls.clone(),
            acme: acme.clone(),
            metrics: api::metrics::MetricsAccess {
                enabled: config.telemetry.prometheus_enabled,
                token: config.telemetry.prometheus_token.clone(),
            },
            settings: api::settings::effective(config),
            db_probe: Default::default(),
            setup_link_file: config.setup_link_file(),
        });
        background
            .0
            .push(ops::node_metrics::observe(ops::node_metrics::Node {
                pool: db.pool.clone(),
                max_connections: config.database.max_connections,
                cache: state.cache.clone(),
                tls: tls.clone(),
                self_check: state.self_check.clone(),
            }));
        let watch = |acceptor| ops::connections::Watched::new(acceptor, state.connections.clone());
        let (acceptor, scheme, plain) = match &tls {
            None => (watch(acceptor).boxed(), "http", None),
            Some(resolver) => {
                let challenges = acme
                    .clone()
                    .map(|a| Arc::new(a) as Arc<dyn ops::tls::AlpnChallenges>);
                let tls_acceptor = ops::tls::TlsAcceptor::new(
                    acceptor,
                    ops::tls::server_config(resolver.clone())?,
                    challenges,
                    Duration::from_secs(config.tls.handshake_timeout_secs),
                );
                let plain = match config.tls.http_port {
                    Some(port) => {
                        let addr = SocketAddr::new(config.server.host, port);
                        let listener =
                            tokio::net::TcpListener::bind(addr).await.with_context(|| {
                                format!("cannot listen on {addr} (server.host, tls.http_port)")
                            })?;
                        let plain_addr = listener.local_addr()?;
                        let https_port = config.tls.public_https_port.unwrap_or(local_addr.port());
                        let app = api::plain_http_app(state.clone(), https_port).boxed();
                        Some((TcpAcceptor::from_tokio(listener)?, plain_addr, app))
                    }
                    None => None,
                };
                if config.tls.mode == TlsMode::Files {
                    background
                        .0
                        .extend(ops::tls::watch_files(&config.tls, resolver.clone()));
                }
                (
                    ops::connections::Watched::new(tls_acceptor, state.connections.clone()).boxed(),
                    "https",
                    plain,
                )
            }
        };
        let running = ops::jobs::Running::new();
        let scheduler = schedule(config, &state, &running).await?;
        // A first report right away, so `check` finds this node without waiting.
        if state.self_check.config().enabled {
            let first = state.self_check.clone();
            running.spawn(async move {
                first.run_and_record().await;
            });
        }
        Ok(Parts {
            acceptor,
            local_addr,
            scheme,
            plain,
            app: api::app(state.clone(), config).boxed(),
            scheduler,
            running,
            acme,
            state,
            first_run,
        })
    }

    async fn prepare(config: &Config, db: &Database) -> anyhow::Result<(TcpAcceptor, SocketAddr)> {
        if config.database.migrate_on_start {
            ops::upgrade::migrate(config, db).await?;
        }
        // A backup this node was taking when it stopped will never finish (no table yet: nothing to do).
        if let Err(e) = db::backups::fail_abandoned(&db.pool).await {
            tracing::debug!(error = %e, "marking interrupted backups");
        }
        if config.database.seed_on_start {
            let report = db::seed::run(&db.pool, true)
                .await
                .context("loading seed data")?;
            if report.applied {
                tracing::info!(?report, "seed data loaded");
            }
        }
        let addr = SocketAddr::new(config.server.host, config.server.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (server.host, server.port)"))?;
        let local_addr = listener.local_addr()?;
        Ok((TcpAcceptor::from_tokio(listener)?, local_addr))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://…` or `https://…` of the main listener.
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.local_addr)
    }

    /// The plain-HTTP listener beside HTTPS, when `tls.http_port` is set.
    pub fn plain_addr(&self) -> Option<SocketAddr> {
        self.plain.as_ref().map(|(_, addr, _)| *addr)
    }

    pub fn pool(&self) -> &sqlx::PgPool {
        &self.db.pool
    }

    /// Tells `manager` when the node is ready (as `/ready` would answer 200), how it is doing
    /// (`STATUS=`), and when it stops.
    pub fn notifying(mut self, manager: ops::systemd::ServiceManager) -> Self {
        self.service_manager = Some(manager);
        self
    }

    /// Serves until `signal` resolves, then stops accepting, lets in-flight requests finish (up to
    /// `server.shutdown_timeout_secs`), closes the pool and stops a managed cluster.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr, scheme = self.scheme, database = self.db.mode().as_str(), "listening");
        if let Some(first_run) = &self.first_run {
            first_run.announce();
        }
        let stop = tokio_util::sync::CancellationToken::new();
        let plain = self.plain.map(|(acceptor, addr, app)| {
            tracing::info!(%addr, "listening for plain HTTP (probes and the redirect to HTTPS)");
            let stop = stop.clone();
            let timeout = self.shutdown_timeout;
            tokio::spawn(async move {
                Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(app, stop.cancelled_owned(), Some(timeout))
                    .await
            })
        });
        let acme = self.acme.as_ref().map(|a| a.spawn());
        let url = format!("{}://{}", self.scheme, self.local_addr);
        let notifier = self
            .service_manager
            .clone()
            .map(|m| tokio::spawn(notify_readiness(m, self.state.clone(), url)));
        let main_stop = stop.clone();
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                self.app,
                async move {
                    signal.await;
                    main_stop.cancel();
                },
                Some(self.shutdown_timeout),
            )
            .await;
        stop.cancel();
        if let Some(notifier) = notifier {
            notifier.abort();
        }
        if let Some(manager) = &self.service_manager {
            manager.notify(&format!(
                "STOPPING=1\n{}",
                ops::systemd::status("stopping: finishing requests and jobs")
            ));
        }
        if let Some(plain) = plain {
            if let Ok(Err(e)) = plain.await {
                tracing::warn!(error = %e, "the plain HTTP listener failed");
            }
        }
        self.background.iter().for_each(|t| t.abort());
        if let Some(acme) = acme {
            acme.abort();
        }
        if let Some(mut scheduler) = self.scheduler {
            if let Err(e) = scheduler.shutdown().await {
                tracing::warn!(error = %e, "stopping the job scheduler");
            }
        }
        self.running.close();
        if !self.running.is_empty() {
            tracing::info!(
                jobs = self.running.len(),
                "waiting for scheduled jobs to finish"
            );
            if tokio::time::timeout(self.shutdown_timeout, self.running.wait())
                .await
                .is_err()
            {
                tracing::warn!(
                    jobs = self.running.len(),
                    "scheduled jobs still running after server.shutdown_timeout_secs; stopping anyway"
                );
            }
        }
        self.db.close().await;
        tracing::info!("stopped");
        served.context("HTTP server failed")
    }
}

/// The setup link to offer when no active admin exists and `auth.setup_link_ttl_secs` allows one,
/// written to its file (the link is a credential: only the service's user reads it); otherwise a
/// file left by an earlier start is removed. A failure only loses the link (the CLI still creates
/// admins), never the start.
async fn first_run(config: &Config, db: &Database, port: u16) -> Option<FirstRun> {
    let file = config.setup_link_file();
    let ttl = Duration::from_secs(config.auth.setup_link_ttl_secs);
    let offered = match ttl.is_zero() {
        true => Ok(None),
        false => crate::service::setup::offer(&db.pool, ttl).await,
    };
    let link = match offered {
        Ok(Some(link)) => link,
        Ok(None) => {
            if let Err(e) = ops::files::remove(&file) {
                tracing::warn!(file = %file.display(), error = %e, "cannot remove the used setup link");
            }
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot offer a setup link; create the first admin with `sports-nutrition admin create-user --role admin`");
            return None;
        }
    };
    let first_run = FirstRun {
        link,
        base_url: config.public_base_url(port),
        file,
    };
    let url = first_run.link.url(&first_run.base_url);
    let written = match (first_run.file.parent(), first_run.file.file_name()) {
        (Some(dir), Some(name)) => {
            ops::files::write_private(dir, &name.to_string_lossy(), format!("{url}\n").as_bytes())
        }
        _ => Err(std::io::ErrorKind::InvalidInput.into()),
    };
    if let Err(e) = written {
        tracing::warn!(file = %first_run.file.display(), error = %e, "cannot write the setup link");
    }
    Some(first_run)
}

impl FirstRun {
    /// Tells the operator how to create the first admin: the link itself when standard error is a
    /// terminal; the log names only the file.
    fn announce(&self) {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            let minutes = (self.link.expires_at - time::OffsetDateTime::now_utc())
                .whole_minutes()
                .max(1);
            eprintln!(
                "No admin account yet: open {} within {minutes} minutes to create one \
                 (or run `sports-nutrition admin create-user --role admin`).",
                self.link.url(&self.base_url)
            );
        }
        tracing::info!(
            file = %self.file.display(),
            expires_at = %self.link.expires_at,
            "no admin account yet: the one-time link in {} creates one in the browser, \
             or run `sports-nutrition admin create-user --role admin`",
            self.file.display()
        );
    }
}

/// READY=1 once `/ready` would answer 200, then `STATUS=` whenever readiness changes (the node
/// stays up while its database is away: the status says why it is not ready).
async fn notify_readiness(manager: ops::systemd::ServiceManager, state: AppState, url: String) {
    let mut announced: Option<Option<String>> = None;
    let mut ready = false;
    loop {
        let reason = api::health::not_ready(&state).await;
        if announced.as_ref() != Some(&reason) {
            let status = match &reason {
                None => format!("ready: serving {url}"),
                Some(why) => format!("not ready: {why}"),
            };
            let ready_now = reason.is_none() && !ready;
            ready |= ready_now;
            let message = ops::systemd::status(&status);
            manager.notify(&if ready_now {
                format!("READY=1\n{message}")
            } else {
                message
            });
            announced = Some(reason);
        }
        // Quick while starting, relaxed once serving.
        let pause = if ready { 5_000 } else { 250 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// The node's scheduled jobs: price feeds, backups and the self-check.
async fn schedule(
    config: &Config,
    state: &AppState,
    running: &ops::jobs::Running,
) -> anyhow::Result<Option<ops::jobs::Scheduler>> {
    let mut jobs = Vec::new();
    jobs.extend(feeds_job(
        state.pool.clone(),
        state.cache.clone(),
        &config.feeds,
        running,
    )?);
    jobs.extend(ops::backup::jobs(state.backups.clone(), running)?);
    jobs.extend(state.self_check.job(running)?);
    ops::jobs::start(jobs).await
}

/// Production refuses guessable secrets; development only warns about them.
fn check_secrets(config: &Config) -> anyhow::Result<()> {
    let weak = config.weak_secrets();
    if weak.is_empty() {
        return Ok(());
    }
    match config.security.mode {
        RunMode::Production => anyhow::bail!(
            "refusing to start with weak secrets (set security.mode = \"development\" to only warn): {}",
            weak.join("; ")
        ),
        RunMode::Development => {
            for problem in weak {
                tracing::warn!(%problem, "weak secret (allowed in development mode)");
            }
            Ok(())
        }
    }
}

/// Keeps the in-process rate-limit tables from growing with every client ever seen.
fn spawn_housekeeping(limiter: RateLimiter) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.housekeeping();
        }
    });
}
