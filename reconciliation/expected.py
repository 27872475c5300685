"""What NetSuite should hold for a chunk of Shopify orders: two queries a chunk, never one an
order.

An order never edited is expected as first placed (`read.shopify_order`). An order Shopify
says was edited is expected as the edit flow writes it (`flows.order_edits.lines.
wanted_from_order`, the same function): current quantities, discount, tax and shipping, a
removed line at quantity 0, and the units and money of every refund the edits did not absorb
added back (their credit memos carry them). A refund an edit absorbed (the order-edit row's
payload, `flows.order_edits.absorbed`) is expected nowhere in NetSuite. Either way a bundle
line is expected as its component lines (`flows.bundles`), as the import and the edits write
it.

The edit flow's figures need the order's lines: when a refund the order keeps names a line
Shopify's answer did not carry (more lines than the query reads) the sales order's figures
cannot be known, and the order is compared for its existence and its refunds only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal

from flows import bundles
from flows.order_edits.absorbed import absorbed_of_orders
from flows.order_edits.lines import wanted_from_order
from flows.sync import NeedsPerson

from .compare import DISCOUNT, SHIPPING, Line, ShopifyOrder, cents


def for_chunk(connector, orders: list[ShopifyOrder]) -> list[ShopifyOrder]:
    """The chunk's orders as NetSuite should hold them: one query for the bundles among their
    SKUs, one for the refunds the edited ones' edits absorbed."""
    skus = {line.sku for order in orders for line in order.lines or ()}
    skus |= {sku for order in orders if order.source for sku in _source_skus(order.source)}
    components = bundles.components_for(connector, skus)
    edited = [order.id for order in orders if order.source is not None]
    absorbed = absorbed_of_orders(connector, edited) if edited else {}
    return [
        as_edited(order, absorbed.get(order.id, frozenset()), components)
        if order.source is not None
        else with_components(order, components)
        for order in orders
    ]


def with_components(order: ShopifyOrder, components: Mapping[str, tuple]) -> ShopifyOrder:
    """The order as placed, its bundle lines as their components (amount and tax shared out
    as the import shares them). Unchanged, and not copied, when it has no bundle."""
    if not components or not order.lines:
        return order
    if not any(line.sku in components for line in order.lines):
        return order
    lines: list[Line] = []
    for line in order.lines:
        parts = components.get(line.sku)
        if not parts:
            lines.append(line)
            continue
        for part in bundles.explode(
            {
                "key": line.sku,
                "sku": line.sku,
                "quantity": int(line.quantity),
                "amount": line.amount,
                "tax": line.tax or Decimal(0),
                "description": "",
            },
            parts,
        ):
            lines.append(
                Line(
                    part["sku"],
                    Decimal(part["quantity"]),
                    cents(part["amount"]),
                    None if line.tax is None else cents(part["tax"]),
                )
            )
    return dataclasses.replace(order, lines=tuple(lines))


def as_edited(
    order: ShopifyOrder, absorbed: Iterable[str], components: Mapping[str, tuple]
) -> ShopifyOrder:
    """An edited order as the edit flow writes its sales order."""
    node, absorbed = order.source or {}, frozenset(absorbed)
    placed = dataclasses.replace(order, source=None)
    try:
        wanted = wanted_from_order(
            node, absorbed_refunds=absorbed, components=components, explode=bundles.explode
        )
    except NeedsPerson:
        # A line without a SKU: neither the import nor the edit flow can write the order, so
        # it is compared as placed (and found missing, or different, as it is).
        return with_components(placed, components)
    lines = None
    if order.lines is not None:  # every line read
        # Line tax is not compared: the edit flow writes Shopify's tax on the tax item only.
        lines = tuple(Line(w.sku, Decimal(w.quantity), w.amount) for w in wanted.lines)
    return dataclasses.replace(
        placed,
        total=wanted.total,
        tax=wanted.tax,
        lines=lines,
        charges=((DISCOUNT, -wanted.discount), (SHIPPING, wanted.shipping)),
        refunds=tuple(
            dataclasses.replace(r, absorbed=True) if r.id in absorbed else r for r in order.refunds
        ),
        edited=True,
        figures_known=_refunds_readable(node, absorbed),
    )


def _refunds_readable(node: dict, absorbed: frozenset[str]) -> bool:
    """Every refund added back names only lines Shopify sent, and all its lines were sent:
    `wanted_from_order` adds back what it can match, so anything else is unknown."""
    read = {line.get("id") for line in _nodes(node.get("lineItems"))}
    for refund in node.get("refunds") or []:
        if str(refund.get("legacyResourceId")) in absorbed:
            continue
        connection = refund.get("refundLineItems") or {}
        if (connection.get("pageInfo") or {}).get("hasNextPage"):
            return False
        if any((part.get("lineItem") or {}).get("id") not in read for part in _nodes(connection)):
            return False
    return True


def _source_skus(node: dict) -> set[str]:
    return {(line.get("sku") or "").strip() for line in _nodes(node.get("lineItems"))} - {""}


def _nodes(connection) -> list[dict]:
    return list((connection or {}).get("nodes") or [])
