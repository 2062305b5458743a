//! The Auth0 Management API v2 under `/api/v2/`: users, their roles and permissions, roles,
//! organizations with their members and members' roles, and Actions (drafts, deploys, trigger
//! bindings), in Auth0's shapes, for backends that manage users and for SDKs (node-auth0,
//! auth0-python) that expect them.
//!
//! Every route takes a Bearer access token this mock issued for `<issuer>api/v2/` with one of
//! the route's scopes ([`auth`]); errors are Auth0's `{"statusCode", "error", "message",
//! "errorCode"}` ([`error`]). A change goes through `Idp::try_update_tenant`, checked whole
//! before the tenant is replaced, so a refused request changes nothing and what a request
//! changes is live at once for every login path and the next token.

mod actions;
mod auth;
mod error;
mod model;
mod organizations;
mod query;
mod roles;
mod users;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::routing::get;
use serde::de::DeserializeOwned;

use crate::engine::AppState;
use crate::http::token::{MAX_BODY, is_length_limit};
use error::ApiError;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(users::list).post(users::create))
        .route("/users-by-email", get(users::by_email))
        .route(
            "/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route(
            "/users/{id}/roles",
            get(users::roles)
                .post(users::assign_roles)
                .delete(users::remove_roles),
        )
        .route(
            "/users/{id}/permissions",
            get(users::permissions)
                .post(users::add_permissions)
                .delete(users::remove_permissions),
        )
        .route("/roles", get(roles::list).post(roles::create))
        .route(
            "/roles/{id}",
            get(roles::get).patch(roles::update).delete(roles::delete),
        )
        .route(
            "/roles/{id}/permissions",
            get(roles::permissions)
                .post(roles::add_permissions)
                .delete(roles::remove_permissions),
        )
        .route(
            "/roles/{id}/users",
            get(roles::users).post(roles::assign_users),
        )
        .route(
            "/organizations",
            get(organizations::list).post(organizations::create),
        )
        .route("/organizations/name/{name}", get(organizations::by_name))
        .route(
            "/organizations/{id}",
            get(organizations::get)
                .patch(organizations::update)
                .delete(organizations::delete),
        )
        .route(
            "/organizations/{id}/members",
            get(organizations::members)
                .post(organizations::add_members)
                .delete(organizations::remove_members),
        )
        .route(
            "/organizations/{id}/members/{user_id}/roles",
            get(organizations::member_roles_list)
                .post(organizations::assign_member_roles)
                .delete(organizations::remove_member_roles),
        )
        .route("/actions/actions", get(actions::list).post(actions::create))
        .route(
            "/actions/actions/{id}",
            get(actions::get)
                .patch(actions::update)
                .delete(actions::delete),
        )
        .route(
            "/actions/actions/{id}/deploy",
            axum::routing::post(actions::deploy),
        )
        .route("/actions/triggers", get(actions::triggers))
        .route(
            "/actions/triggers/{id}/bindings",
            get(actions::bindings).patch(actions::update_bindings),
        )
        .fallback(async || ApiError::no_such_route())
}

/// A JSON body of at most [`MAX_BODY`] bytes, as `T`; anything else is Auth0's
/// `invalid_body`.
async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        if is_length_limit(&e) {
            ApiError::too_large()
        } else {
            ApiError::invalid_body("the body could not be read")
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::invalid_body(e),
        _ => ApiError::invalid_body(format!("the body is not JSON: {e}")),
    })
}

/// The `{id}` of the path; one that does not decode names nothing.
fn path_id(
    id: Result<Path<String>, PathRejection>,
    missing: fn() -> ApiError,
) -> Result<String, ApiError> {
    id.map(|Path(id)| id).map_err(|_| missing())
}
