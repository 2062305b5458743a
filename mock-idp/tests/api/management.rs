//! The Management API v2 (`/api/v2/`): its token, Auth0's errors, users and roles, and that
//! what it changes is live for every login path and the next token.

use insta::assert_json_snapshot;
use mock_idp::{MockIdp, Role, User};
use serde_json::{Value, json};

use crate::helpers::{
    API, AuthRequest, Browser, Management, Pkce, claims, client, id_path, password_grant,
    token_form,
};

fn all_scopes_of(token: &str) -> Vec<String> {
    claims(token)["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_m2m_client_gets_a_token_for_the_issuers_api_v2_with_auth0s_scopes() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let management = Management::new(&idp).await;

    // Assert
    let token = claims(&management.token);
    assert_eq!(token["aud"], format!("{}api/v2/", idp.issuer()));
    assert_eq!(token["gty"], "client-credentials");
    let scopes = all_scopes_of(&management.token);
    for scope in [
        "read:users",
        "create:users",
        "update:users",
        "delete:users",
        "read:roles",
        "create:roles",
        "update:users_app_metadata",
        "read:organizations",
        "create:organizations",
    ] {
        assert!(scopes.iter().any(|s| s == scope), "{scope} in {scopes:?}");
    }
}

#[tokio::test]
async fn a_user_cannot_get_a_management_api_token() {
    // Arrange
    let idp = MockIdp::start().await;
    let audience = format!("{}api/v2/", idp.issuer());

    // Act
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("audience", &audience),
            ("scope", "delete:users"),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "access_denied");
}

#[tokio::test]
async fn the_management_api_follows_the_issuer_when_it_changes() {
    // Arrange
    let idp = MockIdp::start().await;
    let before = Management::new(&idp).await;
    let issuer = format!("http://127.0.0.1:{}/", idp.address().port());
    let changed = client()
        .post(idp.url("/_mock/issuer"))
        .json(&json!({ "issuer": issuer }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);

    // Act
    let after = Management::new(&idp).await;

    // Assert
    assert_eq!(claims(&after.token)["aud"], format!("{issuer}api/v2/"));
    assert_eq!(after.get("/users/auth0%7Calice").await.0, 200);
    let (status, body) = before.get("/users/auth0%7Calice").await;
    assert_eq!(status, 401, "a token of the old issuer: {body}");
}

#[tokio::test]
async fn a_request_without_a_token_is_401_missing_authentication() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let response = client().get(idp.url("/api/v2/users")).send().await.unwrap();

    // Assert
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "statusCode": 401, "error": "Unauthorized", "message": "Missing authentication", "errorCode": "invalid_token" })
    );
}

#[tokio::test]
async fn a_token_for_another_api_or_a_forged_one_is_401() {
    // Arrange
    let idp = MockIdp::start().await;
    let api_token = crate::helpers::client_credentials(&idp).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let forged = format!("{}x", Management::new(&idp).await.token);

    // Act
    let (other_api, body) = Management::with_token(&idp, &api_token).get("/users").await;
    let (bad_signature, _) = Management::with_token(&idp, &forged).get("/users").await;

    // Assert
    assert_eq!(other_api, 401);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Bad audience"),
        "{body}"
    );
    assert_eq!(bad_signature, 401);
}

#[tokio::test]
async fn an_expired_token_is_401_by_the_mocks_clock() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    idp.clock().advance_secs(86_401);

    // Act
    let (status, body) = management.get("/users").await;

    // Assert
    assert_eq!(status, 401);
    assert_eq!(
        body["message"],
        "Expired token received for JSON Web Token validation"
    );
}

#[tokio::test]
async fn a_token_without_the_routes_scope_is_403_naming_the_scopes_expected() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::with_scope(&idp, Some("read:roles")).await;

    // Act
    let (list, list_body) = management.get("/users").await;
    let (create, create_body) = management
        .post("/users", json!({ "connection": "Username-Password-Authentication", "email": "x@example.com", "password": "p" }))
        .await;

    // Assert
    assert_eq!(list, 403);
    assert_eq!(
        list_body,
        json!({ "statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: read:users", "errorCode": "insufficient_scope" })
    );
    assert_eq!(create, 403);
    assert_eq!(
        create_body["message"],
        "Insufficient scope, expected any of: create:users"
    );
    assert_eq!(
        Management::new(&idp)
            .await
            .get("/users-by-email?email=x@example.com")
            .await
            .1,
        json!([]),
        "nothing created"
    );
}

