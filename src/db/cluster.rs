//! The embedded default: a private PostgreSQL cluster under the data directory, supervised by this process.
//!
//! It uses the system's PostgreSQL binaries, listens only on a Unix socket inside its own 0700 directory
//! (so trust authentication admits only its owner and root), runs as a non-root user, is restarted if it
//! dies, and gets a fast shutdown when the service stops. A `cluster.lock` file locked for the process's
//! lifetime keeps two services off one cluster, which is what makes it safe to stop a postmaster left
//! behind by a crashed run.

use std::{
    fs::{self, File, OpenOptions},
    os::unix::fs::{OpenOptionsExt, PermissionsExt, chown},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicI32, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use nix::{
    fcntl::{Flock, FlockArg},
    sys::signal::{Signal, kill},
    unistd::{Pid, User, geteuid},
};
use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};
use tokio::{process::Command, sync::watch, task::JoinHandle};

use crate::config::ManagedDatabaseConfig;

/// Superuser and database the appliance uses inside its own cluster.
pub const DB_USER: &str = "sports_nutrition";
pub const DB_NAME: &str = "sports_nutrition";
/// Only names the socket file (`.s.PGSQL.5432`): the cluster opens no TCP port.
pub const SOCKET_PORT: u16 = 5432;

/// A running cluster and the task that supervises it.
pub struct ManagedCluster {
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    postmaster: Arc<AtomicI32>,
    stop: watch::Sender<bool>,
    supervisor: Option<JoinHandle<()>>,
    /// `None` when attached to a cluster another process supervises.
    _lock: Option<Flock<File>>,
}

/// The cluster is supervised by another process (a running `serve`).
#[derive(Debug)]
pub struct ClusterInUse(PathBuf);

impl std::fmt::Display for ClusterInUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "another sports-nutrition process is using the managed cluster in {} (stop it, or set storage.data_dir)",
            self.0.display()
        )
    }
}

impl std::error::Error for ClusterInUse {}

/// Where the cluster's files live under `storage.data_dir`.
struct Layout {
    root: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
}

impl Layout {
    fn new(root: &Path) -> anyhow::Result<Self> {
        let root = std::path::absolute(root)
            .with_context(|| format!("storage.data_dir: cannot resolve {}", root.display()))?;
        Ok(Self {
            pgdata: root.join("pgdata"),
            socket_dir: root.join("run"),
            log_file: root.join("postgresql.log"),
            root,
        })
    }
}

/// The OS account the cluster runs as: ourselves, or `run_as` when we are root.
#[derive(Clone)]
struct Account {
    /// `Some` only when we are root and must switch users for PostgreSQL.
    switch_to: Option<(u32, u32)>,
}

impl ManagedCluster {
    /// What would stop the cluster from starting under `root` that can be seen without touching
    /// anything: the user it runs as, a directory on the way it cannot enter, missing binaries.
    pub fn preflight(root: &Path, config: &ManagedDatabaseConfig) -> anyhow::Result<()> {
        plan(root, config).map(drop)
    }

