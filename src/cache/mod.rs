//! The cache tier: one [`Cache`] in front of PostgreSQL, in-process (moka) on one node, with Redis
//! behind it when several nodes share the load. Rate-limit counters live in the same backend
//! ([`rate_limit`]).
//!
//! Reads are cache-aside: [`Cache::get_or_load`] answers from the node's moka tier, then Redis, then
//! the loader (PostgreSQL), with concurrent misses of one key coalesced into one load. Every entry's
//! key carries the *version* of each namespace it depends on (`catalogue`, `dishes`, `rules`, one per
//! user); a write commits to PostgreSQL, then calls [`Cache::invalidate`], which bumps the version so
//! no reader finds the old entries again. With Redis the versions live in Redis (`INCR`), a bump is
//! published to every node, and a node re-reads a version it has not heard about for
//! `cache.max_staleness_ms` — so no node serves data older than that bound after a write elsewhere.
//! When Redis fails, reads go to PostgreSQL and the node's own tier, invalidations stay local and are
//! replayed when Redis returns, and `/api/v1/health` says `degraded`.

pub mod rate_limit;
mod redis_tier;

use std::{
    any::Any,
    collections::{HashMap, HashSet},
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tracing::Instrument;

use moka::Expiry;
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::config::{CacheBackend, CacheConfig};
pub use redis_tier::RedisTier;

/// What an entry depends on: a write to any of these makes it stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ns {
    /// Products, brands, stores, packages, prices.
    Catalogue,
    /// Dishes, their recipes and ingredient prices.
    Dishes,
    /// Contraindication rules and the substances they name.
    Rules,
    /// One user's profile, progress, language, role and sessions.
    User(Uuid),
    /// Everything (a restore replaced the database): every entry depends on it.
    All,
}

impl Ns {
    fn name(self) -> String {
        match self {
            Ns::Catalogue => "catalogue".into(),
            Ns::Dishes => "dishes".into(),
            Ns::Rules => "rules".into(),
            Ns::User(id) => format!("user:{id}"),
            Ns::All => "all".into(),
        }
    }
}

/// What is cached, for time-to-live and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Product lists and cards, brands, stores.
    Catalogue,
    /// Dish lists and cards.
    Dishes,
    /// The contraindication rules.
    Rules,
    /// A user's targets and recommendations.
    User,
    /// Whether a session is active, and its user's role and language.
    Session,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Catalogue,
        Kind::Dishes,
        Kind::Rules,
        Kind::User,
        Kind::Session,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Catalogue => "catalogue",
            Kind::Dishes => "dishes",
            Kind::Rules => "rules",
            Kind::User => "user",
            Kind::Session => "session",
        }
    }

    /// The name of a read's span: a constant, so that a read formats nothing for it.
    fn span_name(self) -> &'static str {
        match self {
            Kind::Catalogue => "cache catalogue",
            Kind::Dishes => "cache dishes",
            Kind::Rules => "cache rules",
            Kind::User => "cache user",
            Kind::Session => "cache session",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Counters of one kind.
#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    redis_hits: AtomicU64,
    misses: AtomicU64,
}

/// A snapshot of one kind's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindStats {
    /// Answered from this node's tier.
    pub hits: u64,
    /// Answered from Redis.
    pub redis_hits: u64,
    /// Loaded from PostgreSQL.
    pub misses: u64,
}

/// A snapshot of the whole cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// `memory`, `redis` or `off`.
    pub backend: &'static str,
    pub kinds: Vec<(Kind, KindStats)>,
    /// Entries in this node's tier and their estimated size.
    pub entries: u64,
    pub bytes: u64,
    pub evictions: u64,
    /// `None` without Redis; else whether it answers, and the last ping's round trip.
    pub redis: Option<RedisStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedisStatus {
    pub connected: bool,
    pub round_trip_ms: Option<f64>,
    /// Invalidations made while Redis was unreachable, to be published when it returns.
    pub pending_invalidations: usize,
}

/// An entry of the node's tier.
#[derive(Clone)]
struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    bytes: u32,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// The versions this node knows, with when it last confirmed each.
#[derive(Default)]
struct Versions {
    known: HashMap<String, (u64, Instant)>,
    /// Bumps made here that Redis has not heard of (it was unreachable).
    local_bumps: HashMap<String, u64>,
}

