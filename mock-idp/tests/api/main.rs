//! Tests of mock-idp over HTTP, in process and as the `mock-idp` binary (and of its source
//! layout): one test binary,
//! one module per endpoint or concern.

mod helpers;

mod actions;
mod actions_login_paths;
mod actions_registration;
mod backchannel_logout;
mod browser_flows;
mod ci_binary;
mod cli;
mod client_credentials;
mod code_flow_snapshots;
mod control;
mod control_guard;
mod deploy_cli;
mod device_flow;
mod discovery_and_jwks;
mod errors;
mod expectations;
mod explain;
mod implicit_hybrid;
mod independent_verification;
mod inspector;
mod issued_tokens;
mod issuer_control;
mod layout;
mod management;
mod management_actions;
mod management_properties;
mod opaque_tokens;
mod organizations;
mod outbox;
mod par;
mod password;
mod password_reset;
mod passwordless;
mod pool;
mod private_key_jwt;
mod refresh;
mod signup;
mod snapshots;
mod tls;
mod token_builder;
mod userinfo;
