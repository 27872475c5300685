"""Seed 003, NetSuite → Shopify: refund in NetSuite, retrieve by order ID, post, Posted, and
exactly one Shopify refund of exactly the NetSuite amount."""

from decimal import Decimal

import pytest

from tests.factories import make_cs
from transactions import actions
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("bill_as", "refund_type"), [("cashSale", "cashRefund"), ("invoice", "creditMemo")]
)
def test_retrieve_and_post_refund_to_shopify(
    wired_connector, seed003, shopify_sandbox, bill_as, refund_type
):
    connector = wired_connector()
    user = make_cs()
    order, _sales_order, ns_refund = seed003.billed_and_refunded(connector, bill_as)

    result = actions.retrieve(user, connector, "netsuite", order["name"])
    assert result.created == 1
    (txn,) = result.transactions
    assert (txn.kind, txn.source_channel, txn.source_id, txn.source_type) == (
        "refund",
        "netsuite",
        ns_refund["internalId"],
        refund_type,
    )
    assert txn.status == Status.RETRIEVED
    assert txn.amount == Decimal("50.00")  # 2 × 25.00, the first line, as NetSuite totals it
    assert txn.payload["lines"][0]["sku"] == "TSHIRT-BLK-M"

    # Retrieving again finds the same row.
    again = actions.retrieve(user, connector, "netsuite", str(order["id"]))
    assert again.created == 0 and again.transactions[0].pk == txn.pk

    assert actions.request_post(user, txn) is True  # runs the task in-process (test settings)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert txn.target_id.startswith("gid://shopify/Refund/")

    shopify_order = shopify_sandbox.control.order(order["id"])
    assert len(shopify_order["refunds"]) == 1
    assert Decimal(shopify_order["refunds"][0]["total"]) == Decimal("50.00")
    # Lines matched by SKU and quantity: refunded as items, not only as money.
    assert shopify_order["refunds"][0]["line_items"][0]["quantity"] == 2

    # A second click after Posted does nothing.
    assert actions.request_post(user, txn) is False
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1
    types = list(txn.events.order_by("id").values_list("type", flat=True))
    assert types == ["retrieved", "status", "status", "posted"]
    # The request and Shopify's answer are on the Posted event (the timeline's details).
    posted = txn.events.get(type="posted")
    assert posted.detail["answer"]["total"] == "50.00"
    assert txn.events.filter(type="status").first().actor == user


def test_unmatched_lines_refund_the_amount_only(wired_connector, seed003, shopify_sandbox):
    connector = wired_connector()
    order, _sales_order, _ = seed003.billed_and_refunded(connector)
    # NetSuite refunds a line Shopify no longer has room for: amount only.
    shopify_sandbox.control.refund(
        order["id"], lines=[{"line_item_id": order["line_items"][0]["id"], "quantity": 2}]
    )
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    refunds = shopify_sandbox.control.order(order["id"])["refunds"]
    assert len(refunds) == 2
    assert Decimal(refunds[1]["total"]) == Decimal("50.00") and refunds[1]["line_items"] == []


def test_shopify_refusal_shows_as_error_posting_then_retry(
    wired_connector, seed003, shopify_sandbox
):
    connector = wired_connector()
    order, _, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    # The customer already got everything back in Shopify: the refund is refused.
    shopify_sandbox.control.refund(order["id"], full=True)
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.ERROR
    assert "greater than the refundable amount" in txn.last_error
    assert Transaction.objects.get(pk=txn.pk).events.filter(type="error").exists()
    assert actions.retry(None, txn) is True
    txn.refresh_from_db()
    # A person's Retry starts a fresh series: this is its first attempt; the timeline has both.
    assert txn.status == Status.ERROR and txn.attempts == 1
    assert txn.events.filter(type="error").count() == 2