    /// Creates the cluster on first use, clears what a crash left behind, starts it and waits until
    /// it accepts connections.
    pub async fn start(root: &Path, config: &ManagedDatabaseConfig) -> anyhow::Result<Self> {
        let (layout, account, bin_dir) = plan(root, config)?;
        prepare_directories(&layout, &account)?;
        let lock = lock_cluster(&layout)?;
        if !layout.pgdata.join("PG_VERSION").exists() {
            initdb(&bin_dir, &layout, &account).await?;
        }
        stop_leftover_postmaster(&layout.pgdata).await?;

        let postmaster = Arc::new(AtomicI32::new(0));
        let timeout = Duration::from_secs(config.start_timeout_secs);
        let mut child = spawn_postgres(&bin_dir, &layout, &account)?;
        postmaster.store(child.id().map_or(0, |p| p as i32), Ordering::SeqCst);
        let options = admin_options(&layout.socket_dir);
        if let Err(e) = wait_until_ready(&mut child, &options, timeout, &layout.log_file).await {
            let _ = child.start_kill();
            return Err(e);
        }
        if let Err(e) = ensure_database(&options).await {
            signal_and_wait(&mut child, timeout).await;
            return Err(e);
        }
        tracing::info!(dir = %layout.root.display(), bin_dir = %bin_dir.display(), "managed PostgreSQL cluster ready");

        let (stop, stop_rx) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(
            child,
            bin_dir.clone(),
            layout.clone_paths(),
            account,
            postmaster.clone(),
            stop_rx,
            timeout,
        ));
        Ok(Self {
            socket_dir: layout.socket_dir,
            bin_dir,
            postmaster,
            stop,
            supervisor: Some(supervisor),
            _lock: Some(lock),
        })
    }

    /// Connects to a cluster that another process (a running `serve`) supervises, as a client only:
    /// for commands run beside the service (`backup`, `check`).
    pub fn attach(root: &Path, config: &ManagedDatabaseConfig) -> anyhow::Result<Self> {
        let layout = Layout::new(root)?;
        let bin_dir = find_bin_dir(config.bin_dir.as_deref(), &layout.pgdata)?;
        let socket = layout.socket_dir.join(format!(".s.PGSQL.{SOCKET_PORT}"));
        if !socket.exists() {
            bail!(
                "the managed cluster in {} is locked by another process but not accepting connections",
                layout.root.display()
            );
        }
        let (stop, _) = watch::channel(false);
        Ok(Self {
            socket_dir: layout.socket_dir,
            bin_dir,
            postmaster: Arc::new(AtomicI32::new(0)),
            stop,
            supervisor: None,
            _lock: None,
        })
    }

    /// How the application connects: the Unix socket, our own user and database.
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(SOCKET_PORT)
            .username(DB_USER)
            .database(DB_NAME)
    }

    /// The cluster's own server binaries (pg_dump and pg_restore of the same version are beside them).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The Unix socket directory.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Fast shutdown (SIGINT: in-flight transactions are rolled back, data is flushed), then waits for exit.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.supervisor.take() {
            let _ = task.await;
            tracing::info!("managed PostgreSQL cluster stopped");
        }
    }
}

impl Drop for ManagedCluster {
    /// Last resort when `stop` was not awaited (a panic, an early return): ask the postmaster to stop.
    fn drop(&mut self) {
        if self.supervisor.is_some() {
            let pid = self.postmaster.load(Ordering::SeqCst);
            if pid > 0 {
                let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
            }
        }
    }
}

impl Layout {
    fn clone_paths(&self) -> Layout {
        Layout {
            root: self.root.clone(),
            pgdata: self.pgdata.clone(),
            socket_dir: self.socket_dir.clone(),
            log_file: self.log_file.clone(),
        }
    }
}

fn account(config: &ManagedDatabaseConfig) -> anyhow::Result<Account> {
    if !geteuid().is_root() {
        return Ok(Account { switch_to: None });
    }
    let user = User::from_name(&config.run_as)
        .context("looking up database.managed.run_as")?
        .with_context(|| {
            format!(
                "database.managed.run_as: OS user `{}` does not exist; PostgreSQL refuses to run as root, \
                 so create that user (`adduser --system {}`), name another one, or run the service as a non-root user",
                config.run_as, config.run_as
            )
        })?;
    if user.uid.is_root() {
        bail!(
            "database.managed.run_as: `{}` is root; PostgreSQL refuses to run as root",
            config.run_as
        );
    }
    Ok(Account {
        switch_to: Some((user.uid.as_raw(), user.gid.as_raw())),
    })
}

/// The cluster's layout, the account it runs as (checked to reach the directory) and the
/// PostgreSQL binaries: what [`ManagedCluster::preflight`] checks and `start` then uses.
fn plan(root: &Path, config: &ManagedDatabaseConfig) -> anyhow::Result<(Layout, Account, PathBuf)> {
    let layout = Layout::new(root)?;
    let account = account(config)?;
    if let Some((uid, gid)) = account.switch_to {
        check_reachable(&layout.root, &config.run_as, uid, gid)?;
    }
    let bin_dir = find_bin_dir(config.bin_dir.as_deref(), &layout.pgdata)?;
    Ok((layout, account, bin_dir))
}

