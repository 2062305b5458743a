//! Authentication and authorization failures, rendered as RFC 6750 §3 challenges.
//!
//! Every variant maps to exactly one status code and one `WWW-Authenticate` challenge, and
//! the JSON body says the same thing in the same words (`{"error","error_description"}`),
//! the shape of Auth0's `express-oauth2-jwt-bearer` errors.
//!
//! Descriptions are `&'static str`: nothing the client sent (a `kid`, an `alg`, the token)
//! ever reaches a response header, so there is nothing to quote-escape and no CRLF to
//! inject.

use std::time::Duration;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// The protection space announced in every challenge (`Bearer realm="api"`), as in
/// `express-oauth2-jwt-bearer`.
pub const REALM: &str = "api";

/// Why a request was not let through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request carries no bearer credentials at all (no `Authorization` header, or a
    /// scheme other than `Bearer`). RFC 6750 §3.1: the challenge carries no error code.
    #[error("no bearer token in the request")]
    MissingToken,
    /// The request is malformed as a whole: repeated `Authorization` headers, a token sent
    /// both in the header and in the query, a `Bearer` scheme with no token, bytes that are
    /// not a header value. 400 `invalid_request`.
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// A token was presented and failed validation. 401 `invalid_token`.
    #[error("invalid token: {}", .0.description())]
    InvalidToken(InvalidToken),
    /// The token is valid but lacks the scope the route requires. 403
    /// `insufficient_scope`.
    #[error("insufficient scope: {required} is required")]
    InsufficientScope {
        /// The scope the route requires, as announced in the challenge.
        required: &'static str,
    },
    /// The token is valid but its roles claim lacks the role the route requires. 403
    /// `insufficient_role`.
    #[error("insufficient role: {required} is required")]
    MissingRole {
        /// The role the route requires.
        required: &'static str,
    },
    /// No usable signing key could be obtained from the identity provider (cold start while
    /// the IdP is down, or a broken JWKS). The token was *not* proven invalid, so this is a
    /// 503 with `Retry-After`, never a 401 and never a 500.
    #[error("signing keys are temporarily unavailable")]
    KeysUnavailable {
        /// When it is worth asking again (the JWKS cache's fetch cool-down).
        retry_after: Duration,
    },
}

/// The reason a presented token was rejected. Each one has a short, fixed description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidToken {
    /// Longer than the configured cap; rejected before any decoding.
    TooLarge,
    /// Not three base64url segments, or a header/payload that is not a JSON object.
    Malformed,
    /// `alg` is anything but exactly `RS256` (the server's allow-list, never the token's).
    UnsupportedAlgorithm,
    /// A header parameter this API refuses: `crit`, `b64`, `zip`, or a non-string `kid`.
    UnsupportedHeader,
    /// `typ` is present and is not an access-token type (`JWT`, `at+jwt`).
    WrongType,
    /// No `kid`, or a `kid` that is not in the identity provider's JWKS.
    UnknownKey,
    /// The signature does not verify with the key named by `kid`.
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway), or `iat` is.
    NotYetValid,
    /// `iss` is not exactly the configured issuer.
    WrongIssuer,
    /// `aud` does not name this API.
    WrongAudience,
    /// A required claim is missing or has the wrong JSON type.
    BadClaims,
}

impl InvalidToken {
    /// The `error_description`, identical in the header and the body.
    pub fn description(self) -> &'static str {
        match self {
            Self::TooLarge => "token too large",
            Self::Malformed => "malformed token",
            Self::UnsupportedAlgorithm => "unsupported signing algorithm",
            Self::UnsupportedHeader => "unsupported token header",
            Self::WrongType => "unexpected token type",
            Self::UnknownKey => "unknown signing key",
            Self::BadSignature => "invalid signature",
            Self::Expired => "token expired",
            Self::NotYetValid => "token not yet valid",
            Self::WrongIssuer => "unexpected issuer",
            Self::WrongAudience => "unexpected audience",
            Self::BadClaims => "missing or invalid claims",
        }
    }
}

impl From<InvalidToken> for AuthError {
    fn from(reason: InvalidToken) -> Self {
        Self::InvalidToken(reason)
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: &'static str,
}

impl AuthError {
    /// The HTTP status this error is rendered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::InsufficientScope { .. } | Self::MissingRole { .. } => StatusCode::FORBIDDEN,
            Self::KeysUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_code(&self) -> &'static str {
        match self {
            Self::MissingToken => "unauthorized",
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidToken(_) => "invalid_token",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::MissingRole { .. } => "insufficient_role",
            Self::KeysUnavailable { .. } => "temporarily_unavailable",
        }
    }

    fn error_description(&self) -> &'static str {
        match self {
            Self::MissingToken => "bearer token required",
            Self::InvalidRequest(description) => description,
            Self::InvalidToken(reason) => reason.description(),
            Self::InsufficientScope { .. } => "insufficient scope",
            Self::MissingRole { .. } => "insufficient role",
            Self::KeysUnavailable { .. } => "signing keys are temporarily unavailable",
        }
    }

    /// The RFC 6750 §3 challenge, or `None` for the 503 (which is not a challenge).
    fn challenge(&self) -> Option<String> {
        let description = self.error_description();
        match self {
            Self::MissingToken => Some(format!("Bearer realm=\"{REALM}\"")),
            Self::InvalidRequest(_) | Self::InvalidToken(_) => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{description}\"",
                self.error_code()
            )),
            Self::InsufficientScope { required } => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", \
                 error_description=\"{description}\", scope=\"{required}\""
            )),
            Self::MissingRole { .. } => Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_role\", \
                 error_description=\"{description}\""
            )),
            Self::KeysUnavailable { .. } => None,
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.error_code(),
            error_description: self.error_description(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.challenge() {
            // Built only from `&'static str`s of this module, so always a valid value.
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Self::KeysUnavailable { retry_after } = self {
            let seconds = retry_after.as_secs().max(1);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // Answers about credentials must not be cached by anything in between.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
