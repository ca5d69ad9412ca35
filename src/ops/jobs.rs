//! The scheduled jobs of a node (price feeds, backups, self-checks) on one tokio-cron-scheduler;
//! each job takes the leader lock itself, so it runs on one node per tick.

use anyhow::Context;
use tokio_cron_scheduler::{Job, JobScheduler};

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
