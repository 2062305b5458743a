//! The engine's state: one [`Idp`] per mock, shared by every handler and by the Rust test API.
//!
//! Locks are `std::sync` and never held across an `.await`, so the test API can read and
//! change state synchronously (`idp.rotate_keys()` is not async).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use crate::clock::{Clock, DETERMINISTIC_EPOCH};
use crate::control::expectations::Expectations;
use crate::control::faults::Faults;
use crate::control::journal::Journal;
use crate::ids::IdGenerator;
use crate::issuance::keys::{KeyError, KeyRing, KeySource, SigningKey};
use crate::issuer::{DiscoveryUrls, Issuer, normalise_issuer};
use crate::store::codes::AuthorizationCodes;
use crate::store::refresh::RefreshTokens;
use crate::store::revoked::RevokedTokens;
use crate::store::sessions::{SessionInfo, Sessions};
use crate::store::transactions::{AuthorizationRequest, Transactions};
use crate::store::{read, write};
use crate::tenant::TenantConfig;

pub(crate) type SharedIdp = Arc<Idp>;

/// How to build an engine: the tenant plus how the mock runs.
///
/// ```
/// let config = mock_idp::IdpConfig::default().deterministic(true);
/// assert!(config.deterministic);
/// ```
#[derive(Clone, Debug)]
pub struct IdpConfig {
    /// APIs, clients, users, lifetimes, signing algorithm.
    pub tenant: TenantConfig,
    /// The public issuer, when it differs from `http://localhost:<port>/`. `{port}` in it is
    /// replaced by the bound port.
    pub issuer: Option<String>,
    /// Embedded keys, frozen clock, sequential ids.
    pub deterministic: bool,
    /// Generate a new key instead of using the embedded development key.
    pub fresh_keys: bool,
    /// Persist keys in this file (created on first run).
    pub keys_file: Option<PathBuf>,
    /// Serve `/_mock/*`.
    pub control_api: bool,
    /// Hosts, besides loopback names and the issuer's host, whose `Host` header `/_mock/*`
    /// answers (a container's service name, say); any port.
    pub allowed_hosts: Vec<String>,
    /// How many requests the journal keeps.
    pub journal_capacity: usize,
    /// Where the discovery document's endpoint URLs point: the issuer's origin, or the one
    /// each request was sent to (a backend container calling the mock by its service name).
    pub discovery_urls: DiscoveryUrls,
}

impl Default for IdpConfig {
    fn default() -> Self {
        Self {
            tenant: TenantConfig::default(),
            issuer: None,
            deterministic: false,
            fresh_keys: false,
            keys_file: None,
            control_api: true,
            allowed_hosts: Vec::new(),
            journal_capacity: 1_000,
            discovery_urls: DiscoveryUrls::Issuer,
        }
    }
}

impl IdpConfig {
    /// Sets deterministic mode.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{DETERMINISTIC_EPOCH, IdpConfig, Server};
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default().deterministic(true)).await.unwrap();
    /// let clock = format!("http://{}/_mock/clock", server.local_addr());
    /// tokio::spawn(server.run(std::future::pending()));
    /// let clock: serde_json::Value = reqwest::get(clock).await.unwrap().json().await.unwrap();
    /// assert_eq!(clock["now"], DETERMINISTIC_EPOCH);
    /// assert_eq!(clock["frozen"], true);
    /// # }
    /// ```
    pub fn deterministic(mut self, on: bool) -> Self {
        self.deterministic = on;
        self
    }

    /// Sets the public issuer URL.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server, StartError};
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default().issuer("https://idp.test")).await.unwrap();
    /// assert_eq!(server.issuer(), "https://idp.test/");
    /// let error = Server::bind("127.0.0.1:0", IdpConfig::default().issuer("idp.test")).await.unwrap_err();
    /// assert!(matches!(error, StartError::Issuer(_)));
    /// # }
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    pub(crate) fn key_source(&self) -> KeySource {
        match (&self.keys_file, self.fresh_keys && !self.deterministic) {
            (Some(path), _) => KeySource::File(path.clone()),
            (None, true) => KeySource::Fresh,
            (None, false) => KeySource::Embedded,
        }
    }
}

/// The engine: one mock identity provider, shared (as [`SharedIdp`]) by every handler and by
/// the Rust test API, so that HTTP and Rust see the same state.
#[derive(Debug)]
pub(crate) struct Idp {
    /// Not reset by [`Idp::reset`]: it says how the mock is reached, not what a test did.
    issuer: Issuer,
    pub(crate) discovery_urls: DiscoveryUrls,
    pub(crate) control_api: bool,
    pub(crate) allowed_hosts: Vec<String>,
    initial_tenant: TenantConfig,
    tenant: RwLock<Arc<TenantConfig>>,
    initial_keys: KeyRing,
    keys: RwLock<KeyRing>,
    pub(crate) clock: Clock,
    pub(crate) ids: IdGenerator,
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    pub(crate) codes: AuthorizationCodes,
    pub(crate) refresh_tokens: RefreshTokens,
    pub(crate) revoked: RevokedTokens,
    pub(crate) sessions: Sessions,
    pub(crate) transactions: Transactions,
    /// Not cleared by [`Idp::reset`]: expectations belong to the test, not to the mock.
    pub(crate) expectations: Expectations,
}

