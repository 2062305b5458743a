//! `/api/v2/actions/...`: Actions, their deploys, the triggers and their bindings, in Auth0's
//! shapes (node-auth0's `ActionsManager`).
//!
//! The model is `tenant::ManagedActions` (drafts, deployed versions, bindings); every change
//! goes through [`change`], which recomputes `TenantConfig::actions` (what the grants run) in
//! the same tenant update, so a draft never runs and a refused request changes nothing.
//!
//! Where the mock differs from Auth0 on purpose: there is no build, so an Action is `built` at
//! once and a deploy is synchronous; a deploy parses the code first and refuses code that does
//! not parse (400 naming the line), so a deploy can never break logins; `GET
//! /actions/triggers` lists only the four triggers the mock runs.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::authorize;
use super::error::ApiError;
use super::query::{PAGING, Query};
use super::{json_body, path_id};
use crate::actions::{Action, Trigger};
use crate::clock::iso8601;
use crate::engine::{Idp, SharedIdp};
use crate::tenant::{
    Binding, DEFAULT_RUNTIME, ManagedAction, ManagedActions, RUNTIMES, Secret, Version,
    trigger_version, uuid_from,
};

type Id = Result<Path<String>, PathRejection>;

fn action_not_found() -> ApiError {
    ApiError::not_found("not_found", "The action does not exist.")
}

fn trigger_not_found() -> ApiError {
    ApiError::not_found("not_found", "The trigger does not exist.")
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(
        "conflict",
        format!("An action named {name:?} already exists."),
    )
}

/// The tenant's Actions model as it is now (seeded from the configured Actions if need be).
fn model(idp: &Idp) -> ManagedActions {
    let tenant = idp.tenant();
    ManagedActions::of(&tenant.actions, &tenant.managed_actions)
}

/// Changes the model and, in the same tenant update, what runs; nothing when `f` refuses.
fn change<R>(
    idp: &Idp,
    f: impl FnOnce(&mut ManagedActions) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    idp.try_update_tenant(|tenant| {
        let mut model = ManagedActions::of(&tenant.actions, &tenant.managed_actions);
        let out = f(&mut model)?;
        tenant.actions = model.bound();
        tenant.managed_actions = model;
        Ok(out)
    })
}

fn now(idp: &Idp) -> String {
    iso8601(idp.clock.now())
}

/// A new id in Auth0's shape (a UUID); sequential seeds under `deterministic()`.
fn new_id(idp: &Idp, kind: &'static str) -> String {
    uuid_from(&idp.ids.next(kind))
}

fn trigger_from(id: &str) -> Option<Trigger> {
    Trigger::ALL.into_iter().find(|t| t.as_str() == id)
}

fn triggers_json(triggers: &[(Trigger, String)]) -> Value {
    triggers
        .iter()
        .map(|(t, version)| json!({ "id": t.as_str(), "version": version }))
        .collect()
}

/// Secrets are write-only: their names and when they changed, never their values.
fn secrets_json(secrets: &[Secret]) -> Value {
    secrets
        .iter()
        .map(|s| json!({ "name": s.name, "updated_at": s.updated_at }))
        .collect()
}

fn all_changes_deployed(action: &ManagedAction) -> bool {
    action.deployed.as_ref().is_some_and(|v| {
        v.code == action.code
            && v.runtime == action.runtime
            && v.dependencies == action.dependencies
            && v.secrets == action.secrets
            && v.triggers == action.triggers
    })
}

fn version_json(action: &ManagedAction, version: &Version) -> Value {
    json!({
        "id": version.id,
        "action_id": action.id,
        "code": version.code,
        "dependencies": version.dependencies,
        "deployed": true,
        "runtime": version.runtime,
        "secrets": secrets_json(&version.secrets),
        "status": "built",
        "number": version.number,
        "errors": [],
        "action": {
            "id": action.id,
            "name": action.name,
            "supported_triggers": triggers_json(&action.triggers),
            "all_changes_deployed": all_changes_deployed(action),
            "created_at": action.created_at,
            "updated_at": action.updated_at,
        },
        "built_at": version.deployed_at,
        "created_at": version.deployed_at,
        "updated_at": version.deployed_at,
        "supported_triggers": triggers_json(&version.triggers),
    })
}

