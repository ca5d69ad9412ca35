//! Certificates from an ACME CA (RFC 8555) with instant-acme: every node runs the same loop.
//!
//! - It serves the newest certificate stored in PostgreSQL for its domains (keys sealed with the
//!   storage key), so a certificate one node obtains reaches the others within
//!   `tls.acme.check_interval_secs`.
//! - When none is stored, or a third of its lifetime remains (or the CA's ARI window opens), the node
//!   that gets an advisory lock orders one. Challenges are published in PostgreSQL, so whichever node
//!   the CA's validation reaches answers it: tls-alpn-01 on the HTTPS port, http-01 on the plain port.
//! - A failure is recorded with the time the next try is allowed (exponential backoff with jitter,
//!   shared by all nodes); the current certificate keeps serving.
//! - Copies of the account and of the certificate and key are written to `<data_dir>/acme` (0600).

use std::{
    path::PathBuf,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use futures_util::{FutureExt, future::BoxFuture};
use http_body_util::{BodyExt, Full};
use instant_acme::{
    Account, AccountCredentials, BodyWrapper, BytesResponse, CertificateIdentifier, ChallengeType,
    ExternalAccountKey, HttpClient, Identifier, NewAccount, NewOrder, Order, OrderStatus,
    RetryPolicy,
};
use rustls::ServerConfig;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::{
    config::{AcmeChallenge, AcmeConfig, Config},
    db,
    domain::renewal,
    ops::{
        leader::node_name,
        seal::{SealError, Sealer},
        tls::{self, AlpnChallenges, CertResolver, Loaded},
    },
};

/// The file in the data directory holding a generated storage key (single node).
const STORAGE_KEY_FILE: &str = "acme-storage.key";

/// The key that seals ACME secrets in PostgreSQL: configured, or generated on a single node.
pub fn storage_key(config: &Config) -> anyhow::Result<SecretString> {
    if let Some(key) = &config.tls.acme.storage_key {
        return Ok(key.clone());
    }
    if let Some(problem) = config.acme_key_problem() {
        anyhow::bail!(problem);
    }
    crate::auth::load_or_generate(
        &config.storage.data_dir.join(STORAGE_KEY_FILE),
        "the ACME storage key",
    )
}

/// This node's ACME loop and the challenge answers it serves.
#[derive(Clone)]
pub struct Acme(Arc<Inner>);

struct Inner {
    config: AcmeConfig,
    /// The certificate's name in the store: its domains, sorted.
    name: String,
    pool: PgPool,
    resolver: Arc<CertResolver>,
    sealer: Sealer,
    node: String,
    /// `<data_dir>/acme`: copies for operators.
    dir: PathBuf,
    http: reqwest::Client,
    wake: Notify,
    forced: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The stored certificate being served, and the newest one looked at (installed or not).
    installed: Option<i64>,
    seen: Option<i64>,
    account: Option<Account>,
    /// The CA's renewal window for the installed certificate, when it offers ARI.
    ari: Option<Ari>,
    ari_unsupported: bool,
}

#[derive(Clone, Copy)]
struct Ari {
    serial_of: i64,
    renew_at: OffsetDateTime,
    ask_again_at: OffsetDateTime,
}

/// A certificate just issued.
struct Issued {
    chain_pem: String,
    key_pem: String,
    loaded: Loaded,
}

/// What admins see of the certificate and the attempts to get one.
#[derive(Debug, Clone)]
pub struct Status {
    pub domains: Vec<String>,
    pub directory_url: String,
    pub challenge: AcmeChallenge,
    pub certificate: Option<Loaded>,
    pub renew_at: Option<OffsetDateTime>,
    pub retry_at: Option<OffsetDateTime>,
    pub failures: u32,
}

impl Acme {
    pub fn new(
        config: &Config,
        pool: PgPool,
        resolver: Arc<CertResolver>,
        storage_key: &SecretString,
    ) -> anyhow::Result<Self> {
        let acme = config.tls.acme.clone();
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("sports-nutrition/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &acme.ca_root {
            let pem = std::fs::read(path)
                .with_context(|| format!("tls.acme.ca_root: cannot read {}", path.display()))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem).with_context(|| {
                format!(
                    "tls.acme.ca_root: {} holds no PEM certificate",
                    path.display()
                )
            })?;
            if roots.is_empty() {
                anyhow::bail!(
                    "tls.acme.ca_root: {} holds no PEM certificate",
                    path.display()
                );
            }
            for root in roots {
                http = http.add_root_certificate(root);
            }
        }
        Ok(Self(Arc::new(Inner {
            name: acme.certificate_name(),
            config: acme,
            pool,
            resolver,
            sealer: Sealer::new(storage_key),
            node: node_name(),
            dir: config.storage.data_dir.join("acme"),
            http: http.build()?,
            wake: Notify::new(),
            forced: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        })))
    }

    /// Serves a stored certificate right away, if there is one; the loop does the rest.
    pub async fn install_stored(&self) {
        if let Err(e) = self.pick_up().await {
            tracing::warn!(
                error = format!("{e:#}"),
                "ACME: no stored certificate installed"
            );
        }
    }

    /// Runs the loop until aborted.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let check = Duration::from_secs(this.0.config.check_interval_secs);
            loop {
                let wait = match this.step().await {
                    Ok(wait) => wait,
                    Err(e) => {
                        tracing::warn!(
                            error = format!("{e:#}"),
                            "ACME: checking the certificate failed"
                        );
                        check
                    }
                };
                let wait = wait.clamp(Duration::from_millis(100), check);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = this.0.wake.notified() => {}
                }
            }
        })
    }

    /// Orders a new certificate now, whatever the renewal time and backoff (an admin asked).
    pub fn renew_now(&self) {
        self.0.forced.store(true, Ordering::SeqCst);
        self.0.wake.notify_one();
    }

    pub async fn status(&self) -> anyhow::Result<Status> {
        let inner = &*self.0;
        let certificate = inner.resolver.current();
        let renew_at = match &certificate {
            Some(c) => Some(self.renewal_time(c).await),
            None => None,
        };
        let (failures, retry_at) =
            db::acme::failures(&inner.pool, &inner.name, &inner.config.directory_url).await?;
        Ok(Status {
            domains: inner.config.domains.clone(),
            directory_url: inner.config.directory_url.clone(),
            challenge: inner.config.challenge,
            certificate,
            renew_at,
            retry_at,
            failures,
        })
    }

    /// The key authorization for an http-01 token, if one of this cluster's orders is pending.
    pub async fn http_challenge(&self, token: &str) -> Option<String> {
        if token.is_empty()
            || token.len() > 256
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        db::acme::challenge(&self.0.pool, AcmeChallenge::Http01.as_str(), token)
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "ACME: looking up an http-01 challenge"))
            .ok()
            .flatten()
    }

    /// One turn of the loop: pick up a stored certificate, order one if due; how long to wait.
    async fn step(&self) -> anyhow::Result<Duration> {
        let inner = &*self.0;
        self.pick_up().await?;
        let forced = inner.forced.load(Ordering::SeqCst);
        if let Some(wait) = self.not_yet(forced).await? {
            return Ok(wait);
        }
        // One node orders at a time; the lock lives on this connection until released.
        let mut conn = inner.pool.acquire().await?;
        let lock = format!("sports-nutrition:acme:{}", inner.name);
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(&lock)
            .fetch_one(&mut *conn)
            .await?;
        if !mine {
            tracing::debug!("ACME: another node is ordering; waiting for its certificate");
            return Ok(Duration::from_secs(2));
        }
        let result = self.attempt(forced).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
            .bind(&lock)
            .execute(&mut *conn)
            .await;
        if unlocked.is_err() {
            // Never hand a connection that may still hold the lock back to the pool.
            conn.close_on_drop();
        }
        result
    }

    /// `Some(wait)` when nothing is to be done now: the certificate is not due, or the last
    /// failure's backoff has not passed.
    async fn not_yet(&self, forced: bool) -> anyhow::Result<Option<Duration>> {
        if forced {
            return Ok(None);
        }
        let inner = &*self.0;
        let now = OffsetDateTime::now_utc();
        if let Some(current) = inner.resolver.current() {
            let due = self.renewal_time(&current).await;
            if due > now {
                return Ok(Some(until(due)));
            }
        }
        let (_, retry_at) =
            db::acme::failures(&inner.pool, &inner.name, &inner.config.directory_url).await?;
        Ok(retry_at.filter(|r| *r > now).map(until))
    }

    /// Under the lock: look again (another node may just have finished), then order.
    async fn attempt(&self, forced: bool) -> anyhow::Result<Duration> {
        let inner = &*self.0;
        self.pick_up().await?;
        if let Some(wait) = self.not_yet(forced).await? {
            return Ok(wait);
        }
        inner.forced.store(false, Ordering::SeqCst);
        let reason = match (forced, inner.resolver.current().is_some()) {
            (true, _) => "forced",
            (false, true) => "renewal",
            (false, false) => "first",
        };
        let challenge = inner.config.challenge.as_str();
        let directory = &inner.config.directory_url;
        let id = db::acme::start_attempt(
            &inner.pool,
            &inner.name,
            &inner.node,
            reason,
            challenge,
            directory,
        )
        .await?;
        tracing::info!(domains = %inner.name, reason, challenge, directory, "ACME: ordering a certificate");
        let timeout = Duration::from_secs(inner.config.order_timeout_secs);
        let outcome = match tokio::time::timeout(timeout, self.order()).await {
            Ok(Ok(issued)) => self.store(issued).await,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(anyhow::anyhow!(
                "the order did not finish within tls.acme.order_timeout_secs ({} s)",
                inner.config.order_timeout_secs
            )),
        };
        match outcome {
            Ok((certificate_id, loaded)) => {
                db::acme::finish_attempt(&inner.pool, id, Ok(certificate_id)).await?;
                tracing::info!(serial = %loaded.serial, not_after = %loaded.not_after, "ACME: certificate issued and installed");
                Ok(until(renewal::renew_at(
                    loaded.not_before,
                    loaded.not_after,
                )))
            }
            Err(e) => {
                let (failures, _) = db::acme::failures(&inner.pool, &inner.name, directory).await?;
                let failures = failures + 1;
                let delay = renewal::retry_delay(
                    failures,
                    Duration::from_secs(inner.config.retry_initial_secs),
                    Duration::from_secs(inner.config.retry_max_secs),
                    jitter(),
                );
                let retry_at = OffsetDateTime::now_utc() + delay;
                let error = format!("{e:#}");
                tracing::warn!(%error, failures, retry_in_s = delay.as_secs(), "ACME: no certificate this time; the current one (if any) keeps serving");
                db::acme::finish_attempt(&inner.pool, id, Err((&error, retry_at))).await?;
                Ok(delay)
            }
        }
    }

    /// Seals and stores a new certificate, then serves it.
    async fn store(&self, issued: Issued) -> anyhow::Result<(i64, Loaded)> {
        let inner = &*self.0;
        let key_sealed = inner.sealer.seal(
            &key_purpose(&inner.name, &issued.loaded.serial),
            issued.key_pem.as_bytes(),
        )?;
        let id = db::acme::insert_certificate(
            &inner.pool,
            &db::acme::NewCertificate {
                name: &inner.name,
                directory_url: &inner.config.directory_url,
                chain_pem: &issued.chain_pem,
                key_sealed: &key_sealed,
                serial: &issued.loaded.serial,
                not_before: issued.loaded.not_before,
                not_after: issued.loaded.not_after,
                node: &inner.node,
            },
        )
        .await?;
        self.install(
            id,
            issued.loaded.clone(),
            &issued.chain_pem,
            &issued.key_pem,
        );
        Ok((id, issued.loaded))
    }

    /// Serves the newest stored certificate if it is not the one being served.
    async fn pick_up(&self) -> anyhow::Result<()> {
        let inner = &*self.0;
        let Some(id) =
            db::acme::newest_id(&inner.pool, &inner.name, &inner.config.directory_url).await?
        else {
            return Ok(());
        };
        if self.lock().seen == Some(id) {
            return Ok(());
        }
        self.lock().seen = Some(id);
        let stored = db::acme::certificate(&inner.pool, id)
            .await?
            .context("the stored certificate vanished")?;
        let key_pem = inner
            .sealer
            .open(
                &key_purpose(&inner.name, &stored.serial),
                &stored.key_sealed,
            )
            .context("opening the stored certificate's key")?;
        let loaded = tls::from_pem(stored.chain_pem.as_bytes(), &key_pem)
            .context("the stored certificate cannot serve")?;
        tracing::info!(serial = %loaded.serial, not_after = %loaded.not_after, obtained_by = %stored.node, "ACME: serving the stored certificate");
        let key_pem = String::from_utf8(key_pem).context("the stored key is not PEM")?;
        self.install(id, loaded, &stored.chain_pem, &key_pem);
        Ok(())
    }

    fn install(&self, id: i64, loaded: Loaded, chain_pem: &str, key_pem: &str) {
        let inner = &*self.0;
        inner.resolver.swap(loaded);
        {
            let mut state = self.lock();
            state.installed = Some(id);
            state.seen = Some(id);
            state.ari = None;
        }
        let first = inner
            .config
            .domains
            .first()
            .map(String::as_str)
            .unwrap_or("certificate");
        let dir = inner.dir.join(first);
        if let Err(e) =
            crate::ops::files::write_private(&dir, "fullchain.pem", chain_pem.as_bytes()).and_then(
                |()| crate::ops::files::write_private(&dir, "privkey.pem", key_pem.as_bytes()),
            )
        {
            tracing::warn!(error = %e, dir = %dir.display(), "ACME: copying the certificate to the data directory");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the served certificate is due: in the CA's ARI window when it offers one, else a third
    /// of its lifetime before the end.
    async fn renewal_time(&self, current: &Loaded) -> OffsetDateTime {
        let fallback = renewal::renew_at(current.not_before, current.not_after);
        let Some(installed) = self.lock().installed else {
            return fallback;
        };
        let now = OffsetDateTime::now_utc();
        {
            let state = self.lock();
            if state.ari_unsupported {
                return fallback;
            }
            if let Some(ari) = state.ari.filter(|a| a.serial_of == installed) {
                if ari.ask_again_at > now {
                    return ari.renew_at;
                }
            }
        }
        match self.ask_ari(current).await {
            Ok(Some((window, retry_after))) => {
                let renew_at = renewal::in_window(window.start, window.end, jitter());
                let ask_again_at =
                    now + retry_after.clamp(Duration::from_secs(3600), Duration::from_secs(86_400));
                self.lock().ari = Some(Ari {
                    serial_of: installed,
                    renew_at,
                    ask_again_at,
                });
                renew_at
            }
            Ok(None) => fallback,
            Err(e) => {
                tracing::debug!(
                    error = format!("{e:#}"),
                    "ACME: no renewal information from the CA"
                );
                self.lock().ari = Some(Ari {
                    serial_of: installed,
                    renew_at: fallback,
                    ask_again_at: now + time::Duration::hours(1),
                });
                fallback
            }
        }
    }

    /// The CA's suggested renewal window (RFC 9773), with an account already stored; `None` when
    /// the CA does not offer it.
    async fn ask_ari(
        &self,
        current: &Loaded,
    ) -> anyhow::Result<Option<(instant_acme::SuggestedWindow, Duration)>> {
        let Some(account) = self.account(false).await? else {
            return Ok(None);
        };
        let Some(leaf) = current.key.cert.first() else {
            return Ok(None);
        };
        let id = CertificateIdentifier::try_from(leaf).map_err(|e| anyhow::anyhow!(e))?;
        match account.renewal_info(&id).await {
            Ok((info, retry_after)) => Ok(Some((info.suggested_window, retry_after))),
            Err(instant_acme::Error::Unsupported(_)) => {
                self.lock().ari_unsupported = true;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The account at the CA: cached, stored (sealed) in PostgreSQL, or, with `create`, registered.
    async fn account(&self, create: bool) -> anyhow::Result<Option<Account>> {
        let inner = &*self.0;
        if let Some(account) = self.lock().account.clone() {
            return Ok(Some(account));
        }
        let directory = &inner.config.directory_url;
        let purpose = format!("acme-account:{directory}");
        let stored = db::acme::account(&inner.pool, directory).await?;
        let credentials = match stored.map(|sealed| inner.sealer.open(&purpose, &sealed)) {
            Some(Ok(json)) => Some(serde_json::from_slice::<AccountCredentials>(&json)?),
            Some(Err(SealError::Open)) if create => {
                tracing::error!(
                    "ACME: the stored account does not open with this tls.acme.storage_key; registering a new one"
                );
                None
            }
            Some(Err(e)) => return Err(e).context("opening the stored ACME account"),
            None => None,
        };
        let account = match credentials {
            Some(credentials) => Account::builder_with_http(Box::new(AcmeHttp(inner.http.clone())))
                .from_credentials(credentials)
                .await
                .context("reaching the CA's directory")?,
            None if create => {
                let contacts: Vec<String> = inner
                    .config
                    .contact
                    .iter()
                    .map(|c| format!("mailto:{c}"))
                    .collect();
                let contacts: Vec<&str> = contacts.iter().map(String::as_str).collect();
                let eab = match (&inner.config.eab_key_id, &inner.config.eab_hmac_key) {
                    (Some(id), Some(key)) => Some(ExternalAccountKey::new(
                        id.clone(),
                        &decode_eab(key).context("tls.acme.eab_hmac_key")?,
                    )),
                    _ => None,
                };
                let (account, credentials) =
                    Account::builder_with_http(Box::new(AcmeHttp(inner.http.clone())))
                        .create(
                            &NewAccount {
                                contact: &contacts,
                                terms_of_service_agreed: true,
                                only_return_existing: false,
                            },
                            directory.clone(),
                            eab.as_ref(),
                        )
                        .await
                        .context("registering an account with the CA")?;
                let json = serde_json::to_vec(&credentials)?;
                db::acme::save_account(
                    &inner.pool,
                    directory,
                    &inner.sealer.seal(&purpose, &json)?,
                )
                .await?;
                if let Err(e) = crate::ops::files::write_private(&inner.dir, "account.json", &json)
                {
                    tracing::warn!(error = %e, "ACME: copying the account to the data directory");
                }
                tracing::info!(id = account.id(), directory, "ACME: account registered");
                account
            }
            None => return Ok(None),
        };
        self.lock().account = Some(account.clone());
        Ok(Some(account))
    }

    /// Orders a certificate: challenges published for every node to answer, validation, a new key
    /// and CSR, the chain.
    async fn order(&self) -> anyhow::Result<Issued> {
        let inner = &*self.0;
        let account = self.account(true).await?.context("no ACME account")?;
        let identifiers: Vec<Identifier> = inner
            .config
            .domains
            .iter()
            .map(|d| Identifier::Dns(d.clone()))
            .collect();
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .context("creating the order")?;
        let mut published = Vec::new();
        let result = self.validate_and_finalize(&mut order, &mut published).await;
        if !published.is_empty() {
            let kind = inner.config.challenge.as_str();
            if let Err(e) = db::acme::remove_challenges(&inner.pool, kind, &published).await {
                tracing::warn!(error = %e, "ACME: removing answered challenges");
            }
        }
        result
    }

    async fn validate_and_finalize(
        &self,
        order: &mut Order,
        published: &mut Vec<String>,
    ) -> anyhow::Result<Issued> {
        let inner = &*self.0;
        let kind = inner.config.challenge;
        let wanted = match kind {
            AcmeChallenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
            AcmeChallenge::Http01 => ChallengeType::Http01,
        };
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization.context("fetching an authorization")?;
            let domain = authorization.identifier().to_string();
            match authorization.status {
                instant_acme::AuthorizationStatus::Pending => {}
                instant_acme::AuthorizationStatus::Valid => continue,
                other => anyhow::bail!("the CA's authorization for {domain} is {other:?}"),
            }
            let mut challenge = authorization.challenge(wanted.clone()).with_context(|| {
                format!("the CA offers no {} challenge for {domain}", kind.as_str())
            })?;
            let key_authorization = challenge.key_authorization();
            let name = match kind {
                AcmeChallenge::Http01 => challenge.token.clone(),
                AcmeChallenge::TlsAlpn01 => domain.to_ascii_lowercase(),
            };
            db::acme::put_challenge(
                &inner.pool,
                kind.as_str(),
                &name,
                key_authorization.as_str(),
            )
            .await?;
            published.push(name);
            challenge
                .set_ready()
                .await
                .with_context(|| format!("the {} challenge for {domain}", kind.as_str()))?;
        }
        let timeout = Duration::from_secs(inner.config.order_timeout_secs);
        let retries = RetryPolicy::new()
            .initial_delay(Duration::from_millis(500))
            .backoff(1.5)
            .timeout(timeout);
        let status = order
            .poll_ready(&retries)
            .await
            .context("waiting for the CA to validate")?;
        if status != OrderStatus::Ready {
            anyhow::bail!(why_invalid(order).await);
        }
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(inner.config.domains.clone())?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        let csr = params.serialize_request(&key)?;
        order
            .finalize_csr(csr.der())
            .await
            .context("finalizing the order")?;
        let chain_pem = order
            .poll_certificate(&retries)
            .await
            .context("downloading the certificate")?;
        let key_pem = key.serialize_pem();
        let loaded = tls::from_pem(chain_pem.as_bytes(), key_pem.as_bytes())
            .context("the CA's certificate cannot serve")?;
        Ok(Issued {
            chain_pem,
            key_pem,
            loaded,
        })
    }
}

/// Why the CA marked the order invalid: its error and each failed challenge's.
async fn why_invalid(order: &mut Order) -> String {
    let mut reasons = Vec::new();
    if let Some(problem) = &order.state().error {
        reasons.push(problem.to_string());
    }
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authorization)) = authorizations.next().await {
        if let Ok(state) = authorization.refresh().await {
            let domain = state.identifier().to_string();
            for challenge in &state.challenges {
                if let Some(problem) = &challenge.error {
                    reasons.push(format!("{domain}: {problem}"));
                }
            }
        }
    }
    if reasons.is_empty() {
        "the CA did not validate the order".into()
    } else {
        format!("the CA did not validate the order: {}", reasons.join("; "))
    }
}

impl AlpnChallenges for Acme {
    fn config_for(&self, server_name: String) -> BoxFuture<'static, Option<Arc<ServerConfig>>> {
        let inner = self.0.clone();
        async move {
            let domain = server_name.to_ascii_lowercase();
            // Only the configured domains: a hostile hello costs no database query.
            if !inner
                .config
                .domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&domain))
            {
                return None;
            }
            let key_authorization =
                db::acme::challenge(&inner.pool, AcmeChallenge::TlsAlpn01.as_str(), &domain)
                    .await
                    .inspect_err(
                        |e| tracing::warn!(error = %e, "ACME: looking up a tls-alpn-01 challenge"),
                    )
                    .ok()??;
            tls::alpn_challenge_config(&domain, &key_authorization)
                .inspect_err(
                    |e| tracing::warn!(error = %e, "ACME: building the tls-alpn-01 certificate"),
                )
                .ok()
        }
        .boxed()
    }
}

