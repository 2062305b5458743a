//! Auth0 Actions: the team's own Action code, unchanged, run at the points Auth0 runs it.
//!
//! An [`Action`] is a name, a [`Trigger`], CommonJS code exporting the trigger's handler
//! (`exports.onExecutePostLogin = async (event, api) => { ... }`) and its secrets. A flow
//! ([`run`]) runs the Actions bound to a trigger in binding order, each in a fresh JavaScript
//! context, and returns what they asked for as one [`Outcome`]: claims for the ID and access
//! tokens, scopes added or removed, a denial, metadata to set, a validation error, console
//! lines. The caller (a grant, the sign-up page) applies it; nothing here knows the engine
//! ([`crate::engine::Idp`]) or the tenant.
//!
//! What an Action's code sees is Auth0's: the `event` the caller builds (plus
//! `event.secrets`), the trigger's `api` object as Auth0 documents it (`prelude.js`),
//! `console`, `fetch` (through [`http`], so an Action can call a local service), and timers
//! on a virtual clock. `require` throws: npm modules are out of scope. A flow has Auth0's
//! 20 seconds ([`DEFAULT_TIMEOUT`]); a runaway loop is interrupted, not waited out.
//!
//! ## Why QuickJS (rquickjs), measured
//!
//! Both candidates ran the same prelude and the trivial post-login Action
//! (`api.idToken.setCustomClaim("https://x/y", event.user.email)`) 2000 times, each run in a
//! fresh context, release builds, on the project's 2-core machine, once while four other
//! engineers built (load average 11 to 15) and once quiet (load below 1). Build
//! times are CPU seconds of a cold build of the engine and serde_json, less serde_json alone;
//! sizes are stripped release binaries, less serde_json alone.
//!
//! | | rquickjs 0.14 (quickjs-ng, C) | boa_engine 0.22 (pure Rust, no default features) |
//! |---|---|---|
//! | new context + prelude + Action, p50 / p99, quiet | 0.63 ms / 1.04 ms | 2.17 ms / 4.59 ms |
//! | the same, loaded | 0.72 ms / 13-18 ms | 9.7-11.2 ms / 25-33 ms |
//! | cold build added, debug / release (CPU s) | 14 s / 39 s | 100 s / 257 s |
//! | binary size added | 1.1 MB (0.89 MB in mock-idp's image profile: 7.75 to 8.64 MB) | 11.2 MB |
//! | resident memory after the 2000 runs | +1.3 MB | +10.4 MB |
//! | runaway `while (true) {}` | interrupted at a wall-clock deadline | only a loop-iteration limit |
//! | MSRV | 1.87 (the workspace's is 1.88) | 1.91 |
//!
//! QuickJS is three (quiet) to thirteen (loaded) times faster per execution, adds a tenth of the size (the container
//! image must stay under 10 MB; Boa alone would break that) and a seventh of the build time,
//! and its interrupt handler stops a busy loop at a deadline, which is what Auth0's timeout
//! is. The cost: a C compiler at build time (the Dockerfile's build stage has one) and
//! `unsafe` inside rquickjs, not here. With the engine in debug builds at `opt-level = 3`
//! (the workspace's profile), a debug build's password-grant login took 1.57 ms at the median
//! without Actions, 2.89 with the trivial one and 3.65 with one that `fetch`es from a local
//! service (p99 9.6, 17.1 and 22.2 ms on the loaded machine; 1000 interleaved logins each,
//! `cargo run -p mock-idp --example actions_latency 1000`). Built with the image's profile,
//! on the quiet machine: 1.34, 2.43 and 2.75 ms at the median, 1.83, 3.04 and 3.34 ms at p99,
//! so the trivial Action adds 1.2 ms at p99 (the issue's target: at most 5).
//!
//! Each execution gets a new QuickJS runtime and context, so nothing (globals, prototypes,
//! the module's exports) outlives it: one runtime kept per thread saved 0.05 ms of the 0.63,
//! not worth an execution that could see another's leftovers.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(feature = "actions")]
mod engine;
#[cfg(feature = "actions")]
mod http;

