//! Pushed authorization requests (RFC 9126): validated at `POST /oauth/par`, waiting for the
//! browser to bring their `request_uri` to `/authorize`. Each is used once, by the client that
//! pushed it, before it expires.

use std::collections::HashMap;
use std::sync::Mutex;

use super::transactions::AuthorizationRequest;
use super::{exclusive, lock};
use crate::ids::IdGenerator;

/// RFC 9126 2.2: the URN prefix of every `request_uri` this mock hands out.
pub(crate) const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

#[derive(Debug)]
struct Pushed {
    request: AuthorizationRequest,
    expires_at: i64,
}

/// Why a `request_uri` bought nothing: all three are `invalid_request_uri`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Never pushed here, or used already.
    Unknown,
    /// Pushed, but its lifetime is over.
    Expired,
    /// Pushed by another client; it stays usable by its own.
    OtherClient,
}

#[derive(Debug, Default)]
pub(crate) struct PushedRequests {
    requests: Mutex<HashMap<String, Pushed>>,
}

impl PushedRequests {
    /// Keeps `request` for `ttl` seconds; returns its `request_uri`.
    pub(crate) fn push(
        &self,
        ids: &IdGenerator,
        now: i64,
        ttl: i64,
        request: AuthorizationRequest,
    ) -> String {
        let uri = format!("{REQUEST_URI_PREFIX}{}", ids.next("par"));
        let mut requests = lock(&self.requests);
        // Expired ones can only be refused: forgetting them bounds the map.
        requests.retain(|_, p| p.expires_at > now);
        requests.insert(
            uri.clone(),
            Pushed {
                request,
                expires_at: now + ttl,
            },
        );
        uri
    }

    /// Takes the request pushed as `uri` by `client_id`: once, and only before it expires.
    pub(crate) fn take(
        &self,
        uri: &str,
        client_id: &str,
        now: i64,
    ) -> Result<AuthorizationRequest, Refusal> {
        let mut requests = lock(&self.requests);
        let pushed = requests.get(uri).ok_or(Refusal::Unknown)?;
        if pushed.request.client_id != client_id {
            return Err(Refusal::OtherClient);
        }
        let pushed = requests.remove(uri).ok_or(Refusal::Unknown)?;
        if pushed.expires_at <= now {
            return Err(Refusal::Expired);
        }
        Ok(pushed.request)
    }

    pub(crate) fn clear(&self) {
        lock(&self.requests).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.requests).clear();
    }
}
