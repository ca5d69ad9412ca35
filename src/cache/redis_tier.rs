//! The Redis behind the cache when several nodes share the load: entries, namespace versions
//! (`INCR`), invalidations published to every node (RESP3 push on the same connection, resubscribed
//! after a reconnect), and the connection the shared rate limiter uses.
//!
//! Redis is never on the critical path: every call has a short timeout, a failed call marks Redis
//! down, and while it is down calls return at once; a pinger notices its return, after which the
//! node forgets the versions it holds (it may have missed messages) and publishes the invalidations
//! it made in the meantime.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use redis::{
    AsyncCommands, IntoConnectionInfo, ProtocolVersion, PushKind, Value,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use secrecy::ExposeSecret;
use tokio::sync::RwLock;

use super::{Cache, Inner};
use crate::config::CacheConfig;

/// How long one Redis call may take before the node carries on without it.
const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// How often Redis is pinged (round-trip time, and noticing it is back).
const PING_EVERY: Duration = Duration::from_secs(1);

struct Shared {
    conn: RwLock<Option<ConnectionManager>>,
    up: AtomicBool,
    rtt_us: AtomicU64,
    prefix: String,
    channel: String,
    push: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<redis::PushInfo>>>,
    client: redis::Client,
    push_tx: tokio::sync::mpsc::UnboundedSender<redis::PushInfo>,
}

/// The Redis tier; cheap to clone.
#[derive(Clone)]
pub struct RedisTier(Arc<Shared>);

