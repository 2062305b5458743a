//! Roles: named sets of permissions, assigned to users.

use serde::{Deserialize, Serialize};

/// A named set of permissions.
///
/// ```
/// use mock_idp::TenantConfig;
/// let tenant = TenantConfig::from_toml(r#"
///     [[roles]]
///     name = "reader"
///     permissions = ["read:messages"]
///     [[users]]
///     email = "carol@example.com"
///     roles = ["reader"]
/// "#).unwrap();
/// assert_eq!(tenant.roles[0].permissions, ["read:messages"]);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Role name.
    pub name: String,
    /// Permissions the role grants.
    #[serde(default)]
    pub permissions: Vec<String>,
}
