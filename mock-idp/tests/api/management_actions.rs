//! The Management API's Actions (`/api/v2/actions/...`): create, deploy, bind, and that what
//! is bound and deployed is what the next login runs; Auth0's errors, and that a refused
//! request changes nothing.

use insta::assert_json_snapshot;
use mock_idp::{Action, MockIdp, Trigger};
use serde_json::{Value, json};

use crate::helpers::{Management, claims, password_grant};

/// Auth0's "Add user roles to ID and Access tokens", unchanged.
const ADD_ROLES: &str = r#"exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};"#;

const TIER: &str = r#"exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://example.com/tier", event.secrets.TIER);
};"#;

fn new_action(name: &str, code: &str) -> Value {
    json!({
        "name": name,
        "supported_triggers": [{ "id": "post-login", "version": "v3" }],
        "code": code,
        "runtime": "node22",
        "secrets": [{ "name": "TIER", "value": "gold" }],
    })
}

/// Creates an Action and deploys it; returns its id.
async fn deployed(management: &Management<'_>, name: &str, code: &str) -> String {
    let (status, created) = management
        .post("/actions/actions", new_action(name, code))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, version) = management
        .post(&format!("/actions/actions/{id}/deploy"), json!({}))
        .await;
    assert_eq!(status, 202, "{version}");
    id
}

async fn bind_post_login(management: &Management<'_>, refs: Value) -> (u16, Value) {
    management
        .patch(
            "/actions/triggers/post-login/bindings",
            json!({ "bindings": refs }),
        )
        .await
}

