//! Health for load balancers and operators: `/health` (liveness), `/ready` (readiness) and the
//! detailed `/api/v1/health` the deployment runbook curls.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use poem::{IntoResponse, handler, http::StatusCode, web::Data};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};
use serde_json::json;
use sqlx::PgPool;

use super::{ApiTags, AppState};
use crate::db;

/// How long a health probe waits for the database before calling it disconnected.
const DB_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Status {
    /// Everything answers.
    Healthy,
    /// Serving, but something needs attention (e.g. migrations pending).
    Degraded,
    /// Cannot serve: the database does not answer.
    Unhealthy,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Connection {
    Connected,
    Disconnected,
    /// Not configured on this node (Redis with the in-process cache).
    Disabled,
}

/// Connection-pool usage.
#[derive(Object, Debug)]
pub struct PoolUsage {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Most connections the pool opens.
    pub max: u32,
}

/// The node's health, as the deployment runbook reads it.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct Health {
    pub status: Status,
    pub database: Connection,
    /// Shared Redis; `disabled` when this node has no Redis configured.
    pub redis: Connection,
    /// Cache backend: `memory`, `redis` or `off`.
    pub cache: String,
    /// Where rate limits are counted: `shared` (Redis), `local` (this node; with Redis configured,
    /// because it is unreachable), or `off`.
    pub rate_limits: String,
    /// A restore is swapping the database: writes are refused for a moment.
    pub maintenance: bool,
    pub cache_stats: CacheStats,
    pub version: String,
    pub uptime_s: u64,
    /// `managed` (the binary's own cluster) or `external` (`database.url`).
    pub database_mode: String,
    /// Round trip of the probe's query, when the database answered.
    #[oai(skip_serializing_if_is_none)]
    pub database_latency_ms: Option<f64>,
    /// Migrations this binary has that the database lacks.
    #[oai(default, skip_serializing_if_is_empty)]
    pub pending_migrations: Vec<i64>,
    pub pool: PoolUsage,
}

/// What the cache did since the node started.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none)]
pub struct CacheStats {
    /// Per kind (`catalogue`, `dishes`, `rules`, `user`, `session`).
    pub kinds: Vec<CacheKindStats>,
    /// Entries in this node's tier, and their estimated size.
    pub entries: u64,
    pub bytes: u64,
    /// Entries dropped to stay within `cache.max_bytes`.
    pub evictions: u64,
    /// The last Redis ping's round trip.
    #[oai(skip_serializing_if_is_none)]
    pub redis_round_trip_ms: Option<f64>,
    /// Invalidations waiting for Redis to return.
    pub pending_invalidations: u64,
}

#[derive(Object, Debug)]
pub struct CacheKindStats {
    pub kind: String,
    /// From this node's tier.
    pub hits: u64,
    /// From Redis.
    pub redis_hits: u64,
    /// Loaded from PostgreSQL.
    pub misses: u64,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// Healthy or degraded: the node serves.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// Unhealthy: the node cannot serve requests that need the database.
    #[oai(status = 503)]
    Unavailable(Json<Health>),
}

/// How long one database probe answers every caller of `/api/v1/health` and `/ready`. Concurrent
/// callers wait for the probe under way instead of each sending their own, so anonymous callers
/// and load balancers polling every node cost the database one query per interval. A lost database
/// shows within this interval (plus [`DB_PROBE_TIMEOUT`] while the probe waits).
pub const PROBE_SHARED_FOR: Duration = Duration::from_secs(1);

/// What a probe of the database found.
struct DbProbe {
    latency: Option<Duration>,
    pending: Vec<i64>,
    error: Option<String>,
}

/// A probe and when it started.
type Probed = (tokio::time::Instant, Arc<DbProbe>);

/// The latest database probe, shared by this node's health callers for [`PROBE_SHARED_FOR`].
#[derive(Clone, Default)]
pub struct SharedProbe(Arc<ProbeState>);

#[derive(Default)]
struct ProbeState {
    /// Read by every caller at once while fresh.
    latest: std::sync::RwLock<Option<Probed>>,
    /// Held while probing, so callers arriving meanwhile wait for that probe instead of their own.
    probing: tokio::sync::Mutex<()>,
}

impl SharedProbe {
    /// The latest probe if it started within [`PROBE_SHARED_FOR`], else the result of `probe`.
    async fn latest(&self, probe: impl Future<Output = DbProbe>) -> Arc<DbProbe> {
        if let Some(fresh) = self.fresh() {
            return fresh;
        }
        let _probing = self.0.probing.lock().await;
        if let Some(fresh) = self.fresh() {
            return fresh;
        }
        let started = tokio::time::Instant::now();
        let found = Arc::new(probe.await);
        *self.0.latest.write().unwrap_or_else(|e| e.into_inner()) = Some((started, found.clone()));
        found
    }

    fn fresh(&self) -> Option<Arc<DbProbe>> {
        let latest = self.0.latest.read().unwrap_or_else(|e| e.into_inner());
        latest
            .as_ref()
            .filter(|(at, _)| at.elapsed() < PROBE_SHARED_FOR)
            .map(|(_, found)| found.clone())
    }
}

