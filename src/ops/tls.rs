//! HTTPS in the binary: rustls with the certificate behind a resolver, so a new one (a renewed
//! file) is swapped in for new handshakes while open connections keep theirs; a poem acceptor that
//! handshakes off the accept loop; and the reload of PEM files on change and on SIGHUP.

use std::{
    io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::{Arc, RwLock},
    task::{Context as TaskContext, Poll},
    time::{Duration, SystemTime},
};

use futures_util::{FutureExt, future::BoxFuture};
use poem::{
    listener::{Acceptor, TcpAcceptor},
    web::{LocalAddr, RemoteAddr},
};
use rustls::{
    ServerConfig,
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};
use time::OffsetDateTime;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::server::TlsStream;

use crate::config::TlsConfig;

/// Why a certificate cannot be used; names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("{key}: cannot read {path}: {source}")]
    Read {
        key: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{key}: {path} holds no {what} in PEM")]
    Empty {
        key: &'static str,
        path: PathBuf,
        what: &'static str,
    },
    #[error("tls.cert_path: {path}: the certificate is not valid X.509: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("tls.key_path: the private key does not match the certificate in {path} ({detail})")]
    Mismatch { path: PathBuf, detail: String },
    #[error("tls.cert_path: the certificate in {path} expired on {not_after}")]
    Expired {
        path: PathBuf,
        not_after: OffsetDateTime,
    },
    #[error("tls.cert_path: the certificate in {path} is not valid before {not_before}")]
    NotYetValid {
        path: PathBuf,
        not_before: OffsetDateTime,
    },
}

/// A certificate ready to serve, with what the self-check, renewal and the logs want to know of it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub subject: String,
    /// The leaf's serial number, in hex.
    pub serial: String,
}

/// The certificate new handshakes get; swapped whole. Empty until the first ACME certificate is
/// in hand (handshakes other than ACME challenges are then refused).
#[derive(Debug)]
pub struct CertResolver {
    current: RwLock<Option<Loaded>>,
}

impl CertResolver {
    pub fn new(first: Loaded) -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(Some(first)),
        })
    }

    pub fn empty() -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(None),
        })
    }

    pub fn swap(&self, next: Loaded) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(next);
    }

    pub fn current(&self) -> Option<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current().map(|c| c.key)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Always the same certificate.
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// TLS 1.2 and 1.3 with ring's cipher suites (AEAD only), ALPN h2 then http/1.1.
pub fn server_config(resolver: Arc<CertResolver>) -> anyhow::Result<Arc<ServerConfig>> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The configuration that answers a tls-alpn-01 validation for `domain` (RFC 8737): a self-signed
/// certificate for the domain carrying the SHA-256 of the key authorization, ALPN `acme-tls/1` only.
pub fn alpn_challenge_config(
    domain: &str,
    key_authorization: &str,
) -> anyhow::Result<Arc<ServerConfig>> {
    let digest = ring::digest::digest(&ring::digest::SHA256, key_authorization.as_bytes());
    let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest.as_ref())];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    // Built by hand: rustls's own checks (webpki) refuse the critical acmeIdentifier extension.
    let signing = provider()
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(key.serialize_der().into()))?;
    let certified = Arc::new(CertifiedKey::new(vec![cert.der().clone()], signing));
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(certified)));
    config.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
    Ok(Arc::new(config))
}

/// Why a PEM certificate and key cannot serve, wherever they came from.
#[derive(Debug, thiserror::Error)]
pub enum PemProblem {
    #[error("no CERTIFICATE in PEM")]
    NoCertificate,
    #[error("no PRIVATE KEY in PEM")]
    NoKey,
    #[error("the certificate is not valid X.509: {0}")]
    Parse(String),
    #[error("the private key does not match the certificate ({0})")]
    Mismatch(String),
    #[error("the certificate expired on {0}")]
    Expired(OffsetDateTime),
    #[error("the certificate is not valid before {0}")]
    NotYetValid(OffsetDateTime),
}

