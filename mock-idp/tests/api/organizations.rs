//! Organizations: in config, at `/authorize` (only members get in, `org_id` in the tokens,
//! member roles as the token's permissions), in client credentials, and through the
//! Management API, whose changes are live at the next login.

use insta::assert_json_snapshot;
use mock_idp::{
    Api, Client, ClientGrant, Member, MockIdp, Organization, OrganizationUsage, Role, TenantConfig,
};
use serde_json::{Value, json};

use crate::helpers::{
    API, APP, AuthRequest, Browser, Management, Pkce, claims, location, query_of, token_form,
};

/// The default tenant's organization: alice is its one member.
fn acme() -> String {
    Organization::new("acme").id()
}

/// Logs `email` in through the SPA with `organization` and redeems the code.
async fn org_tokens(idp: &MockIdp, organization: &str, email: &str) -> Value {
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce)
        .with("organization", organization)
        .with("scope", "openid profile offline_access");
    Browser::new(idp).tokens(&request, &pkce, email).await
}

/// Where `/authorize` with `request` sends a browser whose next login is `email`.
async fn authorize_as(idp: &MockIdp, request: &AuthRequest, email: &str) -> String {
    idp.next_login(email);
    location(&Browser::new(idp).authorize(request).await)
}

fn error_of(location: &str) -> (String, String) {
    assert!(location.starts_with(APP), "{location}");
    let query = query_of(location);
    (query["error"].clone(), query["error_description"].clone())
}

async fn refresh(idp: &MockIdp, refresh_token: &str) -> (u16, Value) {
    token_form(
        idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

// ---- config ----------------------------------------------------------------------------

#[test]
fn a_config_is_refused_when_an_organization_names_an_unknown_member_role_or_a_taken_name() {
    for (toml, expected) in [
        (
            "[[organizations]]\nname = \"globex\"\nmembers = [\"nobody@example.com\"]",
            "no user of the tenant",
        ),
        (
            "[[organizations]]\nname = \"globex\"\nmembers = [{ user = \"bob@example.com\", roles = [\"ghost\"] }]",
            "unknown role",
        ),
        (
            "[[organizations]]\nname = \"globex\"\nmembers = [\"bob@example.com\", \"auth0|bob\"]",
            "twice",
        ),
        ("[[organizations]]\nname = \"Globex\"", "lowercase letters"),
        (
            "[[organizations]]\nname = \"globex\"\nid = \"globex\"",
            "org_ and 16",
        ),
        (
            "[[organizations]]\nname = \"globex\"\nid = \"org_0123456789abcdef\"\n[[organizations]]\nname = \"initech\"\nid = \"org_0123456789abcdef\"",
            "share a name or an id",
        ),
        (
            "[[clients]]\nclient_id = \"w\"\nclient_secret = \"s\"\ngrants = [{ audience = \"https://sample-api\", organization_usage = \"allow\", organizations = [\"nowhere\"] }]",
            "unknown organization",
        ),
    ] {
        // Act
        let error = TenantConfig::from_toml(toml).unwrap_err().to_string();

        // Assert
        assert!(error.contains(expected), "{toml}\n=> {error}");
    }
}

#[test]
fn a_config_file_declares_organizations_members_roles_and_client_settings() {
    // Act
    let tenant = TenantConfig::from_toml(
        r#"
        allow_organization_name_in_authentication_api = true
        [[roles]]
        name = "admin"
        [[organizations]]
        name = "globex"
        id = "org_0123456789abcdef"
        display_name = "Globex"
        metadata = { tier = "gold" }
        members = ["bob@example.com", { user = "alice@example.com", roles = ["admin"] }]
        [[clients]]
        client_id = "b2b"
        organization_usage = "require"
        organization_require_behavior = "post_login_prompt"
        "#,
    )
    .unwrap();

    // Assert
    let globex = tenant
        .organizations
        .iter()
        .find(|o| o.name == "globex")
        .unwrap();
    assert_eq!(globex.id(), "org_0123456789abcdef");
    assert_eq!(
        globex.members,
        [
            Member::new("bob@example.com"),
            Member::new("alice@example.com").roles(["admin"])
        ]
    );
    assert!(tenant.allow_organization_name_in_authentication_api);
    assert!(
        tenant.organizations.iter().any(|o| o.name == "acme"),
        "the default tenant's stays"
    );
}

// ---- /authorize ------------------------------------------------------------------------

#[tokio::test]
async fn a_member_logs_in_through_the_organization_and_both_tokens_carry_org_id() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let tokens = org_tokens(&idp, &acme(), "alice@example.com").await;

    // Assert
    let (id_token, access) = (
        claims(tokens["id_token"].as_str().unwrap()),
        claims(tokens["access_token"].as_str().unwrap()),
    );
    assert_eq!(id_token["org_id"], acme());
    assert_eq!(access["org_id"], acme());
    assert!(
        id_token.get("org_name").is_none() && access.get("org_name").is_none(),
        "names are off by default, as on Auth0"
    );
}

#[tokio::test]
async fn a_login_without_the_organization_parameter_carries_no_org_id() {
    // Arrange
    let idp = MockIdp::start().await;
    let pkce = Pkce::new();

    // Act
    let tokens = Browser::new(&idp)
        .tokens(&AuthRequest::spa(&pkce), &pkce, "alice@example.com")
        .await;

    // Assert
    assert!(
        claims(tokens["id_token"].as_str().unwrap())
            .get("org_id")
            .is_none()
    );
    assert!(
        claims(tokens["access_token"].as_str().unwrap())
            .get("org_id")
            .is_none()
    );
}

#[tokio::test]
async fn with_names_allowed_the_organization_can_be_named_and_tokens_carry_org_name() {
    // Arrange
    let idp = MockIdp::builder().organization_names(true).start().await;

    // Act
    let tokens = org_tokens(&idp, "ACME", "alice@example.com").await;

    // Assert
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        (&id_token["org_id"], &id_token["org_name"]),
        (&json!(acme()), &json!("acme"))
    );
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["org_name"], "acme");
}

