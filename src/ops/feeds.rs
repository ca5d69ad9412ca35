//! Fetching store price lists from their URLs: on demand, and on the `feeds.schedule` with
//! tokio-cron-scheduler. With several nodes, one takes each scheduled round (a PostgreSQL advisory
//! lock); the others skip it.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::cache::{Cache, Ns};
use crate::ops::{
    jobs::{self, Running},
    leader,
    outbound::{self, Guard},
};
use crate::{
    config::FeedsConfig,
    db::feeds::{self, Import, Run, Trigger},
};

/// Downloads price lists, refusing anything larger than the configured maximum and any address on
/// an internal network (`feeds.allow_private_networks`).
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    guard: Guard,
    max_bytes: usize,
    threshold: f64,
}

impl Fetcher {
    pub fn new(config: &FeedsConfig) -> anyhow::Result<Self> {
        let guard = Guard::new(&config.allow_private_networks);
        let client = guard
            .client_builder(3)
            .timeout(Duration::from_secs(config.fetch_timeout_secs))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!(
                "sports-nutrition/",
                env!("CARGO_PKG_VERSION"),
                " (price feed)"
            ))
            .build()
            .context("building the feed HTTP client")?;
        Ok(Self {
            client,
            guard,
            max_bytes: config.max_bytes,
            threshold: config.match_threshold,
        })
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The body at `url`; errors never include the URL, which may carry a token, nor anything the
    /// server sent.
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let parsed =
            url::Url::parse(url).map_err(|_| "the feed URL is not a valid URL".to_string())?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("the feed URL must be http or https".into());
        }
        if self.guard.permits_url(&parsed).is_err() {
            return Err(INTERNAL.into());
        }
        let mut response = super::telemetry::send(self.client.get(parsed), "price-feed")
            .await
            .map_err(|e| format!("fetching the feed failed: {}", describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the feed server answered {status}"));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(format!("the feed is larger than {} bytes", self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading the feed failed: {}", describe(&e)))?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(format!("the feed is larger than {} bytes", self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Why a feed on an internal network is not fetched, and what the operator can do.
const INTERNAL: &str = "the feed address is on a loopback, private or other internal network; \
    an operator can allow it with feeds.allow_private_networks";

/// What went wrong, without the URL reqwest puts in its messages.
fn describe(e: &reqwest::Error) -> &'static str {
    if outbound::refused(e) {
        INTERNAL
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() || e.is_decode() {
        "the body could not be read"
    } else {
        "request error"
    }
}

/// Fetches a store's price list and imports it; a failed fetch is recorded as a failed run. Applied
/// prices make the cached catalogue stale.
pub async fn fetch_and_import(
    pool: &PgPool,
    cache: &Cache,
    fetcher: &Fetcher,
    store: Uuid,
    url: &str,
    trigger: Trigger,
    actor: Option<Uuid>,
) -> sqlx::Result<Run> {
    let run = match fetcher.fetch(url).await {
        Ok(bytes) => {
            feeds::import(
                pool,
                Import {
                    store,
                    bytes: &bytes,
                    trigger,
                    actor,
                    threshold: fetcher.threshold,
                    dry_run: false,
                },
            )
            .await?
        }
        Err(message) => feeds::record_failure(pool, store, trigger, actor, &message).await?,
    };
    if run.status == "applied" {
        cache.invalidate(&[Ns::Catalogue]).await;
        super::telemetry::count_feed_rows(&run);
    }
    Ok(run)
}

/// One scheduled round: every active store with a feed URL, unless another node has the round.
pub async fn scheduled_round(
    pool: &PgPool,
    cache: &Cache,
    fetcher: &Fetcher,
    tick: OffsetDateTime,
) -> anyhow::Result<usize> {
    let ran = leader::as_leader(pool, "feed-round", tick, async {
        let stores = feeds::stores_with_feeds(pool).await?;
        for (id, slug, url) in &stores {
            match fetch_and_import(pool, cache, fetcher, *id, url, Trigger::Schedule, None).await {
                Ok(run) => tracing::info!(
                    store = %slug, status = %run.status, applied = run.rows_applied,
                    queued = run.rows_queued, rejected = run.rows_rejected, "price feed imported"
                ),
                Err(e) => tracing::error!(store = %slug, error = %e, "price feed import failed"),
            }
        }
        anyhow::Ok(stores.len())
    })
    .await?;
    Ok(ran.unwrap_or(0))
}

/// The feed job on `feeds.schedule`; `None` when feeds are disabled.
pub fn job(
    pool: PgPool,
    cache: Cache,
    config: &FeedsConfig,
    running: &Running,
) -> anyhow::Result<Option<jobs::Cron>> {
    if !config.enabled {
        return Ok(None);
    }
    let fetcher = Fetcher::new(config)?;
    let job = jobs::cron("feeds.schedule", &config.schedule, running, move |tick| {
        let pool = pool.clone();
        let fetcher = fetcher.clone();
        let cache = cache.clone();
        async move {
            if let Err(e) = scheduled_round(&pool, &cache, &fetcher, tick).await {
                tracing::error!(error = %format!("{e:#}"), "scheduled price feed round failed");
            }
        }
    })?;
    Ok(Some(job))
}
