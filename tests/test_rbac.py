"""Who may do what, generated: every route of the URL conf and every operation of the OpenAPI
schema × every HTTP method × anonymous, no role, view-only, customer service and admin.

A route nobody wrote a rule for fails `test_every_route_has_a_rule`, so a new page or endpoint
is covered the day it is added. For each request the rule says who may use it; everyone else
gets 401 (anonymous API call), a redirect to the login page (anonymous page) or 403; a method
the route does not declare is refused to everyone (never 2xx); nothing answers 5xx; a refused
request changes nothing.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from connector.models import Connector
from flows.models import FlowRun, Trigger
from tests.factories import UserFactory, make_admin, make_connector, make_cs
from tests.transactions.edit_review_world import review_row
from transactions import lifecycle
from transactions.models import EditReview, Transaction

pytestmark = pytest.mark.django_db

ANON, NOBODY, VIEWER, CS, ADMIN = "anonymous", "no role", "view-only", "customer service", "admin"
ROLES = (ANON, NOBODY, VIEWER, CS, ADMIN)
METHODS = ("get", "post", "put", "patch", "delete")

# What each role may do. "public": anyone; "signed": nobody without a valid HMAC signature;
# "login": any logged-in user.
CAN = {
    ANON: {"public"},
    NOBODY: {"public", "login"},
    VIEWER: {"public", "login", "view"},
    CS: {"public", "login", "view", "retrieve", "post"},
    ADMIN: {"public", "login", "view", "retrieve", "post", "manage", "add", "run"},
}
VIEW_ONLY_PERMISSIONS = (
    "connector.view_connector",
    "connector.view_connectoroptions",
    "flows.view_flowschedule",
    "flows.view_flowrun",
    "transactions.view_transaction",
    "reconciliation.view_variance",
)

# (route template, method) -> what it needs. Routes are the URL conf's, with parameters as
# {name}; API operations come from the schema and must all be here too.
PAGES = {
    ("/login/", "get"): "public",
    ("/login/", "post"): "public",
    ("/logout/", "post"): "public",
    ("/healthz", "get"): "public",
    ("/webhooks/shopify/{connector_id}/", "post"): "signed",
    ("/api/v1/schema/", "get"): "login",
    ("/api/v1/docs/", "get"): "login",
    ("/transactions/", "get"): "view",
    ("/transactions/retrieve/", "get"): "retrieve",
    ("/transactions/retrieve/", "post"): "retrieve",
    ("/transactions/{pk}/row/", "get"): "view",
    ("/transactions/bulk/", "post"): "post",
    ("/transactions/{pk}/timeline/", "get"): "view",
    ("/transactions/{pk}/{verb}/", "post"): "post",
    ("/transactions/errors/", "get"): "view",
    ("/transactions/errors/rows/", "get"): "view",
    ("/transactions/errors/act/", "post"): "post",
    ("/transactions/errors/bind-sku/", "post"): "manage",
    ("/transactions/edits/", "get"): "view",
    ("/transactions/edits/{pk}/", "get"): "view",
    ("/transactions/edits/{pk}/apply/", "post"): "post",
    ("/transactions/edits/{pk}/dismiss/", "post"): "post",
    ("/transactions/edits/{pk}/adjust/", "post"): "post",
    ("/", "get"): "view",
    ("/dashboard/live/", "get"): "view",
    ("/connectors/new/", "get"): "add",
    ("/connectors/new/", "post"): "add",
    ("/connectors/{pk}/settings/", "get"): "view",
    ("/connectors/{pk}/settings/", "post"): "manage",
    ("/connectors/{pk}/settings/{section}/", "get"): "view",
    ("/connectors/{pk}/settings/{section}/", "post"): "manage",
    ("/connectors/{pk}/test/", "post"): "manage",
    ("/connectors/{pk}/alerts/test/", "post"): "manage",
    ("/connectors/{pk}/flows/{flow}/run/", "post"): "run",
    ("/connectors/{pk}/flows/{flow}/status/", "get"): "view",
    ("/connectors/{pk}/flows/{flow}/runs/", "get"): "view",
    ("/flows/", "get"): "view",
    ("/reconciliation/", "get"): "view",
    ("/reconciliation/export.csv", "get"): "view",
    ("/reconciliation/payouts/", "get"): "view",
    ("/reconciliation/connectors/{pk}/run/", "post"): "run",
}
API = {
    ("/api/v1/auth/token/", "post"): "public",
    ("/api/v1/connectors/", "get"): "view",
    ("/api/v1/connectors/", "post"): "add",
    ("/api/v1/connectors/{id}/", "get"): "view",
    ("/api/v1/connectors/{id}/", "patch"): "manage",
    ("/api/v1/connectors/{id}/test/", "post"): "manage",
    ("/api/v1/flow-runs/{id}/", "get"): "view",
    ("/api/v1/flows/{flow}/runs/", "post"): "run",
    ("/api/v1/transactions/", "get"): "view",
    ("/api/v1/transactions/{id}/", "get"): "view",
    ("/api/v1/transactions/{id}/ignore/", "post"): "post",
    ("/api/v1/transactions/{id}/post/", "post"): "post",
    ("/api/v1/transactions/retrieve/", "post"): "retrieve",
    ("/api/v1/variances/", "get"): "view",
    ("/api/v1/errors/", "get"): "view",
    ("/api/v1/errors/rows/", "get"): "view",
    ("/api/v1/errors/resolved/", "get"): "view",
    ("/api/v1/errors/retry/", "post"): "post",
    ("/api/v1/errors/ignore/", "post"): "post",
    ("/api/v1/errors/bind-sku/", "post"): "manage",
    ("/api/v1/edit-reviews/", "get"): "view",
    ("/api/v1/edit-reviews/{id}/", "get"): "view",
    ("/api/v1/edit-reviews/{id}/apply/", "post"): "post",
    ("/api/v1/edit-reviews/{id}/dismiss/", "post"): "post",
    ("/api/v1/edit-reviews/{id}/adjust/", "post"): "post",
}
RULES = {**PAGES, **API}
# Django's admin has its own staff login (tests/connector/test_permissions.py).
NOT_IN_MATRIX = ("/admin/",)


def _template(pattern: str) -> str:
    """`api/v1/^connectors/(?P<pk>[^/.]+)/$` and `<int:pk>/` -> `/api/v1/connectors/{pk}/`."""
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return "/" + text.replace("^", "").replace("$", "")


def url_conf_routes() -> set[str]:
    routes: set[str] = set()

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                routes.add(_template(prefix + str(entry.pattern)))

    walk(get_resolver(), "")
    return {r for r in routes if not r.startswith(NOT_IN_MATRIX)}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in METHODS
    }


def _same_route(route: str) -> str:
    # The schema names a model's primary key {id} where the URL conf says {pk}.
    return route.replace("{pk}", "{id}")


def test_every_route_has_a_rule():
    ruled = {_same_route(route) for route, _ in RULES}
    missing = {route for route in url_conf_routes() if _same_route(route) not in ruled}
    assert not missing, f"routes without an RBAC rule in tests/test_rbac.py: {sorted(missing)}"


def test_the_schema_and_the_rules_agree():
    assert schema_operations() == set(API)
    # Every API route in the URL conf is in the schema (or ruled as a page, like /docs/).
    api_routes = {_same_route(r) for r in url_conf_routes() if r.startswith("/api/")} - {
        _same_route(route) for route, _ in PAGES
    }
    assert api_routes == {route for route, _ in API}


@pytest.fixture
def world():
    admin = make_admin()
    viewer = UserFactory()
    for perm in VIEW_ONLY_PERMISSIONS:
        app_label, codename = perm.split(".")
        viewer.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    users = {ANON: None, NOBODY: UserFactory(), VIEWER: viewer, CS: make_cs(), ADMIN: admin}
    connector = make_connector(admin)
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind="refund",
        source_channel="netsuite",
        source_id="rbac-1",
        defaults={"shopify_order_name": "#1001", "amount": "1.00", "currency": "USD"},
    )
    run = FlowRun.objects.create(connector=connector, flow="order_import", trigger=Trigger.API)
    # An order edit waiting in the exception queue, for its page and its decisions.
    review = review_row(connector, 1)
    values = {
        "pk": connector.pk,
        "connector_id": connector.pk,
        "section": "general",
        "flow": "order_import",
        "verb": "post",
        "review": review.pk,
    }
    return users, connector, txn, run, values


def _url(route: str, values: dict, txn, run) -> str:
    own = dict(values)
    if route.startswith(("/transactions/edits/", "/api/v1/edit-reviews/")):
        own["pk"] = own["id"] = values["review"]
    elif route.startswith(("/transactions/", "/api/v1/transactions/")):
        own["pk"] = own["id"] = txn.pk
    elif route.startswith("/api/v1/flow-runs/"):
        own["id"] = run.pk
    else:
        own["id"] = own["pk"]
    return route.format(**own)


def _state(connector, txn):
    c = Connector.objects.select_related("options").get(pk=connector.pk)
    t = Transaction.objects.get(pk=txn.pk)
    return (
        Connector.objects.count(),
        c.name,
        c.shopify_access_token_encrypted,
        c.options.refund_sync_direction,
        c.updated_at,
        t.status,
        FlowRun.objects.count(),
        list(EditReview.objects.values_list("state", "resolution")),
    )


ALL_ROUTES = sorted({route for route, _ in RULES})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("route", ALL_ROUTES)
def test_matrix(client, api_client, world, route, method):
    users, connector, txn, run, values = world
    is_api = route.startswith("/api/")
    needs = RULES.get((route, method))
    url = _url(route, values, txn, run)
    for role in ROLES:
        http = api_client if is_api else client
        if users[role] is None:
            http.logout()
        elif is_api:
            http.force_authenticate(users[role])
        else:
            http.force_login(users[role])
        before = _state(connector, txn)
        if is_api:
            response = getattr(http, method)(url, {}, format="json")
        else:
            response = getattr(http, method)(url, {})
        code = response.status_code
        body = b"".join(response.streaming_content) if response.streaming else response.content
        where = (role, method.upper(), url, code, body[:300])
        assert code < 500, where
        allowed = needs is not None and needs in CAN[role]
        if allowed:
            assert code not in (401, 403, 405), where
            if needs != "public":
                assert not _to_login(response), where
            continue
        if needs is None:
            # A method the route does not declare: refused to everyone, before or after auth.
            assert code in (302, 401, 403, 405), where
            if code == 302:
                assert _to_login(response), where
        elif needs == "signed":
            assert code == 401, where
        elif role == ANON:
            assert (code == 401) if is_api else _to_login(response), where
        else:
            assert code == 403, where
        assert _state(connector, txn) == before, where


def _to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


def test_view_only_cannot_post_a_transaction(api_client, world):
    """The regression of issue 11 item 4: a viewset method named `post` answered POST on every
    route (202 on the detail route for a view-only user, 500 on the list)."""
    users, _connector, txn, _run, _values = world
    api_client.force_authenticate(users[VIEWER])
    before = Transaction.objects.get(pk=txn.pk).status
    assert api_client.post(f"/api/v1/transactions/{txn.pk}/").status_code == 405
    assert api_client.post("/api/v1/transactions/").status_code == 405
    assert api_client.post(f"/api/v1/transactions/{txn.pk}/post/").status_code == 403
    assert Transaction.objects.get(pk=txn.pk).status == before
