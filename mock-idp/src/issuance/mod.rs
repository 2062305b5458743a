//! Token issuance.

pub(crate) mod builder;
pub(crate) mod claims;
pub(crate) mod jws;
pub(crate) mod keys;