/// A PEM chain (leaf first) and key that belong together, with a leaf valid now.
pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Loaded, PemProblem> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .filter_map(Result::ok)
        .collect();
    let leaf = chain.first().ok_or(PemProblem::NoCertificate)?;
    let facts = leaf_facts(leaf).map_err(PemProblem::Parse)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| PemProblem::NoKey)?;
    let certified = CertifiedKey::from_der(chain, key, &provider())
        .map_err(|e| PemProblem::Mismatch(e.to_string()))?;
    let now = OffsetDateTime::now_utc();
    if now > facts.not_after {
        return Err(PemProblem::Expired(facts.not_after));
    }
    if now < facts.not_before {
        return Err(PemProblem::NotYetValid(facts.not_before));
    }
    Ok(Loaded {
        key: Arc::new(certified),
        not_before: facts.not_before,
        not_after: facts.not_after,
        subject: facts.subject,
        serial: facts.serial,
    })
}

/// Reads a PEM chain (leaf first) and key, checks that they belong together and that the leaf is
/// valid now.
pub fn load(cert_path: &Path, key_path: &Path) -> Result<Loaded, CertError> {
    let read = |key: &'static str, path: &Path| {
        std::fs::read(path).map_err(|source| CertError::Read {
            key,
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read("tls.cert_path", cert_path)?;
    let key_pem = read("tls.key_path", key_path)?;
    let path = cert_path.to_owned();
    from_pem(&cert_pem, &key_pem).map_err(|problem| match problem {
        PemProblem::NoCertificate => CertError::Empty {
            key: "tls.cert_path",
            path,
            what: "CERTIFICATE",
        },
        PemProblem::NoKey => CertError::Empty {
            key: "tls.key_path",
            path: key_path.to_owned(),
            what: "PRIVATE KEY",
        },
        PemProblem::Parse(detail) => CertError::Parse { path, detail },
        PemProblem::Mismatch(detail) => CertError::Mismatch { path, detail },
        PemProblem::Expired(not_after) => CertError::Expired { path, not_after },
        PemProblem::NotYetValid(not_before) => CertError::NotYetValid { path, not_before },
    })
}

struct LeafFacts {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    subject: String,
    serial: String,
}

/// The leaf's validity period, subject and serial.
fn leaf_facts(der: &CertificateDer<'_>) -> Result<LeafFacts, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    let v = cert.validity();
    let at = |t: x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|e| e.to_string())
    };
    Ok(LeafFacts {
        not_before: at(v.not_before)?,
        not_after: at(v.not_after)?,
        subject: cert.subject().to_string(),
        serial: cert.raw_serial_as_string().replace(':', ""),
    })
}

/// Watches the files of `tls.mode = "files"`: a change in either (or SIGHUP) loads them again; a
/// pair that does not load is logged and the current certificate keeps serving.
pub fn watch_files(
    config: &TlsConfig,
    resolver: Arc<CertResolver>,
) -> Option<tokio::task::JoinHandle<()>> {
    let (cert_path, key_path) = (config.cert_path.clone()?, config.key_path.clone()?);
    let interval = Duration::from_secs(config.reload_interval_secs);
    Some(tokio::spawn(async move {
        let stamp = |p: &Path| -> Option<(SystemTime, u64)> {
            let m = std::fs::metadata(p).ok()?;
            Some((m.modified().ok()?, m.len()))
        };
        let mut seen = (stamp(&cert_path), stamp(&key_path));
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            let by_signal = tokio::select! {
                _ = tokio::time::sleep(interval) => false,
                Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => None } } => true,
            };
            let now = (stamp(&cert_path), stamp(&key_path));
            if now == seen && !by_signal {
                continue;
            }
            seen = now;
            match load(&cert_path, &key_path) {
                Ok(next) => {
                    tracing::info!(subject = %next.subject, not_after = %next.not_after, "TLS certificate reloaded");
                    resolver.swap(next);
                }
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; the current one keeps serving")
                }
            }
        }
    }))
}

