//! Actions as the Management API sees them: drafts, deployed versions and trigger bindings.
//!
//! What runs is [`super::TenantConfig::actions`], the bound, deployed Actions in binding order,
//! which the token endpoint and sign-up read and nothing here changes behind their back: every
//! change to this model is followed by [`ManagedActions::bound`], whose result replaces
//! `actions` in the same tenant update. So a draft never runs, and an Action runs the code it
//! had when it was last deployed.
//!
//! A tenant starts without a model (`seeded` false): the configured `[[actions]]` are then
//! the whole story. The first Management API change seeds it from them ([`ManagedActions::of`]),
//! each configured Action deployed once and bound to its trigger in the configured order, with
//! an id derived from its name, so a listing before any change shows the same ids as one after,
//! and a reset (which restores the configured tenant) restores the configured Actions.

use serde_json::Value;

use super::PROFILE_TIME;
use crate::actions::{Action, Trigger};
use crate::ids::hex_digest;

/// The Actions the Management API made or changed, with their versions and bindings. Opaque
/// outside the crate: the Management API (`/api/v2/actions/...`) is how a test changes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ManagedActions {
    /// Whether the model was made: until then the configured Actions are all there is.
    seeded: bool,
    pub(crate) actions: Vec<ManagedAction>,
    /// Every trigger's bindings; their order within a trigger is the order they run in.
    pub(crate) bindings: Vec<Binding>,
}

/// One Action: its draft (what a PATCH changes) and the version last deployed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ManagedAction {
    pub(crate) id: String,
    pub(crate) name: String,
    /// `supported_triggers`: `(trigger, version)`, the version as the request gave it.
    pub(crate) triggers: Vec<(Trigger, String)>,
    pub(crate) code: String,
    pub(crate) runtime: String,
    /// `dependencies`, kept and shown as given; `require` refuses them when the code runs.
    pub(crate) dependencies: Value,
    pub(crate) secrets: Vec<Secret>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) deployed: Option<Version>,
    /// The number the next deployed version gets.
    pub(crate) next_version: u32,
}

/// A secret: the value never leaves the mock through the Management API.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Secret {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) updated_at: String,
}

/// What a deploy froze: the code and secrets that run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Version {
    pub(crate) id: String,
    pub(crate) number: u32,
    pub(crate) code: String,
    pub(crate) runtime: String,
    pub(crate) dependencies: Value,
    pub(crate) secrets: Vec<Secret>,
    pub(crate) triggers: Vec<(Trigger, String)>,
    pub(crate) deployed_at: String,
}

/// An Action bound to a trigger.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Binding {
    pub(crate) id: String,
    pub(crate) trigger: Trigger,
    pub(crate) action_id: String,
    pub(crate) display_name: String,
    /// Secrets given with the binding, over the version's own of the same name.
    pub(crate) secrets: Vec<(String, String)>,
    pub(crate) created_at: String,
}

/// The version Auth0 gives each trigger the mock runs (its current one).
pub(crate) fn trigger_version(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::PostLogin => "v3",
        Trigger::CredentialsExchange
        | Trigger::PreUserRegistration
        | Trigger::PostUserRegistration => "v2",
    }
}

