//! The tutorial's routes with tokens from the in-process mock IdP, minted directly and
//! obtained over HTTP the way clients get them.

use serde_json::{Value, json};

use crate::helpers::{assert_invalid_token, describe, spawn_app};

#[tokio::test]
async fn accepts_a_token_minted_by_the_mock() {
    // Arrange
    let app = spawn_app().await;
    let token = app
        .idp
        .token()
        .subject("auth0|alice")
        .audience("https://sample-api")
        .sign();

    // Act
    let response = app.get_with_token("/api/external", &token).await;

    // Assert
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"msg": "Your access token was successfully validated!"})
    );
}

#[tokio::test]
async fn accepts_a_client_credentials_token_on_every_protected_route() {
    // Arrange
    let app = spawn_app().await;
    let token = app
        .token_from_idp(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", "https://sample-api"),
        ])
        .await;

    for path in ["/api/external", "/api/private", "/api/private-scoped"] {
        // Act
        let response = app.get_with_token(path, &token).await;
        // Assert
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn accepts_alices_password_grant_token_with_its_array_audience() {
    // Arrange: `openid` + audience gives aud = [api, userinfo], the Auth0 shape
    let app = spawn_app().await;
    let token = app
        .token_from_idp(&[
            ("grant_type", "password"),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("client_id", "sample-spa"),
            ("audience", "https://sample-api"),
            ("scope", "openid read:messages"),
        ])
        .await;

    // Act
    let response = app.get_with_token("/api/private-scoped", &token).await;

    // Assert
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn refuses_bob_the_scoped_route_but_not_the_private_one() {
    // Arrange: bob has no permissions
    let app = spawn_app().await;
    let token = app
        .token_from_idp(&[
            ("grant_type", "password"),
            ("username", "bob@example.com"),
            ("password", "password"),
            ("client_id", "sample-spa"),
            ("audience", "https://sample-api"),
            ("scope", "openid"),
        ])
        .await;

    // Act
    let private = app.get_with_token("/api/private", &token).await;
    let scoped = app.get_with_token("/api/private-scoped", &token).await;

    // Assert
    assert_eq!(private.status(), 200);
    let d = describe(scoped).await;
    assert_eq!(d["status"], 403, "{d:#}");
    assert_eq!(d["cache-control"], "no-store");
}

#[tokio::test]
async fn accepts_an_audience_array_that_contains_the_api() {
    let app = spawn_app().await;
    let userinfo = app.idp.url("/userinfo");
    let token = app
        .idp
        .token()
        .audiences(["https://sample-api", userinfo.as_str()])
        .sign();
    assert_eq!(app.status("/api/private", &token).await, 200);
}

#[tokio::test]
async fn grants_the_scoped_route_through_scope_or_permissions() {
    let app = spawn_app().await;
    for token in [
        app.idp.token().scope("read:messages").sign(),
        app.idp.token().scope("read:messages write:messages").sign(),
        app.idp.token().scope("write:messages read:messages").sign(),
        app.idp.token().permissions(["read:messages"]).sign(),
    ] {
        assert_eq!(app.status("/api/private-scoped", &token).await, 200);
    }
}

#[tokio::test]
async fn answers_insufficient_scope_for_near_misses() {
    let app = spawn_app().await;
    let tokens = [
        app.idp.token().sign(),
        app.idp.token().scope("write:messages").sign(),
        app.idp.token().scope("read:messagesX").sign(),
        app.idp.token().scope("READ:messages").sign(),
        app.idp.token().scope("read:messages,write").sign(),
        app.idp.token().permissions(["read:messagesX"]).sign(),
    ];
    for token in tokens {
        let d = describe(app.get_with_token("/api/private-scoped", &token).await).await;
        assert_eq!(d["status"], 403, "{d:#}");
        assert_eq!(
            d["www-authenticate"],
            "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"insufficient scope\", scope=\"read:messages\""
        );
    }
}

#[tokio::test]
async fn authentication_errors_come_before_authorization() {
    let app = spawn_app().await;
    let token = app.idp.token().scope("write:messages").expired().sign();
    assert_invalid_token(
        app.get_with_token("/api/private-scoped", &token).await,
        "token expired",
    )
    .await;
}

#[tokio::test]
async fn the_admin_route_requires_admin_in_the_namespaced_roles_claim() {
    // Arrange
    let app = spawn_app().await;
    let with_roles = |roles: Value| {
        app.idp
            .token()
            .subject("auth0|alice")
            .audience("https://sample-api")
            .claim("https://sample-api/roles", roles)
            .sign()
    };
    let admin = with_roles(json!(["editor", "admin"]));
    let editor = with_roles(json!(["editor"]));
    let not_namespaced = app
        .idp
        .token()
        .subject("auth0|alice")
        .audience("https://sample-api")
        .claim("roles", json!(["admin"]))
        .sign();
    let wrong_case = with_roles(json!(["Admin"]));

    // Act
    let admitted = app.get_with_token("/api/admin", &admin).await;

    // Assert
    assert_eq!(admitted.status(), 200);
    for token in [&editor, &not_namespaced, &wrong_case] {
        let refused = app.get_with_token("/api/admin", token).await;
        assert_eq!(refused.status(), 403);
        let challenge = refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains("insufficient_role"), "{challenge}");
    }
    let anonymous = describe(app.get("/api/admin").await).await;
    assert_eq!(
        anonymous["status"], 401,
        "no token is 401, before any role check"
    );
}

#[tokio::test]
async fn a_roles_claim_of_the_wrong_type_is_an_invalid_token() {
    // Arrange
    let app = spawn_app().await;
    let token = app
        .idp
        .token()
        .subject("auth0|alice")
        .audience("https://sample-api")
        .claim("https://sample-api/roles", "admin")
        .sign();

    // Act
    let response = app.get_with_token("/api/admin", &token).await;

    // Assert
    assert_invalid_token(response, "missing or invalid claims").await;
}