#[tokio::test]
async fn an_organization_name_is_refused_unless_the_tenant_allows_names() {
    // Arrange
    let idp = MockIdp::start().await;
    let request = AuthRequest::spa(&Pkce::new()).with("organization", "acme");

    // Act
    let location = authorize_as(&idp, &request, "alice@example.com").await;

    // Assert
    assert_eq!(
        error_of(&location),
        (
            "invalid_request".into(),
            "authorization request parameter organization must be an organization id".into()
        )
    );
}

#[tokio::test]
async fn a_non_member_is_sent_back_with_auth0s_access_denied() {
    // Arrange
    let idp = MockIdp::start().await;
    let request = AuthRequest::spa(&Pkce::new()).with("organization", &acme());

    // Act
    let location = authorize_as(&idp, &request, "bob@example.com").await;

    // Assert
    assert_eq!(
        error_of(&location),
        (
            "access_denied".into(),
            format!("user auth0|bob is not part of the {} organization", acme())
        )
    );
}

#[tokio::test]
async fn a_non_member_is_refused_after_logging_in_on_the_login_page_too() {
    // Arrange
    let idp = MockIdp::start().await;
    let request = AuthRequest::spa(&Pkce::new()).with("organization", &acme());

    // Act
    let response = Browser::new(&idp).log_in(&request, "bob@example.com").await;

    // Assert
    assert_eq!(error_of(&location(&response)).0, "access_denied");
}

#[tokio::test]
async fn an_unknown_organization_is_sent_back_with_access_denied() {
    // Arrange
    let idp = MockIdp::start().await;
    let request = AuthRequest::spa(&Pkce::new()).with("organization", "org_0000000000000000");

    // Act
    let location = authorize_as(&idp, &request, "alice@example.com").await;

    // Assert
    let (error, description) = error_of(&location);
    assert_eq!(error, "access_denied");
    assert!(
        description.contains("org_0000000000000000"),
        "{description}"
    );
}

#[tokio::test]
async fn a_client_that_denies_organizations_refuses_the_parameter() {
    // Arrange: Auth0's default organization_usage is deny.
    let idp = MockIdp::builder()
        .client(Client::spa("personal").callback(APP))
        .start()
        .await;
    let request = AuthRequest::spa(&Pkce::new())
        .with("client_id", "personal")
        .with("organization", &acme());

    // Act
    let location = authorize_as(&idp, &request, "alice@example.com").await;

    // Assert
    let (error, description) = error_of(&location);
    assert_eq!(error, "invalid_request");
    assert!(
        description.contains("not allowed for this client"),
        "{description}"
    );
}