#[tokio::test]
async fn an_unknown_user_or_role_is_404_with_auth0s_error_code() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (user, user_body) = management.get("/users/auth0%7Cnobody").await;
    let (role, role_body) = management.get("/roles/rol_nothing").await;
    let (patch, _) = management
        .patch("/users/auth0%7Cnobody", json!({ "blocked": true }))
        .await;
    let (route, _) = management.get("/clients").await;

    // Assert
    assert_eq!(
        (user, user_body["errorCode"].as_str()),
        (404, Some("inexistent_user"))
    );
    assert_eq!(user_body["message"], "The user does not exist.");
    assert_eq!(
        (role, role_body["errorCode"].as_str()),
        (404, Some("inexistent_role"))
    );
    assert_eq!(patch, 404);
    assert_eq!(route, 404);
}

#[tokio::test]
async fn creating_a_user_that_exists_is_409_and_changes_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let (_, before) = management.get("/users").await;

    // Act
    let (status, body) = management
        .post("/users", json!({ "connection": "Username-Password-Authentication", "email": "ALICE@example.com", "password": "other", "name": "Not Alice" }))
        .await;

    // Assert
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({ "statusCode": 409, "error": "Conflict", "message": "The user already exists.", "errorCode": "auth0_idp_error" })
    );
    assert_eq!(management.get("/users").await.1, before);
    assert_eq!(
        password_grant(&idp, "alice@example.com", "openid").await["token_type"],
        "Bearer",
        "alice's password is unchanged"
    );
}

#[tokio::test]
async fn payloads_the_route_does_not_take_are_400_invalid_body_and_change_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let (_, before) = management.get("/users").await;
    let user = |extra: Value| {
        let mut body = json!({ "connection": "Username-Password-Authentication", "email": "new@example.com", "password": "pw" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };

    // Act
    let answers = vec![
        management.post("/users", json!({ "email": "new@example.com", "password": "pw" })).await,
        management.post("/users", user(json!({ "favourite_colour": "blue" }))).await,
        management.post("/users", user(json!({ "email": "not-an-email" }))).await,
        management.post("/users", user(json!({ "app_metadata": "not an object" }))).await,
        management.post("/users", json!({ "connection": "Username-Password-Authentication", "email": "new@example.com" })).await,
        management.send_raw("POST", "/users", Some(b"{not json".to_vec())).await,
        management.send_raw("POST", "/users", Some(b"[]".to_vec())).await,
        management.patch("/users/auth0%7Calice", json!({ "blocked": "yes" })).await,
        management.post("/roles", json!({ "name": "" })).await,
        management.post("/users/auth0%7Calice/roles", json!({ "roles": [] })).await,
    ];
    let (connection, connection_body) = management
        .post("/users", user(json!({ "connection": "google-oauth2" })))
        .await;

    // Assert
    for (status, body) in &answers {
        assert_eq!(*status, 400, "{body}");
        assert_eq!(body["errorCode"], "invalid_body", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Payload validation error"),
            "{body}"
        );
    }
    assert_eq!(
        (connection, connection_body["errorCode"].as_str()),
        (400, Some("inexistent_connection"))
    );
    assert_eq!(management.get("/users").await.1, before);
    assert_eq!(management.get("/roles").await.1, json!([]));
}

#[tokio::test]
async fn query_strings_the_route_does_not_take_are_400_invalid_query_string() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let answers = vec![
        management.get("/users?per_page=101").await,
        management.get("/users?page=-1").await,
        management.get("/users?include_totals=maybe").await,
        management.get("/users?colour=blue").await,
        management.get("/users?q=email%3Aa%20OR%20email%3Ab").await,
        management.get("/users?q=password%3Ax").await,
        management.get("/users-by-email").await,
    ];

    // Assert
    for (status, body) in answers {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errorCode"], "invalid_query_string", "{body}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_not_a_crash() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(200 * 1024));

    // Act
    let (status, body) = management
        .send_raw("POST", "/roles", Some(huge.into_bytes()))
        .await;

    // Assert
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["statusCode"], 413);
}

