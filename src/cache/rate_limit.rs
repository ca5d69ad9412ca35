//! Request limits per client address and per account, answered with 429 and `Retry-After`.
//!
//! The in-process backend is governor's GCRA: a limit of N per window lets a burst of N through, then
//! one more request every window/N. With Redis the same GCRA runs in Redis as one atomic script on
//! Redis's clock, so the limit holds across every node; while Redis is unreachable each node falls
//! back to its own limits (and `/api/v1/health` says so).

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use crate::config::RateLimitConfig;

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Any request to an endpoint that needs no sign-in, per client address.
    Public,
    /// Sign-in and registration attempts, per client address.
    AuthAttempts,
    /// Sign-in attempts, per account.
    LoginAccount,
}

/// The request is over its limit; the client may retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for the `Retry-After` header, never 0.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    local: Option<Arc<Local>>,
    shared: Option<Shared>,
}

/// The limits as Redis keeps them.
#[derive(Clone)]
struct Shared {
    redis: super::RedisTier,
    script: Arc<redis::Script>,
    prefix: String,
    /// (emission interval, burst tolerance) in ms, per bucket.
    public: (u64, u64),
    auth_attempts: (u64, u64),
    login_account: (u64, u64),
}

/// GCRA on Redis's clock: allowed when the theoretical arrival time is at most `tolerance` ahead of
/// now; answers {allowed, ms to wait}. KEYS[1] the counter; ARGV[1] the emission interval (ms),
/// ARGV[2] the burst tolerance (ms).
const GCRA: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tat - now - tolerance}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return {1, 0}
";

struct Local {
    public: DefaultKeyedRateLimiter<String>,
    auth_attempts: DefaultKeyedRateLimiter<String>,
    login_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimiter {
    pub fn new(config: &RateLimitConfig) -> Self {
        Self::with_redis(config, None, "")
    }

    /// Limits shared by every node through `redis` (keys under `prefix`), with this node's own as
    /// the fallback.
    pub fn with_redis(
        config: &RateLimitConfig,
        redis: Option<super::RedisTier>,
        prefix: &str,
    ) -> Self {
        if !config.enabled {
            return Self {
                local: None,
                shared: None,
            };
        }
        let window_ms = config.window_secs.max(1) * 1000;
        let gcra = |limit: u32| {
            let limit = u64::from(limit.max(1));
            let interval = (window_ms / limit).max(1);
            (interval, interval * (limit - 1))
        };
        let shared = redis.map(|redis| Shared {
            redis,
            script: Arc::new(redis::Script::new(GCRA)),
            prefix: format!("{prefix}rl:"),
            public: gcra(config.public_requests),
            auth_attempts: gcra(config.auth_attempts_per_ip),
            login_account: gcra(config.login_attempts_per_account),
        });
        let window = Duration::from_secs(config.window_secs.max(1));
        let keyed = |limit: u32| {
            let burst = NonZeroU32::new(limit.max(1)).expect("at least 1");
            let quota = Quota::with_period(window / burst.get())
                .expect("a non-zero period")
                .allow_burst(burst);
            DefaultKeyedRateLimiter::keyed(quota)
        };
        Self {
            local: Some(Arc::new(Local {
                public: keyed(config.public_requests),
                auth_attempts: keyed(config.auth_attempts_per_ip),
                login_account: keyed(config.login_attempts_per_account),
                clock: DefaultClock::default(),
            })),
            shared,
        }
    }

    /// Whether any limit is enforced.
    pub fn enabled(&self) -> bool {
        self.local.is_some()
    }

    /// Whether limits are shared across nodes right now (`None`: this node has no Redis).
    pub fn shared_now(&self) -> Option<bool> {
        self.shared.as_ref().map(|s| s.redis.is_up())
    }

    /// Counts one request against `key` in `bucket`: in Redis when it answers, else on this node.
    pub async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Limited> {
        let Some(local) = &self.local else {
            return Ok(());
        };
        if let Some(shared) = &self.shared {
            if let Some(verdict) = shared.check(bucket, key).await {
                return verdict;
            }
        }
        let limiter = match bucket {
            Bucket::Public => &local.public,
            Bucket::AuthAttempts => &local.auth_attempts,
            Bucket::LoginAccount => &local.login_account,
        };
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| Limited {
                retry_after: not_until.wait_time_from(local.clock.now()),
            })
    }

    /// Forgets keys whose limits have fully recovered; call periodically to bound memory.
    pub fn housekeeping(&self) {
        if let Some(local) = &self.local {
            for limiter in [&local.public, &local.auth_attempts, &local.login_account] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

impl Shared {
    /// The verdict from Redis, or `None` when it cannot give one.
    async fn check(&self, bucket: Bucket, key: &str) -> Option<Result<(), Limited>> {
        let mut conn = self.redis.conn().await?;
        let (name, (interval, tolerance)) = match bucket {
            Bucket::Public => ("public", self.public),
            Bucket::AuthAttempts => ("auth", self.auth_attempts),
            Bucket::LoginAccount => ("login", self.login_account),
        };
        let mut call = self.script.key(format!("{}{name}:{key}", self.prefix));
        call.arg(interval).arg(tolerance);
        match tokio::time::timeout(
            Duration::from_millis(250),
            call.invoke_async::<(u8, u64)>(&mut conn),
        )
        .await
        {
            Ok(Ok((1, _))) => Some(Ok(())),
            Ok(Ok((_, wait_ms))) => Some(Err(Limited {
                retry_after: Duration::from_millis(wait_ms),
            })),
            Ok(Err(e)) => {
                self.redis.failed("rate limit", &e);
                None
            }
            Err(e) => {
                self.redis.failed("rate limit", &e);
                None
            }
        }
    }
}

/// The key a client address is counted under: the address itself for IPv4, its /64 network for
/// IPv6 (one subscriber usually holds a whole /64 and could otherwise rotate addresses at will).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limit: u32, window_secs: u64) -> RateLimitConfig {
        RateLimitConfig {
            enabled: true,
            window_secs,
            public_requests: limit,
            auth_attempts_per_ip: limit,
            login_attempts_per_account: limit,
        }
    }

    #[tokio::test]
    async fn a_burst_up_to_the_limit_passes_then_waits() {
        let limiter = RateLimiter::new(&config(3, 900));
        for _ in 0..3 {
            limiter.check(Bucket::Public, "10.0.0.1").await.unwrap();
        }
        let limited = limiter.check(Bucket::Public, "10.0.0.1").await.unwrap_err();
        // One request is earned back every 900/3 s.
        assert!(
            (299..=300).contains(&limited.retry_after_secs()),
            "{limited:?}"
        );
        // Other clients and other buckets are counted separately.
        limiter.check(Bucket::Public, "10.0.0.2").await.unwrap();
        limiter
            .check(Bucket::AuthAttempts, "10.0.0.1")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn disabled_limits_never_refuse() {
        let limiter = RateLimiter::new(&RateLimitConfig {
            enabled: false,
            ..config(1, 900)
        });
        for _ in 0..10 {
            limiter.check(Bucket::LoginAccount, "a@b.rs").await.unwrap();
        }
    }

    #[test]
    fn ipv6_clients_are_counted_by_network() {
        let a: IpAddr = "2a02:2f0c:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2a02:2f0c:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
