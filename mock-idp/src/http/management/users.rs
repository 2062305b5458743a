//! `/api/v2/users`, `/api/v2/users-by-email` and a user's roles and permissions.

use std::borrow::Cow;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::auth::authorize;
use super::error::ApiError;
use super::model::{
    Holder, change_permissions, check_not_empty, find_role, merged_user_json, permission_json,
    role_json, user_json, user_not_found,
};
use super::query::{PAGING, Query, Search, Sort, select};
use super::{json_body, path_id};
use crate::clock::iso8601;
use crate::engine::{Idp, SharedIdp};
use crate::http::{journal_console, run_flows};
use crate::ids::hex_digest;
use crate::registration::{SignUpSource, post_user_registration, pre_user_registration};
use crate::tenant::{DEFAULT_CONNECTION, Permission, TenantConfig, User};

fn user_exists() -> ApiError {
    ApiError::conflict("auth0_idp_error", "The user already exists.")
}

fn find<'t>(tenant: &'t TenantConfig, id: &str) -> Result<&'t User, ApiError> {
    tenant.user_by_sub(id).ok_or_else(user_not_found)
}

fn find_mut<'t>(tenant: &'t mut TenantConfig, id: &str) -> Result<&'t mut User, ApiError> {
    tenant
        .users
        .iter_mut()
        .find(|u| u.has_sub(id))
        .ok_or_else(user_not_found)
}

type Id = Result<Path<String>, PathRejection>;

pub(crate) async fn list(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:users"])?;
    let known = [
        &PAGING[..],
        &[
            "q",
            "search_engine",
            "sort",
            "fields",
            "include_fields",
            "connection",
            "primary_order",
        ],
    ]
    .concat();
    let query = Query::parse(raw.as_deref(), &known)?;
    let paging = query.paging()?;
    let fields = query.fields()?;
    // The mock's order is always deterministic; the flag is checked, not obeyed.
    query.flag("primary_order")?;
    let search = query
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .map(Search::parse)
        .transpose()?;
    let sort = query.get("sort").map(Sort::parse).transpose()?;
    let tenant = idp.tenant();
    // Merging a user with its logins may clone it: done for every user only when the search
    // or the sort reads a login field, else for the page's users alone (in `user_json`).
    let merge = search.as_ref().is_some_and(Search::needs_logins)
        || sort.as_ref().is_some_and(Sort::needs_logins);
    let mut found: Vec<Cow<'_, User>> = tenant
        .users
        .iter()
        .map(|u| {
            if merge {
                idp.logins.merged(u)
            } else {
                Cow::Borrowed(u)
            }
        })
        .filter(|u| search.as_ref().is_none_or(|s| s.matches(u)))
        .collect();
    if let Some(sort) = &sort {
        sort.apply(&mut found);
    }
    Ok(Json(paging.page(found, "users", |u| {
        let shown = if merge {
            merged_user_json(&idp, &u)
        } else {
            user_json(&idp, &u)
        };
        select(shown, fields.as_ref())
    })))
}

pub(crate) async fn by_email(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:users"])?;
    let query = Query::parse(raw.as_deref(), &["email", "fields", "include_fields"])?;
    let fields = query.fields()?;
    let email = query
        .get("email")
        .ok_or_else(|| ApiError::invalid_query("Missing required property: email"))?;
    let tenant = idp.tenant();
    let found: Vec<Value> = tenant
        .users
        .iter()
        .filter(|u| u.email.eq_ignore_ascii_case(email))
        .map(|u| select(user_json(&idp, u), fields.as_ref()))
        .collect();
    Ok(Json(Value::Array(found)))
}

pub(crate) async fn get(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:users", "read:user_idp_tokens"])?;
    let fields = Query::parse(raw.as_deref(), &["fields", "include_fields"])?.fields()?;
    let id = path_id(id, user_not_found)?;
    let tenant = idp.tenant();
    Ok(Json(select(
        user_json(&idp, find(&tenant, &id)?),
        fields.as_ref(),
    )))
}

