//! Request limits per client address and per signed-in account, answered with 429 and
//! `Retry-After`, and the count of failed sign-ins.
//!
//! The in-process backend is governor's GCRA: a limit of N per window lets a burst of N through, then
//! one more request every window/N. With Redis the same GCRA runs in Redis as one atomic script on
//! Redis's clock, so the limit holds across every node; while Redis is unreachable each node falls
//! back to its own limits (and `/api/v1/health` says so).
//!
//! Failed sign-ins are counted, not rate-limited, so that nobody can lock an account by guessing at
//! it: per account and per (account, address), each count living `window` after its last failure,
//! both reset by a successful sign-in. An address is refused at an account once it has failed there
//! `login_attempts_per_account` times, or [`TRIES_PER_ADDRESS_UNDER_ATTACK`] times while the account
//! as a whole is past that many failures; an address that has not (its owner's) still signs in.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use crate::config::RateLimitConfig;

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Any API request without a valid access token, per client address.
    Public,
    /// Sign-in and registration attempts, per client address.
    AuthAttempts,
    /// Any API request with a valid access token, per account.
    Account,
    /// Plans, recommendations, exports and password changes, per account.
    Expensive,
}

/// While an account is past its failed sign-ins, the failures an address may have there before it
/// is refused: its owner's typos pass, a guesser moves on after a few tries per address.
pub const TRIES_PER_ADDRESS_UNDER_ATTACK: u32 = 3;

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
    failures: Option<Failures>,
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
    account: (u64, u64),
    expensive: (u64, u64),
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
    account: DefaultKeyedRateLimiter<String>,
    expensive: DefaultKeyedRateLimiter<String>,
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
                failures: None,
            };
        }
        let window_ms = config.window_secs.max(1) * 1000;
        let gcra = |limit: u32| {
            let limit = u64::from(limit.max(1));
            let interval = (window_ms / limit).max(1);
            (interval, interval * (limit - 1))
        };
        let failures = Failures {
            redis: redis.clone(),
            prefix: format!("{prefix}fail:"),
            window: Duration::from_secs(config.window_secs.max(1)),
            limit: config.login_attempts_per_account.max(1),
            local: Arc::new(Mutex::new(HashMap::new())),
        };
        let shared = redis.map(|redis| Shared {
            redis,
            script: Arc::new(redis::Script::new(GCRA)),
            prefix: format!("{prefix}rl:"),
            public: gcra(config.public_requests),
            auth_attempts: gcra(config.auth_attempts_per_ip),
            account: gcra(config.account_requests),
            expensive: gcra(config.expensive_requests),
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
                account: keyed(config.account_requests),
                expensive: keyed(config.expensive_requests),
                clock: DefaultClock::default(),
            })),
            shared,
            failures: Some(failures),
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
            Bucket::Account => &local.account,
            Bucket::Expensive => &local.expensive,
        };
        limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| Limited {
                retry_after: not_until.wait_time_from(local.clock.now()),
            })
    }

    /// Whether a sign-in to `account` from `address` may be tried now (before the password is
    /// checked): `Err` with the time until this address's failures there expire when it may not.
    pub async fn sign_in_allowed(&self, account: &str, address: &str) -> Result<(), Limited> {
        match &self.failures {
            Some(failures) => failures.allowed(account, address).await,
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in (a wrong password) at `account` from `address`.
    pub async fn sign_in_failed(&self, account: &str, address: &str) {
        if let Some(failures) = &self.failures {
            failures.failed(account, address).await;
        }
    }

    /// A sign-in succeeded: the account's failures, and this address's there, are forgotten.
    pub async fn sign_in_succeeded(&self, account: &str, address: &str) {
        if let Some(failures) = &self.failures {
            failures.succeeded(account, address).await;
        }
    }

    /// Forgets keys whose limits have fully recovered; call periodically to bound memory.
    pub fn housekeeping(&self) {
        if let Some(local) = &self.local {
            for limiter in [
                &local.public,
                &local.auth_attempts,
                &local.account,
                &local.expensive,
            ] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        if let Some(failures) = &self.failures {
            failures.housekeeping();
        }
    }
}

/// Failed sign-ins: in Redis when the node has it (and it answers), else on this node.
#[derive(Clone)]
struct Failures {
    redis: Option<super::RedisTier>,
    prefix: String,
    window: Duration,
    limit: u32,
    /// key → (failures, when they expire).
    local: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl Failures {
    fn keys(&self, account: &str, address: &str) -> [String; 2] {
        [
            format!("{}{account}", self.prefix),
            format!("{}{account}|{address}", self.prefix),
        ]
    }

    async fn allowed(&self, account: &str, address: &str) -> Result<(), Limited> {
        let [whole, here] = self.keys(account, address);
        let counts = match self.shared_counts(&whole, &here).await {
            Some(counts) => counts,
            None => {
                let now = Instant::now();
                let local = self.local.lock().unwrap_or_else(|e| e.into_inner());
                let get = |key: &String| match local.get(key) {
                    Some(&(n, until)) if until > now => (n, until - now),
                    _ => (0, Duration::ZERO),
                };
                [get(&whole), get(&here)]
            }
        };
        let [(account_failures, _), (address_failures, wait)] = counts;
        let under_attack = account_failures >= self.limit;
        let allowed_here = if under_attack {
            TRIES_PER_ADDRESS_UNDER_ATTACK.min(self.limit)
        } else {
            self.limit
        };
        if address_failures >= allowed_here {
            return Err(Limited { retry_after: wait });
        }
        Ok(())
    }

    /// (failures, time to live) of both keys from Redis, or `None` without it.
    async fn shared_counts(&self, whole: &str, here: &str) -> Option<[(u32, Duration); 2]> {
        let redis = self.redis.as_ref()?;
        let mut conn = redis.conn().await?;
        let mut pipe = redis::pipe();
        pipe.get(whole).pttl(whole).get(here).pttl(here);
        let call = pipe.query_async::<(Option<u32>, i64, Option<u32>, i64)>(&mut conn);
        match tokio::time::timeout(Duration::from_millis(250), call).await {
            Ok(Ok((a, a_ttl, h, h_ttl))) => {
                let ttl = |ms: i64| Duration::from_millis(ms.max(0) as u64);
                Some([(a.unwrap_or(0), ttl(a_ttl)), (h.unwrap_or(0), ttl(h_ttl))])
            }
            Ok(Err(e)) => {
                redis.failed("sign-in failures", &e);
                None
            }
            Err(e) => {
                redis.failed("sign-in failures", &e);
                None
            }
        }
    }

    async fn failed(&self, account: &str, address: &str) {
        let keys = self.keys(account, address);
        if let Some(redis) = &self.redis {
            if let Some(mut conn) = redis.conn().await {
                let ms = self.window.as_millis() as i64;
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.incr(key, 1).ignore().pexpire(key, ms).ignore();
                }
                match tokio::time::timeout(
                    Duration::from_millis(250),
                    pipe.query_async::<()>(&mut conn),
                )
                .await
                {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => redis.failed("sign-in failures", &e),
                    Err(e) => redis.failed("sign-in failures", &e),
                }
            }
        }
        let until = Instant::now() + self.window;
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            let entry = local.entry(key).or_insert((0, until));
            if entry.1 <= Instant::now() {
                entry.0 = 0;
            }
            *entry = (entry.0 + 1, until);
        }
    }

    async fn succeeded(&self, account: &str, address: &str) {
        let keys = self.keys(account, address);
        if let Some(redis) = &self.redis {
            if let Some(mut conn) = redis.conn().await {
                let mut del = redis::cmd("DEL");
                del.arg(&keys[..]);
                match tokio::time::timeout(
                    Duration::from_millis(250),
                    del.query_async::<()>(&mut conn),
                )
                .await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => redis.failed("sign-in failures", &e),
                    Err(e) => redis.failed("sign-in failures", &e),
                }
            }
        }
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        for key in &keys {
            local.remove(key);
        }
    }

    fn housekeeping(&self) {
        let now = Instant::now();
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        local.retain(|_, (_, until)| *until > now);
        local.shrink_to_fit();
    }
}

