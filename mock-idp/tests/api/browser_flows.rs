//! The browser flows over HTTP: `/authorize` with PKCE, the login page, sessions, silent
//! authentication, the code and refresh grants, logout. Each test is one rule.

use std::time::Duration;

use mock_idp::{Client, MockIdp};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    API, APP, AuthRequest, Browser, LoginForm, Pkce, SPA, TRICKY_STATE, claims, fragment_of,
    location, posted_message, query_of,
};

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------- the happy path

#[tokio::test]
async fn completes_the_code_flow_and_binds_audience_scope_and_nonce_to_the_code() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce);

    // Act
    let back = browser.log_in(&request, "alice@example.com").await;
    let callback = location(&back);
    let params = query_of(&callback);
    let (status, body) = browser.redeem(&params["code"], &pkce.verifier).await;

    // Assert
    assert_eq!(back.status(), StatusCode::FOUND);
    assert!(
        callback.starts_with("http://localhost:3000/?code="),
        "{callback}"
    );
    assert_eq!(
        params["state"], TRICKY_STATE,
        "state must round-trip byte for byte"
    );
    assert!(
        callback.contains("state=YWJj%2BZGVm%2FZ2hp%3D%3D"),
        "{callback}"
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["expires_in"].is_u64());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile email");
    assert!(
        body.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let id = claims(body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], SPA);
    assert_eq!(id["nonce"], "bm9uY2U+/=");
    assert_eq!(id["sub"], "auth0|alice");
    assert_eq!(id["email"], "alice@example.com");
    assert!(id["auth_time"].is_i64());
    assert_eq!(id["sid"], idp.sessions()[0].sid);
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["aud"][0], API);
    assert_eq!(access["azp"], SPA);
}

#[tokio::test]
async fn grants_the_api_scopes_the_user_holds() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce).with("scope", "openid read:messages");

    // Act
    let body = browser.tokens(&request, &pkce, "alice@example.com").await;

    // Assert
    assert_eq!(body["scope"], "openid read:messages");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["permissions"][0],
        "read:messages"
    );
}

#[tokio::test]
async fn the_access_token_from_the_code_flow_works_at_userinfo() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let body = browser
        .tokens(&AuthRequest::spa(&pkce), &pkce, "bob@example.com")
        .await;

    // Act
    let profile: Value = browser
        .userinfo(body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();

    // Assert
    assert_eq!(profile["sub"], "auth0|bob");
}

#[tokio::test]
async fn accepts_the_authorization_request_as_a_form_post() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new());

    // Act
    let response = browser
        .http
        .post(idp.url("/authorize"))
        .form(&request.params)
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(location(&response).starts_with("/u/login?state="));
}

#[tokio::test]
async fn uses_the_clients_first_callback_when_redirect_uri_is_omitted() {
    // Arrange: spa-js sends no redirect_uri when the app configured none.
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce).without("redirect_uri");

    // Act
    let back = browser.log_in(&request, "alice@example.com").await;
    let code = query_of(&location(&back))["code"].clone();
    let (status, _) = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("code_verifier", &pkce.verifier),
        ])
        .await;

    // Assert
    assert!(location(&back).starts_with("http://localhost:3000/?code="));
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn keeps_the_query_of_a_registered_redirect_uri() {
    // Arrange
    let idp = MockIdp::builder()
        .client(Client::spa("q").callback("https://app.test/cb?x=1"))
        .start()
        .await;
    let browser = Browser::new(&idp);
    idp.next_login("alice@example.com");
    let request = AuthRequest::spa(&Pkce::new())
        .with("client_id", "q")
        .with("redirect_uri", "https://app.test/cb?x=1");

    // Act
    let response = browser.authorize(&request).await;

    // Assert
    let callback = location(&response);
    assert!(
        callback.starts_with("https://app.test/cb?x=1&code="),
        "{callback}"
    );
    assert_eq!(query_of(&callback)["x"], "1");
}

#[tokio::test]
async fn fragment_mode_puts_the_response_after_the_hash() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    idp.next_login("alice@example.com");
    let request = AuthRequest::spa(&Pkce::new()).with("response_mode", "fragment");

    // Act
    let response = browser.authorize(&request).await;

    // Assert
    let callback = location(&response);
    assert!(
        callback.starts_with("http://localhost:3000/#code="),
        "{callback}"
    );
    assert_eq!(fragment_of(&callback)["state"], TRICKY_STATE);
}

