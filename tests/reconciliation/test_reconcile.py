"""The reconciliation over real HTTP against both sandboxes, with each kind of variance
planted, and nothing on clean books."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from connector import bindings, external_ids
from reconciliation.models import Run, Variance
from reconciliation.run import reconcile
from transactions import demo

pytestmark = pytest.mark.django_db(transaction=True)

LINES = [
    {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
    {"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"},
]


class Books:
    def __init__(self, shopify_sandbox, netsuite_sandbox, connector):
        self.shopify = shopify_sandbox.control
        self.ns = demo.Control(netsuite_sandbox.base_url)
        self.connector = connector

    def order(self, tax="0.00", shipping="0.00"):
        return self.shopify.create_order(lines=LINES, paid=True, tax=tax, shipping=shipping)

    def synced(self, order):
        so = demo.sync_order_to_netsuite(self.ns, order)
        demo.record_synced_order(self.connector, order, so["internalId"])
        return so

    def billed(self, so):
        return self.ns.post(f"sales-orders/{so['internalId']}/bill", {"as": "cashSale"})

    def shopify_refund(self, order, amount="suggested"):
        line = order["line_items"][0]
        self.shopify.request(
            "POST",
            f"orders/{order['id']}/refund",
            lines=[{"line_item_id": line["id"], "quantity": 1}],
            amount=amount,
        )
        return self.shopify.order(order["id"])["refunds"][-1]

    def netsuite_refund(self, so, external_id=None):
        first = demo.sales_order_lines(self.ns, so["internalId"])[:1]
        first[0]["quantity"] = 1
        body = {"lines": first}
        if external_id:
            body["externalId"] = external_id
        return self.ns.post(f"sales-orders/{so['internalId']}/refund", body)


@pytest.fixture
def books(shopify_sandbox, netsuite_sandbox, wired):
    return Books(shopify_sandbox, netsuite_sandbox, wired)


def clean_books(books):
    """An order with tax and shipping, synced; an order synced, billed and refunded 1:1."""
    taxed = books.order(tax="2.00", shipping="5.00")
    books.synced(taxed)
    refunded = books.order()
    so = books.synced(refunded)
    books.billed(so)
    refund = books.shopify_refund(refunded)
    books.netsuite_refund(so, external_ids.refund(refund["id"]))
    return taxed, refunded


def found(connector):
    return {
        (v.kind, v.record, v.shopify_order_id)
        for v in Variance.objects.filter(connector=connector, resolved_at__isnull=True)
    }


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
    tax = Variance.objects.get(kind="tax")
    assert (tax.expected, tax.actual) == (Decimal("2.00"), Decimal("1.50"))
    assert tax.netsuite_id_list == [so["internalId"]]
    amount = Variance.objects.get(kind="amount")
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
    before_shopify = shopify_sandbox.control.stats()["requests"]
    reconcile(books.connector, 90, chunk_size=2)
    ns_calls = netsuite_sandbox.control.log()[before_ns:]
    operations = [c.get("operation") for c in ns_calls]
    # two chunks: per chunk one getList and two createdFrom searches, nothing per order
    assert operations.count("getList") == 2
    assert operations.count("search") == 4
    assert operations.count("get") == 0
    assert shopify_sandbox.control.stats()["requests"] - before_shopify == 1


def test_the_command_runs_a_reconciliation(books, capsys):
    books.order()
    call_command("reconcile", "--connector", str(books.connector.pk), "--days", "30")
    assert "1 orders checked, 1 variances" in capsys.readouterr().out
    assert Run.objects.get().window_days == 30
