//! Passwordless one-time codes, from `POST /passwordless/start` until they are used: one per
//! client, connection and recipient (a new start replaces the old code, as on Auth0), each
//! good once, for a few wrong guesses, until it expires on the mock clock.
//!
//! A wrong guess spends an attempt: the exception to "a refused request changes nothing",
//! since otherwise a six-digit code could be tried until it matched.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::{exclusive, lock};

/// How many wrong codes a pending code survives (Auth0's three).
pub(crate) const ATTEMPTS: u32 = 3;

/// Who a code was sent to: the client that asked, the connection (`email` or `sms`), and the
/// address or number (emails compared case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Recipient {
    pub(crate) client_id: String,
    pub(crate) connection: String,
    pub(crate) to: String,
}

impl Recipient {
    pub(crate) fn new(client_id: &str, connection: &str, to: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            connection: connection.to_owned(),
            to: to.to_ascii_lowercase(),
        }
    }
}

#[derive(Debug)]
struct Pending {
    code: String,
    expires_at: i64,
    attempts_left: u32,
}

/// Why a code bought nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No code is pending for the recipient (never sent, or used), or the guess is wrong.
    Wrong,
    /// The code's lifetime is over.
    Expired,
    /// Too many wrong guesses: the code is gone.
    TooManyAttempts,
}

#[derive(Debug, Default)]
pub(crate) struct PasswordlessCodes {
    pending: Mutex<HashMap<Recipient, Pending>>,
}

impl PasswordlessCodes {
    /// Keeps `code` for `to`, good for `ttl` seconds, replacing any code sent before.
    pub(crate) fn start(&self, to: Recipient, code: String, now: i64, ttl: i64) {
        let mut pending = lock(&self.pending);
        pending.retain(|_, p| p.expires_at > now);
        pending.insert(
            to,
            Pending {
                code,
                expires_at: now + ttl,
                attempts_left: ATTEMPTS,
            },
        );
    }

    /// Spends the pending code if `guess` is it; a wrong guess spends an attempt.
    pub(crate) fn redeem(&self, to: &Recipient, guess: &str, now: i64) -> Result<(), Refusal> {
        let mut pending = lock(&self.pending);
        let entry = pending.get_mut(to).ok_or(Refusal::Wrong)?;
        if entry.expires_at <= now {
            pending.remove(to);
            return Err(Refusal::Expired);
        }
        if verify_slices_are_equal(entry.code.as_bytes(), guess.as_bytes()).is_ok() {
            pending.remove(to);
            return Ok(());
        }
        entry.attempts_left -= 1;
        if entry.attempts_left == 0 {
            pending.remove(to);
            return Err(Refusal::TooManyAttempts);
        }
        Err(Refusal::Wrong)
    }

    pub(crate) fn clear(&self) {
        lock(&self.pending).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.pending).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Recipient {
        Recipient::new("app", "email", "Alice@example.com")
    }

    #[test]
    fn a_code_is_good_once() {
        let codes = PasswordlessCodes::default();
        codes.start(alice(), "123456".into(), 0, 180);
        assert_eq!(codes.redeem(&alice(), "123456", 10), Ok(()));
        assert_eq!(codes.redeem(&alice(), "123456", 10), Err(Refusal::Wrong));
    }

    #[test]
    fn the_third_wrong_guess_ends_the_code() {
        // Arrange
        let codes = PasswordlessCodes::default();
        codes.start(alice(), "123456".into(), 0, 180);

        // Act
        let guesses: Vec<_> = ["000000", "111111", "222222", "123456"]
            .iter()
            .map(|g| codes.redeem(&alice(), g, 1))
            .collect();

        // Assert
        assert_eq!(
            guesses,
            [
                Err(Refusal::Wrong),
                Err(Refusal::Wrong),
                Err(Refusal::TooManyAttempts),
                Err(Refusal::Wrong)
            ]
        );
    }

    #[test]
    fn a_code_expires_and_a_new_start_replaces_it() {
        let codes = PasswordlessCodes::default();
        codes.start(alice(), "123456".into(), 0, 180);
        assert_eq!(codes.redeem(&alice(), "123456", 180), Err(Refusal::Expired));
        codes.start(alice(), "111111".into(), 200, 180);
        codes.start(alice(), "222222".into(), 200, 180);
        assert_eq!(codes.redeem(&alice(), "111111", 201), Err(Refusal::Wrong));
        assert_eq!(codes.redeem(&alice(), "222222", 201), Ok(()));
    }
}
