//! Login transactions: an `/authorize` request waiting for the user. The login and consent
//! pages refer to it by id, and its CSRF token is bound to it.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{exclusive, lock};
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

    /// The `response_mode` parameter's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Fragment => "fragment",
            Self::FormPost => "form_post",
            Self::WebMessage => "web_message",
        }
    }
}

/// What `/authorize` hands back: `response_type`'s words, in any order (OAuth 2.0 Multiple
/// Response Types). `code` alone is the code flow; anything with `token` or `id_token` is the
/// implicit (no code) or hybrid (with a code) flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResponseType {
    pub(crate) code: bool,
    pub(crate) token: bool,
    pub(crate) id_token: bool,
}

impl ResponseType {
    /// `None` for an unknown or repeated word, or no word at all.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let mut out = Self {
            code: false,
            token: false,
            id_token: false,
        };
        for word in value.split_ascii_whitespace() {
            let seen = match word {
                "code" => &mut out.code,
                "token" => &mut out.token,
                "id_token" => &mut out.id_token,
                _ => return None,
            };
            if std::mem::replace(seen, true) {
                return None;
            }
        }
        (out.code || out.token || out.id_token).then_some(out)
    }

    /// Whether a token travels through the browser: such responses never go in a query
    /// (OAuth 2.0 Multiple Response Types 5), and need the client to allow `implicit`.
    pub(crate) fn front_channel_tokens(self) -> bool {
        self.token || self.id_token
    }

    /// Its words, as post-login's `event.transaction.response_type` lists them.
    pub(crate) fn words(self) -> Vec<&'static str> {
        [
            (self.code, "code"),
            (self.id_token, "id_token"),
            (self.token, "token"),
        ]
        .into_iter()
        .filter_map(|(asked, word)| asked.then_some(word))
        .collect()
    }

    /// Auth0's name for the flow (post-login's `event.transaction.protocol`).
    pub(crate) fn protocol(self) -> &'static str {
        match (self.code, self.front_channel_tokens()) {
            (true, false) => "oidc-basic-profile",
            (true, true) => "oidc-hybrid-profile",
            (false, _) => "oidc-implicit-profile",
        }
    }

    /// The mode a response goes back in when the request names none.
    pub(crate) fn default_mode(self) -> ResponseMode {
        if self.front_channel_tokens() {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
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
    pub(crate) response_type: ResponseType,
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
    /// The id of the organization the `organization` parameter named: only its members get
    /// in, and their tokens carry `org_id`.
    pub(crate) organization: Option<String>,
    /// An organization `invitation` ticket: the user who logs in with it joins the organization.
    pub(crate) invitation: Option<String>,
    /// Every parameter as sent, for post-login's `event.request.query`.
    pub(crate) query: Vec<(String, String)>,
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

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.by_id).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_type_is_its_set_of_words_in_any_order() {
        let hybrid = ResponseType::parse("token code  id_token").unwrap();
        assert_eq!(hybrid, ResponseType::parse("code id_token token").unwrap());
        assert!(hybrid.code && hybrid.token && hybrid.id_token);
        let code = ResponseType::parse("code").unwrap();
        assert!(code.code && !code.front_channel_tokens());
        assert_eq!(code.default_mode(), ResponseMode::Query);
        assert_eq!(hybrid.default_mode(), ResponseMode::Fragment);
    }

    #[test]
    fn unknown_repeated_or_missing_words_are_no_response_type() {
        for bad in [
            "",
            " ",
            "code code",
            "device_code",
            "Code",
            "none",
            "code,token",
        ] {
            assert_eq!(ResponseType::parse(bad), None, "{bad:?}");
        }
    }
}
