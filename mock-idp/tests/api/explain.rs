//! The explainer (`POST /_mock/explain`, `idp.explain(token)`): a case per check and per hint,
//! bad input that never gets a 5xx, snapshots of whole answers in deterministic mode, and its
//! verdicts held to jsonwebtoken's.

use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation, decode, jwk::JwkSet};
use mock_idp::{Api, Check, Client, MockIdp, Outcome, Report, Verdict};
use serde_json::{Value, json};

use crate::helpers::{client, password_grant, token_form};

const API: &str = "https://sample-api";

async fn deterministic() -> MockIdp {
    MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .start()
        .await
}

async fn explain_http(idp: &MockIdp, body: Value) -> (u16, Value) {
    let response = client()
        .post(idp.url("/_mock/explain"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn outcomes(report: &Report) -> Vec<(&'static str, Outcome)> {
    report
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.outcome))
        .collect()
}

fn hints(report: &Report) -> String {
    report.hints.join("\n")
}

/// The check names of an HTTP answer whose outcome is `outcome`.
fn named(body: &Value, outcome: &str) -> Vec<String> {
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_token_the_mock_issued_passes_every_check_in_order() {
    // Arrange
    let idp = deterministic().await;
    let body = crate::helpers::client_credentials(&idp).await;
    let token = body["access_token"].as_str().unwrap();

    // Act
    let (status, answer) = explain_http(
        &idp,
        json!({"token": token, "audience": API, "scopes": ["read:messages"]}),
    )
    .await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(answer["verdict"], "valid");
    let names: Vec<&str> = answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = Check::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, expected);
    insta::assert_json_snapshot!("explain_valid_client_credentials_token", answer);
}

#[tokio::test]
async fn an_id_token_sent_as_an_access_token_fails_aud_with_a_hint_naming_the_access_token() {
    // Arrange
    let idp = deterministic().await;
    let tokens = password_grant(&idp, "alice@example.com", "openid profile email").await;
    let id_token = tokens["id_token"].as_str().unwrap();

    // Act
    let (status, answer) = explain_http(&idp, json!({"token": id_token, "audience": API})).await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(named(&answer, "failed"), ["aud"]);
    insta::assert_json_snapshot!("explain_id_token_as_access_token", answer);
}

#[tokio::test]
async fn a_token_for_another_api_names_the_audience_to_ask_for() {
    // Arrange
    let idp = MockIdp::builder()
        .api(Api::new("https://orders").permissions(["read:orders"]))
        .start()
        .await;
    let token = idp.token().audience("https://orders").sign();

    // Act
    let report = idp.explain(&token).audience(API).report();

    // Assert
    assert_eq!(report.check(Check::Aud).outcome, Outcome::Failed);
    assert_eq!(
        report.check(Check::Aud).detail,
        "https://orders, not the expected https://sample-api."
    );
    let hints = hints(&report);
    assert!(
        hints.contains("for the API https://orders, not for https://sample-api"),
        "{hints}"
    );
    assert!(
        hints.contains("ask for audience https://sample-api"),
        "{hints}"
    );
}

#[tokio::test]
async fn a_token_requested_without_an_audience_is_named_an_opaque_token_of_this_mock() {
    // Arrange: the password grant without `audience` gives an opaque token, as on Auth0.
    let idp = MockIdp::start().await;
    let (status, tokens) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");

    // Act
    let report = idp
        .explain(tokens["access_token"].as_str().unwrap())
        .audience(API)
        .report();

    // Assert
    let structure = report.check(Check::Structure);
    assert_eq!(structure.outcome, Outcome::Failed);
    assert!(
        structure.detail.contains(
            "An opaque access token this mock issued to client sample-spa for auth0|alice"
        ),
        "{}",
        structure.detail
    );
    assert!(structure.detail.contains("only /userinfo accepts it"));
    assert_eq!(report.check(Check::Aud).outcome, Outcome::NotRun);
    let hints = hints(&report);
    assert!(hints.contains("named no audience"), "{hints}");
    assert!(hints.contains("asks for no audience"), "{hints}");
    assert!(
        hints.contains("audience, https://sample-api (authorizationParams.audience"),
        "{hints}"
    );
}

#[tokio::test]
async fn a_jwt_for_userinfo_only_says_the_app_asked_for_no_audience() {
    // Arrange: what other providers issue without an audience; Auth0 (and this mock) would
    // have issued an opaque token.
    let idp = MockIdp::start().await;
    let token = idp
        .token()
        .audience(format!("{}userinfo", idp.issuer()))
        .sign();

    // Act
    let report = idp.explain(&token).audience(API).report();

    // Assert
    assert_eq!(report.check(Check::Aud).outcome, Outcome::Failed);
    let hints = hints(&report);
    assert!(hints.contains("requested without an audience"), "{hints}");
    assert!(
        hints.contains("ask for audience https://sample-api"),
        "{hints}"
    );
}

#[tokio::test]
async fn an_opaque_or_encrypted_token_fails_structure_and_says_the_app_asked_for_no_audience() {
    // Arrange
    let idp = deterministic().await;
    let jwe =
        "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiaXNzIjoiaHR0cHM6Ly90ZW5hbnQvIn0..aXY.Y3Q.dGFn";

    // Act
    let (_, opaque) = explain_http(&idp, json!({"token": "8dGk2rJ0nQ1xWvYp"})).await;
    let (_, encrypted) = explain_http(&idp, json!({"token": jwe, "audience": API})).await;

    // Assert
    for answer in [&opaque, &encrypted] {
        assert_eq!(named(answer, "failed"), ["structure"]);
        assert_eq!(named(answer, "not_run").len(), 9, "{answer}");
        let hint = answer["hints"][0].as_str().unwrap();
        assert!(hint.contains("asks for no audience"), "{hint}");
        assert!(
            hint.contains("audience, https://sample-api (authorizationParams"),
            "{hint}"
        );
    }
    assert!(
        encrypted["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("a JWE (encrypted token, alg dir, enc A256GCM)")
    );
    insta::assert_json_snapshot!("explain_opaque_token", opaque);
}

#[tokio::test]
async fn garbage_binary_huge_and_malformed_input_fails_structure_and_never_a_5xx() {
    // Arrange
    let idp = MockIdp::start().await;
    let huge = format!("{}.{}.{}", "a".repeat(20_000), "b".repeat(20_000), "c");
    let cases = [
        ("garbage", "not a token at all".to_owned(), "space"),
        (
            "binary",
            "\u{0}\u{1}\u{ff}\u{fffd}".to_owned(),
            "control character",
        ),
        ("huge", huge, "over the 16384"),
        ("empty", String::new(), "empty"),
        (
            "bearer prefix",
            "Bearer a.b.c".into(),
            "Authorization header",
        ),
        (
            "bad base64",
            "e30.e30=.sig".into(),
            "not unpadded base64url",
        ),
        ("array header", "WzFd.e30.c2ln".into(), "a JSON array"),
        ("binary payload", "e30.__79.c2ln".into(), "binary data"),
        ("two segments", "e30.e30".into(), "2 segments"),
        ("unicode", "ëÿ.ü.ö".into(), "not unpadded base64url"),
    ];

    for (name, token, says) in cases {
        // Act
        let (status, answer) = explain_http(&idp, json!({ "token": token })).await;

        // Assert
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(answer["verdict"], "invalid", "{name}");
        assert_eq!(answer["checks"][0]["check"], "structure");
        assert_eq!(answer["checks"][0]["ok"], false, "{name}");
        let detail = answer["checks"][0]["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{name}: {detail}");
        assert_eq!(
            answer["checks"][3]["outcome"], "not_run",
            "{name}: signature"
        );
    }
}

#[tokio::test]
async fn a_body_that_is_not_an_explain_request_gets_a_json_400_and_an_oversized_one_a_413() {
    // Arrange
    let idp = MockIdp::start().await;
    let post = |body: Vec<u8>| {
        client()
            .post(idp.url("/_mock/explain"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    for (name, body, status) in [
        ("not JSON", b"token=abc".to_vec(), 400),
        ("binary", vec![0xff, 0x00, 0xfe], 400),
        ("no token", br#"{"audience": "x"}"#.to_vec(), 400),
        ("token not a string", br#"{"token": 42}"#.to_vec(), 400),
        (
            "unknown field",
            br#"{"token": "a", "aud": "x"}"#.to_vec(),
            400,
        ),
        (
            "over 64 KiB",
            format!(r#"{{"token": "{}"}}"#, "a".repeat(70_000)).into_bytes(),
            413,
        ),
    ] {
        // Act
        let response = post(body).await.unwrap();

        // Assert
        assert_eq!(response.status().as_u16(), status, "{name}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_request", "{name}: {error}");
        assert!(error["error_description"].is_string(), "{name}");
    }
}

#[tokio::test]
async fn alg_none_fails_alg_and_signature_with_a_hint_to_refuse_unsigned_tokens() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().alg_none().sign();

    // Act
    let report = idp.explain(&token).audience(API).report();

    // Assert
    assert_eq!(report.check(Check::Alg).outcome, Outcome::Failed);
    assert_eq!(report.check(Check::Signature).outcome, Outcome::Failed);
    assert_eq!(
        report.check(Check::Signature).detail,
        "There is none: the signature segment is empty."
    );
    assert!(hints(&report).contains("alg \"none\" means the token is not signed"));
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key_is_named_as_key_confusion() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().hs256_with_public_key().sign();

    // Act
    let report = idp.explain(&token).audience(API).report();

    // Assert
    assert_eq!(report.check(Check::Alg).outcome, Outcome::Failed);
    assert_eq!(report.check(Check::Kid).outcome, Outcome::Passed);
    assert_eq!(report.check(Check::Signature).outcome, Outcome::Failed);
    let hints = hints(&report);
    assert!(hints.contains("key-confusion attack"), "{hints}");
    assert!(hints.contains(&idp.active_kid()), "{hints}");
}

#[tokio::test]
async fn hs256_is_valid_for_an_api_configured_with_a_shared_secret() {
    // Arrange
    let idp = MockIdp::builder()
        .api(
            Api::new("https://hs-api")
                .permissions(["read"])
                .hs256("api-secret"),
        )
        .client(Client::m2m("hs-worker", "s").grant("https://hs-api", ["read"]))
        .start()
        .await;
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "hs-worker"),
            ("client_secret", "s"),
            ("audience", "https://hs-api"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();

    // Act
    let report = idp
        .explain(token)
        .audience("https://hs-api")
        .scope("read")
        .report();
    let tampered = idp
        .explain(&format!("{token}x"))
        .audience("https://hs-api")
        .report();

    // Assert
    assert!(report.is_valid(), "{report:#?}");
    assert!(
        report
            .check(Check::Alg)
            .detail
            .contains("the API https://hs-api")
    );
    assert_eq!(tampered.check(Check::Signature).outcome, Outcome::Failed);
}

#[tokio::test]
async fn a_kid_this_tenant_never_published_fails_kid_and_skips_the_signature() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().unknown_kid().sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(
        outcomes(&report)[1..4],
        [
            ("alg", Outcome::Passed),
            ("kid", Outcome::Failed),
            ("signature", Outcome::NotRun)
        ]
    );
    assert!(hints(&report).contains("a key this tenant never published (kid unknown-kid-0000)"));
}

#[tokio::test]
async fn a_token_from_another_mock_is_signed_by_a_key_this_one_never_published() {
    // Arrange: two mocks with fresh keys of their own.
    let ours = MockIdp::builder().fresh_keys().start().await;
    let theirs = MockIdp::builder().fresh_keys().start().await;
    let token = theirs.token().issuer(ours.issuer()).sign();

    // Act
    let report = ours.explain(&token).audience(API).report();

    // Assert
    assert_eq!(report.check(Check::Kid).outcome, Outcome::Failed);
    assert!(
        hints(&report).contains("never published"),
        "{}",
        hints(&report)
    );
}

#[tokio::test]
async fn a_token_signed_by_a_retired_key_says_the_key_was_rotated_out_and_retired() {
    // Arrange
    let idp = deterministic().await;
    let token = idp.token().sign();
    let old = idp.active_kid();
    idp.rotate_keys();
    idp.clock().advance(Duration::from_secs(60));
    idp.retire_keys();

    // Act
    let (_, answer) = explain_http(&idp, json!({"token": token, "audience": API})).await;

    // Assert
    assert_eq!(named(&answer, "failed"), ["kid"]);
    assert_eq!(named(&answer, "not_run"), ["signature"]);
    let hint = answer["hints"][0].as_str().unwrap();
    assert!(
        hint.contains(&format!(
            "signed by {old}, a key this tenant rotated out and retired at 2030-01-01T00:01:00Z"
        )),
        "{hint}"
    );
    assert!(
        hint.contains(&idp.active_kid()),
        "names the key to expect: {hint}"
    );
}

#[tokio::test]
async fn a_key_dropped_by_a_reset_is_remembered_as_no_longer_published() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.rotate_keys();
    let token = idp.token().sign();

    // Act
    idp.reset();
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Kid).outcome, Outcome::Failed);
    assert!(
        hints(&report).contains("dropped when the mock was reset"),
        "{}",
        hints(&report)
    );
}

#[tokio::test]
async fn a_key_published_again_after_a_reset_is_not_called_retired() {
    // Arrange: deterministic rotation reuses the embedded keys in order.
    let idp = deterministic().await;
    idp.rotate_keys();
    idp.reset();
    idp.rotate_keys();
    let token = idp.token().sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert!(report.is_valid(), "{report:#?}");
}

#[tokio::test]
async fn a_token_signed_by_a_foreign_key_under_a_published_kid_fails_the_signature() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().signed_by_foreign_key().sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Kid).outcome, Outcome::Passed);
    assert_eq!(report.check(Check::Signature).outcome, Outcome::Failed);
    assert!(hints(&report).contains("mock-idp's foreign test key"));
}

