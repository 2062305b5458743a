//! The engine's state: one [`Idp`] per mock, shared by every handler and by the Rust test API.
//!
//! Locks are `std::sync` and never held across an `.await`, so the test API can read and
//! change state synchronously (`idp.rotate_keys()` is not async).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use axum::extract::FromRef;

use crate::clock::{Clock, DETERMINISTIC_EPOCH};
use crate::control::expectations::Expectations;
use crate::control::faults::Faults;
use crate::control::journal::Journal;
use crate::error::OAuthError;
use crate::ids::IdGenerator;
use crate::issuance::keys::{KeyError, KeyRing, KeySource, SigningKey};
use crate::issuer::{DiscoveryUrls, Issuer, normalise_issuer};
use crate::store::assertions::SpentAssertions;
use crate::store::backchannel::BackchannelLogouts;
use crate::store::codes::AuthorizationCodes;
use crate::store::device::{Approval, DecideRefusal, DeviceAuthorizations};
use crate::store::issued::{IssuedBy, IssuedTokens, TokenUse};
use crate::store::logins::Logins;
use crate::store::opaque::OpaqueTokens;
use crate::store::outbox::Outbox;
use crate::store::passwordless::PasswordlessCodes;
use crate::store::pushed::PushedRequests;
use crate::store::refresh::RefreshTokens;
use crate::store::retired_keys::{RetiredBy, RetiredKeys};
use crate::store::revoked::RevokedTokens;
use crate::store::sessions::{SessionInfo, Sessions};
use crate::store::tickets::Tickets;
use crate::store::transactions::{AuthorizationRequest, Transactions};
use crate::store::{read, write};
use crate::tenant::TenantConfig;

pub(crate) type SharedIdp = Arc<Idp>;

/// The router's state: the engine a server serves now. A server built by [`crate::Server`]
/// serves one engine all its life; a pooled test server (`crate::mock::pool`) serves a new one
/// for each test that takes it, and none while it waits in the pool.
#[derive(Clone, Debug)]
pub(crate) struct AppState(Arc<EngineSlot>);

impl std::ops::Deref for AppState {
    type Target = EngineSlot;

    fn deref(&self) -> &EngineSlot {
        &self.0
    }
}

/// What [`AppState`] points at. Handlers never see it: they extract `State<SharedIdp>`, which
/// reads the slot once per extraction ([`FromRef`]), so a request is answered by the engine
/// mounted when it arrived, whichever connection it came on.
#[derive(Debug)]
pub(crate) struct EngineSlot {
    engine: RwLock<SharedIdp>,
    /// Between two tests: the previous engine stays readable (a late extraction must find
    /// one), but the router answers 503 instead of serving it.
    vacant: AtomicBool,
}

impl AppState {
    /// A slot serving `engine`.
    pub(crate) fn serving(engine: SharedIdp) -> Self {
        Self(Arc::new(EngineSlot {
            engine: RwLock::new(engine),
            vacant: AtomicBool::new(false),
        }))
    }
}

impl EngineSlot {
    pub(crate) fn engine(&self) -> SharedIdp {
        Arc::clone(&read(&self.engine))
    }

    /// Serves `engine` from now on.
    pub(crate) fn mount(&self, engine: SharedIdp) {
        *write(&self.engine) = engine;
        self.vacant.store(false, Ordering::Release);
    }

    /// Serves nothing until the next [`EngineSlot::mount`].
    pub(crate) fn vacate(&self) {
        self.vacant.store(true, Ordering::Release);
    }

    pub(crate) fn is_vacant(&self) -> bool {
        self.vacant.load(Ordering::Acquire)
    }

    /// Renews the engine this slot holds ([`Idp::renew`]) and serves it again, if nothing but
    /// the slot holds it: no mock, token builder, guard, request in flight or background
    /// delivery. `None` (and nothing changed) otherwise.
    pub(crate) fn remount_renewed(&self, deterministic: bool) -> Option<SharedIdp> {
        let mut engine = write(&self.engine);
        // Unique under the write lock: no one can take a new clone from the slot meanwhile.
        Arc::get_mut(&mut engine)?.renew(deterministic);
        let renewed = Arc::clone(&engine);
        drop(engine);
        self.vacant.store(false, Ordering::Release);
        Some(renewed)
    }
}

impl FromRef<AppState> for SharedIdp {
    fn from_ref(slot: &AppState) -> Self {
        slot.engine()
    }
}

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
    /// Speak HTTPS, and with which certificate; `None` is plain HTTP. With TLS the issuer
    /// defaults to `https://localhost:<port>/`.
    pub tls: Option<crate::tls::Tls>,
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
            journal_capacity: Self::JOURNAL_CAPACITY,
            discovery_urls: DiscoveryUrls::Issuer,
            tls: None,
        }
    }
}