/// PostgreSQL, started as `user`, must pass through every directory above its own; root creates
/// those directories, so the first run under a private parent (`/root`, a 0700 home) would fail
/// inside initdb with a bare "Permission denied".
fn check_reachable(root: &Path, user: &str, uid: u32, gid: u32) -> anyhow::Result<()> {
    let groups = std::ffi::CString::new(user)
        .ok()
        .and_then(|name| nix::unistd::getgrouplist(&name, nix::unistd::Gid::from_raw(gid)).ok())
        .map(|groups| groups.into_iter().map(|g| g.as_raw()).collect::<Vec<_>>())
        .unwrap_or_else(|| vec![gid]);
    let Some((dir, mode, owner)) = closed_ancestor(root, uid, &groups) else {
        return Ok(());
    };
    let owner = User::from_uid(nix::unistd::Uid::from_raw(owner))
        .ok()
        .flatten()
        .map_or_else(|| owner.to_string(), |u| u.name);
    bail!(
        "storage.data_dir: the managed PostgreSQL cluster runs as `{user}`, which cannot enter {} \
         (mode {mode:04o}, owner {owner}) on the way to {}. Put storage.data_dir where `{user}` can \
         reach it (the package uses /var/lib/sports-nutrition), or let it pass: chmod o+x {}",
        dir.display(),
        root.display(),
        dir.display()
    )
}

/// The first existing directory above `dir` that a user with `uid` and `groups` has no search
/// permission on, with its mode and owner.
fn closed_ancestor(dir: &Path, uid: u32, groups: &[u32]) -> Option<(PathBuf, u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let mut ancestors: Vec<&Path> = dir.ancestors().skip(1).collect();
    ancestors.reverse();
    ancestors.into_iter().find_map(|ancestor| {
        let meta = fs::metadata(ancestor).ok()?;
        let mode = meta.mode() & 0o7777;
        let search = if meta.uid() == uid {
            mode & 0o100
        } else if groups.contains(&meta.gid()) {
            mode & 0o010
        } else {
            mode & 0o001
        };
        (search == 0).then(|| (ancestor.to_path_buf(), mode, meta.uid()))
    })
}

fn prepare_directories(layout: &Layout, account: &Account) -> anyhow::Result<()> {
    for dir in [&layout.root, &layout.pgdata, &layout.socket_dir] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot set permissions on {}", dir.display()))?;
    }
    if !layout.log_file.exists() {
        // The server's log may quote the data of a failed statement: the owner's alone.
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&layout.log_file)
            .with_context(|| format!("cannot create {}", layout.log_file.display()))?;
    }
    if let Some((uid, gid)) = account.switch_to {
        for path in [
            &layout.root,
            &layout.pgdata,
            &layout.socket_dir,
            &layout.log_file,
        ] {
            chown(path, Some(uid), Some(gid))
                .with_context(|| format!("cannot hand {} to the cluster's user", path.display()))?;
        }
    }
    Ok(())
}

fn lock_cluster(layout: &Layout) -> anyhow::Result<Flock<File>> {
    let path = layout.root.join("cluster.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock)
        .map_err(|_| anyhow::Error::new(ClusterInUse(layout.root.clone())))
}

/// `bin_dir` from config; else the directory of `postgres` on PATH; else the newest
/// `/usr/lib/postgresql/*/bin` — preferring the major version an existing cluster was created with.
fn find_bin_dir(configured: Option<&Path>, pgdata: &Path) -> anyhow::Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("postgres").is_file() && dir.join("initdb").is_file();
    if let Some(dir) = configured {
        if has_tools(dir) {
            return Ok(dir.to_path_buf());
        }
        bail!(
            "database.managed.bin_dir: {} does not contain `postgres` and `initdb`",
            dir.display()
        );
    }
    let cluster_version = fs::read_to_string(pgdata.join("PG_VERSION"))
        .ok()
        .map(|v| v.trim().to_string());
    let mut candidates = super::installed_bin_dirs(has_tools);
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            candidates.push((u32::MAX, dir));
        }
    }
    if let Some(version) = &cluster_version {
        if let Some((_, dir)) = candidates.iter().find(|(v, _)| v.to_string() == *version) {
            return Ok(dir.clone());
        }
    }
    match candidates.pop() {
        Some((_, dir)) => Ok(dir),
        None => bail!(
            "no PostgreSQL server binaries found (looked on PATH and in /usr/lib/postgresql/*/bin): \
             install them with `apt-get install postgresql`, set database.managed.bin_dir, \
             or point database.url at an existing server"
        ),
    }
}

