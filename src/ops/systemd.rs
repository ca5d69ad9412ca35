//! The service manager's notification protocol (`sd_notify(3)`): `READY=1` when the node would
//! answer `/ready` with 200, `STATUS=` lines for `systemctl status`, `WATCHDOG=1` pings and
//! `STOPPING=1`. Datagrams on a Unix socket; nothing is sent when no manager asked for them.

use std::{
    io,
    os::unix::net::{SocketAddr, UnixDatagram},
    path::PathBuf,
    time::Duration,
};

/// Where and how often to notify, as the service manager asked at start (`$NOTIFY_SOCKET`,
/// `$WATCHDOG_USEC`).
#[derive(Clone, Debug)]
pub struct ServiceManager {
    socket: Socket,
    watchdog: Option<Duration>,
}

#[derive(Clone, Debug)]
enum Socket {
    Path(PathBuf),
    /// `@name`: Linux's abstract namespace.
    Abstract(Vec<u8>),
}

impl ServiceManager {
    /// A manager listening on `socket` (a path, or `@name` for an abstract socket), expecting a
    /// ping at least every `watchdog`.
    pub fn new(socket: impl Into<PathBuf>, watchdog: Option<Duration>) -> Self {
        let socket: PathBuf = socket.into();
        let socket = match socket.to_str().and_then(|s| s.strip_prefix('@')) {
            Some(name) => Socket::Abstract(name.as_bytes().to_vec()),
            None => Socket::Path(socket),
        };
        Self { socket, watchdog }
    }

    /// Reads the manager's variables and removes them from the environment, so child processes
    /// (PostgreSQL is built with systemd support and would notify too, `pg_dump`) never see them.
    ///
    /// # Safety
    /// Call before any other thread exists: it changes the process environment.
    pub unsafe fn take_from_env() -> Option<Self> {
        let socket = std::env::var_os("NOTIFY_SOCKET");
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            // SAFETY: the caller guarantees a single thread.
            unsafe { std::env::remove_var(name) };
        }
        let socket = socket.filter(|s| !s.is_empty())?;
        // The watchdog is this process's only when WATCHDOG_PID (if set) names it.
        let mine = pid.is_none_or(|p| p.parse::<u32>().ok() == Some(std::process::id()));
        let watchdog = usec
            .and_then(|u| u.parse::<u64>().ok())
            .filter(|&u| u > 0 && mine)
            .map(Duration::from_micros);
        Some(Self::new(socket, watchdog))
    }

    /// The interval the manager expects pings within, if it watches this process.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Sends `KEY=value` lines. Best effort: a manager that went away is logged, never fatal.
    pub fn notify(&self, state: &str) {
        if let Err(e) = self.send(state) {
            tracing::warn!(error = %e, "cannot notify the service manager");
        }
    }

    fn send(&self, state: &str) -> io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        match &self.socket {
            Socket::Path(path) => socket.send_to(state.as_bytes(), path)?,
            Socket::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(state.as_bytes(), &addr)?
            }
        };
        Ok(())
    }

    /// Pings `WATCHDOG=1` at half the watchdog interval for as long as the runtime schedules
    /// tasks: a wedged runtime stops the pings and the manager restarts the service.
    pub fn spawn_watchdog(&self) -> Option<tokio::task::JoinHandle<()>> {
        let every = self.watchdog? / 2;
        let manager = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                manager.notify("WATCHDOG=1");
            }
        }))
    }
}

/// A `STATUS=` line: one line of text, as `systemctl status` shows it.
pub fn status(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    format!("STATUS={line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> (tempfile::TempDir, PathBuf, UnixDatagram) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (dir, path, socket)
    }

    fn receive(socket: &UnixDatagram) -> String {
        let mut buf = [0u8; 4096];
        let n = socket.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn notifications_reach_a_path_socket() {
        let (_dir, path, socket) = listener();
        let manager = ServiceManager::new(&path, None);
        manager.notify(&format!("READY=1\n{}", status("serving\nnow")));
        assert_eq!(receive(&socket), "READY=1\nSTATUS=serving now");
    }

    #[test]
    fn notifications_reach_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("sn-test-{}", uuid::Uuid::new_v4());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&addr).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        ServiceManager::new(format!("@{name}"), None).notify("STOPPING=1");
        assert_eq!(receive(&socket), "STOPPING=1");
    }

    #[test]
    fn a_missing_manager_is_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        ServiceManager::new(dir.path().join("gone"), None).notify("READY=1");
    }

    #[tokio::test]
    async fn the_watchdog_pings_at_half_its_interval() {
        let (_dir, path, socket) = listener();
        let manager = ServiceManager::new(&path, Some(Duration::from_millis(200)));
        let task = manager.spawn_watchdog().unwrap();
        let pings = tokio::task::spawn_blocking(move || {
            (0..3).map(|_| receive(&socket)).collect::<Vec<_>>()
        })
        .await
        .unwrap();
        task.abort();
        assert_eq!(pings, vec!["WATCHDOG=1"; 3]);
        assert!(ServiceManager::new(&path, None).spawn_watchdog().is_none());
    }
}
