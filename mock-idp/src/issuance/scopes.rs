//! The scope rules: which scopes a user is granted, whatever the grant.

use crate::tenant::{Api, Organization, TenantConfig, User};

/// Scopes defined by OpenID Connect rather than by an API.
pub(crate) const OIDC_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// A space-separated scope parameter as a list, first occurrences only.
pub(crate) fn split_scope(scope: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.unwrap_or_default().split_ascii_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// The scopes a user gets: OIDC scopes as asked, API scopes as asked but only those the API
/// defines, and under RBAC only those the user holds. Auth0 drops the rest silently.
pub(crate) fn user_scopes(
    tenant: &TenantConfig,
    user: &User,
    api: Option<&Api>,
    requested: &[String],
) -> Vec<String> {
    user_scopes_in(tenant, user, api, requested, None)
}

/// [`user_scopes`] for a login through `organization`: under RBAC, what the user holds there.
pub(crate) fn user_scopes_in(
    tenant: &TenantConfig,
    user: &User,
    api: Option<&Api>,
    requested: &[String],
    organization: Option<&Organization>,
) -> Vec<String> {
    let held = api.map(|api| tenant.permissions_in(user, api, organization));
    requested
        .iter()
        .filter(|s| {
            if OIDC_SCOPES.contains(&s.as_str()) {
                return s.as_str() != "offline_access"
                    || api.is_none_or(|api| api.allow_offline_access);
            }
            match (api, &held) {
                (Some(api), Some(held)) => {
                    api.permissions.contains(s) && (!api.rbac || held.contains(s))
                }
                _ => false,
            }
        })
        .cloned()
        .collect()
}
