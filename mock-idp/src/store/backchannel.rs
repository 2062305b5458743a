//! The back-channel logouts the mock has sent, and how many are still on their way, for
//! tests to wait on
//! ([`MockIdp::wait_for_backchannel_logouts`](crate::MockIdp::wait_for_backchannel_logouts),
//! `GET /_mock/backchannel-logouts?wait=true`) instead of sleeping.
//!
//! A delivery is counted in flight from the moment it is started, before the logout that
//! started it answers, and finished (with its outcome recorded) when the receiver answered or
//! the delivery gave up. So once a test has its logout response, "nothing in flight" means
//! every delivery that logout started is recorded, and a test can assert on exactly what was
//! sent; waiting for that takes at most the delivery timeout.

use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::watch;

use super::{exclusive, lock};

/// One back-channel logout: a `logout_token` POSTed to one URL of one client.
///
/// ```
/// use mock_idp::{BackchannelLogout, BackchannelOutcome};
/// let delivery = BackchannelLogout {
///     client_id: "portal".into(),
///     url: "http://localhost:3000/backchannel-logout".into(),
///     sid: "sid-1".into(),
///     sub: "auth0|alice".into(),
///     at: 1_700_000_000,
///     outcome: BackchannelOutcome::Accepted { status: 204 },
/// };
/// assert!(delivery.outcome.is_accepted());
/// assert_eq!(
///     serde_json::to_value(&delivery).unwrap()["outcome"],
///     serde_json::json!({ "result": "accepted", "status": 204 }),
/// );
/// assert!(!BackchannelOutcome::Timeout.is_accepted());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackchannelLogout {
    /// The client the token was for (its `aud`).
    pub client_id: String,
    /// The URL it was posted to, without its query string.
    pub url: String,
    /// The session that ended (the token's `sid`).
    pub sid: String,
    /// The session's user (the token's `sub`).
    pub sub: String,
    /// The mock clock when the delivery started (Unix seconds).
    pub at: i64,
    /// What came of it.
    pub outcome: BackchannelOutcome,
}

/// What came of one back-channel logout delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BackchannelOutcome {
    /// The receiver answered 2xx: it took the logout.
    Accepted {
        /// The HTTP status.
        status: u16,
    },
    /// The receiver answered, but not 2xx (a 400 is how an application refuses a token).
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// No answer within the delivery timeout.
    Timeout,
    /// Nothing listens at the URL.
    ConnectionRefused,
    /// The host could not be reached (a name that does not resolve, a TLS failure, ...).
    Unreachable,
    /// The delivery could not be made at all (the mock was shutting down, say).
    Failed,
}

impl BackchannelOutcome {
    /// Whether the receiver took the logout (answered 2xx).
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted { .. })
    }

    /// The journal's `error` for this outcome: `None` when accepted.
    pub(crate) fn error(&self) -> Option<&'static str> {
        match self {
            Self::Accepted { .. } => None,
            Self::Rejected { .. } => Some("rejected"),
            Self::Timeout => Some("timeout"),
            Self::ConnectionRefused => Some("connection_refused"),
            Self::Unreachable => Some("unreachable"),
            Self::Failed => Some("failed"),
        }
    }

    /// The receiver's status; 0 when there was no answer.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Accepted { status } | Self::Rejected { status } => *status,
            _ => 0,
        }
    }
}

#[derive(Debug)]
pub(crate) struct BackchannelLogouts {
    inner: Mutex<Inner>,
    /// Bumped after every finished delivery, for waiters.
    finished: watch::Sender<()>,
}

#[derive(Debug, Default)]
struct Inner {
    in_flight: usize,
    done: Vec<BackchannelLogout>,
}

impl Default for BackchannelLogouts {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            finished: watch::Sender::new(()),
        }
    }
}

impl BackchannelLogouts {
    /// A delivery starts: counted in flight until [`BackchannelLogouts::finish`].
    pub(crate) fn start(&self) {
        lock(&self.inner).in_flight += 1;
    }

    pub(crate) fn finish(&self, delivery: BackchannelLogout) {
        {
            let mut inner = lock(&self.inner);
            inner.in_flight = inner.in_flight.saturating_sub(1);
            inner.done.push(delivery);
        }
        self.finished.send_replace(());
    }

    /// The finished deliveries, in the order they finished.
    pub(crate) fn list(&self) -> Vec<BackchannelLogout> {
        lock(&self.inner).done.clone()
    }

    /// Forgets the finished deliveries; those in flight still finish and are recorded.
    pub(crate) fn clear(&self) {
        lock(&self.inner).done.clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.inner).done.clear();
    }

    /// Waits until no delivery is in flight, then returns the finished ones: every delivery
    /// started before the call is among them.
    pub(crate) async fn settled(&self) -> Vec<BackchannelLogout> {
        let mut finished = self.finished.subscribe();
        loop {
            // Subscribed before looking: a delivery that finishes after this look wakes
            // `changed` below, so none is missed.
            {
                let inner = lock(&self.inner);
                if inner.in_flight == 0 {
                    return inner.done.clone();
                }
            }
            if finished.changed().await.is_err() {
                return self.list();
            }
        }
    }
}
