//! The engine's stores: what the mock remembers between requests.
//!
//! Each store owns its lock and its invariants, behind methods named for what they do in the
//! protocol (redeem a code once, spend a refresh token, revoke a family); no other module
//! reaches into a store's map. Locks are `std::sync` and never held across an `.await`, so the
//! test API can read and change state synchronously.
//!
//! **Lock order.** A thread that holds more than one store lock takes them in this order, and
//! only this one: [`codes`] → [`refresh`] → [`revoked`]. (Redeeming a code issues a refresh
//! token while it holds the code, so two concurrent redemptions cannot both succeed.) The
//! [`device`] authorizations sit where [`codes`] do, for the same reason (an approved device
//! code is redeemed while held), and are never held together with [`codes`]. The
//! session stores ([`sessions`], [`transactions`]) are never held together with another lock,
//! nor are the inspector's stores ([`issued`] tokens, [`retired_keys`]), the pushed
//! authorization requests ([`pushed`]), the spent client assertions ([`assertions`]), the
//! [`backchannel`] logouts sent, the [`outbox`], the emailed [`tickets`] or the pending
//! [`passwordless`] codes; one exception: issuance notes its client in the session
//! (`Sessions::note_client`) while the code or device grant holds its entry, which is safe because
//! nothing is ever locked while a session store is held. The [`opaque`] access tokens' lock
//! comes last (redeeming a code issues one while it holds the code) and is never held while
//! taking another. The users' [`logins`] are taken under the tenant's write lock (a tenant
//! change forgets the ids it removed) and never hold another.

pub(crate) mod assertions;
pub(crate) mod backchannel;
pub(crate) mod codes;
pub(crate) mod device;
pub(crate) mod issued;
pub(crate) mod logins;
pub(crate) mod opaque;
pub(crate) mod outbox;
pub(crate) mod passwordless;
pub(crate) mod pushed;
pub(crate) mod refresh;
pub(crate) mod retired_keys;
pub(crate) mod revoked;
pub(crate) mod sessions;
pub(crate) mod tickets;
pub(crate) mod transactions;

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `m`, carrying on past a poisoned lock: a test that panicked while holding one must
/// not take the whole mock down with it. Every `Mutex` in the crate is taken through this.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// [`lock`] for readers of an `RwLock`.
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// [`lock`] for writers of an `RwLock`.
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// What [`lock`] reaches, through `&mut`: nothing else can hold it, so no lock is taken
/// (`Idp::renew`, on an engine nothing else holds; a store's `renew`).
pub(crate) fn exclusive<T>(m: &mut Mutex<T>) -> &mut T {
    m.get_mut().unwrap_or_else(|e| e.into_inner())
}

/// [`exclusive`] for an `RwLock`.
pub(crate) fn exclusive_rw<T>(l: &mut RwLock<T>) -> &mut T {
    l.get_mut().unwrap_or_else(|e| e.into_inner())
}
