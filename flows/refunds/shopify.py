"""Refunds on the Shopify side: read an order's refunds with Shopify's own money (lines, tax,
shipping, adjustments), and create a refund for exactly the amount of a NetSuite cash refund
or credit memo, keyed so that no retry can ever refund twice."""

from __future__ import annotations

from decimal import Decimal

from connector import gids
from connector.shopify.idempotency import idempotency_key
from flows.sync import NeedsPerson, Skip, Written, check_total

# Written into the note of every refund the panel creates in Shopify: with the bindings, how
# the panel knows a Shopify refund is its own and never posts it back to NetSuite.
MARKER = "[NetSuite connector]"


def _shop_money(money_set: dict | None) -> tuple[str | None, str]:
    money = (money_set or {}).get("shopMoney") or {}
    return money.get("amount"), money.get("currencyCode") or ""


def _nodes(connection) -> list[dict]:
    if isinstance(connection, list):
        return connection
    return (connection or {}).get("nodes") or []


def refund_payload(order: dict, refund: dict) -> dict:
    """What the panel keeps of a Shopify refund: ids, lines by SKU and Shopify's own money."""
    amount, currency = _shop_money(refund.get("totalRefundedSet"))
    lines = []
    for node in _nodes(refund.get("refundLineItems")):
        line_amount, _ = _shop_money(node.get("subtotalSet"))
        line_tax, _ = _shop_money(node.get("totalTaxSet"))
        lines.append(
            {
                "line_item_id": (node.get("lineItem") or {}).get("id"),
                "sku": (node.get("lineItem") or {}).get("sku") or "",
                "quantity": node.get("quantity"),
                "amount": line_amount,
                "tax": line_tax,
                "restock_type": node.get("restockType"),
                # Where Shopify restocked it (legacy id; none when not restocked).
                "location_id": gids.legacy_id((node.get("location") or {}).get("id") or "") or None,
            }
        )
    shipping = [
        {
            "amount": _shop_money(node.get("subtotalAmountSet"))[0],
            "tax": _shop_money(node.get("taxAmountSet"))[0],
        }
        for node in _nodes(refund.get("refundShippingLines"))
    ]
    adjustments = [
        {
            "reason": node.get("reason"),
            "amount": _shop_money(node.get("amountSet"))[0],
            "tax": _shop_money(node.get("taxAmountSet"))[0],
        }
        for node in _nodes(refund.get("orderAdjustments"))
    ]
    return {
        "refund_id": refund["id"],
        "order_id": order["id"],
        "created_at": refund.get("createdAt"),
        "note": refund.get("note"),
        # The Shopify return this refund settles (a return: items sent back), if any.
        "return_id": (refund.get("return") or {}).get("id"),
        "total": amount,
        "currency": currency,
        "lines": lines,
        "shipping": shipping,
        "adjustments": adjustments,
    }


def order_refunds(order: dict) -> list[dict]:
    return [refund_payload(order, r) for r in order.get("refunds") or []]


def refund_id(refund: dict) -> str:
    return gids.legacy_id(refund["refund_id"])


def is_ours(refund: dict) -> bool:
    return MARKER in (refund.get("note") or "")


def post_key(txn) -> str:
    """The same for every retry of this NetSuite refund on this order (a lost answer, a killed
    worker, a second click), new after a refusal (key_generation), never shared with another
    install or another record."""
    return idempotency_key(
        "refundCreate",
        f"order:{txn.shopify_order_id}",
        f"{txn.source_type or 'netsuite-refund'}:{txn.source_id}",
        generation=txn.key_generation,
    )


