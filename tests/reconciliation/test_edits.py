"""Edited orders, absorbed refunds and bundles in the reconciliation (issue 14 follow-up), over
real HTTP against both sandboxes: the orders are imported, edited and refunded by the flows
themselves, so NetSuite holds what the connector really writes."""

import datetime as dt
from decimal import Decimal

import pytest

from connector import external_ids
from connector.clients import shopify_client
from connector.models import BundleComponent
from reconciliation import expected, read
from reconciliation.models import Variance
from reconciliation.run import reconcile
from tests.flows.conftest import run_flow, set_options
from transactions import demo
from transactions.models import Kind, Status, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

SHIRT_AND_MUG = [
    {"sku": "SHIRT", "quantity": 2, "price": "25.00", "title": "Shirt"},
    {"sku": "MUG", "quantity": 1, "price": "12.00", "title": "Mug"},
]


def imported(connector, shopify_sandbox, netsuite_sandbox, lines=SHIRT_AND_MUG, **order):
    """An order with tax and shipping, imported by the order import flow."""
    netsuite_sandbox.control.items("SHIRT", "MUG", "CAP")
    created = shopify_sandbox.control.create_order(
        lines=lines, **{"tax_rate": "0.10", "shipping": "5.00", **order}
    )
    run = run_flow(connector, "order_import")
    assert run.posted == 1, (run.error, run.skip_reasons)
    return created


def line_id(created, sku):
    return next(li["id"] for li in created["line_items"] if li["sku"] == sku)


def sales_order(netsuite_sandbox, order_id):
    (so,) = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order_id)
    )
    return so


def open_variances(connector):
    return {
        (v.kind, v.record, v.line_kind, v.line)
        for v in Variance.objects.filter(connector=connector, resolved_at__isnull=True)
    }


def bundle(connector):
    for sku, quantity, weight in (("SHIRT", 1, "3"), ("MUG", 2, "1")):
        BundleComponent.objects.create(
            connector=connector,
            bundle_sku="GIFTBOX",
            component_sku=sku,
            quantity=quantity,
            price_weight=Decimal(weight),
        )


def test_an_edited_order_is_clean_once_the_edit_flow_wrote_it_and_different_before(
    wired, shopify_sandbox, netsuite_sandbox
):
    created = imported(wired, shopify_sandbox, netsuite_sandbox, discount="4.00")
    assert reconcile(wired, 90).variances_found == 0  # as placed, as imported

    # One quantity changed, one line added, one line removed
    control = shopify_sandbox.control
    control.edit(created["id"], line_item_id=line_id(created, "SHIRT"), quantity=1)
    control.edit(created["id"], add_sku="CAP", price="8.00")
    control.edit(created["id"], line_item_id=line_id(created, "MUG"), quantity=0)

    # The edit flow has not run: the sales order still holds the order as placed.
    reconcile(wired, 90)
    found = open_variances(wired)
    assert {
        ("amount", "order", "", ""),
        ("tax", "order", "", ""),
        ("quantity", "order", "item", "SHIRT"),
        ("quantity", "order", "item", "MUG"),
        ("missing_in_netsuite", "order", "item", "CAP"),
    } <= found, found
    total = Variance.objects.get(kind="amount", line_kind="")
    current = Decimal(control.order(created["id"])["totals"]["current_total"])
    assert total.expected == current != total.actual
    cap = Variance.objects.get(line="CAP")
    assert (cap.expected_quantity, cap.expected) == (1, Decimal("8.00"))

    assert run_flow(wired, "order_edit_to_netsuite").posted == 1
    so = sales_order(netsuite_sandbox, created["id"])
    mug = next(li for li in so["fields"]["itemList"] if li.get("description") == "Mug")
    assert Decimal(mug["quantity"]) == 0  # NetSuite keeps the removed line, closed at 0

    run = reconcile(wired, 90)
    assert open_variances(wired) == set()
    assert run.variances_found == 0 and run.variances_resolved == len(found)