#[tokio::test]
async fn a_token_altered_after_signing_fails_the_signature() {
    // Arrange: alice's claims, with the payload swapped for bob's.
    let idp = MockIdp::start().await;
    let alice = idp.token().subject("auth0|alice").sign();
    let bob = idp.token().subject("auth0|bob").sign();
    let parts: Vec<&str> = alice.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        bob.split('.').nth(1).unwrap(),
        parts[2]
    );

    // Act
    let report = idp.explain(&forged).report();

    // Assert
    assert_eq!(report.check(Check::Signature).outcome, Outcome::Failed);
    assert!(hints(&report).contains("altered after signing"));
}

#[tokio::test]
async fn a_token_without_a_kid_fails_kid_though_a_published_key_verifies_it() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().without_kid().sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Kid).outcome, Outcome::Failed);
    assert_eq!(report.check(Check::Signature).outcome, Outcome::Passed);
    assert!(
        report
            .check(Check::Signature)
            .detail
            .contains("found by trying each key")
    );
}

#[tokio::test]
async fn an_alg_that_is_not_the_keys_fails_alg() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().header("alg", "PS256").sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Alg).outcome, Outcome::Failed);
    assert_eq!(report.check(Check::Signature).outcome, Outcome::NotRun);
}

#[tokio::test]
async fn a_typ_that_is_not_an_access_token_type_fails_typ() {
    // Arrange
    let idp = MockIdp::start().await;
    let at_jwt = idp.token().header("typ", "application/at+jwt").sign();
    let logout = idp.token().header("typ", "logout+jwt").sign();

    // Act
    let accepted = idp.explain(&at_jwt).report();
    let refused = idp.explain(&logout).report();

    // Assert
    assert_eq!(accepted.check(Check::Typ).outcome, Outcome::Passed);
    assert_eq!(refused.check(Check::Typ).outcome, Outcome::Failed);
    assert!(refused.check(Check::Typ).detail.contains("JWT or at+jwt"));
}

