"""The team's own Auth0 Actions, run by mock-idp, seen through auth0-python.

A mock of its own for this module (over https, so the authentication and management clients
both work unchanged), with the suite's tenant plus three Actions written as Auth0's
documentation writes them: post-login puts a namespaced claim from ``app_metadata`` in the
access token, pre-user-registration refuses one email domain and tags everyone else's
``app_metadata``.
"""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
from auth0.authentication import Database, GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import ManagementClient

from mock_idp import Mock, start_mock
from tenant import M2M_ID, M2M_SECRET, REALM, TENANT

ACTIONS = """
[[actions]]
name = "plan-claim"
trigger = "post-login"
code = '''
exports.onExecutePostLogin = async (event, api) => {
  const plan = event.user.app_metadata.plan || "free";
  api.accessToken.setCustomClaim("https://reports/plan", plan);
};'''

[[actions]]
name = "signup-policy"
trigger = "pre-user-registration"
code = '''
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith("@blocked.example")) {
    api.access.deny("blocked_domain", "Sign-ups from this domain are not allowed.");
    return;
  }
  api.user.setAppMetadata("plan", "trial");
};'''
"""

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Str0ng-passw0rd!"


@pytest.fixture(scope="module")
def _actions_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    mock = start_mock(TENANT + ACTIONS, tls_dir=tmp_path_factory.mktemp("mock-idp-actions-tls"))
    yield mock
    mock.stop()


@pytest.fixture
def mock(_actions_mock: Mock, monkeypatch: pytest.MonkeyPatch) -> Mock:
    _actions_mock.reset()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(_actions_mock.ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(_actions_mock.ca_file))
    return _actions_mock


def management(mock: Mock) -> ManagementClient:
    token = GetToken(mock.host, M2M_ID, client_secret=M2M_SECRET).client_credentials(
        f"https://{mock.host}/api/v2/"
    )["access_token"]
    return ManagementClient(domain=mock.host, token=token)


def plan_in_token(mock: Mock, email: str, password: str) -> str:
    tokens = GetToken(mock.host, "sample-spa").login(
        email, password, realm=REALM, audience="https://reports", scope="openid email"
    )
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return claims["https://reports/plan"]


def test_a_post_login_action_puts_a_claim_from_app_metadata_in_the_access_token(
    mock: Mock,
) -> None:
    # Act
    plan = plan_in_token(mock, "alice@example.com", "password")

    # Assert
    assert plan == "free"


def test_pre_user_registration_refuses_a_sign_up_as_the_sdks_auth0_error(mock: Mock) -> None:
    # Arrange
    database = Database(mock.host, "sample-spa")

    # Act
    with pytest.raises(Auth0Error) as refused:
        database.signup("dana@blocked.example", PASSWORD, CONNECTION)

    # Assert
    assert refused.value.status_code == 400
    assert refused.value.error_code == "extensibility_error"
    # The Action's message is the body's `description`, the field Auth0's /dbconnections
    # errors carry it in; auth0-python reads only `message` and `error_description`, so its
    # exception has none, against Auth0 as here.
    assert refused.value.message == ""
    assert management(mock).users.list_users_by_email(email="dana@blocked.example") == []


def test_metadata_set_at_registration_is_in_the_profile_and_the_next_token(mock: Mock) -> None:
    # Arrange
    Database(mock.host, "sample-spa").signup("erin@example.com", PASSWORD, CONNECTION)

    # Act
    [erin] = management(mock).users.list_users_by_email(email="erin@example.com")
    plan = plan_in_token(mock, "erin@example.com", PASSWORD)

    # Assert
    assert erin.app_metadata == {"plan": "trial"}
    assert plan == "trial"
