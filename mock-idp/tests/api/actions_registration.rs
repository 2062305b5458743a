//! pre-user-registration and post-user-registration, around every sign-up Auth0 runs them for:
//! `POST /dbconnections/signup`, the sign-up page, and `POST /api/v2/users` (without a client).

use mock_idp::{Action, MockIdp, Trigger};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{AuthRequest, Browser, Management, Pkce, hidden};
use crate::signup::sign_up;

const DB: &str = "Username-Password-Authentication";

fn dana() -> Value {
    json!({ "client_id": "sample-spa", "email": "dana@blocked.example", "password": "Passw0rd!",
            "connection": DB, "user_metadata": { "plan": "free" } })
}

/// Auth0's "deny registration" example, by email domain, with a message for the user.
const DENY_DOMAIN: &str = r#"
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith("@blocked.example")) {
    api.access.deny("blocked_domain", "Sign-ups from this domain are not allowed.");
  }
};"#;

async fn idp_with(actions: &[(Trigger, &str)]) -> MockIdp {
    let mut builder = MockIdp::builder();
    for (i, (trigger, code)) in actions.iter().enumerate() {
        builder = builder.action(Action::new(format!("action-{i}"), *trigger, *code));
    }
    builder.start().await
}

#[tokio::test]
async fn pre_user_registration_rejects_a_sign_up_and_nobody_is_created() {
    // Arrange
    let idp = idp_with(&[(Trigger::PreUserRegistration, DENY_DOMAIN)]).await;

    // Act
    let (status, body) = sign_up(&idp, dana()).await;

    // Assert
    assert_eq!(status, 400);
    assert_eq!(body["code"], "extensibility_error");
    assert_eq!(
        body["description"],
        "Sign-ups from this domain are not allowed."
    );
    assert!(idp.user("dana@blocked.example").is_none());
    assert!(idp.outbox().is_empty(), "no verification email either");
}

#[tokio::test]
async fn pre_user_registration_adds_metadata_to_the_user_it_lets_in() {
    // Arrange: Auth0's "set metadata in the user profile", and an id from another system.
    let idp = idp_with(&[(
        Trigger::PreUserRegistration,
        r#"
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setUserMetadata("screen_name", event.user.email.split("@")[0]);
  api.user.setAppMetadata("crm_id", `crm-${event.request.body.email}`);
  api.user.setAppMetadata("client", event.client.client_id);
};"#,
    )])
    .await;
    let mut body = dana();
    body["email"] = "dana@example.com".into();

    // Act
    let (status, created) = sign_up(&idp, body).await;

    // Assert
    assert_eq!(status, 200, "{created}");
    let user = idp.user("dana@example.com").unwrap();
    assert_eq!(user.user_metadata["screen_name"], "dana");
    assert_eq!(
        user.user_metadata["plan"], "free",
        "the sign-up's own metadata stays"
    );
    assert_eq!(user.app_metadata["crm_id"], "crm-dana@example.com");
    assert_eq!(user.app_metadata["client"], "sample-spa");
}

#[tokio::test]
async fn api_validation_error_refuses_the_sign_up_page_with_its_message() {
    // Arrange
    let idp = idp_with(&[(
        Trigger::PreUserRegistration,
        r#"
exports.onExecutePreUserRegistration = async (event, api) => {
  if (!event.user.email.endsWith("@example.com")) {
    api.validation.error("invalid_payload", "Use your work email address.");
  }
};"#,
    )])
    .await;
    let browser = Browser::new(&idp);
    let redirect = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("screen_hint", "signup"))
        .await;
    let page = browser.follow(&redirect).await.text().await.unwrap();

    // Act
    let refused = browser
        .http
        .post(idp.url("/u/signup"))
        .form(&[
            ("state", hidden(&page, "state")),
            ("csrf", hidden(&page, "csrf")),
            ("email", "dana@gmail.example".to_owned()),
            ("password", "Passw0rd!".to_owned()),
        ])
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Use your work email address.")
    );
    assert!(idp.user("dana@gmail.example").is_none());
}

