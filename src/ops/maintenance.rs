//! Maintenance mode: set while a restore swaps the database, by this process (the admin API) or by
//! another one on the machine (`sports-nutrition backup restore`), which leaves a marker file with
//! its process id in the backup directory. Writes to the API are refused while it is on.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// The marker's name inside `backup.dir`.
const MARKER: &str = "restore-in-progress";

#[derive(Clone)]
pub struct Maintenance(Arc<Inner>);

struct Inner {
    local: AtomicBool,
    elsewhere: AtomicBool,
    marker: PathBuf,
}

impl Maintenance {
    pub fn new(backup_dir: &Path) -> Self {
        Self(Arc::new(Inner {
            local: AtomicBool::new(false),
            elsewhere: AtomicBool::new(false),
            marker: backup_dir.join(MARKER),
        }))
    }

    /// Whether writes must wait.
    pub fn is_on(&self) -> bool {
        self.0.local.load(Ordering::SeqCst) || self.0.elsewhere.load(Ordering::SeqCst)
    }

    /// Turns maintenance on for as long as the guard lives, announcing it to the other processes on
    /// this machine; `None` when a restore is already running here or in another process.
    pub fn begin(&self) -> Option<Guard> {
        if self.marker_is_live() || self.0.local.swap(true, Ordering::SeqCst) {
            return None;
        }
        if let Some(dir) = self.0.marker.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(&self.0.marker, std::process::id().to_string()) {
            tracing::warn!(error = %e, marker = %self.0.marker.display(), "writing the maintenance marker");
        }
        Some(Guard(self.clone()))
    }

    /// A marker left by a live process other than this one.
    fn marker_is_live(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(&self.0.marker) else {
            return false;
        };
        match text.trim().parse::<i32>() {
            Ok(pid) if pid <= 0 || pid as u32 == std::process::id() => false,
            // EPERM: it exists but belongs to another user.
            Ok(pid) => !matches!(
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
                Err(nix::errno::Errno::ESRCH)
            ),
            Err(_) => false,
        }
    }

    /// Watches for another process's marker, once a second, until the process ends; `restored` runs
    /// when a restore elsewhere ends (what this process cached may predate it).
    pub fn watch<F, Fut>(&self, restored: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let live = this.marker_is_live();
                if this.0.elsewhere.swap(live, Ordering::SeqCst) != live {
                    if live {
                        tracing::warn!(
                            "a restore is running in another process: writes are refused"
                        );
                    } else {
                        tracing::info!("the restore in another process ended");
                        restored().await;
                    }
                }
            }
        })
    }
}

/// Maintenance mode until dropped.
pub struct Guard(Maintenance);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0.0.marker);
        self.0.0.local.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_restore_at_a_time_and_the_marker_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let m = Maintenance::new(dir.path());
        assert!(!m.is_on());
        let guard = m.begin().expect("first restore starts");
        assert!(m.is_on());
        assert!(dir.path().join(MARKER).exists());
        assert!(m.begin().is_none(), "a second restore waits");
        drop(guard);
        assert!(!m.is_on());
        assert!(!dir.path().join(MARKER).exists());
    }

    #[test]
    fn a_marker_of_a_dead_process_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        // Process ids are below 2^22 on Linux.
        std::fs::write(dir.path().join(MARKER), "99999999").unwrap();
        let m = Maintenance::new(dir.path());
        assert!(!m.marker_is_live());
        assert!(m.begin().is_some());
    }

    #[test]
    fn a_marker_of_a_live_process_blocks_a_restore() {
        let dir = tempfile::tempdir().unwrap();
        // PID 1 is always alive (and never this test).
        std::fs::write(dir.path().join(MARKER), "1").unwrap();
        let m = Maintenance::new(dir.path());
        assert!(m.marker_is_live());
        assert!(m.begin().is_none());
    }
}
