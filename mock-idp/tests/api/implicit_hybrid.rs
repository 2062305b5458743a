//! The implicit and hybrid flows at `/authorize`: every response type in every response mode
//! that may carry it, the refusals (nonce, query mode, clients without `implicit`), `at_hash` and
//! `c_hash` against an independent SHA-2, and the hybrid code at the token endpoint.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mock_idp::{Algorithm, Client, MockIdp};
use reqwest::{Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::helpers::{
    API, APP, AuthRequest, Browser, Pkce, SPA, TRICKY_STATE, claims, form_post_action,
    form_post_fields, fragment_of, header, location, posted_message, query_of,
};

const NONCE: &str = "bm9uY2U+/=";
const WEB: &str = "web-app";
const WEB_CALLBACK: &str = "http://localhost:3000/callback";

/// The six response types Auth0 serves besides `code`.
const FRONT_CHANNEL_TYPES: [&str; 6] = [
    "id_token",
    "token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];

/// The parameters of an authorization response, whatever its mode.
async fn response_params(response: Response, mode: &str) -> HashMap<String, String> {
    match mode {
        "fragment" => {
            assert_eq!(response.status(), StatusCode::FOUND);
            let location = location(&response);
            assert!(
                url::Url::parse(&location).unwrap().query().is_none(),
                "nothing in the query: {location}"
            );
            fragment_of(&location)
        }
        "form_post" => {
            assert_eq!(response.status(), StatusCode::OK);
            let html = response.text().await.unwrap();
            assert_eq!(form_post_action(&html), APP);
            form_post_fields(&html)
        }
        "web_message" => {
            assert_eq!(response.status(), StatusCode::OK);
            let (message, target) = posted_message(&response.text().await.unwrap());
            assert_eq!(target, APP);
            message["response"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        }
        other => panic!("no such mode {other}"),
    }
}

/// The SPA's request for `response_type`, with a nonce and PKCE.
fn spa_request(response_type: &str) -> AuthRequest {
    AuthRequest::spa(&Pkce::new()).with("response_type", response_type)
}

fn left_half_sha256(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

async fn web_app_idp() -> MockIdp {
    MockIdp::builder()
        .client(Client::regular_web(WEB, "web-secret").callback(WEB_CALLBACK))
        .start()
        .await
}

#[tokio::test]
async fn every_response_type_is_answered_in_every_mode_with_exactly_what_it_names() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let modes = [
        None,
        Some("fragment"),
        Some("form_post"),
        Some("web_message"),
    ];

    for response_type in FRONT_CHANNEL_TYPES {
        for mode in modes {
            let mut request = spa_request(response_type);
            if let Some(mode) = mode {
                request = request.with("response_mode", mode);
            }

            // Act
            let response = browser.authorize(&request).await;
            let params = response_params(response, mode.unwrap_or("fragment")).await;

            // Assert
            let case = format!("{response_type} in {mode:?}: {params:?}");
            let mut expected = vec!["state"];
            if response_type.contains("code") {
                expected.push("code");
            }
            if response_type.split(' ').any(|w| w == "token") {
                expected.extend(["access_token", "token_type", "expires_in", "scope"]);
            }
            if response_type.contains("id_token") {
                expected.push("id_token");
            }
            let mut names: Vec<&str> = params.keys().map(String::as_str).collect();
            names.sort_unstable();
            expected.sort_unstable();
            assert_eq!(names, expected, "{case}");
            assert_eq!(params["state"], TRICKY_STATE, "{case}");
            if let Some(access_token) = params.get("access_token") {
                assert_eq!(params["token_type"], "Bearer", "{case}");
                assert_eq!(params["expires_in"], "86400", "{case}");
                assert_eq!(params["scope"], "openid profile email", "{case}");
                assert_eq!(claims(access_token)["aud"][0], API, "{case}");
            }
            if let Some(id_token) = params.get("id_token") {
                let id = claims(id_token);
                assert_eq!(id["nonce"], NONCE, "{case}");
                assert_eq!(id["aud"], SPA, "{case}");
                assert_eq!(id["sub"], "auth0|alice", "{case}");
                assert_eq!(id["email"], "alice@example.com", "{case}");
                assert!(id["sid"].is_string(), "{case}");
            }
        }
    }
}

#[tokio::test]
async fn the_words_of_a_response_type_may_come_in_any_order() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let response = browser.authorize(&spa_request("token id_token code")).await;

    // Assert
    let params = fragment_of(&location(&response));
    assert!(params.contains_key("code") && params.contains_key("access_token"));
    assert!(params.contains_key("id_token"), "{params:?}");
}

#[tokio::test]
async fn an_id_token_from_authorize_needs_a_nonce() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    for response_type in ["id_token", "id_token token", "code id_token"] {
        // Act
        let response = browser
            .authorize(&spa_request(response_type).without("nonce"))
            .await;

        // Assert
        let params = fragment_of(&location(&response));
        assert_eq!(params["error"], "invalid_request", "{response_type}");
        assert!(params["error_description"].contains("nonce"), "{params:?}");
        assert_eq!(params["state"], TRICKY_STATE);
        assert!(!params.contains_key("id_token") && !params.contains_key("code"));
    }
}

#[tokio::test]
async fn a_token_without_an_id_token_needs_no_nonce() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let response = browser
        .authorize(&spa_request("token").without("nonce"))
        .await;

    // Assert
    let params = fragment_of(&location(&response));
    assert!(params.contains_key("access_token"), "{params:?}");
}

