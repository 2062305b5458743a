//! The container image, run by a real Docker daemon: `mock-idp:local` (and `sample-api:local`
//! as the app container), built by `cargo xtask image --sample-api`.
//!
//! Every test is `#[ignore]`d, so `cargo test` without a daemon passes over them visibly;
//! `cargo xtask test` builds the images and runs them with `--ignored` whenever a daemon
//! answers, and fails under `CI=true` when none does. Run alone:
//! `cargo xtask image --sample-api && cargo test -p integration-tests --test container -- --ignored`.
//!
//! Every container, network and compose project is named after this process and removed when
//! its guard drops; the only network peers are these containers and loopback.

mod docker;

mod image;
mod issuers;
mod recipes;
