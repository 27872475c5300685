"""The orders this connector synced to NetSuite: the starting point of every refund lookup.

Contract with the order import flow: a synced order is a Transaction with kind "order",
source channel Shopify, `shopify_order_id` (numeric), `shopify_order_name` ("#1001") and
`netsuite_sales_order_id` set.
"""

from __future__ import annotations

from django.db.models import Q

from connector.external_ids import legacy_id

from .models import Channel, Kind, Transaction


def synced_orders(connector):
    return Transaction.objects.filter(
        connector=connector, kind=Kind.ORDER, source_channel=Channel.SHOPIFY
    ).exclude(netsuite_sales_order_id="")


def find_synced_order(connector, order_id: str) -> Transaction | None:
    """The synced order staff mean by "#1001", "1001" or the Shopify order id (or gid)."""
    text = str(order_id).strip()
    if not text:
        return None
    number = legacy_id(text.lstrip("#"))
    name = f"#{text.lstrip('#')}"
    # Two single-column indexes (name, id): an index lookup however many rows there are.
    return (
        synced_orders(connector)
        .filter(Q(shopify_order_name=name) | Q(shopify_order_id=number))
        .order_by("-id")
        .first()
    )


def order_label(order: Transaction) -> str:
    return order.shopify_order_name or order.shopify_order_id
