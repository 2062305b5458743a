//! Access tokens requested without an audience: opaque strings, as Auth0 issues them, that only
//! `/userinfo` accepts, until they expire on the mock clock or are revoked.

use std::time::Duration;

use mock_idp::MockIdp;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    API, AuthRequest, Browser, Pkce, SPA, claims, fragment_of, location, query_of, token_form,
};

async fn password_without_audience(idp: &MockIdp, scope: &str) -> Value {
    let (status, body) = token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", SPA),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn is_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

#[tokio::test]
async fn a_token_requested_without_an_audience_is_an_opaque_string_that_userinfo_accepts() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let tokens = password_without_audience(&idp, "openid profile email").await;
    let access = tokens["access_token"].as_str().unwrap();

    // Act
    let response = browser.userinfo(access).await;

    // Assert
    assert!(!access.contains('.'), "not a JWT: {access}");
    assert!(access.len() >= 32, "unguessable: {access}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        is_jwt(tokens["id_token"].as_str().unwrap()),
        "the ID token stays a JWT"
    );
    assert_eq!(response.status(), StatusCode::OK);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["sub"], "auth0|alice");
    assert_eq!(profile["email"], "alice@example.com");
}

#[tokio::test]
async fn the_code_flow_without_an_audience_gets_an_opaque_token_and_with_one_a_jwt() {
    // Arrange
    let idp = MockIdp::start().await;
    let (browser, other_browser) = (Browser::new(&idp), Browser::new(&idp));
    let without = Pkce::new();
    let with = Pkce::new();

    // Act
    let opaque = browser
        .tokens(
            &AuthRequest::spa(&without).without("audience"),
            &without,
            "alice@example.com",
        )
        .await;
    let jwt = other_browser
        .tokens(&AuthRequest::spa(&with), &with, "alice@example.com")
        .await;

    // Assert
    assert!(!is_jwt(opaque["access_token"].as_str().unwrap()));
    assert_eq!(claims(jwt["access_token"].as_str().unwrap())["aud"][0], API);
}

#[tokio::test]
async fn the_tenants_default_audience_makes_it_a_jwt() {
    // Arrange
    let idp = MockIdp::builder().default_audience(API).start().await;

    // Act
    let tokens = password_without_audience(&idp, "openid").await;

    // Assert
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["aud"][0], API);
    assert_eq!(access["aud"][1], format!("{}userinfo", idp.issuer()));
}

#[tokio::test]
async fn an_implicit_token_without_an_audience_is_opaque_too() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let request = AuthRequest::spa(&Pkce::new())
        .without("audience")
        .with("response_type", "token");

    // Act
    let params = fragment_of(&location(&browser.authorize(&request).await));
    let response = browser.userinfo(&params["access_token"]).await;

    // Assert
    assert!(!is_jwt(&params["access_token"]));
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refreshed_token_without_an_audience_stays_opaque_and_works() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let first = password_without_audience(&idp, "openid offline_access").await;

    // Act
    let (status, refreshed) = browser
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ])
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let access = refreshed["access_token"].as_str().unwrap();
    assert!(!is_jwt(access));
    assert_ne!(access, first["access_token"].as_str().unwrap());
    assert_eq!(browser.userinfo(access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_opaque_token_is_refused_at_userinfo_once_it_expires_on_the_mock_clock() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let tokens = password_without_audience(&idp, "openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let lifetime = tokens["expires_in"].as_u64().unwrap();
    idp.clock().advance(Duration::from_secs(lifetime - 1));
    let before = browser.userinfo(access).await.status();

    // Act
    idp.clock().advance(Duration::from_secs(1));
    let after = browser.userinfo(access).await;

    // Assert
    assert_eq!(before, StatusCode::OK);
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn an_opaque_token_is_revoked_with_what_its_code_bought_when_the_code_is_replayed() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce)
        .without("audience")
        .with("scope", "openid offline_access");
    let code = query_of(&location(
        &browser.log_in(&request, "alice@example.com").await,
    ))["code"]
        .clone();
    let (_, tokens) = browser.redeem(&code, &pkce.verifier).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(browser.userinfo(access).await.status(), StatusCode::OK);

    // Act
    let (replay, _) = browser.redeem(&code, &pkce.verifier).await;
    let response = browser.userinfo(access).await;

    // Assert
    assert_eq!(replay, StatusCode::FORBIDDEN);
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_description"], "The token has been revoked");
}

#[tokio::test]
async fn an_opaque_string_the_mock_never_issued_is_refused_at_userinfo() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);

    // Act
    let response = browser.userinfo("8dGk2rJ0nQ1xWvYp8dGk2rJ0nQ1xWvYp").await;

    // Assert
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn a_reset_forgets_the_opaque_tokens() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let tokens = password_without_audience(&idp, "openid").await;

    // Act
    idp.reset();

    // Assert
    let response = browser
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_inspector_lists_an_opaque_token_with_its_expiry() {
    // Arrange: a frozen clock, so `now` below is the issuance's second too.
    let idp = MockIdp::builder().deterministic().start().await;
    let tokens = password_without_audience(&idp, "openid").await;

    // Act
    let listed: Value = reqwest::get(idp.url("/_mock/tokens"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let access = &listed["tokens"][0];
    assert_eq!(access["token"], tokens["access_token"]);
    assert_eq!(
        access["expires_at"],
        listed["now"].as_i64().unwrap() + tokens["expires_in"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn a_token_response_without_an_audience_in_deterministic_mode() {
    // Arrange
    let idp = MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .start()
        .await;

    // Act
    let body = password_without_audience(&idp, "openid profile").await;

    // Assert
    insta::assert_json_snapshot!("opaque_token_response", body, { ".id_token" => "[jwt]" });
}