#[tokio::test]
async fn a_client_that_requires_an_organization_refuses_a_login_without_one() {
    // Arrange
    let idp = MockIdp::builder()
        .client(
            Client::spa("b2b")
                .callback(APP)
                .organization_usage(OrganizationUsage::Require),
        )
        .start()
        .await;
    let request = AuthRequest::spa(&Pkce::new()).with("client_id", "b2b");

    // Act
    let location = authorize_as(&idp, &request, "alice@example.com").await;

    // Assert
    assert_eq!(
        error_of(&location),
        (
            "invalid_request".into(),
            "parameter organization is required for this client".into()
        )
    );
}

#[tokio::test]
async fn an_invitation_lets_a_non_member_in_and_makes_them_a_member() {
    // Arrange
    let idp = MockIdp::start().await;
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce)
        .with("organization", &acme())
        .with("invitation", "Ab12Cd34");

    // Act
    let tokens = Browser::new(&idp)
        .tokens(&request, &pkce, "bob@example.com")
        .await;
    let again = org_tokens(&idp, &acme(), "bob@example.com").await;

    // Assert
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["org_id"],
        acme()
    );
    assert_eq!(
        claims(again["id_token"].as_str().unwrap())["org_id"],
        acme(),
        "a member now"
    );
}

#[tokio::test]
async fn an_invitation_without_an_organization_is_invalid_request() {
    // Arrange
    let idp = MockIdp::start().await;
    let request = AuthRequest::spa(&Pkce::new()).with("invitation", "Ab12Cd34");

    // Act
    let location = authorize_as(&idp, &request, "bob@example.com").await;

    // Assert
    assert_eq!(error_of(&location).0, "invalid_request");
}

#[tokio::test]
async fn a_refresh_keeps_the_organization() {
    // Arrange
    let idp = MockIdp::start().await;
    let tokens = org_tokens(&idp, &acme(), "alice@example.com").await;

    // Act
    let (status, refreshed) = refresh(&idp, tokens["refresh_token"].as_str().unwrap()).await;

    // Assert
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        claims(refreshed["id_token"].as_str().unwrap())["org_id"],
        acme()
    );
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["org_id"],
        acme()
    );
}

#[tokio::test]
async fn a_member_removed_through_the_management_api_can_neither_refresh_nor_log_in_again() {
    // Arrange
    let idp = MockIdp::start().await;
    let tokens = org_tokens(&idp, &acme(), "alice@example.com").await;
    let management = Management::new(&idp).await;

    // Act
    let (removed, _) = management
        .delete(
            &format!("/organizations/{}/members", acme()),
            Some(json!({ "members": ["auth0|alice"] })),
        )
        .await;
    let (status, body) = refresh(&idp, tokens["refresh_token"].as_str().unwrap()).await;
    let request = AuthRequest::spa(&Pkce::new()).with("organization", &acme());
    let location = authorize_as(&idp, &request, "alice@example.com").await;

    // Assert
    assert_eq!(removed, 204);
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_grant"))
    );
    assert_eq!(error_of(&location).0, "access_denied");
}

#[tokio::test]
async fn a_member_added_through_the_management_api_gets_in_at_the_next_login() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (added, _) = management
        .post(
            &format!("/organizations/{}/members", acme()),
            json!({ "members": ["auth0|bob"] }),
        )
        .await;
    let tokens = org_tokens(&idp, &acme(), "bob@example.com").await;

    // Assert
    assert_eq!(added, 204);
    assert_eq!(
        claims(tokens["access_token"].as_str().unwrap())["org_id"],
        acme()
    );
}

/// A tenant where `writer` grants `write:messages` and alice, who holds `read:messages`
/// herself, is a member of acme; `roles` are her roles there.
async fn rbac_idp(roles: &[&str]) -> MockIdp {
    MockIdp::builder()
        .api(
            Api::new(API)
                .permissions(["read:messages", "write:messages"])
                .rbac(true),
        )
        .role(Role::new("writer").permissions(["write:messages"]))
        .organization(
            Organization::new("acme")
                .member(Member::new("alice@example.com").roles(roles.to_vec())),
        )
        .start()
        .await
}

