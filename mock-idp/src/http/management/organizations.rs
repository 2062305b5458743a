//! `/api/v2/organizations`: organizations, their members, and the roles members hold in them.
//!
//! Lists page as Auth0 pages them: `page`/`per_page`/`include_totals`, or, when `from` or
//! `take` is given, by checkpoint (`{"<key>": [...], "next": "<from of the next page>"}`,
//! no `next` on the last page), which node-auth0 v5+ asks for.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::authorize;
use super::error::ApiError;
use super::model::{check_not_empty, find_role, role_json, user_json, user_not_found};
use super::query::{PAGING, Query, select};
use super::{json_body, path_id};
use crate::engine::{Idp, SharedIdp};
use crate::ids::hex_digest;
use crate::tenant::{Member, Organization, TenantConfig, User, organization_name_problem};

fn organization_not_found() -> ApiError {
    ApiError::not_found(
        "inexistent_organization",
        "No organization found by that id or name",
    )
}

fn organization_exists() -> ApiError {
    ApiError::conflict("conflict", "An organization with this name already exists.")
}

fn not_a_member() -> ApiError {
    ApiError::not_found(
        "inexistent_member",
        "The user is not a member of the organization.",
    )
}

fn find<'t>(tenant: &'t TenantConfig, id: &str) -> Result<&'t Organization, ApiError> {
    tenant
        .organizations
        .iter()
        .find(|o| o.id() == id)
        .ok_or_else(organization_not_found)
}

fn find_mut<'t>(tenant: &'t mut TenantConfig, id: &str) -> Result<&'t mut Organization, ApiError> {
    tenant
        .organizations
        .iter_mut()
        .find(|o| o.id() == id)
        .ok_or_else(organization_not_found)
}

/// An organization as the Management API shows it.
fn organization_json(org: &Organization) -> Value {
    let mut out = json!({
        "id": org.id(),
        "name": org.name,
        "display_name": org.display_name.as_deref().unwrap_or(&org.name),
        "metadata": org.metadata,
    });
    if let Some(branding) = &org.branding {
        out["branding"] = Value::Object(branding.clone());
    }
    out
}

type Id = Result<Path<String>, PathRejection>;

/// A checkpoint page of `items` (`from` is the id of its first item), or `None` when the
/// query asks for offset pages.
fn checkpoint<T>(
    query: &Query,
    items: Vec<T>,
    key: &str,
    id_of: impl Fn(&T) -> String,
    mut render: impl FnMut(T) -> Value,
) -> Result<Option<Value>, ApiError> {
    let (from, take) = (query.get("from"), query.get("take"));
    if from.is_none() && take.is_none() {
        return Ok(None);
    }
    let take = match take {
        None => 50,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid_query(format!(
                    "Invalid value {v:?} for take: an integer from 1 to 100"
                )));
            }
        },
    };
    let start = match from.filter(|f| !f.is_empty()) {
        None => 0,
        Some(from) => items
            .iter()
            .position(|item| id_of(item) == from)
            .ok_or_else(|| ApiError::invalid_query(format!("Invalid value for from: {from}")))?,
    };
    let next = items.get(start + take).map(&id_of);
    let page: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(take)
        .map(&mut render)
        .collect();
    let mut out = json!({ key: page });
    if let Some(next) = next {
        out["next"] = next.into();
    }
    Ok(Some(out))
}

pub(crate) async fn list(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(
        &idp,
        &headers,
        &["read:organizations", "read:organizations_summary"],
    )?;
    let known = [&PAGING[..], &["from", "take", "sort"]].concat();
    let query = Query::parse(raw.as_deref(), &known)?;
    let tenant = idp.tenant();
    let orgs: Vec<&Organization> = tenant.organizations.iter().collect();
    if let Some(page) = checkpoint(
        &query,
        orgs.clone(),
        "organizations",
        |o| o.id(),
        organization_json,
    )? {
        return Ok(Json(page));
    }
    Ok(Json(query.paging()?.page(
        orgs,
        "organizations",
        organization_json,
    )))
}

/// `POST /api/v2/organizations` and `PATCH /api/v2/organizations/{id}`: what Auth0 takes
/// (all optional for a patch; `name` required to create).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationBody {
    name: Option<String>,
    display_name: Option<String>,
    branding: Option<Map<String, Value>>,
    metadata: Option<Map<String, Value>>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    match organization_name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(ApiError::invalid_body(format!(
            "Organization name {name:?} {problem} on property name"
        ))),
    }
}

