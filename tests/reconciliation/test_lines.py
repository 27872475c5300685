"""Per-line reconciliation over real HTTP against both sandboxes: each kind of line variance
planted (item lines by SKU, charges, refund lines), NetSuite records written in the window for
orders outside it, and nothing on clean books."""

import datetime as dt
import time
from decimal import Decimal

import pytest

from connector import external_ids
from connector.errors import RemoteError
from connector.items import bind_item
from reconciliation.models import Run, Variance
from reconciliation.run import reconcile
from transactions import demo

from .conftest import LINES, clean_books, found, found_lines

pytestmark = pytest.mark.django_db(transaction=True)


def sales_order(books, order, lines, **fields):
    """A sales order for the Shopify order as someone typed it into NetSuite: its lines
    (`sku`, `quantity`, `rate`, `amount`, `taxAmount`) given, shipping copied unless given."""
    books.ns.post(
        "items", {"items": [{"sku": li["sku"], "price": li["price"]} for li in order["line_items"]]}
    )
    customer = books.ns.post(
        "customers",
        {"customers": [{"externalId": f"c-{order['id']}", "email": "l@example.com"}]},
    )[0]
    body = {
        "customer": customer["internalId"],
        "externalId": external_ids.sales_order(order["id"]),
        "lines": lines,
        "shippingCost": order["totals"].get("shipping") or "0.00",
        **fields,
    }
    so = books.ns.post("sales-orders", body)
    books.ns.post(f"sales-orders/{so['internalId']}/approve")
    return so


def as_ordered(order, **changes):
    """The order's lines as the import writes them, with `changes` by SKU (None: drop it)."""
    out = []
    for li in order["line_items"]:
        line = {"sku": li["sku"], "quantity": li["quantity"], "rate": li["price"]}
        if li["sku"] in changes:
            if changes[li["sku"]] is None:
                continue
            line.update(changes[li["sku"]])
        out.append(line)
    return out


def test_clean_books_with_discount_tax_and_shipping_give_nothing(books):
    clean_books(books)
    discounted = books.shopify.create_order(
        lines=LINES, paid=True, tax="2.00", shipping="5.00", discount="5.00"
    )
    assert discounted["totals"]["discount"] == "5.00"
    sales_order(
        books,
        discounted,
        [
            *as_ordered(discounted),
            {"sku": "SHOPIFY-DISCOUNT", "amount": "-5.00"},
            {"sku": "SHOPIFY-TAX", "amount": "2.00"},
        ],
    )
    run = reconcile(books.connector, 90)
    assert run.status == Run.Status.DONE and run.orders_checked == 3
    assert list(Variance.objects.all()) == []