#[tokio::test]
async fn an_issuer_that_differs_by_the_trailing_slash_gets_a_hint_about_the_slash() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp
        .token()
        .issuer(idp.issuer().trim_end_matches('/'))
        .sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Iss).outcome, Outcome::Failed);
    let hints = hints(&report);
    assert!(
        hints.contains("differ only by the trailing slash"),
        "{hints}"
    );
    assert!(
        hints.contains(&format!(
            "configure the API with {} exactly",
            idp.issuer().trim_end_matches('/')
        )) || hints.contains("Auth0 issuers end with a slash"),
        "{hints}"
    );
}

#[tokio::test]
async fn a_token_from_another_issuer_or_an_api_expecting_another_one_is_told_apart() {
    // Arrange
    let idp = MockIdp::start().await;
    let foreign = idp.token().issuer("https://tenant.eu.auth0.com/").sign();
    let ours = idp.token().sign();

    // Act
    let other_issuer = idp.explain(&foreign).report();
    let api_misconfigured = idp.explain(&ours).issuer("http://127.0.0.1:4000/").report();

    // Assert
    assert!(
        hints(&other_issuer).contains("issued by https://tenant.eu.auth0.com/, not by this mock")
    );
    let hints = hints(&api_misconfigured);
    assert!(
        hints.contains(&format!("This mock issues {}", idp.issuer())),
        "{hints}"
    );
    assert!(
        hints.contains("localhost and 127.0.0.1 are different issuers"),
        "{hints}"
    );
}