/// Why a mock could not start.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Client, IdpConfig, Server, StartError, TenantConfig};
/// let mut tenant = TenantConfig::default();
/// tenant.upsert_client(Client::m2m("worker", "s").grant("https://unknown-api", ["read"]));
/// let error = Server::bind("127.0.0.1:0", IdpConfig { tenant, ..IdpConfig::default() }).await.unwrap_err();
/// assert!(matches!(error, StartError::Config(_)));
/// assert!(error.to_string().contains("https://unknown-api"));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is inconsistent.
    #[error(transparent)]
    Config(#[from] crate::tenant::ConfigError),
    /// The signing keys could not be loaded or made.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The issuer URL is not usable.
    #[error("{0}")]
    Issuer(String),
    /// Binding the listener failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Idp {
    pub(crate) fn new(config: &IdpConfig, port: u16) -> Result<Self, StartError> {
        config.tenant.validate()?;
        let issuer = match &config.issuer {
            Some(issuer) => normalise_issuer(&issuer.replace("{port}", &port.to_string()))
                .map_err(StartError::Issuer)?,
            None => format!("http://localhost:{port}/"),
        };
        let keys = KeyRing::new(config.tenant.signing_alg, config.key_source())?;
        Ok(Self {
            issuer: Issuer::new(issuer),
            discovery_urls: config.discovery_urls,
            control_api: config.control_api,
            allowed_hosts: config.allowed_hosts.clone(),
            initial_tenant: config.tenant.clone(),
            tenant: RwLock::new(Arc::new(config.tenant.clone())),
            initial_keys: keys.clone(),
            keys: RwLock::new(keys),
            clock: if config.deterministic {
                Clock::frozen_at(DETERMINISTIC_EPOCH)
            } else {
                Clock::system()
            },
            ids: if config.deterministic {
                IdGenerator::sequential()
            } else {
                IdGenerator::random()
            },
            journal: Journal::new(config.journal_capacity),
            faults: Faults::default(),
            codes: AuthorizationCodes::default(),
            refresh_tokens: RefreshTokens::default(),
            revoked: RevokedTokens::default(),
            sessions: Sessions::default(),
            transactions: Transactions::default(),
            expectations: Expectations::default(),
        })
    }

    /// The issuer, with its trailing slash: the exact `iss` of every token.
    pub(crate) fn issuer(&self) -> &'static str {
        self.issuer.get()
    }

    /// Changes the issuer of the tokens issued from now on (`POST /_mock/issuer`).
    pub(crate) fn set_issuer(&self, issuer: &str) -> Result<&'static str, String> {
        self.issuer.set(issuer)
    }

    /// A snapshot of the tenant; cheap (an `Arc` clone), and never blocks writers for long.
    pub(crate) fn tenant(&self) -> Arc<TenantConfig> {
        Arc::clone(&read(&self.tenant))
    }

    pub(crate) fn update_tenant<R>(&self, change: impl FnOnce(&mut TenantConfig) -> R) -> R {
        let mut guard = write(&self.tenant);
        let mut tenant = (**guard).clone();
        let out = change(&mut tenant);
        *guard = Arc::new(tenant);
        out
    }

    pub(crate) fn active_key(&self) -> Arc<SigningKey> {
        read(&self.keys).active()
    }

    pub(crate) fn published_keys(&self) -> Vec<Arc<SigningKey>> {
        read(&self.keys).keys().to_vec()
    }

    /// The claims of a JWT this tenant signed with one of its published keys and issued
    /// under its own issuer (ID tokens coming back as hints, access tokens at `/userinfo`).
    /// Expiry and audience are the caller's business.
    pub(crate) fn verify_own(
        &self,
        token: &str,
    ) -> Result<crate::issuance::jws::Claims, &'static str> {
        let claims = crate::issuance::jws::verify(token, &self.published_keys())?;
        if claims.get("iss").and_then(serde_json::Value::as_str) != Some(self.issuer()) {
            return Err("Unexpected issuer");
        }
        Ok(claims)
    }

    pub(crate) fn jwks(&self) -> serde_json::Value {
        read(&self.keys).jwks()
    }

    pub(crate) fn rotate_keys(&self) -> Result<String, KeyError> {
        let mut keys = write(&self.keys);
        Ok(keys.rotate()?.kid().to_owned())
    }

    pub(crate) fn retire_keys(&self) -> Result<usize, KeyError> {
        write(&self.keys).retire_old()
    }

    /// Back to how the mock started: tenant, keys, clock, ids, journal, faults, grants,
    /// sessions. Not expectations, which belong to the test.
    pub(crate) fn reset(&self) {
        *write(&self.tenant) = Arc::new(self.initial_tenant.clone());
        *write(&self.keys) = self.initial_keys.clone();
        self.clock.reset();
        self.ids.reset();
        self.journal.clear();
        self.faults.clear();
        self.codes.clear();
        self.refresh_tokens.clear();
        self.revoked.clear();
        self.sessions.clear();
        self.transactions.clear();
    }

    /// Logs `sub` in: a new session (lasting the tenant's `tokens.session`) replacing
    /// `previous`. Returns the cookie value.
    pub(crate) fn log_in(&self, sub: &str, previous: Option<&str>) -> (String, SessionInfo) {
        let ttl = i64::try_from(self.tenant().tokens.session).unwrap_or(i64::MAX / 4);
        self.sessions
            .login(&self.ids, self.clock.now(), ttl, sub, previous)
    }

    /// Parks `request` until the user has logged in (or consented, for `session`'s user).
    /// Returns the transaction id the login and consent pages carry.
    pub(crate) fn begin_transaction(
        &self,
        request: AuthorizationRequest,
        session: Option<String>,
    ) -> String {
        self.transactions
            .begin(&self.ids, self.clock.now(), request, session)
    }

    /// `<issuer>userinfo`: the second audience of tokens that ask for `openid`.
    pub(crate) fn userinfo_audience(&self) -> String {
        format!("{}userinfo", self.issuer())
    }

    /// An absolute URL at the issuer's origin (and path, if the issuer has one).
    pub(crate) fn public_url(&self, path: &str) -> String {
        format!("{}{}", self.issuer(), path.trim_start_matches('/'))
    }
}