#[tokio::test]
async fn form_post_mode_answers_an_auto_submitting_form_with_escaped_values() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    idp.next_login("alice@example.com");
    let request = AuthRequest::spa(&Pkce::new())
        .with("response_mode", "form_post")
        .with("state", "\"><script>alert(1)</script>");

    // Act
    let response = browser.authorize(&request).await;
    let cache = response.headers()["cache-control"].clone();
    let html = response.text().await.unwrap();

    // Assert
    assert_eq!(cache, "no-store");
    assert!(
        html.contains("<form method=\"post\" action=\"http://localhost:3000\">"),
        "{html}"
    );
    assert!(html.contains("name=\"code\" value=\""));
    assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(!html.contains("<script>alert(1)"));
}

// ---------------------------------------------------------------- the login page

#[tokio::test]
async fn shows_a_login_form_with_csrf_token_security_headers_and_the_users() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new()).with("login_hint", "bob@example.com");

    // Act
    let response = browser.authorize(&request).await;
    let (status, headers, form) = browser.login_page(&response).await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers.get("access-control-allow-origin").is_none());
    assert!(!form.csrf.is_empty());
    assert!(form.html.contains("name=\"username\""));
    assert!(form.html.contains("name=\"password\""));
    assert!(form.html.contains("type=\"submit\""));
    assert!(
        form.html.contains("value=\"bob@example.com\" required"),
        "prefilled from login_hint"
    );
    assert!(form.html.contains("alice@example.com"), "lists the users");
}

#[tokio::test]
async fn shows_the_form_again_with_a_generic_error_for_a_wrong_password() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let response = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let (_, _, form) = browser.login_page(&response).await;

    // Act
    let wrong = browser
        .submit_login(
            &form,
            &[("username", "alice@example.com"), ("password", "nope")],
        )
        .await;
    let unknown = browser
        .submit_login(
            &form,
            &[("username", "nobody@example.com"), ("password", "nope")],
        )
        .await;

    // Assert
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(set_cookies(&wrong).is_empty());
    let wrong_html = wrong.text().await.unwrap();
    assert!(wrong_html.contains("Wrong email or password."));
    assert!(wrong_html.contains("name=\"password\""));
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password."),
        "no user enumeration"
    );
    assert!(idp.sessions().is_empty());
}

#[tokio::test]
async fn refuses_a_login_post_without_the_transactions_csrf_token() {
    // Arrange: two transactions in one browser.
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let first = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let (_, _, form) = browser.login_page(&first).await;
    let second = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let (_, _, other) = browser.login_page(&second).await;
    let credentials = [("username", "alice@example.com"), ("password", "password")];

    // Act
    let missing = browser
        .http
        .post(idp.url("/u/login"))
        .form(&[
            ("state", form.state.as_str()),
            credentials[0],
            credentials[1],
        ])
        .send()
        .await
        .unwrap();
    let foreign = browser
        .submit_login(
            &LoginForm {
                csrf: other.csrf.clone(),
                state: form.state.clone(),
                html: String::new(),
            },
            &credentials,
        )
        .await;

    // Assert
    for response in [missing, foreign] {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(set_cookies(&response).is_empty());
    }
    assert!(idp.sessions().is_empty());
}

#[tokio::test]
async fn answers_a_good_login_with_303_and_a_fresh_httponly_lax_session_cookie() {
    // Arrange: a cookie planted before login (session fixation attempt).
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let response = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let (_, _, form) = browser.login_page(&response).await;

    // Act
    let posted = browser
        .http
        .post(idp.url("/u/login"))
        .header("cookie", "mock_idp_session=planted-by-attacker")
        .form(&[
            ("state", form.state.as_str()),
            ("csrf", form.csrf.as_str()),
            ("username", "alice@example.com"),
            ("password", "password"),
        ])
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(posted.status(), StatusCode::SEE_OTHER, "never 307");
    assert!(location(&posted).starts_with("/authorize/resume?state="));
    let cookie = set_cookies(&posted).pop().unwrap();
    assert!(cookie.starts_with("mock_idp_session="));
    assert!(!cookie.starts_with("mock_idp_session=planted-by-attacker"));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Path=/"));
    assert!(!cookie.contains("Secure"), "plain http must work");
    assert!(!cookie.contains("Domain"));
}

#[tokio::test]
async fn a_user_button_logs_that_user_in_without_typing() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let response = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let (_, _, form) = browser.login_page(&response).await;

    // Act
    let posted = browser
        .submit_login(&form, &[("login_as", "bob@example.com")])
        .await;

    // Assert
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(idp.sessions()[0].sub, "auth0|bob");
}

