//! Device authorizations (RFC 8628): started at `/oauth/device/code`, decided by a user at
//! `/activate` (or by a test through the control API), polled for at `/oauth/token`.
//!
//! Two keys reach one entry: the `device_code` the device polls with (a secret) and the short
//! `user_code` a person types. Invariants: a device code buys tokens once; a decision is made
//! once; an expired code says `expired_token` once and is unknown after that (as Auth0 does);
//! every time is the mock clock's, so expiry and polling intervals are tested by moving it.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use super::{exclusive, lock};

/// A device authorization (RFC 8628) as a test sees it: what the device asked for, and
/// whether a user has decided yet. From [`MockIdp::device_authorizations`] and
/// `GET /_mock/device`.
///
/// [`MockIdp::device_authorizations`]: crate::MockIdp::device_authorizations
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The code a person enters at `/activate` (`XXXX-XXXX`).
    pub user_code: String,
    /// The application that asked.
    pub client_id: String,
    /// The scopes it asked for.
    pub scope: Vec<String>,
    /// The API it asked for, if any.
    pub audience: Option<String>,
    /// When the codes expire (Unix seconds, mock clock).
    pub expires_at: i64,
    /// Where it stands.
    pub status: DeviceStatus,
    /// Who approved it (`sub`), once approved.
    pub approved_by: Option<String>,
}

/// Where a device authorization stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for a user: the device's polls get `authorization_pending`.
    Pending,
    /// A user approved: the next poll gets tokens.
    Approved,
    /// A user cancelled: polls get `access_denied`.
    Denied,
    /// The device got its tokens; the device code is spent.
    Redeemed,
}

/// What the device asked for, kept until a user decides.
#[derive(Clone, Debug)]
pub(crate) struct DeviceRequest {
    pub(crate) client_id: String,
    pub(crate) scope: Vec<String>,
    pub(crate) audience: Option<String>,
    pub(crate) expires_at: i64,
    /// Seconds the device must leave between polls.
    pub(crate) interval: u64,
    /// The token the activation page's login form carries.
    pub(crate) csrf: String,
}

/// Who approved, and in which login session (none when a test approved headlessly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Approval {
    pub(crate) sub: String,
    pub(crate) auth_time: i64,
    pub(crate) sid: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeviceState {
    Pending,
    Approved(Approval),
    Denied,
    /// Tokens were issued; the device code is spent.
    Redeemed,
}

#[derive(Debug)]
struct Entry {
    user_code: String,
    request: DeviceRequest,
    state: DeviceState,
    last_poll: Option<i64>,
    expiry_reported: bool,
    /// Order of arrival: many start within one second of the mock clock.
    seq: u64,
}

/// A device authorization as tests and the activation page see it.
#[derive(Clone, Debug)]
pub(crate) struct DeviceView {
    pub(crate) user_code: String,
    pub(crate) request: DeviceRequest,
    pub(crate) state: DeviceState,
}

impl DeviceView {
    pub(crate) fn public(&self) -> DeviceAuthorization {
        let (status, approved_by) = match &self.state {
            DeviceState::Pending => (DeviceStatus::Pending, None),
            DeviceState::Approved(a) => (DeviceStatus::Approved, Some(a.sub.clone())),
            DeviceState::Denied => (DeviceStatus::Denied, None),
            DeviceState::Redeemed => (DeviceStatus::Redeemed, None),
        };
        DeviceAuthorization {
            user_code: self.user_code.clone(),
            client_id: self.request.client_id.clone(),
            scope: self.request.scope.clone(),
            audience: self.request.audience.clone(),
            expires_at: self.request.expires_at,
            status,
            approved_by,
        }
    }
}

/// Why a poll bought no tokens.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PollRefusal<E> {
    /// Unknown, another client's, spent, or expired and already reported.
    Invalid,
    /// Expired, reported this once.
    Expired,
    Pending,
    /// Polled again sooner than the interval allows.
    SlowDown {
        interval: u64,
    },
    Denied,
    /// The caller's own checks refused the approved grant; nothing is spent.
    Rejected(E),
}

/// Why a decision could not be recorded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecideRefusal {
    Unknown,
    Expired,
    AlreadyDecided,
}

#[derive(Debug, Default)]
struct Inner {
    by_device_code: HashMap<String, Entry>,
    /// user_code → device_code
    by_user_code: HashMap<String, String>,
    started: u64,
}

/// The device authorizations of this mock.
#[derive(Debug, Default)]
pub(crate) struct DeviceAuthorizations {
    inner: Mutex<Inner>,
}

/// Entries stay this long past their expiry so a late poll still hears `expired_token`.
const KEEP_EXPIRED: i64 = 3_600;

/// A user code as people type it: case and separators do not matter (`wdjb mjht`,
/// `WDJB-MJHT` and `wdjbmjht` are one code).
pub(crate) fn normalize_user_code(typed: &str) -> String {
    let letters: String = typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == 8 {
        format!("{}-{}", &letters[..4], &letters[4..])
    } else {
        letters
    }
}

