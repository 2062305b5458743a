//! The Action flows around a sign-up: pre-user-registration before the user is created
//! (it may refuse the sign-up, or add metadata to the user about to be made) and
//! post-user-registration after (it can change nothing).
//!
//! Auth0 runs both for a database connection's sign-ups: `POST /dbconnections/signup`, the
//! sign-up page, and `POST /api/v2/users`, where the event has no `client` and no
//! `transaction` (the Management API has neither; Auth0 documents both as optional). Auth0
//! runs post-user-registration asynchronously and only logs its failures; here it runs before
//! the response, so a test that looks for its effect (a call to the team's webhook) finds it
//! without waiting, and its failures go to the journal's console lines.

use serde_json::{Map, Value, json};

use crate::actions::{self, Trigger};
use crate::engine::Idp;
use crate::grants::actions::{LoginRequest, apply, common_event, connection_event, user_event};
use crate::tenant::{Client, TenantConfig, User};

/// Why pre-user-registration refused a sign-up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refused {
    /// `api.access.deny(reason, userMessage)`: the user reads `user_message` when given.
    Denied {
        reason: String,
        user_message: Option<String>,
    },
    /// `api.validation.error(code, message)`.
    Invalid { code: String, message: String },
    /// The Action threw, timed out or never settled.
    Failed(String),
}

impl Refused {
    /// What the person signing up reads.
    pub(crate) fn message(&self) -> &str {
        match self {
            Self::Denied {
                user_message: Some(message),
                ..
            } => message,
            Self::Denied { reason, .. } => reason,
            Self::Invalid { message, .. } => message,
            Self::Failed(message) => message,
        }
    }
}

/// Where a sign-up comes from.
pub(crate) struct SignUpSource<'a> {
    /// The application, for a sign-up through the Authentication API or the sign-up page.
    pub(crate) client: Option<&'a Client>,
    /// The request's fields (the password is never shown to an Action).
    pub(crate) body: &'a Map<String, Value>,
}

/// Runs pre-user-registration for `user`, about to be created; applies the metadata the
/// Actions set to it. Nothing else changes, whatever the outcome.
pub(crate) fn pre_user_registration(
    idp: &Idp,
    tenant: &TenantConfig,
    user: &mut User,
    source: &SignUpSource<'_>,
) -> Result<(), Refused> {
    if !actions::any_for(&tenant.actions, Trigger::PreUserRegistration) {
        return Ok(());
    }
    let mut event = event(idp, source);
    let mut profile = json!({
        "email": user.email,
        "email_verified": user.email_verified,
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
    });
    for (key, value) in [
        ("name", &user.name),
        ("nickname", &user.nickname),
        ("given_name", &user.given_name),
        ("family_name", &user.family_name),
        ("picture", &user.picture),
        ("phone_number", &user.phone_number),
    ] {
        if let Some(value) = value {
            profile[key] = value.clone().into();
        }
    }
    event["user"] = profile;
    let outcome = actions::run(
        &tenant.actions,
        Trigger::PreUserRegistration,
        &event,
        tenant.action_timeout,
    )
    .map_err(|e| Refused::Failed(e.to_string()))?;
    if let Some(denied) = outcome.denied {
        return Err(Refused::Denied {
            reason: denied.reason,
            user_message: denied.user_message,
        });
    }
    if let Some(invalid) = outcome.validation_error {
        return Err(Refused::Invalid {
            code: invalid.code,
            message: invalid.message,
        });
    }
    apply(&mut user.app_metadata, &outcome.app_metadata);
    apply(&mut user.user_metadata, &outcome.user_metadata);
    Ok(())
}

/// Runs post-user-registration for `user`, just created. Its failures change nothing: they
/// are console lines for the journal, as Auth0 only logs them.
pub(crate) fn post_user_registration(
    idp: &Idp,
    tenant: &TenantConfig,
    user: &User,
    source: &SignUpSource<'_>,
) {
    if !actions::any_for(&tenant.actions, Trigger::PostUserRegistration) {
        return;
    }
    let mut event = event(idp, source);
    event["user"] = user_event(idp, user);
    if let Err(e) = actions::run(
        &tenant.actions,
        Trigger::PostUserRegistration,
        &event,
        tenant.action_timeout,
    ) {
        actions::note_failure(Trigger::PostUserRegistration, &e);
    }
}

fn event(idp: &Idp, source: &SignUpSource<'_>) -> Value {
    let mut event = common_event(
        idp,
        source.client,
        None,
        &LoginRequest::Body(source.body),
        &[],
    );
    if let Value::Object(fields) = &mut event {
        // A sign-up asks for no scopes; without a client there is no transaction at all.
        match source.client {
            Some(_) => {
                fields.insert("transaction".into(), json!({ "locale": "en" }));
            }
            None => {
                fields.remove("transaction");
            }
        }
    }
    event["connection"] = connection_event();
    event
}
