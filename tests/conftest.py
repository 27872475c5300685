"""Shared fixtures. Fixture plugins for the sandbox servers live in tests/fixtures/."""

import ipaddress
import os
import socket

import pytest

pytest_plugins: list[str] = [
    "tests.fixtures.shopify_sandbox",
    "tests.fixtures.netsuite_sandbox",
    "tests.fixtures.connectors",
]


def require_service(marker: str, available: bool, reason: str) -> None:
    """Skip a test whose service is missing; in CI a missing service is an error, not a skip."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{marker}: {reason} (CI must not skip this test)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_token_throttle():
    """The token endpoint's throttle (10/minute per address) counts every test's anonymous
    calls from 127.0.0.1, across runs too when the cache is Redis: start each test afresh."""
    from django.core.cache import cache

    cache.delete("throttle_token_127.0.0.1")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# --- No network past loopback -----------------------------------------------------------------
# The suite talks to the sandboxes, PostgreSQL and Redis on this machine only. Any other
# connection (a connector without endpoint overrides, an API fuzzer's made-up URL, a forgotten
# public WSDL) fails at once here instead of reaching Shopify or NetSuite.

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class OutboundNetworkBlocked(OSError):
    pass


def is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%")[0].lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guard(address, family) -> None:
    if family == getattr(socket, "AF_UNIX", None) or not isinstance(address, tuple):
        return
    if not is_loopback(address[0]):
        raise OutboundNetworkBlocked(f"test suite: outbound network blocked ({address[0]})")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _connect(self, address):
    _guard(address, self.family)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _guard(address, self.family)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    if host is not None and not is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test suite: name lookup blocked ({host})")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
socket.getaddrinfo = _getaddrinfo


def pytest_terminal_summary(terminalreporter):
    """The API fuzzer's figures (tests/test_api_fuzz.py), when it ran."""
    import sys

    fuzz = sys.modules.get("tests.test_api_fuzz")
    result = fuzz.write_figures() if fuzz else None
    if result:
        terminalreporter.write_line(
            f"API fuzz: {result['operations']} operations, {result['cases']} cases, "
            f"5xx: {result['5xx']}, statuses {result['statuses']}"
        )
