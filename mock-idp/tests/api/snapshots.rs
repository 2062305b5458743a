//! Deterministic mode: the same requests give byte-identical output, so protocol artefacts are
//! pinned as insta snapshots. Review changes with `cargo insta review`.

use mock_idp::MockIdp;
use serde_json::Value;

use crate::helpers::{claims, client, header, password_grant, token_form};

async fn deterministic() -> MockIdp {
    MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .start()
        .await
}

async fn get(idp: &MockIdp, path: &str) -> Value {
    client()
        .get(idp.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_document() {
    let idp = deterministic().await;
    insta::assert_json_snapshot!(
        "discovery",
        get(&idp, "/.well-known/openid-configuration").await
    );
}

#[tokio::test]
async fn jwks_document() {
    let idp = deterministic().await;
    insta::assert_json_snapshot!("jwks", get(&idp, "/.well-known/jwks.json").await);
}

#[tokio::test]
async fn client_credentials_token() {
    let idp = deterministic().await;
    let body = crate::helpers::client_credentials(&idp).await;
    let token = body["access_token"].as_str().unwrap();
    insta::assert_json_snapshot!("client_credentials_response", body, { ".access_token" => "[jwt]" });
    insta::assert_json_snapshot!("client_credentials_access_token_header", header(token));
    insta::assert_json_snapshot!("client_credentials_access_token_claims", claims(token));
}

#[tokio::test]
async fn password_grant_tokens() {
    let idp = deterministic().await;
    let body = password_grant(
        &idp,
        "alice@example.com",
        "openid profile email read:messages offline_access",
    )
    .await;
    insta::assert_json_snapshot!("password_response", body, {
        ".access_token" => "[jwt]", ".id_token" => "[jwt]"
    });
    insta::assert_json_snapshot!(
        "password_access_token_claims",
        claims(body["access_token"].as_str().unwrap())
    );
    insta::assert_json_snapshot!(
        "password_id_token_claims",
        claims(body["id_token"].as_str().unwrap())
    );
}

#[tokio::test]
async fn refreshed_tokens() {
    let idp = deterministic().await;
    let first = password_grant(
        &idp,
        "alice@example.com",
        "openid profile offline_access read:messages",
    )
    .await;
    idp.clock().advance(std::time::Duration::from_secs(60));
    let (_, body) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    insta::assert_json_snapshot!("refresh_response", body, { ".access_token" => "[jwt]", ".id_token" => "[jwt]" });
    insta::assert_json_snapshot!(
        "refresh_access_token_claims",
        claims(body["access_token"].as_str().unwrap())
    );
}

#[tokio::test]
async fn minted_tokens_are_byte_identical_across_mocks() {
    // Two separate mocks, same requests: the very same bytes (RS256 signatures are
    // deterministic, and so are the clock and the ids).
    let a = deterministic().await;
    let b = deterministic().await;
    assert_eq!(
        a.token().scope("read:messages").sign(),
        b.token().scope("read:messages").sign()
    );
    let ta = crate::helpers::client_credentials(&a).await;
    let tb = crate::helpers::client_credentials(&b).await;
    assert_eq!(ta, tb);
    insta::assert_snapshot!("minted_access_token_compact", a.token().sign());
}