#[tokio::test]
async fn an_unknown_login_transaction_is_an_error_page() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);

    // Act
    let response = browser.get("/u/login?state=nope").await;

    // Assert
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

// ---------------------------------------------------------------- sessions and prompts

#[tokio::test]
async fn a_second_authorize_reuses_the_session_without_the_form() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let second = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;

    // Assert
    assert!(location(&second).starts_with("http://localhost:3000/?code="));
    assert_eq!(idp.sessions().len(), 1);
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required_with_state() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new()).with("prompt", "none");

    // Act
    let response = browser.authorize(&request).await;

    // Assert
    let params = query_of(&location(&response));
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["error_description"], "Login required");
    assert_eq!(params["state"], TRICKY_STATE);
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn prompt_none_with_a_session_issues_a_code_for_the_same_user() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("bob@example.com").await;
    let pkce = Pkce::new();

    // Act
    let response = browser
        .authorize(&AuthRequest::spa(&pkce).with("prompt", "none"))
        .await;
    let code = query_of(&location(&response))["code"].clone();
    let (_, body) = browser.redeem(&code, &pkce.verifier).await;

    // Assert
    assert_eq!(
        claims(body["id_token"].as_str().unwrap())["sub"],
        "auth0|bob"
    );
}

#[tokio::test]
async fn web_message_without_a_session_posts_login_required_to_the_apps_origin() {
    // Arrange: what the SDK's hidden iframe asks.
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new())
        .with("prompt", "none")
        .with("response_mode", "web_message");

    // Act
    let response = browser.authorize(&request).await;
    let status = response.status();
    let headers = response.headers().clone();
    let html = response.text().await.unwrap();

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers.get("x-frame-options").is_none(),
        "the iframe must load it"
    );
    assert!(headers.get("content-security-policy").is_none());
    assert!(html.contains("(window.opener||window.parent).postMessage(message,target)"));
    let (message, target) = posted_message(&html);
    assert_eq!(target, "http://localhost:3000");
    assert_eq!(message["type"], "authorization_response");
    assert_eq!(message["response"]["error"], "login_required");
    assert_eq!(message["response"]["state"], TRICKY_STATE);
}

#[tokio::test]
async fn web_message_with_a_session_posts_a_code_that_redeems() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce)
        .with("prompt", "none")
        .with("response_mode", "web_message");

    // Act
    let html = browser.authorize(&request).await.text().await.unwrap();
    let (message, _) = posted_message(&html);
    let code = message["response"]["code"].as_str().unwrap();
    let (status, body) = browser.redeem(code, &pkce.verifier).await;

    // Assert
    assert_eq!(message["response"]["state"], TRICKY_STATE);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        claims(body["id_token"].as_str().unwrap())["nonce"],
        "bm9uY2U+/="
    );
}

#[tokio::test]
async fn web_message_escapes_what_it_puts_into_the_script() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new())
        .with("prompt", "none")
        .with("response_mode", "web_message")
        .with("state", "</script><script>alert(1)</script>");

    // Act
    let html = browser.authorize(&request).await.text().await.unwrap();

    // Assert
    assert!(!html.contains("</script><script>alert(1)"), "{html}");
    assert_eq!(
        posted_message(&html).0["response"]["state"],
        "</script><script>alert(1)</script>"
    );
}

#[tokio::test]
async fn prompt_none_with_an_id_token_hint_for_another_user_is_login_required() {
    // Arrange: Bob's ID token, Alice's session.
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let bob_hint = idp
        .token()
        .id_token()
        .subject("auth0|bob")
        .audience(SPA)
        .sign();
    let alice_pkce = Pkce::new();
    let alice_tokens = browser
        .tokens(
            &AuthRequest::spa(&alice_pkce),
            &alice_pkce,
            "alice@example.com",
        )
        .await;
    let silent = AuthRequest::spa(&Pkce::new()).with("prompt", "none");

    // Act
    let for_bob = browser
        .authorize(&silent.clone().with("id_token_hint", &bob_hint))
        .await;
    let for_alice = browser
        .authorize(&silent.with("id_token_hint", alice_tokens["id_token"].as_str().unwrap()))
        .await;

    // Assert
    assert_eq!(query_of(&location(&for_bob))["error"], "login_required");
    assert!(location(&for_alice).starts_with("http://localhost:3000/?code="));
}

