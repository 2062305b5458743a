//! IdP failures the mock does not model by itself, served by wiremock in front of it.

use std::time::Duration;

use integration_tests::Stack;
use mock_idp::{Endpoint, MockIdp};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_jwks_answering_html_gives_503_with_retry_after_not_401() {
    // Arrange: the API trusts the mock's issuer, but its JWKS comes from a broken server.
    let idp = MockIdp::start().await;
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"))
        .expect(1..)
        .mount(&broken)
        .await;
    let settings = sample_api::configuration::Settings {
        port: 0,
        issuer_base_url: idp.issuer().to_owned(),
        jwks_uri: Some(format!("{}/jwks.json", broken.uri())),
        ..Default::default()
    };
    let api = sample_api::startup::Application::build(settings)
        .await
        .unwrap()
        .spawn();
    let url = format!("http://{}/api/external", api.address());
    let token = idp.token().sign();

    // Act
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_failing_jwks_during_a_cold_start_recovers_once_the_idp_answers() {
    // Arrange: the mock's JWKS fails while the API first needs it.
    let idp = MockIdp::start().await;
    idp.fault(Endpoint::Jwks).status(503).install();
    let stack = Stack::with_idp(idp).await;
    let token = stack.user_token("alice@example.com").await;

    // Act / Assert
    let during = stack.call("/api/external", Some(&token)).await;
    assert_eq!(during.status, 503);
    stack.idp().clear_faults();
    stack.api_clock.advance(Duration::from_secs(31));
    let after = stack.call("/api/external", Some(&token)).await;
    assert_eq!(after.status, 200);
}

#[tokio::test]
async fn rejections_across_the_stack_read_the_same_as_in_rfc_6750() {
    let stack = Stack::start().await;
    let bob = stack.user_token("bob@example.com").await;
    let expired = stack.idp().token().expired().sign();
    let mut answers = serde_json::Map::new();
    for (name, path, token) in [
        ("no_token", "/api/external", None),
        ("expired", "/api/external", Some(expired.as_str())),
        (
            "missing_permission",
            "/api/private-scoped",
            Some(bob.as_str()),
        ),
    ] {
        let answer = stack.call(path, token).await;
        answers.insert(
            name.into(),
            json!({"status": answer.status, "www-authenticate": answer.challenge, "body": answer.body}),
        );
    }
    insta::assert_json_snapshot!("rejections", answers);
}
