//! Issuers behind port mapping and under two hostnames: `POST /_mock/issuer`, and discovery
//! URLs that follow the request while `issuer` stays pinned. The same cases with real
//! containers are in `tests/tests/container/`.

use mock_idp::{DiscoveryUrls, MockIdp};
use serde_json::{Value, json};

use crate::helpers::{claims, client, client_credentials};

async fn set_issuer(idp: &MockIdp, body: Value) -> (u16, Value) {
    let response = client()
        .post(idp.url("/_mock/issuer"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn discovery(idp: &MockIdp, host: Option<&str>, forwarded: &[(&str, &str)]) -> Value {
    let mut request = client().get(idp.url("/.well-known/openid-configuration"));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    for (name, value) in forwarded {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn post_mock_issuer_changes_the_iss_of_new_tokens_and_the_discovery_document() {
    // Arrange: a container published on host port 49153, which it cannot know by itself.
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = set_issuer(&idp, json!({"issuer": "http://localhost:49153"})).await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(body["issuer"], "http://localhost:49153/", "normalised");
    assert_eq!(idp.issuer(), "http://localhost:49153/");
    let token = client_credentials(&idp).await;
    assert_eq!(
        claims(token["access_token"].as_str().unwrap())["iss"],
        "http://localhost:49153/"
    );
    let doc = discovery(&idp, None, &[]).await;
    assert_eq!(doc["issuer"], "http://localhost:49153/");
    assert_eq!(
        doc["jwks_uri"],
        "http://localhost:49153/.well-known/jwks.json"
    );
    let current: Value = client()
        .get(idp.url("/_mock/issuer"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["issuer"], "http://localhost:49153/");
}

#[tokio::test]
async fn reset_keeps_an_issuer_set_over_the_control_api() {
    // Arrange: suites reset between tests; the issuer says how the mock is reached.
    let idp = MockIdp::start().await;
    set_issuer(&idp, json!({"issuer": "http://localhost:49153/"})).await;

    // Act
    let reset = client()
        .post(idp.url("/_mock/reset"))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();

    // Assert
    assert!(reset.status().is_success());
    assert_eq!(idp.issuer(), "http://localhost:49153/");
}

#[tokio::test]
async fn an_unusable_issuer_is_a_400_that_changes_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let before = idp.issuer().to_owned();

    for body in [
        json!({"issuer": "localhost:49153"}),
        json!({"issuer": "http://localhost:49153/?x=1"}),
        json!({"issuer": 42}),
        json!({"iss": "http://localhost:1/"}),
    ] {
        // Act
        let (status, error) = set_issuer(&idp, body.clone()).await;

        // Assert
        assert_eq!(status, 400, "{body}");
        assert_eq!(error["error"], "invalid_request", "{body}");
        assert!(error["error_description"].is_string(), "{body}");
    }
    assert_eq!(idp.issuer(), before);
}

#[tokio::test]
async fn the_issuer_control_call_answers_only_the_developers_own_tools() {
    // Arrange
    let idp = MockIdp::start().await;
    let http = client();

    // Act
    let from_a_page = http
        .post(idp.url("/_mock/issuer"))
        .header("content-type", "text/plain")
        .body(r#"{"issuer":"http://evil.test/"}"#)
        .send()
        .await
        .unwrap();
    let rebound = http
        .post(idp.url("/_mock/issuer"))
        .header("host", "evil.test")
        .json(&json!({"issuer": "http://evil.test/"}))
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(from_a_page.status(), 403);
    assert_eq!(rebound.status(), 403);
    assert_eq!(
        idp.issuer(),
        format!("http://localhost:{}/", idp.address().port())
    );
}

#[tokio::test]
async fn with_request_discovery_urls_a_backend_gets_endpoints_under_its_own_name_and_the_same_issuer()
 {
    // Arrange: compose; the browser uses localhost:4000, the backend `idp:4000`.
    let idp = MockIdp::builder()
        .issuer("http://localhost:4000/")
        .discovery_urls(DiscoveryUrls::Request)
        .start()
        .await;

    // Act
    let backend = discovery(&idp, Some("idp:4000"), &[]).await;
    let browser = discovery(&idp, Some("localhost:4000"), &[]).await;
    let proxied = discovery(
        &idp,
        Some("idp:4000"),
        &[
            ("x-forwarded-host", "login.example.test"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await;
    let bogus = discovery(&idp, Some("evil.test/x?"), &[]).await;

    // Assert
    for doc in [&backend, &browser, &proxied, &bogus] {
        assert_eq!(doc["issuer"], "http://localhost:4000/");
    }
    assert_eq!(backend["jwks_uri"], "http://idp:4000/.well-known/jwks.json");
    assert_eq!(backend["token_endpoint"], "http://idp:4000/oauth/token");
    assert_eq!(
        browser["authorization_endpoint"],
        "http://localhost:4000/authorize"
    );
    assert_eq!(
        proxied["jwks_uri"],
        "https://login.example.test/.well-known/jwks.json"
    );
    assert_eq!(
        bogus["jwks_uri"], "http://localhost:4000/.well-known/jwks.json",
        "a Host that is not a plain host[:port] gets the issuer's URLs"
    );
}

#[tokio::test]
async fn by_default_the_discovery_urls_are_the_issuers_whatever_the_host() {
    // Arrange
    let idp = MockIdp::builder()
        .issuer("http://localhost:4000/")
        .start()
        .await;

    // Act
    let doc = discovery(&idp, Some("idp:4000"), &[]).await;

    // Assert
    assert_eq!(doc["issuer"], "http://localhost:4000/");
    assert_eq!(
        doc["jwks_uri"],
        "http://localhost:4000/.well-known/jwks.json"
    );
}
