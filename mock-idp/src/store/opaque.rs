//! Opaque access tokens: what Auth0 issues when neither the request nor the tenant names an
//! audience. Such a token is a random string, not a JWT, so no API can validate it; only
//! `/userinfo` accepts it, by looking it up here. This is the production bug of a forgotten
//! `audience`, shown rather than hidden.
//!
//! Kept until they expire on the mock clock (an expired token is forgotten when it is looked
//! up, or when another is issued). Revocation goes through the same `jti` list as JWTs
//! ([`super::revoked`]), so a redeemed-twice code revokes either kind alike.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{exclusive, lock};

/// What an opaque token stands for: what `/userinfo` needs to answer for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpaqueGrant {
    pub(crate) sub: String,
    pub(crate) client_id: String,
    pub(crate) scope: Vec<String>,
    /// The id revocation knows it by (JWTs carry theirs as the `jti` claim).
    pub(crate) jti: String,
    /// The login session it was issued in, if any.
    pub(crate) sid: Option<String>,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
}

#[derive(Debug, Default)]
pub(crate) struct OpaqueTokens {
    tokens: Mutex<HashMap<String, OpaqueGrant>>,
}

impl OpaqueTokens {
    /// Remembers `token`; tokens expired by `grant.issued_at` are dropped, so the store holds
    /// only live ones.
    pub(crate) fn insert(&self, token: String, grant: OpaqueGrant) {
        let mut tokens = lock(&self.tokens);
        let now = grant.issued_at;
        tokens.retain(|_, g| g.expires_at > now);
        tokens.insert(token, grant);
    }

    /// The grant behind a live token; an expired one is forgotten.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<OpaqueGrant> {
        let mut tokens = lock(&self.tokens);
        match tokens.get(token) {
            Some(g) if g.expires_at > now => Some(g.clone()),
            Some(_) => {
                tokens.remove(token);
                None
            }
            None => None,
        }
    }

    /// The grant behind a token this mock issued, live or expired (the explainer says which).
    pub(crate) fn peek(&self, token: &str) -> Option<OpaqueGrant> {
        lock(&self.tokens).get(token).cloned()
    }

    pub(crate) fn clear(&self) {
        lock(&self.tokens).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.tokens).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(issued_at: i64, expires_at: i64) -> OpaqueGrant {
        OpaqueGrant {
            sub: "auth0|alice".into(),
            client_id: "app".into(),
            scope: vec!["openid".into()],
            jti: "jti-1".into(),
            sid: None,
            issued_at,
            expires_at,
        }
    }

    #[test]
    fn a_token_is_found_until_it_expires_and_then_forgotten() {
        let tokens = OpaqueTokens::default();
        tokens.insert("t".into(), grant(100, 200));
        assert_eq!(tokens.get("t", 199), Some(grant(100, 200)));
        assert_eq!(tokens.get("t", 200), None);
        assert_eq!(tokens.peek("t"), None, "an expired token is forgotten");
    }

    #[test]
    fn issuing_drops_the_tokens_already_expired() {
        let tokens = OpaqueTokens::default();
        tokens.insert("old".into(), grant(100, 200));
        tokens.insert("new".into(), grant(300, 400));
        assert_eq!(tokens.peek("old"), None);
        assert!(tokens.peek("new").is_some());
    }
}
