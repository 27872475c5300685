"""Seed 003, Shopify → NetSuite: a Shopify refund becomes a cash refund (order billed as a cash
sale) or a credit memo (billed as an invoice), with Shopify's amounts copied (seed 004)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from connector import external_ids
from connector.models import RefundSyncDirection
from transactions import actions
from transactions.models import Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("bill_as", "refund_type"), [("cashSale", "cashRefund"), ("invoice", "creditMemo")]
)
def test_shopify_refund_posts_to_netsuite_with_copied_amounts(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox, bill_as, refund_type
):
    connector = wired_connector(RefundSyncDirection.SHOPIFY_TO_NETSUITE)
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": bill_as})
    # A partial refund in Shopify: one cap, sent back (restocked, so NetSuite gets the item
    # line; a line not restocked would be an amount on the adjustment item).
    cap = next(li for li in order["line_items"] if li["sku"] == "CAP-NAVY")
    shopify_sandbox.control.refund(
        order["id"],
        amount="19.50",
        lines=[{"line_item_id": cap["id"], "quantity": 1, "restock_type": "RETURN"}],
    )

    (txn,) = actions.retrieve(None, connector, "shopify", order["name"]).transactions
    assert (txn.source_channel, txn.kind, txn.amount) == ("shopify", "refund", Decimal("19.50"))
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error

    records = netsuite_sandbox.control.records(
        refund_type, externalId=external_ids.refund(txn.source_id)
    )
    assert len(records) == 1
    (line,) = records[0]["fields"]["itemList"]
    assert (float(line["quantity"]), float(line["amount"])) == (1.0, 19.5)
    assert records[0]["fields"]["createdFrom"]["internalId"]
    assert txn.target_id == records[0]["internalId"]

    # Posting it again (a second worker after a lost answer) finds the record by externalId.
    txn.status = Status.SCHEDULED
    txn.save(update_fields=["status"])
    assert actions.run_post(txn.pk) == "posted"
    assert (
        len(
            netsuite_sandbox.control.records(
                refund_type, externalId=external_ids.refund(txn.source_id)
            )
        )
        == 1
    )


def test_refund_of_an_unbilled_order_waits_and_posts_itself_once_billed(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(RefundSyncDirection.SHOPIFY_TO_NETSUITE)
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    shopify_sandbox.control.refund(
        order["id"],
        amount="10.00",
        lines=[{"line_item_id": order["line_items"][0]["id"], "quantity": 1}],
    )
    (txn,) = actions.retrieve(None, connector, "shopify", order["name"]).transactions
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.WAITING  # not an error: nothing for a person to do yet
    assert "is not billed in NetSuite yet" in txn.status_reason
    assert "by itself once the order is billed" in txn.status_reason

    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "cashSale"})
    assert actions.sweep_stuck_posts(now=txn.next_attempt_at + timedelta(seconds=1)) == 1
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    (record,) = netsuite_sandbox.control.records(
        "cashRefund", externalId=external_ids.refund(txn.source_id)
    )
    assert Decimal(record["fields"]["total"]) == Decimal("10.00") == txn.amount
