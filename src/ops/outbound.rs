//! Outbound HTTP that users steer (store price feeds): never to this host or an internal network
//! unless the operator allows it. Every hostname is resolved by us, its internal addresses are
//! dropped, and the connection goes to an address that was checked (no second lookup a DNS
//! rebinding could change); literal addresses and every redirect hop are checked the same way;
//! no proxy from the environment is used.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::PrivateNetworks;

/// Which addresses requests may reach.
#[derive(Debug, Clone)]
pub struct Guard {
    allowed: Arc<PrivateNetworks>,
}

/// The address is on a network requests may not reach.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the address is on a loopback, private or other internal network")]
pub struct Internal;

impl Guard {
    pub fn new(allowed: &PrivateNetworks) -> Self {
        Self {
            allowed: Arc::new(allowed.clone()),
        }
    }

    /// Whether a request may go to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        is_public(ip)
            || match &*self.allowed {
                PrivateNetworks::All(all) => *all,
                PrivateNetworks::Only(nets) => nets.iter().any(|n| n.contains(&ip)),
            }
    }

    /// Whether `url` may be requested: http or https, and not a literal internal address (hostnames
    /// are checked when they are resolved).
    pub fn permits_url(&self, url: &url::Url) -> Result<(), Internal> {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(Internal),
        };
        match literal {
            Some(ip) if !self.permits(ip) => Err(Internal),
            _ => Ok(()),
        }
    }

    /// A client builder whose lookups, redirects and proxies follow this guard, following at most
    /// `max_redirects` redirects.
    pub fn client_builder(&self, max_redirects: usize) -> reqwest::ClientBuilder {
        let guard = self.clone();
        reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(self.clone()))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    attempt.error("too many redirects")
                } else if !matches!(attempt.url().scheme(), "http" | "https") {
                    attempt.error("a redirect to another scheme")
                } else if let Err(e) = guard.permits_url(attempt.url()) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            }))
    }
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| guard.permits(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(Internal) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Whether `e` (or an error it wraps) is the guard's refusal.
pub fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<Internal>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// Networks that are not the public internet: this host, private and shared address space,
/// link-local (cloud metadata services among them), multicast, documentation and reserved ranges,
/// and IPv6's unique-local, site-local and the translation prefixes that embed an IPv4 address
/// (judged by that address).
fn is_public(ip: IpAddr) -> bool {
    const V4: &[&str] = &[
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    ];
    const V6: &[&str] = &[
        "::/128",
        "::1/128",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ];
    static NETS: std::sync::OnceLock<Vec<IpNet>> = std::sync::OnceLock::new();
    let nets = NETS.get_or_init(|| {
        V4.iter()
            .chain(V6)
            .map(|n| n.parse().expect("a network"))
            .collect()
    });
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address: judge that.
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return is_public(IpAddr::from([a, b, c, d]));
            }
            if s[0] == 0x2002 {
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                return is_public(IpAddr::from([a, b, c, d]));
            }
            !nets.iter().any(|n| n.contains(&ip))
        }
        IpAddr::V4(_) => !nets.iter().any(|n| n.contains(&ip)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(allowed: PrivateNetworks) -> Guard {
        Guard::new(&allowed)
    }

    #[test]
    fn internal_addresses_are_refused_by_default() {
        let g = guard(PrivateNetworks::All(false));
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.9",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.251",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
        ] {
            assert!(!g.permits(ip.parse().unwrap()), "{ip} is internal");
        }
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "2a00:1450:4001:82f::200e",
            "172.32.0.1",
        ] {
            assert!(g.permits(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn operators_may_allow_all_or_some_internal_networks() {
        assert!(guard(PrivateNetworks::All(true)).permits("10.0.0.5".parse().unwrap()));
        let lan = guard(PrivateNetworks::Only(vec![
            "192.168.10.20/32".parse().unwrap(),
        ]));
        assert!(lan.permits("192.168.10.20".parse().unwrap()));
        assert!(!lan.permits("192.168.10.21".parse().unwrap()));
        assert!(!lan.permits("169.254.169.254".parse().unwrap()));
    }

    #[test]
    fn literal_addresses_in_urls_are_checked() {
        let g = guard(PrivateNetworks::All(false));
        for url in [
            "http://127.0.0.1:8080/feed.csv",
            "http://[::1]/feed",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let parsed = url::Url::parse(url).unwrap();
            assert!(g.permits_url(&parsed).is_err(), "{url}");
        }
        let named = url::Url::parse("https://prices.example.rs/feed.csv").unwrap();
        assert!(g.permits_url(&named).is_ok(), "checked when resolved");
    }
}
