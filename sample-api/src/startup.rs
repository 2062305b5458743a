//! Building and running the API: `Application` (a bound listener plus a router), which
//! [`Application::spawn`] runs in the background for tests, and [`app`], the router alone,
//! for tests that `oneshot` requests without a socket.

use std::{future::Future, io, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::FromRef,
    http::{HeaderValue, Method, Request, header},
};
use tokio::net::TcpListener;
use tower_http::{cors::CorsLayer, trace::TraceLayer};

use crate::{
    auth::{AuthSettings, Clock, FetchError, JwksCache, KeySource, SystemClock, Validator},
    configuration::{ConfigError, Settings},
    routes,
};

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Validates bearer tokens.
    pub validator: Validator,
    /// Origins CORS lets call the API from a browser.
    pub allowed_origins: Vec<HeaderValue>,
}

impl FromRef<AppState> for Validator {
    fn from_ref(state: &AppState) -> Self {
        state.validator.clone()
    }
}

impl AppState {
    /// State for `settings`, with the JWKS cache timed by `clock`.
    pub fn from_settings(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let issuer = settings.issuer()?;
        let source = match settings.jwks_url()? {
            Some(url) => KeySource::JwksUri(url),
            None => KeySource::Discovery {
                issuer: issuer.clone(),
            },
        };
        let jwks = JwksCache::with_clock(source, settings.jwks_settings(), clock);
        let mut auth = AuthSettings::new(issuer, settings.audience.clone());
        auth.leeway = settings.leeway();
        let allowed_origins = settings
            .allowed_origins
            .iter()
            .map(|origin| {
                HeaderValue::from_str(origin).map_err(|e| ConfigError::Invalid {
                    name: "allowed origin",
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            validator: Validator::new(auth, jwks),
            allowed_origins,
        })
    }
}

/// The whole HTTP surface: routes, CORS, request tracing.
pub fn app(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(state.allowed_origins.clone())
        .allow_methods([Method::GET])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    // The default span would record the URI, query string included, and a query string can
    // carry `access_token`. Tokens are never logged, so record the path only.
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
    });
    routes::api_routes()
        .with_state(state)
        .layer(cors)
        .layer(trace)
}

/// Why the API could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The IdP's discovery document names another issuer: a configuration error, so the
    /// API refuses to start rather than reject every token.
    #[error(transparent)]
    IssuerMismatch(FetchError),
}

/// A bound, ready-to-run API.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
}

impl Application {
    /// Binds the listener and checks the IdP's discovery document.
    ///
    /// An IdP that is unreachable at startup is not fatal (the API answers 503 until it can
    /// fetch keys); one that names another issuer is.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`build`](Self::build), with the JWKS cache timed by `clock`.
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let state = AppState::from_settings(&settings, clock)?;
        match state.validator.jwks().discover().await {
            Ok(()) => {}
            Err(error @ FetchError::IssuerMismatch { .. }) => {
                return Err(StartupError::IssuerMismatch(error));
            }
            Err(error) => {
                tracing::warn!(%error, "identity provider not reachable yet; will retry on demand");
            }
        }
        let address = SocketAddr::new(settings.host, settings.port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartupError::Bind { address, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?;
        Ok(Self {
            listener,
            address,
            state,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The shared state (tests read the JWKS cache's counters through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        tracing::info!(address = %self.address, "sample-api listening");
        axum::serve(self.listener, app(self.state))
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Serves on a new task of the current tokio runtime until the returned handle is
    /// dropped: how tests run the API in their own process (with `port: 0` for an ephemeral
    /// port).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    ///
    /// # Example
    ///
    /// ```
    /// use sample_api::{configuration::Settings, startup::Application};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // Arrange: nothing listens on the discard port, and an unreachable IdP is not fatal
    /// let settings = Settings {
    ///     port: 0,
    ///     issuer_base_url: "http://127.0.0.1:9/".into(),
    ///     ..Settings::default()
    /// };
    /// let api = Application::build(settings).await.unwrap().spawn();
    ///
    /// // Act
    /// let url = format!("http://{}/api/public", api.address());
    /// let response = reqwest::get(url).await.unwrap();
    ///
    /// // Assert
    /// assert_eq!(response.status(), 200);
    /// # }
    /// ```
    pub fn spawn(self) -> RunningApplication {
        let address = self.address;
        let state = self.state.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Dropping `stop` wakes `stopped` with an error: either way, a graceful stop.
        tokio::spawn(self.run_until(async {
            let _ = stopped.await;
        }));
        RunningApplication {
            address,
            state,
            _stop: stop,
        }
    }
}

/// An [`Application`] serving on a background task ([`Application::spawn`]); dropping it
/// stops the server gracefully.
#[derive(Debug)]
#[must_use = "dropping the handle stops the server"]
pub struct RunningApplication {
    address: SocketAddr,
    state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl RunningApplication {
    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The shared state (tests read the JWKS cache's counters through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }
}

/// Registers the Ctrl-C and SIGTERM handlers now and returns a future that completes on
/// either. Call it before the port opens: a supervisor that stops the API as soon as it
/// accepts connections would otherwise meet the default signal action, not a graceful stop.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let stop = {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let register = |kind| {
            signal(kind)
                .inspect_err(|error| tracing::error!(%error, "cannot listen for a stop signal"))
                .ok()
        };
        let interrupt = register(SignalKind::interrupt());
        let terminate = register(SignalKind::terminate());
        async move {
            let wait = |stream: Option<Signal>| async move {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    };
    #[cfg(not(unix))]
    let stop = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    async move {
        stop.await;
        tracing::info!("shutting down");
    }
}
