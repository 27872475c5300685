"""The permission matrix: connector admin / customer service / no role / anonymous × every page
and API endpoint. A forbidden action answers 403 (401 for anonymous API calls) and changes
nothing."""

import pytest

from connector.models import Connector
from tests.factories import UserFactory, make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db

ADMIN, CS, NOBODY, ANON = "admin", "cs", "nobody", "anonymous"


@pytest.fixture
def users():
    return {ADMIN: make_admin(), CS: make_cs(), NOBODY: UserFactory(), ANON: None}


@pytest.fixture
def connector(users):
    return make_connector(users[ADMIN])


SECTIONS = ("general", "orders", "cancellation", "refunds", "order-edits", "b2b")

# (method, url template, data, expected status by role)
PAGE_CASES = [
    ("get", "/", None, {ADMIN: 200, CS: 200, NOBODY: 403, ANON: 302}),
    ("get", "/connectors/new/", None, {ADMIN: 200, CS: 403, NOBODY: 403, ANON: 302}),
    *[
        (
            "get",
            f"/connectors/{{pk}}/settings/{s}/",
            None,
            {ADMIN: 200, CS: 200, NOBODY: 403, ANON: 302},
        )
        for s in SECTIONS
    ],
    (
        "get",
        "/connectors/{pk}/settings/credentials/",
        None,
        {ADMIN: 200, CS: 403, NOBODY: 403, ANON: 302},
    ),
    (
        "post",
        "/connectors/{pk}/settings/refunds/",
        {"refund_sync_direction": "shopify_to_netsuite"},
        {ADMIN: 302, CS: 403, NOBODY: 403, ANON: 302},
    ),
    (
        "post",
        "/connectors/{pk}/settings/credentials/",
        {"shopify_access_token": "stolen"},
        {ADMIN: 302, CS: 403, NOBODY: 403, ANON: 302},
    ),
    (
        "post",
        "/connectors/{pk}/flows/netsuite_cancellation_to_shopify/run/",
        {},
        {ADMIN: 302, CS: 403, NOBODY: 403, ANON: 302},
    ),
    ("post", "/connectors/new/", {"name": "x"}, {ADMIN: 200, CS: 403, NOBODY: 403, ANON: 302}),
    ("get", "/api/v1/docs/", None, {ADMIN: 200, CS: 200, NOBODY: 200, ANON: 401}),
    ("get", "/admin/", None, {ADMIN: 302, CS: 302, NOBODY: 302, ANON: 302}),
]

API_CASES = [
    ("get", "/api/v1/connectors/", None, {ADMIN: 200, CS: 200, NOBODY: 403, ANON: 401}),
    ("get", "/api/v1/connectors/{pk}/", None, {ADMIN: 200, CS: 200, NOBODY: 403, ANON: 401}),
    (
        "patch",
        "/api/v1/connectors/{pk}/",
        {"options": {"refund_sync_direction": "shopify_to_netsuite"}},
        {ADMIN: 200, CS: 403, NOBODY: 403, ANON: 401},
    ),
    (
        "post",
        "/api/v1/connectors/",
        {"name": "Z", "shopify_shop_domain": "z.myshopify.com", "netsuite_account_id": "42"},
        {ADMIN: 201, CS: 403, NOBODY: 403, ANON: 401},
    ),
    ("get", "/api/v1/schema/", None, {ADMIN: 200, CS: 200, NOBODY: 200, ANON: 401}),
]


@pytest.mark.parametrize("role", [ADMIN, CS, NOBODY, ANON])
@pytest.mark.parametrize(("method", "url", "data", "expected"), PAGE_CASES)
def test_pages(client, users, connector, role, method, url, data, expected):
    if users[role]:
        client.force_login(users[role])
    before = _state(connector)
    response = getattr(client, method)(url.format(pk=connector.pk), data or {})
    assert response.status_code == expected[role], (role, method, url)
    if role == ANON and expected[role] == 302 and not url.startswith("/admin"):
        assert response["Location"].startswith("/login/")
    if expected[role] in (302, 401, 403) and method == "post" and role != ADMIN:
        assert _state(connector) == before


@pytest.mark.parametrize("role", [ADMIN, CS, NOBODY, ANON])
@pytest.mark.parametrize(("method", "url", "data", "expected"), API_CASES)
def test_api(api_client, users, connector, role, method, url, data, expected):
    if users[role]:
        api_client.force_authenticate(users[role])
    before = _state(connector)
    response = getattr(api_client, method)(url.format(pk=connector.pk), data, format="json")
    assert response.status_code == expected[role], (role, method, url, response.content)
    if role != ADMIN:
        assert _state(connector) == before


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


def _state(connector):
    c = Connector.objects.select_related("options").get(pk=connector.pk)
    return (
        Connector.objects.count(),
        c.name,
        c.shopify_access_token_encrypted,
        c.options.refund_sync_direction,
        c.updated_at,
    )
