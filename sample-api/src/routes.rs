//! The tutorial's routes. Handlers only say what they need; the extractors do the rest.

use axum::{Json, Router, extract::FromRef, routing::get};
use serde::Serialize;

use crate::auth::{Claims, RequireRole, RequireScope, Role, Scope, Validator};

/// The scope `GET /api/private-scoped` requires.
#[derive(Debug)]
pub struct ReadMessages;

impl Scope for ReadMessages {
    const NAME: &'static str = "read:messages";
}

/// The role `GET /api/admin` requires, in the roles claim a post-login Action adds.
#[derive(Debug)]
pub struct Admin;

impl Role for Admin {
    const NAME: &'static str = "admin";
}

/// Every route answers `{"msg": "..."}`.
#[derive(Debug, Serialize)]
pub struct Message {
    /// The message.
    pub msg: &'static str,
}

/// `GET /api/public`: no token needed.
pub async fn public() -> Json<Message> {
    Json(Message {
        msg: "Hello from a public endpoint! You don't need to be authenticated to see this.",
    })
}

/// `GET /api/private`: any valid access token.
pub async fn private(_claims: Claims) -> Json<Message> {
    Json(Message {
        msg: "Hello from a private endpoint! You need to be authenticated to see this.",
    })
}

/// `GET /api/private-scoped`: a valid access token granting `read:messages`.
pub async fn private_scoped(_: RequireScope<ReadMessages>) -> Json<Message> {
    Json(Message {
        msg: "Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.",
    })
}

/// `GET /api/external`: the tutorial's "Call API" button.
pub async fn external(_claims: Claims) -> Json<Message> {
    Json(Message {
        msg: "Your access token was successfully validated!",
    })
}

/// `GET /api/admin`: a valid access token whose `https://sample-api/roles` claim (added by a
/// post-login Action) holds `admin`.
pub async fn admin(_: RequireRole<Admin>) -> Json<Message> {
    Json(Message {
        msg: "Hello from an admin endpoint! You need the admin role in your token to see this.",
    })
}

/// The `/api` routes, for any state that provides a [`Validator`].
pub fn api_routes<S>() -> Router<S>
where
    Validator: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/public", get(public))
        .route("/api/private", get(private))
        .route("/api/private-scoped", get(private_scoped))
        .route("/api/external", get(external))
        .route("/api/admin", get(admin))
}
