//! Auth0 Actions at the token endpoint: post-login for the password grant, credentials-exchange
//! for client credentials. The Action code is Auth0's documentation's and common practice's,
//! unchanged; every way an Action fails is Auth0's `access_denied` with the reason.

use std::time::{Duration, Instant};

use mock_idp::{Action, MockIdp, TenantConfig, Trigger};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{API, Management, claims, client_credentials, password_grant, token_form};

fn post_login(name: &str, code: &str) -> Action {
    Action::new(name, Trigger::PostLogin, code)
}

async fn login(idp: &MockIdp, user: &str) -> (u16, Value) {
    token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", user),
            ("password", "password"),
            ("audience", API),
            ("scope", "openid profile email"),
        ],
    )
    .await
}

fn id_token(body: &Value) -> Value {
    claims(body["id_token"].as_str().expect("an ID token"))
}

fn access_token(body: &Value) -> Value {
    claims(body["access_token"].as_str().expect("an access token"))
}

#[tokio::test]
async fn post_login_adds_the_users_roles_and_a_namespaced_claim_from_app_metadata() {
    // Arrange: Auth0's "Add user roles to ID and Access tokens", and a claim copied from
    // app_metadata, as teams write them.
    let idp = MockIdp::builder()
        .user(
            mock_idp::User::new("carol@example.com")
                .roles(["admin", "editor"])
                .app_metadata("plan", "enterprise"),
        )
        .action(post_login(
            "add-roles",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://my-app.example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};"#,
        ))
        .action(post_login(
            "plan",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  const { plan } = event.user.app_metadata;
  if (plan) api.accessToken.setCustomClaim('https://my-app.example.com/plan', plan);
};"#,
        ))
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "carol@example.com").await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let roles = json!(["admin", "editor"]);
    assert_eq!(id_token(&body)["https://my-app.example.com/roles"], roles);
    let access = access_token(&body);
    assert_eq!(access["https://my-app.example.com/roles"], roles);
    assert_eq!(access["https://my-app.example.com/plan"], "enterprise");
    assert_eq!(
        access["sub"], "auth0|carol",
        "the mock's claims are untouched"
    );
}

#[tokio::test]
async fn post_login_denies_a_user_from_the_wrong_domain_with_auth0s_access_denied() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "corporate-only",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email.endsWith("@corp.example.com")) {
    api.access.deny(`Access to ${event.client.name} is not allowed.`);
  }
};"#,
        ))
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({ "error": "access_denied", "error_description": "Access to Sample SPA is not allowed." })
    );
    assert_eq!(
        idp.user("alice@example.com").unwrap().logins_count,
        0,
        "a refused login is not counted"
    );
}

#[tokio::test]
async fn app_metadata_set_on_first_login_is_read_back_through_the_management_api() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "first-login",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.stats.logins_count === 1 && !event.user.app_metadata.onboarded) {
    api.user.setAppMetadata("onboarded", true);
    api.user.setUserMetadata("theme", "dark");
  }
  api.idToken.setCustomClaim("https://my-app.example.com/first", event.stats.logins_count === 1);
};"#,
        ))
        .start()
        .await;

    // Act
    let (_, first) = login(&idp, "alice@example.com").await;
    let (_, second) = login(&idp, "alice@example.com").await;
    let management = Management::new(&idp).await;
    let (status, alice) = management.get("/users/auth0%7Calice").await;

    // Assert
    assert_eq!(id_token(&first)["https://my-app.example.com/first"], true);
    assert_eq!(id_token(&second)["https://my-app.example.com/first"], false);
    assert_eq!(status, 200, "{alice}");
    assert_eq!(alice["app_metadata"], json!({ "onboarded": true }));
    assert_eq!(alice["user_metadata"], json!({ "theme": "dark" }));
    assert_eq!(alice["logins_count"], 2);
}

#[tokio::test]
async fn post_login_adds_and_removes_scopes_of_the_access_token() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "scopes",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.addScope("read:reports");
  // Each method returns `api`, as on Auth0, not the token object.
  api.accessToken.removeScope("email").idToken.setCustomClaim("https://x/chained", true);
};"#,
        ))
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid profile read:reports");
    assert_eq!(access_token(&body)["scope"], "openid profile read:reports");
    let id = id_token(&body);
    assert_eq!(id["https://x/chained"], true);
    assert_eq!(
        id["email"], "alice@example.com",
        "the changes are the access token's: the ID token keeps what `email` granted"
    );
}

