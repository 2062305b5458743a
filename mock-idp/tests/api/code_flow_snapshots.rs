//! Snapshots of what the code flow hands an application, in deterministic mode (embedded
//! keys, frozen clock, sequential ids, pinned issuer), so any change to a claim shows up in
//! review.

use mock_idp::MockIdp;

use crate::helpers::{AuthRequest, Browser, Pkce, claims};

async fn deterministic_idp() -> MockIdp {
    MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .start()
        .await
}

/// RFC 7636 appendix B's verifier, so the request is the same on every run.
fn fixed_pkce() -> Pkce {
    Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into())
}

#[tokio::test]
async fn the_code_flow_token_response_has_auth0s_shape() {
    // Arrange
    let idp = deterministic_idp().await;
    let browser = Browser::new(&idp);
    let pkce = fixed_pkce();
    let request = AuthRequest::spa(&pkce).with("scope", "openid profile email offline_access");

    // Act
    let body = browser.tokens(&request, &pkce, "alice@example.com").await;

    // Assert
    insta::assert_json_snapshot!(body, {
        ".access_token" => "[jwt]",
        ".id_token" => "[jwt]",
    });
}

#[tokio::test]
async fn the_code_flow_id_and_access_token_claims() {
    // Arrange
    let idp = deterministic_idp().await;
    let browser = Browser::new(&idp);
    let pkce = fixed_pkce();
    let request = AuthRequest::spa(&pkce).with("scope", "openid profile email read:messages");

    // Act
    let body = browser.tokens(&request, &pkce, "alice@example.com").await;

    // Assert
    insta::assert_json_snapshot!(
        "id_token_claims",
        claims(body["id_token"].as_str().unwrap())
    );
    insta::assert_json_snapshot!(
        "access_token_claims",
        claims(body["access_token"].as_str().unwrap())
    );
}

#[tokio::test]
async fn the_code_flow_is_byte_identical_across_runs() {
    // Arrange: two fresh mocks, the same requests.
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let idp = deterministic_idp().await;
        let browser = Browser::new(&idp);
        let pkce = fixed_pkce();

        // Act
        tokens.push(
            browser
                .tokens(&AuthRequest::spa(&pkce), &pkce, "alice@example.com")
                .await,
        );
    }

    // Assert
    assert_eq!(tokens[0], tokens[1]);
}
