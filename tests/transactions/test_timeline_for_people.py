"""The timeline reads as sentences with who and when (time zone included), links the records in
Shopify and NetSuite, keeps the request and answer behind "Details", and never shows an
idempotency key or a Python repr."""

import pytest

from tests.factories import make_connector, make_cs
from transactions import lifecycle
from transactions.models import Status, Transaction, TransactionEvent

pytestmark = pytest.mark.django_db


def test_timeline_for_people(client):
    connector = make_connector()
    cs = make_cs()
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind="refund",
        source_channel="netsuite",
        source_id="9101",
        defaults={
            "source_type": "cashRefund",
            "shopify_order_name": "#1001",
            "shopify_order_id": "5551001",
            "netsuite_sales_order_id": "812",
        },
    )
    lifecycle.record_event(txn, TransactionEvent.Type.STATUS, "Post requested.", actor=cs)
    lifecycle.record_event(
        txn,
        TransactionEvent.Type.POSTED,
        "Posted to Shopify as refund 77 of 10.00 USD; totals agree.",
        detail={
            "request": {"mutation": "refundCreate", "idempotency_key": "secret-ish-key"},
            "answer": {"refund": "gid://shopify/Refund/77", "total": "10.00"},
        },
        flow_run_id=None,
    )
    Transaction.objects.filter(pk=txn.pk).update(
        status=Status.POSTED, target_id="gid://shopify/Refund/77"
    )
    client.force_login(cs)
    body = client.get(f"/transactions/{txn.pk}/timeline/").content.decode()
    assert "UTC" in body
    assert f"by {cs.get_username()}" in body and "by the connector" in body
    assert "<summary" in body and "Details" in body and "What came back" in body
    assert "idempotency" not in body and "secret-ish-key" not in body
    assert "{'" not in body  # no Python reprs
    assert f"https://{connector.shopify_shop_domain}/admin/orders/5551001" in body
    assert "Cash refund 9101 in NetSuite" in body and "transaction.nl?id=9101" in body
    assert "Remote record:" in body
