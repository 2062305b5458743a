//! Why a token would be accepted or rejected: the checks a hardened API validator makes, run
//! against what this mock knows (its keys, retired keys, clock, tenant), each with a sentence,
//! and hints that say what to do. `POST /_mock/explain` and
//! [`MockIdp::explain`](crate::MockIdp::explain) both answer with a [`Report`].
//!
//! # The rules
//!
//! The checks are `jsonwebtoken`'s (and `sample-api`'s), in this order:
//!
//! | check | passes when |
//! |---|---|
//! | `structure` | three base64url segments, header and payload JSON objects without duplicate names, at most 16 KiB |
//! | `alg` | the algorithm of the published key the `kid` names (RS256, PS256 or ES256); HS256 only for an API (or a client's ID tokens) configured with a shared secret |
//! | `kid` | a string naming a key in the JWKS |
//! | `signature` | it verifies with that key |
//! | `typ` | absent, `JWT` or `at+jwt` |
//! | `iss` | exactly the expected issuer (default: this mock's, with its trailing slash) |
//! | `aud` | a string equal to the expected audience or an array containing it; with no audience given, one of the tenant's APIs |
//! | `exp` | an integer, not before now − leeway |
//! | `nbf` | `nbf` and `iat`, when present, integers not after now + leeway |
//! | `scope` | each expected scope is in `scope` (space-separated) or `permissions` |
//!
//! "Now" is the mock's clock, so a test that moves it sees tokens expire. The leeway is
//! **60 seconds**, `jsonwebtoken`'s default; ask for another with `leeway_secs`
//! ([`Explain::leeway`](crate::Explain::leeway)). `sample-api` and
//! `express-oauth2-jwt-bearer` allow 5 s, so a token within a minute of `exp` can pass here
//! and fail there: ask for `leeway_secs: 5` to judge like them.
//!
//! A check that cannot run (the signature of a token whose key is unknown, the claims of a
//! token whose payload does not decode) is [`Outcome::NotRun`], and the verdict is
//! [`Verdict::Valid`] only when every check passed.

mod checks;
mod decode;
pub(crate) mod words;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::engine::Idp;

/// What the API that would receive the token expects; every field is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expected {
    /// The API identifier `aud` must name.
    #[serde(default)]
    pub(crate) audience: Option<String>,
    /// The exact `iss`; this mock's issuer when absent.
    #[serde(default)]
    pub(crate) issuer: Option<String>,
    /// Scopes the API requires, each in `scope` or `permissions`.
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
    /// Clock tolerance for `exp`, `nbf` and `iat`.
    #[serde(default)]
    pub(crate) leeway_secs: Option<u64>,
}

/// The default clock tolerance: `jsonwebtoken`'s.
pub(crate) const DEFAULT_LEEWAY_SECS: u64 = 60;

/// Explains `token` to an API that expects `expected`.
pub(crate) fn explain(idp: &Idp, token: &str, expected: &Expected) -> Report {
    checks::run(idp, token, expected)
}

/// The verdict on a token: would a validator with these expectations accept it?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// A check failed or could not run.
    Invalid,
}

/// One of the checks, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Compact JWS shape, base64url, JSON objects, size.
    Structure,
    /// The header's `alg` against the key's.
    Alg,
    /// The header's `kid` against the JWKS (and the keys this mock retired).
    Kid,
    /// The signature with the published key.
    Signature,
    /// The header's `typ`.
    Typ,
    /// `iss` against the expected issuer.
    Iss,
    /// `aud` against the expected audience.
    Aud,
    /// `exp` against the mock's clock.
    Exp,
    /// `nbf` and `iat` against the mock's clock.
    Nbf,
    /// The expected scopes against `scope` and `permissions`.
    Scope,
}

impl Check {
    /// Every check, in the order they run.
    pub const ALL: [Self; 10] = [
        Self::Structure,
        Self::Alg,
        Self::Kid,
        Self::Signature,
        Self::Typ,
        Self::Iss,
        Self::Aud,
        Self::Exp,
        Self::Nbf,
        Self::Scope,
    ];

    /// The name in the JSON answer (`"aud"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Structure => "structure",
            Self::Alg => "alg",
            Self::Kid => "kid",
            Self::Signature => "signature",
            Self::Typ => "typ",
            Self::Iss => "iss",
            Self::Aud => "aud",
            Self::Exp => "exp",
            Self::Nbf => "nbf",
            Self::Scope => "scope",
        }
    }
}

/// How a check went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The token passes it.
    Passed,
    /// The token fails it; a validator rejects the token.
    Failed,
    /// It could not be run (its input is missing or undecodable); the detail says why.
    NotRun,
}

/// One check's result: `{"check": "aud", "ok": false, "outcome": "failed", "detail": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// Which check.
    pub check: Check,
    /// How it went.
    pub outcome: Outcome,
    /// One plain sentence: what was found, against what.
    pub detail: String,
}

impl CheckResult {
    /// Whether it passed (`false` for a check that did not run).
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Passed
    }
}

impl Serialize for CheckResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("CheckResult", 4)?;
        s.serialize_field("check", &self.check)?;
        s.serialize_field("ok", &self.ok())?;
        s.serialize_field("outcome", &self.outcome)?;
        s.serialize_field("detail", &self.detail)?;
        s.end()
    }
}

/// The explanation of one token.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Check, MockIdp, Outcome, Verdict};
/// // Arrange: an ID token, sent to an API as if it were an access token.
/// let idp = MockIdp::start().await;
/// let id_token = idp.token().id_token().sign();
///
/// // Act
/// let report = idp.explain(&id_token).audience("https://sample-api").report();
///
/// // Assert
/// assert_eq!(report.verdict, Verdict::Invalid);
/// assert_eq!(report.check(Check::Signature).outcome, Outcome::Passed);
/// assert!(!report.check(Check::Aud).ok());
/// assert!(report.hints[0].contains("ID token"), "{:?}", report.hints);
/// assert_eq!(report.claims.as_ref().unwrap()["aud"], "sample-spa");
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Valid only when every check passed.
    pub verdict: Verdict,
    /// The decoded header, when it decodes to a JSON object.
    pub header: Option<Map<String, Value>>,
    /// The decoded claims, when they decode to a JSON object (unverified: read them with
    /// the checks).
    pub claims: Option<Map<String, Value>>,
    /// Every check, in [`Check::ALL`]'s order.
    pub checks: Vec<CheckResult>,
    /// What to do, in the order of the checks that call for it; empty for a valid token.
    pub hints: Vec<String>,
    /// The mock clock the time checks used (Unix seconds).
    pub now: i64,
    /// The clock tolerance the time checks allowed.
    pub leeway_secs: u64,
}

impl Report {
    /// The result of `check` (every report has all of them).
    pub fn check(&self, check: Check) -> &CheckResult {
        self.checks
            .iter()
            .find(|c| c.check == check)
            .expect("a report holds every check")
    }

    /// Whether a validator with these expectations accepts the token.
    pub fn is_valid(&self) -> bool {
        self.verdict == Verdict::Valid
    }
}
