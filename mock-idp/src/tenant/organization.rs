//! Organizations (Auth0's B2B tenants-within-a-tenant): who is a member, and the roles each
//! member holds in it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::User;

/// An Auth0 Organization: an id (`org_` and 16 alphanumerics), a lowercase `name`, and its
/// members, each with the roles they hold in it. Logging in with `organization=<id>` (or the
/// name, when the tenant allows names) lets only members in and puts `org_id` in the tokens.
///
/// ```
/// use mock_idp::{Organization, TenantConfig};
/// let tenant = TenantConfig::from_toml(r#"
///     [[roles]]
///     name = "admin"
///     [[organizations]]
///     name = "acme"
///     display_name = "Acme Inc."
///     members = ["bob@example.com", { user = "alice@example.com", roles = ["admin"] }]
/// "#).unwrap();
/// let acme = &tenant.organizations[0];
/// assert_eq!(acme.id(), Organization::new("acme").id(), "the id follows the name");
/// assert!(acme.id().starts_with("org_"));
/// assert_eq!(acme.members[1].roles, ["admin"]);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The name users may type and `organization=` may carry: lowercase letters, digits, `-`
    /// and `_`, starting with a letter or digit, at most 50 characters (Auth0's rules).
    pub name: String,
    /// Auth0's id (`org_` and 16 alphanumerics); derived from the name when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name shown to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Auth0's `branding`: `logo_url` and `colors` (`primary`, `page_background`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<Map<String, Value>>,
    /// Auth0's `metadata`: string values the application keeps on the organization.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// The members, by email or `user_id`, each with the roles (by name) they hold here.
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A member of an [`Organization`]: a user (email or `user_id`) and their roles in it. In
/// TOML, a bare string is a member without roles.
///
/// ```
/// let member = mock_idp::Member::new("alice@example.com").roles(["admin"]);
/// assert_eq!(member.user, "alice@example.com");
/// assert_eq!(member.roles, ["admin"]);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(from = "MemberEntry")]
pub struct Member {
    /// The user's email or `user_id`.
    pub user: String,
    /// Role names: the roles the user holds in this organization (Auth0's member roles).
    pub roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MemberEntry {
    User(String),
    WithRoles {
        user: String,
        #[serde(default)]
        roles: Vec<String>,
    },
}

impl From<MemberEntry> for Member {
    fn from(entry: MemberEntry) -> Self {
        match entry {
            MemberEntry::User(user) => Self {
                user,
                roles: Vec::new(),
            },
            MemberEntry::WithRoles { user, roles } => Self { user, roles },
        }
    }
}

impl Member {
    /// A member without roles.
    pub fn new(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            roles: Vec::new(),
        }
    }

    /// Sets the member's roles in the organization (role names).
    pub fn roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Whether this entry names `user` (by email, case-insensitively, or by `user_id`).
    pub(crate) fn is(&self, user: &User) -> bool {
        user.email.eq_ignore_ascii_case(&self.user) || user.has_sub(&self.user)
    }
}

impl Organization {
    /// An organization without members.
    ///
    /// ```
    /// use mock_idp::{Member, Organization};
    /// let acme = Organization::new("acme").display_name("Acme").member(Member::new("alice@example.com"));
    /// assert_eq!(acme.members.len(), 1);
    /// assert_eq!(acme.id().len(), "org_".len() + 16);
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            id: None,
            display_name: None,
            branding: None,
            metadata: Map::new(),
            members: Vec::new(),
        }
    }

    /// Sets the display name.
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// The organization's id: the configured one, else `org_` and 16 characters derived from
    /// the name (stable across runs, so tests and snapshots can name it).
    pub fn id(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("org_{}", crate::ids::hex_digest(&self.name, 8)),
        }
    }

    /// Fixes the id, e.g. to the one a real tenant's organization has.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Adds a member.
    pub fn member(mut self, member: impl Into<Member>) -> Self {
        self.members.push(member.into());
        self
    }

    /// Whether `value` (an `organization=` parameter) names this organization: its id, or,
    /// when `by_name`, its name (case-insensitively, as Auth0 compares names).
    pub(crate) fn is_named(&self, value: &str, by_name: bool) -> bool {
        self.id() == value || (by_name && self.name.eq_ignore_ascii_case(value))
    }

    /// The membership of `user`, if they are a member.
    pub(crate) fn member_entry(&self, user: &User) -> Option<&Member> {
        self.members.iter().find(|m| m.is(user))
    }
}

impl From<&str> for Member {
    fn from(user: &str) -> Self {
        Self::new(user)
    }
}

impl From<String> for Member {
    fn from(user: String) -> Self {
        Self::new(user)
    }
}

/// Whether a client may, must or must not log users in through an organization (Auth0's
/// `organization_usage`, on applications and, for client credentials, on client grants).
///
/// ```
/// use mock_idp::{OrganizationUsage, TenantConfig};
/// let tenant = TenantConfig::from_toml(r#"
///     [[clients]]
///     client_id = "b2b"
///     organization_usage = "require"
/// "#).unwrap();
/// let b2b = tenant.clients.iter().find(|c| c.client_id == "b2b").unwrap();
/// assert_eq!(b2b.organization_usage, OrganizationUsage::Require);
/// assert_eq!(OrganizationUsage::default(), OrganizationUsage::Deny, "Auth0's default");
/// ```
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationUsage {
    /// The `organization` parameter is refused (Auth0's "Individuals").
    #[default]
    Deny,
    /// With or without an organization (Auth0's "Both").
    Allow,
    /// Only through an organization (Auth0's "Business users").
    Require,
}

/// What Auth0 does when a client that requires an organization is sent to `/authorize`
/// without one (`organization_require_behavior`). The mock renders no organization prompt:
/// every value answers as `no_prompt` does, with Auth0's `invalid_request`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationRequireBehavior {
    /// The application must send `organization`.
    #[default]
    NoPrompt,
    /// Auth0 asks for the organization before the login (answered as `no_prompt`).
    PreLoginPrompt,
    /// Auth0 asks for the organization after the login (answered as `no_prompt`).
    PostLoginPrompt,
}

/// Auth0's rule for organization names: 1 to 50 of lowercase letters, digits, `-` and `_`,
/// starting with a letter or a digit.
pub(crate) fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 50 {
        return Some("must be 1 to 50 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Some("may only contain lowercase letters, digits, '-' and '_'");
    }
    if !name.as_bytes()[0].is_ascii_alphanumeric() {
        return Some("must start with a letter or a digit");
    }
    None
}

/// Auth0's organization ids: `org_` and 16 letters or digits.
pub(crate) fn is_organization_id(id: &str) -> bool {
    id.strip_prefix("org_")
        .is_some_and(|rest| rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_auth0s_rules() {
        for good in ["acme", "acme-corp", "a_1", "9lives"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in ["", "Acme", "-acme", "acme corp", "ac.me", &"a".repeat(51)] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn ids_are_org_and_16_alphanumerics() {
        assert!(is_organization_id(&Organization::new("acme").id()));
        assert!(!is_organization_id("org_short"));
        assert!(!is_organization_id("acme"));
    }
}
