//! A process-wide pool of idle test servers, as wiremock keeps one.
//!
//! ## Motivation
//!
//! A suite starts one [`MockIdp`](super::MockIdp) per test. Without a pool each start pays for
//! a thread, a runtime, a listener and a router (about 0.5 ms in a debug build), and the test's
//! first request pays for a new connection (about 0.7 ms); wiremock's pooled `MockServer`
//! pays for neither. `mock-idp/bench/start.sh` measures both side by side.
//!
//! ## Design constraints
//!
//! - **A test gets a fresh mock, always.** What a server keeps between tests is stateless and
//!   costly: its thread, runtime, bound port and router. What a test can change, it changes in
//!   an engine ([`Idp`]): its tenant, keys, clock, ids, journal, faults, sessions, codes,
//!   refresh tokens and expectations. Each lease mounts an engine made for the test's own
//!   configuration, so nothing of the previous test can leak: a new one, or, when the test
//!   asks for what the previous one was made from ([`Recipe`]: a plain `MockIdp::start()`,
//!   deterministic or not; or else an equal configuration, `Made::builds`), the previous
//!   engine renewed in place (`Idp::renew`), as wiremock resets its servers. Renewing needs
//!   the engine unshared (`&mut`, through `Arc::get_mut`): one that anything still holds (a
//!   guard, a token builder, a request in flight, a back-channel delivery) is dropped and
//!   replaced by a new one instead. A renewed engine
//!   costs no tenant copy, no validation and no drop of the old one, which were most of a
//!   start.
//! - **Connections outlive leases.** A client that kept a connection to the port (a shared
//!   `reqwest::Client` does) sends its next request to whichever engine is mounted when the
//!   request arrives (`engine::EngineSlot`), which is the engine of the mock that owns the port now.
//! - **Between leases a server answers 503**, as an IdP that is down does; nothing is recorded.
//! - **Invisible.** `MockIdp::start()` takes a pooled server unless the test asked for what a
//!   pool cannot give: a fixed port, fresh keys or a keys file. Those get a server of their
//!   own, as before. [`MockIdp::shut_down`](super::MockIdp::shut_down) takes a server out of the
//!   pool for good, for tests that need the port to refuse connections.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::engine::{AppState, Idp, IdpConfig, SharedIdp, StartError};
use crate::http::served;
use crate::store::lock;

/// Servers waiting for a test, most recently used last.
static IDLE: Mutex<Vec<PooledServer>> = Mutex::new(Vec::new());

/// What an engine was made from, when that is known without building its configuration: a
/// mock started with none of the builder's settings but [`deterministic`]. Two tests with the
/// same recipe get equal engines; a pooled server whose engine has the test's recipe renews
/// it rather than building a new one.
///
/// [`deterministic`]: super::MockIdpBuilder::deterministic
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recipe {
    pub(crate) deterministic: bool,
}

/// What a server's engine was made from, so that the next lease asking for the same renews
/// it (`Idp::renew`) rather than building a new one: a new engine costs a tenant copy, its
/// validation and a key ring, about 0.2 ms in a debug build, a renewal about a tenth of that.
#[derive(Debug)]
enum Made {
    /// A plain start, known without building the configuration.
    Recipe(Recipe),
    /// Any other configuration a pooled server serves (the builder's users, clients, APIs,
    /// Actions, issuer...), as it was given.
    Config(Box<IdpConfig>),
}

impl Made {
    /// Whether an engine made from `self` is what `config` would build: equal configurations
    /// give equal engines, since an engine is its configuration plus state that a renewal
    /// starts again.
    fn builds(&self, config: &IdpConfig) -> bool {
        let Self::Config(made) = self else {
            return false;
        };
        // No `..`: a field added to the configuration must say here whether it tells engines
        // apart.
        let IdpConfig {
            tenant,
            issuer,
            deterministic,
            fresh_keys,
            keys_file,
            control_api,
            allowed_hosts,
            journal_capacity,
            discovery_urls,
            tls,
        } = &**made;
        // Keys of their own and TLS never reach the pool (`MockIdpBuilder::start`); a
        // configuration with them is never the same engine.
        !fresh_keys
            && keys_file.is_none()
            && tls.is_none()
            && *fresh_keys == config.fresh_keys
            && *keys_file == config.keys_file
            && config.tls.is_none()
            && *deterministic == config.deterministic
            && *control_api == config.control_api
            && *journal_capacity == config.journal_capacity
            && *discovery_urls == config.discovery_urls
            && *issuer == config.issuer
            && *allowed_hosts == config.allowed_hosts
            && *tenant == config.tenant
    }

