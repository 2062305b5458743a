//! Pushed authorization requests (RFC 9126): `POST /oauth/par`, then
//! `/authorize?client_id&request_uri`.

use std::time::Duration;

use mock_idp::{Algorithm, Client, Endpoint, MockIdp, TenantConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    APP, Assertion, Browser, JWT_BEARER, Pkce, RSA_PUBLIC, SPA, client, location, query_of,
};

const WEB: &str = "par-web";
const SECRET: &str = "par-web-secret";
const CALLBACK: &str = "http://localhost:8080/callback";

async fn mock() -> MockIdp {
    MockIdp::builder()
        .client(
            Client::regular_web(WEB, SECRET)
                .callback(CALLBACK)
                .credential(RSA_PUBLIC, Algorithm::RS256),
        )
        .client(
            Client::regular_web("par-only", "par-only-secret")
                .callback(CALLBACK)
                .require_pushed_authorization_requests(true),
        )
        .start()
        .await
}

/// What a web app pushes: code flow with PKCE, state and nonce, to its callback.
fn pushed(pkce: &Pkce) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", WEB.into()),
        ("response_type", "code".into()),
        ("redirect_uri", CALLBACK.into()),
        ("scope", "openid profile".into()),
        ("state", "af0ifjsldkj".into()),
        ("nonce", "n-0S6_WzA2Mj".into()),
        ("code_challenge", pkce.challenge.clone()),
        ("code_challenge_method", "S256".into()),
    ]
}

fn with_secret(mut form: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    form.push(("client_secret", SECRET.into()));
    form
}

fn set(
    mut form: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    form.retain(|(n, _)| *n != name);
    form.push((name, value.into()));
    form
}

