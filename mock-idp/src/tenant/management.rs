//! The Auth0 Management API as an API of every tenant: `<issuer>api/v2/`, with Auth0's scopes.
//!
//! Its identifier follows the issuer, which can change while the mock runs
//! (`POST /_mock/issuer`), so it is not an entry of [`super::TenantConfig::apis`]: it is built
//! from the issuer when asked for, and client grants name it by [`MANAGEMENT_AUDIENCE`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::Api;
use crate::store::lock;

/// How a client grant names the Management API whatever the issuer is (`{issuer}` stands for
/// the current one). A grant may also spell the identifier out (`http://localhost:4000/api/v2/`).
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Client, MANAGEMENT_AUDIENCE, MockIdp};
/// let idp = MockIdp::builder()
///     .client(Client::m2m("backend", "s3cret").grant(MANAGEMENT_AUDIENCE, ["read:users"]))
///     .start()
///     .await;
/// let response = reqwest::Client::new().post(idp.url("/oauth/token"))
///     .form(&[("grant_type", "client_credentials"), ("client_id", "backend"), ("client_secret", "s3cret"),
///             ("audience", &format!("{}api/v2/", idp.issuer()))])
///     .send().await.unwrap();
/// let body: serde_json::Value = response.json().await.unwrap();
/// assert_eq!(body["scope"], "read:users");
/// # }
/// ```
pub const MANAGEMENT_AUDIENCE: &str = "{issuer}api/v2/";

/// The Management API's scopes the mock knows (Auth0 defines more; these are the ones its
/// routes check, and the organization ones for what comes later).
pub(crate) const MANAGEMENT_SCOPES: [&str; 35] = [
    "read:users",
    "update:users",
    "delete:users",
    "create:users",
    "read:users_app_metadata",
    "update:users_app_metadata",
    "delete:users_app_metadata",
    "create:users_app_metadata",
    "read:user_idp_tokens",
    "read:roles",
    "create:roles",
    "update:roles",
    "delete:roles",
    "read:role_members",
    "create:role_members",
    "delete:role_members",
    "read:clients",
    "read:resource_servers",
    "read:connections",
    "read:organizations",
    "read:organizations_summary",
    "create:organizations",
    "update:organizations",
    "delete:organizations",
    "read:organization_members",
    "create:organization_members",
    "delete:organization_members",
    "read:organization_member_roles",
    "create:organization_member_roles",
    "delete:organization_member_roles",
    "create:organization_invitations",
    "read:actions",
    "create:actions",
    "update:actions",
    "delete:actions",
];

/// The Management API of the tenant whose issuer is `issuer`. Built once per issuer and kept
/// for the process, as issuers are (`crate::issuer`): there are few, and callers borrow it
/// alongside a tenant snapshot.
pub(crate) fn management_api(issuer: &'static str) -> &'static Api {
    static BY_ISSUER: OnceLock<Mutex<HashMap<&'static str, &'static Api>>> = OnceLock::new();
    let mut apis = lock(BY_ISSUER.get_or_init(Mutex::default));
    apis.entry(issuer).or_insert_with(|| {
        Box::leak(Box::new(Api {
            name: Some("Auth0 Management API".into()),
            allow_offline_access: false,
            ..Api::new(format!("{issuer}api/v2/")).permissions(MANAGEMENT_SCOPES)
        }))
    })
}

/// Whether a client grant's audience names the Management API (whose identifier is
/// `identifier` now).
pub(crate) fn names_management_api(audience: &str, identifier: &str) -> bool {
    audience == MANAGEMENT_AUDIENCE || audience == identifier
}