#[tokio::test]
async fn query_mode_is_refused_for_every_type_that_returns_a_token_and_the_refusal_is_not_in_the_query()
 {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    for response_type in FRONT_CHANNEL_TYPES {
        // Act
        let response = browser
            .authorize(&spa_request(response_type).with("response_mode", "query"))
            .await;

        // Assert
        let location = location(&response);
        assert!(query_of(&location).is_empty(), "{location}");
        let params = fragment_of(&location);
        assert_eq!(params["error"], "invalid_request", "{response_type}");
        assert!(params["error_description"].contains("response_mode=query"));
    }
    assert_eq!(
        idp.sessions().len(),
        1,
        "refusals start no session and end none"
    );
}

#[tokio::test]
async fn a_client_without_the_implicit_grant_is_refused_in_its_response_mode() {
    // Arrange
    let idp = MockIdp::builder()
        .client(
            Client::spa("code-only")
                .callback(APP)
                .grant_types(["authorization_code", "refresh_token"]),
        )
        .start()
        .await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let request = spa_request("id_token").with("client_id", "code-only");

    // Act
    let fragment = browser.authorize(&request).await;
    let form_post = browser
        .authorize(&request.clone().with("response_mode", "form_post"))
        .await;
    let code = browser
        .authorize(&request.clone().with("response_type", "code"))
        .await;

    // Assert
    let params = fragment_of(&location(&fragment));
    assert_eq!(params["error"], "unauthorized_client");
    assert!(params["error_description"].contains("implicit"));
    let params = response_params(form_post, "form_post").await;
    assert_eq!(params["error"], "unauthorized_client");
    assert_eq!(params["state"], TRICKY_STATE);
    assert!(
        query_of(&location(&code)).contains_key("code"),
        "the code flow stays open to it"
    );
}

#[tokio::test]
async fn an_unknown_client_asking_for_tokens_gets_a_page_not_a_redirect() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);

    // Act
    let response = browser
        .authorize(&spa_request("id_token").with("client_id", "nobody"))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn at_hash_and_c_hash_are_the_left_half_of_sha256_for_every_signing_alg() {
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256] {
        // Arrange
        let idp = MockIdp::builder().signing_alg(alg).start().await;
        let browser = Browser::new(&idp);
        browser.sign_in("alice@example.com").await;

        // Act
        let response = browser.authorize(&spa_request("code id_token token")).await;

        // Assert
        let params = fragment_of(&location(&response));
        let id_token = &params["id_token"];
        assert_eq!(header(id_token)["alg"], alg.as_str());
        let id = claims(id_token);
        assert_eq!(
            id["at_hash"],
            left_half_sha256(&params["access_token"]),
            "{alg}"
        );
        assert_eq!(id["c_hash"], left_half_sha256(&params["code"]), "{alg}");
    }
}

#[tokio::test]
async fn an_id_token_hashes_only_what_came_with_it() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let alone = fragment_of(&location(
        &browser.authorize(&spa_request("id_token")).await,
    ));
    let with_code = fragment_of(&location(
        &browser.authorize(&spa_request("code id_token")).await,
    ));

    // Assert
    let alone = claims(&alone["id_token"]);
    assert!(alone.get("at_hash").is_none() && alone.get("c_hash").is_none());
    let with_code_claims = claims(&with_code["id_token"]);
    assert!(with_code_claims.get("at_hash").is_none());
    assert_eq!(
        with_code_claims["c_hash"],
        left_half_sha256(&with_code["code"])
    );
}

