//! `JwksCache`: the identity provider's signing keys, fetched once and reused.
//!
//! # Policy
//!
//! The numbers follow `jose`'s `createRemoteJWKSet`, which Auth0's
//! `express-oauth2-jwt-bearer` uses (see [`JwksSettings`] for each default):
//!
//! * **Single flight.** Every fetch happens under one async mutex. A hundred requests that
//!   arrive on a cold cache cause one fetch; the others wait for it and then read its result.
//! * **Fresh keys are served lock-free.** A `kid` found in a set younger than `ttl` costs a
//!   read lock and an `Arc` clone, nothing else. Keys are parsed into aws-lc's form when a
//!   set is fetched, not per token.
//! * **Unknown `kid` → at most one refetch per `cooldown`.** A flood of random `kid`s cannot
//!   turn into a flood of JWKS requests: after any fetch attempt, no new one is made until
//!   the cool-down has passed. This is also how rotation works without a restart: the first
//!   token signed by a new key (outside the cool-down) triggers the refetch that learns it.
//! * **Stale keys keep serving.** Past `ttl`, a known `kid` is still served (for up to
//!   `max_stale` more) while a background task refreshes the set. If the IdP is down, the
//!   last good set is kept. A failed or empty fetch never replaces a good set.
//! * **No usable key at all** (cold start with the IdP down, or everything too stale) is
//!   [`KeyError::Unavailable`], which the API answers with 503 and `Retry-After`: the token
//!   was not proven invalid, so it must not be a 401.
//! * **Bounded I/O.** Each HTTP request has a timeout, redirects are not followed, and bodies
//!   larger than `max_response_bytes` are refused while streaming.
//! * **Only sane keys.** A JWK is kept only if it is `kty: RSA`, `use` absent or `sig`, `alg`
//!   absent or `RS256`, has a non-empty `kid`, a modulus of at least 2048 bits and an odd
//!   exponent above 1. Two keys with the same `kid` are ambiguous and both dropped.
//!
//! Why `std::sync::RwLock` for the key set: it is held only to clone an `Arc`, never across
//! an `.await`, and the hot path should not pay for an async lock.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use url::Url;

use super::{
    clock::{Clock, SystemClock},
    jws::VerifyingKey,
};

/// Tuning of the cache. The defaults are `jose`'s (via `express-oauth2-jwt-bearer`) unless
/// said otherwise.
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// How long a fetched set counts as fresh. Default 10 min (`cacheMaxAge`).
    pub ttl: Duration,
    /// Minimum time between two fetch attempts triggered by unknown `kid`s or failures.
    /// Default 30 s (`cooldownDuration`).
    pub cooldown: Duration,
    /// Timeout of each HTTP request (discovery, JWKS). Default 5 s (`timeoutDuration`).
    pub fetch_timeout: Duration,
    /// How long past `ttl` a known key keeps serving while the IdP cannot be reached.
    /// Default 1 h (this project's choice; Nimbus calls this "outage tolerance").
    pub max_stale: Duration,
    /// Largest discovery or JWKS body accepted. Default 1 MiB.
    pub max_response_bytes: usize,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(600),
            cooldown: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
            max_stale: Duration::from_secs(3600),
            max_response_bytes: 1024 * 1024,
        }
    }
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Read `jwks_uri` from `{issuer}/.well-known/openid-configuration`, as
    /// `express-oauth2-jwt-bearer` does. The document's `issuer` must equal this string
    /// exactly.
    Discovery {
        /// The expected issuer, exactly as it appears in `iss`.
        issuer: String,
    },
    /// Use this JWKS URL directly (no discovery).
    JwksUri(Url),
}

/// Why no key was returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The IdP's current set (or the last one we could get) has no such `kid`.
    UnknownKid,
    /// There is no usable key set at all; worth retrying after this long.
    Unavailable {
        /// Time until the cache will try the IdP again.
        retry_after: Duration,
    },
}

