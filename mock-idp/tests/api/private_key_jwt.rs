//! `private_key_jwt` client authentication (RFC 7523): a client registers public keys and
//! signs a `client_assertion` instead of sending a secret; every check that can fail has a
//! test that makes it fail with 401 `invalid_client` and a description naming the check.

use std::time::Duration;

use jsonwebtoken::Algorithm as Jwa;
use mock_idp::{Algorithm, Client, MockIdp, TenantConfig};
use serde_json::{Value, json};

use crate::helpers::{
    API, Assertion, AssertionKey, EC_PUBLIC, JWT_BEARER, RSA_PUBLIC, client, token_form,
};

const WORKER: &str = "keyed-worker";

/// A client with no secret at all: an RS256 key and an ES256 key are its credentials.
async fn mock() -> MockIdp {
    let worker = Client {
        client_secret: None,
        ..Client::m2m(WORKER, "")
    }
    .credential(RSA_PUBLIC, Algorithm::RS256)
    .credential(EC_PUBLIC, Algorithm::ES256)
    .grant(API, ["read:messages"]);
    MockIdp::builder().client(worker).start().await
}

async fn client_credentials(idp: &MockIdp, assertion: &str) -> (u16, Value) {
    token_form(
        idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
            ("audience", API),
        ],
    )
    .await
}

/// Asserts a 401 `invalid_client` whose description mentions `why`, and that the assertion
/// itself is not echoed.
fn assert_refused(status: u16, body: &Value, assertion: &str, why: &str) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(why), "{description}");
    assert!(
        !description.contains(assertion),
        "the assertion is never echoed"
    );
}

#[tokio::test]
async fn a_client_signing_with_its_rs256_key_gets_a_client_credentials_token() {
    // Arrange
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign();

    // Act
    let (status, body) = client_credentials(&idp, &assertion).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let claims = crate::helpers::claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], format!("{WORKER}@clients"));
    assert_eq!(claims["scope"], "read:messages");
}

#[tokio::test]
async fn es256_and_ps256_keys_authenticate_too() {
    // Arrange
    let worker = Client {
        client_secret: None,
        ..Client::m2m(WORKER, "")
    }
    .credential(RSA_PUBLIC, Algorithm::PS256)
    .credential(EC_PUBLIC, Algorithm::ES256)
    .grant(API, ["read:messages"]);
    let idp = MockIdp::builder().client(worker).start().await;

    for alg in [Jwa::ES256, Jwa::PS256] {
        // Act
        let assertion = Assertion::for_client(&idp, WORKER).alg(alg).sign();
        let (status, body) = client_credentials(&idp, &assertion).await;

        // Assert
        assert_eq!(status, 200, "{alg:?}: {body}");
    }
}

#[tokio::test]
async fn accepts_the_token_endpoint_url_as_audience() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER)
        .claim(
            "aud",
            json!([
                "https://someone-else",
                format!("{}oauth/token", idp.issuer())
            ]),
        )
        .sign();

    let (status, body) = client_credentials(&idp, &assertion).await;

    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn rejects_a_signature_by_a_key_the_client_did_not_register() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign_with(AssertionKey::OtherRsa);

    let (status, body) = client_credentials(&idp, &assertion).await;

    assert_refused(status, &body, &assertion, "signature does not verify");
}

#[tokio::test]
async fn rejects_an_alg_the_client_registered_no_key_for() {
    // PS256 with the very RSA key registered for RS256: the registered alg is the only one.
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).alg(Jwa::PS256).sign();

    let (status, body) = client_credentials(&idp, &assertion).await;

    assert_refused(status, &body, &assertion, "alg PS256 is not the alg");
}

#[tokio::test]
async fn rejects_alg_none_and_hs256_keyed_with_the_public_key() {
    let idp = mock().await;
    let claims = || Assertion::for_client(&idp, WORKER);
    for (assertion, why) in [
        (claims().unsigned(), "alg none is refused"),
        (
            claims().sign_hs256(RSA_PUBLIC.as_bytes()),
            "alg HS256 is refused",
        ),
    ] {
        let (status, body) = client_credentials(&idp, &assertion).await;

        assert_refused(status, &body, &assertion, why);
    }
}

#[tokio::test]
async fn rejects_an_assertion_expired_by_the_mock_clock() {
    // Arrange: signed for 60 s, then two minutes pass on the mock.
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign();
    idp.clock().advance(Duration::from_secs(120));

    // Act
    let (status, body) = client_credentials(&idp, &assertion).await;

    // Assert
    assert_refused(status, &body, &assertion, "expired");
}

#[tokio::test]
async fn rejects_an_assertion_without_exp_or_living_longer_than_five_minutes() {
    let idp = mock().await;
    let now = idp.clock().now();
    for (assertion, why) in [
        (
            Assertion::for_client(&idp, WORKER)
                .claim("exp", Value::Null)
                .sign(),
            "exp is required",
        ),
        (
            Assertion::for_client(&idp, WORKER)
                .claim("exp", now + 3600)
                .sign(),
            "at most 300s",
        ),
    ] {
        let (status, body) = client_credentials(&idp, &assertion).await;

        assert_refused(status, &body, &assertion, why);
    }
}

#[tokio::test]
async fn rejects_an_assertion_without_jti() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER)
        .claim("jti", Value::Null)
        .sign();

    let (status, body) = client_credentials(&idp, &assertion).await;

    assert_refused(status, &body, &assertion, "jti is required");
}