/// instant-acme's HTTP through reqwest: the public roots plus `tls.acme.ca_root`, with timeouts.
struct AcmeHttp(reqwest::Client);

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        req: http::Request<BodyWrapper<bytes::Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let client = self.0.clone();
        Box::pin(async move {
            let other = |e: Box<dyn std::error::Error + Send + Sync>| instant_acme::Error::Other(e);
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| other(Box::new(e)))?
                .to_bytes();
            let response = super::telemetry::send(
                client
                    .request(parts.method, parts.uri.to_string())
                    .headers(parts.headers)
                    .body(body),
                "acme",
            )
            .await
            .map_err(|e| other(Box::new(e)))?;
            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let bytes = response.bytes().await.map_err(|e| other(Box::new(e)))?;
            Ok(BytesResponse::from(builder.body(Full::new(bytes))?))
        })
    }
}

fn key_purpose(name: &str, serial: &str) -> String {
    format!("tls-key:{name}:{serial}")
}

fn decode_eab(key: &SecretString) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key.expose_secret().trim_end_matches('='))?)
}

fn until(t: OffsetDateTime) -> Duration {
    (t - OffsetDateTime::now_utc())
        .try_into()
        .unwrap_or(Duration::ZERO)
}

/// A random fraction in [0, 1).
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}