    /// A new engine for `config`. One from a recipe has the embedded default tenant, which is
    /// not validated again.
    fn engine(&self, config: IdpConfig, port: u16) -> Result<Idp, StartError> {
        match self {
            Self::Recipe(_) => Idp::new_prevalidated(config, port),
            Self::Config(_) => Idp::new(config, port),
        }
    }
}

/// A server thread, its port and its slot. It runs until [`PooledServer::shut_down`], or for
/// the rest of the process.
#[derive(Debug)]
pub(crate) struct PooledServer {
    address: SocketAddr,
    slot: AppState,
    /// What the engine in the slot was made from.
    made: Made,
    /// The server thread's runtime, where its engines run their background work.
    runtime: tokio::runtime::Handle,
    stop: oneshot::Sender<()>,
    stopped: oneshot::Receiver<()>,
}

impl PooledServer {
    pub(super) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Leases an idle server (or starts one) and mounts an engine for `config` on it: the
    /// server's previous one renewed if it was made from what the test asks for (`recipe`,
    /// which says what `config` would build without calling it, or else an equal
    /// configuration), a new one otherwise.
    pub(super) fn lease(
        recipe: Option<Recipe>,
        config: impl FnOnce() -> IdpConfig,
    ) -> Result<(Self, SharedIdp), StartError> {
        let idle = lock(&IDLE).pop();
        let Some(mut server) = idle else {
            let config = config();
            return Self::start(Self::made_from(recipe, &config), config);
        };
        let config = match recipe {
            Some(recipe) => {
                if matches!(server.made, Made::Recipe(r) if r == recipe)
                    && let Some(idp) = server.slot.remount_renewed(recipe.deterministic)
                {
                    return Ok((server, idp));
                }
                config()
            }
            None => {
                let config = config();
                if server.made.builds(&config)
                    && let Some(idp) = server.slot.remount_renewed(config.deterministic)
                {
                    return Ok((server, idp));
                }
                config
            }
        };
        let made = Self::made_from(recipe, &config);
        match made.engine(config, server.address.port()) {
            Ok(idp) => {
                let idp = Arc::new(idp);
                idp.run_background_on(server.runtime.clone());
                server.slot.mount(Arc::clone(&idp));
                server.made = made;
                Ok((server, idp))
            }
            Err(e) => {
                lock(&IDLE).push(server);
                Err(e)
            }
        }
    }

    fn made_from(recipe: Option<Recipe>, config: &IdpConfig) -> Made {
        match recipe {
            Some(recipe) => Made::Recipe(recipe),
            None => Made::Config(Box::new(config.clone())),
        }
    }

    /// Vacates the server and puts it back in the pool.
    pub(super) fn release(self) {
        self.slot.vacate();
        lock(&IDLE).push(self);
    }

    /// Stops the server; when this returns, its port refuses connections.
    pub(super) async fn shut_down(self) {
        self.slot.vacate();
        let _ = self.stop.send(());
        let _ = self.stopped.await;
    }

    fn start(made: Made, config: IdpConfig) -> Result<(Self, SharedIdp), StartError> {
        let bind = |source| StartError::Bind {
            addr: "127.0.0.1:0".into(),
            source,
        };
        // Bound here, before the thread runs: connections queue until it accepts them, so the
        // caller need not wait for the thread.
        let listener = TcpListener::bind("127.0.0.1:0").map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let address = listener.local_addr().map_err(bind)?;
        let idp = Arc::new(made.engine(config, address.port())?);
        // Built here and moved to the thread, so its handle is known before the thread runs.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("mock-idp could not build its runtime");
        idp.run_background_on(runtime.handle().clone());
        let slot = AppState::serving(Arc::clone(&idp));
        let service =
            axum::ServiceExt::<axum::extract::Request>::into_make_service(served(slot.clone()));
        let (stop, stop_rx) = oneshot::channel::<()>();
        let (stopped_tx, stopped) = oneshot::channel::<()>();
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name(format!("mock-idp {address}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("a bound, non-blocking listener converts");
                    let _ = axum::serve(listener, service)
                        .with_graceful_shutdown(async {
                            let _ = stop_rx.await;
                        })
                        .await;
                });
                let _ = stopped_tx.send(());
            })
            .expect("mock-idp could not spawn its thread");
        Ok((
            Self {
                address,
                slot,
                made,
                runtime: handle,
                stop,
                stopped,
            },
            idp,
        ))
    }
}
