//! Access tokens revoked by a redeemed-twice code, by `jti`. JWTs cannot be recalled from
//! third-party APIs, so this reaches only the mock's own `/userinfo`.

use std::collections::HashSet;
use std::sync::Mutex;

use super::{exclusive, lock};

#[derive(Debug, Default)]
pub(crate) struct RevokedTokens {
    jtis: Mutex<HashSet<String>>,
}

impl RevokedTokens {
    pub(crate) fn revoke(&self, jti: String) {
        lock(&self.jtis).insert(jti);
    }

    pub(crate) fn is_revoked(&self, jti: &str) -> bool {
        lock(&self.jtis).contains(jti)
    }

    pub(crate) fn clear(&self) {
        lock(&self.jtis).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.jtis).clear();
    }
}
