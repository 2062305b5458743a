//! The `jti`s of the client assertions accepted so far (RFC 7523 3: a JWT is used once), each
//! until its `exp`: after that the assertion is refused as expired anyway, so forgetting it is
//! safe and keeps the store as small as the assertions still alive.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{exclusive, lock};

#[derive(Debug, Default)]
pub(crate) struct SpentAssertions {
    /// `(client_id, jti)` → the assertion's `exp`.
    spent: Mutex<HashMap<(String, String), i64>>,
}

impl SpentAssertions {
    /// Spends `jti` for `client_id` until `exp`; `false` when it was spent before.
    pub(crate) fn spend(&self, client_id: &str, jti: &str, exp: i64, now: i64) -> bool {
        let mut spent = lock(&self.spent);
        spent.retain(|_, until| *until >= now);
        let key = (client_id.to_owned(), jti.to_owned());
        if spent.contains_key(&key) {
            return false;
        }
        spent.insert(key, exp);
        true
    }

    pub(crate) fn clear(&self) {
        lock(&self.spent).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.spent).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_spent_once_per_client_until_it_expires() {
        let store = SpentAssertions::default();
        assert!(store.spend("web", "j1", 100, 0));
        assert!(!store.spend("web", "j1", 100, 50), "replayed");
        assert!(
            store.spend("other", "j1", 100, 50),
            "jti is unique per issuer"
        );
        assert!(
            store.spend("web", "j1", 200, 101),
            "forgotten after its exp"
        );
    }
}
