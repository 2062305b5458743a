//! The Auth0-facing HTTP endpoints.

pub(crate) mod authorize;
pub(crate) mod discovery;
pub(crate) mod html;
pub(crate) mod jwks;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod middleware;
pub(crate) mod revoke;
pub(crate) mod session_cookie;
pub(crate) mod token;
pub(crate) mod userinfo;