#[tokio::test]
async fn a_created_user_logs_in_at_once_on_the_login_page_and_with_the_password_grant() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let carol = management
        .create_user(
            "carol@example.com",
            json!({ "name": "Carol Example", "app_metadata": { "plan": "pro" } }),
        )
        .await;

    // Act
    let tokens = password_grant(&idp, "carol@example.com", "openid profile").await;
    let browser = Browser::new(&idp);
    let back = browser
        .log_in(&AuthRequest::spa(&Pkce::new()), "carol@example.com")
        .await;

    // Assert
    let user_id = carol["user_id"].as_str().unwrap();
    assert!(
        user_id.starts_with("auth0|") && user_id.len() == 30,
        "{user_id}"
    );
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["sub"], user_id);
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["name"],
        "Carol Example"
    );
    assert!(crate::helpers::location(&back).contains("code="));
    let (_, fetched) = management
        .get(&format!("/users/{}", id_path(user_id)))
        .await;
    assert_eq!(
        fetched["identities"][0]["connection"],
        "Username-Password-Authentication"
    );
    assert_eq!(fetched["app_metadata"], json!({ "plan": "pro" }));
    assert_eq!(fetched["logins_count"], 2);
}

#[tokio::test]
async fn logins_set_last_login_and_count_by_the_mocks_clock() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;
    let management = Management::new(&idp).await;

    // Act
    password_grant(&idp, "bob@example.com", "openid").await;
    idp.clock().advance_secs(3_600);
    password_grant(&idp, "bob@example.com", "openid").await;

    // Assert
    let (_, bob) = management.get("/users/auth0%7Cbob").await;
    assert_eq!(bob["logins_count"], 2);
    assert_eq!(bob["last_login"], "2030-01-01T01:00:00.000Z");
    let (_, alice) = management.get("/users/auth0%7Calice").await;
    assert_eq!(alice["logins_count"], 0);
    assert!(alice.get("last_login").is_none());
}

#[tokio::test]
async fn patch_merges_metadata_as_auth0_does_and_replaces_other_fields() {
    // Arrange
    let idp = MockIdp::builder()
        .user(
            User::new("carol@example.com")
                .app_metadata("plan", "free")
                .app_metadata("region", "eu")
                .user_metadata("theme", "dark"),
        )
        .start()
        .await;
    let management = Management::new(&idp).await;

    // Act
    let (status, carol) = management
        .patch(
            "/users/auth0%7Ccarol",
            json!({
                "app_metadata": { "plan": "pro", "region": null, "limits": { "seats": 5 } },
                "user_metadata": {},
                "given_name": "Carol",
                "email_verified": false,
            }),
        )
        .await;

    // Assert
    assert_eq!(status, 200, "{carol}");
    assert_eq!(
        carol["app_metadata"],
        json!({ "plan": "pro", "limits": { "seats": 5 } })
    );
    assert_eq!(carol["user_metadata"], json!({}));
    assert_eq!(carol["given_name"], "Carol");
    assert_eq!(carol["email_verified"], false);
    assert_eq!(
        management.get("/users/auth0%7Ccarol").await.1,
        carol,
        "kept"
    );
}

#[tokio::test]
async fn patch_changes_the_password_and_the_old_one_stops_working() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (status, _) = management
        .patch(
            "/users/auth0%7Cbob",
            json!({ "password": "n3w-pass", "connection": "Username-Password-Authentication" }),
        )
        .await;

    // Assert
    assert_eq!(status, 200);
    let grant = |password: &'static str| {
        let idp = &idp;
        async move {
            token_form(
                idp,
                &[
                    ("grant_type", "password"),
                    ("client_id", "sample-spa"),
                    ("username", "bob@example.com"),
                    ("password", password),
                ],
            )
            .await
            .0
        }
    };
    assert_eq!(grant("password").await, 403);
    assert_eq!(grant("n3w-pass").await, 200);
}

#[tokio::test]
async fn changing_the_email_keeps_the_user_id() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (status, bob) = management
        .patch(
            "/users/auth0%7Cbob",
            json!({ "email": "robert@example.com" }),
        )
        .await;
    let (taken, _) = management
        .patch(
            "/users/auth0%7Cbob",
            json!({ "email": "alice@example.com" }),
        )
        .await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(
        (bob["user_id"].as_str(), bob["email"].as_str()),
        (Some("auth0|bob"), Some("robert@example.com"))
    );
    assert_eq!(taken, 409);
}