/// Auth0's limit for one execution of a flow ("Each execution of a flow must complete in 20
/// seconds or less").
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Where in Auth0's pipeline an Action runs, by Auth0's trigger id.
///
/// ```
/// use mock_idp::Trigger;
/// let trigger: Trigger = serde_json::from_str("\"credentials-exchange\"").unwrap();
/// assert_eq!(trigger, Trigger::CredentialsExchange);
/// assert_eq!(trigger.handler(), "onExecuteCredentialsExchange");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// After a user authenticates, before tokens are issued.
    PostLogin,
    /// Before a client-credentials (machine-to-machine) access token is issued.
    CredentialsExchange,
    /// Before a sign-up creates the user.
    PreUserRegistration,
    /// After a sign-up created the user.
    PostUserRegistration,
}

impl Trigger {
    /// Every trigger.
    pub const ALL: [Self; 4] = [
        Self::PostLogin,
        Self::CredentialsExchange,
        Self::PreUserRegistration,
        Self::PostUserRegistration,
    ];

    /// Auth0's trigger id (`post-login`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PostLogin => "post-login",
            Self::CredentialsExchange => "credentials-exchange",
            Self::PreUserRegistration => "pre-user-registration",
            Self::PostUserRegistration => "post-user-registration",
        }
    }

    /// The function the Action's code exports for this trigger.
    pub fn handler(self) -> &'static str {
        match self {
            Self::PostLogin => "onExecutePostLogin",
            Self::CredentialsExchange => "onExecuteCredentialsExchange",
            Self::PreUserRegistration => "onExecutePreUserRegistration",
            Self::PostUserRegistration => "onExecutePostUserRegistration",
        }
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Action bound to a trigger: its code runs unchanged, as on Auth0.
///
/// In the TOML tenant, `[[actions]]` tables in binding order, the code inline or in a file
/// relative to the config file:
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("roles.js"), r#"
/// exports.onExecutePostLogin = async (event, api) => {
///   api.idToken.setCustomClaim("https://example.com/roles", event.authorization.roles);
/// };"#).unwrap();
/// std::fs::write(dir.path().join("tenant.toml"), r#"
/// [[actions]]
/// name = "add-roles"
/// trigger = "post-login"
/// code_file = "roles.js"
///
/// [[actions]]
/// name = "m2m-claim"
/// trigger = "credentials-exchange"
/// code = 'exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim("https://example.com/tier", event.secrets.TIER) }'
/// secrets = { TIER = "gold" }
/// "#).unwrap();
/// let tenant = mock_idp::TenantConfig::from_file(dir.path().join("tenant.toml")).unwrap();
/// assert_eq!(tenant.actions.len(), 2);
/// assert_eq!(tenant.actions[0].name, "add-roles");
/// assert!(tenant.actions[0].code.contains("event.authorization.roles"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The Action's name, unique in the tenant; errors name it.
    pub name: String,
    /// Where it runs.
    pub trigger: Trigger,
    /// The JavaScript source (CommonJS: `exports.onExecutePostLogin = ...`).
    pub code: String,
    /// `event.secrets`.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// The file the code came from (`code_file`), for error messages; `None` for inline code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

impl Action {
    /// An Action with inline code and no secrets.
    ///
    /// ```
    /// use mock_idp::{Action, Trigger};
    /// let action = Action::new("deny-all", Trigger::PostLogin, "exports.onExecutePostLogin = async (e, api) => api.access.deny('no');")
    ///     .secret("KEY", "value");
    /// assert_eq!(action.secrets["KEY"], "value");
    /// ```
    pub fn new(name: impl Into<String>, trigger: Trigger, code: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            trigger,
            code: code.into(),
            secrets: BTreeMap::new(),
            file: None,
        }
    }

    /// Adds a secret (`event.secrets[key]`).
    pub fn secret(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.insert(key.into(), value.into());
        self
    }

    /// What error messages call the code: its file, or `<name>.js` for inline code.
    #[cfg(feature = "actions")]
    pub(crate) fn file_name(&self) -> String {
        self.file
            .clone()
            .unwrap_or_else(|| format!("{}.js", self.name))
    }
}

/// Claims that Actions set (`api.idToken.setCustomClaim`, `api.accessToken.setCustomClaim`),
/// applied after all others, so they win over the tenant's. A browser login's are kept with
/// its authorization code until the code is redeemed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ActionClaims {
    pub(crate) id_token: Map<String, Value>,
    pub(crate) access_token: Map<String, Value>,
    /// `api.accessToken.addScope`: the access token's scope only (and the response's, which
    /// describes it), never the ID token's claims or a refresh token's grant.
    pub(crate) scopes_added: Vec<String>,
    /// `api.accessToken.removeScope`, likewise.
    pub(crate) scopes_removed: Vec<String>,
}

