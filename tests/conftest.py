"""Shared fixtures. Fixture plugins for the sandbox servers live in tests/fixtures/."""

import os

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


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