#[tokio::test]
async fn an_audience_the_tenant_does_not_have_is_called_out() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().sign();

    // Act
    let report = idp.explain(&token).audience("https://sample-api/").report();

    // Assert
    assert_eq!(report.check(Check::Aud).outcome, Outcome::Failed);
    assert!(hints(&report).contains("No API of this tenant has the identifier https://sample-api/ (its APIs: https://sample-api)"));
}

#[tokio::test]
async fn without_an_expected_audience_any_api_of_the_tenant_passes_and_a_client_id_does_not() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let access = idp.explain(&idp.token().sign()).report();
    let id = idp.explain(&idp.token().id_token().sign()).report();

    // Assert
    assert!(access.is_valid(), "{access:#?}");
    assert!(
        access
            .check(Check::Aud)
            .detail
            .contains("no audience was given")
    );
    assert_eq!(id.check(Check::Aud).outcome, Outcome::Failed);
    assert!(hints(&id).contains("This is an ID token: its aud is the client id sample-spa"));
}

#[tokio::test]
async fn an_expired_token_says_by_how_much_on_the_mocks_clock() {
    // Arrange
    let idp = deterministic().await;
    let token = idp.token().expires_in(Duration::from_secs(3_600)).sign();
    idp.clock().advance(Duration::from_secs(2 * 3_600 + 300));

    // Act
    let (_, answer) = explain_http(&idp, json!({"token": token, "audience": API})).await;

    // Assert
    assert_eq!(named(&answer, "failed"), ["exp"]);
    insta::assert_json_snapshot!("explain_expired_token", answer["checks"][7]);
    let hint = answer["hints"][0].as_str().unwrap();
    assert!(
        hint.contains("expired 1 h 5 min ago by the mock's clock"),
        "{hint}"
    );
}