def test_a_refund_absorbed_by_an_edit_is_not_missing_in_netsuite_and_credited_is_twice(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, refund_sync_direction="shopify_to_netsuite")
    created = imported(wired, shopify_sandbox, netsuite_sandbox)
    shopify_sandbox.control.edit(created["id"], line_item_id=line_id(created, "MUG"), quantity=0)
    shopify_sandbox.control.refund(created["id"], amount="13.20")  # the mug and its tax
    assert run_flow(wired, "order_edit_to_netsuite").posted == 1
    refund_id = str(shopify_sandbox.control.order(created["id"])["refunds"][0]["id"])
    edit = Transaction.objects.get(kind=Kind.ORDER_EDIT, source_id=str(created["id"]))
    assert refund_id in edit.payload["absorbed_refunds"]
    so_id = sales_order(netsuite_sandbox, created["id"])["internalId"]
    netsuite_sandbox.control.order(so_id, "approve")
    netsuite_sandbox.control.order(so_id, "bill")
    run_flow(wired, "refund_to_netsuite")
    assert Transaction.objects.get(kind=Kind.REFUND, source_id=refund_id).status == Status.SKIPPED

    run = reconcile(wired, 90)
    assert open_variances(wired) == set(), Variance.objects.values_list("detail", flat=True)
    assert run.orders_checked == 1

    # Someone credits the absorbed refund in NetSuite all the same: counted twice.
    ns = demo.Control(netsuite_sandbox.base_url)
    line = demo.sales_order_lines(ns, so_id)[:1]
    line[0]["quantity"] = 1
    credit = ns.post(
        f"sales-orders/{so_id}/refund",
        {"lines": line, "externalId": external_ids.refund(refund_id)},
    )
    reconcile(wired, 90)
    assert open_variances(wired) == {("duplicate", "refund", "", "")}
    twice = Variance.objects.get()
    assert twice.shopify_ids == refund_id and twice.netsuite_id_list == [credit["internalId"]]
    assert "taken off the sales order by its edit" in twice.detail


def test_a_refund_the_edit_did_not_absorb_is_added_back_and_its_credit_matches(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, refund_sync_direction="shopify_to_netsuite")
    created = imported(wired, shopify_sandbox, netsuite_sandbox)
    shopify_sandbox.control.edit(created["id"], line_item_id=line_id(created, "MUG"), quantity=0)
    assert run_flow(wired, "order_edit_to_netsuite").posted == 1
    so_id = sales_order(netsuite_sandbox, created["id"])["internalId"]
    netsuite_sandbox.control.order(so_id, "approve")
    netsuite_sandbox.control.order(so_id, "bill")
    # Refunded after billing: the refunds flow credits it; the sales order keeps the unit
    # (Shopify's current quantity of the shirt is 1 now, NetSuite's 2).
    shopify_sandbox.control.refund(
        created["id"],
        amount="suggested",
        lines=[
            {"line_item_id": line_id(created, "SHIRT"), "quantity": 1, "restock_type": "CANCEL"}
        ],
    )
    run = run_flow(wired, "refund_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)

    reconcile(wired, 90)
    assert open_variances(wired) == set(), Variance.objects.values_list("detail", flat=True)


@pytest.mark.parametrize("edited", [False, True])
def test_a_bundle_order_reconciles_as_its_components(
    wired, shopify_sandbox, netsuite_sandbox, edited
):
    bundle(wired)
    created = imported(
        wired,
        shopify_sandbox,
        netsuite_sandbox,
        lines=[
            {"sku": "GIFTBOX", "quantity": 1, "price": "40.01", "title": "Gift box"},
            {"sku": "CAP", "quantity": 1, "price": "8.00", "title": "Cap"},
        ],
    )
    if edited:
        box = line_id(created, "GIFTBOX")
        shopify_sandbox.control.edit(created["id"], line_item_id=box, quantity=2)
        assert run_flow(wired, "order_edit_to_netsuite").posted == 1

    reconcile(wired, 90)
    assert open_variances(wired) == set(), Variance.objects.values_list("detail", flat=True)

    # The admins change the bundle after the order was written: the components expected
    # follow the table, NetSuite keeps the old split, and the line differs by component SKU.
    BundleComponent.objects.filter(component_sku="MUG").update(quantity=3)
    reconcile(wired, 90)
    assert ("quantity", "order", "item", "MUG") in open_variances(wired)


def test_a_chunk_costs_two_queries_whatever_its_edited_orders_and_bundles(
    wired, shopify_sandbox, netsuite_sandbox, django_assert_num_queries
):
    bundle(wired)
    for _ in range(3):
        created = imported(
            wired,
            shopify_sandbox,
            netsuite_sandbox,
            lines=[*SHIRT_AND_MUG, {"sku": "GIFTBOX", "quantity": 1, "price": "30.00"}],
        )
        shopify_sandbox.control.edit(
            created["id"], line_item_id=line_id(created, "MUG"), quantity=0
        )
        shopify_sandbox.control.refund(created["id"], amount="13.20")
        assert run_flow(wired, "order_edit_to_netsuite").posted == 1
    imported(wired, shopify_sandbox, netsuite_sandbox)  # not edited
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    orders = list(read.iter_shopify_orders(shopify_client(wired), since))
    assert len(orders) == 4 and sum(o.source is not None for o in orders) == 3

    with django_assert_num_queries(2):
        chunk = expected.for_chunk(wired, orders)
    edited = [o for o in chunk if o.edited]
    assert len(edited) == 3
    assert all(r.absorbed for o in edited for r in o.refunds)
    assert all({"SHIRT", "MUG"} <= {line.sku for line in o.lines} for o in chunk)
    assert not any(line.sku == "GIFTBOX" for o in chunk for line in o.lines)
