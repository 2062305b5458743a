//! [`Explain`]: the test's builder for what an API expects of a token, from
//! [`MockIdp::explain`](crate::MockIdp::explain); the checks live in [`crate::explain`].

use std::time::Duration;

use crate::engine::SharedIdp;
use crate::explain::{Expected, Report, explain};

/// What the API that would receive a token expects; [`report`](Explain::report) runs the
/// checks. Without expectations, the issuer is the mock's, any API of the tenant is a fine
/// audience, no scope is required, and the leeway is 60 s (see [`Report`] for the rules).
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Check, MockIdp, Verdict};
/// // Arrange
/// let idp = MockIdp::start().await;
/// let token = idp.token().audience("https://orders").sign();
///
/// // Act
/// let report = idp.explain(&token).audience("https://sample-api").scope("read:messages").report();
///
/// // Assert
/// assert_eq!(report.verdict, Verdict::Invalid);
/// assert!(!report.check(Check::Aud).ok());
/// assert!(!report.check(Check::Scope).ok());
/// assert!(report.hints.iter().any(|h| h.contains("ask for audience https://sample-api")), "{:?}", report.hints);
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "an Explain does nothing until `.report()` is called"]
pub struct Explain {
    idp: SharedIdp,
    token: String,
    expected: Expected,
}

impl Explain {
    pub(crate) fn new(idp: SharedIdp, token: &str) -> Self {
        Self {
            idp,
            token: token.to_owned(),
            expected: Expected::default(),
        }
    }

    /// The API identifier `aud` must name.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Check, MockIdp};
    /// let idp = MockIdp::start().await;
    /// let token = idp.token().sign();
    /// assert!(idp.explain(&token).audience("https://sample-api").report().check(Check::Aud).ok());
    /// assert!(!idp.explain(&token).audience("https://orders").report().check(Check::Aud).ok());
    /// # }
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.expected.audience = Some(audience.into());
        self
    }

    /// The exact issuer the API expects (by default the mock's, with its trailing slash).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Check, MockIdp};
    /// let idp = MockIdp::start().await;
    /// let without_slash = idp.issuer().trim_end_matches('/').to_owned();
    /// let report = idp.explain(&idp.token().sign()).issuer(without_slash).report();
    /// assert!(!report.check(Check::Iss).ok());
    /// assert!(report.hints[0].contains("trailing slash"), "{:?}", report.hints);
    /// # }
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.expected.issuer = Some(issuer.into());
        self
    }

    /// A scope the API requires, in `scope` or `permissions`; call it once per scope.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Check, MockIdp};
    /// let idp = MockIdp::start().await;
    /// let token = idp.token().permissions(["read:messages"]).sign();
    /// assert!(idp.explain(&token).scope("read:messages").report().check(Check::Scope).ok());
    /// # }
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.expected.scopes.push(scope.into());
        self
    }

    /// Several required scopes at once.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Check, MockIdp};
    /// let idp = MockIdp::start().await;
    /// let token = idp.token().scope("read:messages").sign();
    /// let report = idp.explain(&token).scopes(["read:messages", "write:messages"]).report();
    /// assert!(report.check(Check::Scope).detail.contains("Lacks write:messages"));
    /// # }
    /// ```
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expected
            .scopes
            .extend(scopes.into_iter().map(Into::into));
        self
    }

    /// The clock tolerance for `exp`, `nbf` and `iat` (default 60 s, `jsonwebtoken`'s; the
    /// sample API and `express-oauth2-jwt-bearer` use 5 s).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use std::time::Duration;
    /// use mock_idp::{Check, MockIdp};
    /// let idp = MockIdp::builder().deterministic().start().await;
    /// let token = idp.token().expires_in(Duration::from_secs(10)).sign();
    /// idp.clock().advance(Duration::from_secs(30));
    /// assert!(idp.explain(&token).report().check(Check::Exp).ok(), "within 60 s");
    /// let strict = idp.explain(&token).leeway(Duration::from_secs(5)).report();
    /// assert!(!strict.check(Check::Exp).ok());
    /// # }
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.expected.leeway_secs = Some(leeway.as_secs());
        self
    }

    /// Runs every check, against the mock's keys, retired keys, tenant and clock as they are
    /// now.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{MockIdp, Verdict};
    /// let idp = MockIdp::start().await;
    /// let token = idp.token().scope("read:messages").sign();
    /// let report = idp.explain(&token).audience("https://sample-api").scope("read:messages").report();
    /// assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    /// assert!(report.hints.is_empty());
    /// # }
    /// ```
    pub fn report(self) -> Report {
        explain(&self.idp, &self.token, &self.expected)
    }
}