#[tokio::test]
async fn q_finds_users_by_exact_fields_and_app_metadata_joined_by_and() {
    // Arrange
    let idp = MockIdp::builder()
        .user(
            User::new("carol@example.com")
                .app_metadata("plan", "pro")
                .app_metadata("team", "red"),
        )
        .user(
            User::new("dave@example.com")
                .app_metadata("plan", "pro")
                .app_metadata("team", "blue"),
        )
        .user(User::new("erin@example.com").app_metadata("plan", "free"))
        .start()
        .await;
    let management = Management::new(&idp).await;
    let emails = |users: &Value| -> Vec<String> {
        users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let search = |q: &str| format!("/users?search_engine=v3&q={}", id_path(q));

    // Act
    let (_, pro) = management.get(&search(r#"app_metadata.plan:"pro""#)).await;
    let (_, pro_blue) = management
        .get(&search(
            r#"app_metadata.plan:"pro" AND app_metadata.team:"blue""#,
        ))
        .await;
    let (_, by_email) = management
        .get(&search(r#"email:"CAROL@example.com""#))
        .await;
    let (_, by_id) = management.get(&search(r#"user_id:"auth0|erin""#)).await;
    let (_, none) = management.get(&search(r#"app_metadata.plan:"pr""#)).await;
    let (_, by_email_route) = management
        .get("/users-by-email?email=dave%40example.com")
        .await;

    // Assert
    assert_eq!(emails(&pro), ["carol@example.com", "dave@example.com"]);
    assert_eq!(emails(&pro_blue), ["dave@example.com"]);
    assert_eq!(emails(&by_email), ["carol@example.com"]);
    assert_eq!(emails(&by_id), ["erin@example.com"]);
    assert_eq!(
        emails(&none),
        Vec::<String>::new(),
        "exact, not a substring"
    );
    assert_eq!(emails(&by_email_route), ["dave@example.com"]);
}

#[tokio::test]
async fn users_are_listed_in_pages_with_auth0s_totals() {
    // Arrange
    let mut builder = MockIdp::builder().without_default_tenant();
    for n in 0..7 {
        builder = builder.user(User::new(format!("user{n}@example.com")));
    }
    let idp = builder
        .api(mock_idp::Api::new("https://unused"))
        .client(
            mock_idp::Client::m2m("sample-m2m", "sample-m2m-secret")
                .grant(mock_idp::MANAGEMENT_AUDIENCE, ["read:users"]),
        )
        .start()
        .await;
    let management = Management::new(&idp).await;

    // Act
    let (_, plain) = management.get("/users?per_page=3&page=1").await;
    let (_, totals) = management
        .get("/users?per_page=3&page=2&include_totals=true")
        .await;
    let (_, fields) = management
        .get("/users?per_page=1&fields=email,user_id")
        .await;

    // Assert
    let emails: Vec<&str> = plain
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "user3@example.com",
            "user4@example.com",
            "user5@example.com"
        ]
    );
    assert_eq!(
        (
            totals["start"].as_u64(),
            totals["limit"].as_u64(),
            totals["length"].as_u64(),
            totals["total"].as_u64()
        ),
        (Some(6), Some(3), Some(1), Some(7))
    );
    assert_eq!(totals["users"][0]["email"], "user6@example.com");
    assert_eq!(
        fields,
        json!([{ "email": "user0@example.com", "user_id": "auth0|user0" }])
    );
}

#[tokio::test]
async fn a_role_assigned_shows_in_the_next_tokens_permissions() {
    // Arrange
    let idp = MockIdp::builder()
        .api(
            mock_idp::Api::new("https://sample-api")
                .permissions(["read:messages", "write:messages"])
                .rbac(true),
        )
        .start()
        .await;
    let management = Management::new(&idp).await;
    let writer = management.create_role("writer").await;
    let (granted, _) = management
        .post(&format!("/roles/{writer}/permissions"), json!({ "permissions": [{ "resource_server_identifier": API, "permission_name": "write:messages" }] }))
        .await;
    assert_eq!(granted, 201);
    let before = password_grant(&idp, "bob@example.com", "write:messages").await;

    // Act
    let (assigned, _) = management
        .post("/users/auth0%7Cbob/roles", json!({ "roles": [writer] }))
        .await;
    let after = password_grant(&idp, "bob@example.com", "write:messages").await;

    // Assert
    assert_eq!(assigned, 204);
    assert_eq!(
        claims(before["access_token"].as_str().unwrap())["permissions"],
        json!([])
    );
    assert_eq!(
        claims(after["access_token"].as_str().unwrap())["permissions"],
        json!(["write:messages"])
    );
    let (_, roles) = management.get("/users/auth0%7Cbob/roles").await;
    assert_eq!(roles[0]["name"], "writer");
    let (_, permissions) = management.get("/users/auth0%7Cbob/permissions").await;
    assert_eq!(permissions[0]["permission_name"], "write:messages");
    assert_eq!(permissions[0]["sources"][0]["source_type"], "ROLE");
    let (_, members) = management.get(&format!("/roles/{writer}/users")).await;
    assert_eq!(members[0]["user_id"], "auth0|bob");

    // And removing it takes it away from the next token.
    let (removed, _) = management
        .delete(
            "/users/auth0%7Cbob/roles",
            Some(json!({ "roles": [writer] })),
        )
        .await;
    assert_eq!(removed, 204);
    let last = password_grant(&idp, "bob@example.com", "write:messages").await;
    assert_eq!(
        claims(last["access_token"].as_str().unwrap())["permissions"],
        json!([])
    );
}

#[tokio::test]
async fn a_role_permission_for_one_api_does_not_count_for_another_that_defines_the_name() {
    // Arrange
    let idp = MockIdp::builder()
        .api(
            mock_idp::Api::new("https://sample-api")
                .permissions(["read:messages", "export"])
                .rbac(true),
        )
        .api(
            mock_idp::Api::new("https://reports")
                .permissions(["export"])
                .rbac(true),
        )
        .role(
            Role::new("exporter")
                .permissions([mock_idp::Permission::on("https://reports", "export")]),
        )
        .user(User::new("carol@example.com").roles(["exporter"]))
        .start()
        .await;

    // Act
    let sample = password_grant(&idp, "carol@example.com", "export").await;

    // Assert
    assert_eq!(
        claims(sample["access_token"].as_str().unwrap())["permissions"],
        json!([])
    );
}

#[tokio::test]
async fn roles_can_be_created_read_renamed_listed_and_deleted() {
    // Arrange
    let idp = MockIdp::builder()
        .role(Role::new("reader").permissions(["read:messages"]))
        .user(User::new("carol@example.com").roles(["reader"]))
        .start()
        .await;
    let management = Management::new(&idp).await;
    let reader = Role::new("reader").id();

    // Act
    let (renamed, role) = management
        .patch(
            &format!("/roles/{reader}"),
            json!({ "name": "viewer", "description": "Reads" }),
        )
        .await;
    let (conflict, _) = management.post("/roles", json!({ "name": "viewer" })).await;
    let (_, listed) = management.get("/roles?include_totals=true").await;
    let (_, permissions) = management
        .get(&format!("/roles/{reader}/permissions"))
        .await;
    let (_, carol) = management.get(&format!("/roles/{reader}/users")).await;
    let (deleted, _) = management.delete(&format!("/roles/{reader}"), None).await;

    // Assert
    assert_eq!(renamed, 200);
    assert_eq!(
        role,
        json!({ "id": reader, "name": "viewer", "description": "Reads" }),
        "the id stays"
    );
    assert_eq!(conflict, 409);
    assert_eq!(listed["total"], 1);
    assert_eq!(
        permissions,
        json!([{ "permission_name": "read:messages", "description": "", "resource_server_identifier": API, "resource_server_name": "Sample API" }])
    );
    assert_eq!(
        carol[0]["user_id"], "auth0|carol",
        "a renamed role keeps its users"
    );
    assert_eq!(deleted, 204);
    assert_eq!(management.get(&format!("/roles/{reader}")).await.0, 404);
    assert_eq!(
        management.get("/users/auth0%7Ccarol/roles").await.1,
        json!([])
    );
}

#[tokio::test]
async fn a_blocked_user_is_refused_at_every_login_path() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("audience", API),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act
    let (blocked, user) = management
        .patch("/users/auth0%7Calice", json!({ "blocked": true }))
        .await;

    // Assert
    assert_eq!((blocked, user["blocked"].as_bool()), (200, Some(true)));
    let (password, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
        ],
    )
    .await;
    assert_eq!(
        (password, body["error_description"].as_str()),
        (401, Some("user is blocked"))
    );
    let (refresh, body) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", &refresh_token),
        ],
    )
    .await;
    assert_eq!(
        (refresh, body["error_description"].as_str()),
        (401, Some("user is blocked"))
    );
    // The session no longer logs her in, and the login form refuses her.
    let response = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let (_, _, form) = browser.login_page(&response).await;
    let posted = browser
        .submit_login(
            &form,
            &[("username", "alice@example.com"), ("password", "password")],
        )
        .await;
    assert_eq!(posted.status(), 200);
    assert!(posted.text().await.unwrap().contains("user is blocked"));
    idp.next_login("alice@example.com");
    let hooked = browser.authorize(&AuthRequest::spa(&Pkce::new())).await;
    let query = crate::helpers::query_of(&crate::helpers::location(&hooked));
    assert_eq!(
        (query["error"].as_str(), query["error_description"].as_str()),
        ("unauthorized", "user is blocked")
    );
}

#[tokio::test]
async fn a_deleted_users_refresh_token_stops_working() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let (_, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "bob@example.com"),
            ("password", "password"),
            ("audience", API),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();

    // Act
    let (deleted, _) = management.delete("/users/auth0%7Cbob", None).await;

    // Assert
    assert_eq!(deleted, 204);
    let (refresh, body) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", &refresh_token),
        ],
    )
    .await;
    assert_eq!(
        (refresh, body["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    assert_eq!(management.get("/users/auth0%7Cbob").await.0, 404);
    assert_eq!(management.delete("/users/auth0%7Cbob", None).await.0, 404);
}

#[tokio::test]
async fn the_management_apis_shapes() {
    // Arrange: deterministic, with a pinned issuer (the default picture URLs name it).
    let idp = MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .start()
        .await;
    let management = Management::new(&idp).await;
    let carol = management
        .create_user("carol@example.com", json!({ "given_name": "Carol", "app_metadata": { "plan": "pro" }, "user_metadata": { "theme": "dark" } }))
        .await;
    let role = management.create_role("writer").await;
    management.post(&format!("/roles/{role}/permissions"), json!({ "permissions": [{ "resource_server_identifier": API, "permission_name": "read:messages" }] })).await;
    management
        .post(
            &format!("/roles/{role}/users"),
            json!({ "users": ["auth0|alice"] }),
        )
        .await;

    // Act
    let (_, alice) = management.get("/users/auth0%7Calice").await;
    let (_, page) = management
        .get("/users?per_page=1&include_totals=true")
        .await;
    let (_, roles) = management.get("/roles?include_totals=true").await;
    let (_, permissions) = management.get("/users/auth0%7Calice/permissions").await;
    let (_, not_found) = management.get("/users/auth0%7Cnobody").await;

    // Assert
    assert_json_snapshot!("management_created_user", carol);
    assert_json_snapshot!("management_user", alice);
    assert_json_snapshot!("management_users_page_with_totals", page);
    assert_json_snapshot!("management_roles_with_totals", roles);
    assert_json_snapshot!("management_user_permissions", permissions);
    assert_json_snapshot!("management_not_found", not_found);
}

#[tokio::test]
async fn a_config_file_grants_the_management_api_by_its_issuer_placeholder() {
    // Arrange: the README's spelling, and the control API's user fields.
    let tenant = mock_idp::TenantConfig::from_toml(
        r#"
        [[clients]]
        client_id = "backend"
        client_secret = "backend-secret"
        app_type = "non_interactive"
        grants = [{ audience = "{issuer}api/v2/", scopes = ["read:users"] }]

        [[users]]
        email = "carol@example.com"
        app_metadata = { plan = "pro" }
        logins_count = 3
        "#,
    )
    .unwrap();
    let idp = MockIdp::builder().tenant(tenant).start().await;
    let audience = format!("{}api/v2/", idp.issuer());

    // Act
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "backend"),
            ("client_secret", "backend-secret"),
            ("audience", &audience),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read:users");
    let management = Management::with_token(&idp, body["access_token"].as_str().unwrap());
    let (_, carol) = management.get("/users/auth0%7Ccarol").await;
    assert_eq!(
        (
            carol["app_metadata"]["plan"].as_str(),
            carol["logins_count"].as_u64()
        ),
        (Some("pro"), Some(3))
    );
    assert_eq!(
        management.delete("/users/auth0%7Ccarol", None).await.0,
        403,
        "only read:users"
    );
}

#[tokio::test]
async fn a_refused_create_spends_no_id_so_deterministic_ids_repeat() {
    // Arrange: two deterministic mocks, one of which first refuses a user and a role.
    let plain = MockIdp::builder().deterministic().start().await;
    let refused_first = MockIdp::builder().deterministic().start().await;
    let (plain_api, other_api) = (
        Management::new(&plain).await,
        Management::new(&refused_first).await,
    );
    other_api.create_role("writer").await;
    let (user_conflict, _) = other_api
        .post("/users", json!({ "connection": "Username-Password-Authentication", "email": "bob@example.com", "password": "p" }))
        .await;
    let (role_conflict, _) = other_api.post("/roles", json!({ "name": "writer" })).await;
    plain_api.create_role("writer").await;

    // Act
    let a = plain_api.create_user("carol@example.com", json!({})).await;
    let b = other_api.create_user("carol@example.com", json!({})).await;
    let (role_a, role_b) = (
        plain_api.create_role("reader").await,
        other_api.create_role("reader").await,
    );

    // Assert
    assert_eq!((user_conflict, role_conflict), (409, 409));
    assert_eq!(a["user_id"], b["user_id"]);
    assert_eq!(role_a, role_b);
}

#[tokio::test]
async fn the_management_api_is_journaled_and_can_be_made_to_fail_like_any_endpoint() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    idp.fail_next(mock_idp::Endpoint::Management, 503);

    // Act
    let (failed, _) = management.get("/users").await;
    let (next, _) = management.get("/users").await;

    // Assert
    assert_eq!((failed, next), (503, 200));
    let journaled: Vec<_> = idp
        .received_requests()
        .into_iter()
        .filter(|r| r.endpoint == mock_idp::Endpoint::Management)
        .collect();
    assert_eq!(journaled.len(), 2);
}

fn emails_of(users: &Value) -> Vec<&str> {
    users
        .as_array()
        .unwrap_or_else(|| panic!("an array of users: {users}"))
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn users_are_sorted_by_the_field_and_order_given_missing_values_last() {
    // Arrange
    let idp = MockIdp::builder()
        .without_default_tenant()
        .api(mock_idp::Api::new("https://unused"))
        .client(
            mock_idp::Client::m2m("sample-m2m", "sample-m2m-secret")
                .grant(mock_idp::MANAGEMENT_AUDIENCE, ["read:users"]),
        )
        .user(User {
            given_name: Some("Zoe".into()),
            created_at: Some("2026-03-01T00:00:00.000Z".into()),
            ..User::new("b@example.com")
        })
        .user(User {
            created_at: Some("2026-01-01T00:00:00.000Z".into()),
            ..User::new("C@example.com")
        })
        .user(User {
            given_name: Some("Adam".into()),
            created_at: Some("2026-02-01T00:00:00.000Z".into()),
            ..User::new("a@example.com")
        })
        .start()
        .await;
    let management = Management::new(&idp).await;

    // Act
    let (_, email_up) = management.get("/users?sort=email%3A1").await;
    let (_, email_down) = management.get("/users?sort=email:-1").await;
    let (_, newest) = management.get("/users?sort=created_at:-1").await;
    let (_, given_up) = management.get("/users?sort=given_name:1").await;
    let (_, given_down) = management.get("/users?sort=given_name:-1").await;
    let (_, paged) = management
        .get("/users?sort=email:1&per_page=2&page=1&include_totals=true")
        .await;

    // Assert
    assert_eq!(
        emails_of(&email_up),
        ["a@example.com", "b@example.com", "C@example.com"],
        "emails compare as Auth0 keeps them, in lower case"
    );
    assert_eq!(
        emails_of(&email_down),
        ["C@example.com", "b@example.com", "a@example.com"]
    );
    assert_eq!(
        emails_of(&newest),
        ["b@example.com", "a@example.com", "C@example.com"]
    );
    assert_eq!(
        emails_of(&given_up),
        ["a@example.com", "b@example.com", "C@example.com"]
    );
    assert_eq!(
        emails_of(&given_down),
        ["b@example.com", "a@example.com", "C@example.com"],
        "a user without the field comes last in either order"
    );
    assert_eq!(emails_of(&paged["users"]), ["C@example.com"]);
    assert_eq!(paged["total"], 3);
}

#[tokio::test]
async fn users_sort_by_the_logins_the_mock_counted() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;
    let management = Management::new(&idp).await;
    password_grant(&idp, "alice@example.com", "openid").await;
    idp.clock().advance_secs(60);
    password_grant(&idp, "bob@example.com", "openid").await;
    password_grant(&idp, "bob@example.com", "openid").await;
    management.create_user("carol@example.com", json!({})).await;

    // Act
    let (_, most) = management.get("/users?sort=logins_count:-1").await;
    let (_, earliest) = management.get("/users?sort=last_login:1").await;
    let (_, latest) = management.get("/users?sort=last_login:-1").await;
    let (_, twice) = management.get("/users?q=logins_count%3A2").await;

    // Assert
    assert_eq!(
        emails_of(&most),
        ["bob@example.com", "alice@example.com", "carol@example.com"]
    );
    assert_eq!(
        emails_of(&earliest),
        ["alice@example.com", "bob@example.com", "carol@example.com"],
        "carol never logged in: last either way"
    );
    assert_eq!(
        emails_of(&latest),
        ["bob@example.com", "alice@example.com", "carol@example.com"]
    );
    assert_eq!(emails_of(&twice), ["bob@example.com"]);
    assert_eq!(
        (
            most[0]["logins_count"].as_u64(),
            twice[0]["logins_count"].as_u64()
        ),
        (Some(2), Some(2)),
        "a user merged with its logins for the sort or the search shows them once"
    );
}

#[tokio::test]
async fn a_sort_the_mock_cannot_do_is_400_invalid_query_string() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let mut answers = Vec::new();
    for sort in [
        "password:1",
        "app_metadata.plan:1",
        "email:asc",
        "email:0",
        "email",
        ":1",
        "",
    ] {
        let path = format!("/users?sort={}", id_path(sort));
        answers.push((sort, management.get(&path).await));
    }

    // Assert
    for (sort, (status, body)) in answers {
        assert_eq!(status, 400, "{sort:?}: {body}");
        assert_eq!(
            body["errorCode"], "invalid_query_string",
            "{sort:?}: {body}"
        );
        assert_eq!(body["statusCode"], 400, "{sort:?}: {body}");
    }
}

