use mock_idp::{Algorithm, MockIdp};
use serde_json::Value;

use crate::helpers::client;

#[tokio::test]
async fn discovery_names_the_issuer_with_a_trailing_slash_and_auth0_paths() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let doc: Value = client()
        .get(idp.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let issuer = idp.issuer();
    assert!(issuer.starts_with("http://localhost:") && issuer.ends_with('/'));
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(doc["jwks_uri"], format!("{issuer}.well-known/jwks.json"));
    assert_eq!(doc["token_endpoint"], format!("{issuer}oauth/token"));
    assert_eq!(doc["authorization_endpoint"], format!("{issuer}authorize"));
    assert!(
        doc["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"RS256".into())
    );
    assert!(
        doc["response_modes_supported"]
            .as_array()
            .unwrap()
            .contains(&"web_message".into())
    );
}

#[tokio::test]
async fn jwks_publishes_every_active_key_with_kid_use_and_alg() {
    // Arrange
    let idp = MockIdp::start().await;
    let first = idp.active_kid();
    let second = idp.rotate_keys();

    // Act
    let jwks: Value = client()
        .get(idp.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let keys = jwks["keys"].as_array().unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [second.as_str(), first.as_str()], "newest first");
    for key in keys {
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], "RS256");
        assert!(key["n"].as_str().unwrap().len() > 300);
        assert_eq!(key["e"], "AQAB");
        assert!(key.get("d").is_none(), "no private material");
    }
}

#[tokio::test]
async fn retired_keys_leave_the_jwks() {
    let idp = MockIdp::start().await;
    let old = idp.active_kid();
    idp.rotate_keys();

    assert_eq!(idp.retire_keys(), 1);

    let kids: Vec<String> = idp.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!kids.contains(&old));
    assert_eq!(kids.len(), 1);
}

#[tokio::test]
async fn es256_and_ps256_tenants_publish_matching_keys_and_sign_with_them() {
    for (alg, kty) in [(Algorithm::ES256, "EC"), (Algorithm::PS256, "RSA")] {
        let idp = MockIdp::builder().signing_alg(alg).start().await;
        let key = &idp.jwks()["keys"][0];
        assert_eq!(key["kty"], kty);
        assert_eq!(key["alg"], alg.as_str());
        let token = crate::helpers::client_credentials(&idp).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(crate::helpers::header(&token)["alg"], alg.as_str());
    }
}

#[tokio::test]
async fn fresh_keys_differ_between_mocks_while_default_keys_are_shared() {
    let a = MockIdp::start().await;
    let b = MockIdp::start().await;
    let c = MockIdp::builder().fresh_keys().start().await;
    assert_eq!(a.active_kid(), b.active_kid());
    assert_ne!(a.active_kid(), c.active_kid());
}

#[tokio::test]
async fn health_answers_ok() {
    let idp = MockIdp::start().await;
    let response = client().get(idp.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn discovery_and_jwks_allow_any_origin() {
    let idp = MockIdp::start().await;
    let response = client()
        .get(idp.url("/.well-known/jwks.json"))
        .header("origin", "https://anywhere.test")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}
