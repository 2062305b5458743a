//! The `kid`s of keys this mock published once and no longer does, so that the explainer can
//! tell "signed by a key this tenant rotated out and retired" from "signed by a key this tenant
//! never published". Only the `kid`s: the keys themselves are gone.

use std::sync::Mutex;

use serde::Serialize;

use super::{exclusive, lock};

/// How many retired `kid`s are remembered; the oldest are forgotten first.
const CAPACITY: usize = 100;

/// What took a key out of the JWKS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RetiredBy {
    /// `POST /_mock/keys/retire`, `idp.retire_keys()`.
    Retire,
    /// `POST /_mock/reset`, `idp.reset()`: back to the starting keys.
    Reset,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct RetiredKey {
    pub(crate) kid: String,
    /// The mock clock when it stopped being published.
    pub(crate) at: i64,
    pub(crate) by: RetiredBy,
}

#[derive(Debug, Default)]
pub(crate) struct RetiredKeys {
    keys: Mutex<Vec<RetiredKey>>,
}

impl RetiredKeys {
    pub(crate) fn remember(&self, kids: Vec<String>, at: i64, by: RetiredBy) {
        let mut keys = lock(&self.keys);
        for kid in kids {
            keys.retain(|k| k.kid != kid);
            keys.push(RetiredKey { kid, at, by });
        }
        let excess = keys.len().saturating_sub(CAPACITY);
        keys.drain(..excess);
    }

    pub(crate) fn find(&self, kid: &str) -> Option<RetiredKey> {
        lock(&self.keys).iter().find(|k| k.kid == kid).cloned()
    }

    /// Oldest retirement first.
    pub(crate) fn list(&self) -> Vec<RetiredKey> {
        lock(&self.keys).clone()
    }

    /// Forgets `kid`: a key published again (deterministic rotation after a reset reuses the
    /// embedded keys) is no longer retired.
    pub(crate) fn forget(&self, kid: &str) {
        lock(&self.keys).retain(|k| k.kid != kid);
    }

    pub(crate) fn clear(&self) {
        lock(&self.keys).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.keys).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_each_kid_once_with_the_latest_retirement() {
        let store = RetiredKeys::default();
        store.remember(vec!["a".into(), "b".into()], 1, RetiredBy::Retire);
        store.remember(vec!["a".into()], 2, RetiredBy::Reset);
        assert!(store.find("b").is_some());
        let a = store.find("a").unwrap();
        assert_eq!((a.at, a.by), (2, RetiredBy::Reset));
        store.forget("a");
        assert!(store.find("a").is_none());
        assert!(store.find("b").is_some());
    }

    #[test]
    fn forgets_the_oldest_past_its_capacity() {
        let store = RetiredKeys::default();
        store.remember(
            (0..CAPACITY + 1).map(|n| n.to_string()).collect(),
            0,
            RetiredBy::Retire,
        );
        assert!(store.find("0").is_none());
        assert!(store.find("1").is_some());
    }
}
