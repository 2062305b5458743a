//! One Action's execution in QuickJS: a new runtime and context, the prelude, the code, the
//! handler's promise driven to the end on this thread.
//!
//! Promises are driven here rather than by an async executor: the job queue runs until it is
//! empty, then the earliest virtual timer fires (`prelude.js`), until the handler's promise
//! settles. An interrupt handler stops JavaScript at the flow's deadline, so a busy loop
//! costs the time limit and no more; a `fetch` blocks in the host ([`super::http`]) with the
//! time that is left as its timeout.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::promise::PromiseState;
use rquickjs::{Context, Ctx, Function, Promise, Runtime, Value};
use serde_json::Value as Json;

use super::{Action, ActionError, Outcome};

const PRELUDE: &str = include_str!("prelude.js");
const PRELUDE_FILE: &str = "mock-idp:prelude.js";

/// Far more than an Action needs; a runaway allocation fails the Action, not the mock.
const MEMORY_LIMIT: usize = 64 << 20;
/// QuickJS checks its own stack depth; deep recursion is a `RangeError`, and this stays well
/// inside the smallest thread stack an Action runs on (a tokio worker's 2 MiB).
const STACK_LIMIT: usize = 512 << 10;

/// The code as a CommonJS module function. The prefix shares the code's first line, so line
/// numbers in errors are the file's own.
fn wrap(code: &str) -> String {
    format!("(function (exports, require, module) {{{code}\n}})")
}

fn eval_named<'js, V: rquickjs::FromJs<'js>>(
    ctx: &Ctx<'js>,
    source: &str,
    file: &str,
) -> rquickjs::Result<V> {
    let mut options = EvalOptions::default();
    // CommonJS code is sloppy unless it says "use strict", as in Node.
    options.strict = false;
    options.filename = Some(file.to_owned());
    ctx.eval_with_options(source, options)
}

/// The thrown value in words: `TypeError: x is undefined`, and the line in `file` it came
/// from when the stack says.
fn describe(ctx: &Ctx<'_>, file: &str) -> (String, Option<u32>) {
    let thrown = ctx.catch();
    let Some(object) = thrown.as_object() else {
        let text = ctx
            .json_stringify(thrown.clone())
            .ok()
            .flatten()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_else(|| "a value".into());
        return (format!("threw {text}"), None);
    };
    let get = |key: &str| object.get::<_, Option<String>>(key).ok().flatten();
    let message = match (get("name"), get("message")) {
        (Some(name), Some(message)) => format!("{name}: {message}"),
        (None, Some(message)) => message,
        _ => "threw an object".into(),
    };
    let line = get("stack").and_then(|stack| line_in(&stack, file));
    (message, line)
}

