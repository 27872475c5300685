"""Delivers a webhook the way Shopify does: REST-shaped JSON body, signed headers, 5 s limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

import requests

from sandbox.shopify.store import Shop, Store, gid

DELIVERY_TIMEOUT = 5  # Shopify gives a receiver five seconds


def order_body(store: Store, order: dict) -> dict[str, Any]:
    totals = store.totals(order)
    status = store.fulfillment_status(order)
    return {
        "id": order["id"],
        "admin_graphql_api_id": gid("Order", order["id"]),
        "name": order["name"],
        "order_number": order["number"],
        "email": order["email"],
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "cancelled_at": order["cancelled_at"],
        "cancel_reason": (order["cancel_reason"] or "").lower() or None,
        "currency": order["currency"],
        "financial_status": store.financial_status(order).lower(),
        "fulfillment_status": None if status == "UNFULFILLED" else status.lower(),
        "subtotal_price": str(totals["subtotal"]),
        "total_tax": str(totals["tax"]),
        "taxes_included": order.get("taxes_included", False),
        "total_shipping_price_set": {
            "shop_money": {"amount": str(totals["shipping"]), "currency_code": order["currency"]}
        },
        "total_price": str(totals["total"]),
        "current_total_price": str(totals["current_total"]),
        "customer": {"id": order["customer_id"]},
        "company": {"id": order["company"]["company_id"]} if order.get("company") else None,
        "line_items": [
            {
                "id": li["id"],
                "admin_graphql_api_id": gid("LineItem", li["id"]),
                "sku": li["sku"],
                "title": li["title"],
                "quantity": li["quantity"],
                "current_quantity": li["current_quantity"],
                "price": li["price"],
                "variant_id": li["variant_id"],
            }
            for li in order["line_items"]
        ],
        "refunds": [refund_body(order, r) for r in order["refunds"]],
    }


def refund_body(order: dict, refund: dict) -> dict[str, Any]:
    return {
        "id": refund["id"],
        "admin_graphql_api_id": gid("Refund", refund["id"]),
        "order_id": order["id"],
        "created_at": refund["created_at"],
        "note": refund["note"],
        "refund_line_items": [
            {
                "id": r["id"],
                "line_item_id": r["line_item_id"],
                "quantity": r["quantity"],
                "restock_type": r["restock_type"].lower(),
                "subtotal": r["subtotal"],
                "total_tax": r.get("tax", "0.00"),
            }
            for r in refund["line_items"]
        ],
        "refund_shipping_lines": [
            {
                "id": r["id"],
                "shipping_line_id": r["shipping_line_id"],
                "subtotal_amount_set": {
                    "shop_money": {"amount": r["subtotal"], "currency_code": order["currency"]}
                },
                "tax_amount_set": {
                    "shop_money": {"amount": r["tax"], "currency_code": order["currency"]}
                },
            }
            for r in refund.get("shipping_lines", [])
        ],
        "order_adjustments": [
            {
                "id": a["id"],
                "order_id": order["id"],
                "refund_id": refund["id"],
                "kind": "refund_discrepancy",
                "reason": a["reason"].replace("_", " ").capitalize(),
                "amount": a["amount"],
                "tax_amount": a["tax"],
            }
            for a in refund.get("adjustments", [])
        ],
        "transactions": [
            {
                "id": t["id"],
                "kind": t["kind"].lower(),
                "status": t["status"].lower(),
                "amount": t["amount"],
                "gateway": t["gateway"],
            }
            for t in order["transactions"]
            if t["id"] in refund["transaction_ids"]
        ],
    }


def order_edit_body(order: dict, edit: dict) -> dict[str, Any]:
    """The orders/edited body: the edit, not the order (the order id is inside it)."""
    return {
        "order_edit": {
            "id": edit["id"],
            "app_id": None,
            "created_at": edit["created_at"],
            "committed_at": edit["committed_at"],
            "notify_customer": False,
            "order_id": order["id"],
            "staff_note": "",
            "user_id": None,
            "line_items": {"additions": edit["additions"], "removals": edit["removals"]},
            "discounts": {"additions": [], "removals": []},
            "shipping_lines": {"additions": [], "removals": []},
        }
    }


def build_delivery(
    store: Store, shop: Shop, topic: str, order: dict, api_version: str
) -> tuple[bytes, dict[str, str]]:
    if topic == "refunds/create":
        if not order["refunds"]:
            raise ValueError(f"Order {order['name']} has no refund to announce")
        payload = refund_body(order, order["refunds"][-1])
    elif topic == "orders/edited":
        if not order.get("edits"):
            raise ValueError(f"Order {order['name']} has no edit to announce")
        payload = order_edit_body(order, order["edits"][-1])
    else:
        payload = order_body(store, order)
    body = json.dumps(payload).encode("utf-8")
    signature = base64.b64encode(
        hmac.new(shop.webhook_secret.encode("utf-8"), body, hashlib.sha256).digest()
    ).decode("ascii")
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop.domain,
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-Triggered-At": store.now(),
    }
    return body, headers


def deliver(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    if not url.startswith(("http://", "https://")):
        raise ValueError("The webhook url must be http(s)")
    try:
        # requests keeps the header names' case as Shopify sends them (urllib would not).
        response = requests.post(url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
    except requests.RequestException as exc:
        return {"status": None, "error": str(exc), "headers": headers}
    return {"status": response.status_code, "headers": headers}
