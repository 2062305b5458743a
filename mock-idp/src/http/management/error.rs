//! The Management API's errors, as Auth0 writes them:
//! `{"statusCode", "error", "message", "errorCode"}` (not the Authentication API's
//! `{"error", "error_description"}`), which node-auth0 and auth0-python read.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ErrorCode;

#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    code: &'static str,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code,
        }
    }

    /// 400: the body is not what the route takes.
    pub(crate) fn invalid_body(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("Payload validation error: '{detail}'."),
        )
    }

    /// 400: a query parameter is unknown or malformed.
    pub(crate) fn invalid_query(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_query_string",
            format!("Query validation error: '{detail}'."),
        )
    }

    /// 400 with Auth0's own code (`inexistent_connection`, ...).
    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no token, or one this tenant's Management API does not accept.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", message)
    }

    /// 403: a valid token without any of the scopes the route takes.
    pub(crate) fn insufficient_scope(expected: &[&str]) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!(
                "Insufficient scope, expected any of: {}",
                expected.join(",")
            ),
        )
    }

    /// 404: `inexistent_user`, `inexistent_role`, ...
    pub(crate) fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409: the thing to create exists.
    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub(crate) fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
        )
    }

    /// 503: the server is shutting down.
    pub(crate) fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The server is shutting down",
        )
    }

    /// 404 for a path the Management API does not have (or the mock does not serve).
    pub(crate) fn no_such_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not Found")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "statusCode": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or_default(),
            "message": self.message,
            "errorCode": self.code,
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}
