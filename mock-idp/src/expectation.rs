//! Expectations: how many requests of a kind a test wants the mock to receive, checked when
//! the mock (or a scoped guard) goes away, as wiremock checks `Mock::expect`.
//!
//! Design notes:
//! - Requests are counted in `journal::record`, as the journal records them, and not read
//!   back from the journal: the journal is a ring of the last 1,000 requests, and a count
//!   taken from it would silently stop growing in a long test.
//! - A request counts only for expectations registered before it *arrived* (the middleware
//!   reads a watermark before running the handler), so a request still in flight when the
//!   test registers an expectation cannot satisfy it.
//! - The journal records after the handler returns and before the response is written, so a
//!   request whose response the test has received has always been counted, whichever runtime
//!   flavour the test uses: the mock serves on its own thread and the count sits behind a
//!   `std::sync::Mutex`, never an async lock, so `Drop` can verify without awaiting.
//! - Expectations belong to the test, not to the mock's state: `MockIdp::reset` and
//!   `POST /_mock/reset` leave them, and their counts, alone.
//! - The report is built under the lock and the panic raised after releasing it, so a failed
//!   verification never poisons the lock for the server thread.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::panic::Location;
use std::sync::Mutex;

use crate::journal::{Endpoint, RecordedRequest};
use crate::state::{SharedIdp, lock};

/// How many matching requests each expectation keeps for its failure message: enough to see
/// a pattern, few enough that a runaway loop does not flood the test output.
const KEPT_REQUESTS: usize = 20;

/// Every expectation registered on one mock.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Ids are handed out in order, so "registered before this request arrived" is
    /// `id < watermark`.
    next_id: u64,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    endpoint: Endpoint,
    grant: Option<String>,
    client: Option<String>,
    name: Option<String>,
    at_least: Option<u64>,
    at_most: Option<u64>,
    /// Scoped entries are verified by their guard only, never by the mock.
    scoped: bool,
    /// `Drop` cannot be `#[track_caller]`, so the message points at `idp.expect(..)` instead.
    registered_at: &'static Location<'static>,
    count: u64,
    /// The last [`KEPT_REQUESTS`] matches. Their `seq` is not yet assigned (the journal
    /// numbers requests after this), which is why the message does not show it.
    recent: VecDeque<RecordedRequest>,
}

impl Entry {
    /// Without any bound, an expectation means "at least once"; with only an upper bound,
    /// "never" is allowed too, as in wiremock's `expect(..=n)`.
    fn range(&self) -> (u64, Option<u64>) {
        let at_least = self
            .at_least
            .unwrap_or(if self.at_most.is_some() { 0 } else { 1 });
        (at_least, self.at_most)
    }

    fn is_met(&self) -> bool {
        let (at_least, at_most) = self.range();
        self.count >= at_least && at_most.is_none_or(|max| self.count <= max)
    }

    fn matches(&self, request: &RecordedRequest) -> bool {
        request.endpoint == self.endpoint
            && self
                .grant
                .as_ref()
                .is_none_or(|g| request.grant_type.as_ref() == Some(g))
            && self
                .client
                .as_ref()
                .is_none_or(|c| request.client_id.as_ref() == Some(c))
    }

    fn description(&self) -> String {
        let mut description = format!("{:?}", self.endpoint);
        let filters: Vec<String> = [("grant", &self.grant), ("client", &self.client)]
            .into_iter()
            .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label} {v}")))
            .collect();
        if !filters.is_empty() {
            let _ = write!(description, " with {}", filters.join(" and "));
        }
        description
    }

    fn wanted(&self) -> String {
        match self.range() {
            (min, Some(max)) if min == max => format!("exactly {min}"),
            (min, None) => format!("at least {min}"),
            (0, Some(max)) => format!("at most {max}"),
            (min, Some(max)) => format!("between {min} and {max}"),
        }
    }

    fn report(&self, out: &mut String) {
        let title = match &self.name {
            Some(name) => format!("{name} ({})", self.description()),
            None => self.description(),
        };
        let _ = writeln!(
            out,
            "- {title}: wanted {}, got {}",
            self.wanted(),
            self.count
        );
        let shown = self.recent.len() as u64;
        if self.count > shown {
            let _ = writeln!(out, "    ({} earlier not shown)", self.count - shown);
        }
        for request in &self.recent {
            let _ = writeln!(out, "    {}", journal_line(request));
        }
        let _ = writeln!(
            out,
            "    (registered at {}:{})",
            self.registered_at.file(),
            self.registered_at.line()
        );
    }
}

