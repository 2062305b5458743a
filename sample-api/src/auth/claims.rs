//! The `Claims` and `RequireScope` extractors: a handler that takes one of them only runs
//! for a request with a valid bearer token.
//!
//! # Reading the credentials (RFC 6750 §2)
//!
//! | request | answer |
//! |---|---|
//! | no `Authorization` header | 401, `Bearer realm="api"`, no error code |
//! | a scheme other than `Bearer` (`Basic …`) | 401, no error code |
//! | `Bearer`, `bearer`, `BEARER` + one space + token | the token is validated |
//! | `Bearer` with no token, or only spaces | 400 `invalid_request` |
//! | two `Authorization` headers | 400 `invalid_request` |
//! | a header plus `?access_token=` in the query | 400 `invalid_request` |
//! | only `?access_token=` (RFC 9700: not supported) | 401, no error code |
//! | a header value that is not visible ASCII | 400 `invalid_request` |
//! | a token outside the `b64token` grammar (two spaces, trailing space, comma list) | 401 `invalid_token` |

use std::marker::PhantomData;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header::AUTHORIZATION, request::Parts},
};
use serde::{Deserialize, Serialize};

use super::{
    error::{AuthError, InvalidToken},
    validator::Validator,
};

/// The verified claims of an access token.
///
/// Only the fields this API reads are typed; each has the type RFC 7519 / Auth0 give it, and a
/// token whose claim has another JSON type is rejected rather than half-read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The issuer, already checked to be exactly the configured one.
    pub iss: String,
    /// The subject (`auth0|…` for users, `…@clients` for machine clients).
    pub sub: String,
    /// The audience(s), already checked to contain this API.
    pub aud: Audience,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not-before, seconds since the epoch.
    #[serde(default, deserialize_with = "numeric_date")]
    pub nbf: Option<u64>,
    /// Issued-at, seconds since the epoch.
    #[serde(default, deserialize_with = "numeric_date")]
    pub iat: Option<u64>,
    /// The client the token was issued to (Auth0's `azp`).
    #[serde(default)]
    pub azp: Option<String>,
    /// Space-delimited granted scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// Auth0 RBAC permissions (present when "Add Permissions in the Access Token" is on).
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    /// The user's roles, in the namespaced claim [`ROLES_CLAIM`]. Auth0 puts roles in no
    /// token by itself: a post-login Action adds them (`api.accessToken.setCustomClaim(
    /// "https://sample-api/roles", event.authorization.roles)`), as Auth0's documentation
    /// shows.
    #[serde(default, rename = "https://sample-api/roles")]
    pub roles: Option<Vec<String>>,
}

/// The claim [`Claims::roles`] reads: namespaced, as Auth0 requires of custom claims.
pub const ROLES_CLAIM: &str = "https://sample-api/roles";

/// An optional time claim: absent is `None`, but when present it must be a NumericDate
/// (`"nbf": null` is not "no `nbf`").
fn numeric_date<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    u64::deserialize(deserializer).map(Some)
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "https://sample-api"`
    One(String),
    /// `"aud": ["https://sample-api", "https://tenant/userinfo"]`
    Many(Vec<String>),
}

impl Claims {
    /// Whether the token grants `scope`, either in the space-delimited `scope` claim or in
    /// Auth0's `permissions` array. Matching is exact and case-sensitive: `read:messagesX`
    /// and `READ:messages` do not grant `read:messages`.
    pub fn grants(&self, scope: &str) -> bool {
        let in_scope = self
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|granted| granted == scope));
        let in_permissions = self
            .permissions
            .as_deref()
            .is_some_and(|p| p.iter().any(|granted| granted == scope));
        in_scope || in_permissions
    }
}

impl<S> FromRequestParts<S> for Claims
where
    Validator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?;
        let validator = Validator::from_ref(state);
        let result = validator.validate(token).await;
        if let Err(error) = &result {
            // The reason only: never the token.
            tracing::debug!(%error, "request rejected");
        }
        result
    }
}

/// A scope a route can require; implement it on a marker type.
///
/// ```
/// use sample_api::auth::Scope;
///
/// pub struct ReadMessages;
/// impl Scope for ReadMessages {
///     const NAME: &'static str = "read:messages";
/// }
/// ```
pub trait Scope {
    /// The scope string, as it appears in `scope` / `permissions`.
    const NAME: &'static str;
}

/// Extracts [`Claims`] and additionally requires the scope `S`, answering 403
/// `insufficient_scope` without it. Authentication errors (401) come first.
#[derive(Debug, Clone)]
pub struct RequireScope<S>(pub Claims, pub PhantomData<fn() -> S>);

impl<S> RequireScope<S> {
    /// The verified claims.
    pub fn into_claims(self) -> Claims {
        self.0
    }
}

impl<St, Sc> FromRequestParts<St> for RequireScope<Sc>
where
    Validator: FromRef<St>,
    St: Send + Sync,
    Sc: Scope,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let claims = Claims::from_request_parts(parts, state).await?;
        if !claims.grants(Sc::NAME) {
            return Err(AuthError::InsufficientScope { required: Sc::NAME });
        }
        Ok(Self(claims, PhantomData))
    }
}