def post_netsuite_refund(
    client,
    txn,
    bind=lambda refund_id: None,
    *,
    store_credit: bool = False,
    cancel_refunds: bool = True,
) -> Written:
    """Create the Shopify refund for the NetSuite refund `txn` (or find the one we made
    before), bind it, then check Shopify's total. The money goes back to the original payment
    (a REFUND transaction on the sale), or as store credit (`refundMethods`) when the option
    "Refund to Shopify store credit" is on.

    `cancel_refunds` is the opposite of the option "Prevent Shopify from refunding paid orders
    when cancelling". Off (the default), Shopify refunded a paid order when it was cancelled,
    so the credit memo NetSuite makes for the cancelled order must not refund it a second
    time. On, the cancellation returned nothing and the money follows the refund sync: this
    flow refunds it. Orders that are not cancelled (returns, partial refunds) are refunded
    either way."""
    order_gid = gids.order(txn.shopify_order_id)
    order = client.get_order(order_gid)
    if order is None:
        raise NeedsPerson(f"Shopify has no order {order_gid} any more; nothing was refunded.")
    if cancel_refunds and order.get("cancelledAt"):
        raise Skip(
            f"Order {order.get('name')} was refunded by Shopify when it was cancelled "
            "(“Prevent Shopify from refunding paid orders when cancelling” is off): this "
            "NetSuite refund is not refunded a second time."
        )
    if txn.amount is None:
        raise NeedsPerson("The NetSuite refund has no total to refund; check it in NetSuite.")
    amount = Decimal(str(txn.amount))
    ours = _already_made(order, txn)
    if ours is not None:
        # Made by an earlier attempt (whatever its key): never refund a second time.
        bind(ours["id"])
        return _checked(
            txn, ours, amount, {"answer": {"refund": ours["id"], "found_existing": True}}
        )
    shop_currency, presentment = _currencies(order)
    if presentment and shop_currency and presentment != shop_currency:
        # Shopify refunds in the customer's (presentment) currency; NetSuite's figure is in
        # the shop currency. Converting would be recomputing money: a person decides.
        raise NeedsPerson(
            f"Order {order.get('name')} was paid in {presentment}, the shop's currency is "
            f"{shop_currency}: refund {_money_text(amount)} {shop_currency} in Shopify by hand "
            "(in the customer's currency), then Ignore this row."
        )
    refund_lines = _matching_lines(order, (txn.payload or {}).get("lines") or [])
    if store_credit:
        return _post(
            client,
            txn,
            order_gid,
            amount,
            refund_lines,
            bind,
            refund_methods=[
                {
                    "storeCreditRefund": {
                        "amount": {
                            "amount": _money_text(amount),
                            "currencyCode": shop_currency or txn.currency,
                        }
                    }
                }
            ],
        )
    sale = next(
        (
            t
            for t in order.get("transactions") or []
            if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"
        ),
        None,
    )
    if sale is None:
        raise NeedsPerson(
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
    return _post(client, txn, order_gid, amount, refund_lines, bind, transactions=transactions)


def _currencies(order: dict) -> tuple[str, str]:
    """(shop currency, presentment currency) of the order."""
    total = order.get("totalPriceSet") or {}
    shop = (total.get("shopMoney") or {}).get("currencyCode") or ""
    presentment = (total.get("presentmentMoney") or {}).get("currencyCode") or ""
    return shop, presentment


def _post(
    client, txn, order_gid, amount, refund_lines, bind, *, transactions=None, refund_methods=None
) -> Written:
    key = post_key(txn)
    detail: dict = {
        "request": {
            "mutation": "refundCreate",
            "order": order_gid,
            "amount": _money_text(amount),
            "refund_line_items": refund_lines,
            "to": "store credit" if refund_methods else "original payment method",
        }
    }
    shipping = _shipping(txn)
    if shipping:
        detail["request"]["shipping"] = shipping
    payload = client.create_refund(
        order_gid,
        idempotency_key=key,
        refund_line_items=refund_lines or None,
        transactions=transactions,
        refund_methods=refund_methods,
        shipping=shipping,
        note=_note(txn),
    )
    refund = payload.get("refund") or {}
    if not refund.get("id"):
        raise NeedsPerson("Shopify answered refundCreate without a refund.")
    bind(refund["id"])
    total, currency = _shop_money(refund.get("totalRefundedSet"))
    detail["answer"] = {"refund": refund.get("id"), "total": total, "currency": currency}
    return _checked(txn, refund, amount, detail)


def _shipping(txn) -> dict | None:
    """NetSuite's refunded shipping (`shippingCost`) as Shopify's refunded shipping: recorded
    on the refund's shipping lines; the money itself is the refund transaction's amount."""
    amount = (txn.payload or {}).get("shipping")
    if amount in (None, "") or Decimal(str(amount)) <= 0:
        return None
    return {"amount": _money_text(Decimal(str(amount)))}


def _note(txn) -> str:
    return f"NetSuite {txn.source_type or 'refund'} {txn.source_id} {MARKER}"


def _already_made(order: dict, txn) -> dict | None:
    """The Shopify refund an earlier attempt made for this NetSuite refund, if any."""
    return next((r for r in order.get("refunds") or [] if r.get("note") == _note(txn)), None)


def _checked(txn, refund: dict, amount: Decimal, detail: dict) -> Written:
    total, currency = _shop_money(refund.get("totalRefundedSet"))
    check_total(
        f"Refund of order {txn.shopify_order_name}",
        "NetSuite",
        amount,
        "Shopify",
        total,
        currency=currency or txn.currency,
    )
    return Written(
        target_id=refund["id"],
        message=f"Posted to Shopify as refund {gids.legacy_id(refund['id'])} of {total} "
        f"{currency}; totals agree.",
        detail=detail,
    )


def _matching_lines(order: dict, netsuite_lines: list[dict]) -> list[dict]:
    """Refund line items when every NetSuite line matches a Shopify line by SKU and quantity;
    otherwise none (the refund is then for the amount only, through `transactions`)."""
    shopify_lines = (order.get("lineItems") or {}).get("nodes") or []
    out = []
    for line in netsuite_lines:
        sku, quantity = line.get("sku"), line.get("quantity")
        if quantity in (None, "", 0) and line.get("amount"):
            continue  # a charge line (tax, discount, adjustment): money only, no item
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
