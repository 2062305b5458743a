//! The tokens the mock handed out, newest last: every access and ID token `/oauth/token`
//! issued, every back-channel logout token sent, and every token a test minted
//! (`idp.token()...sign()`, `POST /_mock/tokens`). The inspector's Tokens panel shows them
//! decoded, with who asked for each.
//!
//! A ring: only the last [`CAPACITY`] are kept, so a load test does not grow memory. Keeping
//! the tokens themselves is safe for the same reason the control API may mint them: only the
//! developer's own tools can read `/_mock/*`. They are never logged or journaled.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use super::{exclusive, lock};

/// How many tokens the ring keeps.
pub(crate) const CAPACITY: usize = 200;

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenUse {
    /// For an API (or `/userinfo`).
    Access,
    /// For the client that logged the user in.
    Id,
    /// A back-channel logout token, for a client of a session that ended.
    Logout,
}

/// Who asked for a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub(crate) enum IssuedBy {
    /// A token request: its `grant_type` and the client that made it.
    Grant {
        grant_type: String,
        client_id: String,
    },
    /// A test, through the token builder or `POST /_mock/tokens`.
    Minted,
    /// The end of a login session, for a back-channel logout to this client.
    SessionEnd { client_id: String },
}

/// One token the mock handed out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct IssuedToken {
    /// 1-based, in the order they were handed out; the journal names tokens by it.
    pub(crate) id: u64,
    /// The mock clock when it was handed out.
    pub(crate) at: i64,
    pub(crate) kind: TokenUse,
    pub(crate) by: IssuedBy,
    /// The compact JWT.
    pub(crate) token: String,
}

#[derive(Debug, Default)]
pub(crate) struct IssuedTokens {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    tokens: VecDeque<IssuedToken>,
}

impl IssuedTokens {
    /// Remembers a token; returns its id.
    pub(crate) fn remember(&self, at: i64, kind: TokenUse, by: IssuedBy, token: String) -> u64 {
        let mut inner = lock(&self.inner);
        inner.next_id += 1;
        let id = inner.next_id;
        if inner.tokens.len() == CAPACITY {
            inner.tokens.pop_front();
        }
        inner.tokens.push_back(IssuedToken {
            id,
            at,
            kind,
            by,
            token,
        });
        id
    }

    /// The kept tokens, oldest first.
    pub(crate) fn list(&self) -> Vec<IssuedToken> {
        lock(&self.inner).tokens.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        *lock(&self.inner) = Inner::default();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        *exclusive(&mut self.inner) = Inner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_last_tokens_with_ids_that_keep_counting() {
        let store = IssuedTokens::default();
        for n in 0..CAPACITY + 5 {
            store.remember(0, TokenUse::Access, IssuedBy::Minted, format!("t{n}"));
        }
        let kept = store.list();
        assert_eq!(kept.len(), CAPACITY);
        assert_eq!(kept[0].id, 6, "the five oldest were dropped");
        assert_eq!(kept.last().unwrap().id, (CAPACITY + 5) as u64);
        assert_eq!(kept[0].token, "t5");
    }

    #[test]
    fn clearing_starts_the_ids_again() {
        let store = IssuedTokens::default();
        store.remember(0, TokenUse::Id, IssuedBy::Minted, "a".into());
        store.clear();
        let id = store.remember(0, TokenUse::Id, IssuedBy::Minted, "b".into());
        assert_eq!((id, store.list().len()), (1, 1));
    }
}
