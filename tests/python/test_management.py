"""auth0-python's ``ManagementClient`` against ``mock-idp --tls``, no proxy.

The SDK builds ``https://<domain>/api/v2/...`` itself and has no http switch, so the mock
speaks https with a certificate from its local CA, which the ``https_mock`` fixture trusts
through ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE``. The token comes from the SDK too:
``GetToken`` (client credentials of ``sample-m2m``) for the audience the SDK itself defaults
to, ``https://<domain>/api/v2/``.
"""

from __future__ import annotations

import jwt
import pytest
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import ManagementClient
from auth0.management.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)

from tenant import M2M_ID, M2M_SECRET, REALM
from mock_idp import Mock

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Str0ng-passw0rd!"


def management_token(mock: Mock) -> str:
    response = GetToken(mock.host, M2M_ID, client_secret=M2M_SECRET).client_credentials(
        f"https://{mock.host}/api/v2/"
    )
    return response["access_token"]


@pytest.fixture
def management(https_mock: Mock) -> ManagementClient:
    return ManagementClient(domain=https_mock.host, token=management_token(https_mock))


def create(management: ManagementClient, email: str, **fields):
    return management.users.create(connection=CONNECTION, email=email, password=PASSWORD, **fields)


def login(mock: Mock, email: str, password: str, audience: str = "https://reports") -> dict:
    """A password-realm login of the default tenant's public SPA client, over https."""
    return GetToken(mock.host, "sample-spa").login(
        email, password, realm=REALM, audience=audience, scope="openid email"
    )


def payload(token: str) -> dict:
    # The authentication suite checks signatures; here only what the token says matters.
    return jwt.decode(token, options={"verify_signature": False})


def test_users_get_returns_a_tenant_user_by_id(management: ManagementClient) -> None:
    # Act
    alice = management.users.get("auth0|alice")

    # Assert
    assert alice.user_id == "auth0|alice"
    assert alice.email == "alice@example.com"
    assert alice.name == "Alice Example"
    assert alice.identities[0].connection == CONNECTION


def test_a_client_with_credentials_fetches_its_own_token_for_the_default_audience(
    https_mock: Mock,
) -> None:
    # Arrange: no token given, so the SDK's TokenProvider asks /oauth/token for one.
    management = ManagementClient(domain=https_mock.host, client_id=M2M_ID, client_secret=M2M_SECRET)

    # Act
    bob = management.users.get("auth0|bob")

    # Assert
    assert bob.email == "bob@example.com"
    asked = [e for e in https_mock.endpoints() if e != "control"]
    assert asked[:1] == ["token"], asked


def test_a_token_the_mock_did_not_issue_is_the_sdks_unauthorized_error(https_mock: Mock) -> None:
    # Arrange
    management = ManagementClient(domain=https_mock.host, token="not-a-token")

    # Act
    with pytest.raises(UnauthorizedError) as raised:
        management.users.get("auth0|alice")

    # Assert
    assert raised.value.status_code == 401
    assert raised.value.body["errorCode"] == "invalid_token"


def test_users_list_pages_through_every_user(management: ManagementClient) -> None:
    # Arrange
    for i in range(3):
        create(management, f"user{i}@example.com")

    # Act
    first = management.users.list(per_page=2)
    everyone = [u.email for u in management.users.list(per_page=2)]

    # Assert
    assert first.response.total == 5
    assert [u.email for u in first.items] == ["alice@example.com", "bob@example.com"]
    assert everyone == [
        "alice@example.com",
        "bob@example.com",
        "user0@example.com",
        "user1@example.com",
        "user2@example.com",
    ]


def test_users_list_sorts_by_the_field_and_order_given(management: ManagementClient) -> None:
    # Arrange
    create(management, "carol@example.com")

    # Act
    by_email_descending = [u.email for u in management.users.list(sort="email:-1")]

    # Assert
    assert by_email_descending == ["carol@example.com", "bob@example.com", "alice@example.com"]


def test_users_list_refuses_a_sort_on_a_field_auth0_does_not_sort_by(
    management: ManagementClient,
) -> None:
    # Act
    with pytest.raises(BadRequestError) as raised:
        management.users.list(sort="password:1")

    # Assert
    assert raised.value.body["errorCode"] == "invalid_query_string"


