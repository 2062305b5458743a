//! `/api/v2/roles`: roles, their permissions and their users.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::authorize;
use super::error::ApiError;
use super::model::{
    Holder, change_permissions, check_not_empty, find_role, permission_json, role_json,
    role_not_found, user_json, user_not_found,
};
use super::query::{CHECKPOINT, PAGING, Query};
use super::{json_body, path_id};
use crate::engine::SharedIdp;
use crate::ids::hex_digest;
use crate::tenant::{Role, TenantConfig, User};

fn role_exists() -> ApiError {
    ApiError::conflict("conflict", "A role with the same name already exists.")
}

fn find_role_mut<'t>(tenant: &'t mut TenantConfig, id: &str) -> Result<&'t mut Role, ApiError> {
    tenant
        .roles
        .iter_mut()
        .find(|r| r.id() == id)
        .ok_or_else(role_not_found)
}

type Id = Result<Path<String>, PathRejection>;

pub(crate) async fn list(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:roles"])?;
    let query = Query::parse(raw.as_deref(), &[&PAGING[..], &["name_filter"]].concat())?;
    let paging = query.paging()?;
    let filter = query.get("name_filter").map(str::to_ascii_lowercase);
    let tenant = idp.tenant();
    let roles: Vec<&Role> = tenant
        .roles
        .iter()
        .filter(|r| {
            filter
                .as_ref()
                .is_none_or(|f| r.name.to_ascii_lowercase().contains(f.as_str()))
        })
        .collect();
    Ok(Json(paging.page(roles, "roles", role_json)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRole {
    name: String,
    description: Option<String>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        Err(ApiError::invalid_body(
            "String is too short (0 chars), minimum 1 on property name",
        ))
    } else {
        Ok(())
    }
}

pub(crate) async fn create(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["create:roles"])?;
    let new: NewRole = json_body(body).await?;
    check_name(&new.name)?;
    let mut role = Role {
        description: new.description,
        ..Role::new(new.name)
    };
    let role = idp.try_update_tenant(|tenant| {
        if tenant.roles.iter().any(|r| r.name == role.name) {
            return Err(role_exists());
        }
        // Auth0's `rol_` and 16 characters; an id is spent only on a role that is created.
        role.id = Some(format!("rol_{}", hex_digest(&idp.ids.next("role"), 8)));
        tenant.roles.push(role.clone());
        Ok(role)
    })?;
    Ok(Json(role_json(&role)))
}

pub(crate) async fn get(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:roles"])?;
    let id = path_id(id, role_not_found)?;
    Ok(Json(role_json(find_role(&idp.tenant(), &id)?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    name: Option<String>,
    description: Option<String>,
}

pub(crate) async fn update(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["update:roles"])?;
    let id = path_id(id, role_not_found)?;
    let change: RoleChange = json_body(body).await?;
    if let Some(name) = &change.name {
        check_name(name)?;
    }
    let role = idp.try_update_tenant(|tenant| {
        let old = find_role(tenant, &id)?.name.clone();
        if let Some(name) = &change.name {
            if *name != old && tenant.roles.iter().any(|r| &r.name == name) {
                return Err(role_exists());
            }
            // Users and organization members name their roles: a renamed role keeps them.
            let members = tenant.organizations.iter_mut().flat_map(|o| &mut o.members);
            let holders = tenant
                .users
                .iter_mut()
                .map(|u| &mut u.roles)
                .chain(members.map(|m| &mut m.roles));
            for roles in holders {
                for role in roles.iter_mut().filter(|r| **r == old) {
                    role.clone_from(name);
                }
            }
        }
        let role = find_role_mut(tenant, &id)?;
        // The derived id follows the name: pin it before the name changes.
        role.id = Some(role.id());
        if let Some(name) = change.name {
            role.name = name;
        }
        if change.description.is_some() {
            role.description = change.description;
        }
        Ok(role.clone())
    })?;
    Ok(Json(role_json(&role)))
}

pub(crate) async fn delete(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<StatusCode, ApiError> {
    authorize(&idp, &headers, &["delete:roles"])?;
    let id = path_id(id, role_not_found)?;
    idp.try_update_tenant(|tenant| {
        let name = find_role(tenant, &id)?.name.clone();
        tenant.roles.retain(|r| r.name != name);
        for user in &mut tenant.users {
            user.roles.retain(|r| *r != name);
        }
        for member in tenant.organizations.iter_mut().flat_map(|o| &mut o.members) {
            member.roles.retain(|r| *r != name);
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn permissions(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:roles"])?;
    let paging = Query::parse(raw.as_deref(), &PAGING)?.paging()?;
    let id = path_id(id, role_not_found)?;
    let tenant = idp.tenant();
    let role = find_role(&tenant, &id)?;
    let listed: Vec<Value> = tenant
        .apis
        .iter()
        .flat_map(|api| {
            api.permissions
                .iter()
                .filter(|name| {
                    role.permissions
                        .iter()
                        .any(|p| p.permission_name == **name && p.applies_to(&api.identifier))
                })
                .map(|name| permission_json(api, name))
        })
        .collect();
    Ok(Json(paging.page(listed, "permissions", |p| p)))
}

const PERMISSIONS: Holder = Holder {
    scope: "update:roles",
    missing: role_not_found,
    permissions: |tenant, id| Ok(&mut find_role_mut(tenant, id)?.permissions),
};

pub(crate) async fn add_permissions(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_permissions(&idp, &headers, id, body, &PERMISSIONS, true).await
}

pub(crate) async fn remove_permissions(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_permissions(&idp, &headers, id, body, &PERMISSIONS, false).await
}

pub(crate) async fn users(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(
        &idp,
        &headers,
        &["read:users", "read:roles", "read:role_members"],
    )?;
    let query = Query::parse(raw.as_deref(), &[&PAGING[..], &CHECKPOINT].concat())?;
    let paging = query.paging()?;
    let checkpoint = query.checkpoint()?;
    let id = path_id(id, role_not_found)?;
    let tenant = idp.tenant();
    let role = find_role(&tenant, &id)?;
    let members: Vec<_> = tenant
        .users
        .iter()
        .filter(|u| u.roles.contains(&role.name))
        .collect();
    let member = |u: &User| {
        let full = user_json(&idp, u);
        json!({ "user_id": full["user_id"], "email": full["email"], "picture": full["picture"], "name": full["name"] })
    };
    Ok(Json(match checkpoint {
        Some(checkpoint) => checkpoint.page(members, "users", |u| u.sub(), member)?,
        None => paging.page(members, "users", member),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserIds {
    users: Vec<String>,
}

pub(crate) async fn assign_users(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    authorize(&idp, &headers, &["create:role_members"])?;
    let id = path_id(id, role_not_found)?;
    let UserIds { users } = json_body(body).await?;
    check_not_empty(&users, "users")?;
    idp.try_update_tenant(|tenant| {
        let name = find_role(tenant, &id)?.name.clone();
        if users.iter().any(|u| tenant.user_by_sub(u).is_none()) {
            return Err(user_not_found());
        }
        for user in tenant.users.iter_mut().filter(|u| users.contains(&u.sub())) {
            if !user.roles.contains(&name) {
                user.roles.push(name.clone());
            }
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}