/// Deploys [`TIER`] (secret `TIER` = `gold`) and binds it alone to post-login, by id.
async fn bound_tier(management: &Management<'_>) -> String {
    let id = deployed(management, "tier", TIER).await;
    let (status, body) = bind_post_login(
        management,
        json!([{ "ref": { "type": "action_id", "value": id } }]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    id
}

async fn alice_id_token(idp: &MockIdp) -> Value {
    let body = password_grant(idp, "alice@example.com", "openid profile").await;
    claims(body["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn binds_a_deployed_action_to_post_login_and_the_next_login_carries_its_claim() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    deployed(&management, "add-roles", ADD_ROLES).await;

    // Act
    let (status, body) = bind_post_login(
        &management,
        json!([{ "ref": { "type": "action_name", "value": "add-roles" }, "display_name": "Add roles" }]),
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["bindings"][0]["display_name"], "Add roles");
    assert_eq!(body["bindings"][0]["trigger_id"], "post-login");
    let token = alice_id_token(&idp).await;
    assert_eq!(token["https://example.com/roles"], json!([]));
}

#[tokio::test]
async fn unbinding_an_action_removes_its_claim_from_the_next_login() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    bound_tier(&management).await;
    assert_eq!(
        alice_id_token(&idp).await["https://example.com/tier"],
        "gold"
    );

    // Act
    let (status, body) = bind_post_login(&management, json!([])).await;

    // Assert
    assert_eq!((status, &body), (200, &json!({ "bindings": [] })));
    assert!(
        alice_id_token(&idp)
            .await
            .get("https://example.com/tier")
            .is_none()
    );
}

#[tokio::test]
async fn a_draft_does_not_run_until_it_is_deployed() {
    // Arrange: a bound Action whose draft then changes.
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let id = bound_tier(&management).await;
    let (status, patched) = management
        .patch(
            &format!("/actions/actions/{id}"),
            json!({ "secrets": [{ "name": "TIER", "value": "silver" }] }),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["all_changes_deployed"], false);

    // Act
    let before_deploy = alice_id_token(&idp).await;
    let (status, version) = management
        .post(&format!("/actions/actions/{id}/deploy"), json!({}))
        .await;
    let after_deploy = alice_id_token(&idp).await;

    // Assert
    assert_eq!(status, 202, "Auth0's Accepted: {version}");
    assert_eq!(version["number"], 2);
    assert_eq!(before_deploy["https://example.com/tier"], "gold");
    assert_eq!(after_deploy["https://example.com/tier"], "silver");
}

#[tokio::test]
async fn bindings_run_in_the_order_the_patch_gives() {
    // Arrange: two Actions setting the same claim; the later one wins.
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let claim = |v: &str| {
        format!(
            "exports.onExecutePostLogin = async (e, api) => {{ api.idToken.setCustomClaim('https://example.com/last', '{v}'); }};"
        )
    };
    deployed(&management, "first", &claim("first")).await;
    deployed(&management, "second", &claim("second")).await;
    let named = |n: &str| json!({ "ref": { "type": "action_name", "value": n } });

    // Act
    bind_post_login(&management, json!([named("first"), named("second")])).await;
    let forward = alice_id_token(&idp).await;
    bind_post_login(&management, json!([named("second"), named("first")])).await;
    let backward = alice_id_token(&idp).await;

    // Assert
    assert_eq!(forward["https://example.com/last"], "second");
    assert_eq!(backward["https://example.com/last"], "first");
}

#[tokio::test]
async fn binding_an_undeployed_action_or_one_for_another_trigger_is_400_and_changes_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    bound_tier(&management).await;
    let (_, draft) = management
        .post("/actions/actions", new_action("draft", TIER))
        .await;
    let (_, m2m) = management
        .post(
            "/actions/actions",
            json!({ "name": "m2m", "supported_triggers": [{ "id": "credentials-exchange", "version": "v2" }],
                    "code": "exports.onExecuteCredentialsExchange = async () => {};" }),
        )
        .await;
    let m2m = m2m["id"].as_str().unwrap();
    management
        .post(&format!("/actions/actions/{m2m}/deploy"), json!({}))
        .await;
    let (_, before) = management
        .get("/actions/triggers/post-login/bindings")
        .await;

    // Act
    let (undeployed, undeployed_body) = bind_post_login(
        &management,
        json!([{ "ref": { "type": "action_id", "value": draft["id"] } }]),
    )
    .await;
    let (wrong_trigger, wrong_body) = bind_post_login(
        &management,
        json!([{ "ref": { "type": "action_id", "value": m2m } }]),
    )
    .await;
    let (unknown, _) = bind_post_login(
        &management,
        json!([{ "ref": { "type": "action_name", "value": "nope" } }]),
    )
    .await;
    let (bad_body, bad_body_json) = bind_post_login(&management, json!("not a list")).await;

    // Assert
    assert_eq!(undeployed, 400, "{undeployed_body}");
    assert!(
        undeployed_body["message"]
            .as_str()
            .unwrap()
            .contains("no deployed version")
    );
    assert_eq!(wrong_trigger, 400, "{wrong_body}");
    assert_eq!((unknown, bad_body), (400, 400));
    assert_eq!(bad_body_json["errorCode"], "invalid_body");
    let (_, after) = management
        .get("/actions/triggers/post-login/bindings")
        .await;
    assert_eq!(before, after);
    assert_eq!(
        alice_id_token(&idp).await["https://example.com/tier"],
        "gold"
    );
}

#[tokio::test]
async fn a_deploy_of_code_that_does_not_parse_is_400_naming_the_line_and_logins_go_on() {
    // Arrange: a bound Action whose draft gets a syntax error on its second line.
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let id = bound_tier(&management).await;
    management
        .patch(
            &format!("/actions/actions/{id}"),
            json!({ "code": "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim(;\n};" }),
        )
        .await;

    // Act
    let (status, body) = management
        .post(&format!("/actions/actions/{id}/deploy"), json!({}))
        .await;

    // Assert
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("line 2"), "{message}");
    assert_eq!(
        alice_id_token(&idp).await["https://example.com/tier"],
        "gold",
        "the deployed version still runs"
    );
}

#[tokio::test]
async fn deleting_a_bound_action_needs_force_and_force_unbinds_it() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let id = bound_tier(&management).await;

    // Act
    let (refused, refused_body) = management
        .delete(&format!("/actions/actions/{id}"), None)
        .await;
    let still_runs = alice_id_token(&idp).await;
    let (forced, _) = management
        .delete(&format!("/actions/actions/{id}?force=true"), None)
        .await;

    // Assert
    assert_eq!(refused, 400, "{refused_body}");
    assert_eq!(still_runs["https://example.com/tier"], "gold");
    assert_eq!(forced, 204);
    assert_eq!(
        management.get(&format!("/actions/actions/{id}")).await.0,
        404
    );
    let (_, bindings) = management
        .get("/actions/triggers/post-login/bindings")
        .await;
    assert_eq!(bindings["total"], 0);
    assert!(
        alice_id_token(&idp)
            .await
            .get("https://example.com/tier")
            .is_none()
    );
}