#[tokio::test]
async fn the_code_of_a_hybrid_response_redeems_once() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce)
        .with("response_type", "code id_token")
        .with("scope", "openid profile offline_access");
    let params = fragment_of(&location(&browser.authorize(&request).await));

    // Act
    let (first_status, first) = browser.redeem(&params["code"], &pkce.verifier).await;
    let (second_status, second) = browser.redeem(&params["code"], &pkce.verifier).await;

    // Assert
    assert_eq!(first_status, StatusCode::OK, "{first}");
    assert!(
        first["refresh_token"].is_string(),
        "the code still buys one"
    );
    let front = claims(&params["id_token"]);
    let back = claims(first["id_token"].as_str().unwrap());
    assert_eq!(back["sub"], front["sub"]);
    assert_eq!(back["sid"], front["sid"]);
    assert_eq!(back["nonce"], NONCE);
    assert_eq!(second_status, StatusCode::FORBIDDEN);
    assert_eq!(second["error"], "invalid_grant");
}

#[tokio::test]
async fn no_refresh_token_comes_from_authorize() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let request = spa_request("id_token token").with("scope", "openid offline_access");

    // Act
    let params = fragment_of(&location(&browser.authorize(&request).await));

    // Assert
    assert!(params.contains_key("access_token"));
    assert!(!params.contains_key("refresh_token"), "{params:?}");
}

#[tokio::test]
async fn a_login_through_the_form_ends_in_a_form_post_of_the_id_token() {
    // Arrange: the express-openid-connect quickstart's request, from a browser with no session.
    let idp = web_app_idp().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest {
        params: vec![
            ("client_id".into(), WEB.into()),
            ("response_type".into(), "id_token".into()),
            ("response_mode".into(), "form_post".into()),
            ("scope".into(), "openid profile email".into()),
            ("redirect_uri".into(), WEB_CALLBACK.into()),
            ("nonce".into(), NONCE.into()),
            ("state".into(), "st".into()),
        ],
    };

    // Act
    let response = browser.log_in(&request, "alice@example.com").await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert_eq!(form_post_action(&html), WEB_CALLBACK);
    let fields = form_post_fields(&html);
    let id = claims(&fields["id_token"]);
    assert_eq!(id["aud"], WEB);
    assert_eq!(id["nonce"], NONCE);
    assert_eq!(fields["state"], "st");
    assert_eq!(idp.sessions().len(), 1);
    assert_eq!(idp.sessions()[0].sid, id["sid"]);
}

#[tokio::test]
async fn prompt_none_answers_an_implicit_request_from_the_session_or_with_login_required() {
    // Arrange
    let idp = MockIdp::start().await;
    let signed_in = Browser::new(&idp);
    signed_in.sign_in("alice@example.com").await;
    let stranger = Browser::new(&idp);
    let request = spa_request("id_token token").with("prompt", "none");

    // Act
    let silent = fragment_of(&location(&signed_in.authorize(&request).await));
    let refused = fragment_of(&location(&stranger.authorize(&request).await));

    // Assert
    assert_eq!(claims(&silent["id_token"])["sub"], "auth0|alice");
    assert!(silent.contains_key("access_token"));
    assert_eq!(refused["error"], "login_required");
    assert!(!refused.contains_key("id_token"));
}

#[tokio::test]
async fn a_client_that_requires_consent_gets_its_tokens_after_the_consent_page() {
    // Arrange
    let idp = MockIdp::builder()
        .client(
            Client::spa("consenting")
                .callback(APP)
                .require_consent(true),
        )
        .start()
        .await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let request = spa_request("id_token token").with("client_id", "consenting");

    // Act
    let silent = fragment_of(&location(
        &browser
            .authorize(&request.clone().with("prompt", "none"))
            .await,
    ));
    let to_consent = browser.authorize(&request).await;
    let page = browser.follow(&to_consent).await.text().await.unwrap();
    let accepted = browser.submit_consent(&page, "accept").await;
    let answer = browser.follow(&accepted).await;

    // Assert
    assert_eq!(silent["error"], "consent_required");
    let params = fragment_of(&location(&answer));
    assert_eq!(claims(&params["id_token"])["aud"], "consenting");
    assert!(params.contains_key("access_token"));
}

