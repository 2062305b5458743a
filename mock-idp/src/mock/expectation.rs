//! [`Expectation`] and [`ExpectationGuard`]: the test's handles on expectations, which the
//! engine counts ([`crate::control::expectations`]).

use std::panic::Location;

use crate::control::expectations::{fail, report};
use crate::control::journal::Endpoint;
use crate::engine::SharedIdp;

/// An expectation on the requests a [`MockIdp`](crate::MockIdp) receives; from
/// [`MockIdp::expect`](crate::MockIdp::expect).
///
/// It is registered at once: each builder method changes the registered expectation and
/// returns the handle, so the statement form `idp.expect(..).times(1);` needs no `.mount()`,
/// and dropping the handle leaves the expectation in place. The mock checks it when it drops
/// (or on [`MockIdp::verify`](crate::MockIdp::verify)); [`scoped`](Expectation::scoped)
/// hands it to a guard instead.
///
/// Without [`times`](Expectation::times), [`at_least`](Expectation::at_least) or
/// [`at_most`](Expectation::at_most) it wants at least one matching request. Only requests
/// that arrive after it was registered count, every one of them (not only the last 1,000 the
/// journal keeps), and [`MockIdp::reset`](crate::MockIdp::reset) does not remove it or
/// reset its count: an expectation belongs to the test, not to the mock's state.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Endpoint, MockIdp};
///
/// // Arrange
/// let idp = MockIdp::start().await;
/// idp.expect(Endpoint::Jwks).times(2).named("one fetch per verifier");
///
/// // Act
/// for _ in 0..2 {
///     reqwest::get(idp.jwks_uri()).await.unwrap();
/// }
///
/// // Assert: verified when `idp` drops.
/// # }
/// ```
#[derive(Debug)]
pub struct Expectation {
    idp: SharedIdp,
    id: u64,
}

impl Expectation {
    pub(crate) fn register(
        idp: SharedIdp,
        endpoint: Endpoint,
        registered_at: &'static Location<'static>,
    ) -> Self {
        let id = idp.expectations.register(endpoint, registered_at);
        Self { idp, id }
    }

    /// Changes the bounds, then refuses (with a panic) a range no count can satisfy.
    #[track_caller]
    fn bound(self, at_least: Option<u64>, at_most: Option<u64>) -> Self {
        let mut range = None;
        self.idp.expectations.update(self.id, |entry| {
            entry.at_least = at_least.or(entry.at_least);
            entry.at_most = at_most.or(entry.at_most);
            range = Some(entry.range());
        });
        if let Some((min, Some(max))) = range
            && min > max
        {
            // An impossible expectation must not also fail again, less clearly, at drop.
            self.idp.expectations.remove(self.id);
            panic!(
                "mock-idp: an expectation cannot want at least {min} and at most {max} requests"
            );
        }
        self
    }

