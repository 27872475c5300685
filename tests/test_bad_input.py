"""Bad input gets a clear 4xx naming what is wrong, never a 500 (issue 11, item 7). CI runs
these on PostgreSQL, where NUL bytes and over-long values reach the database as errors."""

import json

import pytest

from connector.shopify.models import WebhookDelivery
from tests.factories import make_admin, make_connector, make_cs
from tests.shopify.test_webhook_receiver import _post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("connector=abc", "connector"),
        ("connector=99999999999999999999999", "connector"),
        ("date_from=notadate", "date_from"),
        ("date_to=2026-13-45", "date_to"),
        ("search=%2310%0001", "search"),
        ("kind=%00", "kind"),
        ("status=nonsense", "status"),
    ],
)
def test_transaction_list_filters(api_client, query, param):
    api_client.force_authenticate(make_cs())
    response = api_client.get(f"/api/v1/transactions/?{query}")
    assert response.status_code == 400, response.content
    assert param in response.json()


def test_transaction_list_good_filters_still_work(api_client):
    connector = make_connector()
    api_client.force_authenticate(make_cs())
    response = api_client.get(
        f"/api/v1/transactions/?connector={connector.pk}&date_from=2026-01-01&search=%231001"
    )
    assert response.status_code == 200


def test_transaction_page_ignores_bad_filters(client):
    client.force_login(make_cs())
    response = client.get("/transactions/?connector=abc&date_from=notadate&search=a%00b")
    assert response.status_code == 200


@pytest.mark.parametrize("body", ["[1, 2]", '"connector"', "3", "null", "{}", '{"connector": "x"}'])
def test_flow_run_body_must_be_an_object_with_a_connector(api_client, body):
    api_client.force_authenticate(make_admin())
    response = api_client.post(
        "/api/v1/flows/order_import/runs/", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content


def test_flow_run_huge_connector_id(api_client):
    api_client.force_authenticate(make_admin())
    response = api_client.post(
        "/api/v1/flows/order_import/runs/", {"connector": 10**30}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "header", ["webhook_id", "event_id", "topic"], ids=["webhook-id", "event-id", "topic"]
)
def test_overlong_webhook_headers(client, header):
    connector = make_connector()
    value = "x" * 300
    kwargs = {header: value}
    response = _post(client, connector, json.dumps({"id": 1}).encode(), **kwargs)
    assert response.status_code == 400
    assert "too long" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "key", ["id", "credentials", "last_run_at", "last_error", "created_at", "updated_at"]
)
def test_patch_of_read_only_keys_is_refused(api_client, key):
    admin = make_admin()
    connector = make_connector(admin)
    api_client.force_authenticate(admin)
    response = api_client.patch(
        f"/api/v1/connectors/{connector.pk}/", {key: "x", "name": "Renamed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {key: ["Read-only: it cannot be changed."]}
    connector.refresh_from_db()
    assert connector.name != "Renamed"


def test_patch_with_a_list_body(api_client):
    admin = make_admin()
    connector = make_connector(admin)
    api_client.force_authenticate(admin)
    response = api_client.patch(f"/api/v1/connectors/{connector.pk}/", [1], format="json")
    assert response.status_code == 400