/// Auth0's organization metadata holds strings only.
fn check_metadata(metadata: &Map<String, Value>) -> Result<(), ApiError> {
    match metadata
        .iter()
        .find(|(_, v)| !v.is_string() && !v.is_null())
    {
        None => Ok(()),
        Some((key, _)) => Err(ApiError::invalid_body(format!(
            "Expected type string on property metadata.{key}"
        ))),
    }
}

pub(crate) async fn create(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authorize(&idp, &headers, &["create:organizations"])?;
    let new: OrganizationBody = json_body(body).await?;
    let name = new
        .name
        .ok_or_else(|| ApiError::invalid_body("Missing required property: name"))?;
    check_name(&name)?;
    let mut metadata = new.metadata.unwrap_or_default();
    check_metadata(&metadata)?;
    metadata.retain(|_, v| !v.is_null());
    let mut org = Organization {
        display_name: new.display_name,
        branding: new.branding,
        metadata,
        ..Organization::new(name)
    };
    let org = idp.try_update_tenant(|tenant| {
        if tenant.organizations.iter().any(|o| o.name == org.name) {
            return Err(organization_exists());
        }
        // `org_` and 16 characters; an id is spent only on an organization that is created.
        org.id = Some(format!("org_{}", hex_digest(&idp.ids.next("org"), 8)));
        tenant.organizations.push(org.clone());
        Ok(org)
    })?;
    Ok((StatusCode::CREATED, Json(organization_json(&org))).into_response())
}

pub(crate) async fn get(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:organizations"])?;
    let id = path_id(id, organization_not_found)?;
    Ok(Json(organization_json(find(&idp.tenant(), &id)?)))
}

pub(crate) async fn by_name(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    name: Id,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:organizations"])?;
    let name = path_id(name, organization_not_found)?;
    let tenant = idp.tenant();
    let org = tenant
        .organizations
        .iter()
        .find(|o| o.name == name)
        .ok_or_else(organization_not_found)?;
    Ok(Json(organization_json(org)))
}

pub(crate) async fn update(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["update:organizations"])?;
    let id = path_id(id, organization_not_found)?;
    let change: OrganizationBody = json_body(body).await?;
    if let Some(name) = &change.name {
        check_name(name)?;
    }
    if let Some(metadata) = &change.metadata {
        check_metadata(metadata)?;
    }
    let org = idp.try_update_tenant(|tenant| {
        if let Some(name) = &change.name
            && tenant
                .organizations
                .iter()
                .any(|o| o.name == *name && o.id() != id)
        {
            return Err(organization_exists());
        }
        let org = find_mut(tenant, &id)?;
        // The derived id follows the name: pin it before the name changes.
        org.id = Some(org.id());
        if let Some(name) = change.name {
            org.name = name;
        }
        if change.display_name.is_some() {
            org.display_name = change.display_name;
        }
        if change.branding.is_some() {
            org.branding = change.branding;
        }
        if let Some(metadata) = change.metadata {
            // Auth0 merges metadata by key; `null` removes one.
            for (key, value) in metadata {
                if value.is_null() {
                    org.metadata.remove(&key);
                } else {
                    org.metadata.insert(key, value);
                }
            }
        }
        Ok(org.clone())
    })?;
    Ok(Json(organization_json(&org)))
}

