//! argon2id password hashing on a bounded pool of blocking threads, so a burst of sign-ins queues
//! instead of stalling the async workers that serve every other request.

use std::sync::Arc;

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::Argon2Config;

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub matches: bool,
    /// The stored hash uses other parameters than the configured ones: store a fresh hash.
    pub needs_rehash: bool,
}

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the account does not exist, so that
    /// "no such account" takes as long as "wrong password".
    decoy: Arc<OnceCell<String>>,
}

impl Hasher {
    /// `concurrency` 0 means one hash at a time per CPU.
    pub fn new(config: &Argon2Config, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("auth.argon2: {e}"))?;
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            concurrency
        };
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency)),
            decoy: Arc::new(OnceCell::new()),
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// A PHC-format argon2id hash of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let argon2 = self.argon2();
        let password = zeroizing(password);
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await
    }

    /// Checks `password` against `stored`; with no stored hash (unknown account) it does the same
    /// work against a decoy and never matches.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let (stored, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.decoy().await?, false),
        };
        let params = self.params.clone();
        let argon2 = self.argon2();
        let password = zeroizing(password);
        self.run(move || {
            let parsed =
                PasswordHash::new(&stored).context("a stored password hash is malformed")?;
            let matches = argon2.verify_password(password.as_bytes(), &parsed).is_ok() && real;
            let current = Params::try_from(&parsed).ok();
            let needs_rehash = parsed.algorithm.as_str() != "argon2id"
                || current.is_none_or(|p| {
                    p.m_cost() != params.m_cost()
                        || p.t_cost() != params.t_cost()
                        || p.p_cost() != params.p_cost()
                });
            Ok(Verified {
                matches,
                needs_rehash,
            })
        })
        .await
    }

    async fn decoy(&self) -> anyhow::Result<String> {
        self.decoy
            .get_or_try_init(|| async {
                let random = super::random_bytes::<24>()?;
                self.hash(&String::from_utf8_lossy(&random)).await
            })
            .await
            .cloned()
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        // The permit moves into the job: a client that disconnects mid-hash frees its slot only
        // when the hash is done, so cancelled requests cannot pile up hashing threads.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .context("the hashing pool is closed")?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .context("a hashing thread panicked")?
    }
}

/// The password moves to a blocking thread; keep it in a buffer that is wiped when dropped.
fn zeroizing(password: &str) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> Argon2Config {
        Argon2Config {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = Hasher::new(&fast(), 2).unwrap();
        let hash = hasher.hash("ćevapi u lepinji").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        let ok = hasher
            .verify("ćevapi u lepinji", Some(&hash))
            .await
            .unwrap();
        assert_eq!(
            ok,
            Verified {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(
            !hasher
                .verify("ćevapi u somunu", Some(&hash))
                .await
                .unwrap()
                .matches
        );
        assert!(
            !hasher
                .verify("ćevapi u lepinji", None)
                .await
                .unwrap()
                .matches
        );
    }

    #[tokio::test]
    async fn a_hash_with_old_parameters_asks_to_be_replaced() {
        let old = Hasher::new(&fast(), 1)
            .unwrap()
            .hash("pljeskavica 2026")
            .await
            .unwrap();
        let current = Hasher::new(
            &Argon2Config {
                memory_kib: 2048,
                ..fast()
            },
            1,
        )
        .unwrap();
        let verified = current
            .verify("pljeskavica 2026", Some(&old))
            .await
            .unwrap();
        assert!(verified.matches && verified.needs_rehash);
    }
}