impl RedisTier {
    /// Prepares the connection; Redis need not answer yet (the pinger connects when it does).
    pub async fn connect(config: &CacheConfig) -> anyhow::Result<Self> {
        let url = config
            .redis_url
            .as_ref()
            .map(|u| u.expose_secret().to_owned())
            .ok_or_else(|| {
                anyhow::anyhow!("cache.redis_url: needed with cache.backend = \"redis\"")
            })?;
        let info = url
            .as_str()
            .into_connection_info()
            .map_err(|e| anyhow::anyhow!("cache.redis_url: {e}"))?;
        // RESP3: invalidations arrive as push messages on the same connection.
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings))
            .map_err(|e| anyhow::anyhow!("cache.redis_url: {e}"))?;
        let (push_tx, push_rx) = tokio::sync::mpsc::unbounded_channel();
        let tier = RedisTier(Arc::new(Shared {
            conn: RwLock::new(None),
            up: AtomicBool::new(false),
            rtt_us: AtomicU64::new(0),
            channel: format!("{}invalidate", config.redis_prefix),
            prefix: config.redis_prefix.clone(),
            push: std::sync::Mutex::new(Some(push_rx)),
            client,
            push_tx,
        }));
        // One attempt now, so a node that starts with Redis up serves from it at once.
        tier.ping().await;
        Ok(tier)
    }

    async fn ensure_connected(&self) -> bool {
        if self.0.conn.read().await.is_some() {
            return true;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500))
            .set_push_sender(self.0.push_tx.clone())
            .set_automatic_resubscription();
        match tokio::time::timeout(
            Duration::from_secs(2),
            self.0.client.get_connection_manager_with_config(config),
        )
        .await
        {
            Ok(Ok(mut conn)) => {
                if let Err(e) = conn.subscribe(&self.0.channel).await {
                    tracing::warn!(error = %e, "redis: subscribing to invalidations");
                    return false;
                }
                *self.0.conn.write().await = Some(conn);
                true
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "redis: not reachable");
                false
            }
            Err(_) => false,
        }
    }

    /// A connection when Redis is up.
    pub async fn conn(&self) -> Option<ConnectionManager> {
        if !self.is_up() {
            return None;
        }
        self.0.conn.read().await.clone()
    }

    pub fn is_up(&self) -> bool {
        self.0.up.load(Ordering::Relaxed)
    }

    pub fn round_trip_ms(&self) -> Option<f64> {
        let us = self.0.rtt_us.load(Ordering::Relaxed);
        (self.is_up() && us > 0).then(|| us as f64 / 1000.0)
    }

    /// A call failed: carry on without Redis until the pinger sees it again.
    pub fn failed(&self, what: &str, e: &dyn std::fmt::Display) {
        if self.0.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(error = %e, call = what, "redis unreachable; serving from PostgreSQL");
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.0.prefix)
    }

    fn version_key(&self, name: &str) -> String {
        format!("{}v:{name}", self.0.prefix)
    }

    /// `call`'s answer within `limit`; a failure or a timeout marks Redis down.
    async fn within<T>(
        &self,
        what: &str,
        limit: Duration,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        match tokio::time::timeout(limit, call).await {
            Ok(Ok(answer)) => Some(answer),
            Ok(Err(e)) => {
                self.failed(what, &e);
                None
            }
            Err(e) => {
                self.failed(what, &e);
                None
            }
        }
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut conn = self.conn().await?;
        let call = conn.get::<_, Option<Vec<u8>>>(self.key(key));
        self.within("GET", CALL_TIMEOUT, call).await.flatten()
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let Some(mut conn) = self.conn().await else {
            return;
        };
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let call = conn.pset_ex::<_, _, ()>(self.key(key), value, ms);
        self.within("SET", CALL_TIMEOUT, call).await;
    }

    /// The keys Redis has evicted to stay within its `maxmemory` since it started (`INFO stats`).
    pub async fn evicted_keys(&self) -> Option<u64> {
        let mut conn = self.conn().await?;
        let mut info = redis::cmd("INFO");
        info.arg("stats");
        let call = info.query_async::<String>(&mut conn);
        let stats = self.within("INFO", CALL_TIMEOUT, call).await?;
        stats
            .lines()
            .find_map(|line| line.strip_prefix("evicted_keys:"))
            .and_then(|n| n.trim().parse().ok())
    }

    /// The shared versions of these namespaces (0 for one never bumped).
    pub async fn versions(&self, names: &[String]) -> Option<Vec<u64>> {
        let mut conn = self.conn().await?;
        let keys: Vec<String> = names.iter().map(|n| self.version_key(n)).collect();
        let mut mget = redis::cmd("MGET");
        mget.arg(&keys);
        let call = mget.query_async::<Vec<Option<u64>>>(&mut conn);
        let versions = self.within("MGET", CALL_TIMEOUT, call).await?;
        Some(
            versions
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        )
    }

    /// Bumps a namespace's version and tells every node; the new version, or `None` when Redis
    /// cannot be reached.
    pub async fn bump(&self, name: &str) -> Option<u64> {
        let mut conn = self.conn().await?;
        let call = async {
            let version: u64 = conn.incr(self.version_key(name), 1).await?;
            conn.publish::<_, _, ()>(&self.0.channel, format!("{name} {version}"))
                .await?;
            Ok::<_, redis::RedisError>(version)
        };
        self.within("INCR", CALL_TIMEOUT * 2, call).await
    }

    /// Starts the tasks that hear invalidations and watch the link, for as long as the cache lives.
    pub(super) fn listen(&self, cache: Weak<Inner>) {
        let Some(mut push) = self.0.push.lock().ok().and_then(|mut p| p.take()) else {
            return;
        };
        let listener = cache.clone();
        tokio::spawn(async move {
            while let Some(info) = push.recv().await {
                let Some(inner) = listener.upgrade() else {
                    return;
                };
                let cache = Cache(inner);
                match info.kind {
                    PushKind::Message => {
                        // [channel, payload]
                        if let Some(Value::BulkString(payload)) = info.data.get(1) {
                            let text = String::from_utf8_lossy(payload);
                            if let Some((name, version)) = text.rsplit_once(' ') {
                                if let Ok(version) = version.parse() {
                                    cache.heard(name.to_owned(), version);
                                }
                            }
                        }
                    }
                    // Messages may have been missed while the link was down.
                    PushKind::Disconnection | PushKind::Subscribe => cache.forget_versions(),
                    _ => {}
                }
            }
        });
        let tier = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PING_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = cache.upgrade() else { return };
                let was_up = tier.is_up();
                let up = tier.ping().await;
                if up && !was_up {
                    let cache = Cache(inner);
                    cache.forget_versions();
                    tier.replay(&cache).await;
                    tracing::info!("redis reachable; shared cache and limits in use");
                }
            }
        });
    }

    /// Pings Redis (connecting first if needed), recording whether it answers and how fast.
    async fn ping(&self) -> bool {
        if !self.ensure_connected().await {
            self.0.up.store(false, Ordering::Relaxed);
            return false;
        }
        let Some(mut conn) = self.0.conn.read().await.clone() else {
            return false;
        };
        let start = Instant::now();
        let answered = matches!(
            tokio::time::timeout(
                CALL_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut conn)
            )
            .await,
            Ok(Ok(_))
        );
        if answered {
            self.0
                .rtt_us
                .store(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        self.0.up.store(answered, Ordering::Relaxed);
        answered
    }

    /// Publishes the invalidations made while Redis was unreachable.
    async fn replay(&self, cache: &Cache) {
        for name in cache.take_local_bumps() {
            if let Some(version) = self.bump(&name).await {
                let mut v = cache.0.versions.lock().unwrap_or_else(|e| e.into_inner());
                v.local_bumps.remove(&name);
                v.known.insert(name, (version, Instant::now()));
            }
        }
    }
}