/// A role a route can require; implement it on a marker type.
///
/// ```
/// use sample_api::auth::Role;
///
/// pub struct Admin;
/// impl Role for Admin {
///     const NAME: &'static str = "admin";
/// }
/// ```
pub trait Role {
    /// The role's name, as it appears in [`ROLES_CLAIM`].
    const NAME: &'static str;
}

impl Claims {
    /// Whether the token's [`ROLES_CLAIM`] holds `role` (exact, case-sensitive).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles
            .as_deref()
            .is_some_and(|roles| roles.iter().any(|r| r == role))
    }
}

/// Extracts [`Claims`] and additionally requires the role `R` in [`ROLES_CLAIM`], answering
/// 403 `insufficient_role` without it. Authentication errors (401) come first.
#[derive(Debug, Clone)]
pub struct RequireRole<R>(pub Claims, pub PhantomData<fn() -> R>);

impl<St, R> FromRequestParts<St> for RequireRole<R>
where
    Validator: FromRef<St>,
    St: Send + Sync,
    R: Role,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let claims = Claims::from_request_parts(parts, state).await?;
        if !claims.has_role(R::NAME) {
            return Err(AuthError::MissingRole { required: R::NAME });
        }
        Ok(Self(claims, PhantomData))
    }
}

/// Finds the one bearer token in the request, per the table in the module docs.
pub fn bearer_token(parts: &Parts) -> Result<&str, AuthError> {
    let mut values = parts.headers.get_all(AUTHORIZATION).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(AuthError::InvalidRequest("repeated Authorization header"));
    }
    let Some(value) = first else {
        return Err(AuthError::MissingToken);
    };
    if query_has_access_token(parts.uri.query()) {
        return Err(AuthError::InvalidRequest(
            "more than one method used to send the token",
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::InvalidRequest("malformed Authorization header"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    if token.trim_matches(' ').is_empty() {
        return Err(AuthError::InvalidRequest("bearer token missing"));
    }
    if !is_b64token(token) {
        return Err(InvalidToken::Malformed.into());
    }
    Ok(token)
}

fn query_has_access_token(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[&[u8]], uri: &str) -> Parts {
        let mut request = Request::get(uri);
        for value in headers {
            request = request.header(AUTHORIZATION, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    fn claims(scope: Option<&str>, permissions: Option<&[&str]>) -> Claims {
        Claims {
            iss: "i".into(),
            sub: "s".into(),
            aud: Audience::One("a".into()),
            exp: 1,
            nbf: None,
            iat: None,
            azp: None,
            scope: scope.map(Into::into),
            permissions: permissions.map(|p| p.iter().map(|s| s.to_string()).collect()),
            roles: None,
        }
    }

    #[test]
    fn reads_the_token_whatever_the_scheme_case() {
        for header in [
            &b"Bearer abc.def.ghi"[..],
            b"bearer abc.def.ghi",
            b"BEARER abc.def.ghi",
        ] {
            assert_eq!(bearer_token(&parts(&[header], "/")), Ok("abc.def.ghi"));
        }
    }

    #[test]
    fn treats_other_schemes_and_query_tokens_as_no_credentials() {
        assert_eq!(
            bearer_token(&parts(&[b"Basic dXNlcjpwYXNz"], "/")),
            Err(AuthError::MissingToken)
        );
        assert_eq!(
            bearer_token(&parts(&[], "/?access_token=abc")),
            Err(AuthError::MissingToken)
        );
    }

    #[test]
    fn answers_invalid_request_for_structurally_bad_credentials() {
        for (headers, uri) in [
            (&[&b"Bearer a"[..], b"Bearer a"][..], "/"),
            (&[&b"Bearer a"[..], b"garbage"][..], "/"),
            (&[&b"Bearer a"[..]][..], "/?access_token=a"),
            (&[&b"Bearer"[..]][..], "/"),
            (&[&b"Bearer "[..]][..], "/"),
            (&[&b"Bearer    "[..]][..], "/"),
            (&[&b"Bearer \xff"[..]][..], "/"),
        ] {
            let parts = parts(headers, uri);
            let answer = bearer_token(&parts);
            assert!(
                matches!(answer, Err(AuthError::InvalidRequest(_))),
                "{headers:?} {uri}: {answer:?}"
            );
        }
    }

    #[test]
    fn answers_invalid_token_outside_the_b64token_grammar() {
        for header in [
            &b"Bearer  abc"[..],
            b"Bearer abc ",
            b"Bearer a,Bearer b",
            b"Bearer a=b",
        ] {
            assert_eq!(
                bearer_token(&parts(&[header], "/")),
                Err(InvalidToken::Malformed.into())
            );
        }
    }

    #[test]
    fn grants_a_scope_listed_in_any_order() {
        assert!(claims(Some("read:messages write:messages"), None).grants("read:messages"));
        assert!(claims(Some("write:messages read:messages"), None).grants("read:messages"));
    }

    #[test]
    fn grants_a_scope_found_in_permissions() {
        assert!(claims(None, Some(&["read:messages"])).grants("read:messages"));
    }

    #[test]
    fn does_not_grant_near_misses() {
        for scope in [
            "read:messagesX",
            "READ:messages",
            "read:messages,write",
            "write:messages",
            "",
        ] {
            assert!(
                !claims(Some(scope), None).grants("read:messages"),
                "{scope}"
            );
        }
        assert!(!claims(None, None).grants("read:messages"));
        assert!(!claims(None, Some(&["read:messagesX"])).grants("read:messages"));
    }
}