fn action_json(action: &ManagedAction) -> Value {
    let mut out = json!({
        "id": action.id,
        "name": action.name,
        "supported_triggers": triggers_json(&action.triggers),
        "all_changes_deployed": all_changes_deployed(action),
        "created_at": action.created_at,
        "updated_at": action.updated_at,
        "code": action.code,
        "dependencies": action.dependencies,
        "runtime": action.runtime,
        "secrets": secrets_json(&action.secrets),
        "status": "built",
        "built_at": action.updated_at,
        "deploy": false,
    });
    if let Some(version) = &action.deployed {
        out["deployed_version"] = version_json(action, version);
    }
    out
}

fn binding_json(model: &ManagedActions, binding: &Binding) -> Value {
    json!({
        "id": binding.id,
        "trigger_id": binding.trigger.as_str(),
        "display_name": binding.display_name,
        "action": model.action(&binding.action_id).map(action_json),
        "created_at": binding.created_at,
        "updated_at": binding.created_at,
    })
}

pub(crate) async fn list(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:actions"])?;
    let known = [
        &PAGING[..],
        &["triggerId", "actionName", "deployed", "installed"],
    ]
    .concat();
    let query = Query::parse(raw.as_deref(), &known)?;
    let paging = query.paging()?;
    let deployed = query.flag("deployed")?;
    // The mock has no marketplace integrations: `installed=true` lists none.
    let installed = query.flag("installed")?;
    let trigger = match query.get("triggerId") {
        None => None,
        Some(id) => Some(trigger_from(id).ok_or_else(|| {
            ApiError::invalid_query(format!("Invalid value {id:?} for triggerId"))
        })?),
    };
    let model = model(&idp);
    let actions: Vec<&ManagedAction> = model
        .actions
        .iter()
        .filter(|_| !installed)
        .filter(|a| trigger.is_none_or(|t| a.triggers.iter().any(|(s, _)| *s == t)))
        .filter(|a| query.get("actionName").is_none_or(|n| a.name == n))
        .filter(|a| !deployed || a.deployed.is_some())
        .collect();
    Ok(Json(paging.envelope(actions, "actions", action_json)))
}

/// `supported_triggers` items: Auth0's `{id, version}`.
#[derive(Deserialize)]
struct TriggerRef {
    id: String,
    version: Option<String>,
}

/// `secrets` items: `{name, value}`; a PATCH may leave `value` out to keep the current one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretIn {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    name: Option<String>,
    supported_triggers: Option<Vec<TriggerRef>>,
    code: Option<String>,
    runtime: Option<String>,
    dependencies: Option<Value>,
    secrets: Option<Vec<SecretIn>>,
    /// Create only: deploy at once.
    deploy: Option<bool>,
}