#[tokio::test]
async fn prompt_login_shows_the_form_despite_a_session_and_moves_auth_time() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let first_auth = idp.sessions()[0].auth_time;
    idp.clock().advance(Duration::from_secs(100));
    let pkce = Pkce::new();

    // Act
    let response = browser
        .authorize(&AuthRequest::spa(&pkce).with("prompt", "login"))
        .await;
    let is_form = location(&response).starts_with("/u/login?");
    let (_, _, form) = browser.login_page(&response).await;
    let posted = browser
        .submit_login(
            &form,
            &[("username", "alice@example.com"), ("password", "password")],
        )
        .await;
    let back = browser.follow(&posted).await;
    let code = query_of(&location(&back))["code"].clone();
    let (_, body) = browser.redeem(&code, &pkce.verifier).await;

    // Assert
    assert!(is_form);
    assert_eq!(
        claims(body["id_token"].as_str().unwrap())["auth_time"],
        first_auth + 100
    );
    assert_eq!(idp.sessions().len(), 1, "the old session was replaced");
}

#[tokio::test]
async fn max_age_forces_a_login_once_the_authentication_is_older() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    idp.clock().advance(Duration::from_secs(120));

    // Act
    let fresh_enough = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("max_age", "10000"))
        .await;
    let too_old = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("max_age", "60"))
        .await;
    let too_old_silent = browser
        .authorize(
            &AuthRequest::spa(&Pkce::new())
                .with("max_age", "60")
                .with("prompt", "none"),
        )
        .await;

    // Assert
    assert!(location(&fresh_enough).starts_with("http://localhost:3000/?code="));
    assert!(location(&too_old).starts_with("/u/login?"));
    assert_eq!(
        query_of(&location(&too_old_silent))["error"],
        "login_required"
    );
}

#[tokio::test]
async fn sessions_expire_with_the_clock() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    idp.clock().advance(Duration::from_secs(259_200 + 1));
    let response = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("prompt", "none"))
        .await;

    // Assert
    assert_eq!(query_of(&location(&response))["error"], "login_required");
    assert!(idp.sessions().is_empty());
}

#[tokio::test]
async fn ending_sessions_makes_silent_authentication_fail() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    idp.end_sessions();
    let response = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("prompt", "none"))
        .await;

    // Assert
    assert_eq!(query_of(&location(&response))["error"], "login_required");
}

#[tokio::test]
async fn next_login_skips_the_form_once() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    idp.next_login("bob@example.com");

    // Act
    let first = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let cookie = set_cookies(&first);
    idp.end_sessions();
    let second = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;

    // Assert
    assert!(location(&first).starts_with("http://localhost:3000/?code="));
    assert!(cookie[0].starts_with("mock_idp_session="));
    assert!(location(&second).starts_with("/u/login?"));
}

// ---------------------------------------------------------------- consent

#[tokio::test]
async fn a_client_that_requires_consent_shows_the_consent_page_once() {
    // Arrange
    let idp = MockIdp::builder()
        .client(
            Client::spa("third-party")
                .callback(APP)
                .require_consent(true),
        )
        .start()
        .await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new()).with("client_id", "third-party");
    browser.sign_in("alice@example.com").await;

    // Act
    let silent = browser
        .authorize(&request.clone().with("prompt", "none"))
        .await;
    let asks = browser.authorize(&request).await;
    let page = browser.follow(&asks).await;
    let page_headers = page.headers().clone();
    let html = page.text().await.unwrap();
    let accepted = browser.submit_consent(&html, "accept").await;
    let back = browser.follow(&accepted).await;
    let again = browser
        .authorize(&request.clone().with("prompt", "none"))
        .await;

    // Assert
    assert_eq!(query_of(&location(&silent))["error"], "consent_required");
    assert!(location(&asks).starts_with("/u/consent?"));
    assert_eq!(page_headers["x-frame-options"], "DENY");
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert!(location(&back).starts_with("http://localhost:3000/?code="));
    assert!(
        location(&again).starts_with("http://localhost:3000/?code="),
        "consent is remembered"
    );
}

#[tokio::test]
async fn declining_consent_returns_access_denied() {
    // Arrange
    let idp = MockIdp::builder()
        .client(
            Client::spa("third-party")
                .callback(APP)
                .require_consent(true),
        )
        .start()
        .await;
    let browser = Browser::new(&idp);
    idp.next_login("alice@example.com");
    let asks = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("client_id", "third-party"))
        .await;
    let html = browser.follow(&asks).await.text().await.unwrap();

    // Act
    let declined = browser.submit_consent(&html, "deny").await;
    let back = browser.follow(&declined).await;

    // Assert
    let params = query_of(&location(&back));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], TRICKY_STATE);
}

