"""A connector wired to both sandboxes, and the seed 003 set-up: an order synced to NetSuite,
billed, refunded."""

from __future__ import annotations

import pytest

from transactions import demo


class Seed003:
    """Shopify order → NetSuite sales order (synced), billed, refunded, per seed 003."""

    def __init__(self, shopify_sandbox, netsuite_sandbox):
        self.shopify = shopify_sandbox
        self.netsuite = netsuite_sandbox
        self.ns = demo.Control(netsuite_sandbox.base_url)

    def order(self, lines=None, paid=True) -> dict:
        lines = lines or [
            {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
            {"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"},
        ]
        return self.shopify.control.create_order(
            lines=lines, paid=paid, tax="0.00", shipping="0.00"
        )

    def synced(self, connector, order: dict) -> dict:
        sales_order = demo.sync_order_to_netsuite(self.ns, order)
        demo.record_synced_order(connector, order, sales_order["internalId"])
        return sales_order

    def billed_and_refunded(self, connector, bill_as="cashSale", lines=None):
        order = self.order()
        sales_order = self.synced(connector, order)
        so_lines = demo.sales_order_lines(self.ns, sales_order["internalId"])
        refund = demo.bill_and_refund(
            self.ns, sales_order["internalId"], bill_as, lines=lines or so_lines[:1]
        )
        return order, sales_order, refund


@pytest.fixture
def seed003(shopify_sandbox, netsuite_sandbox):
    return Seed003(shopify_sandbox, netsuite_sandbox)
