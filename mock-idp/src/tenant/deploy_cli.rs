//! Actions from the folder a team deploys with the Auth0 Deploy CLI, in its directory format
//! (`a0deploy import --input_file <dir>`), so the mock runs what the team ships:
//!
//! ```text
//! <dir>/actions/<name>.json        {name, code, runtime, status, deployed, dependencies, secrets, supported_triggers}
//! <dir>/actions/<name>/code.js     the code `code` names
//! <dir>/triggers/triggers.json     {"post-login": [{"action_name", "display_name"}], ...}
//! ```
//!
//! What runs is what `triggers.json` binds, in its order, for the four triggers the mock runs;
//! bindings of other triggers (`send-phone-message`, ...) are ignored, since the mock never
//! fires them. An Action bound but not `deployed` is refused, as Auth0 refuses to bind it.
//! `code` is resolved as the Deploy CLI resolves it: relative to `actions/<name>/`, where an
//! absolute path is itself. Keyword replacement (`##KEY##`, `@@KEY@@`) is not done: values are
//! taken as written. The YAML format (`tenant.yaml`) is not read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::ConfigError;
use crate::actions::{Action, Trigger};

/// `actions/<name>.json`, as the Deploy CLI writes it; what the mock does not use is taken
/// and ignored, so a file from a newer CLI still loads.
#[derive(Deserialize)]
struct ActionFile {
    name: String,
    code: Option<String>,
    #[serde(default)]
    deployed: bool,
    #[serde(default)]
    secrets: Vec<SecretFile>,
    #[serde(default)]
    supported_triggers: Vec<Value>,
}

#[derive(Deserialize)]
struct SecretFile {
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct BindingFile {
    action_name: String,
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid(message)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// The `.json` files of `dir`, by name (the Deploy CLI's order does not matter: triggers
/// decide the binding order).
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// The Actions `dir` binds, in binding order per trigger.
pub(super) fn load_actions(dir: &Path) -> Result<Vec<Action>, ConfigError> {
    let mut actions: BTreeMap<String, (ActionFile, PathBuf)> = BTreeMap::new();
    let actions_dir = dir.join("actions");
    if actions_dir.is_dir() {
        for file in json_files(&actions_dir)? {
            let action: ActionFile = serde_json::from_str(&read(&file)?)
                .map_err(|e| invalid(format!("{}: {e}", file.display())))?;
            actions.insert(action.name.clone(), (action, file));
        }
    }
    let Some(triggers_file) = json_files(&dir.join("triggers"))
        .ok()
        .and_then(|f| f.into_iter().next())
    else {
        // No bindings: nothing runs, as on a tenant where nothing is bound.
        return Ok(Vec::new());
    };
    let bindings: BTreeMap<String, Vec<BindingFile>> = serde_json::from_str(&read(&triggers_file)?)
        .map_err(|e| invalid(format!("{}: {e}", triggers_file.display())))?;
    let mut out = Vec::new();
    for trigger in Trigger::ALL {
        for binding in bindings.get(trigger.as_str()).into_iter().flatten() {
            let name = &binding.action_name;
            let (action, file) = actions.get(name).ok_or_else(|| {
                invalid(format!(
                    "{}: {trigger} binds action {name:?}, which has no file in {}",
                    triggers_file.display(),
                    actions_dir.display()
                ))
            })?;
            if !action.deployed {
                return Err(invalid(format!(
                    "{}: action {name:?} is bound to {trigger} but not deployed (\"deployed\": true)",
                    file.display()
                )));
            }
            let supports = action
                .supported_triggers
                .iter()
                .any(|t| t.get("id").and_then(Value::as_str) == Some(trigger.as_str()));
            if !supports {
                return Err(invalid(format!(
                    "{}: action {name:?} is bound to {trigger}, which its supported_triggers do not list",
                    file.display()
                )));
            }
            let code_path = match &action.code {
                Some(code) => actions_dir.join(name).join(code.replace('\\', "/")),
                None => {
                    return Err(invalid(format!(
                        "{}: action {name:?} has no code",
                        file.display()
                    )));
                }
            };
            out.push(Action {
                name: name.clone(),
                trigger,
                code: read(&code_path)?,
                secrets: action
                    .secrets
                    .iter()
                    .map(|s| (s.name.clone(), s.value.clone()))
                    .collect(),
                file: Some(code_path.display().to_string()),
            });
        }
    }
    Ok(out)
}
