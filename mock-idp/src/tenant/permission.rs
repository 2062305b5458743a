//! Permissions as users and roles hold them: a name, for one API or for every API that
//! defines it.

use serde::{Deserialize, Serialize};

/// A permission held by a user or a role.
///
/// Config files write it as a string (`"read:messages"`: the permission of that name on every
/// API that defines it) or, as Auth0's Management API does, with the API it belongs to
/// (`{ resource_server_identifier = "https://orders", permission_name = "read:orders" }`).
///
/// ```
/// use mock_idp::{Permission, TenantConfig};
/// let tenant = TenantConfig::from_toml(r#"
///     [[roles]]
///     name = "clerk"
///     permissions = ["read:messages", { resource_server_identifier = "https://sample-api", permission_name = "write:messages" }]
/// "#).unwrap();
/// assert_eq!(tenant.roles[0].permissions[0], "read:messages");
/// assert_eq!(tenant.roles[0].permissions[1], Permission::on("https://sample-api", "write:messages"));
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(from = "PermissionSpelling", into = "PermissionSpelling")]
pub struct Permission {
    /// The API the permission belongs to; `None` for every API that defines it.
    pub resource_server_identifier: Option<String>,
    /// The permission (an API scope), e.g. `read:messages`.
    pub permission_name: String,
}

impl Permission {
    /// The permission `name` on the API `identifier` only.
    ///
    /// ```
    /// let p = mock_idp::Permission::on("https://orders", "read:orders");
    /// assert!(p.applies_to("https://orders") && !p.applies_to("https://billing"));
    /// ```
    pub fn on(identifier: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            resource_server_identifier: Some(identifier.into()),
            permission_name: name.into(),
        }
    }

    /// Whether this permission counts for the API `identifier`.
    pub fn applies_to(&self, identifier: &str) -> bool {
        self.resource_server_identifier
            .as_deref()
            .is_none_or(|api| api == identifier)
    }
}

/// The name, and the API when the permission is for one only.
impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.resource_server_identifier {
            None => f.write_str(&self.permission_name),
            Some(api) => write!(f, "{} ({api})", self.permission_name),
        }
    }
}

impl From<&str> for Permission {
    fn from(name: &str) -> Self {
        name.to_owned().into()
    }
}

impl From<String> for Permission {
    fn from(name: String) -> Self {
        Self {
            resource_server_identifier: None,
            permission_name: name,
        }
    }
}

impl PartialEq<&str> for Permission {
    fn eq(&self, name: &&str) -> bool {
        self.resource_server_identifier.is_none() && self.permission_name == *name
    }
}

/// How a permission is written: TOML and JSON keep the short string form for the common case.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PermissionSpelling {
    AnyApi(String),
    OnApi {
        resource_server_identifier: String,
        permission_name: String,
    },
}

impl From<PermissionSpelling> for Permission {
    fn from(spelling: PermissionSpelling) -> Self {
        match spelling {
            PermissionSpelling::AnyApi(name) => name.into(),
            PermissionSpelling::OnApi {
                resource_server_identifier,
                permission_name,
            } => Self::on(resource_server_identifier, permission_name),
        }
    }
}

impl From<Permission> for PermissionSpelling {
    fn from(p: Permission) -> Self {
        match p.resource_server_identifier {
            None => Self::AnyApi(p.permission_name),
            Some(resource_server_identifier) => Self::OnApi {
                resource_server_identifier,
                permission_name: p.permission_name,
            },
        }
    }
}
