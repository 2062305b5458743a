use mock_idp::{MockIdp, User};
use serde_json::json;

use crate::helpers::{API, claims, password_grant, token_form};

#[tokio::test]
async fn alice_gets_an_access_token_with_her_permissions_and_an_id_token() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let body = password_grant(
        &idp,
        "alice@example.com",
        "openid profile email read:messages",
    )
    .await;

    // Assert
    assert_eq!(body["scope"], "openid profile email read:messages");
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], "auth0|alice");
    assert_eq!(
        access["aud"],
        json!([API, format!("{}userinfo", idp.issuer())])
    );
    assert_eq!(access["azp"], "sample-spa");
    assert_eq!(access["permissions"], json!(["read:messages"]));
    assert_eq!(access["gty"], "password");
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], "sample-spa", "aud is the client id, as a string");
    assert_eq!(id["iss"], idp.issuer());
    assert_eq!(id["name"], "Alice Example");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert!(id["picture"].as_str().unwrap().starts_with(idp.issuer()));
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        36_000
    );
}

#[tokio::test]
async fn rbac_drops_api_scopes_the_user_does_not_hold() {
    let idp = MockIdp::start().await;

    let body = password_grant(&idp, "bob@example.com", "openid read:messages").await;

    assert_eq!(body["scope"], "openid");
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["permissions"], json!([]));
}

#[tokio::test]
async fn without_openid_there_is_no_id_token_and_aud_is_a_string() {
    let idp = MockIdp::start().await;
    let body = password_grant(&idp, "alice@example.com", "read:messages").await;
    assert!(body.get("id_token").is_none());
    assert_eq!(claims(body["access_token"].as_str().unwrap())["aud"], API);
}

#[tokio::test]
async fn profile_and_email_claims_follow_the_scope() {
    let idp = MockIdp::start().await;
    let body = password_grant(&idp, "alice@example.com", "openid email").await;
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "alice@example.com");
    assert!(id.get("name").is_none(), "no profile scope, no name");
}

#[tokio::test]
async fn offline_access_brings_a_refresh_token() {
    let idp = MockIdp::start().await;
    let body = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
}

#[tokio::test]
async fn the_password_realm_grant_needs_auth0s_database_connection() {
    let idp = MockIdp::start().await;
    let grant = "http://auth0.com/oauth/grant-type/password-realm";
    let base = [
        ("grant_type", grant),
        ("client_id", "sample-spa"),
        ("username", "alice@example.com"),
        ("password", "password"),
        ("audience", API),
    ];
    let mut ok = base.to_vec();
    ok.push(("realm", "Username-Password-Authentication"));
    let (status, _) = token_form(&idp, &ok).await;
    assert_eq!(status, 200);

    let mut wrong = base.to_vec();
    wrong.push(("realm", "google-oauth2"));
    let (status, body) = token_form(&idp, &wrong).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn custom_user_claims_reach_both_tokens() {
    let idp = MockIdp::builder()
        .user(User::new("carol@example.com").claim("https://example.com/roles", json!(["admin"])))
        .start()
        .await;
    let body = password_grant(&idp, "carol@example.com", "openid").await;
    for token in ["access_token", "id_token"] {
        let c = claims(body[token].as_str().unwrap());
        assert_eq!(c["https://example.com/roles"], json!(["admin"]), "{token}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_auth0s_invalid_grant() {
    let idp = MockIdp::start().await;
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Wrong email or password."})
    );
}

#[tokio::test]
async fn a_blocked_user_is_told_so() {
    let idp = MockIdp::builder()
        .user(User::new("eve@example.com").blocked(true))
        .start()
        .await;
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "eve@example.com"),
            ("password", "password"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (401, Some("user is blocked"))
    );
}
