"""Refunds an order edit took off the sales order (absorbed) instead of leaving them to the
refunds flow: a Shopify refund made before the order was billed lowers the sales order, and
its credit memo would count it a second time."""

from __future__ import annotations

from transactions.models import Channel, Kind, Transaction


def absorbed_by_edit(connector, shopify_order_id: str, refund_id: str) -> bool:
    if not shopify_order_id:
        return False
    payload = (
        Transaction.objects.filter(
            connector=connector,
            kind=Kind.ORDER_EDIT,
            source_channel=Channel.SHOPIFY,
            source_id=str(shopify_order_id),
        )
        .values_list("payload", flat=True)
        .first()
    )
    return str(refund_id) in set((payload or {}).get("absorbed_refunds") or ())