#[tokio::test]
async fn scopes_an_action_adds_are_the_access_tokens_not_the_refresh_tokens_grant() {
    // Arrange: the Action adds a scope only at the first login.
    let idp = MockIdp::builder()
        .action(post_login(
            "first-login-scope",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.transaction.protocol === "oauth2-password") api.accessToken.addScope("read:reports");
};"#,
        ))
        .start()
        .await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;

    // Act
    let (status, refreshed) =
        crate::refresh::refresh(&idp, first["refresh_token"].as_str().unwrap()).await;

    // Assert
    assert_eq!(
        access_token(&first)["scope"],
        "openid offline_access read:reports"
    );
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        access_token(&refreshed)["scope"],
        "openid offline_access",
        "the refresh token was granted what the login granted, not what the Action added"
    );
}

#[tokio::test]
async fn an_action_cannot_overwrite_the_claims_auth0_reserves() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "impostor",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim("sub", "auth0|admin");
  api.idToken.setCustomClaim("iss", "https://evil.example/");
};"#,
        ))
        .start()
        .await;

    // Act
    let (_, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(access_token(&body)["sub"], "auth0|alice");
    assert_eq!(id_token(&body)["iss"], idp.issuer());
}

#[tokio::test]
async fn credentials_exchange_adds_a_claim_to_the_machine_token_from_a_secret() {
    // Arrange
    let idp = MockIdp::builder()
        .action(
            Action::new(
                "m2m-tenant",
                Trigger::CredentialsExchange,
                r#"
exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim("https://my-app.example.com/tenant", event.secrets.TENANT);
  api.accessToken.setCustomClaim("https://my-app.example.com/client", event.client.client_id);
};"#,
            )
            .secret("TENANT", "acme"),
        )
        .start()
        .await;

    // Act
    let body = client_credentials(&idp).await;

    // Assert
    let access = access_token(&body);
    assert_eq!(access["https://my-app.example.com/tenant"], "acme");
    assert_eq!(access["https://my-app.example.com/client"], "sample-m2m");
    assert_eq!(access["gty"], "client-credentials");
}

#[tokio::test]
async fn credentials_exchange_denies_with_the_oauth_code_the_action_chose() {
    // Arrange
    let idp = MockIdp::builder()
        .action(Action::new(
            "no-m2m",
            Trigger::CredentialsExchange,
            r#"exports.onExecuteCredentialsExchange = async (event, api) => {
  api.access.deny("invalid_request", "Machines may not call " + event.resource_server.identifier);
};"#,
        ))
        .start()
        .await;

    // Act
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", API),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "error": "invalid_request", "error_description": format!("Machines may not call {API}") })
    );
}

#[tokio::test]
async fn a_thrown_error_fails_the_login_as_access_denied_naming_the_action() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "favorite-color",
            "exports.onExecutePostLogin = async (event, api) => {\n  api.idToken.setCustomClaim('color', event.user.user_metadata.preferences.color);\n};",
        ))
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(body["error"], "access_denied");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains("\"favorite-color\""), "{description}");
    assert!(description.contains("TypeError"), "{description}");
}

#[tokio::test]
async fn a_runaway_action_is_interrupted_at_the_time_limit() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "spin",
            "exports.onExecutePostLogin = async () => { while (true) {} };",
        ))
        .action_timeout(Duration::from_millis(200))
        .start()
        .await;
    let started = Instant::now();

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(body["error"], "access_denied");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn require_fails_with_an_error_saying_npm_modules_are_out_of_scope() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "uses-axios",
            "const axios = require('axios');\nexports.onExecutePostLogin = async () => {};",
        ))
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 403);
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains("require(\"axios\")"), "{description}");
    assert!(description.contains("npm modules"), "{description}");
}

#[test]
fn a_syntax_error_in_a_configured_action_fails_at_load_with_the_file_and_line() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("actions")).unwrap();
    std::fs::write(
        dir.path().join("actions/broken.js"),
        "exports.onExecutePostLogin = async (event, api) => {\n  const claim = ;\n};\n",
    )
    .unwrap();
    let config = dir.path().join("tenant.toml");
    std::fs::write(
        &config,
        "[[actions]]\nname = \"broken\"\ntrigger = \"post-login\"\ncode_file = \"actions/broken.js\"\n",
    )
    .unwrap();

    // Act
    let error = TenantConfig::from_file(&config).unwrap_err().to_string();

    // Assert
    assert!(error.contains("\"broken\""), "{error}");
    assert!(error.contains("actions/broken.js"), "{error}");
    assert!(error.contains("line 2"), "{error}");
    assert!(error.contains("SyntaxError"), "{error}");
}

#[tokio::test]
#[should_panic(expected = "line 1")]
async fn a_mock_with_an_action_that_does_not_parse_does_not_start() {
    let _idp = MockIdp::builder()
        .action(post_login(
            "broken",
            "exports.onExecutePostLogin = async (event, api) => { const = 1; };",
        ))
        .start()
        .await;
}