#[tokio::test]
async fn the_users_list_takes_the_primary_order_flag_auth0_python_sends() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (taken, users) = management
        .get("/users?primary_order=false&include_totals=true")
        .await;
    let (refused, body) = management.get("/users?primary_order=maybe").await;

    // Assert
    assert_eq!(taken, 200, "{users}");
    assert_eq!(users["total"], 2);
    assert_eq!(refused, 400, "{body}");
    assert_eq!(body["errorCode"], "invalid_query_string");
}

#[tokio::test]
async fn a_user_deleted_and_created_again_starts_with_no_logins() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    password_grant(&idp, "bob@example.com", "openid").await;
    assert_eq!(
        management.get("/users/auth0%7Cbob").await.1["logins_count"],
        1
    );

    // Act
    management.delete("/users/auth0%7Cbob", None).await;
    let bob = management
        .create_user("bob@example.com", json!({ "user_id": "bob" }))
        .await;

    // Assert
    assert_eq!(bob["user_id"], "auth0|bob");
    assert_eq!(bob["logins_count"], 0);
    assert!(bob.get("last_login").is_none(), "{bob}");
}

#[tokio::test]
async fn a_reset_forgets_the_logins_counted_and_a_users_configured_count_is_the_start() {
    // Arrange
    let idp = MockIdp::builder()
        .user(User {
            logins_count: 5,
            ..User::new("carol@example.com")
        })
        .start()
        .await;
    password_grant(&idp, "carol@example.com", "openid").await;
    assert_eq!(idp.user("carol@example.com").unwrap().logins_count, 6);

    // Act
    idp.reset();

    // Assert
    let carol = idp.user("carol@example.com").unwrap();
    assert_eq!(carol.logins_count, 5);
    assert_eq!(carol.last_login, None);
}

