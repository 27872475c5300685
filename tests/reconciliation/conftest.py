"""The books both sandboxes keep for the reconciliation tests: orders, their sales orders,
bills and refunds on either side, each written the way the flows (or a person) write them."""

import pytest

from connector import external_ids
from reconciliation.models import Variance
from transactions import demo

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
    """The open variances about whole records (kind, record, order)."""
    return {
        (v.kind, v.record, v.shopify_order_id)
        for v in Variance.objects.filter(
            connector=connector, resolved_at__isnull=True, line_kind=""
        )
    }


def found_lines(connector):
    """The open variances about lines (kind, record, order, line kind, line)."""
    return {
        (v.kind, v.record, v.shopify_order_id, v.line_kind, v.line)
        for v in Variance.objects.filter(connector=connector, resolved_at__isnull=True).exclude(
            line_kind=""
        )
    }
