//! Login transactions: an `/authorize` request waiting for the user. The login and consent
//! pages refer to it by id, and its CSRF token is bound to it.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::ids::IdGenerator;
use crate::pkce::Method;

/// How long a login page stays usable.
const TRANSACTION_TTL: i64 = 3_600;

/// How the authorization response travels back (OAuth 2.0 Multiple Response Types,
/// Form Post Response Mode, and Auth0's `web_message`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    Query,
    Fragment,
    FormPost,
    WebMessage,
}

impl ResponseMode {
    pub(crate) fn parse(mode: Option<&str>) -> Option<Self> {
        match mode {
            None | Some("query") => Some(Self::Query),
            Some("fragment") => Some(Self::Fragment),
            Some("form_post") => Some(Self::FormPost),
            Some("web_message") => Some(Self::WebMessage),
            Some(_) => None,
        }
    }
}

/// Where and how to answer the client, once its redirect URI is trusted.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) redirect_uri: String,
    pub(crate) mode: ResponseMode,
    pub(crate) state: Option<String>,
}

/// What `prompt` asked for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Prompt {
    pub(crate) none: bool,
    pub(crate) login: bool,
    pub(crate) consent: bool,
}

/// A validated authorization request, waiting for a session (and maybe consent).
#[derive(Clone, Debug)]
pub(crate) struct AuthorizationRequest {
    pub(crate) client_id: String,
    pub(crate) reply: Reply,
    /// The `redirect_uri` exactly as sent, if it was; the token request must repeat it.
    pub(crate) redirect_uri_given: Option<String>,
    pub(crate) scope: Vec<String>,
    pub(crate) audience: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) challenge: Option<(Method, String)>,
    pub(crate) prompt: Prompt,
    pub(crate) max_age: Option<i64>,
    pub(crate) login_hint: Option<String>,
    pub(crate) screen_hint: Option<String>,
    /// The `sub` of a valid `id_token_hint`: a session for anyone else does not count.
    pub(crate) hint_sub: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Transaction {
    pub(crate) request: AuthorizationRequest,
    pub(crate) csrf: String,
    pub(crate) created_at: i64,
    /// The cookie of the session that may finish this transaction: set at login, or when the
    /// transaction was created for consent only.
    pub(crate) session: Option<String>,
    pub(crate) consent_given: bool,
    pub(crate) denied: bool,
}

/// Transactions by id. Invariant: one older than an hour is gone.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    by_id: Mutex<HashMap<String, Transaction>>,
}

impl Transactions {
    pub(crate) fn begin(
        &self,
        ids: &IdGenerator,
        now: i64,
        request: AuthorizationRequest,
        session: Option<String>,
    ) -> String {
        let id = ids.next("txn");
        let transaction = Transaction {
            request,
            csrf: ids.next("csrf"),
            created_at: now,
            session,
            consent_given: false,
            denied: false,
        };
        lock(&self.by_id).insert(id.clone(), transaction);
        id
    }

    pub(crate) fn get(&self, id: &str, now: i64) -> Option<Transaction> {
        let mut by_id = lock(&self.by_id);
        by_id.retain(|_, t| t.created_at + TRANSACTION_TTL > now);
        by_id.get(id).cloned()
    }

    pub(crate) fn update(&self, id: &str, change: impl FnOnce(&mut Transaction)) {
        if let Some(t) = lock(&self.by_id).get_mut(id) {
            change(t);
        }
    }

    pub(crate) fn finish(&self, id: &str) {
        lock(&self.by_id).remove(id);
    }

    pub(crate) fn clear(&self) {
        lock(&self.by_id).clear();
    }
}
