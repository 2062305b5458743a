//! Fault injection: make an endpoint fail or slow down, for the next N calls or until cleared.
//!
//! Faults apply before routing, so a faulted endpoint does no work (a faulted token request
//! issues nothing). Delays are real time: they exist to exercise a client's timeouts.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::control::journal::Endpoint;
use crate::store::lock;

/// One installed fault.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Endpoint, Fault, MockIdp};
/// // Arrange: the same fault through the control API, as a test in another language would.
/// let idp = MockIdp::start().await;
/// let fault = Fault { endpoint: Endpoint::Token, status: Some(503), body: None, content_type: None, delay_ms: None, times: Some(1) };
/// let http = reqwest::Client::new();
/// let installed = http.post(idp.url("/_mock/faults")).json(&fault).send().await.unwrap();
/// assert!(installed.status().is_success());
///
/// // Act
/// let token = |http: &reqwest::Client| http.post(idp.url("/oauth/token")).send();
///
/// // Assert: once, then the endpoint works again (here: 400 for an empty request).
/// assert_eq!(token(&http).await.unwrap().status(), 503);
/// assert_eq!(token(&http).await.unwrap().status(), 400);
/// # }
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The endpoint it applies to.
    pub endpoint: Endpoint,
    /// Answer with this status instead of handling the request. `None` only delays.
    #[serde(default)]
    pub status: Option<u16>,
    /// The body to answer with (default: an OAuth-style JSON error).
    #[serde(default)]
    pub body: Option<String>,
    /// The content type of `body` (default `application/json`).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// How many requests it applies to; `None` is until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    installed: Mutex<Vec<Fault>>,
}

impl Faults {
    pub(crate) fn install(&self, fault: Fault) {
        lock(&self.installed).push(fault);
    }

    pub(crate) fn clear(&self) {
        lock(&self.installed).clear();
    }

    pub(crate) fn list(&self) -> Vec<Fault> {
        lock(&self.installed).clone()
    }

    /// Takes one use of the first fault for `endpoint`.
    /// The fault for `endpoint`, if one is installed, counting down its `times`.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut installed = lock(&self.installed);
        let index = installed.iter().position(|f| f.endpoint == endpoint)?;
        let fault = installed[index].clone();
        if let Some(times) = &mut installed[index].times {
            *times = times.saturating_sub(1);
            if *times == 0 {
                installed.remove(index);
            }
        }
        Some(fault)
    }
}
