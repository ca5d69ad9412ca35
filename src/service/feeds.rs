//! Importing a store's price list, uploaded or fetched from the store's feed URL, and deciding the
//! rows the import could not match. Every run and every decision is audited; what changes prices
//! invalidates the cached catalogue on every node.

use uuid::Uuid;

use super::{Actor, AppState, Error, Result};
use crate::{
    cache::Ns,
    db::feeds::{self, Decision, Import, ReviewItem, Run, Trigger},
    ops::feeds::fetch_and_import,
};

/// Imports `bytes` as `store`'s price list (checked only, with `dry_run`). A file the import
/// refuses is a run too: its status and problems say why.
pub async fn import(
    state: &AppState,
    actor: Actor<'_>,
    store: Uuid,
    bytes: &[u8],
    dry_run: bool,
) -> Result<Run> {
    feeds::store_feed_url(&state.pool, store)
        .await?
        .ok_or(Error::NotFound("store"))?;
    let run = feeds::import(
        &state.pool,
        Import {
            store,
            bytes,
            trigger: Trigger::Upload,
            actor: Some(actor.user),
            threshold: state.fetcher.threshold(),
            dry_run,
        },
    )
    .await?;
    if run.status == "applied" {
        state.cache.invalidate(&[Ns::Catalogue]).await;
        crate::ops::telemetry::count_feed_rows(&run);
    }
    record(state, actor, "admin.price_feed_import", &run).await?;
    Ok(run)
}

/// Fetches `store`'s price list from its feed URL and imports it, as the schedule does.
pub async fn fetch(state: &AppState, actor: Actor<'_>, store: Uuid) -> Result<Run> {
    let url = feeds::store_feed_url(&state.pool, store)
        .await?
        .ok_or(Error::NotFound("store"))?
        .ok_or_else(|| {
            Error::invalid(
                "feed_url",
                "the store has no feed URL; set one or upload the file",
            )
        })?;
    let run = fetch_and_import(
        &state.pool,
        &state.cache,
        &state.fetcher,
        store,
        &url,
        Trigger::Fetch,
        Some(actor.user),
    )
    .await?;
    record(state, actor, "admin.price_feed_fetch", &run).await?;
    Ok(run)
}

/// Approves a queued row as `package`: its price applies and its SKU is remembered.
pub async fn approve(
    state: &AppState,
    actor: Actor<'_>,
    item: Uuid,
    package: Uuid,
) -> Result<ReviewItem> {
    let mut tx = state.pool.begin().await?;
    let decision = feeds::approve(&mut tx, item, package, actor.user).await?;
    let item = decided(decision)?;
    actor
        .record(
            &mut *tx,
            "admin.price_review_approve",
            true,
            decision_details(&item),
        )
        .await?;
    tx.commit().await?;
    // The approved price applies: the cached catalogue is stale.
    state.cache.invalidate(&[Ns::Catalogue]).await;
    Ok(item)
}

/// Rejects a queued row.
pub async fn reject(state: &AppState, actor: Actor<'_>, item: Uuid) -> Result<ReviewItem> {
    let mut tx = state.pool.begin().await?;
    let decision = feeds::reject(&mut tx, item, actor.user).await?;
    let item = decided(decision)?;
    actor
        .record(
            &mut *tx,
            "admin.price_review_reject",
            true,
            decision_details(&item),
        )
        .await?;
    tx.commit().await?;
    Ok(item)
}

/// A run is recorded as a success when it applied or was only checked.
async fn record(state: &AppState, actor: Actor<'_>, action: &str, run: &Run) -> Result<()> {
    let details = serde_json::json!({
        "store_id": run.store_id, "run_id": run.id, "status": run.status,
        "applied": run.rows_applied, "queued": run.rows_queued, "rejected": run.rows_rejected,
    });
    let success = run.status == "applied" || run.status == "dry_run";
    actor.record(&state.pool, action, success, details).await
}

fn decided(decision: Decision) -> Result<ReviewItem> {
    match decision {
        Decision::Done(item) => Ok(*item),
        Decision::NotFound => Err(Error::NotFound("review item")),
        Decision::AlreadyDecided(status) => Err(Error::conflict(
            "status",
            format!("the item is already {status}"),
        )),
        Decision::UnknownPackage => Err(Error::invalid("package_id", "no such package")),
        Decision::SkuTaken(other) => Err(Error::conflict(
            "package_id",
            format!("the store's SKU is already mapped to package {other}"),
        )),
    }
}

fn decision_details(item: &ReviewItem) -> serde_json::Value {
    serde_json::json!({
        "item_id": item.id, "store_id": item.store_id, "package_id": item.candidate_package_id,
    })
}
