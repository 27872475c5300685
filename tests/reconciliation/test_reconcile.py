"""The reconciliation over real HTTP against both sandboxes, with each kind of variance
planted, and nothing on clean books."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from connector import bindings, external_ids
from reconciliation import read
from reconciliation.models import Run, Variance
from reconciliation.run import reconcile

from .conftest import clean_books, found, found_lines

pytestmark = pytest.mark.django_db(transaction=True)


def test_clean_books_have_no_variance(books, netsuite_sandbox):
    clean_books(books)
    run = reconcile(books.connector, 90)
    assert run.status == Run.Status.DONE
    assert run.orders_checked == 2
    assert list(Variance.objects.all()) == []


def test_each_planted_variance_is_found_and_nothing_else(books, netsuite_sandbox):
    clean_books(books)

    # missing in NetSuite: an order never synced; a Shopify refund never copied
    unsynced = books.order()
    lost_refund = books.order()
    books.billed(books.synced(lost_refund))
    books.shopify_refund(lost_refund)

    # missing in Shopify: a NetSuite cash refund with no refund in Shopify
    ns_only = books.order()
    so = books.synced(ns_only)
    books.billed(so)
    books.netsuite_refund(so)

    # twice in NetSuite: one Shopify refund, copied by externalId and again (bound)
    twice = books.order()
    so = books.synced(twice)
    books.billed(so)
    refund = books.shopify_refund(twice)
    books.netsuite_refund(so, external_ids.refund(refund["id"]))
    second = books.netsuite_refund(so)
    bindings.bind(
        books.connector,
        "refund",
        shopify_id=f"gid://shopify/Refund/{refund['id']}",
        netsuite_id=second["internalId"],
        origin="shopify",
    )

    # amount variance: Shopify refunded 5.00 of a 25.00 line; NetSuite credited the line
    short = books.order()
    so = books.synced(short)
    books.billed(so)
    refund = books.shopify_refund(short, amount="5.00")
    books.netsuite_refund(so, external_ids.refund(refund["id"]))

    # tax variance: NetSuite's sales order carries 1.50 of tax (and 0.50 more shipping)
    taxed = books.order(tax="2.00", shipping="5.00")
    customer = books.ns.post(
        "customers", {"customers": [{"externalId": "c-taxed", "email": "t@example.com"}]}
    )[0]
    so = books.ns.post(
        "sales-orders",
        {
            "customer": customer["internalId"],
            "externalId": external_ids.sales_order(taxed["id"]),
            "lines": [
                {"sku": li["sku"], "quantity": li["quantity"], "rate": li["price"]}
                for li in taxed["line_items"]
            ]
            + [{"sku": "SHOPIFY-TAX", "amount": "1.50"}],
            "shippingCost": "5.50",
        },
    )

    run = reconcile(books.connector, 90)

    assert run.orders_checked == 8
    assert found(books.connector) == {
        ("missing_in_netsuite", "order", str(unsynced["id"])),
        ("missing_in_netsuite", "refund", str(lost_refund["id"])),
        ("missing_in_shopify", "refund", str(ns_only["id"])),
        ("duplicate", "refund", str(twice["id"])),
        ("amount", "refund", str(short["id"])),
        ("tax", "order", str(taxed["id"])),
    }
    # per line: the 0.50 more shipping, and the refund's 20.00 Shopify kept as an adjustment
    assert found_lines(books.connector) == {
        ("amount", "order", str(taxed["id"]), "charge", "shipping"),
        ("amount", "refund", str(short["id"]), "charge", "adjustment"),
    }
    adjustment = Variance.objects.get(line="adjustment")
    assert (adjustment.expected, adjustment.actual) == (Decimal("-20.00"), Decimal("0.00"))
    tax = Variance.objects.get(kind="tax")
    assert (tax.expected, tax.actual) == (Decimal("2.00"), Decimal("1.50"))
    assert tax.netsuite_id_list == [so["internalId"]]
    amount = Variance.objects.get(kind="amount", line_kind="")
    assert (amount.expected, amount.actual) == (Decimal("5.00"), Decimal("25.00"))
    duplicate = Variance.objects.get(kind="duplicate")
    assert len(duplicate.netsuite_id_list) == 2


def test_a_variance_disappears_when_a_later_run_finds_the_books_equal(books):
    order = books.order()
    so = books.synced(order)
    books.billed(so)
    refund = books.shopify_refund(order)
    reconcile(books.connector, 90)
    variance = Variance.objects.get()
    assert variance.kind == "missing_in_netsuite" and variance.resolved_at is None
    first_seen = variance.first_seen

    reconcile(books.connector, 90)  # still there: seen again, one row
    variance.refresh_from_db()
    assert variance.resolved_at is None and variance.first_seen == first_seen
    assert variance.last_seen > first_seen

    books.netsuite_refund(so, external_ids.refund(refund["id"]))
    run = reconcile(books.connector, 90)
    variance.refresh_from_db()
    assert variance.resolved_at is not None
    assert run.variances_resolved == 1
    assert not Variance.objects.filter(resolved_at__isnull=True).exists()


def test_reads_in_bulk_whatever_the_number_of_orders(books, netsuite_sandbox, shopify_sandbox):
    for _ in range(3):
        order = books.order()
        so = books.synced(order)
        books.billed(so)
        refund = books.shopify_refund(order)
        books.netsuite_refund(so, external_ids.refund(refund["id"]))
    before_ns = len(netsuite_sandbox.control.log())
    stats = shopify_sandbox.control.stats()
    before_shopify, throttled_before = stats["requests"], stats.get("throttled_count", 0)
    reconcile(books.connector, 90, chunk_size=2)
    ns_calls = netsuite_sandbox.control.log()[before_ns:]
    operations = [c.get("operation") for c in ns_calls]
    # two chunks: per chunk one getList and two createdFrom searches, nothing per order; then
    # one search of what NetSuite wrote in the window (all of it met already: nothing more)
    assert operations.count("getList") == 2
    assert operations.count("search") == 5
    assert operations.count("get") == 0
    # Shopify: the window's id range, then one page per id range (read at once; a page the
    # points bucket refused is asked again after the wait the client computes), never one
    # call per order.
    stats = shopify_sandbox.control.stats()
    throttled = stats.get("throttled_count", 0) - throttled_before
    assert stats["requests"] - before_shopify - throttled <= 1 + read.SHOPIFY_SLICES


def test_the_window_is_read_in_id_ranges_at_once_and_every_order_counted_once(books):
    orders = [books.order() for _ in range(4 * read.SHOPIFY_PAGE + 3)]  # pages in each range
    run = reconcile(books.connector, 90)
    assert run.status == Run.Status.DONE, run.error
    assert run.orders_checked == len(orders)
    missing = Variance.objects.filter(kind="missing_in_netsuite", record="order")
    assert sorted(missing.values_list("shopify_order_id", flat=True)) == sorted(
        str(o["id"]) for o in orders
    )


def test_the_command_runs_a_reconciliation(books, capsys):
    books.order()
    call_command("reconcile", "--connector", str(books.connector.pk), "--days", "30")
    assert "1 orders checked, 1 variances" in capsys.readouterr().out
    assert Run.objects.get().window_days == 30