#[tokio::test]
async fn the_leeway_applies_to_exp_and_nbf_and_a_request_may_set_it() {
    // Arrange
    let idp = deterministic().await;
    let expired = idp.token().expires_in(Duration::from_secs(0)).sign();
    let early = idp.token().not_before_in(Duration::from_secs(30)).sign();
    idp.clock().advance(Duration::from_secs(20));

    // Act
    let (_, lenient) = explain_http(&idp, json!({"token": expired})).await;
    let (_, strict) = explain_http(&idp, json!({"token": expired, "leeway_secs": 5})).await;
    let (_, early_strict) = explain_http(&idp, json!({"token": early, "leeway_secs": 5})).await;

    // Assert
    assert_eq!(lenient["verdict"], "valid", "{lenient}");
    assert_eq!(lenient["leeway_secs"], 60);
    assert_eq!(named(&strict, "failed"), ["exp"]);
    assert_eq!(strict["leeway_secs"], 5);
    assert_eq!(named(&early_strict, "failed"), ["nbf"]);
}

#[tokio::test]
async fn a_token_not_yet_valid_says_how_long_to_wait() {
    // Arrange
    let idp = deterministic().await;
    let token = idp.token().not_before_in(Duration::from_secs(300)).sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Nbf).outcome, Outcome::Failed);
    assert!(hints(&report).contains("not valid for another 5 min by the mock's clock"));
}

