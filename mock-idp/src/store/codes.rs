//! Authorization codes: issued by `/authorize`, redeemed once at `/oauth/token`.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{exclusive, lock};
use crate::actions::ActionClaims;
use crate::pkce::Method;

/// An authorization code's grant. Audience and scope are bound here because the SDKs do not
/// send them again at the token endpoint.
#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    /// The `redirect_uri` exactly as the authorization request sent it, if it did.
    pub(crate) redirect_uri_given: Option<String>,
    pub(crate) sub: String,
    pub(crate) audience: Option<String>,
    pub(crate) scope: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) challenge: Option<(Method, String)>,
    pub(crate) auth_time: i64,
    pub(crate) sid: String,
    pub(crate) expires_at: i64,
    /// The organization the user logged in through (its id).
    pub(crate) organization: Option<String>,
    /// What post-login's Actions set at the login: the tokens the code buys carry it.
    pub(crate) action_claims: ActionClaims,
}

/// What redeeming a code issued, so that a second redemption can revoke it.
#[derive(Clone, Debug)]
pub(crate) struct Redeemed {
    pub(crate) refresh_family: Option<String>,
    pub(crate) jti: String,
}

/// Why a code bought nothing.
#[derive(Debug)]
pub(crate) enum Refusal<E> {
    /// Unknown, expired, or another client's: the caller says `invalid_grant`.
    Invalid,
    /// Redeemed before (RFC 6749 4.1.2: probably stolen); what the first redemption bought is
    /// the caller's to revoke.
    Replayed(Redeemed),
    /// The caller's own checks refused it; the code stays unredeemed.
    Rejected(E),
}

#[derive(Debug)]
struct Entry {
    grant: CodeGrant,
    redeemed: Option<Redeemed>,
}

/// The codes of this mock. Invariant: a code buys tokens at most once.
#[derive(Debug, Default)]
pub(crate) struct AuthorizationCodes {
    codes: Mutex<HashMap<String, Entry>>,
}

impl AuthorizationCodes {
    pub(crate) fn insert(&self, code: String, grant: CodeGrant) {
        lock(&self.codes).insert(
            code,
            Entry {
                grant,
                redeemed: None,
            },
        );
    }

    /// Redeems `code` for `client_id`: `exchange` runs with the code held, so two concurrent
    /// redemptions cannot both succeed, and its `Redeemed` is remembered only if it succeeds.
    /// A code is looked at for replay before expiry, so a stolen code is detected even late.
    pub(crate) fn redeem<T, E>(
        &self,
        code: &str,
        client_id: &str,
        now: i64,
        exchange: impl FnOnce(&CodeGrant) -> Result<(T, Redeemed), E>,
    ) -> Result<T, Refusal<E>> {
        let mut codes = lock(&self.codes);
        let entry = codes.get(code).ok_or(Refusal::Invalid)?;
        if entry.grant.client_id != client_id {
            return Err(Refusal::Invalid);
        }
        if let Some(redeemed) = &entry.redeemed {
            return Err(Refusal::Replayed(redeemed.clone()));
        }
        if entry.grant.expires_at <= now {
            codes.remove(code);
            return Err(Refusal::Invalid);
        }
        let (out, redeemed) = exchange(&entry.grant).map_err(Refusal::Rejected)?;
        if let Some(entry) = codes.get_mut(code) {
            entry.redeemed = Some(redeemed);
        }
        Ok(out)
    }

    pub(crate) fn clear(&self) {
        lock(&self.codes).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.codes).clear();
    }
}
