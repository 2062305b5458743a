"""auth0-python's authentication client against mock-idp over plain http.

``protocol="http"`` is the SDK's own switch ("useful for testing"): the domain stays the bare
``localhost:<port>`` Auth0 SDKs take, and every URL the SDK builds is ``http://<domain>/...``.
"""

from __future__ import annotations

import jwt
import pytest
from auth0.authentication import GetToken, RevokeToken, Users
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.authentication.exceptions import Auth0Error

from tenant import BACKEND_ID, BACKEND_SECRET, REALM
from mock_idp import Mock

API = "https://reports"


def backend(mock: Mock) -> GetToken:
    return GetToken(mock.host, BACKEND_ID, client_secret=BACKEND_SECRET, protocol="http")


def claims(mock: Mock, token: str, audience: str | list[str]) -> dict:
    """The access token's claims, once its signature checks against the mock's JWKS."""
    key = jwt.PyJWKClient(f"{mock.origin}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=mock.issuer)


def alice_login(mock: Mock, scope: str = "openid profile email offline_access") -> dict:
    return backend(mock).login(
        "alice@example.com", "password", realm=REALM, audience=API, scope=scope
    )


def test_client_credentials_gives_the_backend_a_token_for_its_api(http_mock: Mock) -> None:
    # Act
    response = backend(http_mock).client_credentials(API)

    # Assert
    assert response["token_type"] == "Bearer"
    token = claims(http_mock, response["access_token"], API)
    assert token["sub"] == f"{BACKEND_ID}@clients"
    assert token["gty"] == "client-credentials"
    assert token["scope"] == "read:reports"
    assert response["expires_in"] == token["exp"] - token["iat"]


def test_client_credentials_with_a_wrong_secret_is_the_sdks_auth0_error(http_mock: Mock) -> None:
    # Arrange
    client = GetToken(http_mock.host, BACKEND_ID, client_secret="not-the-secret", protocol="http")

    # Act
    with pytest.raises(Auth0Error) as raised:
        client.client_credentials(API)

    # Assert
    assert raised.value.status_code == 401
    assert raised.value.error_code == "invalid_client"


def test_password_login_gives_tokens_whose_id_token_the_sdks_verifier_accepts(
    http_mock: Mock,
) -> None:
    # Act
    response = alice_login(http_mock)

    # Assert
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{http_mock.origin}/.well-known/jwks.json"),
        issuer=http_mock.issuer,
        audience=BACKEND_ID,
    )
    id_token = verifier.verify(response["id_token"])
    assert id_token["sub"] == "auth0|alice"
    assert id_token["email"] == "alice@example.com"
    access = claims(http_mock, response["access_token"], [API, f"{http_mock.issuer}userinfo"])
    assert access["sub"] == "auth0|alice"
    assert access["gty"] == "password"
    assert "refresh_token" in response


def test_password_login_with_a_wrong_password_is_auth0s_invalid_grant(http_mock: Mock) -> None:
    # Act
    with pytest.raises(Auth0Error) as raised:
        backend(http_mock).login("alice@example.com", "wrong", realm=REALM, audience=API)

    # Assert
    assert raised.value.status_code == 403
    assert raised.value.error_code == "invalid_grant"
    assert raised.value.message == "Wrong email or password."


def test_password_login_without_a_realm_is_refused_as_auth0_refuses_it(http_mock: Mock) -> None:
    # The SDK's login() defaults to the password-realm grant, which needs a realm.

    # Act
    with pytest.raises(Auth0Error) as raised:
        backend(http_mock).login("alice@example.com", "password", audience=API)

    # Assert
    assert raised.value.status_code == 400
    assert raised.value.error_code == "invalid_request"


def test_refresh_token_rotates_and_a_spent_one_is_invalid_grant(http_mock: Mock) -> None:
    # Arrange
    first = alice_login(http_mock)["refresh_token"]

    # Act
    refreshed = backend(http_mock).refresh_token(first)

    # Assert
    assert claims(http_mock, refreshed["access_token"], [API, f"{http_mock.issuer}userinfo"])[
        "sub"
    ] == "auth0|alice"
    assert refreshed["refresh_token"] != first
    with pytest.raises(Auth0Error) as raised:
        backend(http_mock).refresh_token(first)
    assert raised.value.error_code == "invalid_grant"


def test_a_revoked_refresh_token_no_longer_refreshes(http_mock: Mock) -> None:
    # Arrange
    refresh = alice_login(http_mock)["refresh_token"]
    revoke = RevokeToken(http_mock.host, BACKEND_ID, client_secret=BACKEND_SECRET, protocol="http")

    # Act
    revoke.revoke_refresh_token(refresh)

    # Assert
    with pytest.raises(Auth0Error) as raised:
        backend(http_mock).refresh_token(refresh)
    assert raised.value.error_code == "invalid_grant"


def test_userinfo_answers_the_logged_in_users_profile(http_mock: Mock) -> None:
    # Arrange
    access_token = alice_login(http_mock)["access_token"]

    # Act
    profile = Users(http_mock.host, protocol="http").userinfo(access_token)

    # Assert
    assert profile["sub"] == "auth0|alice"
    assert profile["email"] == "alice@example.com"
    assert profile["name"] == "Alice Example"


def test_userinfo_refuses_a_token_without_openid(http_mock: Mock) -> None:
    # Arrange: a token for the API alone, whose audience is not the userinfo endpoint.
    access_token = alice_login(http_mock, scope="read:reports")["access_token"]

    # Act
    with pytest.raises(Auth0Error) as raised:
        Users(http_mock.host, protocol="http").userinfo(access_token)

    # Assert
    assert raised.value.status_code == 401
