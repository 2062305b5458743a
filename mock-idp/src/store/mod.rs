//! The engine's stores.

pub(crate) mod sessions;
