"""Permissions beyond the generated matrix (tests/test_rbac.py, every route × method × role):
the Django admin, token auth, CSRF."""

import pytest

from tests.factories import UserFactory, make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db

ADMIN, CS, NOBODY, ANON = "admin", "cs", "nobody", "anonymous"


@pytest.fixture
def users():
    return {ADMIN: make_admin(), CS: make_cs(), NOBODY: UserFactory(), ANON: None}


@pytest.fixture
def connector(users):
    return make_connector(users[ADMIN])


def test_staff_audit_pages_need_staff(client, users):
    client.force_login(users[CS])
    assert client.get("/admin/auditlog/logentry/").status_code == 302  # to the admin login
    staff = make_admin(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/auditlog/logentry/").status_code == 200


def test_token_auth(api_client, users):
    users[CS].set_password("pw-for-token-1"), users[CS].save()
    response = api_client.post(
        "/api/v1/auth/token/", {"username": users[CS].username, "password": "pw-for-token-1"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/connectors/").status_code == 200
    bad = api_client.post(
        "/api/v1/auth/token/", {"username": users[CS].username, "password": "wrong"}
    )
    assert bad.status_code == 400


def test_pages_need_csrf(users, connector):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users[ADMIN])
    response = strict.post(
        f"/connectors/{connector.pk}/settings/refunds/",
        {"refund_sync_direction": "shopify_to_netsuite"},
    )
    assert response.status_code == 403
    connector.options.refresh_from_db()
    assert connector.options.refund_sync_direction == "none"
