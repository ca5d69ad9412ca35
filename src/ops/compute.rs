//! The planners' CPU work (shopping and meal plans) on a few threads of its own: never on the async
//! workers, never in tokio's blocking pool where password hashing and file I/O wait, at a lower
//! priority than request handling, with a short queue that refuses more at once, and a budget per
//! request: the time its solves may run together (waiting in the queue does not count, and is
//! bounded by the queue's length), ended early when the request is dropped (the client left).

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use crate::{config::LimitsConfig, domain::budget::Budget};

type Job = Box<dyn FnOnce() + Send>;

/// The solver threads and their queue.
#[derive(Clone)]
pub struct ComputePool {
    queue: mpsc::SyncSender<Job>,
    time: Duration,
    steps: u64,
    /// Jobs queued or running, for the metrics and the self-check.
    busy: Arc<AtomicUsize>,
}

/// Every solver thread is busy and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Niceness of the solver threads: request handling and health probes go first when the cores are
/// all busy planning.
const SOLVER_NICE: i32 = 10;

impl ComputePool {
    /// Starts `limits.solver_threads` threads (0: one per CPU) with room for `limits.solver_queue`
    /// waiting solves.
    pub fn new(limits: &LimitsConfig) -> std::io::Result<Self> {
        let threads = match limits.solver_threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let (queue, jobs) = mpsc::sync_channel::<Job>(limits.solver_queue);
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("sn-solver-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job, never while working.
                        let job = match jobs.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            queue,
            time: Duration::from_millis(limits.solve_time_ms),
            steps: limits.solve_steps,
            busy: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The work of one request: every solve it runs shares one budget of running time, and all of
    /// them stop when the returned value is dropped.
    pub fn request(&self) -> RequestWork {
        RequestWork {
            pool: self.clone(),
            spent_us: Arc::new(AtomicU64::new(0)),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Solves queued or running now.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    /// How long one request's solves may take together.
    pub fn time_limit(&self) -> Duration {
        self.time
    }
}

/// One request's share of the pool.
pub struct RequestWork {
    pool: ComputePool,
    /// Running time the request's solves have used, in microseconds.
    spent_us: Arc<AtomicU64>,
    cancelled: Arc<AtomicBool>,
}

impl RequestWork {
    /// Runs `solve` on a solver thread with what is left of this request's time. `Err(Busy)` at
    /// once when the queue is full.
    pub async fn run<T, F>(&self, solve: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce(&Budget) -> T + Send + 'static,
    {
        self.run_share(1, solve).await
    }

    /// [`run`](Self::run) with `1/parts` of the time left, for a request with `parts` solves still
    /// to run (a week of days), so that the last ones get their turn.
    pub async fn run_share<T, F>(&self, parts: u32, solve: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce(&Budget) -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (limit, spent, steps, cancelled, busy) = (
            self.pool.time,
            self.spent_us.clone(),
            self.pool.steps,
            self.cancelled.clone(),
            self.pool.busy.clone(),
        );
        busy.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move || {
            let used = Duration::from_micros(spent.load(Ordering::Relaxed));
            let time = limit.saturating_sub(used) / parts.max(1);
            let started = Instant::now();
            // A request dropped while its job waited has nothing to do; one whose time is spent
            // still answers with what a budget of nothing finds (an error saying so).
            let answer = (!cancelled.load(Ordering::Relaxed))
                .then(|| solve(&Budget::new(time, steps, cancelled)));
            spent.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            busy.fetch_sub(1, Ordering::Relaxed);
            if let Some(answer) = answer {
                let _ = tx.send(answer);
            }
        });
        if self.pool.queue.try_send(job).is_err() {
            self.pool.busy.fetch_sub(1, Ordering::Relaxed);
            return Err(Busy);
        }
        // The sender goes unused only for a dropped request, which no longer waits.
        rx.await.map_err(|_| Busy)
    }
}

impl Drop for RequestWork {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// Lowers the calling thread's scheduling priority (Linux keeps a niceness per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority take no pointers; failing leaves the priority as it was.
        let done = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, SOLVER_NICE)
        };
        if done != 0 {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "solver thread keeps its priority"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize, queue: usize, time_ms: u64) -> ComputePool {
        ComputePool::new(&LimitsConfig {
            solver_threads: threads,
            solver_queue: queue,
            solve_time_ms: time_ms,
            solve_steps: u64::MAX,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_solve_runs_with_the_request_budget() {
        let pool = pool(1, 1, 5_000);
        let work = pool.request();
        let left = work.run(|budget| budget.time_left()).await.unwrap();
        assert!(left > Duration::from_secs(4) && left <= Duration::from_secs(5));
        assert_eq!(pool.busy(), 0);
    }

    #[tokio::test]
    async fn the_solves_of_a_request_share_its_running_time_not_its_waits() {
        let pool = pool(1, 4, 1_000);
        let work = pool.request();
        work.run(|_| std::thread::sleep(Duration::from_millis(300)))
            .await
            .unwrap();
        // A wait between solves costs nothing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let left = work.run(|budget| budget.time_left()).await.unwrap();
        assert!(
            left > Duration::from_millis(600) && left <= Duration::from_millis(700),
            "{left:?}"
        );
        let half = work
            .run_share(2, |budget| budget.time_left())
            .await
            .unwrap();
        assert!(half <= Duration::from_millis(350), "{half:?}");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let pool = pool(1, 1, 60_000);
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let first = pool.request();
        let running = tokio::spawn(async move {
            first
                .run(move |_| {
                    let _ = started_tx.send(());
                    let _ = held.recv();
                })
                .await
        });
        started.await.unwrap();
        // One waits in the queue; the next is refused.
        let queued = pool.request();
        let waiting = tokio::spawn(async move { queued.run(|_| 1).await });
        tokio::task::yield_now().await;
        while pool.busy() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(pool.request().run(|_| 2).await, Err(Busy));
        hold.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert_eq!(waiting.await.unwrap(), Ok(1));
    }

    #[tokio::test]
    async fn dropping_the_request_stops_its_solve() {
        let pool = pool(1, 1, 60_000);
        let (stopped_tx, stopped) = std::sync::mpsc::channel();
        let work = pool.request();
        let solve = tokio::spawn(async move {
            work.run(move |budget| {
                while budget.spend() {}
                let _ = stopped_tx.send(budget.exhausted());
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The client left: its request future is dropped.
        solve.abort();
        let why =
            tokio::task::spawn_blocking(move || stopped.recv_timeout(Duration::from_secs(10)))
                .await
                .unwrap()
                .unwrap();
        assert_eq!(why, Some(crate::domain::budget::Exhausted::Cancelled));
    }
}
