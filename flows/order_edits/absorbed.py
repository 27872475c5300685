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


def absorbed_of_orders(connector, shopify_order_ids) -> dict[str, frozenset[str]]:
    """Shopify order id -> the refunds its edits absorbed, for many orders in one query (the
    reconciliation's chunk). Orders no edit absorbed anything of are left out."""
    ids = sorted({str(i) for i in shopify_order_ids if i})
    if not ids:
        return {}
    rows = Transaction.objects.filter(
        connector=connector,
        kind=Kind.ORDER_EDIT,
        source_channel=Channel.SHOPIFY,
        source_id__in=ids,
    ).values_list("source_id", "payload__absorbed_refunds")
    out: dict[str, frozenset[str]] = {}
    for order_id, refunds in rows:
        if isinstance(refunds, list) and refunds:
            out[str(order_id)] = out.get(str(order_id), frozenset()) | {str(r) for r in refunds}
    return out
