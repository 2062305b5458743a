//! Login sessions at the IdP, remembered consents, and the test hook that picks the next user
//! to log in.
//!
//! A session is what lets a second `/authorize` (and `prompt=none`, the SDK's hidden iframe)
//! skip the login form. The browser holds only an opaque cookie value; the `sid` that goes into
//! ID tokens is a different id, so an application that sees the `sid` cannot forge the cookie.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde::Serialize;

use super::{exclusive, lock};
use crate::ids::IdGenerator;

/// One login session, as [`MockIdp::sessions`](crate::MockIdp::sessions) and
/// `GET /_mock/sessions` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// The session id, as the `sid` claim of ID tokens carries it.
    pub sid: String,
    /// The user's `sub`.
    pub sub: String,
    /// When the user last entered credentials (Unix seconds), the `auth_time` claim.
    pub auth_time: i64,
    /// When the session ends (Unix seconds, mock clock).
    pub expires_at: i64,
    /// The clients that received tokens in this session, in the order they first did: the
    /// ones a back-channel logout goes to when it ends.
    pub clients: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Sessions {
    /// By cookie value.
    live: Mutex<HashMap<String, SessionInfo>>,
    /// `(sub, client_id)` pairs the user has consented for.
    consents: Mutex<HashSet<(String, String)>>,
    /// The email of the user the next interactive login logs in without the form.
    next_login: Mutex<Option<String>>,
}

impl Sessions {
    pub(crate) fn clear(&self) {
        lock(&self.live).clear();
        lock(&self.consents).clear();
        *lock(&self.next_login) = None;
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.live).clear();
        exclusive(&mut self.consents).clear();
        *exclusive(&mut self.next_login) = None;
    }

    /// Starts a session for `sub` lasting `ttl` seconds, replacing `previous` (a new cookie
    /// value at every login, so a cookie planted before login is worthless after it). Returns
    /// the cookie value.
    pub(crate) fn login(
        &self,
        ids: &IdGenerator,
        now: i64,
        ttl: i64,
        sub: &str,
        previous: Option<&str>,
    ) -> (String, SessionInfo) {
        let cookie = ids.next("session");
        let info = SessionInfo {
            sid: ids.next("sid"),
            sub: sub.to_owned(),
            auth_time: now,
            expires_at: now.saturating_add(ttl),
            clients: Vec::new(),
        };
        let mut live = lock(&self.live);
        if let Some(previous) = previous {
            live.remove(previous);
        }
        live.insert(cookie.clone(), info.clone());
        (cookie, info)
    }

    /// The live session behind a cookie value; an expired one is forgotten.
    pub(crate) fn get(&self, cookie: &str, now: i64) -> Option<SessionInfo> {
        let mut live = lock(&self.live);
        match live.get(cookie) {
            Some(s) if s.expires_at > now => Some(s.clone()),
            Some(_) => {
                live.remove(cookie);
                None
            }
            None => None,
        }
    }

    /// Remembers that `client_id` received tokens in the session `sid`, if it is still live.
    ///
    /// The one session-store call made while another store lock is held (the code grant
    /// issues while it holds its code); nothing is locked under `live`, so it cannot deadlock.
    pub(crate) fn note_client(&self, sid: &str, client_id: &str) {
        let mut live = lock(&self.live);
        if let Some(session) = live.values_mut().find(|s| s.sid == sid)
            && !session.clients.iter().any(|c| c == client_id)
        {
            session.clients.push(client_id.to_owned());
        }
    }

    /// Ends the session behind a cookie value; the session, if it was live.
    pub(crate) fn end(&self, cookie: &str, now: i64) -> Option<SessionInfo> {
        lock(&self.live)
            .remove(cookie)
            .filter(|s| s.expires_at > now)
    }

    /// Ends the session with this `sid` (the id ID tokens carry, not the cookie).
    pub(crate) fn end_sid(&self, sid: &str, now: i64) -> Option<SessionInfo> {
        let mut live = lock(&self.live);
        let cookie = live.iter().find(|(_, s)| s.sid == sid)?.0.clone();
        live.remove(&cookie).filter(|s| s.expires_at > now)
    }

    /// Ends every session; the live ones, oldest first.
    pub(crate) fn end_all(&self, now: i64) -> Vec<SessionInfo> {
        let mut ended: Vec<SessionInfo> = lock(&self.live)
            .drain()
            .map(|(_, s)| s)
            .filter(|s| s.expires_at > now)
            .collect();
        sort_oldest_first(&mut ended);
        ended
    }

    /// Live sessions, oldest first.
    pub(crate) fn list(&self, now: i64) -> Vec<SessionInfo> {
        let mut out: Vec<SessionInfo> = lock(&self.live)
            .values()
            .filter(|s| s.expires_at > now)
            .cloned()
            .collect();
        sort_oldest_first(&mut out);
        out
    }

    pub(crate) fn has_consented(&self, sub: &str, client_id: &str) -> bool {
        lock(&self.consents).contains(&(sub.to_owned(), client_id.to_owned()))
    }

    pub(crate) fn consent(&self, sub: &str, client_id: &str) {
        lock(&self.consents).insert((sub.to_owned(), client_id.to_owned()));
    }

    pub(crate) fn set_next_login(&self, email: Option<String>) {
        *lock(&self.next_login) = email;
    }

    pub(crate) fn take_next_login(&self) -> Option<String> {
        lock(&self.next_login).take()
    }
}

fn sort_oldest_first(sessions: &mut [SessionInfo]) {
    sessions.sort_by(|a, b| (a.auth_time, &a.sid).cmp(&(b.auth_time, &b.sid)));
}
