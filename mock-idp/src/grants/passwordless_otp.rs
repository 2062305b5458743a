//! `grant_type=http://auth0.com/oauth/grant-type/passwordless/otp`: the code that
//! `POST /passwordless/start` sent (to the outbox) buys the user's tokens.
//!
//! `realm` is the connection, `email` or `sms`; `username` the address or number the code
//! went to. The code is bound to the client that started the login, used once, expires on
//! the mock clock, and survives a few wrong guesses (see [`crate::store::passwordless`]).
//!
//! An email or phone number nobody has yet becomes a user on the `email` or `sms` connection
//! (`email|<id>`, `sms|<id>`), as on Auth0; an SMS user has no email (an empty one, which no
//! login names), and its number as `name`. The mock keys users by email, so an email that a
//! database user has logs that user in, as if Auth0's accounts were linked; SMS logs in the
//! user with that `phone_number`.

use super::actions::{Counted, Login, LoginRequest, post_login};
use super::params::Params;
use super::requested_api;
use crate::clock::iso8601;
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::ids::hex_digest;
use crate::issuance::scopes::{split_scope, user_scopes};
use crate::issuance::{Issued, UserGrant, issue_for_user};
use crate::store::passwordless::{Recipient, Refusal};
pub(crate) use crate::tenant::PASSWORDLESS_OTP;
use crate::tenant::{Client, TenantConfig, User};

/// The passwordless connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Realm {
    Email,
    Sms,
}

impl Realm {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// What Auth0 says for a wrong code.
    pub(crate) fn wrong_code(self) -> &'static str {
        match self {
            Self::Email => "Wrong email or verification code.",
            Self::Sms => "Wrong phone number or verification code.",
        }
    }
}

pub(crate) const CODE_EXPIRED: &str =
    "The verification code has expired. Please try to login again.";
pub(crate) const TOO_MANY_ATTEMPTS: &str =
    "You've reached the maximum number of attempts. Please try to login again.";

/// The refusal's description, as Auth0 words it.
pub(crate) fn refusal_text(realm: Realm, refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Wrong => realm.wrong_code(),
        Refusal::Expired => CODE_EXPIRED,
        Refusal::TooManyAttempts => TOO_MANY_ATTEMPTS,
    }
}

/// The user `to` names on `realm`, as the tenant has them now.
pub(crate) fn existing_user<'t>(
    tenant: &'t TenantConfig,
    realm: Realm,
    to: &str,
) -> Option<&'t User> {
    match realm {
        Realm::Email => tenant.user_by_login(to),
        Realm::Sms => tenant
            .users
            .iter()
            .find(|u| u.phone_number.as_deref() == Some(to)),
    }
}

/// The user a redeemed code logs in: the existing one, or a new user on the connection.
pub(crate) fn passwordless_user(idp: &Idp, realm: Realm, to: &str) -> String {
    if let Some(user) = existing_user(&idp.tenant(), realm, to) {
        return user.sub();
    }
    let now = iso8601(idp.clock.now());
    idp.update_tenant(|tenant| {
        if let Some(user) = existing_user(tenant, realm, to) {
            return user.sub();
        }
        let hex = hex_digest(&idp.ids.next("user"), 12);
        let base = User {
            user_id: Some(format!("{}|{hex}", realm.as_str())),
            // Nobody knows it: a passwordless user has no password to log in with.
            password: idp.ids.next("password"),
            created_at: Some(now.clone()),
            updated_at: Some(now),
            ..User::new(to)
        };
        let user = match realm {
            Realm::Email => base,
            Realm::Sms => User {
                email: String::new(),
                email_verified: false,
                name: Some(to.to_owned()),
                nickname: Some(to.to_owned()),
                phone_number: Some(to.to_owned()),
                ..base
            },
        };
        let sub = user.sub();
        tenant.users.push(user);
        sub
    })
}

pub(super) fn exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let username = params.require("username")?;
    let otp = params.require("otp")?;
    let realm_name = params.require("realm")?;
    let realm = Realm::parse(realm_name).ok_or_else(|| {
        OAuthError::InvalidRequest(format!(
            "Unknown realm {realm_name}: the passwordless connections are email and sms"
        ))
    })?;
    let api = requested_api(tenant, params)?;
    if existing_user(tenant, realm, username).is_some_and(|u| u.blocked) {
        return Err(OAuthError::Unauthorized("user is blocked".into()));
    }
    let recipient = Recipient::new(&client.client_id, realm.as_str(), username);
    idp.passwordless
        .redeem(&recipient, otp, idp.clock.now())
        .map_err(|refusal| OAuthError::InvalidGrant(refusal_text(realm, &refusal).into()))?;
    let sub = passwordless_user(idp, realm, username);
    // The user may be new: read the tenant again.
    let now_tenant = idp.tenant();
    let user = now_tenant
        .user_by_sub(&sub)
        .ok_or_else(|| OAuthError::InvalidGrant(realm.wrong_code().into()))?;
    let scope = user_scopes(&now_tenant, user, api, &split_scope(params.get("scope")));
    // After the code is spent, as Auth0 runs Actions once the user has authenticated.
    let login = Login {
        tenant: &now_tenant,
        client,
        user,
        api,
        organization: None,
        protocol: "oauth2-password",
        request: LoginRequest::Token(params),
        transaction: serde_json::Map::new(),
        counted: Counted::AfterTheFlow,
        auth_time: idp.clock.now(),
        method: realm.as_str(),
    };
    let claims = post_login(idp, &login, &scope)?;
    idp.record_login(&sub);
    Ok(issue_for_user(
        idp,
        UserGrant {
            tenant: &now_tenant,
            client,
            user,
            api,
            scope,
            nonce: None,
            auth_time: Some(idp.clock.now()),
            sid: None,
            gty: None,
            refresh_family: None,
        },
        &claims,
    ))
}
