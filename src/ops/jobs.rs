//! The scheduled jobs of a node (price feeds, backups, self-checks) on one tokio-cron-scheduler.
//! Jobs that must run on one node per tick take the leader lock themselves (`leader::as_leader`).
//! Every run is tracked, so that shutdown lets a running backup finish instead of cutting it off.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use time::OffsetDateTime;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::ops::leader::Schedule;

/// The job runs in progress on this node.
pub type Running = TaskTracker;

/// A job that runs `run(tick)` on the cron expression `expr` (seconds first, UTC), where `tick` is
/// the occurrence this firing belongs to. `key` names the setting in errors.
pub fn cron<F, Fut>(key: &str, expr: &str, running: &Running, run: F) -> anyhow::Result<Job>
where
    F: Fn(OffsetDateTime) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let schedule = Schedule::parse(expr).context(key.to_owned())?;
    let running = running.clone();
    let run = Arc::new(run);
    let name = key.to_owned();
    Job::new_async(expr, move |_id, _scheduler| {
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
    .with_context(|| format!("{key}: {expr:?} is not a valid cron expression"))
}

/// Starts a scheduler with these jobs; `None` when there are none.
pub async fn start(jobs: Vec<Job>) -> anyhow::Result<Option<JobScheduler>> {
    if jobs.is_empty() {
        return Ok(None);
    }
    let scheduler = JobScheduler::new()
        .await
        .context("starting the job scheduler")?;
    for job in jobs {
        scheduler.add(job).await.context("scheduling a job")?;
    }
    scheduler
        .start()
        .await
        .context("starting the job scheduler")?;
    Ok(Some(scheduler))
}
