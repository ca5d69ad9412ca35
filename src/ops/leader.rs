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

/// The tick a scheduled run belongs to: the nearest whole minute, so that nodes whose clocks differ
/// by less than half a minute agree on it (a job runs at most once a minute).
pub fn current_tick() -> OffsetDateTime {
    tick_of(OffsetDateTime::now_utc())
}

fn tick_of(t: OffsetDateTime) -> OffsetDateTime {
    let rounded = t + time::Duration::seconds(30);
    rounded
        .replace_second(0)
        .and_then(|r| r.replace_nanosecond(0))
        .unwrap_or(t)
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
        let tick = datetime!(2026-11-26 03:00 UTC);
        for t in [
            datetime!(2026-11-26 02:59:31 UTC),
            datetime!(2026-11-26 02:59:59.9 UTC),
            datetime!(2026-11-26 03:00:00 UTC),
            datetime!(2026-11-26 03:00:00.2 UTC),
            datetime!(2026-11-26 03:00:29.9 UTC),
        ] {
            assert_eq!(tick_of(t), tick, "{t}");
        }
        assert_eq!(
            tick_of(datetime!(2026-11-26 03:00:30 UTC)),
            datetime!(2026-11-26 03:01 UTC)
        );
    }
}
