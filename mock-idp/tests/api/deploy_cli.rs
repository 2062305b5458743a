//! A tenant pointing at the folder a team deploys with the Auth0 Deploy CLI (directory
//! format): its bound, deployed Actions run, as they would on the tenant it deploys to.

use std::path::Path;

use mock_idp::{MockIdp, TenantConfig};
use serde_json::json;

use crate::helpers::{Management, claims, password_grant};

/// Writes a Deploy CLI folder as `a0deploy export --format directory` writes one: one
/// `<name>.json` per Action, its code beside it, and the bindings in `triggers.json`.
fn write_folder(root: &Path, deployed: bool) {
    let actions = root.join("tenant/actions");
    std::fs::create_dir_all(actions.join("add-tier")).unwrap();
    std::fs::create_dir_all(root.join("tenant/triggers")).unwrap();
    std::fs::write(
        actions.join("add-tier/code.js"),
        "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('https://example.com/tier', event.secrets.TIER);\n};\n",
    )
    .unwrap();
    let action = json!({
        "name": "add-tier",
        "code": "./code.js",
        "runtime": "node22",
        "status": "built",
        "dependencies": [],
        "secrets": [{ "name": "TIER", "value": "gold" }],
        "supported_triggers": [{ "id": "post-login", "version": "v3" }],
        "deployed": deployed,
    });
    std::fs::write(actions.join("add-tier.json"), action.to_string()).unwrap();
    let triggers = json!({
        "post-login": [{ "action_name": "add-tier", "display_name": "add-tier" }],
        "credentials-exchange": [],
        "send-phone-message": [],
    });
    std::fs::write(
        root.join("tenant/triggers/triggers.json"),
        triggers.to_string(),
    )
    .unwrap();
    std::fs::write(
        root.join("mock-idp.toml"),
        "deploy_cli_directory = \"tenant\"\n",
    )
    .unwrap();
}

#[tokio::test]
async fn a_bound_deployed_action_of_the_folder_runs_at_login_and_is_listed() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    write_folder(dir.path(), true);
    let tenant = TenantConfig::from_file(dir.path().join("mock-idp.toml")).unwrap();
    let idp = MockIdp::builder().tenant(tenant).start().await;

    // Act
    let body = password_grant(&idp, "alice@example.com", "openid").await;
    let (_, listed) = Management::new(&idp).await.get("/actions/actions").await;

    // Assert
    let id_token = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["https://example.com/tier"], "gold");
    assert_eq!(listed["actions"][0]["name"], "add-tier");
    assert!(listed["actions"][0]["deployed_version"].is_object());
}

#[test]
fn an_action_bound_but_not_deployed_is_refused_naming_its_file() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    write_folder(dir.path(), false);

    // Act
    let error = TenantConfig::from_file(dir.path().join("mock-idp.toml")).unwrap_err();

    // Assert
    let message = error.to_string();
    assert!(message.contains("add-tier.json"), "{message}");
    assert!(message.contains("not deployed"), "{message}");
}