impl IdpConfig {
    /// How many requests the journal keeps unless told otherwise.
    pub(crate) const JOURNAL_CAPACITY: usize = 1_000;

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
    initial_tenant: Arc<TenantConfig>,
    tenant: RwLock<Arc<TenantConfig>>,
    initial_keys: KeyRing,
    keys: RwLock<KeyRing>,
    pub(crate) clock: Clock,
    pub(crate) ids: IdGenerator,
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    pub(crate) codes: AuthorizationCodes,
    /// Device authorizations (RFC 8628), by device code and user code.
    pub(crate) device: DeviceAuthorizations,
    pub(crate) refresh_tokens: RefreshTokens,
    pub(crate) revoked: RevokedTokens,
    /// Access tokens issued without an audience: opaque strings only `/userinfo` accepts.
    pub(crate) opaque_tokens: OpaqueTokens,
    pub(crate) sessions: Sessions,
    pub(crate) transactions: Transactions,
    /// Users' `logins_count` and `last_login`, apart from the tenant so a login copies no user.
    pub(crate) logins: Logins,
    /// Authorization requests pushed to `/oauth/par`, by `request_uri`.
    pub(crate) pushed: PushedRequests,
    /// The `jti`s of accepted `private_key_jwt` assertions, until they expire.
    pub(crate) assertions: SpentAssertions,
    /// The tokens handed out, for the inspector.
    pub(crate) issued: IssuedTokens,
    /// Keys no longer published, by `kid`, for the explainer.
    pub(crate) retired_keys: RetiredKeys,
    /// Not cleared by [`Idp::reset`]: expectations belong to the test, not to the mock.
    pub(crate) expectations: Expectations,
    /// The back-channel logouts sent, and how many are on their way.
    pub(crate) backchannel_logouts: BackchannelLogouts,
    /// The emails and SMS the tenant sent.
    pub(crate) outbox: Outbox,
    /// What the links in verification and password-reset emails carry.
    pub(crate) tickets: Tickets,
    /// Passwordless codes sent and not yet used.
    pub(crate) passwordless: PasswordlessCodes,
    /// The runtime of the server that serves this engine, where back-channel logouts run
    /// (set once the server has one; see `crate::backchannel`).
    background: OnceLock<tokio::runtime::Handle>,
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
    /// The TLS certificate or key could not be read or made.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
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
    pub(crate) fn new(config: IdpConfig, port: u16) -> Result<Self, StartError> {
        config.tenant.validate()?;
        Self::new_prevalidated(config, port)
    }

    /// [`Idp::new`] for a configuration whose tenant is known valid without looking: the
    /// embedded default one, which a plain `MockIdp::start()` gets (its validity is a test,
    /// `the_default_tenant_is_valid`; checking it again per engine cost a tenth of a
    /// millisecond in a debug build).
    pub(crate) fn new_prevalidated(config: IdpConfig, port: u16) -> Result<Self, StartError> {
        let issuer = match &config.issuer {
            Some(issuer) => normalise_issuer(&issuer.replace("{port}", &port.to_string()))
                .map_err(StartError::Issuer)?,
            None => format!("http://localhost:{port}/"),
        };
        let keys = KeyRing::new(config.tenant.signing_alg, config.key_source())?;
        // Shared until the first change: `update_tenant` copies on write.
        let tenant = Arc::new(config.tenant);
        let (clock, ids) = Self::clock_and_ids(config.deterministic);
        Ok(Self {
            issuer: Issuer::new(issuer),
            discovery_urls: config.discovery_urls,
            control_api: config.control_api,
            allowed_hosts: config.allowed_hosts,
            initial_tenant: Arc::clone(&tenant),
            tenant: RwLock::new(tenant),
            initial_keys: keys.clone(),
            keys: RwLock::new(keys),
            clock,
            ids,
            journal: Journal::new(config.journal_capacity),
            faults: Faults::default(),
            codes: AuthorizationCodes::default(),
            device: DeviceAuthorizations::default(),
            refresh_tokens: RefreshTokens::default(),
            revoked: RevokedTokens::default(),
            opaque_tokens: OpaqueTokens::default(),
            sessions: Sessions::default(),
            transactions: Transactions::default(),
            logins: Logins::default(),
            pushed: PushedRequests::default(),
            assertions: SpentAssertions::default(),
            issued: IssuedTokens::default(),
            retired_keys: RetiredKeys::default(),
            expectations: Expectations::default(),
            backchannel_logouts: BackchannelLogouts::default(),
            outbox: Outbox::default(),
            tickets: Tickets::default(),
            passwordless: PasswordlessCodes::default(),
            background: OnceLock::new(),
        })
    }

    /// Runs this engine's background work (back-channel logouts) on `runtime`, the one its
    /// server serves on. The first call wins: an engine is served by one server.
    pub(crate) fn run_background_on(&self, runtime: tokio::runtime::Handle) {
        let _ = self.background.set(runtime);
    }

