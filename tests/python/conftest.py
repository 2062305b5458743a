"""Fixtures: one mock-idp over http and one over https (``--tls``) for the whole run, both
with the suite's tenant (``tenant.py``), each reset to its starting state before every test
that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_idp import Mock, start_mock
from tenant import TENANT


@pytest.fixture(scope="session")
def _http_mock() -> Iterator[Mock]:
    mock = start_mock(TENANT)
    yield mock
    mock.stop()


@pytest.fixture(scope="session")
def _https_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    mock = start_mock(TENANT, tls_dir=tmp_path_factory.mktemp("mock-idp-tls"))
    yield mock
    mock.stop()


@pytest.fixture
def http_mock(_http_mock: Mock) -> Mock:
    """The mock over plain http, as it started."""
    _http_mock.reset()
    return _http_mock


@pytest.fixture
def https_mock(_https_mock: Mock, monkeypatch: pytest.MonkeyPatch) -> Mock:
    """The mock over https, as it started, with its CA trusted the way a Python app is told
    to trust one: ``REQUESTS_CA_BUNDLE`` (requests, the authentication client) and
    ``SSL_CERT_FILE`` (httpx, the management client)."""
    _https_mock.reset()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(_https_mock.ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(_https_mock.ca_file))
    return _https_mock