async fn push(idp: &MockIdp, form: &[(&'static str, String)]) -> (u16, Value) {
    let response = client()
        .post(idp.url("/oauth/par"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Pushes `form`, expecting a `request_uri`.
async fn request_uri(idp: &MockIdp, form: &[(&'static str, String)]) -> String {
    let (status, body) = push(idp, form).await;
    assert_eq!(status, 201, "{body}");
    body["request_uri"].as_str().unwrap().to_owned()
}

fn authorize_path(client_id: &str, request_uri: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("/authorize?{query}")
}

/// The error code of an error page.
async fn page_error(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let html = response.text().await.unwrap();
    (status, html)
}

#[tokio::test]
async fn a_pushed_request_logs_in_and_its_code_buys_tokens() {
    // Arrange
    let idp = mock().await;
    let pkce = Pkce::new();
    let browser = Browser::new(&idp);

    // Act: push, then send the browser with the request_uri only, log in, redeem.
    let (status, body) = push(&idp, &with_secret(pushed(&pkce))).await;
    assert_eq!(status, 201, "{body}");
    let uri = body["request_uri"].as_str().unwrap();
    let response = browser.get(&authorize_path(WEB, uri)).await;
    let back = browser.log_in_at(&response, "alice@example.com").await;
    let callback = location(&back);
    let params = query_of(&callback);
    let (token_status, tokens) = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", WEB),
            ("client_secret", SECRET),
            ("code", &params["code"]),
            ("code_verifier", &pkce.verifier),
            ("redirect_uri", CALLBACK),
        ])
        .await;

    // Assert
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );
    assert_eq!(body["expires_in"], 30, "Auth0's documented lifetime");
    assert!(callback.starts_with(CALLBACK), "{callback}");
    assert_eq!(params["state"], "af0ifjsldkj");
    assert_eq!(token_status, StatusCode::OK, "{tokens}");
    let id_token = crate::helpers::claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id_token["aud"], WEB);
}

#[tokio::test]
async fn a_client_may_push_with_private_key_jwt_or_basic() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WEB).sign();
    let mut keyed = pushed(&Pkce::new());
    keyed.push(("client_assertion_type", JWT_BEARER.into()));
    keyed.push(("client_assertion", assertion));

    let (by_key, body) = push(&idp, &keyed).await;
    let basic = client()
        .post(idp.url("/oauth/par"))
        .basic_auth(WEB, Some(SECRET))
        .form(&pushed(&Pkce::new()))
        .send()
        .await
        .unwrap();

    assert_eq!(by_key, 201, "{body}");
    assert_eq!(basic.status(), 201);
}

#[tokio::test]
async fn a_public_client_may_push_with_its_client_id_and_pkce() {
    let idp = MockIdp::start().await;
    let pkce = Pkce::new();
    let form = vec![
        ("client_id", SPA.to_owned()),
        ("response_type", "code".into()),
        ("redirect_uri", APP.into()),
        ("code_challenge", pkce.challenge.clone()),
        ("code_challenge_method", "S256".into()),
    ];

    let (with_pkce, body) = push(&idp, &form).await;
    let (without_pkce, refused) = push(&idp, &form[..3]).await;

    assert_eq!(with_pkce, 201, "{body}");
    assert_eq!(without_pkce, 400, "{refused}");
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("code_challenge"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_push_is_checked_as_authorize_would_check_it() {
    // Arrange
    let idp = mock().await;
    let good = || with_secret(pushed(&Pkce::new()));
    let cases = [
        (
            set(good(), "redirect_uri", "https://evil.example/cb"),
            400,
            "invalid_request",
        ),
        (
            set(good(), "response_type", "code device"),
            400,
            "unsupported_response_type",
        ),
        (
            set(good(), "code_challenge", "too-short"),
            400,
            "invalid_request",
        ),
        (
            set(good(), "code_challenge_method", "plain"),
            400,
            "invalid_request",
        ),
        (
            set(good(), "audience", "https://nowhere"),
            400,
            "access_denied",
        ),
        (
            set(good(), "request_uri", "urn:ietf:params:oauth:request_uri:x"),
            400,
            "invalid_request",
        ),
        (set(good(), "client_secret", "wrong"), 401, "invalid_client"),
        (set(good(), "client_id", "nobody"), 401, "invalid_client"),
    ];

    for (form, status, error) in cases {
        // Act
        let (got, body) = push(&idp, &form).await;

        // Assert
        assert_eq!(
            (got, body["error"].as_str().unwrap()),
            (status, error),
            "{form:?}: {body}"
        );
        assert!(body["error_description"].is_string());
    }
}

#[tokio::test]
async fn a_push_must_be_a_form() {
    let idp = mock().await;

    let response = client()
        .post(idp.url("/oauth/par"))
        .json(&serde_json::json!({"client_id": WEB, "client_secret": SECRET}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_request_uri_is_single_use() {
    // Arrange: used once, up to the login page.
    let idp = mock().await;
    let uri = request_uri(&idp, &with_secret(pushed(&Pkce::new()))).await;
    let browser = Browser::new(&idp);
    let first = browser.get(&authorize_path(WEB, &uri)).await;
    assert_eq!(first.status(), StatusCode::FOUND);

    // Act
    let again = browser.get(&authorize_path(WEB, &uri)).await;

    // Assert
    let (status, html) = page_error(again).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("invalid_request_uri"), "{html}");
    assert!(html.contains("already used"), "{html}");
}

#[tokio::test]
async fn a_request_uri_expires_on_the_mock_clock() {
    // Arrange
    let idp = mock().await;
    let uri = request_uri(&idp, &with_secret(pushed(&Pkce::new()))).await;
    idp.clock().advance(Duration::from_secs(31));

    // Act
    let response = Browser::new(&idp).get(&authorize_path(WEB, &uri)).await;

    // Assert
    let (status, html) = page_error(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("invalid_request_uri"), "{html}");
    assert!(html.contains("expired"), "{html}");
}

#[tokio::test]
async fn an_unknown_request_uri_is_an_error_page_not_a_redirect() {
    let idp = mock().await;
    let path = format!(
        "{}&redirect_uri={CALLBACK}&response_type=code",
        authorize_path(WEB, "urn:ietf:params:oauth:request_uri:made-up")
    );

    let response = Browser::new(&idp).get(&path).await;

    assert!(response.headers().get("location").is_none());
    let (status, html) = page_error(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("invalid_request_uri"), "{html}");
}

#[tokio::test]
async fn a_request_uri_is_bound_to_the_client_that_pushed_it() {
    // Arrange
    let idp = mock().await;
    let uri = request_uri(&idp, &with_secret(pushed(&Pkce::new()))).await;
    let browser = Browser::new(&idp);

    // Act
    let other = browser.get(&authorize_path("par-only", &uri)).await;
    let own = browser.get(&authorize_path(WEB, &uri)).await;

    // Assert: refused for the other client, and still usable by its own.
    let (status, html) = page_error(other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("another client"), "{html}");
    assert_eq!(own.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn the_pushed_parameters_are_the_request_not_the_query() {
    // Arrange: alice has a session; the query tries another redirect_uri and state.
    let idp = mock().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let uri = request_uri(&idp, &with_secret(pushed(&Pkce::new()))).await;
    let path = format!(
        "{}&redirect_uri=https://evil.example/cb&state=forged",
        authorize_path(WEB, &uri)
    );

    // Act
    let response = browser.get(&path).await;

    // Assert
    let callback = location(&response);
    assert!(callback.starts_with(CALLBACK), "{callback}");
    assert_eq!(query_of(&callback)["state"], "af0ifjsldkj");
}

#[tokio::test]
async fn a_client_that_requires_par_is_refused_at_plain_authorize() {
    // Arrange
    let idp = mock().await;
    let pkce = Pkce::new();
    let plain = set(pushed(&pkce), "client_id", "par-only");
    let browser = Browser::new(&idp);

    // Act
    let refused = browser
        .http
        .get(idp.url("/authorize"))
        .query(&plain)
        .send()
        .await
        .unwrap();
    let mut form = plain.clone();
    form.push(("client_secret", "par-only-secret".into()));
    let uri = request_uri(&idp, &form).await;
    let pushed = browser.get(&authorize_path("par-only", &uri)).await;

    // Assert: the error goes back to the (registered) callback; the pushed request goes on.
    let error = query_of(&location(&refused));
    assert_eq!(error["error"], "invalid_request");
    assert!(error["error_description"].contains("pushed"), "{error:?}");
    assert!(location(&pushed).starts_with("/u/login"));
}

#[tokio::test]
async fn pushes_are_journaled_under_their_endpoint_with_the_client() {
    let idp = mock().await;

    request_uri(&idp, &with_secret(pushed(&Pkce::new()))).await;

    let request = &idp.received_requests()[0];
    assert_eq!(request.endpoint, Endpoint::Par);
    assert_eq!(request.status, 201);
    assert_eq!(request.client_id.as_deref(), Some(WEB));
}

#[tokio::test]
async fn the_request_uri_lifetime_is_a_tenant_setting() {
    let tenant = TenantConfig::from_toml(&format!(
        "[tokens]\nrequest_uri = 90\n[[clients]]\nclient_id = \"{WEB}\"\napp_type = \"regular_web\"\nclient_secret = \"{SECRET}\"\ncallbacks = [\"{CALLBACK}\"]\n"
    ))
    .unwrap();
    let idp = MockIdp::builder().tenant(tenant).start().await;

    let (status, body) = push(&idp, &with_secret(pushed(&Pkce::new()))).await;

    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_in"], 90);
}