#[tokio::test]
async fn a_confidential_web_app_needs_no_pkce_for_an_id_token() {
    // Arrange
    let idp = web_app_idp().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let request = AuthRequest::spa(&Pkce::new())
        .with("client_id", WEB)
        .with("redirect_uri", WEB_CALLBACK)
        .with("response_type", "id_token")
        .without("code_challenge")
        .without("code_challenge_method");

    // Act
    let response = browser.authorize(&request).await;

    // Assert
    let params = fragment_of(&location(&response));
    assert_eq!(claims(&params["id_token"])["aud"], WEB);
}

#[tokio::test]
async fn an_id_token_needs_the_openid_scope() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let response = browser
        .authorize(&spa_request("id_token").with("scope", "profile"))
        .await;

    // Assert
    let params = fragment_of(&location(&response));
    assert_eq!(params["error"], "invalid_request");
    assert!(params["error_description"].contains("openid"));
}

#[tokio::test]
async fn the_inspector_and_journal_see_the_tokens_authorize_handed_out() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    browser.authorize(&spa_request("id_token token")).await;

    // Assert
    let tokens: serde_json::Value = reqwest::get(idp.url("/_mock/tokens"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let implicit: Vec<_> = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["by"]["grant_type"] == "implicit")
        .map(|t| t["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(implicit, ["access", "id"], "{tokens}");
}

#[tokio::test]
async fn an_implicit_hybrid_response_is_stable_in_deterministic_mode() {
    // Arrange
    let idp = MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .start()
        .await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    let request = AuthRequest::spa(&pkce).with("response_type", "code id_token token");

    // Act
    let response = browser.log_in(&request, "alice@example.com").await;

    // Assert
    let params: BTreeMap<String, String> = fragment_of(&location(&response)).into_iter().collect();
    insta::assert_json_snapshot!("hybrid_id_token_claims", claims(&params["id_token"]));
    insta::assert_json_snapshot!("hybrid_response", params, {
        ".access_token" => "[jwt]",
        ".id_token" => "[jwt]",
    });
}

#[tokio::test]
async fn discovery_lists_exactly_the_response_types_and_modes_authorize_serves() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let discovery: serde_json::Value = reqwest::get(idp.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = |name: &str| -> Vec<String> {
        discovery[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let (types, modes) = (
        listed("response_types_supported"),
        listed("response_modes_supported"),
    );

    // Act: every listed type in every listed mode, and a type that is not listed.
    let mut refused = Vec::new();
    for response_type in types.iter().map(String::as_str).chain(["none"]) {
        for mode in &modes {
            let request = spa_request(response_type).with("response_mode", mode);
            let response = browser.authorize(&request).await;
            let params = match mode.as_str() {
                "query" if response.status() == StatusCode::FOUND => {
                    let location = location(&response);
                    let mut params = query_of(&location);
                    params.extend(fragment_of(&location));
                    params
                }
                "query" => panic!("{response_type} in query: {}", response.status()),
                other => response_params(response, other).await,
            };
            if let Some(error) = params.get("error") {
                refused.push(format!("{response_type} {mode}: {error}"));
            }
        }
    }

    // Assert: only the combinations OAuth forbids, and the unlisted type.
    let mut expected: Vec<String> = types
        .iter()
        .filter(|t| *t != "code")
        .map(|t| format!("{t} query: invalid_request"))
        .collect();
    expected.extend(
        modes
            .iter()
            .map(|m| format!("none {m}: unsupported_response_type")),
    );
    refused.sort();
    expected.sort();
    assert_eq!(refused, expected);
    assert_eq!(types.len(), 7);
}

#[tokio::test]
async fn a_pushed_implicit_request_is_answered_by_form_post() {
    // Arrange: express-openid-connect's default request, pushed (pushedAuthorizationRequests).
    let idp = web_app_idp().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let pushed: serde_json::Value = browser
        .http
        .post(idp.url("/oauth/par"))
        .form(&[
            ("client_id", WEB),
            ("client_secret", "web-secret"),
            ("response_type", "id_token"),
            ("response_mode", "form_post"),
            ("scope", "openid profile email"),
            ("redirect_uri", WEB_CALLBACK),
            ("nonce", NONCE),
            ("state", "st"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request_uri = pushed["request_uri"].as_str().expect("a request_uri");

    // Act
    let response = browser
        .authorize(&AuthRequest {
            params: vec![
                ("client_id".into(), WEB.into()),
                ("request_uri".into(), request_uri.into()),
            ],
        })
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert_eq!(form_post_action(&html), WEB_CALLBACK);
    let fields = form_post_fields(&html);
    assert_eq!(claims(&fields["id_token"])["nonce"], NONCE);
    assert_eq!(fields["state"], "st");
}
