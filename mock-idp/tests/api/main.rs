//! HTTP-level tests of mock-idp: one test binary, one module per endpoint or concern.

mod helpers;

mod client_credentials;
mod control;
mod control_guard;
mod discovery_and_jwks;
mod errors;
mod independent_verification;
mod password;
mod refresh;
mod snapshots;
mod token_builder;
mod userinfo;