#[tokio::test]
async fn a_token_issued_in_the_future_fails_nbf() {
    // Arrange
    let idp = deterministic().await;
    let token = idp.token().issued_at(idp.clock().now() + 3_600).sign();

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Nbf).outcome, Outcome::Failed);
    assert!(hints(&report).contains("issued 1 h from now"));
}

#[tokio::test]
async fn time_claims_that_are_not_numbers_fail_like_a_hardened_validator() {
    // Arrange
    let idp = MockIdp::start().await;
    let string_exp = idp.token().claim("exp", "99999999999").sign();
    let no_exp = idp.token().without_claim("exp").sign();
    let huge_nbf = idp.token().claim("nbf", 1_u64 << 60).sign();

    // Act / Assert
    let report = idp.explain(&string_exp).report();
    assert_eq!(
        report.check(Check::Exp).detail,
        "exp is a string, not a number (validators refuse it)."
    );
    assert_eq!(
        idp.explain(&no_exp).report().check(Check::Exp).outcome,
        Outcome::Failed
    );
    assert_eq!(
        idp.explain(&huge_nbf).report().check(Check::Nbf).outcome,
        Outcome::Failed
    );
}

#[tokio::test]
async fn a_missing_permission_says_which_user_or_role_holds_it() {
    // Arrange: bob holds no permission on the API, so the token leaves read:messages out.
    let idp = MockIdp::start().await;
    let tokens = password_grant(&idp, "bob@example.com", "openid read:messages").await;

    // Act
    let report = idp
        .explain(tokens["access_token"].as_str().unwrap())
        .audience(API)
        .scope("read:messages")
        .report();

    // Assert
    assert_eq!(report.check(Check::Scope).outcome, Outcome::Failed);
    let hints = hints(&report);
    assert!(
        hints.contains("bob@example.com does not hold read:messages on https://sample-api"),
        "{hints}"
    );
    assert!(hints.contains("(alice@example.com)"), "{hints}");
}

#[tokio::test]
async fn a_scope_the_user_holds_but_did_not_ask_for_says_to_ask_for_it() {
    // Arrange
    let idp = MockIdp::start().await;
    let token = idp.token().subject("auth0|alice").sign();

    // Act
    let report = idp.explain(&token).scope("read:messages").report();

    // Assert
    assert!(hints(&report).contains("alice@example.com may have read:messages on https://sample-api: ask for scope read:messages"));
}

#[tokio::test]
async fn a_machine_client_without_the_scope_is_told_to_add_it_to_its_grant() {
    // Arrange
    let idp = MockIdp::builder()
        .client(Client::m2m("reporter", "s").grant(API, Vec::<String>::new()))
        .start()
        .await;
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "reporter"),
            ("client_secret", "s"),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Act
    let report = idp
        .explain(body["access_token"].as_str().unwrap())
        .scope("read:messages")
        .report();

    // Assert
    let hints = hints(&report);
    assert!(
        hints.contains(
            "The client reporter's grant for https://sample-api does not include read:messages"
        ),
        "{hints}"
    );
}

#[tokio::test]
async fn a_scope_no_api_defines_says_so() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let report = idp
        .explain(&idp.token().sign())
        .scope("delete:everything")
        .report();

    // Assert
    assert!(
        hints(&report).contains("No API of this tenant defines the permission delete:everything")
    );
}

#[tokio::test]
async fn a_claim_given_twice_fails_structure() {
    // Arrange
    let idp = MockIdp::start().await;
    let header = format!(
        r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#,
        idp.active_kid()
    );
    let token = idp.sign_raw(
        &header,
        r#"{"sub":"auth0|bob","sub":"auth0|admin","exp":9999999999}"#,
    );

    // Act
    let report = idp.explain(&token).report();

    // Assert
    assert_eq!(report.check(Check::Structure).outcome, Outcome::Failed);
    assert!(
        report
            .check(Check::Structure)
            .detail
            .contains("\"sub\" twice")
    );
    assert!(report.claims.is_none());
}

