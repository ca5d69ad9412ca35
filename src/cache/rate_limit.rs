//! Request limits per client address and per account, answered with 429 and `Retry-After`.
//!
//! The in-process backend is governor's GCRA: a limit of N per window lets a burst of N through, then
//! one more request every window/N. Callers see only [`RateLimiter::check`], so a shared backend for
//! several nodes can take its place.

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
}

struct Local {
    public: DefaultKeyedRateLimiter<String>,
    auth_attempts: DefaultKeyedRateLimiter<String>,
    login_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimiter {
    pub fn new(config: &RateLimitConfig) -> Self {
        if !config.enabled {
            return Self { local: None };
        }
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
        }
    }

    /// Counts one request against `key` in `bucket`.
    pub async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Limited> {
        let Some(local) = &self.local else {
            return Ok(());
        };
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