#[tokio::test]
async fn rejects_a_replayed_jti() {
    // Arrange: the first use succeeds.
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign();
    let (first, _) = client_credentials(&idp, &assertion).await;
    assert_eq!(first, 200);

    // Act
    let (status, body) = client_credentials(&idp, &assertion).await;

    // Assert
    assert_refused(status, &body, &assertion, "jti was used before");
}

#[tokio::test]
async fn rejects_an_assertion_for_another_audience() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER)
        .claim("aud", "https://tenant.auth0.com/")
        .sign();

    let (status, body) = client_credentials(&idp, &assertion).await;

    assert_refused(status, &body, &assertion, "aud must be the issuer");
}

#[tokio::test]
async fn rejects_an_assertion_whose_iss_is_not_its_sub() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER)
        .claim("iss", "sample-m2m")
        .sign();

    let (status, body) = client_credentials(&idp, &assertion).await;

    assert_refused(
        status,
        &body,
        &assertion,
        "iss and sub must both be the client_id",
    );
}

#[tokio::test]
async fn rejects_an_assertion_that_is_not_a_jwt() {
    let idp = mock().await;

    let (status, body) = client_credentials(&idp, "not-a-jwt").await;

    assert_refused(status, &body, "not-a-jwt", "not a signed JWT");
}

#[tokio::test]
async fn a_client_with_keys_only_must_send_an_assertion() {
    let idp = mock().await;

    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WORKER),
            ("audience", API),
        ],
    )
    .await;

    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("client_assertion"),
        "{body}"
    );
}

#[tokio::test]
async fn an_assertion_together_with_a_secret_is_an_invalid_request() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign();

    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("client_secret", "anything"),
            ("audience", API),
        ],
    )
    .await;

    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn an_unknown_assertion_type_or_another_client_id_is_an_invalid_request() {
    let idp = mock().await;
    for (name, value) in [
        ("client_assertion_type", "urn:example:saml"),
        ("client_id", "sample-m2m"),
    ] {
        let assertion = Assertion::for_client(&idp, WORKER).sign();
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("audience", API),
        ];
        form.retain(|(n, _)| *n != name);
        form.push((name, value));

        let (status, body) = token_form(&idp, &form).await;

        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn a_refused_request_is_journaled_without_the_assertion() {
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign_with(AssertionKey::OtherRsa);

    client_credentials(&idp, &assertion).await;

    let journal = serde_json::to_string(&idp.received_requests()).unwrap();
    assert!(journal.contains("invalid_client"), "{journal}");
    assert!(!journal.contains(&assertion));
}

#[tokio::test]
async fn the_revocation_endpoint_authenticates_with_private_key_jwt() {
    // Arrange
    let idp = mock().await;
    let revoke = |assertion: String| {
        client()
            .post(idp.url("/oauth/revoke"))
            .form(&[
                ("token", "some-refresh-token".to_owned()),
                ("client_assertion_type", JWT_BEARER.to_owned()),
                ("client_assertion", assertion),
            ])
            .send()
    };

    // Act
    let accepted = revoke(Assertion::for_client(&idp, WORKER).sign())
        .await
        .unwrap();
    let refused = revoke(Assertion::for_client(&idp, WORKER).sign_with(AssertionKey::OtherRsa))
        .await
        .unwrap();

    // Assert
    assert_eq!(accepted.status(), 200);
    assert_eq!(refused.status(), 401);
}

#[test]
fn a_credential_that_is_not_a_public_key_for_its_alg_is_a_config_error() {
    let toml = |pem: &str, alg: &str| {
        format!(
            "[[clients]]\nclient_id = \"web\"\napp_type = \"regular_web\"\ncredentials = [{{ pem = '''{pem}''', alg = \"{alg}\" }}]\n"
        )
    };
    for (pem, alg, why) in [
        (EC_PUBLIC, "RS256", "not an RSA"),
        (RSA_PUBLIC, "ES256", "not an EC P-256"),
        (RSA_PUBLIC, "HS256", "HS256"),
        (
            "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----",
            "ES256",
            "private key",
        ),
    ] {
        let error = TenantConfig::from_toml(&toml(pem, alg))
            .unwrap_err()
            .to_string();
        assert!(error.contains("client web: credential 1"), "{error}");
        assert!(error.contains(why), "{alg}: {error}");
    }
    assert!(TenantConfig::from_toml(&toml(EC_PUBLIC, "ES256")).is_ok());
}

#[tokio::test]
async fn a_refused_assertion_gets_no_basic_challenge() {
    // RFC 6749 5.2 asks for the challenge when the Authorization header was used; a strict
    // client (openid-client) would report the challenge and hide the description.
    let idp = mock().await;
    let assertion = Assertion::for_client(&idp, WORKER).sign_with(AssertionKey::OtherRsa);

    let response = client()
        .post(idp.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_none());
}

#[tokio::test]
async fn a_credential_added_while_running_that_cannot_be_used_is_named_as_the_cause() {
    // Arrange: upsert_client does not validate; the RSA key cannot verify ES256.
    let idp = mock().await;
    idp.upsert_client(
        Client {
            client_secret: None,
            ..Client::m2m(WORKER, "")
        }
        .credential(RSA_PUBLIC, Algorithm::ES256)
        .grant(API, ["read:messages"]),
    );
    let assertion = Assertion::for_client(&idp, WORKER).alg(Jwa::ES256).sign();

    // Act
    let (status, body) = client_credentials(&idp, &assertion).await;

    // Assert
    assert_refused(
        status,
        &body,
        &assertion,
        "cannot be used (the PEM is not an EC P-256",
    );
}