struct Inner {
    enabled: bool,
    ttls: [Duration; 5],
    max_staleness: Duration,
    local: moka::future::Cache<String, Entry>,
    versions: Mutex<Versions>,
    counters: [Counters; 5],
    evictions: Arc<AtomicU64>,
    redis: Option<RedisTier>,
}

/// The cache; cheap to clone.
#[derive(Clone)]
pub struct Cache(Arc<Inner>);

impl Cache {
    /// An in-process cache, or (with `backend = "redis"`) one in front of Redis. Redis need not be up:
    /// the node serves from PostgreSQL until it answers.
    pub async fn new(config: &CacheConfig) -> anyhow::Result<Self> {
        let evictions = Arc::new(AtomicU64::new(0));
        let counted = evictions.clone();
        let local = moka::future::Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(|_: &String, e: &Entry| e.bytes)
            .expire_after(PerEntryTtl)
            .eviction_listener(move |_, _, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        let secs = Duration::from_secs;
        let redis = match (config.enabled, config.backend) {
            (true, CacheBackend::Redis) => Some(RedisTier::connect(config).await?),
            _ => None,
        };
        let cache = Cache(Arc::new(Inner {
            enabled: config.enabled,
            ttls: [
                secs(config.catalogue_ttl_secs),
                secs(config.dishes_ttl_secs),
                secs(config.rules_ttl_secs),
                secs(config.user_ttl_secs),
                secs(config.session_ttl_secs),
            ],
            max_staleness: Duration::from_millis(config.max_staleness_ms),
            local,
            versions: Mutex::default(),
            counters: Default::default(),
            evictions,
            redis,
        }));
        if let Some(redis) = &cache.0.redis {
            redis.listen(Arc::downgrade(&cache.0));
        }
        Ok(cache)
    }

    /// No caching at all: every read goes to PostgreSQL (for comparison and for tests).
    pub fn off() -> Self {
        Cache(Arc::new(Inner {
            enabled: false,
            ttls: [Duration::ZERO; 5],
            max_staleness: Duration::ZERO,
            local: moka::future::Cache::new(0),
            versions: Mutex::default(),
            counters: Default::default(),
            evictions: Arc::default(),
            redis: None,
        }))
    }

    /// The Redis tier, when this node has one (the rate limiter shares its connection).
    pub fn redis(&self) -> Option<&RedisTier> {
        self.0.redis.as_ref()
    }

    /// The value of `key` (of `kind`, depending on `deps`), from the node's tier, Redis, or `load`.
    /// Concurrent misses of the same key on this node wait for one load. A Redis failure never fails
    /// the read.
    pub async fn get_or_load<T, E, F, Fut>(
        &self,
        kind: Kind,
        deps: &[Ns],
        key: &str,
        load: F,
    ) -> Result<T, Arc<E>>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let inner = &self.0;
        if !inner.enabled {
            return load().await.map_err(Arc::new);
        }
        // A span per read: the loader's queries (on a miss) sit beneath it.
        let span = tracing::info_span!(
            "cache",
            otel.name = kind.span_name(),
            otel.kind = "internal",
            cache.kind = kind.as_str(),
            cache.result = tracing::field::Empty,
        );
        let outcome = span.clone();
        async move {
            let full_key = format!("{}|{}|{key}", kind.as_str(), self.versions(deps).await);
            let counters = &inner.counters[kind.index()];
            let ttl = inner.ttls[kind.index()];
            let mut loaded = false;
            let mut from_redis = false;
            let entry = inner
                .local
                .try_get_with(full_key.clone(), async {
                    loaded = true;
                    if let Some(redis) = &inner.redis {
                        if let Some(bytes) = redis.get(&full_key).await {
                            if let Ok(value) = serde_json::from_slice::<T>(&bytes) {
                                from_redis = true;
                                counters.redis_hits.fetch_add(1, Ordering::Relaxed);
                                return Ok(entry_of(value, bytes.len(), ttl));
                            }
                        }
                    }
                    counters.misses.fetch_add(1, Ordering::Relaxed);
                    let value = load().await?;
                    let bytes = serde_json::to_vec(&value).unwrap_or_default();
                    if let Some(redis) = &inner.redis {
                        redis.set(&full_key, &bytes, ttl).await;
                    }
                    Ok(entry_of(value, bytes.len(), ttl))
                })
                .await?;
            if !loaded {
                counters.hits.fetch_add(1, Ordering::Relaxed);
            }
            outcome.record(
                "cache.result",
                match (loaded, from_redis) {
                    (false, _) => "hit",
                    (true, true) => "redis_hit",
                    (true, false) => "miss",
                },
            );
            Ok(entry
                .value
                .downcast_ref::<T>()
                .cloned()
                .expect("a key holds values of one type: the kind and key name it"))
        }
        .instrument(span)
        .await
    }

