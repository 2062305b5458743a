//! The whole chain over real HTTP: mock-idp issues, sample-api validates. What the API
//! decides from a token alone (attack tokens, missing credentials) is tested once, in
//! `sample-api/tests/api/`, with the same mock.

use std::time::Duration;

use integration_tests::{API, Stack};
use mock_idp::{Api, Client, MockIdp};
use serde_json::json;

const VALIDATED: &str = "Your access token was successfully validated!";

#[tokio::test]
async fn a_token_for_the_right_audience_is_accepted() {
    // Arrange
    let stack = Stack::start().await;
    let token = stack.m2m_token(API).await;

    // Act
    let answer = stack.call("/api/external", Some(&token)).await;

    // Assert
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({"msg": VALIDATED}));
}

#[tokio::test]
async fn a_token_for_another_audience_is_rejected() {
    // Arrange: the same tenant also has another API the M2M client may call.
    let idp = MockIdp::builder()
        .api(Api::new("https://other-api").permissions(["read:other"]))
        .client(
            Client::m2m("sample-m2m", "sample-m2m-secret")
                .grant("https://other-api", ["read:other"]),
        )
        .start()
        .await;
    let stack = Stack::with_idp(idp).await;
    let token = stack.m2m_token("https://other-api").await;

    // Act
    let answer = stack.call("/api/external", Some(&token)).await;

    // Assert
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .challenge
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    assert_eq!(answer.body["error"], "invalid_token");
}

#[tokio::test]
async fn a_user_without_the_permission_is_forbidden_the_scoped_route() {
    let stack = Stack::start().await;
    let alice = stack.user_token("alice@example.com").await;
    let bob = stack.user_token("bob@example.com").await;

    let allowed = stack.call("/api/private-scoped", Some(&alice)).await;
    let forbidden = stack.call("/api/private-scoped", Some(&bob)).await;

    assert_eq!(allowed.status, 200);
    assert_eq!(forbidden.status, 403);
    let challenge = forbidden.challenge.unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"read:messages\""), "{challenge}");
    assert_eq!(
        stack.call("/api/private", Some(&bob)).await.status,
        200,
        "bob may still call the unscoped route"
    );
}

#[tokio::test]
async fn a_token_issued_before_the_clock_moved_past_its_expiry_is_rejected() {
    // Arrange: the mock's clock stands two days back, so what it issues has already expired.
    let stack = Stack::start().await;
    stack.idp().clock().advance_secs(-2 * 86_400);
    let token = stack.user_token("alice@example.com").await;

    // Act
    let answer = stack.call("/api/external", Some(&token)).await;

    // Assert
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["error"], "invalid_token");
}

#[tokio::test]
async fn key_rotation_mid_run_keeps_old_and_new_tokens_working() {
    // Arrange
    let stack = Stack::start().await;
    let before = stack.user_token("alice@example.com").await;
    assert_eq!(stack.call("/api/external", Some(&before)).await.status, 200);

    // Act: the IdP rotates; the API may refetch once its cool-down has passed.
    stack.idp().rotate_keys();
    stack.api_clock.advance(Duration::from_secs(31));
    let after = stack.user_token("alice@example.com").await;

    // Assert
    assert_eq!(
        stack.call("/api/external", Some(&after)).await.status,
        200,
        "new kid"
    );
    assert_eq!(
        stack.call("/api/external", Some(&before)).await.status,
        200,
        "old kid still published"
    );
}

#[tokio::test]
async fn with_the_idp_down_cached_keys_keep_the_api_answering() {
    // Arrange: the API has fetched the keys once.
    let mut stack = Stack::start().await;
    let token = stack.user_token("alice@example.com").await;
    let forged_kid = stack.idp().token().unknown_kid().sign();
    assert_eq!(stack.call("/api/external", Some(&token)).await.status, 200);

    // Act
    stack.stop_idp().await;
    stack.api_clock.advance(Duration::from_secs(31));

    // Assert
    assert_eq!(stack.call("/api/external", Some(&token)).await.status, 200);
    let unknown = stack.call("/api/external", Some(&forged_kid)).await;
    assert!(
        matches!(unknown.status, 401 | 503),
        "never accepted: {}",
        unknown.status
    );
}

#[tokio::test]
async fn an_opaque_token_from_a_request_without_an_audience_is_rejected_by_the_api() {
    // Arrange: the production bug of a forgotten audience; the token still works at /userinfo.
    let stack = Stack::start().await;
    let token = stack
        .token(&[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("scope", "openid profile email read:messages"),
        ])
        .await;
    let userinfo = reqwest::Client::new()
        .get(stack.idp().url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    // Act
    let answer = stack.call("/api/private", Some(&token)).await;

    // Assert
    assert_eq!(userinfo.status(), 200);
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["error"], "invalid_token");
}

#[tokio::test]
async fn the_admin_route_admits_the_role_a_post_login_action_puts_in_the_token() {
    // Arrange: Auth0's "add user roles to tokens" Action, unchanged but for the namespace the
    // API reads; alice holds `admin`, bob nothing.
    let idp = MockIdp::builder()
        .user(mock_idp::User::new("alice@example.com").roles(["admin"]))
        .action(mock_idp::Action::new(
            "add-roles",
            mock_idp::Trigger::PostLogin,
            r#"
exports.onExecutePostLogin = async (event, api) => {
  const namespace = "https://sample-api";
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};"#,
        ))
        .start()
        .await;
    let stack = Stack::with_idp(idp).await;
    let alice = stack.user_token("alice@example.com").await;
    let bob = stack.user_token("bob@example.com").await;

    // Act
    let admitted = stack.call("/api/admin", Some(&alice)).await;
    let refused = stack.call("/api/admin", Some(&bob)).await;

    // Assert
    assert_eq!(admitted.status, 200, "{}", admitted.body);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"], "insufficient_role");
    assert!(
        refused
            .challenge
            .unwrap()
            .contains("error=\"insufficient_role\"")
    );
}