#[tokio::test]
async fn a_global_set_by_one_execution_is_absent_from_the_next() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "leaky",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://x/seen", typeof globalThis.lastUser === "undefined" ? "nobody" : globalThis.lastUser);
  globalThis.lastUser = event.user.email;
  Object.prototype.polluted = true;
  api.idToken.setCustomClaim("https://x/polluted-before", false);
};"#,
        ))
        .action(post_login(
            "observer",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://x/observer-sees", typeof globalThis.lastUser);
  api.idToken.setCustomClaim("https://x/prototype", ({}).polluted === true);
};"#,
        ))
        .start()
        .await;

    // Act
    let (_, first) = login(&idp, "alice@example.com").await;
    let (_, second) = login(&idp, "bob@example.com").await;

    // Assert
    for body in [&first, &second] {
        let id = id_token(body);
        assert_eq!(id["https://x/seen"], "nobody", "{id}");
        assert_eq!(
            id["https://x/observer-sees"], "undefined",
            "not even the next Action of the flow"
        );
        assert_eq!(id["https://x/prototype"], false);
    }
}

#[tokio::test]
async fn promises_timers_and_await_chains_run_to_completion() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "async",
            r#"
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function lookUp(email) {
  await sleep(1500);
  return Promise.resolve(email.split("@")[1]).then((domain) => domain.toUpperCase());
}
exports.onExecutePostLogin = async (event, api) => {
  const [domain, later] = await Promise.all([lookUp(event.user.email), sleep(10).then(() => "later")]);
  api.idToken.setCustomClaim("https://x/domain", domain);
  api.idToken.setCustomClaim("https://x/later", later);
};"#,
        ))
        .start()
        .await;
    let started = Instant::now();

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let id = id_token(&body);
    assert_eq!(id["https://x/domain"], "EXAMPLE.COM");
    assert_eq!(id["https://x/later"], "later");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "timers run on a virtual clock: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_action_fetches_from_the_teams_own_service() {
    // Arrange
    let service = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/entitlements"))
        .and(header("authorization", "Bearer service-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "tier": "gold" })))
        .expect(1)
        .mount(&service)
        .await;
    let idp = MockIdp::builder()
        .action(
            post_login(
                "entitlements",
                r#"
exports.onExecutePostLogin = async (event, api) => {
  const response = await fetch(`${event.secrets.SERVICE}/entitlements`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${event.secrets.KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ user: event.user.user_id }),
  });
  if (!response.ok) throw new Error(`entitlements: ${response.status}`);
  const { tier } = await response.json();
  api.accessToken.setCustomClaim("https://my-app.example.com/tier", tier);
};"#,
            )
            .secret("SERVICE", service.uri())
            .secret("KEY", "service-key"),
        )
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        access_token(&body)["https://my-app.example.com/tier"],
        "gold"
    );
}

#[tokio::test]
async fn a_fetch_to_a_closed_port_fails_the_login_with_the_reason() {
    // Arrange
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let idp = MockIdp::builder()
        .action(post_login("down", "exports.onExecutePostLogin = async (event) => { await fetch(event.secrets.URL); };").secret("URL", url))
        .start()
        .await;

    // Act
    let (status, body) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 403);
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains("fetch failed"), "{description}");
}

#[tokio::test]
async fn a_tenant_without_actions_issues_the_same_tokens_as_before() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let body = password_grant(&idp, "alice@example.com", "openid").await;

    // Assert
    let id = id_token(&body);
    assert!(
        id.as_object()
            .unwrap()
            .keys()
            .all(|k| !k.starts_with("https://")),
        "{id}"
    );
}

#[tokio::test]
async fn console_lines_go_to_the_request_journal_even_when_the_login_fails() {
    // Arrange
    let idp = MockIdp::builder()
        .action(post_login(
            "noisy",
            r#"
exports.onExecutePostLogin = async (event, api) => {
  console.log("checking", event.user.email, { plan: event.user.app_metadata.plan ?? null });
  console.warn("x".repeat(300));
  throw new Error("nope");
};"#,
        ))
        .start()
        .await;

    // Act
    let (status, _) = login(&idp, "alice@example.com").await;

    // Assert
    assert_eq!(status, 403);
    let requests = idp.received_requests();
    let token = requests.last().unwrap();
    assert_eq!(token.console.len(), 2, "{:?}", token.console);
    assert_eq!(
        token.console[0],
        r#"[noisy] log: checking alice@example.com {"plan":null}"#
    );
    assert!(token.console[1].starts_with("[noisy] warn: xxx"));
    assert_eq!(
        token.console[1].chars().count(),
        256,
        "cut as Auth0 keeps them"
    );
}