def test_each_planted_line_variance_is_found_and_nothing_else(books):
    clean_books(books)
    order = books.order  # TSHIRT-BLK-M 2 × 25.00, CAP-NAVY 1 × 19.50

    # an item line missing in NetSuite: the cap was never written
    no_cap = order()
    sales_order(books, no_cap, as_ordered(no_cap, **{"CAP-NAVY": None}))

    # an item line NetSuite has and Shopify has not: a mug someone added in NetSuite
    books.ns.post("items", {"items": [{"sku": "MUG-WHITE", "price": "12.00"}]})
    mug = order()
    sales_order(
        books, mug, [*as_ordered(mug), {"sku": "MUG-WHITE", "quantity": 1, "rate": "12.00"}]
    )

    # a line twice: the T-shirts written on two lines
    twice = order()
    sales_order(
        books, twice, [*as_ordered(twice), {"sku": "TSHIRT-BLK-M", "quantity": 2, "rate": "25.00"}]
    )

    # a quantity variance: 3 T-shirts in NetSuite for Shopify's 2
    three = order()
    sales_order(books, three, as_ordered(three, **{"TSHIRT-BLK-M": {"quantity": 3}}))

    # an amount variance the totals cannot show: 1.00 moved from the T-shirts to the cap
    moved = order()
    sales_order(
        books,
        moved,
        as_ordered(moved, **{"TSHIRT-BLK-M": {"rate": "24.50"}, "CAP-NAVY": {"rate": "20.50"}}),
    )

    # a line tax variance where both sides carry line tax (an account with SuiteTax)
    taxed = books.shopify.create_order(
        lines=[{**LINES[0], "tax": "4.00"}, {**LINES[1], "tax": "0.00"}], paid=True
    )
    sales_order(
        books,
        taxed,
        [
            *as_ordered(taxed, **{"TSHIRT-BLK-M": {"taxAmount": "3.00"}}),
            {"sku": "SHOPIFY-TAX", "amount": "4.00"},
        ],
    )

    # a discount charge missing: Shopify's 5.00 discount never written
    discounted = books.shopify.create_order(lines=LINES, paid=True, discount="5.00")
    sales_order(books, discounted, as_ordered(discounted))

    # a refund line with another quantity: Shopify refunded 1 T-shirt, NetSuite credited 2
    refunded = order()
    so = books.synced(refunded)
    books.billed(so)
    refund = books.shopify_refund(refunded)
    item = demo.sales_order_lines(books.ns, so["internalId"])[0]["item"]
    books.ns.post(
        f"sales-orders/{so['internalId']}/refund",
        {"lines": [{"item": item, "quantity": 2}], "externalId": external_ids.refund(refund["id"])},
    )

    run = reconcile(books.connector, 90)

    assert run.orders_checked == 10
    assert found_lines(books.connector) == {
        ("missing_in_netsuite", "order", str(no_cap["id"]), "item", "CAP-NAVY"),
        ("missing_in_shopify", "order", str(mug["id"]), "item", "MUG-WHITE"),
        ("duplicate", "order", str(twice["id"]), "item", "TSHIRT-BLK-M"),
        ("quantity", "order", str(three["id"]), "item", "TSHIRT-BLK-M"),
        ("amount", "order", str(moved["id"]), "item", "TSHIRT-BLK-M"),
        ("amount", "order", str(moved["id"]), "item", "CAP-NAVY"),
        ("tax", "order", str(taxed["id"]), "item", "TSHIRT-BLK-M"),
        ("amount", "order", str(discounted["id"]), "charge", "discount"),
        ("quantity", "refund", str(refunded["id"]), "item", "TSHIRT-BLK-M"),
    }
    # the records' totals differ where lines were added or dropped, not where money moved
    assert found(books.connector) == {
        ("amount", "order", str(no_cap["id"])),
        ("amount", "order", str(mug["id"])),
        ("amount", "order", str(twice["id"])),
        ("amount", "order", str(three["id"])),
        ("amount", "order", str(discounted["id"])),
        ("amount", "refund", str(refunded["id"])),
    }

    # each says which line, with both sides' quantities and amounts
    quantity = Variance.objects.get(kind="quantity", record="order")
    assert (quantity.expected_quantity, quantity.actual_quantity) == (Decimal(2), Decimal(3))
    assert (quantity.expected, quantity.actual) == (Decimal("50.00"), Decimal("75.00"))
    assert quantity.detail == (
        f"SKU TSHIRT-BLK-M of order {three['name']}: Shopify 2 for 50.00, NetSuite 3 for 75.00."
    )
    duplicate = Variance.objects.get(kind="duplicate")
    assert "on 2 lines of NetSuite salesOrder" in duplicate.detail
    tax = Variance.objects.get(kind="tax")
    assert (tax.expected, tax.actual) == (Decimal("4.00"), Decimal("3.00"))
    discount = Variance.objects.get(line="discount")
    assert (discount.expected, discount.actual) == (Decimal("-5.00"), Decimal("0.00"))
    refund_line = Variance.objects.get(kind="quantity", record="refund")
    assert refund_line.shopify_id_list == [str(refund["id"])]
    assert (refund_line.expected_quantity, refund_line.actual_quantity) == (1, 2)


def test_a_line_variance_disappears_when_a_later_run_finds_the_line_equal(books):
    three = books.order()
    so = sales_order(books, three, as_ordered(three, **{"TSHIRT-BLK-M": {"quantity": 3}}))
    reconcile(books.connector, 90)
    line = Variance.objects.get(kind="quantity")
    assert line.resolved_at is None and line.line == "TSHIRT-BLK-M"

    reconcile(books.connector, 90)  # found again: the same row
    assert Variance.objects.filter(kind="quantity").count() == 1

    items = {li["item"] for li in demo.sales_order_lines(books.ns, so["internalId"])}
    lines = [
        {"item": i, "quantity": q, "rate": r}
        for i, q, r in zip(sorted(items, key=int), (2, 1), ("25.00", "19.50"), strict=True)
    ]
    books.ns.post(f"sales-orders/{so['internalId']}/edit-lines", {"lines": lines})
    run = reconcile(books.connector, 90)
    line.refresh_from_db()
    assert line.resolved_at is not None
    assert run.variances_resolved >= 1
    assert not Variance.objects.filter(resolved_at__isnull=True).exists()


def test_item_bindings_name_netsuite_items_before_their_names(books):
    """An admin bound another NetSuite item to the SKU: lines match through the binding."""
    books.ns.post("items", {"items": [{"sku": "TEE-BLACK-MEDIUM", "price": "25.00"}]})
    renamed = books.order()
    sales_order(
        books, renamed, as_ordered(renamed, **{"TSHIRT-BLK-M": {"sku": "TEE-BLACK-MEDIUM"}})
    )
    reconcile(books.connector, 90)
    assert found_lines(books.connector) == {
        ("missing_in_netsuite", "order", str(renamed["id"]), "item", "TSHIRT-BLK-M"),
        ("missing_in_shopify", "order", str(renamed["id"]), "item", "TEE-BLACK-MEDIUM"),
    }

    items = books.ns.get("records", type="inventoryItem")
    tee = next(i for i in items if i["fields"]["itemId"] == "TEE-BLACK-MEDIUM")
    bind_item(books.connector, "TSHIRT-BLK-M", source="admin", netsuite_item_id=tee["internalId"])
    reconcile(books.connector, 90)
    assert found_lines(books.connector) == set()


