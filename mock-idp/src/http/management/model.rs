//! What the users and roles routes share: the shapes Auth0 answers with, lookups that
//! answer Auth0's 404s, and permission bodies.

use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::authorize;
use super::error::ApiError;
use super::{json_body, path_id};
use crate::engine::Idp;
use crate::issuance::id_token::default_picture;
use crate::tenant::{Api, PROFILE_TIME, Permission, Role, TenantConfig, User};

pub(super) fn user_not_found() -> ApiError {
    ApiError::not_found("inexistent_user", "The user does not exist.")
}

/// A user as the Management API shows it, with the logins counted so far.
pub(super) fn user_json(idp: &Idp, user: &User) -> Value {
    merged_user_json(idp, &idp.logins.merged(user))
}

/// [`user_json`] of a user already merged with its logins (`Logins::merged`), which merging
/// again would count twice.
pub(super) fn merged_user_json(idp: &Idp, user: &User) -> Value {
    let mut out = json!({
        "user_id": user.sub(),
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.display_name(),
        "nickname": user.nickname_or_default(),
        "picture": user.picture.clone().unwrap_or_else(|| default_picture(idp, user)),
        "identities": user.identities(),
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "created_at": user.created_at.as_deref().unwrap_or(PROFILE_TIME),
        "updated_at": user.updated_at.as_deref().unwrap_or(PROFILE_TIME),
        "logins_count": user.logins_count,
        "blocked": user.blocked,
    });
    for (key, value) in [
        ("given_name", &user.given_name),
        ("family_name", &user.family_name),
        ("last_login", &user.last_login),
    ] {
        if let Some(value) = value {
            out[key] = value.clone().into();
        }
    }
    out
}

pub(super) fn role_not_found() -> ApiError {
    ApiError::not_found("inexistent_role", "The role does not exist.")
}

pub(super) fn role_json(role: &Role) -> Value {
    json!({
        "id": role.id(),
        "name": role.name,
        "description": role.description.as_deref().unwrap_or(&role.name),
    })
}

pub(super) fn find_role<'t>(tenant: &'t TenantConfig, id: &str) -> Result<&'t Role, ApiError> {
    tenant
        .roles
        .iter()
        .find(|r| r.id() == id)
        .ok_or_else(role_not_found)
}

/// A permission as the Management API lists it.
pub(super) fn permission_json(api: &Api, name: &str) -> Value {
    json!({
        "permission_name": name,
        "description": "",
        "resource_server_identifier": api.identifier,
        "resource_server_name": api.name.as_deref().unwrap_or(&api.identifier),
    })
}

/// A permission named in a request body: `{resource_server_identifier, permission_name}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PermissionRef {
    resource_server_identifier: String,
    permission_name: String,
}

impl PermissionRef {
    /// The permission, if the tenant's API defines it.
    pub(super) fn resolve(&self, tenant: &TenantConfig) -> Result<Permission, ApiError> {
        let api = tenant
            .apis
            .iter()
            .find(|a| a.identifier == self.resource_server_identifier)
            .ok_or_else(|| {
                ApiError::not_found(
                    "inexistent_resource_server",
                    format!(
                        "Resource server {} does not exist.",
                        self.resource_server_identifier
                    ),
                )
            })?;
        if !api.permissions.contains(&self.permission_name) {
            return Err(ApiError::bad_request(
                "invalid_body",
                format!(
                    "Permission {} does not exist on resource server {}.",
                    self.permission_name, api.identifier
                ),
            ));
        }
        Ok(Permission::on(&api.identifier, &self.permission_name))
    }
}

/// Grants (or revokes) the API-bound `permission` in `held`. Revoking one that is held for
/// every API that defines it keeps it for the other APIs.
pub(super) fn grant_or_revoke(
    held: &mut Vec<Permission>,
    permission: Permission,
    apis: &[Api],
    grant: bool,
) {
    let api = permission
        .resource_server_identifier
        .clone()
        .unwrap_or_default();
    let same =
        |p: &Permission| p.permission_name == permission.permission_name && p.applies_to(&api);
    if grant {
        if !held.iter().any(same) {
            held.push(permission);
        }
        return;
    }
    let any_api = held
        .iter()
        .any(|p| same(p) && p.resource_server_identifier.is_none());
    held.retain(|p| !same(p));
    if any_api {
        held.extend(
            apis.iter()
                .filter(|a| {
                    a.identifier != api && a.permissions.contains(&permission.permission_name)
                })
                .map(|a| Permission::on(&a.identifier, &permission.permission_name)),
        );
    }
}

pub(super) fn check_not_empty<T>(list: &[T], name: &str) -> Result<(), ApiError> {
    if list.is_empty() {
        Err(ApiError::invalid_body(format!(
            "Array is too short (0), minimum 1 on property {name}"
        )))
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Permissions {
    permissions: Vec<PermissionRef>,
}

/// Whose permissions a route changes: a role or a user.
pub(super) struct Holder {
    /// The scope the route takes.
    pub(super) scope: &'static str,
    /// The 404 for an id that names none.
    pub(super) missing: fn() -> ApiError,
    /// The holder's permissions in the tenant, or its 404.
    pub(super) permissions:
        for<'t> fn(&'t mut TenantConfig, &str) -> Result<&'t mut Vec<Permission>, ApiError>,
}

/// Grants (or revokes) the permissions the body names to the path's holder, all or none:
/// 201 or 204, as Auth0 answers.
pub(super) async fn change_permissions(
    idp: &Idp,
    headers: &HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Body,
    holder: &Holder,
    grant: bool,
) -> Result<StatusCode, ApiError> {
    authorize(idp, headers, &[holder.scope])?;
    let id = path_id(id, holder.missing)?;
    let Permissions { permissions } = json_body(body).await?;
    check_not_empty(&permissions, "permissions")?;
    idp.try_update_tenant(|tenant| {
        let wanted = permissions
            .iter()
            .map(|p| p.resolve(tenant))
            .collect::<Result<Vec<_>, _>>()?;
        let apis = tenant.apis.clone();
        let held = (holder.permissions)(tenant, &id)?;
        for permission in wanted {
            grant_or_revoke(held, permission, &apis, grant);
        }
        Ok(())
    })?;
    Ok(if grant {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    })
}