#[tokio::test]
async fn a_roles_users_come_in_checkpoint_pages_with_from_and_take() {
    // Arrange
    let idp = MockIdp::builder()
        .role(Role::new("reader"))
        .user(User::new("carol@example.com").roles(["reader"]))
        .user(User::new("dave@example.com").roles(["reader"]))
        .user(User::new("erin@example.com").roles(["reader"]))
        .start()
        .await;
    let management = Management::new(&idp).await;
    let (_, roles) = management.get("/roles").await;
    let users = format!("/roles/{}/users", roles[0]["id"].as_str().unwrap());

    // Act: as auth0-python's roles.users.list asks, include_totals and take together.
    let (_, first) = management
        .get(&format!("{users}?include_totals=true&take=2"))
        .await;
    let next = first["next"].as_str().unwrap_or_default().to_owned();
    let (_, second) = management
        .get(&format!("{users}?take=2&from={}", id_path(&next)))
        .await;
    let (unknown, unknown_body) = management.get(&format!("{users}?from=nope")).await;
    let (zero, _) = management.get(&format!("{users}?take=0")).await;

    // Assert
    assert_eq!(
        emails_of(&first["users"]),
        ["carol@example.com", "dave@example.com"]
    );
    assert_eq!(next, "auth0|erin");
    assert_eq!(emails_of(&second["users"]), ["erin@example.com"]);
    assert!(second.get("next").is_none(), "the last page: {second}");
    assert_eq!(unknown, 400, "{unknown_body}");
    assert_eq!(unknown_body["errorCode"], "invalid_query_string");
    assert_eq!(zero, 400);
}