/// `POST /api/v2/users`: the fields Auth0 takes for a database user.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    connection: String,
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify_email: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocked: Option<bool>,
    #[serde(default)]
    app_metadata: Map<String, Value>,
    #[serde(default)]
    user_metadata: Map<String, Value>,
}

fn check_connection(connection: &str) -> Result<(), ApiError> {
    if connection == DEFAULT_CONNECTION {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "inexistent_connection",
            "The connection does not exist.",
        ))
    }
}

fn check_email(email: &str) -> Result<(), ApiError> {
    let well_formed = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.contains(char::is_whitespace);
    if well_formed {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "Object didn't pass validation for format email: {email}"
        )))
    }
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.is_empty() {
        Err(ApiError::invalid_body(
            "String is too short (0 chars), minimum 1",
        ))
    } else {
        Ok(())
    }
}

pub(crate) async fn create(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    authorize(&idp, &headers, &["create:users"])?;
    let new: NewUser = json_body(body).await?;
    // What pre- and post-user-registration see of the request: all but the password.
    let mut body = match serde_json::to_value(&new) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    body.remove("password");
    check_connection(&new.connection)?;
    check_email(&new.email)?;
    let password = new
        .password
        .ok_or_else(|| ApiError::invalid_body("Missing required property: password"))?;
    check_password(&password)?;
    let _ = new.verify_email;
    let user_id = match new.user_id {
        Some(id) if id.is_empty() => {
            return Err(ApiError::invalid_body(
                "String is too short (0 chars), minimum 1",
            ));
        }
        Some(id) if id.starts_with("auth0|") => Some(id),
        Some(id) => Some(format!("auth0|{id}")),
        None => None,
    };
    let now = iso8601(idp.clock.now());
    let mut user = User {
        user_id,
        password,
        email_verified: new.email_verified.unwrap_or(false),
        name: new.name,
        nickname: new.nickname,
        given_name: new.given_name,
        family_name: new.family_name,
        picture: new.picture,
        blocked: new.blocked.unwrap_or(false),
        app_metadata: new.app_metadata,
        user_metadata: new.user_metadata,
        created_at: Some(now.clone()),
        updated_at: Some(now),
        ..User::new(new.email)
    };
    let taken = |tenant: &TenantConfig, user: &User| {
        tenant.users.iter().any(|u| {
            u.email.eq_ignore_ascii_case(&user.email)
                || user.user_id.as_deref().is_some_and(|id| u.has_sub(id))
        })
    };
    // Checked again when the user is created; first, so no Action runs for a taken one.
    if taken(&idp.tenant(), &user) {
        return Err(user_exists());
    }
    let engine = idp.clone();
    let flows = move || -> Result<User, ApiError> {
        let source = SignUpSource {
            client: None,
            body: &body,
        };
        pre_user_registration(&engine, &engine.tenant(), &mut user, &source)
            .map_err(|r| ApiError::bad_request("extensibility_error", r.message().to_owned()))?;
        let user = create_user(&engine, user, taken)?;
        post_user_registration(&engine, &engine.tenant(), &user, &source);
        Ok(user)
    };
    let (created, console) = run_flows(&idp, flows)
        .await
        .ok_or_else(ApiError::unavailable)?;
    let mut response = (StatusCode::CREATED, Json(user_json(&idp, &created?))).into_response();
    journal_console(&mut response, console);
    Ok(response)
}

/// Adds `user` unless `taken` says it exists, with Auth0's id for it if it has none.
fn create_user(
    idp: &Idp,
    mut user: User,
    taken: impl Fn(&TenantConfig, &User) -> bool,
) -> Result<User, ApiError> {
    idp.try_update_tenant(|tenant| {
        if taken(tenant, &user) {
            return Err(user_exists());
        }
        if user.user_id.is_none() {
            // Auth0's 24 hex digits, from the mock's ids so deterministic mode repeats; taken
            // only once the user is sure to be created, so a refused request spends none.
            let hex = hex_digest(&idp.ids.next("user"), 12);
            user.user_id = Some(format!("auth0|{hex}"));
        }
        tenant.users.push(user.clone());
        Ok(user)
    })
}