    /// Where background work runs: the server's runtime, else the caller's, if any.
    pub(crate) fn background_runtime(&self) -> Option<tokio::runtime::Handle> {
        self.background
            .get()
            .cloned()
            .or_else(|| tokio::runtime::Handle::try_current().ok())
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
        self.logins.keep_only(&tenant.users);
        *guard = Arc::new(tenant);
        out
    }

    /// [`Idp::update_tenant`] for a change that may be refused: the tenant is replaced only
    /// when `change` succeeds, so a refused request changes nothing.
    pub(crate) fn try_update_tenant<R, E>(
        &self,
        change: impl FnOnce(&mut TenantConfig) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut guard = write(&self.tenant);
        let mut tenant = (**guard).clone();
        let out = change(&mut tenant)?;
        self.logins.keep_only(&tenant.users);
        *guard = Arc::new(tenant);
        Ok(out)
    }

    /// Counts a successful login of `sub` (Auth0's `last_login` and `logins_count`), by the
    /// mock's clock: one entry in [`Logins`], not a copy of the tenant. Users are shown with
    /// it through `idp.logins.merged(user)`.
    pub(crate) fn record_login(&self, sub: &str) {
        self.logins
            .record(sub, crate::clock::iso8601(self.clock.now()));
    }

    /// A test's decision on a pending device authorization, without a browser: approve as the
    /// user with this email or `sub`, or deny (`None`). The control API's and the Rust API's.
    pub(crate) fn decide_device(
        &self,
        user_code: &str,
        approver: Option<&str>,
    ) -> Result<(), OAuthError> {
        let now = self.clock.now();
        let approval = match approver {
            None => None,
            Some(login) => {
                let tenant = self.tenant();
                let user = tenant
                    .user_by_login(login)
                    .or_else(|| tenant.user_by_sub(login))
                    .ok_or_else(|| OAuthError::NotFound(format!("No user {login}")))?;
                if user.blocked {
                    return Err(OAuthError::InvalidRequest(format!(
                        "{login} is blocked and cannot approve a device"
                    )));
                }
                Some(Approval {
                    sub: user.sub(),
                    auth_time: now,
                    sid: None,
                })
            }
        };
        let approved = approval.as_ref().map(|a| a.sub.clone());
        match self.device.decide(user_code, approval, now) {
            Ok(_) => {
                if let Some(sub) = approved {
                    self.record_login(&sub);
                }
                Ok(())
            }
            Err(DecideRefusal::Unknown) => Err(OAuthError::NotFound(format!(
                "No device authorization with user code {user_code}"
            ))),
            Err(DecideRefusal::Expired) => Err(OAuthError::InvalidRequest(format!(
                "The device authorization with user code {user_code} has expired"
            ))),
            Err(DecideRefusal::AlreadyDecided) => Err(OAuthError::InvalidRequest(format!(
                "The device authorization with user code {user_code} was already decided"
            ))),
        }
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
        let kid = write(&self.keys).rotate()?.kid().to_owned();
        self.retired_keys.forget(&kid);
        Ok(kid)
    }

    pub(crate) fn retire_keys(&self) -> Result<usize, KeyError> {
        let retired: Vec<String> = {
            let mut keys = write(&self.keys);
            let active = keys.active();
            let old = keys
                .keys()
                .iter()
                .filter(|k| k.kid() != active.kid())
                .map(|k| k.kid().to_owned())
                .collect();
            keys.retire_old()?;
            old
        };
        let count = retired.len();
        self.retired_keys
            .remember(retired, self.clock.now(), RetiredBy::Retire);
        Ok(count)
    }

    /// Remembers a token handed out (for the inspector); returns its id there.
    pub(crate) fn remember_token(&self, kind: TokenUse, by: IssuedBy, token: &str) -> u64 {
        self.issued
            .remember(self.clock.now(), kind, by, token.to_owned())
    }

    /// Back to how the mock started: tenant, keys, clock, ids, journal, faults, grants,
    /// sessions (ended without back-channel logouts), the tokens handed out, the
    /// back-channel logouts sent and the outbox. Not expectations, which belong to the test. The keys
    /// the reset unpublishes are remembered as retired (by the clock before it is reset).
    pub(crate) fn reset(&self) {
        *write(&self.tenant) = Arc::clone(&self.initial_tenant);
        let dropped: Vec<String> = {
            let mut keys = write(&self.keys);
            let initial = self.initial_keys.keys();
            let dropped = keys
                .keys()
                .iter()
                .filter(|k| !initial.iter().any(|i| i.kid() == k.kid()))
                .map(|k| k.kid().to_owned())
                .collect();
            *keys = self.initial_keys.clone();
            dropped
        };
        self.retired_keys.clear();
        self.retired_keys
            .remember(dropped, self.clock.now(), RetiredBy::Reset);
        self.issued.clear();
        self.clock.reset();
        self.ids.reset();
        self.journal.clear();
        self.faults.clear();
        self.codes.clear();
        self.device.clear();
        self.refresh_tokens.clear();
        self.revoked.clear();
        self.opaque_tokens.clear();
        self.sessions.clear();
        self.transactions.clear();
        self.logins.clear();
        self.backchannel_logouts.clear();
        self.pushed.clear();
        self.assertions.clear();
        self.outbox.clear();
        self.tickets.clear();
        self.passwordless.clear();
    }