#[tokio::test]
async fn secrets_are_write_only() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (_, created) = management
        .post("/actions/actions", new_action("tier", TIER))
        .await;
    let (_, read) = management
        .get(&format!(
            "/actions/actions/{}",
            created["id"].as_str().unwrap()
        ))
        .await;

    // Assert
    for action in [&created, &read] {
        assert_eq!(action["secrets"][0]["name"], "TIER");
        assert!(action["secrets"][0].get("value").is_none(), "{action}");
        assert!(!action.to_string().contains("gold"));
    }
}

#[tokio::test]
async fn unknown_ids_bad_bodies_and_missing_scopes_are_auth0s_errors() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let reader = Management::with_scope(&idp, Some("read:actions")).await;

    // Act
    let (unknown_action, not_found) = management.get("/actions/actions/nope").await;
    let (unknown_deploy, _) = management
        .post("/actions/actions/nope/deploy", json!({}))
        .await;
    let (unknown_trigger, _) = management.get("/actions/triggers/nope/bindings").await;
    let (no_triggers, _) = management
        .post("/actions/actions", json!({ "name": "x", "code": "" }))
        .await;
    let (unknown_field, unknown_field_body) = management
        .post(
            "/actions/actions",
            json!({ "name": "x", "supported_triggers": [{ "id": "post-login" }], "colour": "red" }),
        )
        .await;
    let (bad_runtime, _) = management
        .post(
            "/actions/actions",
            json!({ "name": "x", "supported_triggers": [{ "id": "post-login" }], "runtime": "deno" }),
        )
        .await;
    let (bad_query, bad_query_body) = management.get("/actions/actions?colour=red").await;
    let (forbidden, forbidden_body) = reader.post("/actions/actions", new_action("x", TIER)).await;

    // Assert
    assert_eq!(
        (unknown_action, unknown_deploy, unknown_trigger),
        (404, 404, 404)
    );
    assert_eq!(not_found["statusCode"], 404);
    assert_eq!((no_triggers, unknown_field, bad_runtime), (400, 400, 400));
    assert_eq!(unknown_field_body["errorCode"], "invalid_body");
    assert_eq!(bad_query, 400);
    assert_eq!(bad_query_body["errorCode"], "invalid_query_string");
    assert_eq!(forbidden, 403);
    assert_eq!(forbidden_body["errorCode"], "insufficient_scope");
    let (_, listed) = management.get("/actions/actions").await;
    assert_eq!(listed["total"], 0, "nothing was created: {listed}");
}

#[tokio::test]
async fn a_second_action_with_the_same_name_is_409_and_spends_no_id() {
    // Arrange
    let plain = MockIdp::builder().deterministic().start().await;
    let refused_first = MockIdp::builder().deterministic().start().await;
    let (plain_api, other_api) = (
        Management::new(&plain).await,
        Management::new(&refused_first).await,
    );
    other_api
        .post("/actions/actions", new_action("tier", TIER))
        .await;
    plain_api
        .post("/actions/actions", new_action("tier", TIER))
        .await;

    // Act
    let (conflict, _) = other_api
        .post("/actions/actions", new_action("tier", TIER))
        .await;
    let (_, a) = plain_api
        .post("/actions/actions", new_action("other", TIER))
        .await;
    let (_, b) = other_api
        .post("/actions/actions", new_action("other", TIER))
        .await;

    // Assert
    assert_eq!(conflict, 409);
    assert_eq!(a["id"], b["id"]);
}

