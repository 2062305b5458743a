//! post-login on every login path besides the password grant: the login page, silent
//! authentication with a session, the implicit flow and the refresh-token exchange, each
//! telling the Action which it is by `event.transaction.protocol`, as Auth0 does.

use mock_idp::{Action, MockIdp, Trigger};
use serde_json::{Value, json};

use crate::helpers::{
    AuthRequest, Browser, Pkce, claims, fragment_of, location, password_grant, query_of,
};
use crate::refresh::refresh;

/// Puts what the Action saw into both tokens: the protocol, the prompt, a query parameter,
/// the organization and the login count.
const TELL_ME: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  const seen = {
    protocol: event.transaction.protocol,
    prompt: (event.transaction.prompt || []).join(" "),
    client_in_query: event.request.query.client_id || null,
    organization: event.organization ? event.organization.name : null,
    logins: event.stats.logins_count,
  };
  api.idToken.setCustomClaim("https://x/seen", seen);
  api.accessToken.setCustomClaim("https://x/seen", seen);
};"#;

async fn idp_with(code: &str) -> MockIdp {
    MockIdp::builder()
        .action(Action::new("under-test", Trigger::PostLogin, code))
        .start()
        .await
}

fn seen_in(token: &str) -> Value {
    claims(token)["https://x/seen"].clone()
}

#[tokio::test]
async fn post_login_at_the_login_page_shapes_the_tokens_the_code_buys() {
    // Arrange
    let idp = idp_with(TELL_ME).await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();

    // Act
    let tokens = browser
        .tokens(&AuthRequest::spa(&pkce), &pkce, "alice@example.com")
        .await;

    // Assert
    let seen = seen_in(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        seen,
        json!({
            "protocol": "oidc-basic-profile",
            "prompt": "",
            "client_in_query": "sample-spa",
            "organization": null,
            "logins": 1,
        })
    );
    assert_eq!(seen_in(tokens["access_token"].as_str().unwrap()), seen);
}

#[tokio::test]
async fn a_denial_at_the_login_page_goes_back_to_the_callback_as_access_denied() {
    // Arrange
    let idp = idp_with(
        r#"
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email.endsWith("@corp.example.com")) {
    api.access.deny(`Access to ${event.client.name} is not allowed.`);
  }
};"#,
    )
    .await;
    let browser = Browser::new(&idp);

    // Act
    let response = browser
        .log_in(&AuthRequest::spa(&Pkce::new()), "alice@example.com")
        .await;

    // Assert
    let location = location(&response);
    assert!(location.starts_with("http://localhost:3000"), "{location}");
    let query = query_of(&location);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(
        query["error_description"],
        "Access to Sample SPA is not allowed."
    );
    assert_eq!(query["state"], crate::helpers::TRICKY_STATE);
    assert!(!query.contains_key("code"), "no code for a denied login");
}

#[tokio::test]
async fn silent_authentication_runs_post_login_again_without_counting_a_login() {
    // Arrange
    let idp = idp_with(TELL_ME).await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let pkce = Pkce::new();
    let silent = AuthRequest::spa(&pkce).with("prompt", "none");

    // Act
    let response = browser.authorize(&silent).await;
    let code = query_of(&location(&response))["code"].clone();
    let (status, tokens) = browser.redeem(&code, &pkce.verifier).await;

    // Assert
    assert_eq!(status, 200, "{tokens}");
    let seen = seen_in(tokens["id_token"].as_str().unwrap());
    assert_eq!(seen["protocol"], "oidc-basic-profile");
    assert_eq!(seen["prompt"], "none");
    assert_eq!(
        seen["logins"], 1,
        "silent authentication is not a new login"
    );
}

#[tokio::test]
async fn a_denial_during_silent_authentication_is_access_denied_for_the_sdk() {
    // Arrange: the Action lets the first login through and refuses once the user is flagged.
    let idp = idp_with(
        r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.suspended) api.access.deny("Account suspended");
};"#,
    )
    .await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let alice = idp.user("alice@example.com").unwrap();
    idp.upsert_user(alice.app_metadata("suspended", true));
    let silent = AuthRequest::spa(&Pkce::new())
        .with("prompt", "none")
        .with("response_mode", "web_message");

    // Act
    let response = browser.authorize(&silent).await;

    // Assert
    let html = response.text().await.unwrap();
    assert!(html.contains("access_denied"), "{html}");
    assert!(html.contains("Account suspended"), "{html}");
}