// ---------------------------------------------------------------- /authorize errors

#[tokio::test]
async fn an_unknown_or_missing_client_gets_an_html_page_and_no_redirect() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let base = AuthRequest::spa(&Pkce::new());

    for request in [
        base.clone().with("client_id", "nope"),
        base.without("client_id"),
    ] {
        // Act
        let response = browser.authorize(&request).await;

        // Assert
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(response.text().await.unwrap().contains("invalid_request"));
    }
}

#[tokio::test]
async fn a_redirect_uri_not_registered_exactly_gets_an_html_page_and_no_redirect() {
    // Arrange: a client with an https callback, where no loopback leniency applies.
    let idp = MockIdp::builder()
        .client(Client::spa("web").callback("https://app.test/cb"))
        .start()
        .await;
    let browser = Browser::new(&idp);
    let variants = [
        "https://evil.test/cb",
        "https://app.test/cb/",
        "https://APP.test/cb",
        "https://app.test/cb?x=1",
        "https://app.test/cb#f",
        "https://app.test/cb/../cb",
        "https://app.test.evil.test/cb",
        "https://app.test@evil.test/cb",
        "http://app.test/cb",
        "https://app.test:443/cb",
        "javascript:alert(1)",
    ];

    for uri in variants {
        // Act
        let response = browser
            .authorize(
                &AuthRequest::spa(&Pkce::new())
                    .with("client_id", "web")
                    .with("redirect_uri", uri),
            )
            .await;

        // Assert
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert!(response.headers().get("location").is_none(), "{uri}");
    }
}

#[tokio::test]
async fn a_repeated_redirect_uri_is_an_error_page_and_other_repeats_are_redirected() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let mut twice_redirect = AuthRequest::spa(&Pkce::new());
    twice_redirect
        .params
        .push(("redirect_uri".into(), "https://evil.test/".into()));
    let mut twice_scope = AuthRequest::spa(&Pkce::new());
    twice_scope.params.push(("scope".into(), "openid".into()));

    // Act
    let page = browser.authorize(&twice_redirect).await;
    let redirected = browser.authorize(&twice_scope).await;

    // Assert
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.headers().get("location").is_none());
    assert_eq!(query_of(&location(&redirected))["error"], "invalid_request");
}

#[tokio::test]
async fn errors_after_client_validation_go_back_to_the_client_with_state() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let base = AuthRequest::spa(&Pkce::new());
    let cases = [
        (base.clone().without("response_type"), "invalid_request"),
        (
            base.clone().with("response_type", "code device"),
            "unsupported_response_type",
        ),
        (
            base.clone().with("response_mode", "bogus"),
            "invalid_request",
        ),
        (base.clone().with("prompt", "none login"), "invalid_request"),
        (base.clone().with("max_age", "-1"), "invalid_request"),
        (
            base.clone().with("request", "eyJ.e30."),
            "request_not_supported",
        ),
        (
            base.clone().with("audience", "https://unknown"),
            "access_denied",
        ),
        // PKCE: public clients must use it; S256 only, case-sensitive; well-formed.
        (
            base.clone()
                .without("code_challenge")
                .without("code_challenge_method"),
            "invalid_request",
        ),
        (
            base.clone().with("code_challenge_method", "plain"),
            "invalid_request",
        ),
        (
            base.clone().with("code_challenge_method", "s256"),
            "invalid_request",
        ),
        (
            base.clone().without("code_challenge_method"),
            "invalid_request",
        ),
        (
            base.clone().with(
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=",
            ),
            "invalid_request",
        ),
    ];

    for (request, expected) in cases {
        // Act
        let response = browser.authorize(&request).await;

        // Assert
        assert_eq!(response.status(), StatusCode::FOUND);
        let params = query_of(&location(&response));
        assert_eq!(params["error"], expected, "{:?}", request.params);
        assert_eq!(params["state"], TRICKY_STATE);
        assert!(!params["error_description"].contains(['\r', '\n', '\t']));
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    idp.next_login("alice@example.com");
    let request = AuthRequest::spa(&Pkce::new())
        .with("extra", "foobar")
        .with("auth0Client", "eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0=")
        .with("ui_locales", "se")
        .with("display", "popup");

    // Act
    let response = browser.authorize(&request).await;

    // Assert
    assert!(location(&response).starts_with("http://localhost:3000/?code="));
}