#[tokio::test]
async fn an_organization_login_gets_the_permissions_of_the_members_roles_there_only() {
    // Arrange
    let idp = rbac_idp(&["writer"]).await;
    let pkce = Pkce::new();
    let asking =
        |request: AuthRequest| request.with("scope", "openid read:messages write:messages");

    // Act
    let in_org = Browser::new(&idp)
        .tokens(
            &asking(AuthRequest::spa(&pkce).with("organization", &acme())),
            &pkce,
            "alice@example.com",
        )
        .await;
    let outside = Browser::new(&idp)
        .tokens(&asking(AuthRequest::spa(&pkce)), &pkce, "alice@example.com")
        .await;

    // Assert
    let access = claims(in_org["access_token"].as_str().unwrap());
    assert_eq!(access["permissions"], json!(["write:messages"]));
    assert_eq!(access["scope"], "openid write:messages");
    let access = claims(outside["access_token"].as_str().unwrap());
    assert_eq!(
        access["permissions"],
        json!(["read:messages"]),
        "her own, not the org role's"
    );
}

#[tokio::test]
async fn a_member_role_assigned_through_the_management_api_shows_in_the_next_token() {
    // Arrange
    let idp = rbac_idp(&[]).await;
    let management = Management::new(&idp).await;
    let writer = Role::new("writer").id();

    // Act
    let before = org_tokens(&idp, &acme(), "alice@example.com").await;
    let (assigned, _) = management
        .post(
            &format!("/organizations/{}/members/auth0%7Calice/roles", acme()),
            json!({ "roles": [writer] }),
        )
        .await;
    let after = org_tokens(&idp, &acme(), "alice@example.com").await;

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
}

// ---- client credentials ----------------------------------------------------------------

fn worker(usage: OrganizationUsage, any: bool, organizations: &[&str]) -> Client {
    let mut worker = Client::m2m("worker", "worker-secret");
    worker.grants.push(ClientGrant {
        audience: API.into(),
        scopes: vec!["read:messages".into()],
        organization_usage: usage,
        allow_any_organization: any,
        organizations: organizations.iter().map(|o| (*o).to_owned()).collect(),
    });
    worker
}

async fn worker_token(idp: &MockIdp, organization: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "worker"),
        ("client_secret", "worker-secret"),
        ("audience", API),
    ];
    form.extend(organization.map(|o| ("organization", o)));
    token_form(idp, &form).await
}

#[tokio::test]
async fn client_credentials_with_an_associated_organization_put_org_id_in_the_m2m_token() {
    // Arrange
    let idp = MockIdp::builder()
        .client(worker(OrganizationUsage::Allow, false, &["acme"]))
        .start()
        .await;

    // Act
    let (status, body) = worker_token(&idp, Some(&acme())).await;
    let (plain_status, plain) = worker_token(&idp, None).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let token = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (&token["org_id"], &token["sub"]),
        (&json!(acme()), &json!("worker@clients"))
    );
    assert_eq!(plain_status, 200, "allow: an organization is optional");
    assert!(
        claims(plain["access_token"].as_str().unwrap())
            .get("org_id")
            .is_none()
    );
}

