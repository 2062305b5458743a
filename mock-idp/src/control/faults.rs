//! Fault injection: make an endpoint fail or slow down, for the next N calls or until cleared.
//!
//! Faults apply before routing, so a faulted endpoint does no work (a faulted token request
//! issues nothing). Delays are real time: they exist to exercise a client's timeouts.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::control::journal::Endpoint;
use crate::store::{exclusive, lock};

/// One installed fault.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fault {
    /// The endpoint it applies to.
    pub(crate) endpoint: Endpoint,
    /// Answer with this status instead of handling the request. `None` only delays.
    #[serde(default)]
    pub(crate) status: Option<u16>,
    /// The body to answer with (default: an OAuth-style JSON error).
    #[serde(default)]
    pub(crate) body: Option<String>,
    /// The content type of `body` (default `application/json`).
    #[serde(default)]
    pub(crate) content_type: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub(crate) delay_ms: Option<u64>,
    /// How many requests it applies to; `None` is until cleared.
    #[serde(default)]
    pub(crate) times: Option<u32>,
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

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.installed).clear();
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
