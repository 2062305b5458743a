use mock_idp::MockIdp;
use serde_json::json;

use crate::helpers::{client, password_grant};

#[tokio::test]
async fn returns_the_profile_for_a_token_issued_with_openid() {
    // Arrange
    let idp = MockIdp::start().await;
    let tokens = password_grant(&idp, "alice@example.com", "openid profile email").await;
    let access = tokens["access_token"].as_str().unwrap();

    // Act
    let get = client()
        .get(idp.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let post = client()
        .post(idp.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(get.status(), 200);
    assert_eq!(post.status(), 200);
    let profile: serde_json::Value = get.json().await.unwrap();
    assert_eq!(profile["sub"], "auth0|alice");
    assert_eq!(profile["email"], "alice@example.com");
    assert_eq!(profile["name"], "Alice Example");
}

#[tokio::test]
async fn refuses_missing_expired_forged_and_api_only_tokens() {
    let idp = MockIdp::start().await;
    let api_only = password_grant(&idp, "alice@example.com", "read:messages").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let userinfo_aud = format!("{}userinfo", idp.issuer());
    let expired = idp.token().audience(userinfo_aud.clone()).expired().sign();
    let forged = idp
        .token()
        .audience(userinfo_aud.clone())
        .signed_by_foreign_key()
        .sign();
    let unsigned = idp.token().audience(userinfo_aud).alg_none().sign();
    for (name, token) in [
        ("expired", Some(expired)),
        ("forged", Some(forged)),
        ("alg none", Some(unsigned)),
        ("api only", Some(api_only)),
        ("missing", None),
    ] {
        let mut request = client().get(idp.url("/userinfo"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{name}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer "),
            "{name}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{name}");
    }
}

#[tokio::test]
async fn a_minted_token_for_userinfo_works_until_the_clock_passes_exp() {
    let idp = MockIdp::start().await;
    let token = idp
        .token()
        .audiences([
            "https://sample-api".to_owned(),
            format!("{}userinfo", idp.issuer()),
        ])
        .scope("openid email")
        .sign();
    let ok = client()
        .get(idp.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.json::<serde_json::Value>().await.unwrap(),
        json!({"sub": "auth0|alice", "email": "alice@example.com", "email_verified": true})
    );

    idp.clock().advance(std::time::Duration::from_secs(86_401));
    let late = client()
        .get(idp.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 401);
}