impl DeviceAuthorizations {
    /// Keeps a new authorization. `user_code` must be unique among live ones: the caller
    /// draws again when this returns `false`.
    pub(crate) fn start(
        &self,
        device_code: String,
        user_code: String,
        request: DeviceRequest,
        now: i64,
    ) -> bool {
        let mut inner = lock(&self.inner);
        let Inner {
            by_device_code,
            by_user_code,
            started,
        } = &mut *inner;
        by_device_code.retain(|_, e| e.request.expires_at + KEEP_EXPIRED > now);
        by_user_code.retain(|_, device_code| by_device_code.contains_key(device_code));
        if by_user_code.contains_key(&user_code) {
            return false;
        }
        by_user_code.insert(user_code.clone(), device_code.clone());
        *started += 1;
        by_device_code.insert(
            device_code,
            Entry {
                user_code,
                request,
                state: DeviceState::Pending,
                last_poll: None,
                expiry_reported: false,
                seq: *started,
            },
        );
        true
    }

    /// A live (unexpired) authorization by its user code, in any state.
    pub(crate) fn by_user_code(&self, user_code: &str, now: i64) -> Option<DeviceView> {
        let inner = lock(&self.inner);
        let device_code = inner.by_user_code.get(&normalize_user_code(user_code))?;
        let entry = inner.by_device_code.get(device_code)?;
        (entry.request.expires_at > now).then(|| view(entry))
    }

    /// Every authorization not yet expired, oldest first.
    pub(crate) fn live(&self, now: i64) -> Vec<DeviceView> {
        let inner = lock(&self.inner);
        let mut live: Vec<&Entry> = inner
            .by_device_code
            .values()
            .filter(|e| e.request.expires_at > now)
            .collect();
        live.sort_by_key(|e| e.seq);
        live.into_iter().map(view).collect()
    }

    /// Records the user's answer for a pending, unexpired authorization.
    pub(crate) fn decide(
        &self,
        user_code: &str,
        approval: Option<Approval>,
        now: i64,
    ) -> Result<(), DecideRefusal> {
        let mut inner = lock(&self.inner);
        let Inner {
            by_device_code,
            by_user_code,
            ..
        } = &mut *inner;
        let entry = by_user_code
            .get(&normalize_user_code(user_code))
            .and_then(|device_code| by_device_code.get_mut(device_code))
            .ok_or(DecideRefusal::Unknown)?;
        if entry.request.expires_at <= now {
            return Err(DecideRefusal::Expired);
        }
        if entry.state != DeviceState::Pending {
            return Err(DecideRefusal::AlreadyDecided);
        }
        entry.state = match approval {
            Some(approval) => DeviceState::Approved(approval),
            None => DeviceState::Denied,
        };
        Ok(())
    }

    /// A poll by `client_id`. For an approved authorization `exchange` runs with the entry
    /// held, so two concurrent polls cannot both get tokens, and the code is spent only if it
    /// succeeds.
    /// What an approved, unexpired `device_code` of `client_id` was asked and approved for,
    /// without polling: what a flow that must run before the redemption (post-login) reads.
    /// `None` for anything else, which [`Self::poll`] answers.
    pub(crate) fn approved(
        &self,
        device_code: &str,
        client_id: &str,
        now: i64,
    ) -> Option<(DeviceRequest, Approval)> {
        let inner = lock(&self.inner);
        let entry = inner
            .by_device_code
            .get(device_code)
            .filter(|e| e.request.client_id == client_id && e.request.expires_at > now)?;
        match &entry.state {
            DeviceState::Approved(approval) => Some((entry.request.clone(), approval.clone())),
            _ => None,
        }
    }

    pub(crate) fn poll<T, E>(
        &self,
        device_code: &str,
        client_id: &str,
        now: i64,
        exchange: impl FnOnce(&DeviceRequest, &Approval) -> Result<T, E>,
    ) -> Result<T, PollRefusal<E>> {
        let mut inner = lock(&self.inner);
        let entry = inner
            .by_device_code
            .get_mut(device_code)
            .filter(|e| e.request.client_id == client_id)
            .ok_or(PollRefusal::Invalid)?;
        if entry.state == DeviceState::Redeemed {
            return Err(PollRefusal::Invalid);
        }
        if entry.request.expires_at <= now {
            if entry.expiry_reported {
                return Err(PollRefusal::Invalid);
            }
            entry.expiry_reported = true;
            return Err(PollRefusal::Expired);
        }
        let too_soon = entry.last_poll.is_some_and(|last| {
            now.saturating_sub(last) < i64::try_from(entry.request.interval).unwrap_or(i64::MAX)
        });
        entry.last_poll = Some(now);
        match &entry.state {
            DeviceState::Pending if too_soon => Err(PollRefusal::SlowDown {
                interval: entry.request.interval,
            }),
            DeviceState::Pending => Err(PollRefusal::Pending),
            DeviceState::Denied => Err(PollRefusal::Denied),
            DeviceState::Redeemed => Err(PollRefusal::Invalid),
            DeviceState::Approved(approval) => {
                let out = exchange(&entry.request, approval).map_err(PollRefusal::Rejected)?;
                entry.state = DeviceState::Redeemed;
                Ok(out)
            }
        }
    }