/// The ALPN protocol of the tls-alpn-01 challenge (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Answers tls-alpn-01 validation handshakes: the configuration (with the challenge certificate)
/// for a server name, when a challenge for it is pending.
pub trait AlpnChallenges: Send + Sync + 'static {
    fn config_for(&self, server_name: String) -> BoxFuture<'static, Option<Arc<ServerConfig>>>;
}

/// A poem acceptor that wraps a TCP acceptor in TLS. The handshake runs when the connection is
/// first read or written, in the connection's own task, so a slow client never holds up the accept
/// loop; it must finish within `handshake_timeout`. The client's hello is read first: a CA
/// validating a tls-alpn-01 challenge (ALPN `acme-tls/1` only) gets the challenge certificate.
pub struct TlsAcceptor {
    inner: TcpAcceptor,
    config: Arc<ServerConfig>,
    challenges: Option<Arc<dyn AlpnChallenges>>,
    handshake_timeout: Duration,
}

impl TlsAcceptor {
    pub fn new(
        inner: TcpAcceptor,
        config: Arc<ServerConfig>,
        challenges: Option<Arc<dyn AlpnChallenges>>,
        handshake_timeout: Duration,
    ) -> Self {
        Self {
            inner,
            config,
            challenges,
            handshake_timeout,
        }
    }
}

async fn handshake(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    challenges: Option<Arc<dyn AlpnChallenges>>,
) -> io::Result<TlsStream<TcpStream>> {
    let start =
        tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
    let hello = start.client_hello();
    let validation = hello
        .alpn()
        .map(|mut offered| offered.all(|p| p == ACME_TLS_ALPN))
        .unwrap_or(false);
    let server_name = hello.server_name().map(str::to_owned);
    let config = match (validation, challenges, server_name) {
        (true, Some(challenges), Some(name)) => match challenges.config_for(name.clone()).await {
            Some(config) => {
                tracing::info!(server_name = %name, "answering a tls-alpn-01 validation");
                config
            }
            None => config,
        },
        _ => config,
    };
    start.into_stream(config).await
}

impl Acceptor for TlsAcceptor {
    type Io = Handshake<TlsStream<TcpStream>>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (stream, local, remote, _) = self.inner.accept().await?;
        // TLS writes a response as several records: without this, Nagle's algorithm and the
        // client's delayed ACK hold the last one back for 40 ms.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY");
        }
        let accept = handshake(stream, self.config.clone(), self.challenges.clone());
        let timeout = self.handshake_timeout;
        let handshake = async move {
            tokio::time::timeout(timeout, accept)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?
        };
        Ok((
            Handshake::Pending(handshake.boxed()),
            local,
            remote,
            poem::http::uri::Scheme::HTTPS,
        ))
    }
}

/// A connection whose TLS handshake finishes on first use.
pub enum Handshake<S> {
    Pending(BoxFuture<'static, io::Result<S>>),
    Ready(S),
    Failed,
}

impl<S: Unpin> Handshake<S> {
    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<io::Result<&mut S>> {
        loop {
            match self {
                Handshake::Pending(f) => match f.poll_unpin(cx) {
                    Poll::Ready(Ok(s)) => *self = Handshake::Ready(s),
                    Poll::Ready(Err(e)) => {
                        *self = Handshake::Failed;
                        return Poll::Ready(Err(e));
                    }
                    Poll::Pending => return Poll::Pending,
                },
                Handshake::Ready(s) => return Poll::Ready(Ok(s)),
                Handshake::Failed => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the TLS handshake failed",
                    )));
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Handshake<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().poll_ready(cx) {
            Poll::Ready(Ok(s)) => Pin::new(s).poll_read(cx, buf),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Handshake<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().poll_ready(cx) {
            Poll::Ready(Ok(s)) => Pin::new(s).poll_write(cx, buf),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().poll_ready(cx) {
            Poll::Ready(Ok(s)) => Pin::new(s).poll_flush(cx),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().poll_ready(cx) {
            Poll::Ready(Ok(s)) => Pin::new(s).poll_shutdown(cx),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}
