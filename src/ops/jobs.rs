//! The scheduled jobs of a node (price feeds, backups, self-checks) on one tokio-cron-scheduler.
//! Jobs that must run on one node per tick take the leader lock themselves (`leader::as_leader`).
//! Every run is tracked, so that shutdown lets a running backup finish instead of cutting it off.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use time::OffsetDateTime;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::ops::leader::Schedule;

/// The job runs in progress on this node.
pub type Running = TaskTracker;

/// A scheduled job, kept as the way to build it: after the wall clock steps back, the scheduler
/// (which waits for wall-clock times) gets it again, computed from the new time.
pub struct Cron {
    key: String,
    make: Box<dyn Fn() -> anyhow::Result<Job> + Send + Sync>,
}

/// A job that runs `run(tick)` on the cron expression `expr` (seconds first, UTC), where `tick` is
/// the occurrence this firing belongs to. `key` names the setting in errors.
pub fn cron<F, Fut>(key: &str, expr: &str, running: &Running, run: F) -> anyhow::Result<Cron>
where
    F: Fn(OffsetDateTime) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let schedule = Arc::new(Schedule::parse(expr).context(key.to_owned())?);
    let running = running.clone();
    let run = Arc::new(run);
    let (name, expr) = (key.to_owned(), expr.to_owned());
    let make = move || {
        let (run, schedule, running, job_name) =
            (run.clone(), schedule.clone(), running.clone(), name.clone());
        Job::new_async(expr.as_str(), move |_id, _scheduler| {
            let name = &job_name;
            let run = run.clone();
            let tick = schedule.current_tick();
            let running = running.clone();
            // Each firing is a trace of its own, its queries and outbound calls beneath it.
            let span = tracing::info_span!(
                "job",
                otel.name = %format!("job {name}"),
                otel.kind = "internal",
                job = %name,
                trace_id = tracing::field::Empty,
            );
            if let Some(trace_id) = super::telemetry::current_trace_id(&span) {
                span.record("trace_id", trace_id);
            }
            Box::pin(async move { running.track_future(run(tick).instrument(span)).await })
        })
        .with_context(|| format!("{name}: {expr:?} is not a valid cron expression"))
    };
    // Built once here so a bad expression stops the start.
    make()?;
    Ok(Cron {
        key: key.to_owned(),
        make: Box::new(make),
    })
}

/// The node's job scheduler, and the task that reschedules its jobs when the wall clock steps back.
pub struct Scheduler {
    inner: JobScheduler,
    watch: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    pub async fn shutdown(&mut self) -> Result<(), tokio_cron_scheduler::JobSchedulerError> {
        self.watch.abort();
        self.inner.shutdown().await
    }
}

/// Starts a scheduler with these jobs; `None` when there are none.
pub async fn start(jobs: Vec<Cron>) -> anyhow::Result<Option<Scheduler>> {
    if jobs.is_empty() {
        return Ok(None);
    }
    let scheduler = JobScheduler::new()
        .await
        .context("starting the job scheduler")?;
    let mut scheduled = Vec::new();
    for cron in jobs {
        let id = scheduler
            .add((cron.make)()?)
            .await
            .with_context(|| format!("scheduling {}", cron.key))?;
        scheduled.push((cron, id));
    }
    scheduler
        .start()
        .await
        .context("starting the job scheduler")?;
    let watch = tokio::spawn(follow_the_wall_clock(scheduler.clone(), scheduled));
    Ok(Some(Scheduler {
        inner: scheduler,
        watch,
    }))
}

/// A step of the wall clock against the monotonic one larger than this reschedules the jobs.
const CLOCK_STEP: Duration = Duration::from_secs(2);

/// tokio-cron-scheduler waits until the wall clock reaches each job's next time. When the clock
/// steps back (NTP correcting a fast clock, a VM restored from a snapshot), that time moves away by
/// the step, and the jobs would stop for as long. Forward steps need nothing: the next time has
/// come, and the job fires once.
async fn follow_the_wall_clock(scheduler: JobScheduler, mut jobs: Vec<(Cron, uuid::Uuid)>) {
    let mut last = wall_ahead_of_monotonic();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let now = wall_ahead_of_monotonic();
        let step = now - last;
        last = now;
        if step > -CLOCK_STEP.as_secs_f64() {
            continue;
        }
        tracing::warn!(
            step_secs = step,
            "the wall clock stepped back; scheduling the jobs again from the new time"
        );
        for (cron, id) in &mut jobs {
            if let Err(e) = scheduler.remove(id).await {
                tracing::warn!(job = %cron.key, error = %e, "removing a job to reschedule it");
            }
            match (cron.make)() {
                Ok(job) => match scheduler.add(job).await {
                    Ok(new) => *id = new,
                    Err(e) => tracing::error!(job = %cron.key, error = %e, "rescheduling a job"),
                },
                Err(e) => {
                    tracing::error!(job = %cron.key, error = %format!("{e:#}"), "rescheduling a job")
                }
            }
        }
    }
}

/// Seconds by which the wall clock is ahead of the monotonic clock, against a fixed origin: its
/// changes are the wall clock's steps.
fn wall_ahead_of_monotonic() -> f64 {
    use std::sync::OnceLock;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    wall - origin.elapsed().as_secs_f64()
}