#[tokio::test]
async fn a_request_without_state_gets_no_state_back() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    idp.next_login("alice@example.com");

    // Act
    let response = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).without("state"))
        .await;

    // Assert
    assert!(!location(&response).contains("state="));
}

// ---------------------------------------------------------------- the code grant

/// A code for `request` (any client and parameters), issued via `next_login` as Alice.
async fn code_for(browser: &Browser<'_>, request: &AuthRequest) -> String {
    browser.idp.next_login("alice@example.com");
    let response = browser.authorize(request).await;
    query_of(&location(&response))["code"].clone()
}

#[tokio::test]
async fn rejects_a_wrong_or_missing_code_verifier() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let code = code_for(&browser, &AuthRequest::spa(&pkce)).await;
    let other = Pkce::new();

    // Act
    let (wrong_status, wrong) = browser.redeem(&code, &other.verifier).await;
    let (short_status, _) = browser.redeem(&code, &"a".repeat(42)).await;
    let (padded_status, _) = browser.redeem(&code, &format!("{}+", pkce.verifier)).await;
    let (missing_status, _) = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", APP),
        ])
        .await;
    let (ok_status, _) = browser.redeem(&code, &pkce.verifier).await;

    // Assert
    assert_eq!(wrong_status, StatusCode::FORBIDDEN);
    assert_eq!(wrong["error"], "invalid_grant");
    assert_eq!(wrong["error_description"], "Failed to verify code verifier");
    assert_eq!(short_status, StatusCode::FORBIDDEN);
    assert_eq!(padded_status, StatusCode::FORBIDDEN);
    assert_eq!(missing_status, StatusCode::BAD_REQUEST);
    assert_eq!(
        ok_status,
        StatusCode::OK,
        "failed attempts do not burn the code"
    );
}

#[tokio::test]
async fn rejects_a_verifier_for_a_code_issued_without_a_challenge() {
    // Arrange: a confidential client may skip PKCE; a verifier then is a downgrade attempt.
    let idp = MockIdp::builder()
        .client(Client::regular_web("web", "s3cret").callback("https://app.test/cb"))
        .start()
        .await;
    let browser = Browser::new(&idp);
    let request = AuthRequest::spa(&Pkce::new())
        .with("client_id", "web")
        .with("redirect_uri", "https://app.test/cb")
        .without("code_challenge")
        .without("code_challenge_method");
    let code = code_for(&browser, &request).await;
    let form = |verifier: Option<&'static str>| {
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("client_id", "web"),
            ("client_secret", "s3cret"),
            ("redirect_uri", "https://app.test/cb"),
        ];
        f.extend(verifier.map(|v| ("code_verifier", v)));
        f
    };

    // Act
    let mut with_verifier = form(Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    with_verifier.push(("code", &code));
    let (downgrade, body) = browser.token(&with_verifier).await;
    let mut plain = form(None);
    plain.push(("code", &code));
    let (ok, _) = browser.token(&plain).await;

    // Assert
    assert_eq!(downgrade, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(ok, StatusCode::OK);
}

#[tokio::test]
async fn accepts_plain_pkce_only_from_a_client_that_allows_it() {
    // Arrange
    let idp = MockIdp::builder()
        .client(Client::spa("legacy").callback(APP).allow_plain_pkce(true))
        .start()
        .await;
    let browser = Browser::new(&idp);
    let verifier = "plain-verifier-plain-verifier-plain-verifier";
    let request = AuthRequest::spa(&Pkce::new())
        .with("client_id", "legacy")
        .with("code_challenge", verifier)
        .with("code_challenge_method", "plain");
    let code = code_for(&browser, &request).await;

    // Act
    let (status, body) = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", "legacy"),
            ("code", &code),
            ("code_verifier", verifier),
            ("redirect_uri", APP),
        ])
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn rejects_a_code_redeemed_twice_and_revokes_what_the_first_redemption_issued() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce).with("scope", "openid profile offline_access");
    let code = code_for(&browser, &request).await;
    let (_, first) = browser.redeem(&code, &pkce.verifier).await;
    let refresh_token = first["refresh_token"].as_str().unwrap().to_owned();
    let access_token = first["access_token"].as_str().unwrap().to_owned();

    // Act
    let (status, second) = browser.redeem(&code, &pkce.verifier).await;
    let (refresh_status, refresh) = browser
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &refresh_token),
        ])
        .await;
    let userinfo = browser.userinfo(&access_token).await;

    // Assert
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(second["error"], "invalid_grant");
    assert_eq!(second["error_description"], "Invalid authorization code");
    assert_eq!(refresh_status, StatusCode::FORBIDDEN);
    assert_eq!(
        refresh["error_description"],
        "Unknown or invalid refresh token."
    );
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_succeed_exactly_once() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let code = code_for(&browser, &AuthRequest::spa(&pkce)).await;

    // Act: 20 redemptions in flight at once.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let http = browser.http.clone();
        let url = idp.url("/oauth/token");
        let form = [
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", SPA.to_owned()),
            ("code", code.clone()),
            ("code_verifier", pkce.verifier.clone()),
            ("redirect_uri", APP.to_owned()),
        ];
        tasks.push(tokio::spawn(async move {
            http.post(url).form(&form).send().await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }

    // Assert
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1);
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::FORBIDDEN)
            .count(),
        19
    );
}