/// The first `at <file>:<line>` of a QuickJS stack.
fn line_in(stack: &str, file: &str) -> Option<u32> {
    let marker = format!("{file}:");
    let at = stack.find(&marker)? + marker.len();
    let digits: String = stack[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn fresh_runtime() -> Result<Runtime, String> {
    let runtime = Runtime::new().map_err(|e| e.to_string())?;
    runtime.set_memory_limit(MEMORY_LIMIT);
    runtime.set_max_stack_size(STACK_LIMIT);
    Ok(runtime)
}

pub(super) fn check(action: &Action) -> Result<(), ActionError> {
    let file = action.file_name();
    let threw = |message: String| ActionError::Threw {
        action: action.name.clone(),
        message,
    };
    let runtime = fresh_runtime().map_err(threw)?;
    let context = Context::full(&runtime).map_err(|e| threw(e.to_string()))?;
    context.with(
        |ctx| match eval_named::<Value<'_>>(&ctx, &wrap(&action.code), &file) {
            Ok(_) => Ok(()),
            Err(_) => {
                let (message, line) = describe(&ctx, &file);
                Err(ActionError::Syntax {
                    action: action.name.clone(),
                    file: file.clone(),
                    line: line.unwrap_or(1),
                    message,
                })
            }
        },
    )
}

pub(super) fn execute(
    action: &Action,
    event: &Json,
    deadline: Instant,
    limit: Duration,
) -> Result<Outcome, ActionError> {
    let file = action.file_name();
    let name = || action.name.clone();
    let threw = |message: String| ActionError::Threw {
        action: name(),
        message,
    };
    let timeout = || ActionError::Timeout {
        action: name(),
        limit,
    };
    if Instant::now() >= deadline {
        return Err(timeout());
    }
    let runtime = fresh_runtime().map_err(threw)?;
    let interrupted = Rc::new(Cell::new(false));
    // The deadline the interrupt handler checks: the flow's, then a short grace to read the
    // console back once the Action is done (its code could still run, through a `toJSON`).
    let stop_at = Rc::new(Cell::new(deadline));
    let (flag, at) = (Rc::clone(&interrupted), Rc::clone(&stop_at));
    runtime.set_interrupt_handler(Some(Box::new(move || {
        let late = Instant::now() >= at.get();
        if late {
            flag.set(true);
        }
        late
    })));
    let context = Context::full(&runtime).map_err(|e| threw(e.to_string()))?;
    let event_json = event.to_string();
    context.with(|ctx| {
        let console = std::cell::RefCell::new(None);
        let result = (|| -> Result<Outcome, ActionError> {
            // Every failure below reads the thrown value, unless the deadline passed: then the
            // "interrupted" error is ours, not the Action's.
            let failed = |ctx: &Ctx<'_>| {
                let (message, _) = describe(ctx, &file);
                if interrupted.get() {
                    timeout()
                } else {
                    threw(message)
                }
            };
            let http = Function::new(ctx.clone(), move |request: String| {
                super::http::fetch(&request, deadline)
            })
            .map_err(|e| threw(e.to_string()))?;
            ctx.globals()
                .set("__mock_http", http)
                .map_err(|e| threw(e.to_string()))?;
            eval_named::<Value<'_>>(&ctx, PRELUDE, PRELUDE_FILE).map_err(|_| failed(&ctx))?;
            // Taken before the Action's code runs, which could replace the global.
            *console.borrow_mut() = ctx.globals().get("__mock_console").ok();
            let module: Function<'_> =
                eval_named(&ctx, &wrap(&action.code), &file).map_err(|_| {
                    let (message, line) = describe(&ctx, &file);
                    ActionError::Syntax {
                        action: name(),
                        file: file.clone(),
                        line: line.unwrap_or(1),
                        message,
                    }
                })?;
            let globals = ctx.globals();
            let load: Function<'_> = globals.get("__mock_load").map_err(|_| failed(&ctx))?;
            load.call::<_, Value<'_>>((module,))
                .map_err(|_| failed(&ctx))?;
            let execute: Function<'_> = globals.get("__mock_execute").map_err(|_| failed(&ctx))?;
            let fire_timer: Function<'_> =
                globals.get("__mock_fire_timer").map_err(|_| failed(&ctx))?;
            let promise: Promise<'_> = execute
                .call((
                    action.trigger.as_str(),
                    action.trigger.handler(),
                    event_json,
                ))
                .map_err(|_| failed(&ctx))?;
            loop {
                match promise.state() {
                    PromiseState::Resolved => {
                        let json: String = promise
                            .result()
                            .unwrap_or(Err(rquickjs::Error::Unknown))
                            .map_err(|_| failed(&ctx))?;
                        return serde_json::from_str(&json)
                            .map_err(|e| threw(format!("its outcome is not readable: {e}")));
                    }
                    PromiseState::Rejected => {
                        let _ = promise.result::<Value<'_>>();
                        return Err(failed(&ctx));
                    }
                    PromiseState::Pending => {}
                }
                if interrupted.get() {
                    return Err(timeout());
                }
                if ctx.execute_pending_job() {
                    continue;
                }
                let now: f64 = fire_timer.call(()).map_err(|_| failed(&ctx))?;
                if now < 0.0 {
                    return Err(ActionError::NeverSettled { action: name() });
                }
                if now >= limit.as_millis() as f64 {
                    return Err(timeout());
                }
            }
        })();
        stop_at.set(Instant::now() + CONSOLE_GRACE);
        let lines = console.take().and_then(|read: Function<'_>| {
            let json: String = read.call(()).ok()?;
            serde_json::from_str::<Vec<super::ConsoleLine>>(&json).ok()
        });
        super::note_console(&action.name, lines.unwrap_or_default());
        result
    })
}

