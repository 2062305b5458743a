//! [`TlsListener`]: a TCP listener whose connections come out of a TLS handshake, for
//! `axum::serve`.
//!
//! Why an [`axum::serve::Listener`] and not axum's `low-level-rustls` accept loop or
//! `axum-server`: `axum::serve` stays the one place that runs connections (HTTP/1.1 and h2,
//! graceful shutdown, the `Server::run(shutdown)` contract), for plain HTTP and TLS alike, so
//! neither face of the mock grows a second server loop; and `axum-server` would bring its own
//! rustls setup and a second way of shutting down for what is a few lines here.
//!
//! Handshakes run as tasks of their own, a [`HANDSHAKE_TIMEOUT`] each: a client that sends
//! plain HTTP or garbage to the port, or that never finishes its handshake, costs its own
//! connection and delays no one else's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client has to finish its handshake before its connection is closed.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TCP connections and hands `axum::serve` only those whose handshake succeeded.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: JoinSet::new(),
        }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Both branches are cancel-safe: `axum::serve` drops this future on shutdown.
            tokio::select! {
                (tcp, addr) = Listener::accept(&mut self.tcp) => {
                    let _ = tcp.set_nodelay(true);
                    let acceptor = self.acceptor.clone();
                    self.handshakes.spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => Some((tls, addr)),
                            // Not TLS, a failed handshake, or too slow: that connection is
                            // dropped (closed), and only it.
                            Ok(Err(e)) => {
                                tracing::debug!(%addr, "TLS handshake failed: {e}");
                                None
                            }
                            Err(_) => {
                                tracing::debug!(%addr, "TLS handshake timed out");
                                None
                            }
                        }
                    });
                }
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_finishes_its_handshake_is_closed_after_the_timeout() {
        // Arrange: a listener with some certificate, and a client that connects and says
        // nothing.
        let tls = crate::tls::ServerTls::new(&crate::tls::Tls::Ephemeral, "localhost").unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = TlsListener::new(tcp, tls.config);
        let accepting = tokio::spawn(async move {
            listener.accept().await;
        });
        let mut silent = TcpStream::connect(addr).await.unwrap();

        // Act: the paused clock jumps ahead as soon as every task waits.
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(2 * HANDSHAKE_TIMEOUT, silent.read(&mut buf)).await;

        // Assert: closed by the server (end of stream), before the test's own timeout.
        assert!(matches!(read, Ok(Ok(0))), "{read:?}");
        assert!(!accepting.is_finished(), "nothing was handed to the server");
        accepting.abort();
    }
}
