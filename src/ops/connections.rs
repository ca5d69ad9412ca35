//! Requests that stop when their client hangs up. hyper notices a closed HTTP/1 connection while a
//! request is in flight, but poem awaits the connection again after that error, which drives the
//! request's handler to its end: a client that leaves would not stop the work it asked for. So each
//! accepted connection gets a token, cancelled when a read from it finds the end of the stream or
//! fails, or when it is dropped; the request path ([`crate::api::middleware::hang_up`]) drops a
//! request whose connection's token is cancelled. (HTTP/2 streams a client resets are dropped by
//! hyper itself.)

use std::{
    collections::HashMap,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use poem::{
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

/// The open connections by peer address, each with the token cancelled when it closes.
#[derive(Clone, Default)]
pub struct Connections(Arc<Inner>);

#[derive(Default)]
struct Inner {
    open: Mutex<HashMap<SocketAddr, (u64, CancellationToken)>>,
    next: AtomicU64,
}

impl Connections {
    /// The token of the connection from `peer`, cancelled once that client has gone.
    pub fn of(&self, peer: &SocketAddr) -> Option<CancellationToken> {
        self.lock().get(peer).map(|(_, token)| token.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, (u64, CancellationToken)>> {
        self.0.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An acceptor whose connections report their closing to [`Connections`].
pub struct Watched<A> {
    inner: A,
    connections: Connections,
}

impl<A> Watched<A> {
    pub fn new(inner: A, connections: Connections) -> Self {
        Self { inner, connections }
    }
}

impl<A: Acceptor> Acceptor for Watched<A> {
    type Io = WatchedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let token = CancellationToken::new();
        let id = self.connections.0.next.fetch_add(1, Ordering::Relaxed);
        let peer = remote.as_socket_addr().copied();
        if let Some(peer) = peer {
            self.connections.lock().insert(peer, (id, token.clone()));
        }
        let io = WatchedIo {
            io,
            token,
            peer,
            id,
            connections: self.connections.clone(),
        };
        Ok((io, local, remote, scheme))
    }
}

/// A connection that cancels its token when it ends.
pub struct WatchedIo<Io> {
    io: Io,
    token: CancellationToken,
    peer: Option<SocketAddr>,
    id: u64,
    connections: Connections,
}

impl<Io> Drop for WatchedIo<Io> {
    fn drop(&mut self) {
        self.token.cancel();
        if let Some(peer) = self.peer {
            let mut open = self.connections.lock();
            if open.get(&peer).is_some_and(|(id, _)| *id == self.id) {
                open.remove(&peer);
            }
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for WatchedIo<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let (before, room) = (buf.filled().len(), buf.remaining() > 0);
        let read = Pin::new(&mut self.io).poll_read(cx, buf);
        match &read {
            // Nothing read into room for something: the end of the stream.
            Poll::Ready(Ok(())) if room && buf.filled().len() == before => self.token.cancel(),
            Poll::Ready(Err(_)) => self.token.cancel(),
            _ => {}
        }
        read
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for WatchedIo<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Err(_)) = &written {
            self.token.cancel();
        }
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use poem::listener::{Listener, TcpListener};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn a_closed_connection_cancels_its_token() {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let connections = Connections::default();
        let mut watched = Watched::new(acceptor, connections.clone());
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut io, _, remote, _) = watched.accept().await.unwrap();
        let token = connections.of(remote.as_socket_addr().unwrap()).unwrap();
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        assert!(io.read(&mut buf).await.unwrap() > 0);
        assert!(!token.is_cancelled(), "open while the client is there");
        drop(client);
        assert_eq!(io.read(&mut buf).await.unwrap(), 0);
        assert!(token.is_cancelled());
        drop(io);
        assert!(connections.of(remote.as_socket_addr().unwrap()).is_none());
    }
}