#[tokio::test]
async fn a_throwing_pre_user_registration_fails_the_sign_up_naming_the_action() {
    // Arrange
    let idp = idp_with(&[(
        Trigger::PreUserRegistration,
        r#"exports.onExecutePreUserRegistration = async () => { throw new Error("crm is down"); };"#,
    )])
    .await;

    // Act
    let (status, body) = sign_up(&idp, dana()).await;

    // Assert
    assert_eq!(status, 400);
    assert_eq!(body["code"], "extensibility_error");
    let description = body["description"].as_str().unwrap();
    assert!(
        description.contains("action-0") && description.contains("crm is down"),
        "{description}"
    );
    assert!(idp.user("dana@blocked.example").is_none());
}

#[tokio::test]
async fn post_user_registration_tells_the_teams_service_about_the_new_user() {
    // Arrange
    let service = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/welcome"))
        .and(body_partial_json(json!({ "email": "dana@example.com" })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&service)
        .await;
    let idp = MockIdp::builder()
        .action(
            Action::new(
                "welcome",
                Trigger::PostUserRegistration,
                r#"
exports.onExecutePostUserRegistration = async (event, api) => {
  await fetch(`${event.secrets.SERVICE}/welcome`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: event.user.user_id, email: event.user.email }),
  });
};"#,
            )
            .secret("SERVICE", service.uri()),
        )
        .start()
        .await;
    let mut body = dana();
    body["email"] = "dana@example.com".into();

    // Act
    let (status, created) = sign_up(&idp, body).await;

    // Assert
    assert_eq!(status, 200, "{created}");
    let requests = service.received_requests().await.unwrap();
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        sent["user_id"],
        format!("auth0|{}", created["_id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn a_failing_post_user_registration_changes_nothing_and_is_journaled() {
    // Arrange
    let idp = idp_with(&[(
        Trigger::PostUserRegistration,
        r#"exports.onExecutePostUserRegistration = async () => { throw new Error("webhook down"); };"#,
    )])
    .await;
    let mut body = dana();
    body["email"] = "dana@example.com".into();

    // Act
    let (status, created) = sign_up(&idp, body).await;

    // Assert
    assert_eq!(status, 200, "Auth0 only logs it: {created}");
    assert!(idp.user("dana@example.com").is_some());
    let requests = idp.received_requests();
    let console = &requests.last().unwrap().console;
    assert_eq!(console.len(), 1, "{console:?}");
    assert!(
        console[0].starts_with("[action-0] error: post-user-registration failed")
            && console[0].contains("webhook down"),
        "{console:?}"
    );
}

#[tokio::test]
async fn the_management_api_runs_both_triggers_without_a_client() {
    // Arrange
    let idp = idp_with(&[
        (
            Trigger::PreUserRegistration,
            r#"
exports.onExecutePreUserRegistration = async (event, api) => {
  api.user.setAppMetadata("source", event.client === undefined ? "management-api" : "sign-up");
  api.user.setAppMetadata("saw_password", JSON.stringify(event.request.body).includes("Passw0rd"));
};"#,
        ),
        (
            Trigger::PostUserRegistration,
            r#"exports.onExecutePostUserRegistration = async (event) => { console.log("created", event.user.user_id); };"#,
        ),
        (Trigger::PreUserRegistration, DENY_DOMAIN),
    ])
    .await;
    let management = Management::new(&idp).await;

    // Act
    let created = management.create_user("erin@example.com", json!({})).await;
    let (status, refused) = management
        .post(
            "/users",
            json!({ "connection": DB, "email": "dana@blocked.example", "password": "Passw0rd!" }),
        )
        .await;

    // Assert
    assert_eq!(created["app_metadata"]["source"], "management-api");
    assert_eq!(created["app_metadata"]["saw_password"], false);
    let journal = idp.received_requests();
    let create = journal
        .iter()
        .find(|r| r.method == "POST" && r.path == "/api/v2/users")
        .unwrap();
    assert_eq!(
        create.console,
        [format!(
            "[action-1] log: created {}",
            created["user_id"].as_str().unwrap()
        )]
    );
    assert_eq!(status, 400);
    assert_eq!(refused["errorCode"], "extensibility_error");
    assert_eq!(
        refused["message"],
        "Sign-ups from this domain are not allowed."
    );
    assert!(idp.user("dana@blocked.example").is_none());
}