/// One query: reading the applied migrations is the round trip that proves the database answers.
async fn probe(pool: &PgPool) -> DbProbe {
    let start = Instant::now();
    let read = tokio::time::timeout(DB_PROBE_TIMEOUT, db::pending_migrations(pool)).await;
    let latency = start.elapsed();
    match read {
        Ok(Ok(pending)) => DbProbe {
            latency: Some(latency),
            pending,
            error: None,
        },
        // The server answered, refusing the query (SQLSTATE class 42: a privilege or a missing
        // object): connected, but something needs attention.
        Ok(Err(sqlx::Error::Database(e))) if e.code().is_some_and(|c| c.starts_with("42")) => {
            DbProbe {
                latency: Some(latency),
                pending: Vec::new(),
                error: Some(format!("cannot read migrations: {e}")),
            }
        }
        Ok(Err(e)) => DbProbe {
            latency: None,
            pending: Vec::new(),
            error: Some(format!("database unavailable: {e}")),
        },
        Err(_) => DbProbe {
            latency: None,
            pending: Vec::new(),
            error: Some("database did not answer in time".into()),
        },
    }
}

async fn shared_probe(state: &AppState) -> Arc<DbProbe> {
    state.db_probe.latest(probe(&state.pool)).await
}

#[derive(Default)]
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Health of this node
    ///
    /// Database connectivity and latency, cache tier, version, uptime and pool usage. 503 when the
    /// database does not answer. The database is probed at most once a second per node; callers
    /// within that second share the probe.
    #[oai(path = "/health", method = "get", operation_id = "getHealth")]
    async fn health(&self, state: Data<&AppState>) -> HealthResponse {
        let probe = shared_probe(&state).await;
        let stats = state.cache.stats();
        let redis_down = stats.redis.is_some_and(|r| !r.connected);
        let status = match (&probe.latency, &probe.error, probe.pending.is_empty()) {
            (None, _, _) => Status::Unhealthy,
            // Serving from PostgreSQL with per-node limits while Redis is away.
            (Some(_), None, true) if !redis_down => Status::Healthy,
            _ => Status::Degraded,
        };
        let health = Health {
            status,
            database: if probe.latency.is_some() {
                Connection::Connected
            } else {
                Connection::Disconnected
            },
            redis: match stats.redis {
                None => Connection::Disabled,
                Some(r) if r.connected => Connection::Connected,
                Some(_) => Connection::Disconnected,
            },
            cache: stats.backend.into(),
            maintenance: state.maintenance.is_on(),
            rate_limits: match state.limiter.shared_now() {
                _ if !state.limiter.enabled() => "off",
                Some(true) => "shared",
                _ => "local",
            }
            .into(),
            cache_stats: CacheStats {
                kinds: stats
                    .kinds
                    .iter()
                    .map(|(k, s)| CacheKindStats {
                        kind: k.as_str().into(),
                        hits: s.hits,
                        redis_hits: s.redis_hits,
                        misses: s.misses,
                    })
                    .collect(),
                entries: stats.entries,
                bytes: stats.bytes,
                evictions: stats.evictions,
                redis_round_trip_ms: stats.redis.and_then(|r| r.round_trip_ms),
                pending_invalidations: stats.redis.map_or(0, |r| r.pending_invalidations as u64),
            },
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_s: state.started.elapsed().as_secs(),
            database_mode: state.db_mode.as_str().into(),
            database_latency_ms: probe
                .latency
                .map(|d| (d.as_secs_f64() * 1e5).round() / 100.0),
            pending_migrations: probe.pending.clone(),
            pool: PoolUsage {
                size: state.pool.size(),
                idle: state.pool.num_idle() as u32,
                max: state.max_connections,
            },
        };
        if status == Status::Unhealthy {
            HealthResponse::Unavailable(Json(health))
        } else {
            HealthResponse::Ok(Json(health))
        }
    }
}

/// Liveness: 200 while the process serves requests. Deliberately checks nothing else, so a load
/// balancer does not restart a node because its database blinked.
#[handler]
pub fn live() -> impl IntoResponse {
    poem::web::Json(json!({ "status": "ok" }))
}

/// Readiness: 200 only when the database answers and every migration of this binary is applied.
#[handler]
pub async fn ready(state: Data<&AppState>) -> poem::Response {
    match not_ready(&state).await {
        None => poem::web::Json(json!({ "status": "ready" })).into_response(),
        Some(reason) => poem::web::Json(json!({ "status": "not_ready", "reason": reason }))
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .into_response(),
    }
}

/// Why `/ready` would answer 503 now, or `None` when it would answer 200 (also what the service
/// manager is told).
pub async fn not_ready(state: &AppState) -> Option<String> {
    let probe = shared_probe(state).await;
    // With ACME, HTTPS has nothing to serve until the first certificate is in hand.
    let no_certificate =
        state.acme.is_some() && state.tls.as_ref().is_some_and(|t| t.current().is_none());
    match (&probe.error, probe.pending.is_empty()) {
        (Some(e), _) => Some(e.clone()),
        (None, false) => Some(format!("migrations pending: {:?}", probe.pending)),
        (None, true) if no_certificate => {
            Some("waiting for the first TLS certificate from the ACME CA".into())
        }
        (None, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn counted(probes: &AtomicUsize) -> DbProbe {
        probes.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        DbProbe {
            latency: Some(Duration::from_millis(1)),
            pending: Vec::new(),
            error: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_probe_until_it_is_a_second_old() {
        let shared = SharedProbe::default();
        let probes = AtomicUsize::new(0);
        let answers =
            futures_util::future::join_all((0..50).map(|_| shared.latest(counted(&probes)))).await;
        assert_eq!(answers.len(), 50);
        assert_eq!(probes.load(Ordering::SeqCst), 1, "one probe for 50 callers");

        tokio::time::advance(PROBE_SHARED_FOR - Duration::from_millis(100)).await;
        shared.latest(counted(&probes)).await;
        assert_eq!(probes.load(Ordering::SeqCst), 1, "still within the second");

        tokio::time::advance(Duration::from_millis(100)).await;
        shared.latest(counted(&probes)).await;
        assert_eq!(
            probes.load(Ordering::SeqCst),
            2,
            "a second later, probed again"
        );
    }
}
