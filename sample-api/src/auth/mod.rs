//! Bearer-token authentication for axum, reusable outside this sample.
//!
//! * [`Claims`] / [`RequireScope`] / [`RequireRole`]: extractors; put one in a handler's
//!   arguments.
//! * [`Validator`]: the checks, in a documented order (see [`validator`]).
//! * [`JwksCache`]: the IdP's keys, with single-flight fetching, a refetch cool-down and
//!   outage tolerance (see [`jwks`]).
//! * [`jws`]: the compact JWS itself: protected header rules and RS256 verification with
//!   keys parsed once.
//! * [`AuthError`]: RFC 6750 responses (401/400/403, and 503 when no key can be had).
//!
//! The state only has to provide a [`Validator`] through [`axum::extract::FromRef`].

pub mod claims;
pub mod clock;
pub mod error;
pub mod jwks;
pub mod jws;
pub mod validator;

pub use claims::{Audience, Claims, ROLES_CLAIM, RequireRole, RequireScope, Role, Scope};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AuthError, InvalidToken};
pub use jwks::{FetchError, JwksCache, JwksSettings, KeyError, KeySource};
pub use validator::{AuthSettings, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, Validator};
