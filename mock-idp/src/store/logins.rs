//! Auth0's `logins_count` and `last_login`, counted apart from the tenant snapshot.
//!
//! Users live in the tenant snapshot, which changes by copy and swap. A login changes only
//! two fields of one user, and counting it that way copied every user of the tenant per
//! login; here it is one map entry, keyed by the user's id (its `sub`). Whoever shows a user
//! shows it through [`Logins::merged`], so what the Management API, `MockIdp::user` and a
//! search see is the same as if the count lived in the user.
//!
//! An entry holds the logins seen, which [`Logins::merged`] adds to the user's configured
//! `logins_count`: merge a user once (a user merged twice counts its logins twice). The
//! counts belong to a user id while some user has it: the engine forgets an id when a tenant change
//! leaves no user with it (a deleted user, and one created again later, starts from zero).
//! A login is counted without looking the user up again, so one that races with the
//! deletion of its user may leave an entry behind until the next change forgets it: the
//! price of not scanning the tenant per login.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::RwLock;

use super::{exclusive_rw, read, write};
use crate::tenant::User;

#[derive(Debug, Default)]
pub(crate) struct Logins {
    by_sub: RwLock<HashMap<String, Login>>,
}

#[derive(Clone, Debug, PartialEq)]
struct Login {
    seen: u64,
    last: String,
}

impl Logins {
    /// Counts a login of `sub` at `at` (ISO 8601).
    pub(crate) fn record(&self, sub: &str, at: String) {
        let mut by_sub = write(&self.by_sub);
        match by_sub.get_mut(sub) {
            Some(login) => {
                login.seen = login.seen.saturating_add(1);
                login.last = at;
            }
            None => {
                by_sub.insert(sub.to_owned(), Login { seen: 1, last: at });
            }
        }
    }

    /// `user` with the logins counted so far; borrowed when it has none.
    pub(crate) fn merged<'u>(&self, user: &'u User) -> Cow<'u, User> {
        let by_sub = read(&self.by_sub);
        if by_sub.is_empty() {
            return Cow::Borrowed(user);
        }
        match by_sub.get(&user.sub()) {
            Some(login) => {
                let mut user = user.clone();
                user.logins_count = user.logins_count.saturating_add(login.seen);
                user.last_login = Some(login.last.clone());
                Cow::Owned(user)
            }
            None => Cow::Borrowed(user),
        }
    }

    /// Forgets the ids no user in `users` has any more.
    pub(crate) fn keep_only(&self, users: &[User]) {
        let mut by_sub = write(&self.by_sub);
        if by_sub.is_empty() {
            return;
        }
        let subs: HashSet<String> = users.iter().map(User::sub).collect();
        by_sub.retain(|sub, _| subs.contains(sub));
    }

    pub(crate) fn clear(&self) {
        write(&self.by_sub).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive_rw(&mut self.by_sub).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_counts_on_top_of_the_configured_count_and_sets_last_login() {
        // Arrange
        let logins = Logins::default();
        let carol = User {
            logins_count: 3,
            ..User::new("carol@example.com")
        };

        // Act
        logins.record("auth0|carol", "2030-01-01T00:00:00.000Z".into());
        logins.record("auth0|carol", "2030-01-02T00:00:00.000Z".into());

        // Assert
        let merged = logins.merged(&carol);
        assert_eq!(merged.logins_count, 5);
        assert_eq!(
            merged.last_login.as_deref(),
            Some("2030-01-02T00:00:00.000Z")
        );
    }

    #[test]
    fn a_user_who_never_logged_in_is_borrowed_as_configured() {
        let logins = Logins::default();
        let dave = User::new("dave@example.com");
        logins.record("auth0|carol", "t".into());

        assert!(matches!(logins.merged(&dave), Cow::Borrowed(u) if *u == dave));
    }

    #[test]
    fn ids_no_user_has_any_more_are_forgotten() {
        // Arrange
        let logins = Logins::default();
        let carol = User::new("carol@example.com");
        let dave = User::new("dave@example.com");
        logins.record("auth0|carol", "t".into());
        logins.record("auth0|dave", "t".into());

        // Act
        logins.keep_only(std::slice::from_ref(&dave));

        // Assert
        assert_eq!(logins.merged(&carol).logins_count, 0);
        assert_eq!(logins.merged(&dave).logins_count, 1);
    }
}