pub(crate) async fn delete(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<StatusCode, ApiError> {
    authorize(&idp, &headers, &["delete:organizations"])?;
    let id = path_id(id, organization_not_found)?;
    idp.try_update_tenant(|tenant| {
        find(tenant, &id)?;
        tenant.organizations.retain(|o| o.id() != id);
        Ok::<_, ApiError>(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The roles a member holds, as Auth0 lists them.
fn member_roles(tenant: &TenantConfig, member: &Member) -> Vec<Value> {
    tenant
        .roles
        .iter()
        .filter(|r| member.roles.contains(&r.name))
        .map(|r| json!({ "id": r.id(), "name": r.name }))
        .collect()
}

pub(crate) async fn members(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:organization_members"])?;
    let known = [&PAGING[..], &["from", "take", "fields", "include_fields"]].concat();
    let query = Query::parse(raw.as_deref(), &known)?;
    let fields = query.fields()?;
    let id = path_id(id, organization_not_found)?;
    let tenant = idp.tenant();
    let org = find(&tenant, &id)?;
    // Auth0 adds a member's roles only when `fields` asks for them.
    let with_roles = fields
        .as_ref()
        .is_some_and(|(names, include)| *include && names.iter().any(|n| n == "roles"));
    let listed: Vec<(&User, &Member)> = org
        .members
        .iter()
        .filter_map(|m| tenant.users.iter().find(|u| m.is(u)).map(|u| (u, m)))
        .collect();
    let render = |(user, member): (&User, &Member)| {
        let full = user_json(&idp, user);
        let mut out = json!({
            "user_id": full["user_id"],
            "email": full["email"],
            "picture": full["picture"],
            "name": full["name"],
        });
        if with_roles {
            out["roles"] = member_roles(&tenant, member).into();
        }
        let user_id = out["user_id"].clone();
        let mut out = select(out, fields.as_ref());
        out["user_id"] = user_id;
        out
    };
    if let Some(page) = checkpoint(&query, listed.clone(), "members", |(u, _)| u.sub(), render)? {
        return Ok(Json(page));
    }
    Ok(Json(query.paging()?.page(listed, "members", render)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberIds {
    members: Vec<String>,
}

/// Adds (or removes) the users the body names as members, all or none.
async fn change_members(
    idp: &Idp,
    headers: &HeaderMap,
    id: Id,
    body: Body,
    add: bool,
) -> Result<StatusCode, ApiError> {
    let scope = if add {
        "create:organization_members"
    } else {
        "delete:organization_members"
    };
    authorize(idp, headers, &[scope])?;
    let id = path_id(id, organization_not_found)?;
    let MemberIds { members } = json_body(body).await?;
    check_not_empty(&members, "members")?;
    idp.try_update_tenant(|tenant| {
        find(tenant, &id)?;
        let users = members
            .iter()
            .map(|m| tenant.user_by_sub(m).cloned().ok_or_else(user_not_found))
            .collect::<Result<Vec<_>, _>>()?;
        let org = find_mut(tenant, &id)?;
        for user in users {
            let member = org.members.iter().any(|m| m.is(&user));
            if !add {
                org.members.retain(|m| !m.is(&user));
            } else if !member {
                org.members.push(Member::new(user.sub()));
            }
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn add_members(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_members(&idp, &headers, id, body, true).await
}

pub(crate) async fn remove_members(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_members(&idp, &headers, id, body, false).await
}

type MemberPath = Result<Path<(String, String)>, PathRejection>;

fn member_path(path: MemberPath) -> Result<(String, String), ApiError> {
    path.map(|Path(ids)| ids)
        .map_err(|_| organization_not_found())
}

pub(crate) async fn member_roles_list(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    path: MemberPath,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:organization_member_roles"])?;
    let paging = Query::parse(raw.as_deref(), &PAGING)?.paging()?;
    let (id, user_id) = member_path(path)?;
    let tenant = idp.tenant();
    let org = find(&tenant, &id)?;
    let user = tenant.user_by_sub(&user_id).ok_or_else(user_not_found)?;
    let member = org.member_entry(user).ok_or_else(not_a_member)?;
    let roles: Vec<_> = tenant
        .roles
        .iter()
        .filter(|r| member.roles.contains(&r.name))
        .collect();
    Ok(Json(paging.page(roles, "roles", role_json)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleIds {
    roles: Vec<String>,
}

/// Gives (or takes) the member the roles the body names, all or none.
async fn change_member_roles(
    idp: &Idp,
    headers: &HeaderMap,
    path: MemberPath,
    body: Body,
    add: bool,
) -> Result<StatusCode, ApiError> {
    let scope = if add {
        "create:organization_member_roles"
    } else {
        "delete:organization_member_roles"
    };
    authorize(idp, headers, &[scope])?;
    let (id, user_id) = member_path(path)?;
    let RoleIds { roles } = json_body(body).await?;
    check_not_empty(&roles, "roles")?;
    idp.try_update_tenant(|tenant| {
        find(tenant, &id)?;
        let user = tenant
            .user_by_sub(&user_id)
            .cloned()
            .ok_or_else(user_not_found)?;
        let names = roles
            .iter()
            .map(|r| find_role(tenant, r).map(|r| r.name.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let member = find_mut(tenant, &id)?
            .members
            .iter_mut()
            .find(|m| m.is(&user))
            .ok_or_else(not_a_member)?;
        for name in names {
            if !add {
                member.roles.retain(|r| *r != name);
            } else if !member.roles.contains(&name) {
                member.roles.push(name);
            }
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn assign_member_roles(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    path: MemberPath,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_member_roles(&idp, &headers, path, body, true).await
}

pub(crate) async fn remove_member_roles(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    path: MemberPath,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_member_roles(&idp, &headers, path, body, false).await
}