#[tokio::test]
async fn client_credentials_refuse_organizations_the_grant_does_not_allow() {
    for (client, organization, status, error) in [
        (
            worker(OrganizationUsage::Deny, true, &[]),
            Some(acme()),
            400,
            "invalid_request",
        ),
        (
            worker(OrganizationUsage::Allow, false, &[]),
            Some(acme()),
            403,
            "access_denied",
        ),
        (
            worker(OrganizationUsage::Require, true, &[]),
            None,
            400,
            "invalid_request",
        ),
        (
            worker(OrganizationUsage::Allow, true, &[]),
            Some("org_0000000000000000".to_owned()),
            400,
            "invalid_request",
        ),
    ] {
        // Arrange
        let idp = MockIdp::builder().client(client).start().await;

        // Act
        let (got, body) = worker_token(&idp, organization.as_deref()).await;

        // Assert
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn allow_any_organization_lets_the_client_name_any_of_the_tenants() {
    // Arrange
    let idp = MockIdp::builder()
        .client(worker(OrganizationUsage::Require, true, &[]))
        .start()
        .await;

    // Act
    let (status, body) = worker_token(&idp, Some(&acme())).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["org_id"],
        acme()
    );
}

// ---- Management API --------------------------------------------------------------------

#[tokio::test]
async fn organizations_are_created_read_by_id_and_name_updated_and_deleted() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (created, globex) = management
        .post(
            "/organizations",
            json!({ "name": "globex", "display_name": "Globex", "metadata": { "tier": "gold" } }),
        )
        .await;
    let id = globex["id"].as_str().unwrap().to_owned();
    let (_, by_id) = management.get(&format!("/organizations/{id}")).await;
    let (_, by_name) = management.get("/organizations/name/globex").await;
    let (patched, renamed) = management
        .patch(
            &format!("/organizations/{id}"),
            json!({ "name": "globex-corp", "metadata": { "tier": null, "region": "eu" } }),
        )
        .await;
    let (deleted, _) = management
        .delete(&format!("/organizations/{id}"), None)
        .await;
    let (gone, _) = management.get(&format!("/organizations/{id}")).await;

    // Assert
    assert_eq!(created, 201, "{globex}");
    assert!(id.starts_with("org_") && id.len() == 20, "{id}");
    assert_eq!(by_id, globex);
    assert_eq!(by_name, globex);
    assert_eq!(patched, 200, "{renamed}");
    assert_eq!(
        (&renamed["id"], &renamed["name"]),
        (&json!(id), &json!("globex-corp"))
    );
    assert_eq!(renamed["metadata"], json!({ "region": "eu" }));
    assert_eq!((deleted, gone), (204, 404));
}

#[tokio::test]
async fn creating_an_organization_whose_name_exists_is_409_and_changes_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (status, body) = management
        .post(
            "/organizations",
            json!({ "name": "acme", "display_name": "Other" }),
        )
        .await;
    let (_, acme_now) = management.get(&format!("/organizations/{}", acme())).await;
    let (_, all) = management.get("/organizations").await;

    // Assert
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "Conflict");
    assert_eq!(acme_now["display_name"], "Acme");
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_organization_bodies_are_400_invalid_body_and_change_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    let acme_path = format!("/organizations/{}", acme());

    for (method, path, body) in [
        (
            "POST",
            "/organizations",
            json!({ "display_name": "No name" }),
        ),
        ("POST", "/organizations", json!({ "name": "Not Lowercase" })),
        (
            "POST",
            "/organizations",
            json!({ "name": "ok", "colour": "red" }),
        ),
        (
            "POST",
            "/organizations",
            json!({ "name": "ok", "metadata": { "n": 1 } }),
        ),
        ("PATCH", acme_path.as_str(), json!({ "name": "-dash" })),
        ("PATCH", acme_path.as_str(), json!({ "name": 7 })),
        (
            "POST",
            &format!("{acme_path}/members"),
            json!({ "members": [] }),
        ),
        (
            "POST",
            &format!("{acme_path}/members"),
            json!({ "users": ["auth0|bob"] }),
        ),
    ] {
        // Act
        let (status, answer) = management
            .send_raw(method, path, Some(body.to_string().into_bytes()))
            .await;

        // Assert
        assert_eq!(status, 400, "{method} {path} {body} => {answer}");
        assert_eq!(answer["errorCode"], "invalid_body", "{answer}");
    }
    let (_, all) = management.get("/organizations").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (_, acme_now) = management.get(&acme_path).await;
    assert_eq!(acme_now["name"], "acme");
}