    /// Makes every entry depending on these namespaces stale, here at once and on every node within
    /// `cache.max_staleness_ms`. Call it after the write has committed.
    pub async fn invalidate(&self, namespaces: &[Ns]) {
        let inner = &self.0;
        if !inner.enabled {
            return;
        }
        for ns in namespaces {
            let name = ns.name();
            let bumped = match &inner.redis {
                Some(redis) => redis.bump(&name).await,
                None => None,
            };
            let mut v = inner.versions.lock().unwrap_or_else(|e| e.into_inner());
            match bumped {
                Some(version) => {
                    v.known.insert(name, (version, Instant::now()));
                }
                None => {
                    // In memory, or Redis unreachable: a local bump, replayed to Redis later.
                    *v.local_bumps.entry(name).or_default() += 1;
                }
            }
        }
    }

    /// The key part naming the versions of `deps`.
    async fn versions(&self, deps: &[Ns]) -> String {
        let inner = &self.0;
        let names: Vec<String> = std::iter::once(Ns::All)
            .chain(deps.iter().copied())
            .map(|ns| ns.name())
            .collect();
        let stale: Vec<String> = match &inner.redis {
            Some(_) => {
                let v = inner.versions.lock().unwrap_or_else(|e| e.into_inner());
                names
                    .iter()
                    .filter(|n| {
                        v.known
                            .get(*n)
                            .is_none_or(|(_, at)| at.elapsed() >= inner.max_staleness)
                    })
                    .cloned()
                    .collect()
            }
            None => Vec::new(),
        };
        if let (Some(redis), false) = (&inner.redis, stale.is_empty()) {
            if let Some(fresh) = redis.versions(&stale).await {
                let mut v = inner.versions.lock().unwrap_or_else(|e| e.into_inner());
                for (name, version) in stale.iter().zip(fresh) {
                    v.known.insert(name.clone(), (version, Instant::now()));
                }
            }
        }
        let v = inner.versions.lock().unwrap_or_else(|e| e.into_inner());
        names
            .iter()
            .map(|n| {
                let shared = v.known.get(n).map_or(0, |(version, _)| *version);
                let local = v.local_bumps.get(n).copied().unwrap_or(0);
                format!("{n}={shared}.{local}")
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Redis told this node about a bump (or about its own return): adopt the version.
    fn heard(&self, name: String, version: u64) {
        let mut v = self.0.versions.lock().unwrap_or_else(|e| e.into_inner());
        let newer = v
            .known
            .get(&name)
            .is_none_or(|(known, _)| version >= *known);
        if newer {
            v.known.insert(name, (version, Instant::now()));
        }
    }

    /// Messages may have been missed: forget every version this node holds (they are re-read).
    fn forget_versions(&self) {
        let mut v = self.0.versions.lock().unwrap_or_else(|e| e.into_inner());
        v.known.clear();
    }

    /// The namespaces bumped while Redis was away, to publish now that it is back.
    fn take_local_bumps(&self) -> HashSet<String> {
        let v = self.0.versions.lock().unwrap_or_else(|e| e.into_inner());
        v.local_bumps.keys().cloned().collect()
    }

    /// Counters, sizes and the Redis link.
    pub fn stats(&self) -> Stats {
        let inner = &self.0;
        let pending = inner
            .versions
            .lock()
            .map(|v| v.local_bumps.len())
            .unwrap_or(0);
        Stats {
            backend: match (&inner.redis, inner.enabled) {
                (_, false) => "off",
                (Some(_), true) => "redis",
                (None, true) => "memory",
            },
            kinds: Kind::ALL
                .iter()
                .map(|k| {
                    let c = &inner.counters[k.index()];
                    (
                        *k,
                        KindStats {
                            hits: c.hits.load(Ordering::Relaxed),
                            redis_hits: c.redis_hits.load(Ordering::Relaxed),
                            misses: c.misses.load(Ordering::Relaxed),
                        },
                    )
                })
                .collect(),
            entries: inner.local.entry_count(),
            bytes: inner.local.weighted_size(),
            evictions: inner.evictions.load(Ordering::Relaxed),
            redis: inner.redis.as_ref().map(|r| RedisStatus {
                connected: r.is_up(),
                round_trip_ms: r.round_trip_ms(),
                pending_invalidations: pending,
            }),
        }
    }
}

fn entry_of<T: Send + Sync + 'static>(value: T, bytes: usize, ttl: Duration) -> Entry {
    Entry {
        value: Arc::new(value),
        // The key and bookkeeping cost about as much again as small values.
        bytes: u32::try_from(bytes + 128).unwrap_or(u32::MAX),
        ttl,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn memory() -> CacheConfig {
        CacheConfig::default()
    }

    #[tokio::test]
    async fn loads_once_then_hits_until_invalidated() {
        let cache = Cache::new(&memory()).await.unwrap();
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(vec![1, 2, 3])
        };
        for _ in 0..3 {
            let v: Vec<i32> = cache
                .get_or_load(Kind::Catalogue, &[Ns::Catalogue], "list", load)
                .await
                .unwrap();
            assert_eq!(v, [1, 2, 3]);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        cache.invalidate(&[Ns::Catalogue]).await;
        let _: Vec<i32> = cache
            .get_or_load(Kind::Catalogue, &[Ns::Catalogue], "list", load)
            .await
            .unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        let stats = cache.stats();
        let (_, catalogue) = stats
            .kinds
            .iter()
            .find(|(k, _)| *k == Kind::Catalogue)
            .unwrap();
        assert_eq!((catalogue.hits, catalogue.misses), (2, 2));
        assert_eq!(stats.backend, "memory");
    }

    #[tokio::test]
    async fn only_the_namespaces_written_go_stale() {
        let cache = Cache::new(&memory()).await.unwrap();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let loads = AtomicUsize::new(0);
        let load = |n: i32| {
            let loads = &loads;
            move || async move {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(n)
            }
        };
        let _: i32 = cache
            .get_or_load(Kind::User, &[Ns::Catalogue, Ns::User(a)], "rec", load(1))
            .await
            .unwrap();
        let _: i32 = cache
            .get_or_load(Kind::User, &[Ns::Catalogue, Ns::User(b)], "rec", load(2))
            .await
            .unwrap();
        cache.invalidate(&[Ns::User(a)]).await;
        let _: i32 = cache
            .get_or_load(Kind::User, &[Ns::Catalogue, Ns::User(a)], "rec", load(1))
            .await
            .unwrap();
        let _: i32 = cache
            .get_or_load(Kind::User, &[Ns::Catalogue, Ns::User(b)], "rec", load(2))
            .await
            .unwrap();
        assert_eq!(
            loads.load(Ordering::SeqCst),
            3,
            "b's entry survived a's write"
        );
        cache.invalidate(&[Ns::Catalogue]).await;
        let _: i32 = cache
            .get_or_load(Kind::User, &[Ns::Catalogue, Ns::User(b)], "rec", load(2))
            .await
            .unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn concurrent_misses_load_once_and_errors_are_not_cached() {
        let cache = Cache::new(&memory()).await.unwrap();
        let loads = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_load(Kind::Dishes, &[Ns::Dishes], "hot", || async move {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok::<_, std::io::Error>("x".to_string())
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "x");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "a stampede is one load");
        let failed: Result<String, _> = cache
            .get_or_load(Kind::Dishes, &[Ns::Dishes], "bad", || async {
                Err(std::io::Error::other("db down"))
            })
            .await;
        assert!(failed.is_err());
        let ok: String = cache
            .get_or_load(Kind::Dishes, &[Ns::Dishes], "bad", || async {
                Ok::<_, std::io::Error>("y".into())
            })
            .await
            .unwrap();
        assert_eq!(ok, "y");
    }

    #[tokio::test]
    async fn off_always_loads() {
        let cache = Cache::off();
        let loads = AtomicUsize::new(0);
        for _ in 0..2 {
            let _: u8 = cache
                .get_or_load(Kind::Catalogue, &[Ns::Catalogue], "k", || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, std::io::Error>(1)
                })
                .await
                .unwrap();
        }
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        assert_eq!(cache.stats().backend, "off");
    }
}