def test_users_list_searches_with_q(management: ManagementClient) -> None:
    # Arrange
    create(management, "pro@example.com", app_metadata={"plan": "pro"})
    create(management, "free@example.com", app_metadata={"plan": "free"})

    # Act
    found = management.users.list(q='app_metadata.plan:"pro"', search_engine="v3")

    # Assert
    assert [u.email for u in found] == ["pro@example.com"]


def test_users_by_email_finds_the_user(management: ManagementClient) -> None:
    # Act
    found = management.users.list_users_by_email(email="bob@example.com")
    none = management.users.list_users_by_email(email="nobody@example.com")

    # Assert
    assert [u.user_id for u in found] == ["auth0|bob"]
    assert none == []


def test_a_created_user_can_log_in_at_once(https_mock: Mock, management: ManagementClient) -> None:
    # Act
    created = create(management, "dave@example.com", name="Dave", user_metadata={"theme": "dark"})

    # Assert
    assert created.user_id.startswith("auth0|")
    assert created.email == "dave@example.com"
    assert created.user_metadata == {"theme": "dark"}
    token = payload(login(https_mock, "dave@example.com", PASSWORD)["access_token"])
    assert token["sub"] == created.user_id


def test_creating_a_user_whose_email_exists_is_a_409_and_changes_nothing(
    management: ManagementClient,
) -> None:
    # Act
    with pytest.raises(ConflictError) as raised:
        create(management, "alice@example.com")

    # Assert
    assert raised.value.status_code == 409
    assert raised.value.body["message"] == "The user already exists."
    assert len(management.users.list_users_by_email(email="alice@example.com")) == 1


def test_update_merges_metadata_and_a_new_password_is_live(
    https_mock: Mock, management: ManagementClient
) -> None:
    # Arrange
    user = create(management, "erin@example.com", app_metadata={"plan": "free", "seats": 1})

    # Act
    updated = management.users.update(
        user.user_id, app_metadata={"plan": "pro"}, password="N3w-passw0rd!", name="Erin"
    )

    # Assert
    assert updated.app_metadata == {"plan": "pro", "seats": 1}
    assert updated.name == "Erin"
    assert management.users.get(user.user_id).app_metadata == {"plan": "pro", "seats": 1}
    assert "access_token" in login(https_mock, "erin@example.com", "N3w-passw0rd!")
    with pytest.raises(Auth0Error):
        login(https_mock, "erin@example.com", PASSWORD)


def test_a_deleted_user_is_gone_and_cannot_log_in(
    https_mock: Mock, management: ManagementClient
) -> None:
    # Arrange
    user = create(management, "frank@example.com")

    # Act
    management.users.delete(user.user_id)

    # Assert
    with pytest.raises(NotFoundError) as raised:
        management.users.get(user.user_id)
    assert raised.value.body["errorCode"] == "inexistent_user"
    with pytest.raises(Auth0Error) as refused:
        login(https_mock, "frank@example.com", PASSWORD)
    assert refused.value.error_code == "invalid_grant"


def test_a_role_assigned_through_the_sdk_reaches_alices_next_token(
    https_mock: Mock, management: ManagementClient
) -> None:
    # Arrange
    before = payload(login(https_mock, "alice@example.com", "password")["access_token"])
    role = management.roles.create(name="report-writer", description="Writes reports")
    management.roles.permissions.add(
        role.id,
        permissions=[
            {"resource_server_identifier": "https://reports", "permission_name": "write:reports"}
        ],
    )

    # Act
    management.users.roles.assign("auth0|alice", roles=[role.id])

    # Assert
    assert [r.name for r in management.roles.list()] == ["report-writer"]
    assert [r.id for r in management.users.roles.list("auth0|alice")] == [role.id]
    assert [u.user_id for u in management.roles.users.list(role.id)] == ["auth0|alice"]
    after = payload(login(https_mock, "alice@example.com", "password")["access_token"])
    assert "write:reports" not in before["permissions"]
    assert after["permissions"] == ["write:reports"]