/// The parts of a body every route checks the same way, before anything changes.
fn check_body(body: &ActionBody) -> Result<Option<Vec<(Trigger, String)>>, ApiError> {
    if let Some(name) = &body.name
        && name.trim().is_empty()
    {
        return Err(ApiError::invalid_body(
            "String is too short (0 chars), minimum 1 on property name",
        ));
    }
    if let Some(runtime) = &body.runtime
        && !RUNTIMES.contains(&runtime.as_str())
    {
        return Err(ApiError::invalid_body(format!(
            "runtime must be one of {}, not {runtime:?}",
            RUNTIMES.join(", ")
        )));
    }
    if let Some(dependencies) = &body.dependencies
        && !dependencies.is_array()
    {
        return Err(ApiError::invalid_body(
            "Expected type array but found type object on property dependencies",
        ));
    }
    let Some(triggers) = &body.supported_triggers else {
        return Ok(None);
    };
    if triggers.is_empty() {
        return Err(ApiError::invalid_body(
            "Array is too short (0), minimum 1 on property supported_triggers",
        ));
    }
    triggers
        .iter()
        .map(|t| {
            let trigger = trigger_from(&t.id).ok_or_else(|| {
                ApiError::invalid_body(format!(
                    "unknown trigger {:?}: the mock runs {}",
                    t.id,
                    Trigger::ALL.map(Trigger::as_str).join(", ")
                ))
            })?;
            let version = t
                .version
                .clone()
                .unwrap_or_else(|| trigger_version(trigger).to_owned());
            Ok((trigger, version))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The secrets a body asks for, given the `current` ones (for entries without a value).
fn secrets_from(
    given: Vec<SecretIn>,
    current: &[Secret],
    at: &str,
) -> Result<Vec<Secret>, ApiError> {
    given
        .into_iter()
        .map(|s| {
            let old = current.iter().find(|c| c.name == s.name);
            match (s.value, old) {
                (Some(value), _) => Ok(Secret {
                    updated_at: match old {
                        Some(old) if old.value == value => old.updated_at.clone(),
                        _ => at.to_owned(),
                    },
                    name: s.name,
                    value,
                }),
                (None, Some(old)) => Ok(old.clone()),
                (None, None) => Err(ApiError::invalid_body(format!(
                    "Missing required property: value (secret {})",
                    s.name
                ))),
            }
        })
        .collect()
}

/// The code parsed as the engine will run it: a deploy of code that does not parse is
/// refused, so the deployed version can always run.
fn check_syntax(name: &str, code: &str) -> Result<(), ApiError> {
    crate::actions::check(&Action::new(name, Trigger::PostLogin, code))
        .map_err(|e| ApiError::bad_request("invalid_code", e.to_string()))
}

fn deploy_in(idp: &Idp, action: &mut ManagedAction, at: &str) -> Version {
    let version = Version {
        id: new_id(idp, "action-version"),
        number: action.next_version,
        code: action.code.clone(),
        runtime: action.runtime.clone(),
        dependencies: action.dependencies.clone(),
        secrets: action.secrets.clone(),
        triggers: action.triggers.clone(),
        deployed_at: at.to_owned(),
    };
    action.next_version += 1;
    action.deployed = Some(version.clone());
    version
}

pub(crate) async fn create(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&idp, &headers, &["create:actions"])?;
    let body: ActionBody = json_body(body).await?;
    let triggers = check_body(&body)?
        .ok_or_else(|| ApiError::invalid_body("Missing required property: supported_triggers"))?;
    let name = body
        .name
        .clone()
        .ok_or_else(|| ApiError::invalid_body("Missing required property: name"))?;
    let code = body.code.unwrap_or_default();
    if body.deploy == Some(true) {
        check_syntax(&name, &code)?;
    }
    let at = now(&idp);
    let secrets = secrets_from(body.secrets.unwrap_or_default(), &[], &at)?;
    let action = change(&idp, |model| {
        if model.actions.iter().any(|a| a.name == name) {
            return Err(name_taken(&name));
        }
        // An id is spent only on an Action that is created.
        let mut action = ManagedAction {
            id: new_id(&idp, "action"),
            name,
            triggers,
            code,
            runtime: body.runtime.unwrap_or_else(|| DEFAULT_RUNTIME.into()),
            dependencies: body.dependencies.unwrap_or_else(|| json!([])),
            secrets,
            created_at: at.clone(),
            updated_at: at.clone(),
            deployed: None,
            next_version: 1,
        };
        if body.deploy == Some(true) {
            deploy_in(&idp, &mut action, &at);
        }
        model.actions.push(action.clone());
        Ok(action)
    })?;
    Ok((StatusCode::CREATED, Json(action_json(&action))))
}

pub(crate) async fn get(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:actions"])?;
    let id = path_id(id, action_not_found)?;
    let model = model(&idp);
    let action = model.action(&id).ok_or_else(action_not_found)?;
    Ok(Json(action_json(action)))
}

pub(crate) async fn update(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["update:actions"])?;
    let id = path_id(id, action_not_found)?;
    let body: ActionBody = json_body(body).await?;
    let triggers = check_body(&body)?;
    if body.deploy.is_some() {
        return Err(ApiError::invalid_body(
            "Additional properties not allowed: deploy",
        ));
    }
    let at = now(&idp);
    let action = change(&idp, |model| {
        if let Some(name) = &body.name
            && model.actions.iter().any(|a| &a.name == name && a.id != id)
        {
            return Err(name_taken(name));
        }
        let action = model.action_mut(&id).ok_or_else(action_not_found)?;
        if let Some(secrets) = body.secrets {
            action.secrets = secrets_from(secrets, &action.secrets, &at)?;
        }
        if let Some(name) = body.name {
            action.name = name;
        }
        if let Some(triggers) = triggers {
            action.triggers = triggers;
        }
        if let Some(code) = body.code {
            action.code = code;
        }
        if let Some(runtime) = body.runtime {
            action.runtime = runtime;
        }
        if let Some(dependencies) = body.dependencies {
            action.dependencies = dependencies;
        }
        action.updated_at.clone_from(&at);
        Ok(action.clone())
    })?;
    Ok(Json(action_json(&action)))
}

pub(crate) async fn delete(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode, ApiError> {
    authorize(&idp, &headers, &["delete:actions"])?;
    let force = Query::parse(raw.as_deref(), &["force"])?.flag("force")?;
    let id = path_id(id, action_not_found)?;
    change(&idp, |model| {
        model.action(&id).ok_or_else(action_not_found)?;
        if model.is_bound(&id) && !force {
            return Err(ApiError::bad_request(
                "invalid_request",
                "The action is bound to a trigger: remove its bindings first, or delete with force=true.",
            ));
        }
        model.bindings.retain(|b| b.action_id != id);
        model.actions.retain(|a| a.id != id);
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /actions/actions/{id}/deploy`: 202 with the version, as Auth0 answers (its deploy is
/// asynchronous; the mock's is done when it answers).
pub(crate) async fn deploy(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    id: Id,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&idp, &headers, &["create:actions"])?;
    let id = path_id(id, action_not_found)?;
    // Parsed outside the tenant's lock (a parse takes a millisecond that logins would wait);
    // again inside only if a PATCH changed the code in between.
    let (name, checked) = {
        let model = model(&idp);
        let action = model.action(&id).ok_or_else(action_not_found)?;
        (action.name.clone(), action.code.clone())
    };
    check_syntax(&name, &checked)?;
    let at = now(&idp);
    let (action, version) = change(&idp, |model| {
        let action = model.action_mut(&id).ok_or_else(action_not_found)?;
        if action.code != checked {
            check_syntax(&action.name, &action.code)?;
        }
        let version = deploy_in(&idp, action, &at);
        Ok((action.clone(), version))
    })?;
    Ok((StatusCode::ACCEPTED, Json(version_json(&action, &version))))
}

/// `GET /actions/triggers`: the triggers the mock runs, with Auth0's current version of each.
pub(crate) async fn triggers(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:actions"])?;
    let triggers: Vec<Value> = Trigger::ALL
        .into_iter()
        .map(|t| {
            json!({
                "id": t.as_str(),
                "version": trigger_version(t),
                "status": "CURRENT",
                "runtimes": ["node18", "node22"],
                "default_runtime": DEFAULT_RUNTIME,
                "compatible_triggers": [],
                "binding_policy": "trigger-bound",
            })
        })
        .collect();
    Ok(Json(json!({ "triggers": triggers })))
}

fn trigger_of(id: Result<Path<String>, PathRejection>) -> Result<Trigger, ApiError> {
    let id = path_id(id, trigger_not_found)?;
    trigger_from(&id).ok_or_else(trigger_not_found)
}

pub(crate) async fn bindings(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    trigger: Id,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["read:actions"])?;
    let paging = Query::parse(raw.as_deref(), &PAGING)?.paging()?;
    let trigger = trigger_of(trigger)?;
    let model = model(&idp);
    let bound: Vec<&Binding> = model.bindings_of(trigger).collect();
    Ok(Json(
        paging.envelope(bound, "bindings", |b| binding_json(&model, b)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingsBody {
    bindings: Vec<BindingIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingIn {
    #[serde(rename = "ref")]
    reference: Ref,
    display_name: Option<String>,
    #[serde(default)]
    secrets: Vec<SecretIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ref {
    #[serde(rename = "type")]
    kind: RefKind,
    value: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RefKind {
    ActionId,
    ActionName,
    BindingId,
}

/// `PATCH /actions/triggers/{triggerId}/bindings`: the trigger's bindings become the body's,
/// in its order, all or none.
pub(crate) async fn update_bindings(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    trigger: Id,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    authorize(&idp, &headers, &["update:actions"])?;
    let trigger = trigger_of(trigger)?;
    let BindingsBody { bindings } = json_body(body).await?;
    let at = now(&idp);
    let (model, ids) = change(&idp, |model| {
        let mut wanted = Vec::with_capacity(bindings.len());
        for binding in bindings {
            let Ref { kind, value } = binding.reference;
            let found = match kind {
                RefKind::ActionId => model.action(&value),
                RefKind::ActionName => model.actions.iter().find(|a| a.name == value),
                RefKind::BindingId => model
                    .bindings_of(trigger)
                    .find(|b| b.id == value)
                    .and_then(|b| model.action(&b.action_id)),
            };
            let action = found.ok_or_else(|| {
                ApiError::invalid_body(format!("no action or binding matches the ref {value:?}"))
            })?;
            let Some(version) = &action.deployed else {
                return Err(ApiError::invalid_body(format!(
                    "action {:?} has no deployed version: deploy it before binding it",
                    action.name
                )));
            };
            if !version.triggers.iter().any(|(t, _)| *t == trigger) {
                return Err(ApiError::invalid_body(format!(
                    "action {:?} does not support the trigger {trigger}",
                    action.name
                )));
            }
            if wanted
                .iter()
                .any(|(id, _, _): &(String, _, _)| *id == action.id)
            {
                return Err(ApiError::invalid_body(format!(
                    "action {:?} is bound twice to {trigger}",
                    action.name
                )));
            }
            let secrets = binding
                .secrets
                .into_iter()
                .map(|s| match s.value {
                    Some(value) => Ok((s.name, value)),
                    None => Err(ApiError::invalid_body(format!(
                        "Missing required property: value (secret {})",
                        s.name
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let display_name = binding.display_name.unwrap_or_else(|| action.name.clone());
            wanted.push((action.id.clone(), display_name, secrets));
        }
        // Everything checked: the trigger's bindings are replaced, keeping the id and the
        // creation time of an Action's binding that stays.
        let old: Vec<Binding> = model.bindings_of(trigger).cloned().collect();
        model.bindings.retain(|b| b.trigger != trigger);
        let mut ids = Vec::new();
        for (action_id, display_name, secrets) in wanted {
            let kept = old.iter().find(|b| b.action_id == action_id);
            let binding = Binding {
                id: kept.map_or_else(|| new_id(&idp, "action-binding"), |b| b.id.clone()),
                created_at: kept.map_or_else(|| at.clone(), |b| b.created_at.clone()),
                trigger,
                action_id,
                display_name,
                secrets,
            };
            ids.push(binding.id.clone());
            model.bindings.push(binding);
        }
        Ok((model.clone(), ids))
    })?;
    let listed: Vec<Value> = ids
        .iter()
        .filter_map(|id| model.bindings.iter().find(|b| &b.id == id))
        .map(|b| binding_json(&model, b))
        .collect();
    Ok(Json(json!({ "bindings": listed })))
}