fn command(program: PathBuf, account: &Account) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("LC_ALL", "C.UTF-8")
        .env_remove("PGDATA")
        .stdin(Stdio::null());
    if let Some((uid, gid)) = account.switch_to {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

async fn initdb(bin_dir: &Path, layout: &Layout, account: &Account) -> anyhow::Result<()> {
    tracing::info!(dir = %layout.pgdata.display(), "creating the managed PostgreSQL cluster");
    let output = command(bin_dir.join("initdb"), account)
        .arg("--pgdata")
        .arg(&layout.pgdata)
        .args([
            "--username",
            DB_USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-instructions",
        ])
        .current_dir(&layout.root)
        .output()
        .await
        .context("cannot run initdb")?;
    if !output.status.success() {
        bail!(
            "initdb failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            if account.switch_to.is_some() {
                " — the cluster's user must be able to enter every parent directory of storage.data_dir"
            } else {
                ""
            }
        );
    }
    // Only the Unix socket, and only local connections: no TCP rule at all.
    fs::write(
        layout.pgdata.join("pg_hba.conf"),
        "# Managed by sports-nutrition: Unix socket only; the socket directory is mode 0700.\nlocal all all trust\n",
    )
    .context("cannot write pg_hba.conf")?;
    Ok(())
}

/// A `postmaster.pid` from an earlier run: stop the postmaster if ours is still alive (we hold the
/// cluster lock, so it can only be an orphan of a crashed run), remove the file if its process is gone.
async fn stop_leftover_postmaster(pgdata: &Path) -> anyhow::Result<()> {
    let pid_file = pgdata.join("postmaster.pid");
    let Ok(contents) = fs::read_to_string(&pid_file) else {
        return Ok(());
    };
    let pid: Option<i32> = contents.lines().next().and_then(|l| l.trim().parse().ok());
    let is_our_postmaster = pid.is_some_and(|pid| {
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        comm.trim() == "postgres"
            && String::from_utf8_lossy(&cmdline).contains(pgdata.to_string_lossy().as_ref())
    });
    match pid {
        Some(pid) if is_our_postmaster => {
            tracing::warn!(
                pid,
                "a postmaster from an earlier run is still running; stopping it"
            );
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
            let deadline = Instant::now() + Duration::from_secs(60);
            while Path::new(&format!("/proc/{pid}")).exists() {
                if Instant::now() > deadline {
                    bail!(
                        "the leftover postmaster (pid {pid}) in {} does not stop",
                        pgdata.display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        _ => {
            tracing::warn!(pid = ?pid, "removing a stale postmaster.pid left by a crash");
            fs::remove_file(&pid_file)
                .with_context(|| format!("cannot remove {}", pid_file.display()))?;
        }
    }
    Ok(())
}

fn spawn_postgres(
    bin_dir: &Path,
    layout: &Layout,
    account: &Account,
) -> anyhow::Result<tokio::process::Child> {
    let log = OpenOptions::new()
        .append(true)
        .open(&layout.log_file)
        .with_context(|| format!("cannot open {}", layout.log_file.display()))?;
    let mut cmd = command(bin_dir.join("postgres"), account);
    cmd.arg("-D")
        .arg(&layout.pgdata)
        .args(["-c", "listen_addresses="])
        .arg("-c")
        .arg(format!(
            "unix_socket_directories={}",
            layout.socket_dir.display()
        ))
        .args([
            "-c",
            "unix_socket_permissions=0700",
            "-c",
            &format!("port={SOCKET_PORT}"),
            // LLVM's JIT maps writable code, which the packaged unit forbids
            // (MemoryDenyWriteExecute=); this workload's short queries gain nothing from it.
            "-c",
            "jit=off",
        ])
        .current_dir(&layout.root)
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: Ctrl-C in a terminal reaches us, and we stop PostgreSQL after draining requests.
        .process_group(0);
    cmd.spawn().context("cannot start postgres")
}

fn admin_options(socket_dir: &Path) -> PgConnectOptions {
    PgConnectOptions::new()
        .socket(socket_dir)
        .port(SOCKET_PORT)
        .username(DB_USER)
        .database("postgres")
}

async fn wait_until_ready(
    child: &mut tokio::process::Child,
    options: &PgConnectOptions,
    timeout: Duration,
    log_file: &Path,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "postgres exited during start-up ({status}); last lines of {}:\n{}",
                log_file.display(),
                tail(log_file, 10)
            );
        }
        match PgConnection::connect_with(options).await {
            Ok(conn) => {
                let _ = conn.close().await;
                return Ok(());
            }
            Err(e) if Instant::now() > deadline => {
                bail!(
                    "postgres did not accept connections within {timeout:?}: {e}; see {}",
                    log_file.display()
                )
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

async fn ensure_database(options: &PgConnectOptions) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect_with(options).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(DB_NAME)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {DB_NAME}"))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// Fast shutdown, escalating to immediate shutdown when it takes longer than `timeout`.
async fn signal_and_wait(child: &mut tokio::process::Child, timeout: Duration) {
    let Some(pid) = child.id() else { return };
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
    if tokio::time::timeout(timeout, child.wait()).await.is_err() {
        tracing::error!(
            pid,
            "postgres did not finish a fast shutdown in time; sending SIGQUIT"
        );
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGQUIT);
        let _ = child.wait().await;
    }
}

/// Restarts PostgreSQL if it dies (with backoff), and stops it when asked.
async fn supervise(
    mut child: tokio::process::Child,
    bin_dir: PathBuf,
    layout: Layout,
    account: Account,
    postmaster: Arc<AtomicI32>,
    mut stop: watch::Receiver<bool>,
    timeout: Duration,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        tokio::select! {
            status = child.wait() => {
                tracing::error!(status = ?status, log = %layout.log_file.display(), "managed PostgreSQL exited unexpectedly; restarting");
            }
            _ = stop.changed() => {
                signal_and_wait(&mut child, timeout).await;
                postmaster.store(0, Ordering::SeqCst);
                return;
            }
        }
        postmaster.store(0, Ordering::SeqCst);
        if started.elapsed() > Duration::from_secs(60) {
            backoff = Duration::from_secs(1);
        }
        child = loop {
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
            if let Err(e) = stop_leftover_postmaster(&layout.pgdata).await {
                tracing::error!(error = %e, "cannot clear the crashed cluster's state");
                continue;
            }
            match spawn_postgres(&bin_dir, &layout, &account) {
                Ok(new_child) => break new_child,
                Err(e) => tracing::error!(error = %e, "cannot restart managed PostgreSQL"),
            }
        };
        postmaster.store(child.id().map_or(0, |p| p as i32), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn a_directory_the_cluster_user_cannot_enter_is_named_with_the_fix() {
        let base = tempfile::tempdir().unwrap();
        fs::set_permissions(base.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let private = base.path().join("home");
        let data = private.join("club").join("data");
        fs::create_dir_all(&data).unwrap();
        fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
        let meta = fs::metadata(&private).unwrap();
        let stranger = 4_242_424;

        assert_eq!(
            closed_ancestor(&data, stranger, &[stranger]),
            Some((private.clone(), 0o700, meta.uid()))
        );
        assert_eq!(closed_ancestor(&data, meta.uid(), &[]), None, "its owner");
        fs::set_permissions(&private, fs::Permissions::from_mode(0o710)).unwrap();
        assert_eq!(
            closed_ancestor(&data, stranger, &[meta.gid()]),
            None,
            "its group"
        );
        assert!(closed_ancestor(&data, stranger, &[stranger]).is_some());
        fs::set_permissions(&private, fs::Permissions::from_mode(0o701)).unwrap();
        assert_eq!(closed_ancestor(&data, stranger, &[stranger]), None, "o+x");

        fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
        let nobody = User::from_name("nobody").unwrap().expect("Debian's nobody");
        let error = check_reachable(&data, "nobody", nobody.uid.as_raw(), nobody.gid.as_raw())
            .unwrap_err()
            .to_string();
        for part in [
            "storage.data_dir",
            "`nobody`",
            &format!("cannot enter {} (mode 0700", private.display()),
            &format!("chmod o+x {}", private.display()),
        ] {
            assert!(error.contains(part), "{part:?} in {error}");
        }
    }
}
