//! Discounts start and end on their own dates, without a write: every [`EVERY`], the products whose
//! price figures (`product_figures`) changed with the clock are recomputed, and the catalogue cache
//! is told. Writes to prices keep the figures current themselves (the table's triggers).

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::cache::{Cache, Ns};

/// How often this node looks for discounts that started or ended. Every node looks: the first to
/// find one recomputes it, the others then find nothing.
pub const EVERY: Duration = Duration::from_secs(15);

/// Recomputes the figures of the products with a discount that started or ended; how many.
pub async fn refresh_due(pool: &PgPool) -> sqlx::Result<usize> {
    let due: Vec<Uuid> =
        sqlx::query_scalar("SELECT product_id FROM product_figures WHERE next_change <= now()")
            .fetch_all(pool)
            .await?;
    if !due.is_empty() {
        sqlx::query("SELECT refresh_product_figures($1)")
            .bind(&due)
            .execute(pool)
            .await?;
    }
    Ok(due.len())
}

/// Runs [`refresh_due`] every [`EVERY`] until aborted.
pub fn spawn(pool: PgPool, cache: Cache) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match refresh_due(&pool).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::debug!(
                        products = n,
                        "discounts started or ended: figures recomputed"
                    );
                    cache.invalidate(&[Ns::Catalogue]).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot recompute the discounted products' figures")
                }
            }
        }
    })
}
