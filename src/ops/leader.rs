//! One node at a time: a scheduled job runs where it gets a PostgreSQL advisory lock (on its own
//! connection, for as long as the job runs) and claims the tick in `job_runs`; a node that finds
//! the lock taken or the tick claimed skips it and logs so.

use std::future::Future;

use sqlx::PgPool;
use time::OffsetDateTime;

/// This node's name in job records and the backup manifest.
pub fn node_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "node".into())
}

/// A job's cron schedule, parsed as the scheduler parses it, to name the occurrence a firing
/// belongs to.
#[derive(Clone, Debug)]
pub struct Schedule(croner::Cron);

impl Schedule {
    pub fn parse(expr: &str) -> anyhow::Result<Schedule> {
        croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(expr)
            .map(Schedule)
            .map_err(|e| anyhow::anyhow!("{expr:?} is not a valid cron expression: {e}"))
    }

    /// The tick a firing now belongs to: the occurrence of the schedule nearest to now, so that
    /// nodes whose clocks differ by less than half the interval agree on it.
    pub fn current_tick(&self) -> OffsetDateTime {
        self.tick_of(OffsetDateTime::now_utc())
    }

    fn tick_of(&self, t: OffsetDateTime) -> OffsetDateTime {
        // croner works in whole seconds: search from the second `t` is in, measure from `t`.
        let (Some(at), Some(second)) = (
            chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()),
            chrono::DateTime::from_timestamp(t.unix_timestamp(), 0),
        ) else {
            return t;
        };
        let previous = self.0.find_previous_occurrence(&second, true).ok();
        let next = self.0.find_next_occurrence(&second, false).ok();
        let nearest = match (previous, next) {
            (Some(p), Some(n)) => Some(if at - p <= n - at { p } else { n }),
            (p, n) => p.or(n),
        };
        nearest
            .and_then(|n| OffsetDateTime::from_unix_timestamp(n.timestamp()).ok())
            .unwrap_or(t)
    }
}

/// Runs `job` for `tick` when this node gets the lock named `name` and the tick is unclaimed;
/// `Ok(None)` when another node has it.
pub async fn as_leader<T, F>(
    pool: &PgPool,
    name: &str,
    tick: OffsetDateTime,
    job: F,
) -> anyhow::Result<Option<T>>
where
    F: Future<Output = anyhow::Result<T>>,
{
    let mut conn = pool.acquire().await?;
    let key = format!("sports-nutrition:{name}");
    let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
        .bind(&key)
        .fetch_one(&mut *conn)
        .await?;
    if !mine {
        tracing::info!(job = name, "another node is running this job; skipping");
        return Ok(None);
    }
    let result = async {
        let claimed = sqlx::query(
            "INSERT INTO job_runs (job, tick, node) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(tick)
        .bind(node_name())
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            tracing::info!(job = name, %tick, "another node already ran this tick; skipping");
            return Ok(None);
        }
        job.await.map(Some)
    }
    .await;
    sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
        .bind(&key)
        .execute(&mut *conn)
        .await?;
    result
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn nodes_a_little_apart_agree_on_the_tick() {
        let every_minute = Schedule::parse("0 * * * * *").unwrap();
        let tick = datetime!(2026-11-26 03:00 UTC);
        for t in [
            datetime!(2026-11-26 02:59:31 UTC),
            datetime!(2026-11-26 02:59:59.9 UTC),
            datetime!(2026-11-26 03:00:00 UTC),
            datetime!(2026-11-26 03:00:00.2 UTC),
            datetime!(2026-11-26 03:00:29.9 UTC),
        ] {
            assert_eq!(every_minute.tick_of(t), tick, "{t}");
        }
        assert_eq!(
            every_minute.tick_of(datetime!(2026-11-26 03:00:30.5 UTC)),
            datetime!(2026-11-26 03:01 UTC)
        );
    }

    #[test]
    fn the_tick_follows_the_schedule() {
        let every_second = Schedule::parse("* * * * * *").unwrap();
        assert_eq!(
            every_second.tick_of(datetime!(2026-11-26 03:00:07.2 UTC)),
            datetime!(2026-11-26 03:00:07 UTC)
        );
        assert_eq!(
            every_second.tick_of(datetime!(2026-11-26 03:00:07.8 UTC)),
            datetime!(2026-11-26 03:00:08 UTC)
        );
        let nightly = Schedule::parse("0 30 2 * * *").unwrap();
        assert_eq!(
            nightly.tick_of(datetime!(2026-11-26 02:30:00.4 UTC)),
            datetime!(2026-11-26 02:30 UTC)
        );
        assert_eq!(
            nightly.tick_of(datetime!(2026-11-26 14:00 UTC)),
            datetime!(2026-11-26 02:30 UTC)
        );
        assert!(Schedule::parse("every now and then").is_err());
    }
}