#[tokio::test]
async fn rejects_a_code_after_its_lifetime() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let code = code_for(&browser, &AuthRequest::spa(&pkce)).await;

    // Act
    idp.clock().advance(Duration::from_secs(601));
    let (status, body) = browser.redeem(&code, &pkce.verifier).await;

    // Assert
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error_description"], "Invalid authorization code");
}

#[tokio::test]
async fn rejects_a_code_redeemed_by_another_client_or_garbage() {
    // Arrange
    let idp = MockIdp::builder()
        .client(Client::spa("other-spa").callback(APP))
        .start()
        .await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let code = code_for(&browser, &AuthRequest::spa(&pkce)).await;

    // Act
    let (other_status, other) = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", "other-spa"),
            ("code", &code),
            ("code_verifier", &pkce.verifier),
            ("redirect_uri", APP),
        ])
        .await;
    let (garbage_status, _) = browser.redeem("garbage", &pkce.verifier).await;

    // Assert
    assert_eq!(other_status, StatusCode::FORBIDDEN);
    assert_eq!(other["error"], "invalid_grant");
    assert_eq!(garbage_status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rejects_a_token_request_whose_redirect_uri_differs_or_is_missing() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let code = code_for(&browser, &AuthRequest::spa(&pkce)).await;
    let base = [
        ("grant_type", "authorization_code"),
        ("client_id", SPA),
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];

    // Act
    let mut different = base.to_vec();
    different.push(("redirect_uri", "http://localhost:3000/other"));
    let (different_status, body) = browser.token(&different).await;
    let (missing_status, _) = browser.token(&base).await;

    // Assert
    assert_eq!(different_status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(missing_status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------- refresh tokens

#[tokio::test]
async fn offline_access_gives_a_refresh_token_that_rotates_and_detects_reuse() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce).with("scope", "openid profile email offline_access");
    let first = browser.tokens(&request, &pkce, "alice@example.com").await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |rt: String| {
        let browser = &browser;
        async move {
            browser
                .token(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", SPA),
                    ("refresh_token", &rt),
                    ("redirect_uri", APP),
                ])
                .await
        }
    };

    // Act
    let (rotated_status, rotated) = refresh(rt1.clone()).await;
    let rt2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    let (reuse_status, reuse) = refresh(rt1).await;
    let (family_status, _) = refresh(rt2.clone()).await;

    // Assert
    assert_eq!(rotated_status, StatusCode::OK);
    assert!(
        rotated["id_token"].is_string(),
        "spa-js needs an id_token on refresh"
    );
    let id = claims(rotated["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], "auth0|alice");
    assert_eq!(
        claims(rotated["access_token"].as_str().unwrap())["aud"][0],
        API,
        "audience bound to the refresh token"
    );
    assert_ne!(rt2, first["refresh_token"]);
    assert_eq!(reuse_status, StatusCode::FORBIDDEN);
    assert_eq!(
        reuse["error_description"],
        "Unknown or invalid refresh token."
    );
    assert_eq!(
        family_status,
        StatusCode::FORBIDDEN,
        "reuse revokes the family"
    );
}

// ---------------------------------------------------------------- logout

#[tokio::test]
async fn logout_to_an_allowed_url_ends_the_session_and_redirects() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let response = browser
        .get("/v2/logout?client_id=sample-spa&returnTo=http%3A%2F%2Flocalhost%3A3000&federated")
        .await;
    let cookie = set_cookies(&response).pop().unwrap();
    let silent = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("prompt", "none"))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "http://localhost:3000");
    assert!(cookie.starts_with("mock_idp_session=;"));
    assert!(cookie.contains("Max-Age=0"));
    assert!(idp.sessions().is_empty());
    assert_eq!(query_of(&location(&silent))["error"], "login_required");
}