    /// Exactly `n` matching requests (both bounds at once).
    ///
    /// ```should_panic
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Jwks).times(1).named("the API caches the JWKS");
    ///
    /// // Act: a verifier that does not cache.
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    ///
    /// // Assert: dropping the mock panics with
    /// // "- the API caches the JWKS (Jwks): wanted exactly 1, got 2".
    /// # }
    /// ```
    #[track_caller]
    pub fn times(self, n: u64) -> Self {
        self.bound(Some(n), Some(n))
    }

    /// At least `n` matching requests; with [`at_most`](Expectation::at_most), a range.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Health).at_least(2).at_most(3);
    ///
    /// // Act
    /// for _ in 0..3 {
    ///     reqwest::get(idp.url("/health")).await.unwrap();
    /// }
    ///
    /// // Assert: between 2 and 3, met.
    /// idp.verify();
    /// # }
    /// ```
    #[track_caller]
    pub fn at_least(self, n: u64) -> Self {
        self.bound(Some(n), None)
    }

    /// At most `n` matching requests. Alone, it allows none at all.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Revoke).at_most(1).named("logout revokes at most once");
    ///
    /// // Act: no revocation at all.
    /// reqwest::get(idp.url("/health")).await.unwrap();
    ///
    /// // Assert: zero is at most one.
    /// idp.verify();
    /// # }
    /// ```
    #[track_caller]
    pub fn at_most(self, n: u64) -> Self {
        self.bound(None, Some(n))
    }

    /// Counts only requests the journal records with this `grant_type`
    /// ([`RecordedRequest::grant_type`](crate::RecordedRequest::grant_type)).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Token).grant("client_credentials").times(1);
    /// let http = reqwest::Client::new();
    ///
    /// // Act: one client-credentials request, and a password grant that does not count.
    /// http.post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "client_credentials"), ("client_id", "sample-m2m"),
    ///             ("client_secret", "sample-m2m-secret"), ("audience", "https://sample-api")])
    ///     .send().await.unwrap();
    /// http.post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "password"), ("client_id", "sample-spa"),
    ///             ("username", "alice@example.com"), ("password", "password")])
    ///     .send().await.unwrap();
    ///
    /// // Assert
    /// idp.verify();
    /// # }
    /// ```
    pub fn grant(self, grant_type: impl Into<String>) -> Self {
        let grant_type = grant_type.into();
        self.idp
            .expectations
            .update(self.id, |entry| entry.grant = Some(grant_type));
        self
    }

    /// Counts only requests the journal records for this client
    /// ([`RecordedRequest::client_id`](crate::RecordedRequest::client_id)).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Token).client("sample-spa").at_most(0).named("the SPA never asks for a token");
    ///
    /// // Act: only the M2M client does.
    /// reqwest::Client::new()
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "client_credentials"), ("client_id", "sample-m2m"),
    ///             ("client_secret", "sample-m2m-secret"), ("audience", "https://sample-api")])
    ///     .send().await.unwrap();
    ///
    /// // Assert
    /// idp.verify();
    /// # }
    /// ```
    pub fn client(self, client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        self.idp
            .expectations
            .update(self.id, |entry| entry.client = Some(client_id));
        self
    }

    /// The name the failure message uses, instead of a description such as
    /// `Token with grant client_credentials`.
    ///
    /// ```should_panic
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Discovery).named("the SDK reads the discovery document");
    ///
    /// // Act: nothing reads it.
    ///
    /// // Assert: panics with
    /// // "- the SDK reads the discovery document (Discovery): wanted at least 1, got 0".
    /// idp.verify();
    /// # }
    /// ```
    pub fn named(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.idp
            .expectations
            .update(self.id, |entry| entry.name = Some(name));
        self
    }

    /// Moves the expectation out of the mock's set into a guard that verifies it, and only
    /// it, when the guard drops (wiremock's `mount_as_scoped`). The mock and
    /// [`MockIdp::verify`](crate::MockIdp::verify) no longer check it.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// {
    ///     let _guard = idp.expect(Endpoint::Jwks).times(1).scoped();
    ///
    ///     // Act
    ///     reqwest::get(idp.jwks_uri()).await.unwrap();
    /// } // Assert: verified here, when `_guard` drops.
    ///
    /// // Requests after the guard has gone count for nothing.
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    /// # }
    /// ```
    pub fn scoped(self) -> ExpectationGuard {
        self.idp
            .expectations
            .update(self.id, |entry| entry.scoped = true);
        ExpectationGuard {
            idp: self.idp,
            id: self.id,
        }
    }
}

/// A scoped [`Expectation`]: verified when the guard drops, and by nothing else.
///
/// An unmet expectation panics at that point, unless the thread is already panicking (then
/// the report goes to stderr, so the test's own failure stays the one reported).
///
/// ```should_panic
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Endpoint, MockIdp};
/// // Arrange
/// let idp = MockIdp::start().await;
/// let guard = idp.expect(Endpoint::Token).grant("client_credentials").scoped();
///
/// // Act: no token request.
///
/// // Assert: panics with "- Token with grant client_credentials: wanted at least 1, got 0".
/// drop(guard);
/// # }
/// ```
#[derive(Debug)]
#[must_use = "an ExpectationGuard verifies when it drops: bind it to a variable \
              (`let _guard = ...`, not `let _ = ...`) that lives as long as the check should"]
pub struct ExpectationGuard {
    idp: SharedIdp,
    id: u64,
}

impl Drop for ExpectationGuard {
    fn drop(&mut self) {
        let entry = self.idp.expectations.remove(self.id);
        fail(
            entry
                .as_ref()
                .and_then(|e| report((!e.is_met()).then_some(e))),
        );
    }
}
