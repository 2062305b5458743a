//! One engine, two faces: the binary and [`MockIdp`](crate::MockIdp) both bind a [`Server`]
//! and run the same router.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::engine::{AppState, Idp, IdpConfig, SharedIdp, StartError};
use crate::http::{app, served};
use crate::tls::{ServerTls, TlsListener};

/// A bound, not yet running mock.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = mock_idp::Server::bind("127.0.0.1:4000", mock_idp::IdpConfig::default()).await?;
/// println!("issuer {}", server.issuer());
/// server.run(async { tokio::signal::ctrl_c().await.ok(); }).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    slot: AppState,
    /// `None` for plain HTTP.
    tls: Option<ServerTls>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and builds the engine for `config`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server, StartError};
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default()).await.unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    ///
    /// // A port in use is an error, not a panic.
    /// let taken = server.local_addr().to_string();
    /// let error = Server::bind(&taken, IdpConfig::default()).await.unwrap_err();
    /// assert!(matches!(error, StartError::Bind { .. }));
    /// # }
    /// ```
    pub async fn bind(addr: &str, mut config: IdpConfig) -> Result<Self, StartError> {
        if config.tls.is_some() {
            crate::tls::warm_entropy();
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: addr.to_owned(),
                source,
            })?
            .port();
        let tls = config.tls.take();
        if tls.is_some() && config.issuer.is_none() {
            config.issuer = Some("https://localhost:{port}/".into());
        }
        let idp = Arc::new(Idp::new(config, port)?);
        // `bind` is awaited on the runtime that will serve: background work goes there too.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            idp.run_background_on(runtime);
        }
        let tls = match tls {
            Some(tls) => Some(ServerTls::new(&tls, &issuer_host(idp.issuer()))?),
            None => None,
        };
        Ok(Self {
            listener,
            slot: AppState::serving(idp),
            tls,
        })
    }

    /// The certificate of the CA to trust, as PEM, when the mock speaks TLS with a
    /// certificate it signed ([`Tls::LocalCa`](crate::Tls::LocalCa),
    /// [`Tls::Ephemeral`](crate::Tls::Ephemeral)); `None` for plain HTTP and for your own
    /// certificate.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server, Tls};
    /// let config = IdpConfig { tls: Some(Tls::Ephemeral), ..IdpConfig::default() };
    /// let server = Server::bind("127.0.0.1:0", config).await.unwrap();
    /// assert!(server.ca_certificate_pem().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    /// assert_eq!(server.issuer(), format!("https://localhost:{}/", server.local_addr().port()));
    /// # }
    /// ```
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.tls.as_ref()?.ca_pem.as_deref()
    }

    /// The address it listens on.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let server = mock_idp::Server::bind("127.0.0.1:0", mock_idp::IdpConfig::default()).await.unwrap();
    /// let addr = server.local_addr();
    /// assert!(addr.ip().is_loopback());
    /// assert!(std::net::TcpStream::connect(addr).is_ok(), "bound and listening before `run`");
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The issuer, with its trailing slash.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server};
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default()).await.unwrap();
    /// assert_eq!(server.issuer(), format!("http://localhost:{}/", server.local_addr().port()));
    ///
    /// // `{port}` in a configured issuer is the bound port.
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default().issuer("http://mock-idp:{port}")).await.unwrap();
    /// assert_eq!(server.issuer(), format!("http://mock-idp:{}/", server.local_addr().port()));
    /// # }
    /// ```
    pub fn issuer(&self) -> &str {
        self.slot.engine().issuer()
    }

    /// The router, for driving the mock without a socket (`tower::ServiceExt::oneshot`).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use axum::body::Body;
    /// use axum::http::Request;
    /// use tower::ServiceExt;
    ///
    /// let server = mock_idp::Server::bind("127.0.0.1:0", mock_idp::IdpConfig::default()).await.unwrap();
    /// let response = server
    ///     .router()
    ///     .oneshot(Request::get("/.well-known/jwks.json").body(Body::empty()).unwrap())
    ///     .await
    ///     .unwrap();
    /// assert_eq!(response.status(), 200);
    /// # }
    /// ```
    pub fn router(&self) -> Router {
        app(self.slot.clone())
    }

    pub(crate) fn idp(&self) -> SharedIdp {
        self.slot.engine()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server};
    /// // Arrange
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default()).await.unwrap();
    /// let health = format!("http://{}/health", server.local_addr());
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let running = tokio::spawn(server.run(async { stopped.await.ok(); }));
    ///
    /// // Act
    /// let status = reqwest::get(&health).await.unwrap().status();
    /// stop.send(()).unwrap();
    ///
    /// // Assert: it served, then shut down cleanly when asked.
    /// assert_eq!(status, 200);
    /// assert!(running.await.unwrap().is_ok());
    /// # }
    /// ```
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service =
            axum::ServiceExt::<axum::extract::Request>::into_make_service(served(self.slot));
        if let Some(tls) = self.tls {
            return axum::serve(TlsListener::new(self.listener, tls.config), service)
                .with_graceful_shutdown(shutdown)
                .await;
        }
        use axum::serve::ListenerExt;
        let listener = self.listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// The issuer's host as a certificate names it: no brackets around an IPv6 address.
fn issuer_host(issuer: &str) -> String {
    match url::Url::parse(issuer)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(name)) => name,
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => "localhost".to_owned(),
    }
}