/// Why a discovery or JWKS fetch failed. Logged, never shown to clients.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Transport error, timeout or connection refused.
    #[error("request to {url} failed: {source}")]
    Http {
        /// The URL that was requested.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The IdP answered something else than 200.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL that was requested.
        url: String,
        /// The status it answered.
        status: u16,
    },
    /// The body exceeded `max_response_bytes`.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The URL that was requested.
        url: String,
        /// The configured cap.
        limit: usize,
    },
    /// The body was not the expected JSON document.
    #[error("{url} sent an invalid document: {reason}")]
    Invalid {
        /// The URL that was requested.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The discovery document names another issuer (OIDC Discovery §4.3). A configuration
    /// error, not an outage.
    #[error("discovery document names issuer {found:?}, expected {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The `issuer` the document announced.
        found: String,
    },
    /// The JWKS parsed, but none of its keys is usable (see the module docs).
    #[error("{url} holds no usable RS256 signing key")]
    NoUsableKeys {
        /// The URL that was requested.
        url: String,
    },
}

/// A cache of the IdP's RS256 verification keys, keyed by `kid`. Cheap to clone; clones
/// share the cache.
#[derive(Debug, Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: KeySource,
    http: reqwest::Client,
    settings: JwksSettings,
    clock: Arc<dyn Clock>,
    keys: RwLock<Option<Arc<KeySet>>>,
    discovered_jwks_uri: Mutex<Option<Url>>,
    /// Serialises fetches (single flight) and remembers when the last one was attempted.
    refresh: tokio::sync::Mutex<RefreshState>,
    background_refresh: AtomicBool,
    fetch_attempts: AtomicU64,
}

#[derive(Debug, Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
}

struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
    fetched_at: Instant,
    generation: u64,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("generation", &self.generation)
            .finish()
    }
}

impl JwksCache {
    /// A cache reading keys from `source`, timed by the real clock.
    pub fn new(source: KeySource, settings: JwksSettings) -> Self {
        Self::with_clock(source, settings, Arc::new(SystemClock))
    }

