//! Tickets: what the links in verification and password-reset emails carry. Each names a user
//! and what it is for, is used once, and expires on the mock clock.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{exclusive, lock};
use crate::ids::IdGenerator;

/// What a ticket lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    VerifyEmail,
    ResetPassword,
}

#[derive(Debug)]
struct Ticket {
    purpose: Purpose,
    sub: String,
    expires_at: i64,
}

/// Why a ticket bought nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Never issued, used already, or for something else.
    Unknown,
    /// Issued, but its lifetime is over.
    Expired,
}

#[derive(Debug, Default)]
pub(crate) struct Tickets {
    by_id: Mutex<HashMap<String, Ticket>>,
}

impl Tickets {
    /// A ticket for `sub`, good for `ttl` seconds.
    pub(crate) fn issue(
        &self,
        ids: &IdGenerator,
        now: i64,
        ttl: i64,
        purpose: Purpose,
        sub: &str,
    ) -> String {
        let id = ids.next("ticket");
        let mut by_id = lock(&self.by_id);
        // Expired ones can only be refused: forgetting them bounds the map.
        by_id.retain(|_, t| t.expires_at > now);
        by_id.insert(
            id.clone(),
            Ticket {
                purpose,
                sub: sub.to_owned(),
                expires_at: now + ttl,
            },
        );
        id
    }

    /// The user a live ticket is for, leaving it unused (a page showing its form).
    pub(crate) fn peek(&self, id: &str, purpose: Purpose, now: i64) -> Result<String, Refusal> {
        let by_id = lock(&self.by_id);
        let ticket = by_id
            .get(id)
            .filter(|t| t.purpose == purpose)
            .ok_or(Refusal::Unknown)?;
        if ticket.expires_at <= now {
            return Err(Refusal::Expired);
        }
        Ok(ticket.sub.clone())
    }

    /// Spends a live ticket; returns its user.
    pub(crate) fn redeem(&self, id: &str, purpose: Purpose, now: i64) -> Result<String, Refusal> {
        let sub = self.peek(id, purpose, now)?;
        lock(&self.by_id).remove(id);
        Ok(sub)
    }

    pub(crate) fn clear(&self) {
        lock(&self.by_id).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.by_id).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_spent_once_and_only_for_its_purpose() {
        // Arrange
        let tickets = Tickets::default();
        let ids = IdGenerator::sequential();
        let id = tickets.issue(&ids, 100, 60, Purpose::ResetPassword, "auth0|alice");

        // Act
        let wrong_purpose = tickets.redeem(&id, Purpose::VerifyEmail, 100);
        let first = tickets.redeem(&id, Purpose::ResetPassword, 100);
        let second = tickets.redeem(&id, Purpose::ResetPassword, 100);

        // Assert
        assert_eq!(wrong_purpose, Err(Refusal::Unknown));
        assert_eq!(first.as_deref(), Ok("auth0|alice"));
        assert_eq!(second, Err(Refusal::Unknown));
    }

    #[test]
    fn a_ticket_expires_on_the_clock_it_was_given() {
        let tickets = Tickets::default();
        let ids = IdGenerator::sequential();
        let id = tickets.issue(&ids, 100, 60, Purpose::VerifyEmail, "auth0|alice");
        assert!(tickets.peek(&id, Purpose::VerifyEmail, 159).is_ok());
        assert_eq!(
            tickets.redeem(&id, Purpose::VerifyEmail, 160),
            Err(Refusal::Expired)
        );
    }
}