/// `PATCH /api/v2/users/{id}`: metadata is merged (top-level keys; `null` deletes one, `{}`
/// empties it), everything else given is replaced.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserChange {
    connection: Option<String>,
    client_id: Option<String>,
    email: Option<String>,
    password: Option<String>,
    email_verified: Option<bool>,
    verify_email: Option<bool>,
    name: Option<String>,
    nickname: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    picture: Option<String>,
    blocked: Option<bool>,
    app_metadata: Option<Map<String, Value>>,
    user_metadata: Option<Map<String, Value>>,
}

/// Auth0's metadata merge.
fn merge(metadata: &mut Map<String, Value>, change: Map<String, Value>) {
    if change.is_empty() {
        metadata.clear();
    }
    for (key, value) in change {
        if value.is_null() {
            metadata.remove(&key);
        } else {
            metadata.insert(key, value);
        }
    }
}

pub(crate) async fn update(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    authorize(
        &idp,
        &headers,
        &["update:users", "update:users_app_metadata"],
    )?;
    let id = path_id(id, user_not_found)?;
    let change: UserChange = json_body(body).await?;
    if let Some(connection) = &change.connection {
        check_connection(connection)?;
    }
    if let Some(email) = &change.email {
        check_email(email)?;
    }
    if let Some(password) = &change.password {
        check_password(password)?;
    }
    let _ = (change.client_id, change.verify_email);
    let now = iso8601(idp.clock.now());
    let user = idp.try_update_tenant(|tenant| {
        if let Some(email) = &change.email {
            let taken = tenant
                .users
                .iter()
                .any(|u| !u.has_sub(&id) && u.email.eq_ignore_ascii_case(email));
            if taken {
                return Err(user_exists());
            }
        }
        let (sub, old_email) = find(tenant, &id).map(|u| (u.sub(), u.email.clone()))?;
        if change.email.is_some() {
            // Organizations may name their members by email: the memberships stay the user's.
            let members = tenant.organizations.iter_mut().flat_map(|o| &mut o.members);
            for member in members.filter(|m| m.user.eq_ignore_ascii_case(&old_email)) {
                member.user.clone_from(&sub);
            }
        }
        let user = find_mut(tenant, &id)?;
        if let Some(email) = change.email {
            // The id was derived from the email: keep it, as Auth0 keeps a user's id.
            user.user_id = Some(sub);
            user.email = email;
        }
        let replace = |field: &mut Option<String>, value: Option<String>| {
            if value.is_some() {
                *field = value;
            }
        };
        replace(&mut user.name, change.name);
        replace(&mut user.nickname, change.nickname);
        replace(&mut user.given_name, change.given_name);
        replace(&mut user.family_name, change.family_name);
        replace(&mut user.picture, change.picture);
        if let Some(password) = change.password {
            user.password = password;
        }
        if let Some(verified) = change.email_verified {
            user.email_verified = verified;
        }
        if let Some(blocked) = change.blocked {
            user.blocked = blocked;
        }
        if let Some(metadata) = change.app_metadata {
            merge(&mut user.app_metadata, metadata);
        }
        if let Some(metadata) = change.user_metadata {
            merge(&mut user.user_metadata, metadata);
        }
        user.updated_at = Some(now);
        Ok(user.clone())
    })?;
    Ok(Json(user_json(&idp, &user)))
}