    /// A cache whose TTL and cool-down are measured with `clock` (tests pass a
    /// [`ManualClock`](super::ManualClock)).
    pub fn with_clock(source: KeySource, settings: JwksSettings, clock: Arc<dyn Clock>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(settings.fetch_timeout)
            .connect_timeout(settings.fetch_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sample-api/", env!("CARGO_PKG_VERSION")))
            .build()
            // Fails only if the TLS backend cannot initialise; falling back to a client
            // without these timeouts would be worse than stopping.
            .expect("cannot build the JWKS HTTP client");
        Self {
            inner: Arc::new(Inner {
                source,
                http,
                settings,
                clock,
                keys: RwLock::new(None),
                discovered_jwks_uri: Mutex::new(None),
                refresh: tokio::sync::Mutex::new(RefreshState::default()),
                background_refresh: AtomicBool::new(false),
                fetch_attempts: AtomicU64::new(0),
            }),
        }
    }

    /// How many JWKS fetches this cache has attempted (successful or not).
    pub fn fetch_attempts(&self) -> u64 {
        self.inner.fetch_attempts.load(Ordering::Relaxed)
    }

    /// Fetches the discovery document (when the source is discovery) and checks its
    /// `issuer`. Called at startup so that a misconfigured issuer fails fast; an unreachable
    /// IdP is reported as an error too, and the caller decides whether that is fatal.
    pub async fn discover(&self) -> Result<(), FetchError> {
        match &self.inner.source {
            KeySource::Discovery { .. } => self.inner.jwks_uri().await.map(|_| ()),
            KeySource::JwksUri(_) => Ok(()),
        }
    }

    /// The key for `kid`, fetching or refetching the JWKS as the policy allows.
    pub async fn get(&self, kid: &str) -> Result<Arc<VerifyingKey>, KeyError> {
        let now = self.inner.clock.now();
        let seen = self.inner.snapshot();
        if let Some(set) = &seen
            && let Some(key) = set.keys.get(kid)
        {
            let age = now.saturating_duration_since(set.fetched_at);
            if age < self.inner.settings.ttl {
                return Ok(key.clone());
            }
            if age < self.inner.settings.ttl + self.inner.settings.max_stale {
                self.refresh_in_background();
                return Ok(key.clone());
            }
        }
        self.get_after_refresh(kid, seen.map(|s| s.generation))
            .await
    }

    async fn get_after_refresh(
        &self,
        kid: &str,
        seen_generation: Option<u64>,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        let inner = &self.inner;
        let mut state = inner.refresh.lock().await;
        let now = inner.clock.now();

        // Someone else fetched while we waited for the lock: their answer is ours.
        let current = inner.snapshot();
        if current.as_ref().map(|s| s.generation) != seen_generation {
            return inner.lookup(current.as_deref(), kid, now);
        }

        if let Some(last) = state.last_attempt {
            let since = now.saturating_duration_since(last);
            if since < inner.settings.cooldown {
                return inner
                    .lookup(current.as_deref(), kid, now)
                    .map_err(|e| match e {
                        KeyError::Unavailable { .. } => KeyError::Unavailable {
                            retry_after: inner.settings.cooldown - since,
                        },
                        other => other,
                    });
            }
        }

        state.last_attempt = Some(now);
        inner.fetch_and_store().await;
        let current = inner.snapshot();
        inner.lookup(current.as_deref(), kid, inner.clock.now())
    }

    fn refresh_in_background(&self) {
        if self.inner.background_refresh.swap(true, Ordering::AcqRel) {
            return;
        }
        let cache = self.clone();
        tokio::spawn(async move {
            let inner = &cache.inner;
            {
                let mut state = inner.refresh.lock().await;
                let now = inner.clock.now();
                let still_stale = inner.snapshot().is_none_or(|s| {
                    now.saturating_duration_since(s.fetched_at) >= inner.settings.ttl
                });
                let cooled_down = state.last_attempt.is_none_or(|last| {
                    now.saturating_duration_since(last) >= inner.settings.cooldown
                });
                if still_stale && cooled_down {
                    state.last_attempt = Some(now);
                    inner.fetch_and_store().await;
                }
            }
            inner.background_refresh.store(false, Ordering::Release);
        });
    }
}

impl Inner {
    fn snapshot(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Looks `kid` up in `set`, if the set is still usable at `now`.
    fn lookup(
        &self,
        set: Option<&KeySet>,
        kid: &str,
        now: Instant,
    ) -> Result<Arc<VerifyingKey>, KeyError> {
        let usable = set.filter(|s| {
            now.saturating_duration_since(s.fetched_at)
                < self.settings.ttl + self.settings.max_stale
        });
        match usable {
            Some(set) => set.keys.get(kid).cloned().ok_or(KeyError::UnknownKid),
            None => Err(KeyError::Unavailable {
                retry_after: self.settings.cooldown,
            }),
        }
    }

    async fn fetch_and_store(&self) {
        self.fetch_attempts.fetch_add(1, Ordering::Relaxed);
        match self.fetch().await {
            Ok(keys) => {
                let mut slot = self.keys.write().unwrap_or_else(|e| e.into_inner());
                let generation = slot.as_ref().map_or(1, |s| s.generation + 1);
                tracing::info!(kids = ?keys.keys().collect::<Vec<_>>(), "JWKS fetched");
                *slot = Some(Arc::new(KeySet {
                    keys,
                    fetched_at: self.clock.now(),
                    generation,
                }));
            }
            Err(error) => {
                tracing::warn!(%error, "JWKS fetch failed; keeping the previous key set");
            }
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<VerifyingKey>>, FetchError> {
        let url = self.jwks_uri().await?;
        let body = self.get_json_body(&url).await?;
        let jwks: JwkSet = serde_json::from_slice(&body).map_err(|e| FetchError::Invalid {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        let keys = usable_keys(jwks);
        if keys.is_empty() {
            return Err(FetchError::NoUsableKeys {
                url: url.to_string(),
            });
        }
        Ok(keys)
    }

    async fn jwks_uri(&self) -> Result<Url, FetchError> {
        let issuer = match &self.source {
            KeySource::JwksUri(url) => return Ok(url.clone()),
            KeySource::Discovery { issuer } => issuer,
        };
        if let Some(url) = self
            .discovered_jwks_uri
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(url);
        }
        let discovery_url = discovery_url(issuer)?;
        let body = self.get_json_body(&discovery_url).await?;
        let invalid = |reason: String| FetchError::Invalid {
            url: discovery_url.to_string(),
            reason,
        };
        let document: DiscoveryDocument =
            serde_json::from_slice(&body).map_err(|e| invalid(e.to_string()))?;
        if document.issuer != *issuer {
            return Err(FetchError::IssuerMismatch {
                expected: issuer.clone(),
                found: document.issuer,
            });
        }
        let jwks_uri = Url::parse(&document.jwks_uri).map_err(|e| invalid(e.to_string()))?;
        if !matches!(jwks_uri.scheme(), "http" | "https") {
            return Err(invalid("jwks_uri is not an http(s) URL".into()));
        }
        *self
            .discovered_jwks_uri
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(jwks_uri.clone());
        Ok(jwks_uri)
    }

    /// GETs `url`, insisting on 200 and reading at most `max_response_bytes`.
    async fn get_json_body(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        let limit = self.settings.max_response_bytes;
        let http_error = |source| FetchError::Http {
            url: url.to_string(),
            source,
        };
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit,
        };
        let mut response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(http_error)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: response.status().as_u16(),
            });
        }
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http_error)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// `{issuer}/.well-known/openid-configuration`, with the issuer's trailing slash folded
/// (OIDC Discovery §4).
fn discovery_url(issuer: &str) -> Result<Url, FetchError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    Url::parse(&url).map_err(|e| FetchError::Invalid {
        url,
        reason: e.to_string(),
    })
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

fn usable_keys(jwks: JwkSet) -> HashMap<String, Arc<VerifyingKey>> {
    let mut keys = HashMap::new();
    let mut ambiguous = Vec::new();
    for jwk in &jwks.keys {
        let Some((kid, key)) = usable_key(jwk) else {
            continue;
        };
        if keys.insert(kid.clone(), Arc::new(key)).is_some() {
            ambiguous.push(kid);
        }
    }
    for kid in ambiguous {
        tracing::warn!(
            kid,
            "JWKS holds several keys with one kid; ignoring them all"
        );
        keys.remove(&kid);
    }
    keys
}

fn usable_key(jwk: &serde_json::Value) -> Option<(String, VerifyingKey)> {
    let field = |name: &str| jwk.get(name);
    let str_field = |name: &str| field(name).and_then(|v| v.as_str());
    if str_field("kty") != Some("RSA") {
        return None;
    }
    if field("use").is_some() && str_field("use") != Some("sig") {
        return None;
    }
    if field("alg").is_some() && str_field("alg") != Some("RS256") {
        return None;
    }
    let kid = str_field("kid").filter(|k| !k.is_empty())?;
    let n = URL_SAFE_NO_PAD.decode(str_field("n")?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(str_field("e")?).ok()?;
    Some((kid.to_owned(), VerifyingKey::from_rsa_components(&n, &e)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa_jwk(kid: &str, n_bytes: usize) -> serde_json::Value {
        let mut n = vec![0xC5u8; n_bytes];
        n[n_bytes - 1] = 0x01;
        json!({"kty":"RSA","use":"sig","alg":"RS256","kid":kid,
               "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"})
    }

    #[test]
    fn keeps_a_2048_bit_rs256_signing_key() {
        assert!(usable_key(&rsa_jwk("k1", 256)).is_some());
    }

    #[test]
    fn ignores_keys_shorter_than_2048_bits() {
        assert!(usable_key(&rsa_jwk("k1", 128)).is_none());
    }

    #[test]
    fn ignores_keys_for_other_algorithms_uses_and_types() {
        for (field, value) in [
            ("alg", json!("RS512")),
            ("alg", json!("HS256")),
            ("use", json!("enc")),
            ("kty", json!("EC")),
            ("kid", json!("")),
            ("kid", json!(1)),
            ("e", json!("AQ")),
        ] {
            let mut jwk = rsa_jwk("k1", 256);
            jwk[field] = value.clone();
            assert!(usable_key(&jwk).is_none(), "{field}={value} was accepted");
        }
    }

    #[test]
    fn drops_every_key_of_a_duplicated_kid() {
        let jwks = JwkSet {
            keys: vec![rsa_jwk("dup", 256), rsa_jwk("dup", 257), rsa_jwk("k2", 256)],
        };
        let keys = usable_keys(jwks);
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["k2"]);
    }

    #[test]
    fn discovery_url_folds_the_issuers_trailing_slash() {
        assert_eq!(
            discovery_url("http://localhost:4000/").unwrap().as_str(),
            "http://localhost:4000/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://idp.test/realms/x").unwrap().as_str(),
            "https://idp.test/realms/x/.well-known/openid-configuration"
        );
    }
}
