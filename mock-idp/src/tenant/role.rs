//! Roles: named sets of permissions, assigned to users.

use serde::{Deserialize, Serialize};

use super::Permission;

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
    /// Role name; users name their roles by it.
    pub name: String,
    /// Auth0's role id (`rol_...`); derived from the name when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Description, as the Management API shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Permissions the role grants.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl Role {
    /// A role with no permissions.
    ///
    /// ```
    /// let role = mock_idp::Role::new("reader").permissions(["read:messages"]);
    /// assert_eq!(role.id(), mock_idp::Role::new("reader").id(), "the id follows the name");
    /// assert!(role.id().starts_with("rol_"));
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            id: None,
            description: None,
            permissions: Vec::new(),
        }
    }

    /// Sets the permissions the role grants.
    pub fn permissions<I, P>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<Permission>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// The role's id: the configured one, else `rol_` and 16 characters derived from the name
    /// (stable across runs, so tests and snapshots can name it).
    pub fn id(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("rol_{}", crate::ids::hex_digest(&self.name, 8)),
        }
    }
}
