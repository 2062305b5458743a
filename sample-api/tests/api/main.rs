mod authorization_header;
mod crafted_tokens;
mod error_snapshots;
mod fuzz;
mod helpers;
mod jwks_failures;
