//! Whatever body a Management API route is sent, the mock answers it without a 5xx, and a
//! refused request changes nothing.

use mock_idp::{Action, MockIdp, Organization, Role, Trigger, User};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::Management;

/// The routes that take a body, with the default tenant's alice and organization, a
/// configured role, and a configured Action (`{action}`: its id, known once the mock runs).
fn routes() -> Vec<(&'static str, String)> {
    let role = Role::new("reader").id();
    let org = Organization::new("acme").id();
    vec![
        ("POST", "/organizations".into()),
        ("PATCH", format!("/organizations/{org}")),
        ("POST", format!("/organizations/{org}/members")),
        ("DELETE", format!("/organizations/{org}/members")),
        (
            "POST",
            format!("/organizations/{org}/members/auth0%7Calice/roles"),
        ),
        (
            "DELETE",
            format!("/organizations/{org}/members/auth0%7Calice/roles"),
        ),
        ("POST", "/users".into()),
        ("PATCH", "/users/auth0%7Ccarol".into()),
        ("POST", "/users/auth0%7Ccarol/roles".into()),
        ("DELETE", "/users/auth0%7Ccarol/roles".into()),
        ("POST", "/users/auth0%7Ccarol/permissions".into()),
        ("POST", "/roles".into()),
        ("PATCH", format!("/roles/{role}")),
        ("POST", format!("/roles/{role}/permissions")),
        ("DELETE", format!("/roles/{role}/permissions")),
        ("POST", format!("/roles/{role}/users")),
        ("POST", "/actions/actions".into()),
        ("PATCH", "/actions/actions/{action}".into()),
        ("PATCH", "/actions/triggers/post-login/bindings".into()),
    ]
}

/// JSON values of every type, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z@.|_ ]{0,12}".prop_map(Value::from),
        Just(json!("Username-Password-Authentication")),
        Just(json!("carol@example.com")),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The fields the routes know, and some they do not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "connection",
            "email",
            "password",
            "user_id",
            "blocked",
            "name",
            "app_metadata",
            "user_metadata",
            "roles",
            "permissions",
            "users",
            "description",
            "resource_server_identifier",
            "permission_name",
            "given_name",
            "display_name",
            "branding",
            "metadata",
            "members",
            "supported_triggers",
            "code",
            "runtime",
            "secrets",
            "dependencies",
            "bindings",
            "ref",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// A malformed body: arbitrary bytes, or JSON of the wrong shape (an object the route almost
/// takes, or any other value).
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::btree_map(key(), json_value(), 1..5).prop_map(|m| Value::Object(
            m.into_iter().collect()
        )
        .to_string()
        .into_bytes()),
    ]
}

async fn state(management: &Management<'_>) -> Value {
    json!([
        management.get("/users?per_page=100").await.1,
        management.get("/roles").await.1,
        management
            .get(&format!("/roles/{}/permissions", Role::new("reader").id()))
            .await
            .1,
        management.get("/organizations").await.1,
        management.get("/actions/actions").await.1,
        management
            .get("/actions/triggers/post-login/bindings")
            .await
            .1,
        management
            .get(&format!(
                "/organizations/{}/members?fields=roles",
                Organization::new("acme").id()
            ))
            .await
            .1,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn malformed_bodies_never_give_a_5xx_and_refused_ones_change_nothing(
        route in prop::sample::select((0..routes().len()).collect::<Vec<_>>()),
        body in body(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            // Arrange: the clock is frozen, so a change is the only thing that alters state.
            let idp = MockIdp::builder()
                .deterministic()
                .role(Role::new("reader").permissions(["read:messages"]))
                .user(User::new("carol@example.com").roles(["reader"]))
                .action(Action::new("noop", Trigger::PostLogin, "exports.onExecutePostLogin = async () => {};"))
                .start()
                .await;
            let management = Management::new(&idp).await;
            let before = state(&management).await;
            let (method, path) = &routes()[route];
            let (_, actions) = management.get("/actions/actions").await;
            let path = &path.replace("{action}", actions["actions"][0]["id"].as_str().unwrap());

            // Act
            let (status, answer) = management.send_raw(method, path, Some(body.clone())).await;

            // Assert
            assert!(status < 500, "{method} {path} {:?}: {status} {answer}", String::from_utf8_lossy(&body));
            if status >= 400 {
                assert!(answer["errorCode"].is_string(), "{answer}");
                assert_eq!(state(&management).await, before, "{method} {path}: {answer}");
            }
        });
    }
}
