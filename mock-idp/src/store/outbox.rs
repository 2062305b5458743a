//! The outbox: every email and SMS the tenant "sends" (sign-up verification, password reset,
//! passwordless codes and links), newest last, for tests to read instead of a mailbox.
//!
//! A ring: only the last [`CAPACITY`] messages are kept, so a load test does not grow memory.
//! Messages carry codes and links that log a user in, so they are readable only where minted
//! tokens are (the guarded control API and the Rust API); the journal records that a request
//! was made, never what it sent.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use super::{exclusive, lock};

/// How many messages the outbox keeps.
pub(crate) const CAPACITY: usize = 200;

/// How a message travels.
///
/// ```
/// assert_eq!(serde_json::to_value(mock_idp::Channel::Sms).unwrap(), "sms");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An email, to an email address.
    Email,
    /// A text message, to a phone number.
    Sms,
}

/// Why a message was sent.
///
/// ```
/// assert_eq!(serde_json::to_value(mock_idp::MessageKind::ResetPassword).unwrap(), "reset_password");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// After a sign-up: a link that marks the email verified.
    VerifyEmail,
    /// After `POST /dbconnections/change_password`: a link to a page that sets a new password.
    ResetPassword,
    /// `POST /passwordless/start` with `send=code`: a one-time code.
    Otp,
    /// `POST /passwordless/start` with `send=link`: a link that logs the user in, and its code.
    MagicLink,
}

/// One email or SMS the tenant sent.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Channel, MessageKind, MockIdp};
/// // Arrange
/// let idp = MockIdp::start().await;
///
/// // Act: an application signs a user up.
/// let signed_up = reqwest::Client::new().post(idp.url("/dbconnections/signup"))
///     .json(&serde_json::json!({ "client_id": "sample-spa", "email": "dana@example.com",
///         "password": "Passw0rd!", "connection": "Username-Password-Authentication" }))
///     .send().await.unwrap();
///
/// // Assert: the verification email is in the outbox, not in a mailbox.
/// assert_eq!(signed_up.status(), 200);
/// let message = idp.outbox().pop().unwrap();
/// assert_eq!((message.to.as_str(), message.channel, message.kind),
///            ("dana@example.com", Channel::Email, MessageKind::VerifyEmail));
/// assert_eq!(message.code, None);
/// assert!(message.text.contains(message.link.as_deref().unwrap()));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// The email address or phone number it went to.
    pub to: String,
    /// Email or SMS.
    pub channel: Channel,
    /// Why it was sent.
    pub kind: MessageKind,
    /// The email's subject; `None` for an SMS.
    pub subject: Option<String>,
    /// The message's text, as a person would read it.
    pub text: String,
    /// The one-time code it carries, if any.
    pub code: Option<String>,
    /// The link it carries, if any: absolute, at the issuer.
    pub link: Option<String>,
    /// When it was sent, by the mock's clock (RFC 3339).
    pub sent_at: String,
}

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    messages: Mutex<VecDeque<OutboxMessage>>,
}

impl Outbox {
    pub(crate) fn send(&self, message: OutboxMessage) {
        let mut messages = lock(&self.messages);
        if messages.len() == CAPACITY {
            messages.pop_front();
        }
        messages.push_back(message);
    }

    /// Every message kept, oldest first.
    pub(crate) fn list(&self) -> Vec<OutboxMessage> {
        lock(&self.messages).iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        lock(&self.messages).clear();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken.
    pub(crate) fn renew(&mut self) {
        exclusive(&mut self.messages).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: usize) -> OutboxMessage {
        OutboxMessage {
            to: format!("user{n}@example.com"),
            channel: Channel::Email,
            kind: MessageKind::Otp,
            subject: None,
            text: String::new(),
            code: None,
            link: None,
            sent_at: String::new(),
        }
    }

    #[test]
    fn keeps_the_newest_messages_up_to_its_capacity() {
        // Arrange
        let outbox = Outbox::default();

        // Act
        for n in 0..CAPACITY + 5 {
            outbox.send(message(n));
        }

        // Assert
        let kept = outbox.list();
        assert_eq!(kept.len(), CAPACITY);
        assert_eq!(kept[0].to, "user5@example.com");
        assert_eq!(
            kept[CAPACITY - 1].to,
            format!("user{}@example.com", CAPACITY + 4)
        );
    }
}