def test_an_order_with_more_lines_than_read_is_compared_per_record(books):
    many = books.shopify.create_order(
        lines=[{"sku": f"SKU-{n}", "quantity": 1, "price": "1.00"} for n in range(11)], paid=True
    )
    books.ns.post("items", {"items": [{"sku": f"SKU-{n}", "price": "1.00"} for n in range(11)]})
    sales_order(books, many, as_ordered(many, **{"SKU-0": {"quantity": 2, "rate": "0.50"}}))
    reconcile(books.connector, 90)
    assert list(Variance.objects.all()) == []  # equal totals; its lines were not all read


# -- NetSuite's side of the window -------------------------------------------------------------


def old_order(books, days_ago=200):
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return books.shopify.create_order(lines=LINES, paid=True, created_at=when, updated_at=when)


def test_a_netsuite_refund_written_in_the_window_for_an_older_order_is_compared(
    books, netsuite_sandbox
):
    old = old_order(books)
    so = books.synced(old)
    books.billed(so)
    books.netsuite_refund(so)  # no refund in Shopify
    clean = old_order(books)  # refunded on both sides, 1:1: nothing to say
    so_clean = books.synced(clean)
    books.billed(so_clean)
    refund = books.shopify_refund(clean)
    books.netsuite_refund(so_clean, external_ids.refund(refund["id"]))

    run = reconcile(books.connector, 90)

    assert found(books.connector) >= {("missing_in_shopify", "refund", str(old["id"]))}
    assert ("missing_in_shopify", "refund", str(clean["id"])) not in found(books.connector)
    assert run.status == Run.Status.DONE


def stamp(record) -> dt.datetime:
    return dt.datetime.fromisoformat(record["fields"]["lastModifiedDate"].replace("Z", "+00:00"))


def test_a_refund_alone_in_the_window_leads_to_its_order_through_its_bill(books, netsuite_sandbox):
    """The sales order was last saved before the window: only the refund is in it."""
    old = old_order(books)
    so = books.synced(old)
    books.billed(so)
    stamped = books.ns.get("records", type="salesOrder", internalId=so["internalId"])[0]
    time.sleep(0.01)  # the refund's lastModifiedDate (milliseconds) comes after the order's
    ns_refund = books.netsuite_refund(so)
    refund = books.ns.get("records", type="cashRefund", internalId=ns_refund["internalId"])[0]
    since = stamp(refund)
    assert since > stamp(stamped)
    before = len(netsuite_sandbox.control.log())

    run = reconcile(books.connector, 1, now=since + dt.timedelta(days=1))

    assert run.orders_checked == 1
    assert found(books.connector) == {("missing_in_shopify", "refund", str(old["id"]))}
    operations = [c.get("operation") for c in netsuite_sandbox.control.log()[before:]]
    # the window's search, the bill, its sales order; then the order's facts as for any order
    assert operations[:3] == ["search", "getList", "getList"]


def test_a_netsuite_sales_order_for_an_order_shopify_does_not_have_is_netsuite_only(books):
    ghost = ghost_sales_order(books)
    run = reconcile(books.connector, 90)
    assert run.orders_checked == 1
    variance = Variance.objects.get()
    assert (variance.kind, variance.record, variance.shopify_order_id) == (
        "missing_in_shopify",
        "order",
        "987654321",
    )
    assert variance.netsuite_id_list == [ghost["internalId"]]
    assert "which Shopify does not have" in variance.detail


def ghost_sales_order(books, order_id="987654321"):
    books.ns.post("items", {"items": [{"sku": LINES[0]["sku"], "price": "25.00"}]})
    customer = books.ns.post(
        "customers", {"customers": [{"externalId": f"c-{order_id}", "email": "g@example.com"}]}
    )[0]
    return books.ns.post(
        "sales-orders",
        {
            "customer": customer["internalId"],
            "externalId": external_ids.sales_order(order_id),
            "lines": [{"sku": LINES[0]["sku"], "quantity": 1, "rate": "25.00"}],
        },
    )


def test_a_busy_netsuite_during_the_window_search_loses_nothing(books, netsuite_sandbox):
    ghost_sales_order(books)
    netsuite_sandbox.control.fail_next(count=1, fault="concurrency", operation="search")
    run = reconcile(books.connector, 90)
    assert run.status == Run.Status.DONE
    assert found(books.connector) == {("missing_in_shopify", "order", "987654321")}


def test_a_refused_window_search_fails_the_run_with_netsuite_s_reason(books, netsuite_sandbox):
    ghost_sales_order(books)
    netsuite_sandbox.control.fail_next(count=1, fault="auth", operation="search")
    with pytest.raises(RemoteError, match=r"(?i)login|auth"):
        reconcile(books.connector, 90)
    run = Run.objects.get()
    assert run.status == Run.Status.FAILED and run.error
    assert not Variance.objects.exists()  # nothing half-recorded

    reconcile(books.connector, 90)  # the next run finds it
    assert found(books.connector) == {("missing_in_shopify", "order", "987654321")}