/// What the journal may print: never bodies, query strings or headers.
fn journal_line(request: &RecordedRequest) -> String {
    let mut line = format!("{} {} -> {}", request.method, request.path, request.status);
    let details: Vec<String> = [
        request.grant_type.as_ref().map(|g| format!("grant {g}")),
        request.client_id.as_ref().map(|c| format!("client {c}")),
        request.faulted.then(|| "faulted".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        let _ = write!(line, " ({})", details.join(", "));
    }
    line
}

fn report<'a>(failed: impl IntoIterator<Item = &'a Entry>) -> Option<String> {
    let failed: Vec<&Entry> = failed.into_iter().collect();
    if failed.is_empty() {
        return None;
    }
    let plural = if failed.len() == 1 { "" } else { "s" };
    let mut out = format!("mock-idp: {} expectation{plural} not met:\n", failed.len());
    for entry in failed {
        entry.report(&mut out);
    }
    Some(out)
}

/// Panics with the report, unless the thread is already panicking: a second panic would
/// abort the process and hide the test's own failure, so then the report only goes to
/// stderr (wiremock does the same).
#[track_caller]
fn fail(report: Option<String>) {
    let Some(report) = report else { return };
    if std::thread::panicking() {
        eprintln!("{report}");
    } else {
        panic!("{report}");
    }
}

impl Expectations {
    /// Read before a request is handled; see [`Expectations::observe`].
    pub(crate) fn watermark(&self) -> u64 {
        lock(&self.inner).next_id
    }

    /// Counts `request` for every expectation registered before it arrived.
    pub(crate) fn observe(&self, request: &RecordedRequest, watermark: u64) {
        let mut inner = lock(&self.inner);
        for entry in inner
            .entries
            .iter_mut()
            .filter(|e| e.id < watermark && e.matches(request))
        {
            entry.count += 1;
            if entry.recent.len() == KEPT_REQUESTS {
                entry.recent.pop_front();
            }
            entry.recent.push_back(request.clone());
        }
    }

    fn register(&self, endpoint: Endpoint, registered_at: &'static Location<'static>) -> u64 {
        let mut inner = lock(&self.inner);
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.push(Entry {
            id,
            endpoint,
            grant: None,
            client: None,
            name: None,
            at_least: None,
            at_most: None,
            scoped: false,
            registered_at,
            count: 0,
            recent: VecDeque::new(),
        });
        id
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Entry)) {
        if let Some(entry) = lock(&self.inner).entries.iter_mut().find(|e| e.id == id) {
            change(entry);
        }
    }

    fn remove(&self, id: u64) -> Option<Entry> {
        let mut inner = lock(&self.inner);
        let index = inner.entries.iter().position(|e| e.id == id)?;
        Some(inner.entries.remove(index))
    }

    /// Panics with a report of every unmet unscoped expectation (see [`fail`]). Entries stay
    /// registered: counts only grow, so the next check can still catch an `at_most`.
    #[track_caller]
    pub(crate) fn verify_unscoped(&self) {
        let report = {
            let inner = lock(&self.inner);
            report(inner.entries.iter().filter(|e| !e.scoped && !e.is_met()))
        };
        fail(report);
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn jwks_request() -> RecordedRequest {
        RecordedRequest {
            seq: 0,
            method: "GET".into(),
            path: "/.well-known/jwks.json".into(),
            endpoint: Endpoint::Jwks,
            status: 200,
            at: 0,
            grant_type: None,
            client_id: None,
            faulted: false,
        }
    }

    #[test]
    fn a_request_in_flight_when_the_expectation_is_registered_does_not_count() {
        // Arrange: the request arrives, then the test registers an expectation.
        let expectations = Expectations::default();
        let arrived = expectations.watermark();
        let id = expectations.register(Endpoint::Jwks, Location::caller());

        // Act: the request completes.
        expectations.observe(&jwks_request(), arrived);
        expectations.observe(&jwks_request(), expectations.watermark());

        // Assert
        let entry = expectations.remove(id).unwrap();
        assert_eq!(entry.count, 1, "only the request that arrived afterwards");
    }
}
