//! OAuth errors as the endpoints answer them: `{"error","error_description"}` JSON with
//! Auth0's status codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The `error` code a response carried (a response extension), for the journal.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErrorCode(pub(crate) &'static str);

/// An error from a JSON endpoint of the mock (token, userinfo, revoke, control API).
#[derive(Debug, thiserror::Error)]
pub(crate) enum OAuthError {
    /// 400: a parameter is missing, repeated or malformed.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// 401: client authentication failed.
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    /// 401 `invalid_client` for a refused `client_assertion`: without the `Basic` challenge,
    /// which RFC 6749 5.2 asks for only when the client used the Authorization header (and
    /// which strict clients such as openid-client report instead of the description).
    #[error("invalid_client: {0}")]
    InvalidClientAssertion(String),
    /// 403: the client may not use this grant.
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    /// 403: the request is understood but refused (Auth0 uses it for audience problems).
    #[error("access_denied: {0}")]
    AccessDenied(String),
    /// 403: the grant (password, code, refresh token) is invalid (Auth0 answers 403).
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    /// 401: Auth0's answer for a blocked user (`unauthorized`, "user is blocked").
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 403: a device code no user has approved yet (RFC 8628 3.5; Auth0 answers 403).
    #[error("authorization_pending: {0}")]
    AuthorizationPending(String),
    /// 429: a device polled sooner than its interval allows (RFC 8628 3.5).
    #[error("slow_down: {0}")]
    SlowDown(String),
    /// 403: a device code that expired before a user approved it; said once (RFC 8628 3.5).
    #[error("expired_token: {0}")]
    ExpiredToken(String),
    /// 400: the grant type is not one the mock knows.
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    /// 400: a scope is not defined.
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    /// 400: an authorization request refused at the PAR endpoint, with the code `/authorize`
    /// would have sent back (`unsupported_response_type`, `invalid_request`, ...).
    #[error("{0}: {1}")]
    Authorization(&'static str, String),
    /// 413: the body is over the limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 401 with `WWW-Authenticate`: a bearer token is missing or invalid (userinfo).
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    /// 404 from the control API.
    #[error("not_found: {0}")]
    NotFound(String),
    /// Something broke inside the mock; never caused by what a client sent.
    #[error("server_error: {0}")]
    Internal(String),
    /// 503: nothing is served here right now.
    #[error("temporarily_unavailable: {0}")]
    TemporarilyUnavailable(String),
}

impl OAuthError {
    /// The HTTP status Auth0 answers with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_)
            | Self::UnsupportedGrantType(_)
            | Self::InvalidScope(_)
            | Self::Authorization(..) => StatusCode::BAD_REQUEST,
            Self::InvalidClient(_)
            | Self::InvalidClientAssertion(_)
            | Self::InvalidToken(_)
            | Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::UnauthorizedClient(_)
            | Self::AccessDenied(_)
            | Self::InvalidGrant(_)
            | Self::AuthorizationPending(_)
            | Self::ExpiredToken(_) => StatusCode::FORBIDDEN,
            Self::SlowDown(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TemporarilyUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `error` code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::PayloadTooLarge => "invalid_request",
            Self::Authorization(code, _) => code,
            Self::InvalidClient(_) | Self::InvalidClientAssertion(_) => "invalid_client",
            Self::Unauthorized(_) => "unauthorized",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::AccessDenied(_) => "access_denied",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::AuthorizationPending(_) => "authorization_pending",
            Self::SlowDown(_) => "slow_down",
            Self::ExpiredToken(_) => "expired_token",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::InvalidToken(_) => "invalid_token",
            Self::NotFound(_) => "not_found",
            Self::Internal(_) => "server_error",
            Self::TemporarilyUnavailable(_) => "temporarily_unavailable",
        }
    }

    /// The `error_description`.
    pub(crate) fn description(&self) -> String {
        match self {
            Self::PayloadTooLarge => "Request body too large".into(),
            Self::InvalidRequest(d)
            | Self::InvalidClient(d)
            | Self::InvalidClientAssertion(d)
            | Self::Unauthorized(d)
            | Self::UnauthorizedClient(d)
            | Self::AccessDenied(d)
            | Self::InvalidGrant(d)
            | Self::AuthorizationPending(d)
            | Self::SlowDown(d)
            | Self::ExpiredToken(d)
            | Self::UnsupportedGrantType(d)
            | Self::InvalidScope(d)
            | Self::InvalidToken(d)
            | Self::NotFound(d)
            | Self::Internal(d)
            | Self::TemporarilyUnavailable(d)
            | Self::Authorization(_, d) => d.clone(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let body = json!({"error": self.code(), "error_description": self.description()});
        let mut response = (self.status(), axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code()));
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        match &self {
            Self::InvalidToken(description) => {
                let value = format!(
                    "Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"{}\"",
                    "mock-idp",
                    description.replace(['"', '\\', '\r', '\n'], "'")
                );
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            Self::InvalidClient(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"mock-idp\""),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_auth0s_status_code_and_description() {
        assert_eq!(
            OAuthError::InvalidRequest("x".into()).status().as_u16(),
            400
        );
        assert_eq!(OAuthError::InvalidClient("x".into()).status().as_u16(), 401);
        assert_eq!(
            OAuthError::InvalidGrant("x".into()).status().as_u16(),
            403,
            "Auth0's status, not RFC 6749's 400"
        );
        assert_eq!(OAuthError::PayloadTooLarge.status().as_u16(), 413);
        assert_eq!(OAuthError::AccessDenied("x".into()).code(), "access_denied");
        assert_eq!(OAuthError::Internal("x".into()).code(), "server_error");
        assert_eq!(OAuthError::PayloadTooLarge.code(), "invalid_request");
        assert_eq!(
            OAuthError::InvalidScope("Scope 'x' is not defined".into()).description(),
            "Scope 'x' is not defined"
        );
        assert_eq!(
            OAuthError::PayloadTooLarge.description(),
            "Request body too large"
        );
    }
}