impl Shared {
    /// The verdict from Redis, or `None` when it cannot give one.
    async fn check(&self, bucket: Bucket, key: &str) -> Option<Result<(), Limited>> {
        let mut conn = self.redis.conn().await?;
        let (name, (interval, tolerance)) = match bucket {
            Bucket::Public => ("public", self.public),
            Bucket::AuthAttempts => ("auth", self.auth_attempts),
            Bucket::Account => ("account", self.account),
            Bucket::Expensive => ("expensive", self.expensive),
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
            account_requests: limit,
            expensive_requests: limit,
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
            limiter.check(Bucket::Account, "a@b.rs").await.unwrap();
            limiter.sign_in_failed("a@b.rs", "10.0.0.1").await;
        }
        limiter.sign_in_allowed("a@b.rs", "10.0.0.1").await.unwrap();
    }

    #[tokio::test]
    async fn failed_sign_ins_stop_the_guesser_not_the_owner() {
        let limiter = RateLimiter::new(&config(5, 900));
        let (account, guesser, owner) = ("ana@club.rs", "203.0.113.9", "198.51.100.4");
        for _ in 0..5 {
            limiter.sign_in_allowed(account, guesser).await.unwrap();
            limiter.sign_in_failed(account, guesser).await;
        }
        let refused = limiter.sign_in_allowed(account, guesser).await.unwrap_err();
        assert!(
            (899..=900).contains(&refused.retry_after_secs()),
            "{refused:?}"
        );
        // The owner, from an address of their own, still may; even after two typos.
        for _ in 0..2 {
            limiter.sign_in_allowed(account, owner).await.unwrap();
            limiter.sign_in_failed(account, owner).await;
        }
        limiter.sign_in_allowed(account, owner).await.unwrap();
        // A third failure there, while the account is under attack, is that address's last.
        limiter.sign_in_failed(account, owner).await;
        assert!(limiter.sign_in_allowed(account, owner).await.is_err());
        // Another address is still let through; its success ends the attack: the owner's address
        // is back to the ordinary limit.
        let elsewhere = "192.0.2.77";
        limiter.sign_in_allowed(account, elsewhere).await.unwrap();
        limiter.sign_in_succeeded(account, elsewhere).await;
        limiter.sign_in_allowed(account, owner).await.unwrap();
        limiter.sign_in_allowed(account, guesser).await.unwrap_err();
        for _ in 0..4 {
            limiter.sign_in_failed(account, elsewhere).await;
        }
        limiter.sign_in_allowed(account, elsewhere).await.unwrap();
        // Other accounts were never affected.
        limiter
            .sign_in_allowed("bob@club.rs", guesser)
            .await
            .unwrap();
    }

    #[test]
    fn ipv6_clients_are_counted_by_network() {
        let a: IpAddr = "2a02:2f0c:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2a02:2f0c:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