#[tokio::test]
async fn unknown_organizations_users_roles_and_non_members_are_404() {
    // Arrange
    let idp = MockIdp::builder().role(Role::new("writer")).start().await;
    let management = Management::new(&idp).await;
    let acme = acme();
    let writer = Role::new("writer").id();

    for (method, path, body, code) in [
        (
            "GET",
            "/organizations/org_0000000000000000".to_owned(),
            None,
            "inexistent_organization",
        ),
        (
            "GET",
            "/organizations/name/nowhere".to_owned(),
            None,
            "inexistent_organization",
        ),
        (
            "PATCH",
            "/organizations/org_0000000000000000".to_owned(),
            Some(json!({})),
            "inexistent_organization",
        ),
        (
            "DELETE",
            "/organizations/org_0000000000000000".to_owned(),
            None,
            "inexistent_organization",
        ),
        (
            "GET",
            "/organizations/org_0000000000000000/members".to_owned(),
            None,
            "inexistent_organization",
        ),
        (
            "POST",
            format!("/organizations/{acme}/members"),
            Some(json!({ "members": ["auth0|bob", "auth0|nobody"] })),
            "inexistent_user",
        ),
        (
            "GET",
            format!("/organizations/{acme}/members/auth0%7Cbob/roles"),
            None,
            "inexistent_member",
        ),
        (
            "POST",
            format!("/organizations/{acme}/members/auth0%7Cbob/roles"),
            Some(json!({ "roles": [writer] })),
            "inexistent_member",
        ),
        (
            "POST",
            format!("/organizations/{acme}/members/auth0%7Calice/roles"),
            Some(json!({ "roles": [writer, "rol_nope"] })),
            "inexistent_role",
        ),
    ] {
        // Act
        let (status, answer) = management
            .send_raw(method, &path, body.map(|b| b.to_string().into_bytes()))
            .await;

        // Assert
        assert_eq!(
            (status, answer["errorCode"].as_str()),
            (404, Some(code)),
            "{method} {path} => {answer}"
        );
    }
    let (_, members) = management
        .get(&format!("/organizations/{acme}/members"))
        .await;
    assert_eq!(
        members.as_array().unwrap().len(),
        1,
        "bob was not added: {members}"
    );
    let (_, roles) = management
        .get(&format!(
            "/organizations/{acme}/members/auth0%7Calice/roles"
        ))
        .await;
    assert_eq!(roles, json!([]), "writer was not assigned");
}

#[tokio::test]
async fn each_route_takes_its_organization_scope() {
    // Arrange: a token with every user scope and no organization one.
    let idp = MockIdp::start().await;
    let management = Management::with_scope(&idp, Some("read:users create:users read:roles")).await;

    // Act
    let (status, body) = management.get("/organizations").await;
    let (create, _) = management
        .post("/organizations", json!({ "name": "x" }))
        .await;
    let (members, _) = management
        .get(&format!("/organizations/{}/members", acme()))
        .await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(body["errorCode"], "insufficient_scope");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("read:organizations"),
        "{body}"
    );
    assert_eq!((create, members), (403, 403));
}