impl ActionClaims {
    /// The access token's scope: what was granted, with the Actions' changes.
    pub(crate) fn access_scope(&self, granted: &[String]) -> Vec<String> {
        let mut scope: Vec<String> = granted
            .iter()
            .filter(|s| !self.scopes_removed.contains(s))
            .cloned()
            .collect();
        for added in &self.scopes_added {
            if !scope.contains(added) {
                scope.push(added.clone());
            }
        }
        scope
    }
}

/// Why a flow failed. The token endpoint answers each as Auth0 does: `access_denied` with
/// the message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
// Without the engine only `Unavailable` is ever made.
#[cfg_attr(not(feature = "actions"), allow(dead_code))]
pub(crate) enum ActionError {
    /// The code does not parse; found at load, so a configured tenant never gets here.
    #[error("Action {action:?} ({file}): {message} at line {line}")]
    Syntax {
        action: String,
        file: String,
        line: u32,
        message: String,
    },
    /// The handler threw, or its promise rejected, or it exports no handler for the trigger.
    #[error("Action {action:?} failed: {message}")]
    Threw { action: String, message: String },
    /// The flow ran past its time limit.
    #[error("Action {action:?} timed out: the flow exceeded its {}s limit", .limit.as_secs_f64())]
    Timeout { action: String, limit: Duration },
    /// The handler's promise can never settle: nothing is left to run and it is still pending.
    #[error(
        "Action {action:?} never finished: its promise is still pending with nothing left to run"
    )]
    NeverSettled { action: String },
    /// This build has no JavaScript engine (`default-features = false` without `actions`).
    #[cfg(not(feature = "actions"))]
    #[error("Action {action:?} cannot run: mock-idp was built without the `actions` feature")]
    Unavailable { action: String },
}

/// `api.access.deny(...)`, with each trigger's arguments.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Denial {
    /// credentials-exchange's OAuth error code (`invalid_scope`, `invalid_request`,
    /// `server_error`).
    #[serde(default)]
    pub(crate) code: Option<String>,
    /// The reason: `error_description` for post-login and credentials-exchange; the internal
    /// reason for pre-user-registration.
    pub(crate) reason: String,
    /// pre-user-registration's message for the user.
    #[serde(default)]
    pub(crate) user_message: Option<String>,
}

/// `api.validation.error(code, message)` (pre-user-registration).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(crate) struct ValidationError {
    pub(crate) code: String,
    pub(crate) message: String,
}

/// One `console.*` call.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub(crate) struct ConsoleLine {
    /// The Action that wrote it.
    #[serde(default)]
    pub(crate) action: String,
    /// `log`, `info`, `debug`, `warn` or `error`.
    pub(crate) level: String,
    pub(crate) message: String,
}

/// What a flow's Actions asked for, merged in binding order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Outcome {
    /// `api.idToken.setCustomClaim`; a later Action's value wins.
    pub(crate) id_token_claims: Map<String, Value>,
    /// `api.accessToken.setCustomClaim`.
    pub(crate) access_token_claims: Map<String, Value>,
    /// `api.accessToken.addScope`, net of later removals.
    pub(crate) scopes_added: Vec<String>,
    /// `api.accessToken.removeScope`, net of later additions.
    pub(crate) scopes_removed: Vec<String>,
    /// `api.access.deny`: the flow stopped after this Action.
    pub(crate) denied: Option<Denial>,
    /// `api.user.setAppMetadata`; `null` removes the key.
    pub(crate) app_metadata: Map<String, Value>,
    /// `api.user.setUserMetadata`; `null` removes the key.
    pub(crate) user_metadata: Map<String, Value>,
    /// `api.validation.error`: the flow stopped after this Action.
    pub(crate) validation_error: Option<ValidationError>,
    /// Every `console.*` line, in order.
    pub(crate) console: Vec<ConsoleLine>,
}

impl Outcome {
    /// Folds a later Action's outcome into this one.
    fn merge(&mut self, later: Outcome) {
        self.id_token_claims.extend(later.id_token_claims);
        self.access_token_claims.extend(later.access_token_claims);
        for scope in later.scopes_added {
            self.scopes_removed.retain(|s| s != &scope);
            if !self.scopes_added.contains(&scope) {
                self.scopes_added.push(scope);
            }
        }
        for scope in later.scopes_removed {
            self.scopes_added.retain(|s| s != &scope);
            if !self.scopes_removed.contains(&scope) {
                self.scopes_removed.push(scope);
            }
        }
        self.app_metadata.extend(later.app_metadata);
        self.user_metadata.extend(later.user_metadata);
        self.denied = later.denied.or(self.denied.take());
        self.validation_error = later.validation_error.or(self.validation_error.take());
        self.console.extend(later.console);
    }

