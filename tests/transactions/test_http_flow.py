"""Seed 003 over HTTP: the dialog and the API retrieve by order ID, the action menu posts, and
the failure messages are the dialog's words."""

from decimal import Decimal

import pytest

from tests.factories import make_cs
from transactions.actions import NOT_SYNCED
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_dialog_retrieve_then_post_from_the_menu(client, wired_connector, seed003, shopify_sandbox):
    connector = wired_connector()
    order, _, ns_refund = seed003.billed_and_refunded(connector, "invoice")
    client.force_login(make_cs())
    dialog = client.get("/transactions/retrieve/", HTTP_HX_REQUEST="true")
    assert b"Order/Transaction ID" in dialog.content

    bad = client.post(
        "/transactions/retrieve/",
        {"connector": connector.pk, "source_channel": "netsuite", "order_id": "#9999"},
        HTTP_HX_REQUEST="true",
    )
    assert "previously synced to NetSuite" in bad.content.decode()

    ok = client.post(
        "/transactions/retrieve/",
        {"connector": connector.pk, "source_channel": "netsuite", "order_id": order["name"]},
        HTTP_HX_REQUEST="true",
    )
    assert ok["HX-Trigger"] == "transactionsChanged"
    assert f"Retrieved 1 refund of order {order['name']}" in ok.content.decode()
    txn = Transaction.objects.get(kind="refund")
    page = client.get("/transactions/").content.decode()
    assert "Post to Shopify" in page and ns_refund["internalId"] in page

    row = client.post(f"/transactions/{txn.pk}/post/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="posted"' in row
    assert 'hx-trigger="every 1s"' not in row  # polling stops once Posted
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1
    timeline = client.get(f"/transactions/{txn.pk}/timeline/").content.decode()
    assert "Posted to Shopify as refund" in timeline and "refundCreate" in timeline


def test_api_retrieve_and_post(api_client, wired_connector, seed003, shopify_sandbox):
    connector = wired_connector()
    order, _, _ = seed003.billed_and_refunded(connector)
    api_client.force_authenticate(make_cs())

    missing = api_client.post(
        "/api/v1/transactions/retrieve/",
        {"connector": connector.pk, "source_channel": "netsuite", "order_id": "#4242"},
        format="json",
    )
    assert missing.status_code == 404
    assert missing.json() == {"detail": NOT_SYNCED.format(order_id="#4242")}

    created = api_client.post(
        "/api/v1/transactions/retrieve/",
        {"connector": connector.pk, "source_channel": "netsuite", "order_id": order["name"]},
        format="json",
    )
    assert created.status_code == 201
    (body,) = created.json()["transactions"]
    assert Decimal(body["amount"]) == Decimal("50.00")
    posted = api_client.post(f"/api/v1/transactions/{body['id']}/post/")
    assert posted.status_code == 202
    assert posted.json()["status"] == Status.POSTED  # in-process task in the test settings
    assert api_client.post(f"/api/v1/transactions/{body['id']}/post/").status_code == 409
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1