#[tokio::test]
async fn logout_to_a_url_not_allowed_is_a_400_page_and_keeps_the_session() {
    // Arrange
    let idp = MockIdp::builder()
        .client(Client::spa("web").callback("https://app.test/"))
        .start()
        .await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;
    let targets = [
        "client_id=web&returnTo=https%3A%2F%2Fevil.test%2F",
        "client_id=web&returnTo=https%3A%2F%2Fapp.test%2Fx",
        "client_id=web&returnTo=https%3A%2F%2Fapp.test.evil.test%2F",
        "client_id=web&returnTo=%2F%2Fevil.test",
        "client_id=web&returnTo=https%3A%2F%2Fapp.test%40evil.test%2F",
        "returnTo=https%3A%2F%2Fevil.test%2F",
        "client_id=nope&returnTo=https%3A%2F%2Fapp.test%2F",
    ];

    for query in targets {
        // Act
        let response = browser.get(&format!("/v2/logout?{query}")).await;

        // Assert
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(response.headers().get("location").is_none(), "{query}");
    }
    assert_eq!(idp.sessions().len(), 1);
}

#[tokio::test]
async fn logout_without_return_to_uses_the_first_allowed_url_or_a_page() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);

    // Act: no session either, which is fine.
    let with_client = browser.get("/v2/logout?client_id=sample-spa").await;
    let without = browser.get("/v2/logout").await;
    let tenant_wide = browser
        .get("/v2/logout?returnTo=http%3A%2F%2Flocalhost%3A3000")
        .await;

    // Assert
    assert_eq!(location(&with_client), "http://localhost:3000");
    assert_eq!(without.status(), StatusCode::OK);
    assert!(without.text().await.unwrap().contains("You are logged out"));
    assert_eq!(location(&tenant_wide), "http://localhost:3000");
}

#[tokio::test]
async fn oidc_logout_takes_the_client_from_id_token_hint_and_returns_state() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let tokens = browser
        .tokens(&AuthRequest::spa(&pkce), &pkce, "alice@example.com")
        .await;
    let hint = tokens["id_token"].as_str().unwrap();

    // Act
    let response = browser
        .http
        .get(idp.url("/oidc/logout"))
        .query(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "http://localhost:3000/bye"),
            ("state", "s+1"),
        ])
        .send()
        .await
        .unwrap();
    let forged = browser
        .http
        .get(idp.url("/oidc/logout"))
        .query(&[("id_token_hint", "e30.e30.sig")])
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(location(&response), "http://localhost:3000/bye?state=s%2B1");
    assert!(idp.sessions().is_empty());
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------- control API

#[tokio::test]
async fn the_control_api_picks_the_next_login_and_lists_and_ends_sessions() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let control = reqwest::Client::new();

    // Act
    let unknown = control
        .post(idp.url("/_mock/login"))
        .json(&serde_json::json!({ "email": "nobody@example.com" }))
        .send()
        .await
        .unwrap();
    let chosen = control
        .post(idp.url("/_mock/login"))
        .json(&serde_json::json!({ "email": "bob@example.com" }))
        .send()
        .await
        .unwrap();
    let back = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let listed: Value = control
        .get(idp.url("/_mock/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ended = control
        .delete(idp.url("/_mock/sessions"))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(chosen.status(), StatusCode::NO_CONTENT);
    assert!(location(&back).starts_with("http://localhost:3000/?code="));
    let session = &listed["sessions"][0];
    assert_eq!(session["sub"], "auth0|bob");
    assert!(session["sid"].is_string());
    assert!(session["auth_time"].is_i64());
    assert!(session["expires_at"].is_i64());
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert!(idp.sessions().is_empty());
}

#[tokio::test]
async fn reset_forgets_sessions_and_codes() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let code = code_for(&browser, &AuthRequest::spa(&pkce)).await;

    // Act
    idp.reset();
    let (status, _) = browser.redeem(&code, &pkce.verifier).await;

    // Assert
    assert!(idp.sessions().is_empty());
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn browser_requests_are_journaled_without_secrets() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);

    // Act
    browser.sign_in("alice@example.com").await;

    // Assert
    let endpoints: Vec<_> = idp
        .received_requests()
        .iter()
        .map(|r| (r.endpoint, r.status))
        .collect();
    use mock_idp::Endpoint::{Authorize, Login};
    assert_eq!(
        endpoints,
        vec![
            (Authorize, 302),
            (Login, 200),
            (Login, 303),
            (Authorize, 302)
        ]
    );
}