#[tokio::test]
async fn members_are_added_listed_with_their_roles_and_removed() {
    // Arrange
    let idp = MockIdp::builder().role(Role::new("writer")).start().await;
    let management = Management::new(&idp).await;
    let members = format!("/organizations/{}/members", acme());
    let writer = Role::new("writer").id();

    // Act
    management
        .post(&members, json!({ "members": ["auth0|bob"] }))
        .await;
    management
        .post(
            &format!("{members}/auth0%7Cbob/roles"),
            json!({ "roles": [writer] }),
        )
        .await;
    let (_, listed) = management
        .get(&format!("{members}?fields=user_id,email,roles"))
        .await;
    let (_, bobs_roles) = management
        .get(&format!("{members}/auth0%7Cbob/roles"))
        .await;
    let (removed_role, _) = management
        .delete(
            &format!("{members}/auth0%7Cbob/roles"),
            Some(json!({ "roles": [writer] })),
        )
        .await;
    let (_, roles_after) = management
        .get(&format!("{members}/auth0%7Cbob/roles"))
        .await;
    management
        .delete(&members, Some(json!({ "members": ["auth0|bob"] })))
        .await;
    let (_, after) = management.get(&members).await;

    // Assert
    assert_eq!(
        listed,
        json!([
            { "user_id": "auth0|alice", "email": "alice@example.com", "roles": [] },
            { "user_id": "auth0|bob", "email": "bob@example.com", "roles": [{ "id": writer, "name": "writer" }] },
        ])
    );
    assert_eq!(bobs_roles[0]["name"], "writer");
    assert_eq!((removed_role, roles_after), (204, json!([])));
    assert_eq!(after.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn lists_page_by_offset_with_totals_and_by_checkpoint_with_next() {
    // Arrange
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;
    for name in ["b-org", "c-org"] {
        management
            .post("/organizations", json!({ "name": name }))
            .await;
    }

    // Act
    let (_, offset) = management
        .get("/organizations?page=1&per_page=2&include_totals=true")
        .await;
    let (_, first) = management
        .get("/organizations?take=2&include_totals=true")
        .await;
    let next = first["next"].as_str().unwrap().to_owned();
    let (_, last) = management
        .get(&format!("/organizations?take=2&from={next}"))
        .await;
    let (bad_take, _) = management.get("/organizations?take=0").await;

    // Assert
    assert_eq!(
        (offset["start"].as_u64(), offset["total"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(offset["organizations"][0]["name"], "c-org");
    assert_eq!(first["organizations"].as_array().unwrap().len(), 2);
    assert_eq!(last["organizations"][0]["name"], "c-org");
    assert!(last.get("next").is_none(), "{last}");
    assert_eq!(bad_take, 400);
}

#[tokio::test]
async fn deleting_a_role_or_a_user_takes_it_out_of_the_organizations() {
    // Arrange
    let idp = rbac_idp(&["writer"]).await;
    let management = Management::new(&idp).await;
    let members = format!("/organizations/{}/members", acme());

    // Act
    management
        .delete(&format!("/roles/{}", Role::new("writer").id()), None)
        .await;
    let (_, roles) = management
        .get(&format!("{members}/auth0%7Calice/roles"))
        .await;
    management.delete("/users/auth0%7Calice", None).await;
    let (_, after) = management.get(&members).await;

    // Assert
    assert_eq!(roles, json!([]));
    assert_eq!(after, json!([]));
}

#[tokio::test]
async fn the_organization_shapes() {
    // Arrange: deterministic, with a pinned issuer (pictures name it).
    let idp = MockIdp::builder()
        .deterministic()
        .issuer("http://mock-idp.test/")
        .role(Role::new("admin"))
        .organization(
            Organization::new("acme")
                .display_name("Acme")
                .member(Member::new("alice@example.com").roles(["admin"])),
        )
        .start()
        .await;
    let management = Management::new(&idp).await;

    // Act
    let (_, created) = management
        .post(
            "/organizations",
            json!({ "name": "globex", "display_name": "Globex", "branding": { "logo_url": "https://globex.test/logo.png", "colors": { "primary": "#0059d6", "page_background": "#000000" } }, "metadata": { "tier": "gold" } }),
        )
        .await;
    let (_, page) = management.get("/organizations?include_totals=true").await;
    let (_, checkpoint) = management.get("/organizations?take=1").await;
    let (_, members) = management
        .get(&format!(
            "/organizations/{}/members?fields=roles&include_totals=true",
            acme()
        ))
        .await;
    let (_, member_roles) = management
        .get(&format!(
            "/organizations/{}/members/auth0%7Calice/roles?include_totals=true",
            acme()
        ))
        .await;
    let (_, not_found) = management.get("/organizations/org_0000000000000000").await;

    // Assert
    assert_json_snapshot!("organizations_created", created);
    assert_json_snapshot!("organizations_page_with_totals", page);
    assert_json_snapshot!("organizations_checkpoint_page", checkpoint);
    assert_json_snapshot!("organizations_members_with_roles", members);
    assert_json_snapshot!("organizations_member_roles", member_roles);
    assert_json_snapshot!("organizations_not_found", not_found);
}

#[tokio::test]
async fn a_member_named_by_email_stays_a_member_when_the_email_changes() {
    // Arrange: the default tenant names alice by her email.
    let idp = MockIdp::start().await;
    let management = Management::new(&idp).await;

    // Act
    let (status, _) = management
        .patch(
            "/users/auth0%7Calice",
            json!({ "email": "alice@new.example.com" }),
        )
        .await;
    let tokens = org_tokens(&idp, &acme(), "alice@new.example.com").await;

    // Assert
    assert_eq!(status, 200);
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["org_id"],
        acme()
    );
}

#[tokio::test]
async fn the_implicit_flow_puts_org_id_in_the_front_channel_id_token() {
    // Arrange
    let idp = MockIdp::start().await;
    let request = AuthRequest::spa(&Pkce::new())
        .with("response_type", "id_token")
        .with("response_mode", "fragment")
        .with("organization", &acme())
        .without("code_challenge")
        .without("code_challenge_method");

    // Act
    let location = authorize_as(&idp, &request, "alice@example.com").await;

    // Assert
    let fragment = crate::helpers::fragment_of(&location);
    let id_token = fragment
        .get("id_token")
        .unwrap_or_else(|| panic!("{location}"));
    assert_eq!(claims(id_token)["org_id"], acme());
}