#[tokio::test]
async fn the_implicit_flow_carries_the_actions_claims_in_its_front_channel_tokens() {
    // Arrange
    let idp = idp_with(TELL_ME).await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new())
        .with("response_type", "id_token token")
        .without("code_challenge")
        .without("code_challenge_method");

    // Act
    let response = browser.log_in(&request, "alice@example.com").await;

    // Assert
    let fragment = fragment_of(&location(&response));
    let seen = seen_in(&fragment["id_token"]);
    assert_eq!(seen["protocol"], "oidc-implicit-profile");
    assert_eq!(seen_in(&fragment["access_token"]), seen);
}

#[tokio::test]
async fn event_organization_names_the_organization_the_user_logs_in_through() {
    // Arrange: the default tenant's organization `acme`, with alice as a member, named in
    // the request (which the tenant's settings allow here).
    let idp = MockIdp::builder()
        .organization_names(true)
        .action(Action::new("under-test", Trigger::PostLogin, TELL_ME))
        .start()
        .await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce).with("organization", "acme");

    // Act
    let tokens = browser.tokens(&request, &pkce, "alice@example.com").await;

    // Assert
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["https://x/seen"]["organization"], "acme");
    assert!(id["org_id"].is_string(), "{id}");
}

#[tokio::test]
async fn the_refresh_exchange_runs_post_login_as_oauth2_refresh_token() {
    // Arrange
    let idp = idp_with(TELL_ME).await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    assert_eq!(
        seen_in(first["id_token"].as_str().unwrap())["protocol"],
        "oauth2-password"
    );

    // Act
    let (status, second) = refresh(&idp, first["refresh_token"].as_str().unwrap()).await;

    // Assert
    assert_eq!(status, 200, "{second}");
    let seen = seen_in(second["access_token"].as_str().unwrap());
    assert_eq!(seen["protocol"], "oauth2-refresh-token");
    assert_eq!(seen["logins"], 1, "a refresh is not a login");
    assert_eq!(idp.user("alice@example.com").unwrap().logins_count, 1);
}

#[tokio::test]
async fn a_denial_at_the_refresh_exchange_spends_nothing() {
    // Arrange
    let idp = idp_with(
        r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.transaction.protocol === "oauth2-refresh-token" && event.user.app_metadata.suspended) {
    api.access.deny("Account suspended");
  }
};"#,
    )
    .await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    let token = first["refresh_token"].as_str().unwrap();
    let alice = idp.user("alice@example.com").unwrap();
    idp.upsert_user(alice.clone().app_metadata("suspended", true));

    // Act
    let (status, body) = refresh(&idp, token).await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({ "error": "access_denied", "error_description": "Account suspended" })
    );
    idp.upsert_user(alice.app_metadata("suspended", false));
    let (status, body) = refresh(&idp, token).await;
    assert_eq!(
        status, 200,
        "the refused exchange left the token unspent: {body}"
    );
}

#[tokio::test]
async fn an_action_may_fetch_the_mock_itself() {
    // Arrange: the Action reads the tenant's own discovery document, which the very server
    // running it must answer.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let idp = MockIdp::builder()
        .port(port)
        .action(
            Action::new(
                "self-fetch",
                Trigger::PostLogin,
                r#"
exports.onExecutePostLogin = async (event, api) => {
  const response = await fetch(`${event.secrets.ISSUER}.well-known/openid-configuration`);
  const { issuer } = await response.json();
  api.idToken.setCustomClaim("https://x/issuer", issuer);
};"#,
            )
            .secret("ISSUER", format!("http://localhost:{port}/")),
        )
        .start()
        .await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();

    // Act
    let tokens = browser
        .tokens(&AuthRequest::spa(&pkce), &pkce, "alice@example.com")
        .await;

    // Assert
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["https://x/issuer"],
        idp.issuer()
    );
}
