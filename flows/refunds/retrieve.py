"""Finding an order's refunds to offer as work (Retrieve), on either side.

A refund the panel wrote itself (the copy of one from the other side) is never offered: the
bindings say which, and our markers (the externalId of a NetSuite refund made from Shopify,
the note of a Shopify refund made from NetSuite) say so even without them.
"""

from __future__ import annotations

from decimal import Decimal

from connector import bindings, external_ids, gids
from connector.clients import netsuite_client, shopify_client
from connector.netsuite.budget import Priority
from transactions.errors import RetrieveError
from transactions.models import Channel, Kind

from . import netsuite, shopify

NOT_BILLED = (
    "Order {order} is not billed in NetSuite yet. Bill the order (as a cash sale or an "
    "invoice) and refund the billed record in NetSuite, then retrieve again."
)
NO_NETSUITE_REFUND = (
    "Order {order} has no cash refund or credit memo generated from its billed record "
    "({bills}) in NetSuite. Refund the billed record in NetSuite, then retrieve again."
)
NO_SHOPIFY_REFUND = "Order {order} has no refund in Shopify. Refund it in Shopify first."
ONLY_OURS = (
    "Order {order}'s refunds in {source} were all written there by this connector (copies of "
    "refunds from {other}), so there is nothing to post back."
)


def _label(order) -> str:
    return order.shopify_order_name or order.shopify_order_id


def order_fields(order) -> dict:
    return {
        "shopify_order_id": order.shopify_order_id,
        "shopify_order_name": order.shopify_order_name,
        "netsuite_sales_order_id": order.netsuite_sales_order_id,
    }


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def from_netsuite(connector, order) -> list[tuple[str, dict]]:
    """(source id, Transaction fields) for each NetSuite refund of the order."""
    client = netsuite_client(connector, priority=Priority.URGENT)
    bills = netsuite.billed_records(client, order.netsuite_sales_order_id)
    if not bills:
        raise RetrieveError(NOT_BILLED.format(order=_label(order)))
    refunds = netsuite.refunds_of(client, bills)
    if not refunds:
        labels = ", ".join(
            f"{netsuite.record_type(b)} {getattr(b, 'tranId', None) or b.internalId}" for b in bills
        )
        raise RetrieveError(NO_NETSUITE_REFUND.format(order=_label(order), bills=labels), 404)
    theirs = [
        r
        for r in refunds
        if not external_ids.is_ours(r.externalId)
        and not bindings.written_by_us(connector, Kind.REFUND, Channel.NETSUITE, r.internalId)
    ]
    if not theirs:
        raise RetrieveError(
            ONLY_OURS.format(order=_label(order), source="NetSuite", other="Shopify"), 404
        )
    bill_by_id = {b.internalId: b for b in bills}
    item_ids = {
        line.item.internalId
        for r in theirs
        for line in (getattr(r.itemList, "item", None) or [])
        if line.item is not None
    }
    skus = netsuite.item_skus(client, item_ids)
    found = []
    for refund in theirs:
        bill = bill_by_id.get(refund.createdFrom.internalId, bills[0])
        payload = netsuite.refund_payload(refund, bill, skus)
        found.append(
            (
                refund.internalId,
                {
                    **order_fields(order),
                    "source_type": payload["record_type"],
                    "amount": _decimal(payload["total"]),
                    "currency": order.currency,
                    "payload": payload,
                },
            )
        )
    return found


def from_shopify(connector, order) -> list[tuple[str, dict]]:
    """(source id, Transaction fields) for each Shopify refund of the order."""
    client = shopify_client(connector)
    shopify_order = client.get_order(gids.order(order.shopify_order_id))
    refunds = shopify.order_refunds(shopify_order) if shopify_order else []
    if not refunds:
        raise RetrieveError(NO_SHOPIFY_REFUND.format(order=_label(order)), 404)
    theirs = [
        r
        for r in refunds
        if not shopify.is_ours(r)
        and not bindings.written_by_us(
            connector, Kind.REFUND, Channel.SHOPIFY, shopify.refund_id(r)
        )
    ]
    if not theirs:
        raise RetrieveError(
            ONLY_OURS.format(order=_label(order), source="Shopify", other="NetSuite"), 404
        )
    return [
        (
            shopify.refund_id(r),
            {
                **order_fields(order),
                "source_type": "refund",
                "amount": _decimal(r["total"]),
                "currency": r["currency"],
                "payload": r,
            },
        )
        for r in theirs
    ]
