use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::MockIdp;
use serde_json::Value;

pub const API: &str = "https://sample-api";

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A form POST to `/oauth/token`; returns the status and JSON body.
pub async fn token_form(idp: &MockIdp, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(idp.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub async fn client_credentials(idp: &MockIdp) -> Value {
    let (status, body) = token_form(
        idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn password_grant(idp: &MockIdp, user: &str, scope: &str) -> Value {
    let (status, body) = token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", user),
            ("password", "password"),
            ("audience", API),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The payload, decoded without verification (verification has its own tests).
pub fn claims(token: &str) -> Value {
    segment(token, 1)
}

pub fn header(token: &str) -> Value {
    segment(token, 0)
}