/// An id in Auth0's shape for Actions, versions and bindings (a UUID), from `seed`.
pub(crate) fn uuid_from(seed: &str) -> String {
    let hex = hex_digest(seed, 16);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl ManagedActions {
    /// The tenant's model, seeded from its configured Actions if no change made one yet.
    pub(crate) fn of(configured: &[Action], managed: &Self) -> Self {
        if managed.seeded {
            return managed.clone();
        }
        let mut out = Self {
            seeded: true,
            ..Self::default()
        };
        for action in configured {
            let id = uuid_from(&format!("configured-action:{}", action.name));
            let triggers = vec![(action.trigger, trigger_version(action.trigger).to_owned())];
            let secrets: Vec<Secret> = action
                .secrets
                .iter()
                .map(|(name, value)| Secret {
                    name: name.clone(),
                    value: value.clone(),
                    updated_at: PROFILE_TIME.into(),
                })
                .collect();
            out.bindings.push(Binding {
                id: uuid_from(&format!("configured-binding:{}", action.name)),
                trigger: action.trigger,
                action_id: id.clone(),
                display_name: action.name.clone(),
                secrets: Vec::new(),
                created_at: PROFILE_TIME.into(),
            });
            out.actions.push(ManagedAction {
                deployed: Some(Version {
                    id: uuid_from(&format!("configured-version:{}", action.name)),
                    number: 1,
                    code: action.code.clone(),
                    runtime: DEFAULT_RUNTIME.into(),
                    dependencies: Value::Array(Vec::new()),
                    secrets: secrets.clone(),
                    triggers: triggers.clone(),
                    deployed_at: PROFILE_TIME.into(),
                }),
                id,
                name: action.name.clone(),
                triggers,
                code: action.code.clone(),
                runtime: DEFAULT_RUNTIME.into(),
                dependencies: Value::Array(Vec::new()),
                secrets,
                created_at: PROFILE_TIME.into(),
                updated_at: PROFILE_TIME.into(),
                next_version: 2,
            });
        }
        out
    }

    pub(crate) fn action(&self, id: &str) -> Option<&ManagedAction> {
        self.actions.iter().find(|a| a.id == id)
    }

    pub(crate) fn action_mut(&mut self, id: &str) -> Option<&mut ManagedAction> {
        self.actions.iter_mut().find(|a| a.id == id)
    }

    /// Whether any trigger runs the Action `id`.
    pub(crate) fn is_bound(&self, id: &str) -> bool {
        self.bindings.iter().any(|b| b.action_id == id)
    }

    /// `trigger`'s bindings, in the order they run.
    pub(crate) fn bindings_of(&self, trigger: Trigger) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.trigger == trigger)
    }

    /// What runs: each trigger's bound Actions as deployed, in binding order (the shape of
    /// [`super::TenantConfig::actions`]).
    pub(crate) fn bound(&self) -> Vec<Action> {
        let mut out = Vec::new();
        for trigger in Trigger::ALL {
            for binding in self.bindings_of(trigger) {
                let Some(action) = self.action(&binding.action_id) else {
                    continue;
                };
                let Some(version) = &action.deployed else {
                    continue;
                };
                let mut secrets: std::collections::BTreeMap<String, String> = version
                    .secrets
                    .iter()
                    .map(|s| (s.name.clone(), s.value.clone()))
                    .collect();
                secrets.extend(binding.secrets.iter().cloned());
                out.push(Action {
                    name: action.name.clone(),
                    trigger,
                    code: version.code.clone(),
                    secrets,
                    file: None,
                });
            }
        }
        out
    }
}

/// Auth0's default runtime for new Actions.
pub(crate) const DEFAULT_RUNTIME: &str = "node22";

/// The runtimes an Action may name (Auth0's, past and present); the mock runs all the same.
pub(crate) const RUNTIMES: [&str; 5] = ["node12", "node16", "node18", "node18-actions", "node22"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_actions_are_seeded_deployed_and_bound_with_ids_from_their_names() {
        let configured = vec![
            Action::new(
                "a",
                Trigger::PostLogin,
                "exports.onExecutePostLogin = async () => {};",
            ),
            Action::new(
                "b",
                Trigger::CredentialsExchange,
                "exports.onExecuteCredentialsExchange = async () => {};",
            )
            .secret("K", "v"),
        ];

        let model = ManagedActions::of(&configured, &ManagedActions::default());

        assert_eq!(model.bound(), configured, "what runs is unchanged");
        assert_eq!(
            model.actions[0].id,
            ManagedActions::of(&configured, &ManagedActions::default()).actions[0].id
        );
        assert_eq!(model.actions[0].id.len(), 36);
    }

    #[test]
    fn an_undeployed_or_unbound_action_does_not_run() {
        let configured = vec![Action::new("a", Trigger::PostLogin, "x")];
        let mut model = ManagedActions::of(&configured, &ManagedActions::default());
        model.actions[0].deployed = None;
        assert!(model.bound().is_empty());
        let mut model = ManagedActions::of(&configured, &ManagedActions::default());
        model.bindings.clear();
        assert!(model.bound().is_empty());
    }
}
