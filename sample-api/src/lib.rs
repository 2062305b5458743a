//! # sample-api
//!
//! The Auth0 "Calling an API" tutorial's Express API, rebuilt with axum, validating RS256
//! access tokens the way a production Rust service should, and tested against the
//! in-process [`mock-idp`](../mock_idp/index.html).
//!
//! ## Routes
//!
//! | route | needs | answer |
//! |---|---|---|
//! | `GET /api/public` | nothing | 200 `{"msg": …}` |
//! | `GET /api/private` | a valid access token | 200 `{"msg": …}` |
//! | `GET /api/private-scoped` | … granting `read:messages` (`scope` or `permissions`) | 200 `{"msg": …}` |
//! | `GET /api/external` | a valid access token | 200 `{"msg":"Your access token was successfully validated!"}` |
//! | `GET /api/admin` | … whose `https://sample-api/roles` claim holds `admin` (a post-login Action adds it) | 200 `{"msg": …}`; 403 `insufficient_role` without |
//!
//! Failures follow RFC 6750 (see [`auth::error`]):
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no credentials | 401 | `Bearer realm="api"` |
//! | malformed or repeated credentials | 400 | `… error="invalid_request"` |
//! | bad token | 401 | `… error="invalid_token", error_description="…"` |
//! | missing scope | 403 | `… error="insufficient_scope", scope="read:messages"` |
//! | no signing key obtainable | 503 + `Retry-After` | none |
//!
//! Bodies are `{"error", "error_description"}` in the same words; 4xx answers carry
//! `Cache-Control: no-store`. Tokens are never logged.
//!
//! ## Protecting your own routes
//!
//! The [`auth`] module does not depend on this sample's routes. Give your state a
//! [`auth::Validator`] through `FromRef`, and take [`auth::Claims`] or
//! [`auth::RequireScope`] in a handler:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use sample_api::auth::{AuthSettings, Claims, JwksCache, JwksSettings, KeySource, RequireScope, Scope, Validator};
//!
//! struct WriteOrders;
//! impl Scope for WriteOrders { const NAME: &'static str = "write:orders"; }
//!
//! async fn me(claims: Claims) -> String { claims.sub }
//! async fn order(RequireScope(claims, _): RequireScope<WriteOrders>) -> String { claims.sub }
//!
//! # async fn run() {
//! let issuer = "https://tenant.example.auth0.com/".to_owned();
//! let jwks = JwksCache::new(KeySource::Discovery { issuer: issuer.clone() }, JwksSettings::default());
//! let validator = Validator::new(AuthSettings::new(issuer, "https://orders-api"), jwks);
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/orders", get(order))
//!     .with_state(validator);
//! # }
//! ```
//!
//! ## Validation policy
//!
//! * RS256 only; `alg` is compared with the server's allow-list, never trusted
//!   ([`auth::validator`] lists every check, in order).
//! * `kid` is looked up only in the JWKS found through the issuer's discovery document,
//!   whose `issuer` must equal the configured one; `jku`, `x5u`, `jwk` are never followed and
//!   `crit` is refused.
//! * `iss` exact, `aud` string or array, `exp` required, `nbf` honoured, 5 s leeway
//!   ([`auth::DEFAULT_LEEWAY`], as `express-oauth2-jwt-bearer`), wrong-typed claims
//!   rejected, tokens over 8 KiB refused before decoding.
//! * JWKS caching ([`auth::jwks`]): single-flight fetch, 10 min TTL, unknown-`kid` refetch
//!   at most once per 30 s, 5 s timeouts, 1 MiB cap, stale keys kept through outages.
//!
//! ## Configuration
//!
//! See [`configuration`]: `ISSUER_BASE_URL`, `AUDIENCE`, `PORT`, `ALLOWED_ORIGINS`, or a
//! TOML file (`--config`).
//!
//! ## Testing with mock-idp
//!
//! `tests/api/helpers.rs` starts a `MockIdp` on an ephemeral port, points the API at
//! `idp.issuer()`, runs the API on port 0 with [`startup::Application::spawn`] (as the
//! workspace's cross-component tests do) and hands the test typed request helpers:
//!
//! ```ignore
//! let app = spawn_app().await;
//! let token = app.idp.token().scope("read:messages").sign();
//! let response = app.get_with_token("/api/private-scoped", &token).await;
//! assert_eq!(response.status(), 200);
//! ```

pub mod auth;
pub mod configuration;
pub mod routes;
pub mod startup;
pub mod telemetry;