    /// Makes this engine what [`Idp::new`] made it, for the same configuration and port: what a
    /// pooled server does between two tests instead of dropping an engine and building
    /// another (`crate::mock::pool`). `&mut`: nothing else holds it, so nothing of the
    /// previous test can reach the next one. Unlike [`Idp::reset`], which a test asks for,
    /// it keeps nothing (expectations, the issuer set by `POST /_mock/issuer`) and remembers
    /// nothing (no retired keys). `deterministic` must be what the engine was built with.
    pub(crate) fn renew(&mut self, deterministic: bool) {
        // No `..`: a field added to the engine must say here how a renewed engine gets it.
        let Self {
            issuer,
            // Set at build time, never changed: part of the configuration.
            discovery_urls: _,
            control_api: _,
            allowed_hosts: _,
            initial_tenant,
            tenant,
            initial_keys,
            keys,
            clock,
            ids,
            journal,
            faults,
            codes,
            device,
            refresh_tokens,
            revoked,
            opaque_tokens,
            sessions,
            transactions,
            logins,
            pushed,
            assertions,
            issued,
            retired_keys,
            expectations,
            backchannel_logouts,
            outbox,
            tickets,
            passwordless,
            // The same server, so the same runtime.
            background: _,
        } = self;
        issuer.renew();
        *tenant.get_mut().unwrap_or_else(|e| e.into_inner()) = Arc::clone(initial_tenant);
        *keys.get_mut().unwrap_or_else(|e| e.into_inner()) = initial_keys.clone();
        // New ones, not reset: the previous test may still hold a `Clock` it was handed.
        (*clock, *ids) = Self::clock_and_ids(deterministic);
        *expectations = Expectations::default();
        // Through `&mut`, no lock taken. None in flight: each delivery holds the engine, and
        // nothing else does.
        backchannel_logouts.renew();
        journal.renew();
        faults.renew();
        codes.renew();
        device.renew();
        refresh_tokens.renew();
        revoked.renew();
        opaque_tokens.renew();
        sessions.renew();
        transactions.renew();
        logins.renew();
        pushed.renew();
        assertions.renew();
        issued.renew();
        retired_keys.renew();
        outbox.renew();
        tickets.renew();
        passwordless.renew();
    }

    fn clock_and_ids(deterministic: bool) -> (Clock, IdGenerator) {
        if deterministic {
            (
                Clock::frozen_at(DETERMINISTIC_EPOCH),
                IdGenerator::sequential(),
            )
        } else {
            (Clock::system(), IdGenerator::random())
        }
    }

    /// Logs `sub` in: a new session (lasting the tenant's `tokens.session`) replacing
    /// `previous`. Returns the cookie value.
    pub(crate) fn log_in(&self, sub: &str, previous: Option<&str>) -> (String, SessionInfo) {
        self.record_login(sub);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_counted_without_copying_the_tenant() {
        // Arrange
        let idp = Idp::new(IdpConfig::default().deterministic(true), 4000).unwrap();
        let before = idp.tenant();
        let alice = before.user_by_sub("auth0|alice").unwrap();

        // Act
        idp.record_login("auth0|alice");
        idp.record_login("auth0|alice");

        // Assert
        assert!(
            Arc::ptr_eq(&before, &idp.tenant()),
            "the snapshot is the same one"
        );
        let merged = idp.logins.merged(alice);
        assert_eq!(merged.logins_count, 2);
        assert_eq!(
            merged.last_login.as_deref(),
            Some("2030-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn a_tenant_change_that_removes_a_user_forgets_its_logins() {
        // Arrange
        let idp = Idp::new(IdpConfig::default(), 4000).unwrap();
        let tenant = idp.tenant();
        let (alice, bob) = (
            tenant.user_by_sub("auth0|alice").unwrap(),
            tenant.user_by_sub("auth0|bob").unwrap(),
        );
        idp.record_login("auth0|alice");
        idp.record_login("auth0|bob");

        // Act
        idp.update_tenant(|t| t.users.retain(|u| !u.has_sub("auth0|bob")));

        // Assert
        assert_eq!(idp.logins.merged(alice).logins_count, 1);
        assert_eq!(idp.logins.merged(bob).logins_count, 0);
    }
}