pub(crate) async fn delete(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<StatusCode, ApiError> {
    authorize(&idp, &headers, &["delete:users"])?;
    let id = path_id(id, user_not_found)?;
    idp.try_update_tenant(|tenant| {
        let user = find(tenant, &id)?.clone();
        tenant.users.retain(|u| !u.has_sub(&id));
        // A user named again later is not the deleted one's organization member.
        for org in &mut tenant.organizations {
            org.members.retain(|m| !m.is(&user));
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn roles(
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
    let paging = Query::parse(raw.as_deref(), &PAGING)?.paging()?;
    let id = path_id(id, user_not_found)?;
    let tenant = idp.tenant();
    let user = find(&tenant, &id)?;
    let roles: Vec<_> = tenant
        .roles
        .iter()
        .filter(|r| user.roles.contains(&r.name))
        .collect();
    Ok(Json(paging.page(roles, "roles", role_json)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleIds {
    roles: Vec<String>,
}

/// Adds (or removes) the roles `ids` to the user `id`'s, all or none.
async fn change_roles(
    idp: &Idp,
    headers: &HeaderMap,
    id: Id,
    body: Body,
    scope: &'static str,
    add: bool,
) -> Result<StatusCode, ApiError> {
    authorize(idp, headers, &[scope])?;
    let id = path_id(id, user_not_found)?;
    let RoleIds { roles } = json_body(body).await?;
    check_not_empty(&roles, "roles")?;
    idp.try_update_tenant(|tenant| {
        let names = roles
            .iter()
            .map(|r| find_role(tenant, r).map(|r| r.name.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let user = find_mut(tenant, &id)?;
        for name in names {
            if !add {
                user.roles.retain(|r| *r != name);
            } else if !user.roles.contains(&name) {
                user.roles.push(name);
            }
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn assign_roles(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_roles(&idp, &headers, id, body, "create:role_members", true).await
}

pub(crate) async fn remove_roles(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<StatusCode, ApiError> {
    change_roles(&idp, &headers, id, body, "delete:role_members", false).await
}

/// `GET /api/v2/users/{id}/permissions`: what the user holds on each API, directly and
/// through roles, with where each comes from.
pub(crate) async fn permissions(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:users"])?;
    let paging = Query::parse(raw.as_deref(), &PAGING)?.paging()?;
    let id = path_id(id, user_not_found)?;
    let tenant = idp.tenant();
    let user = find(&tenant, &id)?;
    let mut held = Vec::new();
    for api in &tenant.apis {
        for name in &api.permissions {
            let names =
                |p: &Permission| p.permission_name == *name && p.applies_to(&api.identifier);
            let mut sources = Vec::new();
            if user.permissions.iter().any(names) {
                sources
                    .push(json!({ "source_id": "", "source_name": "", "source_type": "DIRECT" }));
            }
            for role in tenant.roles.iter().filter(|r| user.roles.contains(&r.name)) {
                if role.permissions.iter().any(names) {
                    sources.push(json!({ "source_id": role.id(), "source_name": role.name, "source_type": "ROLE" }));
                }
            }
            if !sources.is_empty() {
                let mut permission = permission_json(api, name);
                permission["sources"] = sources.into();
                held.push(permission);
            }
        }
    }
    Ok(Json(paging.page(held, "permissions", |p| p)))
}

const PERMISSIONS: Holder = Holder {
    scope: "update:users",
    missing: user_not_found,
    permissions: |tenant, id| Ok(&mut find_mut(tenant, id)?.permissions),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_merges_top_level_keys_and_null_deletes_one() {
        let mut metadata =
            json!({ "plan": "free", "theme": "dark", "address": { "home": "x", "work": "y" } })
                .as_object()
                .unwrap()
                .clone();
        let change = json!({ "plan": "pro", "theme": null, "address": { "home": "z" } });
        merge(&mut metadata, change.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(metadata.clone()),
            json!({ "plan": "pro", "address": { "home": "z" } }),
            "nested objects are replaced, not merged"
        );
        merge(&mut metadata, Map::new());
        assert!(metadata.is_empty(), "an empty object empties the metadata");
    }
}
