//! `GET /authorize`, the login page, sessions and the authorization-code grant.
//!
//! The browser flows arrive with the browser-flows issue; until then the code grant refuses
//! every code, as a tenant that never issued one would.

use crate::claims::Issued;
use crate::config::{Client, TenantConfig};
use crate::error::OAuthError;
use crate::state::Idp;
use crate::token::Params;

pub(crate) fn exchange_code(
    _idp: &Idp,
    _tenant: &TenantConfig,
    _client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    params.require("code")?;
    Err(OAuthError::InvalidGrant(
        "Invalid authorization code".into(),
    ))
}