/// How long reading an Action's console back may take after it ran: its code could still
/// run (a `toJSON` it planted), and must not hold the request past the limit for long.
const CONSOLE_GRACE: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Trigger, run};
    use serde_json::json;

    fn post_login(code: &str) -> Action {
        Action::new("test-action", Trigger::PostLogin, code)
    }

    fn run_one(action: Action, timeout: Duration) -> Result<Outcome, ActionError> {
        run(
            &[action],
            Trigger::PostLogin,
            &json!({ "user": { "email": "alice@example.com" } }),
            timeout,
        )
    }

    #[test]
    fn the_trivial_post_login_action_sets_its_claim() {
        let outcome = run_one(
            post_login(
                r#"exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("https://x/y", event.user.email) }"#,
            ),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(outcome.id_token_claims["https://x/y"], "alice@example.com");
    }

    #[test]
    fn a_syntax_error_names_the_action_file_and_line() {
        let mut action =
            post_login("exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};");
        action.file = Some("actions/broken.js".into());
        let error = check(&action).unwrap_err();
        let ActionError::Syntax {
            action,
            file,
            line,
            message,
        } = error
        else {
            panic!("{error:?}")
        };
        assert_eq!(
            (action.as_str(), file.as_str(), line),
            ("test-action", "actions/broken.js", 2)
        );
        assert!(message.starts_with("SyntaxError"), "{message}");
    }

    #[test]
    fn valid_code_passes_the_check_without_running() {
        check(&post_login("throw new Error('not run at check time')")).unwrap();
    }

    #[test]
    fn a_busy_loop_is_interrupted_at_the_deadline() {
        let started = Instant::now();
        let error = run_one(
            post_login("exports.onExecutePostLogin = async () => { while (true) {} };"),
            Duration::from_millis(100),
        )
        .unwrap_err();
        assert!(matches!(error, ActionError::Timeout { .. }), "{error:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_thrown_error_fails_the_flow_with_its_message() {
        let error = run_one(
            post_login("exports.onExecutePostLogin = async (event) => { return event.user.user_metadata.color; };"),
            Duration::from_secs(5),
        )
        .unwrap_err();
        let ActionError::Threw { message, .. } = error else {
            panic!("{error:?}")
        };
        assert!(message.starts_with("TypeError"), "{message}");
    }

    #[test]
    fn timers_run_on_a_virtual_clock() {
        let started = Instant::now();
        let outcome = run_one(
            post_login(
                "exports.onExecutePostLogin = async (event, api) => {
                   await new Promise((resolve) => setTimeout(resolve, 5000));
                   api.accessToken.setCustomClaim('waited', true);
                 };",
            ),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(outcome.access_token_claims["waited"], true);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "no real waiting"
        );
    }

    #[test]
    fn waiting_past_the_limit_on_a_timer_is_a_timeout() {
        let error = run_one(
            post_login("exports.onExecutePostLogin = () => new Promise((resolve) => setTimeout(resolve, 60000));"),
            Duration::from_secs(20),
        )
        .unwrap_err();
        assert!(matches!(error, ActionError::Timeout { .. }), "{error:?}");
    }

    #[test]
    fn a_promise_that_can_never_settle_is_reported() {
        let error = run_one(
            post_login("exports.onExecutePostLogin = () => new Promise(() => {});"),
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(
            matches!(error, ActionError::NeverSettled { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn console_lines_are_kept_in_order_with_the_action_that_wrote_them() {
        let outcome = run_one(
            post_login(
                "exports.onExecutePostLogin = async (event) => {
                   console.log('hello', event.user.email, { n: 1 });
                   await null;
                   console.error(new TypeError('boom').message);
                 };",
            ),
            Duration::from_secs(5),
        )
        .unwrap();
        let lines: Vec<(&str, &str, &str)> = outcome
            .console
            .iter()
            .map(|l| (l.action.as_str(), l.level.as_str(), l.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                ("test-action", "log", r#"hello alice@example.com {"n":1}"#),
                ("test-action", "error", "boom"),
            ]
        );
    }

    #[test]
    fn pre_user_registration_has_validation_error_deny_and_metadata() {
        let action = Action::new(
            "signup",
            Trigger::PreUserRegistration,
            r#"exports.onExecutePreUserRegistration = async (event, api) => {
                 api.user.setUserMetadata("source", "test").user.setAppMetadata("plan", null);
                 if (event.user.email.endsWith("@gmail.com")) {
                   api.validation.error("corporate_email_required", "Please use your work email.");
                 }
                 api.access.deny("internal reason", "Sign-ups are closed.");
               };"#,
        );
        let event = json!({ "user": { "email": "dana@gmail.com" } });
        let outcome = run(
            &[action],
            Trigger::PreUserRegistration,
            &event,
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(
            outcome.validation_error,
            Some(crate::actions::ValidationError {
                code: "corporate_email_required".into(),
                message: "Please use your work email.".into()
            })
        );
        let denied = outcome.denied.unwrap();
        assert_eq!(denied.reason, "internal reason");
        assert_eq!(denied.user_message.as_deref(), Some("Sign-ups are closed."));
        assert_eq!(outcome.user_metadata["source"], "test");
        assert!(
            outcome.app_metadata["plan"].is_null(),
            "null removes the key"
        );
    }

    #[test]
    fn each_trigger_gets_only_its_own_api() {
        let probe = |trigger: Trigger| {
            let code = format!(
                "exports.{} = async (event, api) => {{ console.log(Object.keys(api).sort().join(',')); }};",
                trigger.handler()
            );
            let outcome = run(
                &[Action::new("probe", trigger, code)],
                trigger,
                &json!({}),
                Duration::from_secs(5),
            )
            .unwrap();
            outcome.console[0].message.clone()
        };
        assert_eq!(
            probe(Trigger::PostLogin),
            "access,accessToken,authentication,cache,idToken,multifactor,redirect,session,user"
        );
        assert_eq!(
            probe(Trigger::CredentialsExchange),
            "access,accessToken,cache"
        );
        assert_eq!(
            probe(Trigger::PreUserRegistration),
            "access,cache,user,validation"
        );
        assert_eq!(probe(Trigger::PostUserRegistration), "cache");
    }

    #[test]
    fn a_denial_stops_the_flow_before_the_next_action() {
        let first = post_login(
            "exports.onExecutePostLogin = async (e, api) => { api.access.deny('no'); };",
        );
        let mut second = post_login(
            "exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('ran', true); };",
        );
        second.name = "second".into();
        let outcome = run_one_of(&[first, second]);
        assert_eq!(outcome.denied.unwrap().reason, "no");
        assert!(
            outcome.id_token_claims.is_empty(),
            "{:?}",
            outcome.id_token_claims
        );
    }

    #[test]
    fn a_missing_handler_is_named() {
        let error = run_one(
            post_login("exports.onExecutePreUserRegistration = async () => {};"),
            Duration::from_secs(5),
        )
        .unwrap_err();
        let ActionError::Threw { message, .. } = error else {
            panic!("{error:?}")
        };
        assert!(
            message.contains("does not export onExecutePostLogin"),
            "{message}"
        );
    }

    fn run_one_of(actions: &[Action]) -> Outcome {
        run(
            actions,
            Trigger::PostLogin,
            &json!({ "user": {} }),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    #[test]
    fn line_numbers_are_read_from_the_stack_for_the_file() {
        assert_eq!(line_in("    at roles.js:12:3\n", "roles.js"), Some(12));
        assert_eq!(line_in("    at other.js:12:3\n", "roles.js"), None);
    }
}
