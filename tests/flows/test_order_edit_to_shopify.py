"""Order edits NetSuite → Shopify over real HTTP (Reverse Order Edit Sync, seed 002): a
quantity changed and a line added in NetSuite reach the Shopify order, both flags, loop
prevention both ways, a fulfilled line reduced goes to the exception queue, a retry after a
failure between the commit and the write-back does not edit Shopify twice, userErrors."""

from decimal import Decimal

import pytest

from connector import bindings, external_ids
from connector.netsuite import records
from flows.models import RunStatus
from transactions.actions import run_post
from transactions.models import EditReview, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "order_edit_to_shopify"
FORWARD = "order_edit_to_netsuite"
KEY_FIELD = "custcol_shopify_line_id"
EDIT_MUTATIONS = {
    "orderEditBegin",
    "orderEditSetQuantity",
    "orderEditAddVariant",
    "orderEditCommit",
}


@pytest.fixture
def reverse(wired):
    set_options(wired, post_order_modifications_to_shopify=True, allow_netsuite_order_corrections=True)
    return wired


def _imported(connector, shopify_sandbox, netsuite_sandbox):
    netsuite_sandbox.control.items("SHIRT", "MUG", "CAP")
    created = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "SHIRT", "quantity": 2, "price": "25.00", "title": "Shirt"},
            {"sku": "MUG", "quantity": 1, "price": "12.00", "title": "Mug"},
        ],
        tax_rate="0.10",
        shipping="5.00",
    )
    run = run_flow(connector, "order_import")
    assert run.posted == 1, (run.error, run.skip_reasons)
    return created


def _so(netsuite_sandbox, order_id) -> dict:
    found = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order_id)
    )
    return found[0]


def _so_line(so: dict, key: str) -> dict:
    for line in so["fields"]["itemList"]:
        if key in str(line.get("customFieldList") or ""):
            return line
    raise AssertionError(f"no line with key {key}: {so['fields']['itemList']}")


def _line_id(created, sku) -> str:
    return str(next(li["id"] for li in created["line_items"] if li["sku"] == sku))


def _shopify_line(shopify_sandbox, order_id, sku) -> dict:
    order = shopify_sandbox.control.order(order_id)
    return next(li for li in order["line_items"] if li["sku"] == sku)


def _edit_in_netsuite(netsuite_sandbox, so_id, *, lines=(), adds=()):
    """What a person does in NetSuite: change lines by number, add lines (no line key)."""
    sales = records.factory("sales")
    item_lines = [sales.SalesOrderItem(line=int(n), quantity=q) for n, q in lines]
    item_lines += [
        sales.SalesOrderItem(item=records.ref(item), quantity=q, rate=str(rate))
        for item, q, rate in adds
    ]
    netsuite_sandbox.client().update(
        records.record(
            "SalesOrder",
            internalId=so_id,
            itemList=sales.SalesOrderItemList(replaceAll=False, item=item_lines),
        )
    )


def _edits(shopify_sandbox) -> list[str]:
    return [
        m["mutation"]
        for m in shopify_sandbox.control.mutations()
        if m["mutation"] in EDIT_MUTATIONS
    ]


def _netsuite_writes(netsuite_sandbox) -> int:
    return sum(1 for e in netsuite_sandbox.control.log() if e["operation"] in ("update", "upsert"))


def _row(so_id) -> Transaction:
    return Transaction.objects.get(
        kind=Kind.ORDER_EDIT, source_channel="netsuite", source_id=str(so_id)
    )


def _totals_equal(shopify_sandbox, netsuite_sandbox, order_id):
    so = _so(netsuite_sandbox, order_id)
    shopify_total = Decimal(shopify_sandbox.control.order(order_id)["totals"]["current_total"])
    assert Decimal(so["fields"]["total"]) == shopify_total
    return shopify_total


def test_quantity_changed_in_netsuite_edits_the_shopify_order_once(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    so = _so(netsuite_sandbox, order_id)
    shirt = _line_id(created, "SHIRT")
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(_so_line(so, shirt)["line"], 3)])

    run = run_flow(reverse, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 1, run.skip_reasons
    assert _shopify_line(shopify_sandbox, order_id, "SHIRT")["current_quantity"] == 3
    assert _edits(shopify_sandbox) == [
        "orderEditBegin",
        "orderEditSetQuantity",
        "orderEditCommit",
    ]
    total = _totals_equal(shopify_sandbox, netsuite_sandbox, order_id)
    txn = _row(so["internalId"])
    assert txn.status == Status.POSTED
    assert "equal to NetSuite sales order" in txn.events.get(type="posted").message
    assert txn.amount == total
    bound = bindings.find(reverse, "order_edit", shopify_id=str(order_id))
    assert bound is not None and bound.marker == txn.payload["version"]

    # Loop prevention: our own NetSuite write-back (it stamped the sales order) comes back
    # to this flow, and the orders/edited our commit caused comes to the forward flow.
    writes = _netsuite_writes(netsuite_sandbox)
    again = run_flow(reverse, FLOW)
    assert again.posted == 0 and again.failed == 0
    forward = run_flow(reverse, FORWARD, scope=[str(order_id)])
    assert forward.failed == 0, forward.error
    assert _netsuite_writes(netsuite_sandbox) == writes
    assert len(_edits(shopify_sandbox)) == 3
    assert _row(so["internalId"]).events.count() == txn.events.count()


def test_line_added_in_netsuite_is_added_in_shopify_and_keyed_back(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shopify_sandbox.control.request(
        "POST", "inventory/items", items=[{"sku": "CAP", "price": "8.00", "title": "Cap"}]
    )
    so = _so(netsuite_sandbox, order_id)
    cap = netsuite_sandbox.control.items("CAP")[0]
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], adds=[(cap["internalId"], 2, "7.00")])

    run = run_flow(reverse, FLOW)
    assert run.posted == 1, (run.error, run.skip_reasons, run.failed)
    cap_line = _shopify_line(shopify_sandbox, order_id, "CAP")
    assert cap_line["current_quantity"] == 2
    so = _so(netsuite_sandbox, order_id)
    keyed = _so_line(so, str(cap_line["id"]))
    # Shopify's unit price is the rate: both sides hold the same order, to the cent.
    assert Decimal(keyed["rate"]) == Decimal("8.00")
    _totals_equal(shopify_sandbox, netsuite_sandbox, order_id)
    assert run_flow(reverse, FLOW).posted == 0
    assert len(_edits(shopify_sandbox)) == 3