    /// Whether the flow stops here: Auth0 runs no further Action after a denial or a
    /// validation error.
    fn stops(&self) -> bool {
        self.denied.is_some() || self.validation_error.is_some()
    }
}

thread_local! {
    /// The console lines of the flows this thread ran since the last [`take_console`]: the
    /// token endpoint journals them with the request, whether the flow succeeded or not.
    static CONSOLE: std::cell::RefCell<Vec<ConsoleLine>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Auth0 keeps 256 characters of an Action's console output per line; so does the journal.
const CONSOLE_LINE_CHARS: usize = 256;

fn note_console(action: &str, lines: Vec<ConsoleLine>) {
    CONSOLE.with(|sink| {
        sink.borrow_mut()
            .extend(lines.into_iter().map(|line| ConsoleLine {
                action: action.to_owned(),
                ..line
            }));
    });
}

/// Notes the failure of a flow whose failures change nothing (post-user-registration's) as
/// one of the failing Action's console lines, where Auth0 only logs it.
pub(crate) fn note_failure(trigger: Trigger, error: &ActionError) {
    let action = match error {
        ActionError::Syntax { action, .. }
        | ActionError::Threw { action, .. }
        | ActionError::Timeout { action, .. }
        | ActionError::NeverSettled { action } => action,
        #[cfg(not(feature = "actions"))]
        ActionError::Unavailable { action } => action,
    };
    let line = ConsoleLine {
        action: String::new(),
        level: "error".into(),
        message: format!("{trigger} failed: {error}"),
    };
    note_console(action, vec![line]);
}

/// The console lines of the flows run on this thread since the last call, as the journal
/// shows them: `[action] level: message`, each cut at 256 characters.
pub(crate) fn take_console() -> Vec<String> {
    CONSOLE
        .with(|sink| std::mem::take(&mut *sink.borrow_mut()))
        .into_iter()
        .map(|line| {
            let text = format!("[{}] {}: {}", line.action, line.level, line.message);
            text.chars().take(CONSOLE_LINE_CHARS).collect()
        })
        .collect()
}

/// Runs the Actions bound to `trigger` among `actions`, in order, each in a fresh context,
/// within one `timeout` for the whole flow. `event` is the trigger's event without
/// `secrets`, which each Action gets its own of.
pub(crate) fn run(
    actions: &[Action],
    trigger: Trigger,
    event: &Value,
    timeout: Duration,
) -> Result<Outcome, ActionError> {
    let deadline = std::time::Instant::now() + timeout;
    let mut outcome = Outcome::default();
    for action in actions.iter().filter(|a| a.trigger == trigger) {
        let mut event = event.clone();
        if let Value::Object(fields) = &mut event {
            fields.insert(
                "secrets".into(),
                serde_json::to_value(&action.secrets).unwrap_or_default(),
            );
        }
        let mut one = execute(action, &event, deadline, timeout)?;
        for line in &mut one.console {
            line.action.clone_from(&action.name);
        }
        outcome.merge(one);
        if outcome.stops() {
            break;
        }
    }
    Ok(outcome)
}

/// Whether the tenant has any Action for `trigger`: callers skip building the event when not.
pub(crate) fn any_for(actions: &[Action], trigger: Trigger) -> bool {
    actions.iter().any(|a| a.trigger == trigger)
}

/// Parses `action`'s code without running it.
pub(crate) fn check(action: &Action) -> Result<(), ActionError> {
    #[cfg(feature = "actions")]
    {
        engine::check(action)
    }
    #[cfg(not(feature = "actions"))]
    {
        Err(ActionError::Unavailable {
            action: action.name.clone(),
        })
    }
}

#[cfg(feature = "actions")]
fn execute(
    action: &Action,
    event: &Value,
    deadline: std::time::Instant,
    limit: Duration,
) -> Result<Outcome, ActionError> {
    engine::execute(action, event, deadline, limit)
}

#[cfg(not(feature = "actions"))]
fn execute(
    action: &Action,
    _event: &Value,
    _deadline: std::time::Instant,
    _limit: Duration,
) -> Result<Outcome, ActionError> {
    Err(ActionError::Unavailable {
        action: action.name.clone(),
    })
}