#[tokio::test]
async fn explain_takes_scopes_as_a_list_or_a_space_separated_string() {
    // Arrange: a frozen clock, so "expires in" reads the same in both reports.
    let idp = MockIdp::builder().deterministic().start().await;
    let token = idp.token().scope("read:messages write:messages").sign();

    // Act
    let (_, list) = explain_http(
        &idp,
        json!({"token": token, "scopes": ["read:messages", "write:messages"]}),
    )
    .await;
    let (_, spaced) = explain_http(
        &idp,
        json!({"token": token, "scopes": "read:messages write:messages"}),
    )
    .await;

    // Assert
    assert_eq!(list["verdict"], "valid", "{list}");
    assert_eq!(list["checks"], spaced["checks"]);
}

/// jsonwebtoken, configured as a hardened API would be: the algorithm from the JWKS key,
/// `exp` and `nbf` required or checked with the same 60 s leeway, exact `iss`, this `aud`.
fn jsonwebtoken_accepts(idp: &MockIdp, token: &str) -> bool {
    let set: JwkSet = serde_json::from_value(idp.jwks()).unwrap();
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return false;
    };
    let Some(jwk) = header.kid.as_deref().and_then(|kid| set.find(kid)) else {
        return false;
    };
    let Ok(key) = DecodingKey::from_jwk(jwk) else {
        return false;
    };
    let alg = match jwk.common.key_algorithm.map(|a| a.to_string()).as_deref() {
        Some("PS256") => jsonwebtoken::Algorithm::PS256,
        Some("ES256") => jsonwebtoken::Algorithm::ES256,
        _ => jsonwebtoken::Algorithm::RS256,
    };
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&[API]);
    validation.validate_nbf = true;
    validation.leeway = 60;
    decode::<Value>(token, &key, &validation).is_ok()
}

#[tokio::test]
async fn the_verdicts_agree_with_jsonwebtoken_configured_as_a_hardened_api() {
    // Arrange: real time, since jsonwebtoken reads the system clock.
    let idp = MockIdp::start().await;
    let other = MockIdp::builder().fresh_keys().start().await;
    let now = idp.clock().now();
    let cases = [
        ("valid", idp.token().sign()),
        ("expired", idp.token().expired().sign()),
        (
            "expired within leeway",
            idp.token().expires_at(now - 30).sign(),
        ),
        (
            "not yet valid",
            idp.token().not_before_in(Duration::from_secs(600)).sign(),
        ),
        (
            "nbf within leeway",
            idp.token().not_before_in(Duration::from_secs(30)).sign(),
        ),
        (
            "other audience",
            idp.token().audience("https://other").sign(),
        ),
        (
            "audience array",
            idp.token().audiences([API, "https://x/userinfo"]).sign(),
        ),
        (
            "other issuer",
            idp.token().issuer("https://evil.test/").sign(),
        ),
        (
            "issuer without slash",
            idp.token()
                .issuer(idp.issuer().trim_end_matches('/'))
                .sign(),
        ),
        ("foreign key", idp.token().signed_by_foreign_key().sign()),
        ("unknown kid", idp.token().unknown_kid().sign()),
        (
            "another mock's key",
            other.token().issuer(idp.issuer()).sign(),
        ),
        ("alg none", idp.token().alg_none().sign()),
        (
            "hs256 public key",
            idp.token().hs256_with_public_key().sign(),
        ),
        (
            "alg PS256 on an RS256 key",
            idp.token().header("alg", "PS256").sign(),
        ),
        ("no exp", idp.token().without_claim("exp").sign()),
        ("string exp", idp.token().claim("exp", "99999999999").sign()),
        ("id token", idp.token().id_token().sign()),
    ];

    for (name, token) in cases {
        // Act
        let ours = idp.explain(&token).audience(API).report();

        // Assert
        assert_eq!(
            ours.verdict == Verdict::Valid,
            jsonwebtoken_accepts(&idp, &token),
            "{name}: {:#?}",
            ours.checks
        );
    }
}