#[tokio::test]
async fn configured_actions_are_listed_deployed_and_bound_and_keep_running_after_a_change() {
    // Arrange
    let idp = MockIdp::builder()
        .action(Action::new("tier", Trigger::PostLogin, TIER).secret("TIER", "gold"))
        .start()
        .await;
    let management = Management::new(&idp).await;

    // Act
    let (_, listed) = management.get("/actions/actions?deployed=true").await;
    let (_, bindings) = management
        .get("/actions/triggers/post-login/bindings")
        .await;
    deployed(&management, "unbound", ADD_ROLES).await;
    let (_, after_change) = management.get("/actions/actions").await;

    // Assert
    assert_eq!(listed["total"], 1);
    let configured = &listed["actions"][0];
    assert_eq!(configured["name"], "tier");
    assert_eq!(configured["all_changes_deployed"], true);
    assert_eq!(bindings["bindings"][0]["action"]["id"], configured["id"]);
    assert_eq!(
        after_change["actions"][0]["id"], configured["id"],
        "a stable id"
    );
    let token = alice_id_token(&idp).await;
    assert_eq!(token["https://example.com/tier"], "gold");
    assert!(token.get("https://example.com/roles").is_none(), "unbound");
}

#[tokio::test]
async fn a_reset_restores_the_configured_actions() {
    // Arrange
    let idp = MockIdp::builder()
        .action(Action::new("tier", Trigger::PostLogin, TIER).secret("TIER", "gold"))
        .start()
        .await;
    let management = Management::new(&idp).await;
    bind_post_login(&management, json!([])).await;
    assert!(
        alice_id_token(&idp)
            .await
            .get("https://example.com/tier")
            .is_none()
    );

    // Act
    idp.reset();

    // Assert
    assert_eq!(
        alice_id_token(&idp).await["https://example.com/tier"],
        "gold"
    );
    let (_, listed) = Management::new(&idp).await.get("/actions/actions").await;
    assert_eq!(listed["total"], 1);
}

#[tokio::test]
async fn set_app_metadata_in_a_bound_action_shows_in_the_users_api() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    deployed(
        &management,
        "onboard",
        "exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('onboarded', true); };",
    )
    .await;
    bind_post_login(
        &management,
        json!([{ "ref": { "type": "action_name", "value": "onboard" } }]),
    )
    .await;

    // Act
    alice_id_token(&idp).await;

    // Assert
    let (_, alice) = management.get("/users/auth0%7Calice").await;
    assert_eq!(alice["app_metadata"]["onboarded"], true);
}

#[tokio::test]
async fn the_actions_apis_shapes() {
    // Arrange: deterministic ids and clock.
    let idp = MockIdp::builder().deterministic().start().await;
    let management = Management::new(&idp).await;
    let (_, created) = management
        .post(
            "/actions/actions",
            json!({ "name": "add-roles", "supported_triggers": [{ "id": "post-login", "version": "v3" }],
                    "code": ADD_ROLES, "dependencies": [], "secrets": [{ "name": "TIER", "value": "gold" }] }),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();

    // Act
    let (_, version) = management
        .post(&format!("/actions/actions/{id}/deploy"), json!({}))
        .await;
    let (_, bound) = bind_post_login(
        &management,
        json!([{ "ref": { "type": "action_id", "value": id }, "display_name": "Add roles" }]),
    )
    .await;
    let (_, listed) = management
        .get("/actions/actions?triggerId=post-login")
        .await;
    let (_, triggers) = management.get("/actions/triggers").await;
    let (_, bindings) = management
        .get("/actions/triggers/post-login/bindings")
        .await;
    let (_, not_found) = management.get("/actions/actions/nope").await;

    // Assert
    assert_json_snapshot!("actions_created", created);
    assert_json_snapshot!("actions_deployed_version", version);
    assert_json_snapshot!("actions_bindings_patched", bound);
    assert_json_snapshot!("actions_listed", listed);
    assert_json_snapshot!("actions_triggers", triggers);
    assert_json_snapshot!("actions_bindings", bindings);
    assert_json_snapshot!("actions_not_found", not_found);
}
