"""Refunds on the Shopify side: read an order's refunds, and create a refund for exactly the
amount of a NetSuite cash refund / credit memo, keyed so a retry can never refund twice."""

from __future__ import annotations

from decimal import Decimal

from connector.external_ids import legacy_id
from connector.shopify.idempotency import idempotency_key

from .errors import PostError


def _shop_money(money_set: dict | None) -> tuple[str | None, str]:
    money = (money_set or {}).get("shopMoney") or {}
    return money.get("amount"), money.get("currencyCode") or ""


def refund_payload(order: dict, refund: dict) -> dict:
    """What the panel keeps of a Shopify refund: ids, lines by SKU and Shopify's own money."""
    amount, currency = _shop_money(refund.get("totalRefundedSet"))
    lines = []
    for node in (refund.get("refundLineItems") or {}).get("nodes") or []:
        line_amount, _ = _shop_money(node.get("subtotalSet"))
        lines.append(
            {
                "line_item_id": (node.get("lineItem") or {}).get("id"),
                "sku": (node.get("lineItem") or {}).get("sku") or "",
                "quantity": node.get("quantity"),
                "amount": line_amount,
            }
        )
    return {
        "refund_id": refund["id"],
        "order_id": order["id"],
        "created_at": refund.get("createdAt"),
        "note": refund.get("note"),
        "total": amount,
        "currency": currency,
        "lines": lines,
    }


def order_refunds(order: dict) -> list[dict]:
    return [refund_payload(order, r) for r in order.get("refunds") or []]


def refund_id(refund: dict) -> str:
    return legacy_id(refund["refund_id"])


def post_key(txn) -> str:
    # Derived from the row, never random: every retry, re-queue or second click of this row
    # sends the same key, and Shopify replays the first refund instead of making another.
    return idempotency_key("transaction", txn.pk, "post")


def post_netsuite_refund(client, txn, order_gid: str, attempt: dict) -> str:
    """Create the Shopify refund for the NetSuite refund `txn`; returns the refund gid."""
    order = client.get_order(order_gid)
    if order is None:
        raise PostError(f"Shopify has no order {order_gid} any more; nothing was refunded.")
    amount = Decimal(str(txn.amount))
    refund_lines = _matching_lines(order, (txn.payload or {}).get("lines") or [])
    sale = next(
        (
            t
            for t in order.get("transactions") or []
            if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"
        ),
        None,
    )
    if sale is None:
        raise PostError(
            f"Order {order.get('name')} has no successful payment in Shopify to refund."
        )
    transactions = [
        {
            "orderId": order_gid,
            "amount": _money_text(amount),
            "kind": "REFUND",
            "gateway": sale.get("gateway") or "manual",
            "parentId": sale["id"],
        }
    ]
    key = post_key(txn)
    attempt["request"] = {
        "mutation": "refundCreate",
        "order": order_gid,
        "amount": _money_text(amount),
        "refund_line_items": refund_lines,
        "idempotency_key": key,
    }
    payload = client.create_refund(
        order_gid,
        idempotency_key=key,
        refund_line_items=refund_lines or None,
        transactions=transactions,
        note=f"NetSuite {txn.source_type or 'refund'} {txn.source_id}",
    )
    refund = payload.get("refund") or {}
    total, currency = _shop_money(refund.get("totalRefundedSet"))
    attempt["answer"] = {"refund": refund.get("id"), "total": total, "currency": currency}
    if not refund.get("id"):
        raise PostError("Shopify answered refundCreate without a refund.")
    return refund["id"]


def _matching_lines(order: dict, netsuite_lines: list[dict]) -> list[dict]:
    """Refund line items when every NetSuite line matches a Shopify line by SKU and quantity;
    otherwise none (the refund is then for the amount only, through `transactions`)."""
    shopify_lines = (order.get("lineItems") or {}).get("nodes") or []
    out = []
    for line in netsuite_lines:
        sku, quantity = line.get("sku"), line.get("quantity")
        if not sku or quantity is None or float(quantity) != int(float(quantity)):
            return []
        match = next(
            (
                li
                for li in shopify_lines
                if li.get("sku") == sku and (li.get("refundableQuantity") or 0) >= int(quantity)
            ),
            None,
        )
        if match is None:
            return []
        out.append(
            {"lineItemId": match["id"], "quantity": int(quantity), "restockType": "NO_RESTOCK"}
        )
    return out


def _money_text(amount: Decimal) -> str:
    # The NetSuite amount as it is: drop only the storage padding ("30.0000" -> "30.00").
    text = format(amount.normalize(), "f")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"
