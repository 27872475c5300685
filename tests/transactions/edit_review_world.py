"""Reviews of the exception queue for the page, API and browser tests: a real one (an order
imported, approved and partly fulfilled in the NetSuite sandbox, edited in the Shopify
sandbox, the flow run over HTTP) and rows written directly where only the page is tested."""

from __future__ import annotations

from connector import external_ids
from tests.flows.conftest import run_flow
from transactions import lifecycle
from transactions.models import EditReview, Kind, Status, Transaction

FLOW = "order_edit_to_netsuite"
LINES = [
    {"sku": "SHIRT", "quantity": 2, "price": "25.00", "title": "Shirt"},
    {"sku": "MUG", "quantity": 3, "price": "12.00", "title": "Mug"},
]


def locked_edit(connector, shopify_sandbox, netsuite_sandbox, sku="MUG", quantity=1):
    """An order past the lock (approved, one Shirt on an item fulfillment) whose `sku` line
    was changed to `quantity` in Shopify: the flow sends the edit to the queue."""
    netsuite_sandbox.control.items("SHIRT", "MUG", "CAP")
    created = shopify_sandbox.control.create_order(lines=LINES, tax_rate="0.10", shipping="5.00")
    assert run_flow(connector, "order_import").posted == 1
    so = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(created["id"])
    )[0]
    netsuite_sandbox.control.order(so["internalId"], "approve")
    netsuite_sandbox.control.post(
        "item-fulfillments",
        {"sales_order": so["internalId"], "lines": [{"orderLine": 1, "quantity": 1}]},
    )
    line = next(li["id"] for li in created["line_items"] if li["sku"] == sku)
    shopify_sandbox.control.edit(created["id"], line_item_id=line, quantity=quantity)
    run = run_flow(connector, FLOW, scope=[str(created["id"])])
    assert run.error == "", run.error
    review = EditReview.objects.get(connector=connector, shopify_order_id=str(created["id"]))
    assert review.state == EditReview.State.OPEN
    return review, created, so


CHANGES = [
    {
        "key": "10",
        "sku": "MUG",
        "title": "Mug",
        "change": "quantity",
        "source_quantity": 1,
        "target_quantity": 3,
        "fulfilled": 0,
        "source_amount": "12.00",
        "target_amount": "36.00",
        "summary": "Quantity changed in Shopify: MUG 3 → 1",
    },
    {
        "key": "tax",
        "sku": "",
        "title": "Shopify tax",
        "change": "charge",
        "source_quantity": None,
        "target_quantity": None,
        "fulfilled": 0,
        "source_amount": "6.70",
        "target_amount": "9.10",
        "summary": "Tax 9.10 → 6.70",
    },
]
ADDED = [
    {
        "key": "12",
        "sku": "CAP",
        "title": "Cap",
        "change": "added",
        "source_quantity": 1,
        "target_quantity": 0,
        "fulfilled": 0,
        "source_amount": "8.00",
        "target_amount": "0.00",
        "summary": "Added in Shopify: CAP × 1",
    }
]


def review_row(connector, n: int, changes=None, state=EditReview.State.OPEN, **fields):
    """A review written directly (no sandbox): its order's edit row in Needs review."""
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind=Kind.ORDER_EDIT,
        source_channel="shopify",
        source_id=str(7000 + n),
        flow=FLOW,
        defaults={
            "shopify_order_id": str(7000 + n),
            "shopify_order_name": f"#{1000 + n}",
            "netsuite_sales_order_id": str(500 + n),
        },
    )
    Transaction.objects.filter(pk=txn.pk).update(status=Status.REVIEW)
    return EditReview.objects.create(
        connector=connector,
        transaction=txn,
        direction=EditReview.Direction.TO_NETSUITE,
        shopify_order_id=str(7000 + n),
        shopify_order_name=f"#{1000 + n}",
        netsuite_sales_order_id=str(500 + n),
        version=f"v{n}",
        reason="NetSuite already has item fulfillments for 1 unit(s) of this order.",
        changes=CHANGES if changes is None else changes,
        source_state={"total": "73.70", "currency": "USD"},
        target_state={"total": "100.10", "status": "Partially Fulfilled"},
        state=state,
        **fields,
    )
