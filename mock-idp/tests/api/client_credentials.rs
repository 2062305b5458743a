use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mock_idp::{Api, Client, MockIdp};

use crate::helpers::{API, claims, client, client_credentials, header, token_form};

#[tokio::test]
async fn issues_an_auth0_shaped_m2m_token() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let body = client_credentials(&idp).await;

    // Assert
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["scope"], "read:messages");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let h = header(token);
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["typ"], "JWT");
    assert_eq!(h["kid"], idp.active_kid());
    let c = claims(token);
    assert_eq!(c["iss"], idp.issuer());
    assert_eq!(c["sub"], "sample-m2m@clients");
    assert_eq!(c["aud"], API);
    assert_eq!(c["azp"], "sample-m2m");
    assert_eq!(c["gty"], "client-credentials");
    assert_eq!(c["permissions"], serde_json::json!(["read:messages"]));
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        86_400,
        "exp matches expires_in"
    );
}

#[tokio::test]
async fn accepts_client_secret_basic() {
    let idp = MockIdp::start().await;
    let response = client()
        .post(idp.url("/oauth/token"))
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode("sample-m2m:sample-m2m-secret")),
        )
        .form(&[("grant_type", "client_credentials"), ("audience", API)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn accepts_a_json_body() {
    let idp = MockIdp::start().await;
    let response = client()
        .post(idp.url("/oauth/token"))
        .json(&serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": "sample-m2m",
            "client_secret": "sample-m2m-secret",
            "audience": API,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_requested_subset_of_the_granted_scopes_is_honoured() {
    let idp = MockIdp::builder()
        .api(Api::new("https://orders").permissions(["read:orders", "write:orders"]))
        .client(Client::m2m("worker", "s").grant("https://orders", ["read:orders", "write:orders"]))
        .start()
        .await;
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "worker"),
            ("client_secret", "s"),
            ("audience", "https://orders"),
            ("scope", "write:orders"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "write:orders");
    assert!(
        claims(body["access_token"].as_str().unwrap())
            .get("permissions")
            .is_none(),
        "RBAC off: no permissions claim"
    );
}

#[tokio::test]
async fn custom_client_claims_are_added() {
    let idp = MockIdp::builder()
        .client(
            Client::m2m("worker", "s")
                .grant(API, ["read:messages"])
                .claim("https://example.com/tenant", "acme"),
        )
        .start()
        .await;
    let (_, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "worker"),
            ("client_secret", "s"),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["https://example.com/tenant"],
        "acme"
    );
}

#[tokio::test]
async fn an_hs256_api_gets_tokens_signed_with_its_secret() {
    let idp = MockIdp::builder()
        .api(Api::new("https://legacy").hs256("legacy-secret"))
        .client(Client::m2m("worker", "s").grant("https://legacy", Vec::<String>::new()))
        .start()
        .await;
    let (_, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "worker"),
            ("client_secret", "s"),
            ("audience", "https://legacy"),
        ],
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&["https://legacy"]);
    let decoded = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(b"legacy-secret").unwrap(),
        &validation,
    );
    assert!(decoded.is_ok(), "{decoded:?}");
}
