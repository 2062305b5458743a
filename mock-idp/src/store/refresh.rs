//! Refresh tokens, in families: every token rotated from one original shares its family, and
//! the reuse of a rotated token revokes the whole family (Auth0's reuse detection).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{exclusive, lock};

/// A refresh token's grant.
#[derive(Clone, Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) client_id: String,
    pub(crate) sub: String,
    pub(crate) audience: Option<String>,
    pub(crate) scope: Vec<String>,
    /// Named after the family's first token.
    pub(crate) family: String,
    pub(crate) expires_at: i64,
    pub(crate) auth_time: Option<i64>,
    pub(crate) sid: Option<String>,
    /// The organization of the login (its id): a refresh keeps it.
    pub(crate) organization: Option<String>,
}

/// Why a refresh token bought nothing.
#[derive(Debug)]
pub(crate) enum Refusal<E> {
    /// Unknown, expired, another client's, or reused (and its family now revoked).
    Invalid,
    /// The caller's own checks refused it; the token stays unspent.
    Rejected(E),
}

#[derive(Debug)]
struct Entry {
    grant: RefreshGrant,
    /// Set once the token has been exchanged (rotated away).
    used: bool,
}

/// The refresh tokens of this mock. Invariants: a token is spent at most once; spending a
/// spent token revokes its family.
#[derive(Debug, Default)]
pub(crate) struct RefreshTokens {
    tokens: Mutex<HashMap<String, Entry>>,
}

impl RefreshTokens {
    pub(crate) fn insert(&self, token: String, grant: RefreshGrant) {
        lock(&self.tokens).insert(token, Entry { grant, used: false });
    }

    /// Spends `token` for `client_id`. `check` runs under the lock before the token is marked
    /// used, so a request it refuses changes nothing, and two concurrent uses cannot both
    /// succeed.
    pub(crate) fn spend<T, E>(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
        check: impl FnOnce(&RefreshGrant) -> Result<T, E>,
    ) -> Result<(RefreshGrant, T), Refusal<E>> {
        let mut tokens = lock(&self.tokens);
        let entry = tokens.get(token).ok_or(Refusal::Invalid)?;
        if entry.grant.client_id != client_id || entry.grant.expires_at <= now {
            return Err(Refusal::Invalid);
        }
        if entry.used {
            let family = entry.grant.family.clone();
            revoke_family(&mut tokens, &family);
            return Err(Refusal::Invalid);
        }
        let out = check(&entry.grant).map_err(Refusal::Rejected)?;
        let entry = tokens.get_mut(token).ok_or(Refusal::Invalid)?;
        entry.used = true;
        Ok((entry.grant.clone(), out))
    }

    /// The grant `token` would buy `client_id` now, without spending it: what a flow that
    /// must run before the spend (post-login at a refresh) reads. `None` for anything
    /// [`Self::spend`] would refuse, which is left to it (a reuse revokes there, not here).
    pub(crate) fn peek(&self, token: &str, client_id: &str, now: i64) -> Option<RefreshGrant> {
        lock(&self.tokens)
            .get(token)
            .filter(|e| !e.used && e.grant.client_id == client_id && e.grant.expires_at > now)
            .map(|e| e.grant.clone())
    }

    /// RFC 7009: revokes `token`'s family if `token` is `client_id`'s; anything else is a no-op.
    pub(crate) fn revoke(&self, token: &str, client_id: &str) {
        let mut tokens = lock(&self.tokens);
        let family = tokens
            .get(token)
            .filter(|e| e.grant.client_id == client_id)
            .map(|e| e.grant.family.clone());
        if let Some(family) = family {
            revoke_family(&mut tokens, &family);
        }
    }

    /// Drops every token of `family` (a redeemed-twice code's).
    pub(crate) fn revoke_family(&self, family: &str) {
        revoke_family(&mut lock(&self.tokens), family);
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

fn revoke_family(tokens: &mut HashMap<String, Entry>, family: &str) {
    tokens.retain(|_, e| e.grant.family != family);
}