    pub(crate) fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.by_device_code.clear();
        inner.by_user_code.clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        let inner = exclusive(&mut self.inner);
        inner.by_device_code.clear();
        inner.by_user_code.clear();
    }
}

fn view(entry: &Entry) -> DeviceView {
    DeviceView {
        user_code: entry.user_code.clone(),
        request: entry.request.clone(),
        state: entry.state.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(now: i64) -> DeviceRequest {
        DeviceRequest {
            client_id: "cli".into(),
            scope: vec!["openid".into()],
            audience: None,
            expires_at: now + 900,
            interval: 5,
            csrf: "csrf".into(),
        }
    }

    fn alice(now: i64) -> Approval {
        Approval {
            sub: "auth0|alice".into(),
            auth_time: now,
            sid: None,
        }
    }

    fn started(now: i64) -> DeviceAuthorizations {
        let store = DeviceAuthorizations::default();
        assert!(store.start("dc".into(), "BCDF-GHJK".into(), request(now), now));
        store
    }

    fn poll(store: &DeviceAuthorizations, now: i64) -> Result<&'static str, PollRefusal<()>> {
        store.poll("dc", "cli", now, |_, _| Ok("tokens"))
    }

    #[test]
    fn a_user_code_is_read_whatever_its_case_and_separators() {
        assert_eq!(normalize_user_code("bcdf ghjk"), "BCDF-GHJK");
        assert_eq!(normalize_user_code("BCDFGHJK"), "BCDF-GHJK");
        assert_eq!(normalize_user_code(" bcdf-ghjk "), "BCDF-GHJK");
    }

    #[test]
    fn a_pending_poll_waits_and_a_too_early_one_is_told_to_slow_down() {
        let store = started(100);
        assert_eq!(poll(&store, 100), Err(PollRefusal::Pending));
        assert_eq!(
            poll(&store, 104),
            Err(PollRefusal::SlowDown { interval: 5 })
        );
        assert_eq!(poll(&store, 109), Err(PollRefusal::Pending));
    }

    #[test]
    fn an_approved_code_buys_tokens_once() {
        let store = started(100);
        store.decide("bcdf-ghjk", Some(alice(101)), 101).unwrap();
        assert_eq!(poll(&store, 110), Ok("tokens"));
        assert_eq!(poll(&store, 120), Err(PollRefusal::Invalid));
    }

    #[test]
    fn a_refused_exchange_spends_nothing() {
        let store = started(100);
        store.decide("BCDF-GHJK", Some(alice(101)), 101).unwrap();
        let refused = store.poll("dc", "cli", 110, |_, _| Err::<(), _>("user blocked"));
        assert_eq!(refused, Err(PollRefusal::Rejected("user blocked")));
        assert_eq!(poll(&store, 120), Ok("tokens"));
    }

    #[test]
    fn an_expired_code_is_reported_once_then_unknown() {
        let store = started(100);
        assert_eq!(poll(&store, 1_000), Err(PollRefusal::Expired));
        assert_eq!(poll(&store, 1_010), Err(PollRefusal::Invalid));
        assert_eq!(
            store.decide("BCDF-GHJK", Some(alice(1_000)), 1_000),
            Err(DecideRefusal::Expired)
        );
    }

    #[test]
    fn a_decision_is_made_once() {
        let store = started(100);
        store.decide("BCDF-GHJK", None, 101).unwrap();
        assert_eq!(
            store.decide("BCDF-GHJK", Some(alice(102)), 102),
            Err(DecideRefusal::AlreadyDecided)
        );
        assert_eq!(poll(&store, 110), Err(PollRefusal::Denied));
    }

    #[test]
    fn another_clients_poll_learns_nothing() {
        let store = started(100);
        store.decide("BCDF-GHJK", Some(alice(101)), 101).unwrap();
        let stranger = store.poll("dc", "other", 110, |_, _| Ok::<_, ()>("tokens"));
        assert_eq!(stranger, Err(PollRefusal::Invalid));
        assert_eq!(poll(&store, 110), Ok("tokens"), "the owner still can");
    }

    #[test]
    fn a_live_user_code_is_never_handed_out_twice() {
        let store = started(100);
        assert!(!store.start("dc2".into(), "BCDF-GHJK".into(), request(100), 100));
        assert_eq!(store.live(100).len(), 1);
    }
}
